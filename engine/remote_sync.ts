/**
 * `deno task push [PIPELINE…]` and `pull [PIPELINE…]`: move what a pipeline's latest run needs between
 * the local store and the remote cache (remote_cache.ts), and the run records, so that
 * `deno task query` sees a team's runs (DuckDB reads Parquet from the local store only: its httpfs
 * extension is not available offline).
 *
 * - push: the objects and key records of the latest run's stages (each verified locally first), every
 *   finished run record of the pipeline that the remote lacks (its files, then `manifest.json` with
 *   their sha256, last), and `pointers/<pipeline>/latest.json` when this run is newer than the remote's.
 * - pull: every run record of the pipeline that the local store lacks (each file verified against the
 *   run's manifest, the folder renamed into runs/ whole), the outputs of the remote's latest run
 *   (verified as every download is), and the local pointers to that run when it is newer than theirs,
 *   so that `status`, `list` and gc see it.
 *
 * @module
 */
import { readPointer, readRun, readStageRows, runDir } from "./history.ts";
import { sha256File, sha256Hex } from "./hash.ts";
import { type S3RemoteCache, safeRelativePath } from "./remote_cache.ts";
import type { RunRecord } from "./results.ts";
import { listFiles, type Store, writeAtomic } from "./store.ts";

export interface SyncReport {
  pipeline: string;
  /** The run whose outputs moved, if any. */
  runId: string | null;
  objects: { moved: number; present: number; problems: string[] };
  runs: { moved: number; present: number; problems: string[] };
  pointer: "moved" | "kept" | "none";
}

const emptyReport = (pipeline: string): SyncReport => ({
  pipeline,
  runId: null,
  objects: { moved: 0, present: 0, problems: [] },
  runs: { moved: 0, present: 0, problems: [] },
  pointer: "none",
});

/** Local pipelines with a latest run (the folders of pointers/). */
export function localPipelines(store: Store): string[] {
  try {
    return [...Deno.readDirSync(`${store.root}/pointers`)].filter((e) => e.isDirectory).map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/** Pipelines the remote has a latest run of. */
export async function remotePipelines(remote: S3RemoteCache): Promise<string[]> {
  const keys = await remote.list("pointers");
  return [...new Set(keys.map((k) => /^pointers\/([^/]+)\/latest\.json$/.exec(k)?.[1]).filter((p) => p))]
    .sort() as string[];
}

/** Run ids of `pipeline` whose records are complete on the remote (their manifest is there). */
async function remoteRuns(remote: S3RemoteCache, pipeline: string): Promise<Set<string>> {
  const keys = await remote.list(`runs/${pipeline}`);
  const ids = keys.map((k) => new RegExp(`^runs/${escape(pipeline)}/([^/]+)/manifest\\.json$`).exec(k)?.[1]);
  return new Set(ids.filter((id): id is string => Boolean(id)));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const RUN_ID = /^[A-Za-z0-9_.-]+$/;

/** Finished local runs of `pipeline`. */
function localRuns(store: Store, pipeline: string): RunRecord[] {
  const runs: RunRecord[] = [];
  for (const entry of Deno.readDirSync(`${store.root}/runs`)) {
    if (!entry.isDirectory) continue;
    const run = readRun(store, entry.name);
    if (run && run.pipeline === pipeline && run.status !== "running") runs.push(run);
  }
  return runs;
}

/** Pushes `pipeline`'s latest run's outputs, its run records and its pointer. */
export async function pushPipeline(
  store: Store,
  remote: S3RemoteCache,
  pipeline: string,
  log: (line: string) => void = () => {},
): Promise<SyncReport> {
  const report = emptyReport(pipeline);
  const pointer = readPointer(store, pipeline);
  const latest = pointer ? readRun(store, pointer.runId) : null;
  if (!latest) {
    report.objects.problems.push(`no run of ${pipeline} in ${store.root}`);
    return report;
  }
  report.runId = latest.runId;
  const keys = new Set<string>();
  for (const row of readStageRows(store, latest.runId)) {
    if (!row.key || !row.object || keys.has(row.key)) continue;
    keys.add(row.key);
    const record = store.readKey(row.key);
    if (!record) {
      report.objects.problems.push(`${row.stage}: its cache entry is gone from the local store (gc?)`);
      continue;
    }
    const check = await store.verifyObject(record.object);
    if (!check.ok) {
      report.objects.problems.push(
        `${row.stage}: its local output is damaged (${check.problem}); not pushed`,
      );
      continue;
    }
    const done = await remote.uploadEntry(store, record);
    report.objects[done === "uploaded" ? "moved" : "present"]++;
    if (done === "uploaded") log(`  pushed ${row.stage} (${record.object.slice(0, 12)}…)`);
  }
  const there = await remoteRuns(remote, pipeline);
  for (const run of localRuns(store, pipeline)) {
    if (there.has(run.runId)) {
      report.runs.present++;
      continue;
    }
    await pushRunRecord(store, remote, run);
    report.runs.moved++;
  }
  const remotePointer = await readRemotePointer(remote, pipeline);
  if (!remotePointer || remotePointer < latest.runId) {
    await remote.put(`pointers/${pipeline}/latest.json`, JSON.stringify({ runId: latest.runId }));
    report.pointer = "moved";
  } else report.pointer = "kept";
  return report;
}

async function readRemotePointer(remote: S3RemoteCache, pipeline: string): Promise<string | null> {
  const bytes = await remote.getBytes(`pointers/${pipeline}/latest.json`);
  if (!bytes) return null;
  try {
    const id = JSON.parse(new TextDecoder().decode(bytes))?.runId;
    return typeof id === "string" && RUN_ID.test(id) ? id : null;
  } catch {
    return null;
  }
}

/** Uploads a run's folder: every file, then its manifest (path, size, sha256), which marks it complete. */
async function pushRunRecord(store: Store, remote: S3RemoteCache, run: RunRecord): Promise<void> {
  const dir = runDir(store, run.runId);
  const base = `runs/${run.pipeline}/${run.runId}`;
  const files = [];
  for (const path of await listFiles(dir)) {
    if (/\.tmp$|\.\d+\.[0-9a-f-]{8,36}(\.tmp)?$/.test(path)) continue; // a writer's temp file
    const full = `${dir}/${path}`;
    files.push({ path, size: (await Deno.stat(full)).size, sha256: await sha256File(full) });
  }
  for (const f of files) await remote.putFile(`${base}/${f.path}`, `${dir}/${f.path}`);
  await remote.put(`${base}/manifest.json`, JSON.stringify({ runId: run.runId, files }));
}

/** Pulls `pipeline`'s run records and its remote latest run's outputs; points the local store at it. */
export async function pullPipeline(
  store: Store,
  remote: S3RemoteCache,
  pipeline: string,
  log: (line: string) => void = () => {},
): Promise<SyncReport> {
  const report = emptyReport(pipeline);
  for (const runId of await remoteRuns(remote, pipeline)) {
    if (!RUN_ID.test(runId)) continue;
    if (readRun(store, runId)) {
      report.runs.present++;
      continue;
    }
    const problem = await pullRunRecord(store, remote, pipeline, runId);
    if (problem) report.runs.problems.push(`run ${runId}: ${problem}`);
    else report.runs.moved++;
  }
  const latestId = await readRemotePointer(remote, pipeline);
  const latest = latestId ? readRun(store, latestId) : null;
  if (!latest) {
    if (latestId) report.objects.problems.push(`the remote's latest run ${latestId} could not be pulled`);
    return report;
  }
  report.runId = latest.runId;
  const keys = new Set<string>();
  for (const row of readStageRows(store, latest.runId)) {
    if (!row.key || !row.object || keys.has(row.key)) continue;
    keys.add(row.key);
    const local = store.readKey(row.key);
    if (local && (await store.verifyObject(local.object)).ok) {
      report.objects.present++;
      continue;
    }
    const got = await remote.fetchEntry(store, row.key);
    if (got.found) {
      report.objects.moved++;
      log(`  pulled ${row.stage} (${got.record.object.slice(0, 12)}…)`);
    } else report.objects.problems.push(`${row.stage}: ${got.problem ?? "not on the remote"}`);
  }
  // Point at the pulled run where the local store has nothing newer, so status, list and gc see it.
  report.pointer = "kept";
  for (const name of [latest.paramSet, "latest"]) {
    const mine = readPointer(store, pipeline, name);
    if (mine && mine.runId >= latest.runId) continue;
    await Deno.mkdir(`${store.root}/pointers/${pipeline}`, { recursive: true });
    await writeAtomic(
      `${store.root}/pointers/${pipeline}/${name}.json`,
      JSON.stringify({ runId: latest.runId }),
    );
    report.pointer = "moved";
  }
  return report;
}

/** Downloads one run's folder, verifying every file against its manifest; returns the problem if any. */
async function pullRunRecord(
  store: Store,
  remote: S3RemoteCache,
  pipeline: string,
  runId: string,
): Promise<string | null> {
  const base = `runs/${pipeline}/${runId}`;
  const bytes = await remote.getBytes(`${base}/manifest.json`);
  if (!bytes) return "its manifest is gone";
  let files: { path: string; size: number; sha256: string }[];
  try {
    const manifest = JSON.parse(new TextDecoder().decode(bytes));
    files = manifest.files;
    if (
      manifest.runId !== runId || !Array.isArray(files) ||
      files.some((f) =>
        !safeRelativePath(f?.path) || typeof f.sha256 !== "string" || typeof f.size !== "number"
      )
    ) throw new Error("wrong shape");
  } catch {
    return "its manifest on the remote is corrupt";
  }
  const tmp = store.makeStaging();
  try {
    for (const f of files) {
      const data = await remote.getBytes(`${base}/${f.path}`);
      if (!data) return `its file ${f.path} is missing on the remote`;
      if (data.length !== f.size || sha256Hex(data) !== f.sha256) {
        return `its file ${f.path} on the remote does not match its manifest (corrupted)`;
      }
      const target = `${tmp}/out/${f.path}`;
      await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
      await Deno.writeFile(target, data);
    }
    try {
      await Deno.rename(`${tmp}/out`, runDir(store, runId));
    } catch (error) {
      if (!readRun(store, runId)) throw error; // else pulled meanwhile by another process
    }
    return null;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}
