/**
 * Reading onnxruntime's profiler output (session option `enableProfiling`, see
 * {@link SessionOptions.profileFilePrefix} in session.ts) into tables of kernel time: by ONNX op type, by
 * part of a train step (forward, gradient, gradient of a gradient, optimizer, taken from the layer paths
 * in node names, README "Names") and by layer path.
 *
 * The profiler writes one JSON array of Chrome-trace events per session. Each executed kernel is an event
 * of category "Node" named `<node name>_kernel_time` with its duration in µs and its op type in
 * `args.op_name`; each `run()` is a "Session" event `model_run`. Nodes inside a Scan body are reported on
 * their own as well, so control-flow nodes (Scan, Loop, If) are left out of the kernel totals, which would
 * otherwise count their bodies twice.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mlpClassifierStep } from "./models/mlp.ts";
 * import { readProfile, summarizeProfile } from "./profile.ts";
 * import { TrainRunner } from "./runner.ts";
 *
 * const step = mlpClassifierStep({ inputDim: 4, hidden: [8], classes: 2, batch: 2 });
 * const batch = { x: new Float32Array(8), y: Int32Array.of(0, 1) };
 * const dir = await Deno.makeTempDir();
 * const runner = await TrainRunner.create(step, { seed: 0, profileFilePrefix: `${dir}/mlp` });
 * for (let i = 0; i < 20; i++) await runner.step(batch);
 * runner.endProfiling(); // each session writes <prefix>_<date>.json
 * await runner.release();
 * const [file] = [...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`);
 * const summary = summarizeProfile(await readProfile(file!), { skipRuns: 5 });
 * assert.equal(summary.runs, 15);
 * assert.deepEqual(summary.byPart.map((r) => r.key).sort(), ["forward", "grad", "optimizer"]);
 * assert.ok(summary.byOp.some((r) => r.key === "Gemm"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

/** One event of onnxruntime's Chrome-trace profile. */
export interface ProfileEvent {
  readonly cat: string;
  readonly name: string;
  readonly ts: number;
  readonly dur: number;
  readonly args?: Readonly<Record<string, unknown>>;
}

/** A row of a profile table: total kernel time under `key`, per run. */
export interface ProfileRow {
  readonly key: string;
  /** Milliseconds per run. */
  readonly ms: number;
  /** Fraction of all kernel time. */
  readonly share: number;
  /** Kernel calls per run. */
  readonly calls: number;
}

/** Kernel time of the profiled runs, broken down three ways. */
export interface ProfileSummary {
  /** Runs the totals are averaged over. */
  readonly runs: number;
  /** Mean wall time of one `run()` in ms, as the profiler saw it (includes the Scan overhead, copies). */
  readonly runMs: number;
  /** Kernel time per run in ms (control-flow nodes excluded). */
  readonly kernelMs: number;
  readonly byOp: readonly ProfileRow[];
  readonly byPart: readonly ProfileRow[];
  readonly byPath: readonly ProfileRow[];
}

const CONTROL_FLOW = new Set(["Scan", "Loop", "If"]);

/** Reads the profile JSON written by onnxruntime. */
export async function readProfile(file: string): Promise<ProfileEvent[]> {
  return JSON.parse(await Deno.readTextFile(file)) as ProfileEvent[];
}

/**
 * The part of a train step a node belongs to, from its layer path: `optimizer` (optimizer updates, and
 * the nodes that write the next carried values `next/…`), `grad/grad` (second-order gradients, e.g. of a
 * gradient penalty), `grad` (first-order gradients), or `forward`.
 */
export function stepPart(nodeName: string): string {
  if (nodeName.startsWith("opt/") || nodeName.startsWith("next/")) return "optimizer";
  if (nodeName.startsWith("grad/grad/")) return "grad/grad";
  if (nodeName.startsWith("grad/")) return "grad";
  return "forward";
}

/**
 * The layer path of a node name: the name without its last segment (the op, possibly with a `_N`
 * suffix or onnxruntime's fusion suffix), e.g. `grad/critic/conv1` for `grad/critic/conv1/ConvTranspose_2`.
 * Optimizer nodes are grouped per optimizer label (`opt/critic`); the nodes that write a next carried
 * value (`next/opt/…` for optimizer slots, `next/<param>` for `param + update`) count as `opt/…` too.
 */
export function layerPath(nodeName: string): string {
  const parts = nodeName.split("/");
  if (parts[0] === "next") {
    if (parts[1] === "opt") return parts.slice(1, 3).join("/");
    return parts[1] === "step" ? "step" : "opt (param + update)";
  }
  if (parts[0] === "opt") return parts.slice(0, 2).join("/");
  return parts.length > 1 ? parts.slice(0, -1).join("/") : "(top level)";
}

function table(
  totals: Map<string, { us: number; calls: number }>,
  runs: number,
  totalUs: number,
): ProfileRow[] {
  return [...totals].map(([key, v]) => ({
    key,
    ms: v.us / runs / 1000,
    share: totalUs > 0 ? v.us / totalUs : 0,
    calls: v.calls / runs,
  })).sort((a, b) => b.ms - a.ms || (a.key < b.key ? -1 : 1));
}

/**
 * Sums the kernel time of the runs after the first `skipRuns` (warm-up: the first runs allocate and
 * tune), per op type, per part of the step ({@link stepPart}) and per layer path ({@link layerPath}).
 */
export function summarizeProfile(
  events: readonly ProfileEvent[],
  opts: { skipRuns?: number } = {},
): ProfileSummary {
  const runs = events.filter((e) => e.cat === "Session" && e.name === "model_run")
    .sort((a, b) => a.ts - b.ts)
    .slice(opts.skipRuns ?? 0);
  if (runs.length === 0) {
    throw new Error(
      `the profile has no runs after skipping ${opts.skipRuns ?? 0} (run the session more often)`,
    );
  }
  const start = runs[0]!.ts;
  const byOp = new Map<string, { us: number; calls: number }>();
  const byPart = new Map<string, { us: number; calls: number }>();
  const byPath = new Map<string, { us: number; calls: number }>();
  const bump = (m: Map<string, { us: number; calls: number }>, key: string, us: number) => {
    const v = m.get(key) ?? { us: 0, calls: 0 };
    v.us += us;
    v.calls += 1;
    m.set(key, v);
  };
  let total = 0;
  for (const e of events) {
    if (e.cat !== "Node" || !e.name.endsWith("_kernel_time") || e.ts < start) continue;
    const op = String(e.args?.op_name ?? "?");
    if (CONTROL_FLOW.has(op)) continue;
    const node = e.name.slice(0, -"_kernel_time".length);
    total += e.dur;
    bump(byOp, op, e.dur);
    bump(byPart, stepPart(node), e.dur);
    bump(byPath, layerPath(node), e.dur);
  }
  const n = runs.length;
  return {
    runs: n,
    runMs: runs.reduce((a, r) => a + r.dur, 0) / n / 1000,
    kernelMs: total / n / 1000,
    byOp: table(byOp, n, total),
    byPart: table(byPart, n, total),
    byPath: table(byPath, n, total),
  };
}
