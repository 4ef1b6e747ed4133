/**
 * Where things live: the project root (the folder of deno.json), the store and the reports folder.
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

/** The project root: the folder holding deno.json, one level above engine/. */
export const PROJECT_ROOT: string = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(
  /\/$/,
  "",
);

/** The store folder: `--data-dir`, else $REPRO_DATA_DIR, else <root>/data. */
export function dataDir(flag?: string): string {
  return resolve(flag ?? Deno.env.get("REPRO_DATA_DIR") ?? `${PROJECT_ROOT}/data`);
}

/** The reports folder: `--reports-dir`, else $REPRO_REPORTS_DIR, else <root>/reports. */
export function reportsDir(flag?: string): string {
  return resolve(flag ?? Deno.env.get("REPRO_REPORTS_DIR") ?? `${PROJECT_ROOT}/reports`);
}

export function toFileUrl(path: string): string {
  return pathToFileURL(path).href;
}
