/**
 * Runs a pipeline: plan, then for each stage in order either take it from the cache or execute it,
 * recording why. See docs/architecture.md for the whole picture.
 *
 * A stage executes at most once per cache key across concurrent processes: it runs under a lock named
 * after its key, and a process that finds the lock held waits, then takes the result from the cache.
 *
 * @module
 */
import { cacheKey } from "./cache_key.ts";
import { canonicalJson } from "./canonical_json.ts";
import { CodeHasher } from "./code_digest.ts";
import { FileHasher } from "./file_digest.ts";
import { describeWriteError, isDiskFullError } from "./fs_errors.ts";
import { sha256Hex } from "./hash.ts";
import {
  appendStageRow,
  finishRun,
  markActive,
  newRunId,
  readPointer,
  recoverDeadRuns,
  runDir,
  stageHistory,
  unmarkActive,
  writePointers,
  writeRun,
} from "./history.ts";
import type { Override } from "./params.ts";
import { resolveParams } from "./params.ts";
import type { PipelineDef } from "./pipeline.ts";
import { downstreamOf, explainRun, PlanError, type PlannedStage, planStages, upstreamOf } from "./plan.ts";
import { currentProcess, describeHolder, lock, LockWaitInterrupted } from "./process_lock.ts";
import { formatDuration, makeStyle, ProgressBoard, type Style } from "./progress.ts";
import { MetricsSink, type RunRecord, type RunStatus, type StageRow } from "./results.ts";
import type { StageContext, UpstreamRecord } from "./stage.ts";
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
  /** Called after the run with the summary, e.g. to publish the report. */
  onFinished?: (summary: RunSummary) => Promise<void>;
}

export interface PlanLine {
  stage: string;
  action: "cached" | "run" | "pending";
  reason: string;
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
  durationMs: number;
}

/** Thrown for failures the user caused or can fix (bad params, unknown stage); printed without a stack. */
export class UserError extends Error {
  override name = "UserError";
}

const errorText = (e: unknown, verbose: boolean) =>
  e instanceof Error ? (verbose && e.stack ? e.stack : e.message) : String(e);

function recordToUpstream(stage: string, r: KeyRecord): UpstreamRecord {
  return {
    stage,
    kind: r.kind,
    key: r.key,
    object: r.object,
    codeDigest: r.codeDigest,
    codeFiles: r.codeFiles.map((f) => f.path),
    params: r.params,
    runtime: r.runtime,
    ...(r.files ? { files: r.files } : {}),
    producedBy: r.producedBy,
  };
}

/** Runs (or with `dryRun`, only plans) `options.pipeline`. */
export async function runPipeline(options: RunOptions): Promise<RunSummary> {
  const t0 = performance.now();
  const { store, pipeline } = options;
  const style = options.style ?? makeStyle(false);
  const out = options.out ?? ((line: string) => console.log(line));
  const board = options.board ?? new ProgressBoard({ style });
  const verbose = options.verbose ?? false;

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
  const forced = downstreamOf(plan, options.force ?? []);
  const paramSet = sha256Hex(
    canonicalJson({ pipeline: resolved.pipelineParams, stages: plan.map((s) => [s.name, s.params]) }),
  ).slice(0, 12);
  const history = stageHistory(store, pipeline.name);
  const width = Math.max(...plan.map((s) => s.name.length));
  const pad = (s: string) => s.padEnd(width);

  const summary: RunSummary = {
    runId: null,
    pipeline: pipeline.name,
    paramSet,
    status: "ok",
    plan: [],
    stages: [],
    objects: {},
    durationMs: 0,
  };

  const keyPartsOf = (s: PlannedStage, inputObjects: Record<string, string>) => ({
    kind: s.kind.kind,
    ...(s.kind.version ? { version: s.kind.version } : {}),
    code: s.code.digest,
    params: s.params,
    inputs: inputObjects,
    runtime: s.runtime,
    ...(s.files ? { files: s.files } : {}),
  });

  /** The verified key record of a cached result, or why there is none. */
  const lookup = async (key: string): Promise<{ record: KeyRecord } | { miss: string | null }> => {
    const read = store.lookupKey(key);
    if (!read.ok) {
      return { miss: read.missing ? null : `cache entry was corrupt (${read.problem}): recomputing` };
    }
    const record = read.value;
    const check = await store.verifyObject(record.object);
    if (check.ok) return { record };
    // Never serve a changed object: drop it and its key, and recompute.
    await store.removeObject(record.object);
    await store.removeKey(key);
    return { miss: `cached output was corrupted (${check.problem}): recomputing` };
  };

  if (options.dryRun) {
    out(
      `${style.bold(pipeline.name)} · param set ${paramSet} ${style.dim("(dry run: nothing is executed)")}`,
    );
    const objects = new Map<string, string>();
    for (const s of plan) {
      const inputObjects = Object.fromEntries(Object.entries(s.inputs).map(([i, u]) => [i, objects.get(u)]));
      let line: PlanLine;
      if (forced.has(s.name)) {
        line = { stage: s.name, action: "run", reason: forceReason(s.name, options.force ?? []) };
      } else if (Object.values(inputObjects).some((o) => o === undefined)) {
        const pending = Object.entries(s.inputs).filter(([i]) => !inputObjects[i]).map(([, u]) => u);
        line = {
          stage: s.name,
          action: "pending",
          reason:
            `${explainRun(s, inputObjects, history.get(s.name))} — stays cached if ${
              pending.join(" and ")
            } ` +
            `${pending.length > 1 ? "reproduce their outputs" : "reproduces its output"}`,
        };
      } else {
        const key = cacheKey(keyPartsOf(s, inputObjects as Record<string, string>));
        const found = await lookup(key);
        if ("record" in found) {
          objects.set(s.name, found.record.object);
          line = { stage: s.name, action: "cached", reason: "cached" };
        } else {
          line = {
            stage: s.name,
            action: "run",
            reason: found.miss ?? explainRun(s, inputObjects, history.get(s.name)),
          };
        }
      }
      summary.plan.push(line);
      const action = line.action === "cached"
        ? style.dim("cached ")
        : line.action === "run"
        ? style.warn("runs   ")
        : style.warn("pending");
      out(`  ${pad(s.name)}  ${action}  ${line.action === "cached" ? "" : line.reason}`);
    }
    summary.objects = Object.fromEntries(objects);
    summary.durationMs = performance.now() - t0;
    return summary;
  }

  // ---- a real run -------------------------------------------------------------------------------
  await store.cleanLeftovers();
  await recoverDeadRuns(store);
  const me = currentProcess();
  const runId = newRunId();
  summary.runId = runId;
  const run: RunRecord = {
    runId,
    pipeline: pipeline.name,
    paramSet,
    pipelineParams: resolved.pipelineParams,
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
  };
  {
    // The store lock only orders run starts against gc: gc never sweeps while a run is active.
    using _storeLock = await lock(store.lockPath("store"), `run ${runId}: starting`, {
      onWait: (h) => out(style.dim(`waiting for ${describeHolder(h)}…`)),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    run.previousRunId = readPointer(store, pipeline.name)?.runId ?? null;
    await writeRun(store, run);
    await markActive(store, run);
  }
  await writePointers(store, run);
  Deno.mkdirSync(`${runDir(store, runId)}/logs`, { recursive: true });
  out(`${style.bold(pipeline.name)} · param set ${paramSet} · run ${runId}`);

  const objects = new Map<string, string>();
  const records = new Map<string, KeyRecord>();
  const ranNow = new Set<string>();
  const failed = new Set<string>();
  const rows: StageRow[] = [];
  let interrupted = false;

  const baseRow = (s: PlannedStage): StageRow => ({
    runId,
    pipeline: pipeline.name,
    stage: s.name,
    kind: s.kind.kind,
    key: null,
    object: null,
    status: "skipped",
    reason: "",
    startedAt: null,
    endedAt: null,
    durationMs: null,
    host: me.host,
    codeDigest: s.code.digest,
    codeFiles: s.code.files,
    params: s.params,
    inputs: {},
    runtime: s.runtime,
    ...(s.files ? { files: s.files } : {}),
    producerRunId: null,
    error: null,
  });
  const finishRow = (row: StageRow) => {
    rows.push(row);
    appendStageRow(store, row);
  };

  for (const s of plan) {
    const row = baseRow(s);
    const blocked = Object.values(s.inputs).filter((u) => failed.has(u));
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
    const inputObjects = Object.fromEntries(Object.entries(s.inputs).map(([i, u]) => [i, objects.get(u)!]));
    const key = cacheKey(keyPartsOf(s, inputObjects));
    Object.assign(row, { key, inputs: inputObjects });
    // The stage's last row, read (and checked) only when it is not cached.
    const previous = () => history.get(s.name);

    let reason: string;
    let cached: KeyRecord | null = null;
    if (forced.has(s.name)) {
      reason = forceReason(s.name, options.force ?? []);
    } else {
      const found = await lookup(key);
      if ("record" in found) cached = found.record;
      reason = "record" in found ? "cached" : (found.miss ?? explainRun(s, inputObjects, previous()));
    }

    let heldLock: Disposable | null = null;
    if (!cached) {
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
        Object.assign(row, {
          status: "interrupted",
          reason: `${reason}; interrupted while waiting for its lock`,
        });
        finishRow(row);
        out(`  ${style.bad("✗")} ${pad(s.name)}  interrupted while waiting for another run to compute it`);
        continue;
      }
      if (!forced.has(s.name)) {
        // Someone may have computed it while we waited.
        const found = await lookup(key);
        if ("record" in found) {
          cached = found.record;
          reason = `cached: computed by run ${cached.producedBy.runId} while this one waited`;
        }
      }
    }

    if (cached) {
      heldLock?.[Symbol.dispose]();
      const cutoff = Object.values(s.inputs).filter((u) => ranNow.has(u));
      if (reason === "cached" && cutoff.length) {
        reason = `cached: ${cutoff.join(", ")} reproduced the same output (early cutoff)`;
      }
      objects.set(s.name, cached.object);
      records.set(s.name, cached);
      Object.assign(row, {
        status: "cached",
        reason,
        object: cached.object,
        producerRunId: cached.producedBy.runId,
      });
      finishRow(row);
      out(`  ${style.dim("·")} ${pad(s.name)}  ${style.dim(reason)}`);
      continue;
    }

    // ---- execute ----
    try {
      out(`  ${style.warn("▸")} ${pad(s.name)}  ${reason}`);
      const startedAt = new Date();
      row.startedAt = startedAt.toISOString();
      appendStageRow(store, { ...row, status: "interrupted", reason });
      const result = await executeStage({
        store,
        run,
        stage: s,
        key,
        inputObjects,
        upstream: upstreamOf(plan, s.name).map((u) => recordToUpstream(u.name, records.get(u.name)!)),
        board,
        label: pad(s.name),
        verbose,
        out,
        style,
        hasher,
        fileHasher,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const durationMs = Date.now() - startedAt.getTime();
      Object.assign(row, {
        endedAt: new Date().toISOString(),
        durationMs,
        reason,
      });
      if (result.ok) {
        objects.set(s.name, result.record.object);
        records.set(s.name, result.record);
        ranNow.add(s.name);
        const same = previous()?.object === result.record.object ? style.dim(" · output unchanged") : "";
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
  await finishRun(store, run, rows);
  await unmarkActive(store, runId);

  summary.status = run.status;
  summary.stages = rows;
  summary.objects = Object.fromEntries(objects);
  summary.durationMs = performance.now() - t0;
  await options.onFinished?.(summary);
  const counts = (st: string) => rows.filter((r) => r.status === st).length;
  const tally = [`${counts("ran")} ran`, `${counts("cached")} cached`];
  if (counts("failed")) tally.push(style.bad(`${counts("failed")} failed`));
  if (counts("skipped")) tally.push(`${counts("skipped")} not run`);
  const verdict = run.status === "ok" ? style.ok("done") : style.bad(run.status);
  out(`${verdict} in ${formatDuration(summary.durationMs)} · ${tally.join(", ")}`);
  return summary;
}

function forceReason(stage: string, force: readonly string[]): string {
  return force.includes(stage) ? `forced (--force ${stage})` : `forced: downstream of ${force.join(", ")}`;
}

interface ExecuteArgs {
  store: Store;
  run: RunRecord;
  stage: PlannedStage;
  key: string;
  inputObjects: Record<string, string>;
  upstream: UpstreamRecord[];
  board: ProgressBoard;
  label: string;
  verbose: boolean;
  out: (line: string) => void;
  style: Style;
  hasher: CodeHasher;
  fileHasher: FileHasher;
  signal?: AbortSignal;
}

type ExecuteResult = { ok: true; record: KeyRecord } | { ok: false; error: string; interrupted: boolean };

/** Runs one stage into a staging folder and commits its output. Never throws for the stage's own errors. */
async function executeStage(a: ExecuteArgs): Promise<ExecuteResult> {
  const { store, run, stage: s, key } = a;
  const staging = store.makeStaging();
  const workDir = store.workDir(key);
  await Deno.mkdir(workDir, { recursive: true });
  const dir = runDir(store, run.runId);
  const sink = new MetricsSink(`${dir}/metrics`, {
    runId: run.runId,
    pipeline: run.pipeline,
    stage: s.name,
    key,
  });
  const logPath = `${dir}/logs/${s.name}.log`;
  const controller = new AbortController();
  const onAbort = () => controller.abort(a.signal?.reason);
  a.signal?.addEventListener("abort", onAbort);
  const started = Date.now();
  const ctx: StageContext = {
    stage: s.name,
    pipeline: run.pipeline,
    params: s.params,
    inputs: Object.fromEntries(Object.entries(a.inputObjects).map(([i, o]) => [i, store.objectOut(o)])),
    outDir: `${staging}/out`,
    workDir,
    key,
    signal: controller.signal,
    upstream: a.upstream,
    log: (message) => {
      Deno.writeTextFileSync(logPath, `${new Date().toISOString()} ${message}\n`, { append: true });
      a.board.print(`    ${a.style.dim(`${s.name}: ${message}`)}`);
    },
    progress: (update) => a.board.update(s.name, update),
    metrics: (step, values) => sink.add(step, values),
  };
  a.board.start(s.name, a.label);
  let failure: ExecuteResult | null = null;
  try {
    await s.kind.run(ctx);
    controller.signal.throwIfAborted();
  } catch (error) {
    const interrupted = controller.signal.aborted;
    Deno.writeTextFileSync(logPath, `${new Date().toISOString()} FAILED ${errorText(error, true)}\n`, {
      append: true,
    });
    failure = {
      ok: false,
      error: interrupted
        ? "interrupted (work so far is kept for a resume)"
        : isDiskFullError(error)
        ? describeWriteError(error, "the store")
        : errorText(error, a.verbose),
      interrupted,
    };
  } finally {
    a.board.stop(s.name);
    sink.flush();
    a.signal?.removeEventListener("abort", onAbort);
  }
  // Refuse to cache a result whose code may not be the code that was hashed.
  const racy = s.code.files.map((f) => f.path).filter((p) => a.hasher.changedSinceLoad.has(p));
  if (!failure && racy.length > 0) {
    failure = {
      ok: false,
      error: `code changed while running (${racy.join(", ")}): the result is not cached; run again`,
      interrupted: false,
    };
  }
  // Likewise for the external files: the stage may have read other bytes than the key's digests.
  const changed = failure ? [] : Object.keys(s.files ?? {}).filter((p) => a.fileHasher.changedSinceHashed(p));
  if (changed.length > 0) {
    failure = {
      ok: false,
      error: `source files changed during the run (${
        changed.join(", ")
      }): the result is not cached; run again`,
      interrupted: false,
    };
  }
  if (failure) {
    // A failed attempt's partial output is useless; its workDir (checkpoints) is kept for the retry.
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    await store.removeWorkDirIfEmpty(key); // no checkpoints: nothing to keep
    return failure;
  }
  let object: string;
  try {
    object = await store.commitObject(staging);
  } catch (error) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    return { ok: false, error: errorText(error, a.verbose), interrupted: false };
  }
  const record: KeyRecord = {
    key,
    object,
    pipeline: run.pipeline,
    stage: s.name,
    kind: s.kind.kind,
    codeDigest: s.code.digest,
    codeFiles: s.code.files,
    params: s.params,
    inputs: a.inputObjects,
    runtime: s.runtime,
    ...(s.files ? { files: s.files } : {}),
    producedBy: {
      runId: run.runId,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      host: run.host,
    },
    lastMetrics: sink.last,
  };
  await store.writeKey(record);
  await Deno.remove(workDir, { recursive: true }).catch(() => {});
  return { ok: true, record };
}
