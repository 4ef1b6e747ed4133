/**
 * Comparing runs: `deno task runs` (the recent runs with their headline, claims and duration) and
 * `deno task diff A B` (which params differ, which stages ran or came from the cache and whether their
 * outputs differ, and the metrics side by side with their difference), like `dvc params diff` with
 * `dvc metrics diff`. Everything comes from the run records and key records in the store.
 *
 * @module
 */
import { formatValue } from "./claims.ts";
import { readPointer, readRun, readStageRows, runDir } from "./history.ts";
import type { RunRecord, StageRow } from "./results.ts";
import { flatten } from "./results.ts";
import type { Store } from "./store.ts";

/** Every run record in the store, newest first. */
export function allRuns(store: Store): RunRecord[] {
  const runs: RunRecord[] = [];
  for (const entry of Deno.readDirSync(`${store.root}/runs`)) {
    if (!entry.isDirectory) continue;
    const run = readRun(store, entry.name);
    if (run) runs.push(run);
  }
  return runs.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}

export class RunRefError extends Error {
  override name = "RunRefError";
}

/**
 * The run a reference names: a run id, `latest` (of `pipeline` when given, else of any pipeline),
 * `latest~N` (N runs before it), a pipeline name (its latest run) or a param-set id (the latest run
 * with those params).
 */
export function resolveRun(store: Store, ref: string, pipeline?: string): RunRecord {
  const direct = readRun(store, ref);
  if (direct) return direct;
  const runs = allRuns(store);
  const back = /^latest(?:~(\d+))?$/.exec(ref);
  if (back) {
    const pool = pipeline ? runs.filter((r) => r.pipeline === pipeline) : runs;
    const run = pool[Number(back[1] ?? 0)];
    if (!run) {
      throw new RunRefError(
        `There is no run '${ref}'${pipeline ? ` of ${pipeline}` : ""}: the store has ${pool.length} run${
          pool.length === 1 ? "" : "s"
        }${pipeline ? " of it" : ""}`,
      );
    }
    return run;
  }
  const ofPipeline = readPointer(store, ref);
  if (ofPipeline) return readRun(store, ofPipeline.runId) ?? notFound(ref);
  const withParams = runs.find((r) => r.paramSet === ref);
  if (withParams) return withParams;
  return notFound(ref);
}

function notFound(ref: string): never {
  throw new RunRefError(
    `Cannot find run '${ref}': give a run id (deno task runs lists them), latest, latest~N, a pipeline name or a param set`,
  );
}

/** One changed value. */
export interface Change {
  name: string;
  a: string | null;
  b: string | null;
}

export interface StageComparison {
  stage: string;
  a: { status: string; key: string | null; object: string | null } | null;
  b: { status: string; key: string | null; object: string | null } | null;
  sameOutput: boolean;
}

export interface MetricComparison {
  name: string;
  a: number | null;
  b: number | null;
}

export interface RunDiff {
  a: RunRecord;
  b: RunRecord;
  params: Change[];
  stages: StageComparison[];
  metrics: MetricComparison[];
  claims: Change[];
}

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** The params of a run, flattened: pipeline params by name, stage params as `stage.path`. */
function paramsOf(run: RunRecord, rows: StageRow[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of flatten(run.pipelineParams)) out.set(k, show(v));
  for (const row of rows) for (const [k, v] of flatten(row.params)) out.set(`${row.stage}.${k}`, show(v));
  return out;
}

/** The last value of every metric of every stage of a run, from the key records of its outputs. */
function metricsOf(store: Store, rows: StageRow[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of rows) {
    const record = row.key ? store.readKey(row.key) : null;
    for (const [name, value] of Object.entries(record?.lastMetrics ?? {})) {
      out.set(`${row.stage}.${name}`, value);
    }
  }
  return out;
}

/** Compares two runs. */
export function diffRuns(store: Store, a: RunRecord, b: RunRecord): RunDiff {
  const rowsA = readStageRows(store, a.runId);
  const rowsB = readStageRows(store, b.runId);
  const pa = paramsOf(a, rowsA), pb = paramsOf(b, rowsB);
  const params = [...new Set([...pa.keys(), ...pb.keys()])].sort()
    .filter((k) => pa.get(k) !== pb.get(k))
    .map((name) => ({ name, a: pa.get(name) ?? null, b: pb.get(name) ?? null }));
  const names = [...new Set([...rowsA.map((r) => r.stage), ...rowsB.map((r) => r.stage)])];
  const pick = (r: StageRow | undefined) => (r ? { status: r.status, key: r.key, object: r.object } : null);
  const stages = names.map((stage) => {
    const ra = rowsA.find((r) => r.stage === stage), rb = rowsB.find((r) => r.stage === stage);
    return { stage, a: pick(ra), b: pick(rb), sameOutput: !!ra?.object && ra.object === rb?.object };
  });
  const ma = metricsOf(store, rowsA), mb = metricsOf(store, rowsB);
  const metrics = [...new Set([...ma.keys(), ...mb.keys()])].sort()
    .map((name) => ({ name, a: ma.get(name) ?? null, b: mb.get(name) ?? null }));
  const ca = new Map((a.claims ?? []).map((c) => [c.id, c.verdict as string]));
  const cb = new Map((b.claims ?? []).map((c) => [c.id, c.verdict as string]));
  const claims = [...new Set([...ca.keys(), ...cb.keys()])]
    .map((name) => ({ name, a: ca.get(name) ?? null, b: cb.get(name) ?? null }));
  return { a, b, params, stages, metrics, claims };
}

function columns(rows: string[][], indent = "  "): string {
  if (rows.length === 0) return `${indent}(none)`;
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => indent + r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

/** The diff as text for the terminal. */
export function formatDiff(d: RunDiff, options: { all?: boolean } = {}): string {
  const head = (r: RunRecord) => `${r.runId} (${r.pipeline}, param set ${r.paramSet}, ${r.status})`;
  const stageText = (s: StageComparison["a"]) => (s ? `${s.status} ${s.key ? s.key.slice(0, 10) : ""}` : "—");
  const metrics = d.metrics.filter((m) => options.all || m.a !== m.b);
  const delta = (m: MetricComparison) => {
    if (m.a === null || m.b === null) return "";
    const diff = m.b - m.a;
    const pct = m.a !== 0 ? ` (${diff >= 0 ? "+" : ""}${formatValue((100 * diff) / Math.abs(m.a))}%)` : "";
    return `${diff >= 0 ? "+" : ""}${formatValue(diff)}${pct}`;
  };
  const num = (v: number | null) => (v === null ? "—" : formatValue(v));
  return [
    `A ${head(d.a)}`,
    `B ${head(d.b)}`,
    "",
    "params (A → B)",
    columns(d.params.map((p) => [p.name, p.a ?? "(unset)", "→", p.b ?? "(unset)"])),
    "",
    "stages",
    columns([
      ["", "A", "B", ""],
      ...d.stages.map((
        s,
      ) => [s.stage, stageText(s.a), stageText(s.b), s.sameOutput ? "same output" : "different output"]),
    ]),
    "",
    `metrics${options.all ? "" : " that differ"} (last value of each)`,
    columns([["", "A", "B", "B − A"], ...metrics.map((m) => [m.name, num(m.a), num(m.b), delta(m)])]),
    ...(d.claims.length
      ? [
        "",
        "claims",
        columns(
          d.claims.map((c) => [c.name, c.a ?? "—", c.a === c.b ? "" : "→", c.a === c.b ? "" : c.b ?? "—"]),
        ),
      ]
      : []),
  ].join("\n");
}

/** Run ids of a sweep's points (runs tagged with its id). */
export function runsOfSweep(runs: readonly RunRecord[], sweepId: string): RunRecord[] {
  return runs.filter((r) => r.sweepId === sweepId);
}

/** Counts of a run's stage statuses, from its rows. */
export function stageCounts(store: Store, run: RunRecord): { ran: number; cached: number } {
  let ran = 0, cached = 0;
  for (const row of readStageRows(store, run.runId)) {
    row.status === "ran" ? ran++ : row.status === "cached" ? cached++ : 0;
  }
  return { ran, cached };
}

export { runDir };
