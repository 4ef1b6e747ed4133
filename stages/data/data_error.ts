/**
 * The error thrown for bad data: a file that is missing, truncated, corrupt or inconsistent.
 *
 * @module
 */

/**
 * Bad input data. The message names the file and the problem and says what to do; `file` holds the
 * path so that callers and tests can tell which file was at fault.
 */
export class DataError extends Error {
  /** The file (or folder) at fault. */
  readonly file: string;

  constructor(file: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DataError";
    this.file = file;
  }
}
