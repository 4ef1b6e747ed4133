/**
 * The cache key of a stage execution: sha256 over the canonical JSON of everything that can change
 * its output. Two executions with the same key produce the same output (up to nondeterminism the stage
 * itself owns), so the second one is skipped.
 *
 * Bump `KEY_SCHEME` whenever the fields or their meaning change: old keys then simply miss. `files` is
 * left out of the JSON when a stage reads no external files, and `pipeline` when it does not show the
 * pipeline (its article and claims), so adding them changed no existing key.
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
  /**
   * The pipeline's article, description and claim definitions, for a stage that shows them
   * (StageKind.readsPipeline). Omitted otherwise.
   */
  pipeline?: unknown;
}

/** The hex sha256 cache key of `parts`. */
export function cacheKey(parts: KeyParts): string {
  const { files, pipeline, ...rest } = parts;
  return sha256Hex(canonicalJson({
    scheme: KEY_SCHEME,
    ...rest,
    ...(files && Object.keys(files).length > 0 ? { files } : {}),
    ...(pipeline !== undefined ? { pipeline } : {}),
  }));
}

/**
 * The key of `parts` without the params that only make a run longer (StageKind.extendsRun): two
 * stages with the same prefix key differ only in how far they ran, so the longer can continue the
 * shorter. Not a cache key (it names no output); it indexes candidates to continue from.
 */
export function prefixKey(parts: KeyParts, extendsRun: readonly string[]): string {
  const params = structuredClone(parts.params) as Record<string, unknown>;
  for (const path of extendsRun) {
    const keys = path.split(".");
    let node: Record<string, unknown> | undefined = params;
    for (const k of keys.slice(0, -1)) node = node?.[k] as Record<string, unknown> | undefined;
    if (node) delete node[keys[keys.length - 1]!];
  }
  return cacheKey({ ...parts, kind: `${parts.kind}#prefix`, params });
}

/** The values of the extending params in `params` (dotted paths → value). */
export function extendingValues(params: unknown, extendsRun: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const path of extendsRun) {
    let node: unknown = params;
    for (const k of path.split(".")) node = (node as Record<string, unknown> | undefined)?.[k];
    out[path] = node;
  }
  return out;
}

/** What a planned stage contributes to its key; see `keyParts`. */
export interface KeyedStage {
  kind: { kind: string; version?: string; readsPipeline?: boolean };
  code: { digest: string };
  params: unknown;
  runtime: Readonly<Record<string, string>>;
  files?: Readonly<Record<string, string>>;
}

/**
 * The key fields of `stage` given the object digests of its inputs (by slot) and what the pipeline
 * shows of itself (used only when the kind reads the pipeline). The one place where a key is assembled.
 */
export function keyParts(
  stage: KeyedStage,
  inputs: Readonly<Record<string, string>>,
  pipeline: unknown,
): KeyParts {
  return {
    kind: stage.kind.kind,
    ...(stage.kind.version ? { version: stage.kind.version } : {}),
    code: stage.code.digest,
    params: stage.params,
    inputs,
    runtime: stage.runtime,
    ...(stage.files ? { files: stage.files } : {}),
    ...(stage.kind.readsPipeline ? { pipeline } : {}),
  };
}
