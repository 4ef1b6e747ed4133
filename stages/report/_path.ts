/**
 * Path helpers from `node:path` and `node:url` (no @std): absolute paths and file: URLs.
 *
 * @module
 */
import { resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";

/** The absolute form of `path`, relative to the working directory. */
export function resolve(path: string): string {
  return resolvePath(path);
}

/** The file: URL of an absolute path, with special characters escaped. */
export function toFileUrl(path: string): string {
  return pathToFileURL(path).href;
}
