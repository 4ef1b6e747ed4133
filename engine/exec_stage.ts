/**
 * `exec-stage`: executes one stage of a pipeline, named by its key, against a store that a driver
 * shares (what a Slurm job runs, slurm.ts). It re-plans the same pipeline with the same overrides,
 * takes the stage's upstream outputs from the store (they must be committed: the driver ran them),
 * checks that the stage's key here equals the driver's (same code, params, inputs and runtime on this
 * node), and executes it through execute.ts, which commits the output and its key record. The driver
 * holds the stage's key lock meanwhile, so the job takes none.
 *
 * It writes `runs/<run>/logs/<stage>.result.json` for the driver: a message when it failed. The driver
 * trusts only the committed entry, never this file or the exit code.
 *
 * @module
 */
import { evaluateClaims } from "./claims.ts";
import { decide, inputObjects } from "./decide.ts";
import { executeStage, recordToUpstream } from "./execute.ts";
import { readRun } from "./history.ts";
import type { Override } from "./params.ts";
import type { PipelineDef } from "./pipeline.ts";
import { upstreamOf } from "./plan.ts";
import { currentProcess } from "./process_lock.ts";
import type { ProgressBoard, Style } from "./progress.ts";
import type { Reason } from "./reasons.ts";
import { claimLookup, prepare } from "./runner.ts";
import { type JobResult, resultPath } from "./slurm.ts";
import { type KeyRecord, type Store, writeAtomic } from "./store.ts";

export interface ExecStageOptions {
  store: Store;
  root: string;
  pipeline: PipelineDef;
  overrides: readonly Override[];
  force: readonly string[];
  stage: string;
  /** The key the driver computed: the stage executes only if its key here is the same. */
  key: string;
  /** The driver's run: its record names the run, and its folder gets the logs and metrics. */
  runId: string;
  threads: number;
  verbose: boolean;
  style: Style;
  board: ProgressBoard;
  signal: AbortSignal;
}

/** What came of it; `mismatch` means this node would compute another key than the driver did. */
export type ExecStageOutcome =
  | { status: "ran" | "cached" }
  | { status: "failed" | "interrupted" | "mismatch"; error: string };

/** Executes the stage, writes the job result for the driver, and returns the outcome. */
export async function execStage(o: ExecStageOptions): Promise<ExecStageOutcome> {
  const outcome = await execute(o);
  const result: JobResult = {
    ok: outcome.status === "ran" || outcome.status === "cached",
    status: outcome.status,
    ...("error" in outcome ? { error: outcome.error } : {}),
    ...(outcome.status === "interrupted" ? { interrupted: true } : {}),
    host: currentProcess().host,
    ...(Deno.env.get("SLURM_JOB_ID") ? { jobId: Deno.env.get("SLURM_JOB_ID")! } : {}),
  };
  await writeAtomic(resultPath(o.store, o.runId, o.stage), JSON.stringify(result)).catch(() => {});
  return outcome;
}

async function execute(o: ExecStageOptions): Promise<ExecStageOutcome> {
  const { store } = o;
  const prepared = prepare({
    store,
    root: o.root,
    pipeline: o.pipeline,
    overrides: o.overrides,
    force: o.force,
  });
  const target = prepared.plan.find((s) => s.name === o.stage);
  if (!target) {
    return { status: "mismatch", error: `${o.pipeline.name} has no stage ${o.stage} on this node` };
  }
  const run = readRun(store, o.runId);
  if (!run) {
    return {
      status: "mismatch",
      error: `the driver's run record runs/${o.runId}/run.json is not in ${store.root} on this node: ` +
        `the store must be shared between the driver and the nodes`,
    };
  }
  const objects = new Map<string, string>();
  const records = new Map<string, KeyRecord>();
  const upstream = upstreamOf(prepared.plan, o.stage);
  for (const u of upstream) {
    const d = await decide({
      store,
      stage: u,
      objects,
      ranNow: new Set(),
      previous: undefined,
      forced: null,
      shown: prepared.shown,
    });
    if (d.action !== "cached") {
      return {
        status: "mismatch",
        error: `upstream stage ${u.name} has no committed output in ${store.root} on this node ` +
          `(${
            d.action === "run" ? "its key differs from the driver's, or the store is not shared" : "pending"
          })`,
      };
    }
    objects.set(u.name, d.record.object);
    records.set(u.name, d.record);
  }
  const forced: Reason | null = prepared.forced.has(o.stage) ? { kind: "forced", subject: o.stage } : null;
  const decision = await decide({
    store,
    stage: target,
    objects,
    ranNow: new Set(),
    previous: undefined,
    forced,
    shown: prepared.shown,
  });
  if (decision.action === "pending" || decision.key !== o.key) {
    const here = decision.action === "pending" ? "none" : decision.key?.slice(0, 12);
    return {
      status: "mismatch",
      error: `the key of ${o.stage} on this node (${here}…) is not the driver's (${o.key.slice(0, 12)}…): ` +
        `the code, params, inputs or runtime differ between them (the same checkout and Deno on every node?)`,
    };
  }
  if (decision.action === "cached") return { status: "cached" }; // committed meanwhile (a retry)
  const result = await executeStage({
    store,
    run: { ...run, host: currentProcess().host, pid: Deno.pid },
    stage: target,
    key: o.key,
    inputObjects: inputObjects(target, objects) as Record<string, string>,
    upstream: upstream.map((u) => recordToUpstream(u.name, records.get(u.name)!)),
    claims: target.kind.readsPipeline ? evaluateClaims(prepared.claims, claimLookup(records, [])) : [],
    about: prepared.shown.definitions.about,
    board: o.board,
    label: o.stage,
    verbose: o.verbose,
    style: o.style,
    hasher: prepared.hasher,
    fileHasher: prepared.fileHasher,
    threads: o.threads,
    ...(decision.prefix ? { prefix: decision.prefix } : {}),
    ...(decision.continueFrom ? { continueFrom: decision.continueFrom } : {}),
    signal: o.signal,
  });
  if (result.ok) return { status: "ran" };
  return { status: result.interrupted ? "interrupted" : "failed", error: result.error };
}
