/**
 * File-system failures that are the machine's, not the code's: a full disk, a read-only mount, a folder
 * this user may not write. They are told to the user in one line (what failed, which path, what to do),
 * never as a stack trace; the CLI exits with code 3 for them (cli.ts).
 *
 * @module
 */

/** The errno code of a file-system error (`ENOSPC`, `EROFS`, …), if it is one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Whether `error` says the file system is read-only or may not be written by this user. */
export function isReadOnlyError(error: unknown): boolean {
  return error instanceof Deno.errors.PermissionDenied || errorCode(error) === "EROFS" ||
    errorCode(error) === "EACCES" || errorCode(error) === "EPERM";
}

/** Whether `error` says the disk is full (or the user's quota, or the file size limit, is reached). */
export function isDiskFullError(error: unknown): boolean {
  return ["ENOSPC", "EDQUOT", "EFBIG"].includes(errorCode(error) ?? "");
}

/** Whether `error` is a failure to write the disk: full, read-only, forbidden, or an I/O error. */
export function isStoreWriteError(error: unknown): boolean {
  return isReadOnlyError(error) || isDiskFullError(error) || errorCode(error) === "EIO";
}

/** The first path a Deno file-system error names (`… (os error 28): writefile '/a/b'`), if any. */
export function errorPath(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : "";
  // A temp file written to be renamed (<target>.<pid>.<random>[.tmp]) is shown as its target.
  return /: \w+ '([^']+)'/.exec(message)?.[1]?.replace(/\.\d+\.[0-9a-f-]{8,36}(\.tmp)?$/, "");
}

/**
 * One line for a file-system failure: what happened, to which path, and what to do. `where` names the
 * folder it concerns ("the store /data", "the reports folder /reports") when the path does not.
 */
export function describeWriteError(error: unknown, where: string): string {
  const path = errorPath(error);
  const at = path ? `${path}` : where;
  if (isDiskFullError(error)) {
    return `the disk is full: cannot write ${at}. Free some space (deno task gc deletes the outputs that ` +
      `no latest run needs) and run again; what was already computed is kept`;
  }
  if (errorCode(error) === "EROFS") {
    return `${at} is on a read-only file system. Run with --data-dir (or --reports-dir) pointing at a ` +
      `writable folder, or remount it read-write`;
  }
  if (isReadOnlyError(error)) {
    return `permission denied: cannot write ${at}. Make ${where} writable for this user, or point ` +
      `--data-dir (or --reports-dir) elsewhere`;
  }
  const reason = error instanceof Error ? error.message.replace(/ \(os error \d+\).*$/, "") : String(error);
  return `cannot write ${at}: ${reason}. Check the disk (dmesg may say more) and run again`;
}
