/**
 * The shape of every JSON file in the store, as zod schemas, and one way to read them.
 *
 * Anything on disk can be wrong: cut short by a kill, edited by hand, written by another version, or
 * hit by bit rot. Valid JSON of the wrong shape (`{}`, `null`, `42`, a list where an object belongs) is
 * as bad as broken JSON, so no store file is used before it passed its schema. What a failure means is
 * decided by the reader: a cache is dropped and rebuilt, a key record is a cache miss ("cache entry was
 * corrupt"), a run record or a history row is skipped. Never a crash.
 *
 * The schemas are loose objects (unknown fields are kept), so that a record written by a newer version
 * with an extra field still reads.
 *
 * @module
 */
import { z } from "zod";

// A command reads a few dozen store files and exits: zod's JIT (which compiles each schema on its first
// parse) costs more than it saves here.
z.config({ jitless: true });

/**
 * Schemas are built on first use (z.lazy): building every one of them when the store is opened costs
 * ~8 ms, more than a cached run spends parsing.
 */
const memo = <T>(build: () => T): () => T => {
  let value: T | undefined;
  return () => (value ??= build());
};

const hex64 = memo(() => z.string().regex(/^[0-9a-f]{64}$/, "expected 64 hex digits"));
const stringRecord = memo(() => z.record(z.string(), z.string()));
const codeFile = memo(() => z.looseObject({ path: z.string(), digest: z.string() }));
const processIdShape = () => ({ pid: z.number().int().nonnegative(), start: z.number(), host: z.string() });
const statKeyShape = () => ({ size: z.number(), mtimeMs: z.number(), ctimeMs: z.number(), ino: z.number() });
const article = () => z.looseObject({ title: z.string(), url: z.string(), date: z.string().exactOptional() });
const optionalString = () => z.string().exactOptional();
/** A reason a stage ran (reasons.ts); records older than reasons-as-data have none. */
const reason = memo(() =>
  z.looseObject({
    kind: z.string(),
    subject: optionalString(),
    before: optionalString(),
    after: optionalString(),
    note: optionalString(),
  })
);
/** A claim's verdict in a run (claims.ts); records older than claims have none. */
const claimVerdict = memo(() =>
  z.looseObject({
    id: z.string(),
    claim: z.string(),
    verdict: z.enum(["reproduced", "not reproduced", "not comparable"]),
    ours: z.number().nullable(),
    oursFrom: z.string(),
    reference: z.number().nullable(),
    referenceSource: z.string(),
    rule: z.string(),
    detail: z.string(),
    differs: z.string().nullable(),
  })
);

/** A process that owns a lock, a staging folder or an active run (process_lock.ts). */
export const processIdSchema = z.lazy(() => z.looseObject(processIdShape()));

/** A lock file's content (process_lock.ts). */
export const lockOwnerSchema = z.lazy(() =>
  z.looseObject({ ...processIdShape(), purpose: z.string(), since: z.string() })
);

/** keys/ab/<key>.json (store.ts KeyRecord). */
export const keyRecordSchema = z.lazy(() =>
  z.looseObject({
    key: hex64(),
    object: hex64(),
    pipeline: z.string(),
    stage: z.string(),
    kind: z.string(),
    codeDigest: z.string(),
    codeFiles: z.array(codeFile()),
    params: z.unknown(),
    inputs: stringRecord(),
    runtime: stringRecord(),
    files: stringRecord().exactOptional(),
    producedBy: z.looseObject({
      runId: z.string(),
      startedAt: z.string(),
      durationMs: z.number(),
      host: z.string(),
    }),
    lastMetrics: z.record(z.string(), z.number().nullable()),
  })
);

/** objects/ab/<digest>/manifest.json. */
export const manifestSchema = z.lazy(() =>
  z.looseObject({
    digest: hex64(),
    files: z.array(
      z.looseObject({ path: z.string().min(1), size: z.number().int().nonnegative(), sha256: hex64() }),
    ),
  })
);

/** objects/ab/<digest>/stat.json: output file → its stat when last known intact. */
export const objectStatsSchema = z.lazy(() => z.record(z.string(), z.looseObject(statKeyShape())));

/** A stat cache entry (stat_cache.ts): the stat plus the cached value. */
export function statEntrySchema<V extends z.ZodType>(value: V) {
  return z.lazy(() => z.looseObject({ ...statKeyShape(), value }));
}

/** runs/<id>/run.json (results.ts RunRecord). */
export const runRecordSchema = z.lazy(() =>
  z.looseObject({
    runId: z.string().min(1),
    pipeline: z.string(),
    paramSet: z.string(),
    pipelineParams: z.record(z.string(), z.unknown()),
    status: z.enum(["running", "ok", "failed", "interrupted"]),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    host: z.string(),
    pid: z.number(),
    pidStart: z.number(),
    argv: z.array(z.string()),
    versions: stringRecord(),
    previousRunId: z.string().nullable(),
    description: z.string(),
    article: article(),
    headline: z.looseObject({ label: z.string(), value: z.number().nullable(), lowerIsBetter: z.boolean() })
      .nullable(),
    report: z.string().nullable(),
    claims: z.array(claimVerdict()).default([]),
    sweepId: z.string().nullable().exactOptional(),
  })
);

/** The one field of run.json that the history follows from run to run (history.ts stageHistory). */
export const previousRunSchema = z.lazy(() => z.looseObject({ previousRunId: z.string().nullable() }));

/** One line of runs/<id>/stages.jsonl (results.ts StageRow). */
export const stageRowSchema = z.lazy(() =>
  z.looseObject({
    runId: z.string(),
    pipeline: z.string(),
    stage: z.string(),
    kind: z.string(),
    key: z.string().nullable(),
    object: z.string().nullable(),
    status: z.enum(["ran", "cached", "failed", "skipped", "interrupted"]),
    reason: z.string(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    host: z.string(),
    codeDigest: z.string(),
    codeFiles: z.array(codeFile()),
    params: z.unknown(),
    inputs: stringRecord(),
    runtime: stringRecord(),
    files: stringRecord().exactOptional(),
    producerRunId: z.string().nullable(),
    error: z.string().nullable(),
    reasons: z.array(reason()).default([]),
    pipelineDigest: optionalString(),
  })
);

/** pointers/<pipeline>/<name>.json. */
export const pointerSchema = z.lazy(() => z.looseObject({ runId: z.string().regex(/^[A-Za-z0-9_.-]+$/) }));

/** cache/pipelines.json (publish.ts): what the reports index shows for a pipeline that never ran. */
export const pipelineMetaCacheSchema = z.lazy(() =>
  z.record(z.string(), z.looseObject({ description: z.string(), article: article(), mtimeMs: z.number() }))
);

/** The outcome of reading a store file: its value, or why there is none. */
export type StoreRead<T> =
  | { ok: true; value: T }
  | { ok: false; missing: boolean; problem: string };

/** Checks parsed JSON against `schema`; the problem names the first wrong field. */
export function checkShape<S extends z.ZodType>(schema: S, data: unknown): StoreRead<z.output<S>> {
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const where = issue && issue.path.length ? `at ${issue.path.join(".")}: ` : "";
  return {
    ok: false,
    missing: false,
    problem: `it has the wrong shape (${where}${issue?.message ?? "invalid"})`,
  };
}

/** Reads and validates the JSON file at `path`. Never throws for a missing, unreadable or wrong file. */
export function readStoreFile<S extends z.ZodType>(path: string, schema: S): StoreRead<z.output<S>> {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    const missing = error instanceof Deno.errors.NotFound;
    return {
      ok: false,
      missing,
      problem: missing ? "it is missing" : `it cannot be read (${message(error)})`,
    };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, missing: false, problem: "it is not valid JSON (cut short or overwritten?)" };
  }
  return checkShape(schema, data);
}

/** The value of a store file, or `fallback` when it is missing or wrong (for caches, rebuilt on use). */
export function readStoreFileOr<S extends z.ZodType, F>(
  path: string,
  schema: S,
  fallback: F,
): z.output<S> | F {
  const read = readStoreFile(path, schema);
  return read.ok ? read.value : fallback;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
