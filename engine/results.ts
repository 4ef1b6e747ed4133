/**
 * Run results as Parquet files, written per run and never rewritten, so that concurrent runs never
 * fight over a database: `deno task query` builds DuckDB views over them (query.ts).
 *
 * ```
 * runs/<run-id>/run.parquet        one row: the run
 * runs/<run-id>/stages.parquet     one row per stage: status, reason, key, timings, params, versions, files
 * runs/<run-id>/params.parquet     one row per (stage, param): flattened, with a numeric column
 * runs/<run-id>/reasons.parquet    one row per reason a stage ran or was cached (kind, subject, before, after)
 * runs/<run-id>/claims.parquet     one row per claim of the pipeline: its verdict in this run
 * runs/<run-id>/metrics/*.parquet  (step, name, value) rows, flushed while a stage runs
 * ```
 *
 * Writing uses hyparquet-writer (pure JS, ~30 ms to load) rather than DuckDB (~140 ms), because every
 * `run` writes these files and a fully cached run must stay fast.
 *
 * @module
 */
import { parquetWriteBuffer } from "hyparquet-writer";
import { type ClaimVerdict, tallyClaims } from "./claims.ts";
import type { Reason } from "./reasons.ts";

type Column = {
  name: string;
  type: "STRING" | "DOUBLE" | "INT64" | "BOOLEAN" | "TIMESTAMP";
  data: unknown[];
};

function writeParquet(path: string, columns: Column[]): void {
  const buffer = parquetWriteBuffer(
    {
      // Uncompressed: these files are small, and snappy would cost time on every run for nothing.
      codec: "UNCOMPRESSED",
      columnData: columns.map((c) => ({
        name: c.name,
        type: c.type,
        data: c.data as never[],
        nullable: true,
      })),
    } as Parameters<typeof parquetWriteBuffer>[0],
  );
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    Deno.writeFileSync(tmp, new Uint8Array(buffer));
    Deno.renameSync(tmp, path);
  } catch (error) {
    try {
      Deno.removeSync(tmp); // a full disk: leave no partial file behind
    } catch {
      // never created
    }
    throw error;
  }
}

const timestamp = (iso: string | null) => (iso ? new Date(iso) : null);

export type StageStatus = "ran" | "cached" | "failed" | "skipped" | "interrupted";

/** One stage's outcome in one run (also the line format of stages.jsonl). */
export interface StageRow {
  runId: string;
  pipeline: string;
  stage: string;
  kind: string;
  key: string | null;
  object: string | null;
  status: StageStatus;
  /** The reasons as text, as printed. */
  reason: string;
  /** The same reasons as data. */
  reasons: Reason[];
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  host: string;
  codeDigest: string;
  codeFiles: { path: string; digest: string }[];
  params: unknown;
  inputs: Record<string, string>;
  runtime: Record<string, string>;
  /** External path → content digest, for stages whose kind declares `externalFiles` (absent otherwise). */
  files?: Record<string, string>;
  /** The run that produced the object (this run when status is "ran"). */
  producerRunId: string | null;
  error: string | null;
  /** Digest of what the pipeline shows of itself, for stages that read it (StageKind.readsPipeline). */
  pipelineDigest?: string;
}

export type RunStatus = "running" | "ok" | "failed" | "interrupted";

export interface RunRecord {
  runId: string;
  pipeline: string;
  paramSet: string;
  pipelineParams: Record<string, unknown>;
  status: RunStatus;
  startedAt: string;
  endedAt: string | null;
  host: string;
  pid: number;
  pidStart: number;
  argv: string[];
  versions: Record<string, string>;
  previousRunId: string | null;
  /** Shown by `list` and the reports index without loading the pipeline module. */
  description: string;
  article: { title: string; url: string; date?: string };
  headline: { label: string; value: number | null; lowerIsBetter: boolean } | null;
  report: string | null;
  /** The verdict of each of the pipeline's claims in this run (empty while running). */
  claims: ClaimVerdict[];
  /** The sweep this run is a point of (`run --sweep`), if any. */
  sweepId?: string | null;
}

export function writeRunParquet(runDir: string, run: RunRecord, stages: StageRow[]): void {
  const count = (s: StageStatus) => stages.filter((r) => r.status === s).length;
  const tally = tallyClaims(run.claims ?? []);
  writeParquet(`${runDir}/run.parquet`, [
    { name: "run_id", type: "STRING", data: [run.runId] },
    { name: "pipeline", type: "STRING", data: [run.pipeline] },
    { name: "param_set", type: "STRING", data: [run.paramSet] },
    { name: "status", type: "STRING", data: [run.status] },
    { name: "started_at", type: "TIMESTAMP", data: [timestamp(run.startedAt)] },
    { name: "ended_at", type: "TIMESTAMP", data: [timestamp(run.endedAt)] },
    {
      name: "duration_ms",
      type: "DOUBLE",
      data: [run.endedAt ? Date.parse(run.endedAt) - Date.parse(run.startedAt) : null],
    },
    { name: "host", type: "STRING", data: [run.host] },
    { name: "argv", type: "STRING", data: [run.argv.join(" ")] },
    { name: "n_stages", type: "INT64", data: [BigInt(stages.length)] },
    { name: "n_ran", type: "INT64", data: [BigInt(count("ran"))] },
    { name: "n_cached", type: "INT64", data: [BigInt(count("cached"))] },
    { name: "n_failed", type: "INT64", data: [BigInt(count("failed"))] },
    { name: "pipeline_params", type: "STRING", data: [JSON.stringify(run.pipelineParams)] },
    { name: "versions", type: "STRING", data: [JSON.stringify(run.versions)] },
    { name: "headline", type: "STRING", data: [run.headline?.label ?? null] },
    { name: "headline_value", type: "DOUBLE", data: [run.headline?.value ?? null] },
    { name: "sweep_id", type: "STRING", data: [run.sweepId ?? null] },
    { name: "claims_total", type: "INT64", data: [BigInt(tally.total)] },
    { name: "claims_reproduced", type: "INT64", data: [BigInt(tally.reproduced)] },
  ]);
  writeParquet(`${runDir}/stages.parquet`, [
    { name: "run_id", type: "STRING", data: stages.map((s) => s.runId) },
    { name: "pipeline", type: "STRING", data: stages.map((s) => s.pipeline) },
    { name: "stage", type: "STRING", data: stages.map((s) => s.stage) },
    { name: "kind", type: "STRING", data: stages.map((s) => s.kind) },
    { name: "status", type: "STRING", data: stages.map((s) => s.status) },
    { name: "cache_hit", type: "BOOLEAN", data: stages.map((s) => s.status === "cached") },
    { name: "reason", type: "STRING", data: stages.map((s) => s.reason) },
    { name: "key", type: "STRING", data: stages.map((s) => s.key) },
    { name: "object", type: "STRING", data: stages.map((s) => s.object) },
    { name: "started_at", type: "TIMESTAMP", data: stages.map((s) => timestamp(s.startedAt)) },
    { name: "ended_at", type: "TIMESTAMP", data: stages.map((s) => timestamp(s.endedAt)) },
    { name: "duration_ms", type: "DOUBLE", data: stages.map((s) => s.durationMs) },
    { name: "host", type: "STRING", data: stages.map((s) => s.host) },
    { name: "code_digest", type: "STRING", data: stages.map((s) => s.codeDigest) },
    { name: "code_files", type: "STRING", data: stages.map((s) => s.codeFiles.map((f) => f.path).join(" ")) },
    { name: "params", type: "STRING", data: stages.map((s) => JSON.stringify(s.params)) },
    { name: "versions", type: "STRING", data: stages.map((s) => JSON.stringify(s.runtime)) },
    { name: "files", type: "STRING", data: stages.map((s) => (s.files ? JSON.stringify(s.files) : null)) },
    { name: "producer_run_id", type: "STRING", data: stages.map((s) => s.producerRunId) },
    { name: "error", type: "STRING", data: stages.map((s) => s.error) },
  ]);
  const reasons = stages.flatMap((s) => (s.reasons ?? []).map((r) => ({ s, r })));
  writeParquet(`${runDir}/reasons.parquet`, [
    { name: "run_id", type: "STRING", data: reasons.map(({ s }) => s.runId) },
    { name: "pipeline", type: "STRING", data: reasons.map(({ s }) => s.pipeline) },
    { name: "stage", type: "STRING", data: reasons.map(({ s }) => s.stage) },
    { name: "status", type: "STRING", data: reasons.map(({ s }) => s.status) },
    { name: "kind", type: "STRING", data: reasons.map(({ r }) => r.kind) },
    { name: "subject", type: "STRING", data: reasons.map(({ r }) => r.subject ?? null) },
    { name: "before", type: "STRING", data: reasons.map(({ r }) => r.before ?? null) },
    { name: "after", type: "STRING", data: reasons.map(({ r }) => r.after ?? null) },
    { name: "note", type: "STRING", data: reasons.map(({ r }) => r.note ?? null) },
  ]);
  const claims = run.claims ?? [];
  writeParquet(`${runDir}/claims.parquet`, [
    { name: "run_id", type: "STRING", data: claims.map(() => run.runId) },
    { name: "pipeline", type: "STRING", data: claims.map(() => run.pipeline) },
    { name: "param_set", type: "STRING", data: claims.map(() => run.paramSet) },
    { name: "claim_id", type: "STRING", data: claims.map((c) => c.id) },
    { name: "claim", type: "STRING", data: claims.map((c) => c.claim) },
    { name: "verdict", type: "STRING", data: claims.map((c) => c.verdict) },
    { name: "ours", type: "DOUBLE", data: claims.map((c) => c.ours) },
    { name: "ours_from", type: "STRING", data: claims.map((c) => c.oursFrom) },
    { name: "reference", type: "DOUBLE", data: claims.map((c) => c.reference) },
    { name: "reference_source", type: "STRING", data: claims.map((c) => c.referenceSource) },
    { name: "rule", type: "STRING", data: claims.map((c) => c.rule) },
    { name: "detail", type: "STRING", data: claims.map((c) => c.detail) },
    { name: "differs", type: "STRING", data: claims.map((c) => c.differs) },
  ]);
  const params = stages.flatMap((s) => flatten(s.params).map(([name, value]) => ({ s, name, value })));
  writeParquet(`${runDir}/params.parquet`, [
    { name: "run_id", type: "STRING", data: params.map((p) => p.s.runId) },
    { name: "pipeline", type: "STRING", data: params.map((p) => p.s.pipeline) },
    { name: "stage", type: "STRING", data: params.map((p) => p.s.stage) },
    { name: "name", type: "STRING", data: params.map((p) => p.name) },
    {
      name: "value",
      type: "STRING",
      data: params.map((p) => (typeof p.value === "string" ? p.value : JSON.stringify(p.value))),
    },
    {
      name: "value_num",
      type: "DOUBLE",
      data: params.map((p) => (typeof p.value === "number" ? p.value : null)),
    },
  ]);
}

/** Flattens nested params to dotted names; arrays stay whole values. */
export function flatten(value: unknown, prefix = ""): [string, unknown][] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return prefix ? [[prefix, value]] : [];
  }
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    flatten(v, prefix ? `${prefix}.${k}` : k)
  );
}

/**
 * Collects a stage's metrics and writes them to Parquet in chunks while the stage runs (at most every
 * `flushMs`), so that a stage that fails or is killed keeps what it logged.
 */
export class MetricsSink {
  #rows: { step: number; name: string; value: number }[] = [];
  #chunk = 0;
  #lastFlush = performance.now();
  readonly last: Record<string, number> = {};

  constructor(
    readonly dir: string,
    readonly ids: { runId: string; pipeline: string; stage: string; key: string },
    readonly flushMs = 5_000,
  ) {}

  add(step: number, values: Readonly<Record<string, number>>): void {
    for (const [name, value] of Object.entries(values)) {
      const v = Number.isFinite(value) ? value : NaN;
      this.#rows.push({ step, name, value: v });
      this.last[name] = v;
    }
    if (this.#rows.length >= 50_000 || performance.now() - this.#lastFlush > this.flushMs) this.flush();
  }

  flush(): void {
    this.#lastFlush = performance.now();
    if (this.#rows.length === 0) return;
    const rows = this.#rows;
    this.#rows = [];
    Deno.mkdirSync(this.dir, { recursive: true });
    const n = rows.length;
    const chunk = String(this.#chunk++).padStart(4, "0");
    writeParquet(`${this.dir}/${this.ids.stage}-${chunk}.parquet`, [
      { name: "run_id", type: "STRING", data: Array(n).fill(this.ids.runId) },
      { name: "pipeline", type: "STRING", data: Array(n).fill(this.ids.pipeline) },
      { name: "stage", type: "STRING", data: Array(n).fill(this.ids.stage) },
      { name: "key", type: "STRING", data: Array(n).fill(this.ids.key) },
      { name: "step", type: "INT64", data: rows.map((r) => BigInt(Math.round(r.step))) },
      { name: "name", type: "STRING", data: rows.map((r) => r.name) },
      { name: "value", type: "DOUBLE", data: rows.map((r) => r.value) },
    ]);
  }
}
