/**
 * The cache key of a stage execution: sha256 over the canonical JSON of everything that can change
 * its output. Two executions with the same key produce the same output (up to nondeterminism the stage
 * itself owns), so the second one is skipped.
 *
 * Bump `KEY_SCHEME` whenever the fields or their meaning change: old keys then simply miss. `files` is
 * left out of the JSON when a stage reads no external files, so adding it changed no existing key.
 *
 * @module
 */
import { canonicalJson } from "./canonical_json.ts";
import { sha256Hex } from "./hash.ts";

export const KEY_SCHEME = 1;

export interface KeyParts {
  /** The stage kind, e.g. "train.gan". */
  kind: string;
  /** The kind's explicit version, if it declares one. */
  version?: string;
  /** Digest of the stage module's import closure (code_digest.ts). */
  code: string;
  /** Resolved params, defaults included. */
  params: unknown;
  /** Input name → object digest of the upstream output (or its cache key, for provenance inputs). */
  inputs: Readonly<Record<string, string>>;
  /** Runtime pieces that change results: Deno's version and the resolved npm packages the code imports. */
  runtime: Readonly<Record<string, string>>;
  /**
   * Path → content digest of the external files and folders the stage reads (its kind's
   * `externalFiles`, file_digest.ts). Omitted, not empty, when there are none.
   */
  files?: Readonly<Record<string, string>>;
}

/** The hex sha256 cache key of `parts`. */
export function cacheKey(parts: KeyParts): string {
  const { files, ...rest } = parts;
  const withFiles = files && Object.keys(files).length > 0 ? { ...rest, files } : rest;
  return sha256Hex(canonicalJson({ scheme: KEY_SCHEME, ...withFiles }));
}
