/**
 * Runs a pipeline: plan, then for each stage in order either take it from the cache or execute it,
 * recording why. See docs/architecture.md for the whole picture.
 *
 * A stage executes at most once per cache key across concurrent processes: it runs under a lock named
 * after its key, and a process that finds the lock held waits, then takes the result from the cache.
 *
 * @module
 */
import { canonicalJson } from "./canonical_json.ts";
import {
  type ClaimDef,
  type ClaimVerdict,
  evaluateClaims,
  type MetricLookup,
  tallyClaims,
  tallyText,
} from "./claims.ts";
import { CodeHasher } from "./code_digest.ts";
import { FileHasher } from "./file_digest.ts";
import { sha256Hex } from "./hash.ts";
import {
  appendStageRow,
  finishRun,
  markActive,
  newRunId,
  readPointer,
  recoverDeadRuns,
  runDir,
  type StageHistory,
  stageHistory,
  unmarkActive,
  writePointers,
  writeRun,
} from "./history.ts";
import type { Override } from "./params.ts";
import { resolveParams } from "./params.ts";
import type { PipelineDef } from "./pipeline.ts";
import { decide, inputObjects, lookupCached } from "./decide.ts";
import { recordToUpstream } from "./execute.ts";
import { type Executor, localExecutor } from "./executor.ts";
import {
  checkClaims,
  dependencies,
  downstreamOf,
  PlanError,
  type PlannedStage,
  planStages,
  upstreamOf,
} from "./plan.ts";
import { currentProcess, describeHolder, lock, LockWaitInterrupted } from "./process_lock.ts";
import { formatDuration, makeStyle, ProgressBoard, type Style } from "./progress.ts";
import { type Reason, reasonText } from "./reasons.ts";
import type { RunRecord, RunStatus, StageRow } from "./results.ts";
import type { PipelineAbout } from "./stage.ts";
import type { KeyRecord, Store } from "./store.ts";
import { closest } from "./suggest.ts";

export interface RunOptions {
  store: Store;
  /** Project root: the folder of deno.json (code paths are shown relative to it). */
  root: string;
  pipeline: PipelineDef;
  overrides?: readonly Override[];
  /** Stages to rerun even if cached, with everything downstream of them. */
  force?: readonly string[];
  dryRun?: boolean;
  /** After a failure, still run the stages that do not depend on the failed one. */
  keepGoing?: boolean;
  verbose?: boolean;
  argv?: readonly string[];
  /** Where result lines go (default: stdout). */
  out?: (line: string) => void;
  board?: ProgressBoard;
  style?: Style;
  signal?: AbortSignal;
  /** CPU threads each stage may use (default: the cores). */
  threads?: number;
  /** Tags the run as a point of this sweep. */
  sweepId?: string;
  /** Where stages execute (executor.ts); default: in this process. */
  executor?: Executor;
  /** Called after the run with the summary, e.g. to publish the report. */
  onFinished?: (summary: RunSummary) => Promise<void>;
}

export interface PlanLine {
  stage: string;
  action: "cached" | "run" | "pending";
  reason: string;
  reasons: Reason[];
}

export interface RunSummary {
  runId: string | null;
  pipeline: string;
  paramSet: string;
  status: RunStatus;
  plan: PlanLine[];
  stages: StageRow[];
  /** Object digest of each stage that has an output now. */
  objects: Record<string, string>;
  /** The verdicts of the pipeline's claims (empty in a dry run). */
  claims: ClaimVerdict[];
  durationMs: number;
}

/** Thrown for failures the user caused or can fix (bad params, unknown stage); printed without a stack. */
export class UserError extends Error {
  override name = "UserError";
}

/** Everything a run and a dry run share: the resolved params, the plan and what is known before it. */
export interface Prepared {
  plan: PlannedStage[];
  paramSet: string;
  pipelineParams: Record<string, unknown>;
  forced: Set<string>;
  history: StageHistory;
  claims: readonly ClaimDef[];
  /** What report stages see of the pipeline (StageKind.readsPipeline), and its digest. */
  shown: { definitions: { about: PipelineAbout; claims: readonly ClaimDef[] }; digest: string };
  hasher: CodeHasher;
  fileHasher: FileHasher;
}

export function prepare(options: RunOptions): Prepared {
  const { store, pipeline } = options;
  const resolved = resolveParams(pipeline, options.overrides ?? []);
  // The engine's own modules (engine/stage.ts, imported by every stage kind) are not part of any stage's
  // code: they decide how a stage runs, not what it computes.
  const hasher = new CodeHasher(options.root, {
    cachePath: `${store.root}/cache/code-digests.json`,
    exclude: [`${options.root}/engine`],
  });
  const fileHasher = new FileHasher({ cachePath: `${store.root}/cache/file-digests.json` });
  const plan = planStages(pipeline.name, resolved, hasher, fileHasher);
  hasher.save();
  fileHasher.save();
  const claims = pipeline.claims ?? [];
  checkClaims(pipeline.name, plan, claims, pipeline.report);
  const about: PipelineAbout = {
    name: pipeline.name,
    description: pipeline.description,
    article: pipeline.article,
  };
  const shown = { about, claims };
  for (const f of options.force ?? []) {
    if (!plan.some((s) => s.name === f)) {
      const guess = closest(f, plan.map((s) => s.name));
      throw new PlanError(
        `Cannot force stage '${f}': ${pipeline.name} has no such stage` +
          (guess ? `; did you mean '${guess}'?` : "") +
          ` (stages: ${plan.map((s) => s.name).join(", ")})`,
      );
    }
  }
  return {
    plan,
    paramSet: sha256Hex(
      canonicalJson({ pipeline: resolved.pipelineParams, stages: plan.map((s) => [s.name, s.params]) }),
    ).slice(0, 12),
    pipelineParams: resolved.pipelineParams,
    forced: downstreamOf(plan, options.force ?? []),
    history: stageHistory(store, pipeline.name),
    claims,
    shown: { definitions: shown, digest: sha256Hex(canonicalJson(shown)).slice(0, 16) },
    hasher,
    fileHasher,
  };
}

/** The metrics the claims read: the last values recorded by the stages that have an output. */
export function claimLookup(
  records: ReadonlyMap<string, KeyRecord>,
  rows: readonly StageRow[],
): MetricLookup {
  return (ref) => {
    const record = records.get(ref.stage);
    if (!record) {
      const row = rows.find((r) => r.stage === ref.stage);
      return {
        missing: `stage ${ref.stage} ${
          row ? (row.status === "skipped" ? "did not run" : row.status) : "has no output"
        }`,
      };
    }
    const value = record.lastMetrics[ref.metric];
    if (value === undefined) {
      const known = Object.keys(record.lastMetrics);
      return {
        missing: `stage ${ref.stage} recorded no metric '${ref.metric}'` +
          (known.length
            ? ` (it recorded ${known.slice(0, 6).join(", ")}${known.length > 6 ? ", …" : ""})`
            : ""),
      };
    }
    return value;
  };
}

/** Runs (or with `dryRun`, only plans) `options.pipeline`. */
export async function runPipeline(options: RunOptions): Promise<RunSummary> {
  const t0 = performance.now();
  const prepared = prepare(options);
  return options.dryRun ? await dryRun(options, prepared, t0) : await realRun(options, prepared, t0);
}

function forcedReason(name: string, prepared: Prepared, force: readonly string[]): Reason | null {
  if (!prepared.forced.has(name)) return null;
  return force.includes(name)
    ? { kind: "forced", subject: name }
    : { kind: "forced", subject: force.join(", "), note: "downstream" };
}

async function dryRun(options: RunOptions, prepared: Prepared, t0: number): Promise<RunSummary> {
  const { store, pipeline } = options;
  const style = options.style ?? makeStyle(false);
  const out = options.out ?? ((line: string) => console.log(line));
  const { plan, paramSet } = prepared;
  const pad = padder(plan);
  out(`${style.bold(pipeline.name)} · param set ${paramSet} ${style.dim("(dry run: nothing is executed)")}`);
  const summary = emptySummary(pipeline.name, paramSet);
  const objects = new Map<string, string>();
  for (const s of plan) {
    const decision = await decide({
      store,
      stage: s,
      objects,
      ranNow: new Set(),
      previous: prepared.history.get(s.name),
      forced: forcedReason(s.name, prepared, options.force ?? []),
      shown: prepared.shown,
    });
    if (decision.action === "cached") objects.set(s.name, decision.record.object);
    const reason = reasonText(decision.reasons);
    summary.plan.push({ stage: s.name, action: decision.action, reason, reasons: decision.reasons });
    const action = decision.action === "cached"
      ? style.dim("cached ")
      : decision.action === "run"
      ? style.warn("runs   ")
      : style.warn("pending");
    const quiet = decision.action === "cached" && decision.reasons[0]?.kind !== "on-remote";
    out(`  ${pad(s.name)}  ${action}  ${quiet ? "" : reason}`);
  }
  summary.objects = Object.fromEntries(objects);
  summary.durationMs = performance.now() - t0;
  return summary;
}

const padder = (plan: readonly PlannedStage[]) => {
  const width = Math.max(...plan.map((s) => s.name.length));
  return (s: string) => s.padEnd(width);
};

function emptySummary(pipeline: string, paramSet: string): RunSummary {
  return {
    runId: null,
    pipeline,
    paramSet,
    status: "ok",
    plan: [],
    stages: [],
    objects: {},
    claims: [],
    durationMs: 0,
  };
}

/** A new run's record, written with its pointers and active marker (under the store lock, against gc). */
async function startRun(
  options: RunOptions,
  prepared: Prepared,
  out: (line: string) => void,
  style: Style,
): Promise<RunRecord> {
  const { store, pipeline } = options;
  await store.cleanLeftovers();
  await recoverDeadRuns(store);
  const me = currentProcess();
  const run: RunRecord = {
    runId: newRunId(),
    pipeline: pipeline.name,
    paramSet: prepared.paramSet,
    pipelineParams: prepared.pipelineParams,
    status: "running",
    startedAt: new Date().toISOString(),
    endedAt: null,
    host: me.host,
    pid: me.pid,
    pidStart: me.start,
    argv: [...(options.argv ?? [])],
    versions: {
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
      os: `${Deno.build.os}-${Deno.build.arch}`,
    },
    previousRunId: null,
    description: pipeline.description,
    article: pipeline.article,
    headline: null,
    report: pipeline.report ?? null,
    claims: [],
    sweepId: options.sweepId ?? null,
  };
  {
    // The store lock only orders run starts against gc: gc never sweeps while a run is active.
    using _storeLock = await lock(store.lockPath("store"), `run ${run.runId}: starting`, {
      onWait: (h) => out(style.dim(`waiting for ${describeHolder(h)}…`)),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    run.previousRunId = readPointer(store, pipeline.name)?.runId ?? null;
    await writeRun(store, run);
    await markActive(store, run);
  }
  await writePointers(store, run);
  Deno.mkdirSync(`${runDir(store, run.runId)}/logs`, { recursive: true });
  out(`${style.bold(pipeline.name)} · param set ${prepared.paramSet} · run ${run.runId}`);
  return run;
}

/** The row of a stage in `run` before anything is known of it. */
function stageRow(run: RunRecord, s: PlannedStage, pipelineDigest: string): StageRow {
  return {
    runId: run.runId,
    pipeline: run.pipeline,
    stage: s.name,
    kind: s.kind.kind,
    key: null,
    object: null,
    status: "skipped",
    reason: "",
    reasons: [],
    startedAt: null,
    endedAt: null,
    durationMs: null,
    host: run.host,
    codeDigest: s.code.digest,
    codeFiles: s.code.files,
    params: s.params,
    inputs: {},
    runtime: s.runtime,
    ...(s.files ? { files: s.files } : {}),
    producerRunId: null,
    error: null,
    ...(s.kind.readsPipeline ? { pipelineDigest } : {}),
  };
}

async function realRun(options: RunOptions, prepared: Prepared, t0: number): Promise<RunSummary> {
  const { store, pipeline } = options;
  const style = options.style ?? makeStyle(false);
  const out = options.out ?? ((line: string) => console.log(line));
  const board = options.board ?? new ProgressBoard({ style });
  const verbose = options.verbose ?? false;
  const { plan, paramSet } = prepared;
  const pad = padder(plan);
  const summary = emptySummary(pipeline.name, paramSet);

  const run = await startRun(options, prepared, out, style);
  const runId = run.runId;
  summary.runId = runId;

  const objects = new Map<string, string>();
  const records = new Map<string, KeyRecord>();
  const ranNow = new Set<string>();
  const failed = new Set<string>();
  const rows: StageRow[] = [];
  let interrupted = false;

  const baseRow = (s: PlannedStage) => stageRow(run, s, prepared.shown.digest);
  const finishRow = (row: StageRow) => {
    rows.push(row);
    appendStageRow(store, row);
  };
  const setReasons = (row: StageRow, reasons: Reason[]) => {
    row.reasons = reasons;
    row.reason = reasonText(reasons);
  };

  for (const s of plan) {
    const row = baseRow(s);
    const blocked = dependencies(s).filter((u) => failed.has(u));
    if (interrupted || blocked.length > 0 || (failed.size > 0 && !options.keepGoing)) {
      row.reason = interrupted
        ? "not run: the run was interrupted"
        : blocked.length
        ? `skipped: ${blocked.join(", ")} failed`
        : "not run: an earlier stage failed (use --keep-going to run independent stages)";
      if (blocked.length) failed.add(s.name); // its dependents are skipped too
      finishRow(row);
      out(`  ${style.dim("–")} ${pad(s.name)}  ${style.dim(row.reason)}`);
      continue;
    }
    let decision = await decide({
      store,
      stage: s,
      objects,
      ranNow,
      previous: prepared.history.get(s.name),
      forced: forcedReason(s.name, prepared, options.force ?? []),
      shown: prepared.shown,
    });
    if (decision.action === "pending" || decision.key === null) {
      throw new Error(`internal: ${s.name} has inputs without outputs in a real run`);
    }
    const key = decision.key;
    const inputs = inputObjects(s, objects) as Record<string, string>;
    Object.assign(row, { key, inputs });

    let heldLock: Disposable | null = null;
    if (decision.action === "run") {
      try {
        heldLock = await lock(store.lockPath(key), `run ${runId}: computing ${pipeline.name}/${s.name}`, {
          onWait: (holder) =>
            out(`  ${style.dim("…")} ${pad(s.name)}  ${style.dim(`waiting for ${describeHolder(holder)}`)}`),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (error) {
        // Ctrl-C or SIGTERM while another run computes this stage: the run ends as interrupted.
        if (!(error instanceof LockWaitInterrupted)) throw error;
        interrupted = true;
        setReasons(row, decision.reasons);
        Object.assign(row, {
          status: "interrupted",
          reason: `${row.reason}; interrupted while waiting for its lock`,
        });
        finishRow(row);
        out(`  ${style.bad("✗")} ${pad(s.name)}  interrupted while waiting for another run to compute it`);
        continue;
      }
      if (!prepared.forced.has(s.name)) {
        // Someone may have computed it while we waited.
        const found = await lookupCached(store, key);
        if ("record" in found) {
          decision = {
            action: "cached",
            key,
            record: found.record,
            reasons: [{ kind: "computed-meanwhile", subject: found.record.producedBy.runId }],
          };
        }
      }
    }

    if (decision.action === "cached") {
      heldLock?.[Symbol.dispose]();
      const cached = decision.record;
      objects.set(s.name, cached.object);
      records.set(s.name, cached);
      setReasons(row, decision.reasons);
      Object.assign(row, { status: "cached", object: cached.object, producerRunId: cached.producedBy.runId });
      finishRow(row);
      out(`  ${style.dim("·")} ${pad(s.name)}  ${style.dim(row.reason)}`);
      continue;
    }

    // ---- execute ----
    try {
      setReasons(row, decision.reasons);
      out(`  ${style.warn("▸")} ${pad(s.name)}  ${row.reason}`);
      const startedAt = new Date();
      row.startedAt = startedAt.toISOString();
      appendStageRow(store, { ...row, status: "interrupted" });
      const upstream = upstreamOf(plan, s.name);
      const result = await (options.executor ?? localExecutor).execute({
        store,
        run,
        stage: s,
        key,
        inputObjects: inputs,
        upstream: upstream.map((u) => recordToUpstream(u.name, records.get(u.name)!)),
        claims: s.kind.readsPipeline ? evaluateClaims(prepared.claims, claimLookup(records, rows)) : [],
        about: prepared.shown.definitions.about,
        board,
        label: pad(s.name),
        verbose,
        style,
        hasher: prepared.hasher,
        fileHasher: prepared.fileHasher,
        threads: options.threads ?? navigator.hardwareConcurrency,
        ...(decision.action === "run" && decision.prefix ? { prefix: decision.prefix } : {}),
        ...(decision.action === "run" && decision.continueFrom
          ? { continueFrom: decision.continueFrom }
          : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const durationMs = Date.now() - startedAt.getTime();
      Object.assign(row, { endedAt: new Date().toISOString(), durationMs });
      if (result.ok) {
        objects.set(s.name, result.record.object);
        records.set(s.name, result.record);
        ranNow.add(s.name);
        const previous = prepared.history.get(s.name);
        const same = previous?.object === result.record.object ? style.dim(" · output unchanged") : "";
        Object.assign(row, { status: "ran", object: result.record.object, producerRunId: runId });
        out(`  ${style.ok("✓")} ${pad(s.name)}  ${formatDuration(durationMs)}${same}`);
      } else {
        failed.add(s.name);
        interrupted ||= result.interrupted;
        Object.assign(row, { status: result.interrupted ? "interrupted" : "failed", error: result.error });
        const what = result.interrupted ? "interrupted" : "failed";
        out(
          `  ${style.bad("✗")} ${pad(s.name)}  ${what} after ${formatDuration(durationMs)}: ${result.error}`,
        );
      }
      finishRow(row);
    } finally {
      heldLock?.[Symbol.dispose]();
    }
  }

  run.status = interrupted ? "interrupted" : failed.size > 0 ? "failed" : "ok";
  run.endedAt = new Date().toISOString();
  if (pipeline.headline) {
    const value = records.get(pipeline.headline.stage)?.lastMetrics[pipeline.headline.metric];
    run.headline = {
      label: pipeline.headline.label,
      value: value ?? null,
      lowerIsBetter: pipeline.headline.lowerIsBetter ?? false,
    };
  }
  run.claims = evaluateClaims(prepared.claims, claimLookup(records, rows));
  await finishRun(store, run, rows);
  await unmarkActive(store, runId);

  summary.status = run.status;
  summary.stages = rows;
  summary.objects = Object.fromEntries(objects);
  summary.claims = run.claims;
  summary.durationMs = performance.now() - t0;
  await options.onFinished?.(summary);
  const counts = (st: string) => rows.filter((r) => r.status === st).length;
  const tally = [`${counts("ran")} ran`, `${counts("cached")} cached`];
  if (counts("failed")) tally.push(style.bad(`${counts("failed")} failed`));
  if (counts("skipped")) tally.push(`${counts("skipped")} not run`);
  const verdict = run.status === "ok" ? style.ok("done") : style.bad(run.status);
  const claimsLine = run.claims.length ? ` · ${tallyText(tallyClaims(run.claims))}` : "";
  out(`${verdict} in ${formatDuration(summary.durationMs)} · ${tally.join(", ")}${claimsLine}`);
  return summary;
}
