/**
 * Executes one stage: a fresh staging folder, the stage's context, its run function, and the commit
 * of its output into the store with the key record that names it. A failing stage never throws here:
 * its error comes back as a result, and its work folder (checkpoints) is kept for the retry.
 *
 * @module
 */
import { extendingValues } from "./cache_key.ts";
import type { ClaimVerdict } from "./claims.ts";
import { describeWriteError, isDiskFullError } from "./fs_errors.ts";
import { addPrefixEntry } from "./prefixes.ts";
import type { CodeHasher } from "./code_digest.ts";
import type { FileHasher } from "./file_digest.ts";
import { runDir } from "./history.ts";
import type { PlannedStage } from "./plan.ts";
import type { ProgressBoard, Style } from "./progress.ts";
import { MetricsSink, type RunRecord } from "./results.ts";
import type { PipelineAbout, StageContext, UpstreamRecord } from "./stage.ts";
import type { KeyRecord, Store } from "./store.ts";

export const errorText = (e: unknown, verbose: boolean) =>
  e instanceof Error ? (verbose && e.stack ? e.stack : e.message) : String(e);

/** The provenance of an upstream stage, as its context shows it. */
export function recordToUpstream(stage: string, r: KeyRecord): UpstreamRecord {
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
    metrics: r.lastMetrics,
  };
}

export interface ExecuteArgs {
  store: Store;
  run: RunRecord;
  stage: PlannedStage;
  key: string;
  /** Input slot → object digest. */
  inputObjects: Record<string, string>;
  upstream: UpstreamRecord[];
  claims: readonly ClaimVerdict[];
  about: PipelineAbout;
  board: ProgressBoard;
  label: string;
  verbose: boolean;
  style: Style;
  hasher: CodeHasher;
  fileHasher: FileHasher;
  signal?: AbortSignal;
  /** CPU threads for the stage (StageContext.threads). */
  threads: number;
  /** The stage's prefix key, when its kind extends runs: its output is indexed under it. */
  prefix?: string;
  /** A cached output to continue from (StageContext.continueFrom). */
  continueFrom?: { key: string; object: string; params: unknown };
}

export type ExecuteResult =
  | { ok: true; record: KeyRecord }
  | { ok: false; error: string; interrupted: boolean };

/** Runs one stage into a staging folder and commits its output. Never throws for the stage's own errors. */
export async function executeStage(a: ExecuteArgs): Promise<ExecuteResult> {
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
  const folder = (o: string) => store.objectOut(o);
  const ctx: StageContext = {
    stage: s.name,
    pipeline: run.pipeline,
    params: s.params,
    inputs: Object.fromEntries(Object.keys(s.inputs).map((i) => [i, folder(a.inputObjects[i]!)])),
    groups: Object.fromEntries(
      Object.entries(s.groups).map(([g, members]) => [
        g,
        Object.fromEntries(members.map((m) => [m, folder(a.inputObjects[`${g}[${m}]`]!)])),
      ]),
    ),
    claims: a.claims,
    about: a.about,
    outDir: `${staging}/out`,
    workDir,
    key,
    threads: a.threads,
    ...(a.continueFrom
      ? {
        continueFrom: {
          dir: folder(a.continueFrom.object),
          key: a.continueFrom.key,
          params: a.continueFrom.params,
        },
      }
      : {}),
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
  // Write-through, after the local commit: the object first, then its key record (remote_cache.ts).
  if (store.remote?.writes) await store.remote.upload(store, record);
  if (a.prefix) {
    await addPrefixEntry(store, a.prefix, {
      key,
      values: extendingValues(s.params, s.kind.extendsRun ?? []),
    });
  }
  await Deno.remove(workDir, { recursive: true }).catch(() => {});
  return { ok: true, record };
}
