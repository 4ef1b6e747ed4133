/**
 * Garbage collection of the store. Roots are the latest run of every (pipeline, param set), or with
 * `keepLast: N` its N most recent runs: the objects their stages produced or took from the cache are
 * kept, with their key records. Also kept:
 * every run record (they are small, and they are the history that `query` reads), and unfinished
 * work folders (checkpoints of interrupted stages) younger than a week.
 *
 * gc never runs beside a `run`: it takes the store lock and waits until no live run is active.
 *
 * @module
 */
import { allRuns } from "./compare.ts";
import { activeMarkers, activeRuns, readStageRows, recoverDeadRuns } from "./history.ts";
import { isDiskFullError } from "./fs_errors.ts";
import {
  currentProcess,
  describeHolder,
  type HeldLock,
  isAlive,
  lock,
  readLockOwner,
} from "./process_lock.ts";
import type { Store } from "./store.ts";
import { pointerSchema, readStoreFile } from "./store_schema.ts";
import { sizeOf } from "./usage.ts";

export interface GcReport {
  objects: { digest: string; bytes: number }[];
  keys: string[];
  workDirs: { key: string; bytes: number }[];
  leftovers: string[];
  keptObjects: number;
}

const WORK_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

function listDir(path: string): string[] {
  try {
    return [...Deno.readDirSync(path)].map((e) => e.name);
  } catch {
    return [];
  }
}

/** Collects (or with `dryRun`, lists) what no root needs. */
export async function collectGarbage(
  store: Store,
  options: { dryRun?: boolean; keepLast?: number; onWait?: (message: string) => void } = {},
): Promise<GcReport> {
  const takeLock = () =>
    lock(store.lockPath("store"), "gc", {
      onWait: (h) => options.onWait?.(`waiting for ${describeHolder(h)}`),
    });
  let held: HeldLock;
  try {
    held = await takeLock();
  } catch (error) {
    // A full disk is when gc matters most, and its lock needs a few bytes: give up the store's reserve.
    if (!isDiskFullError(error) || !store.releaseReserve()) throw error;
    held = await takeLock();
  }
  using _lock = held;
  await recoverDeadRuns(store);
  for (let told = false; activeRuns(store).length > 0; told = true) {
    if (!told) {
      const elsewhere = [...new Set(activeMarkers(store).map((m) => m.owner?.host))]
        .filter((h): h is string => h !== undefined && h !== currentProcess().host);
      options.onWait?.(
        `waiting for active runs to finish: ${activeRuns(store).join(", ")}` +
          elsewhere.map((h) =>
            `; runs of host ${h} cannot be checked from here: if it is gone, ` +
            `run deno task unlock --host ${h}`
          ).join(""),
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }

  const keep = new Set<string>();
  if (options.keepLast !== undefined) {
    // The N most recent runs of each (pipeline, param set), by start time.
    const seen = new Map<string, number>();
    for (const run of allRuns(store)) {
      const set = `${run.pipeline}\u0000${run.paramSet}`;
      const n = seen.get(set) ?? 0;
      if (n >= options.keepLast) continue;
      seen.set(set, n + 1);
      for (const row of readStageRows(store, run.runId)) if (row.object) keep.add(row.object);
    }
  }
  for (const pipeline of listDir(`${store.root}/pointers`)) {
    for (const file of listDir(`${store.root}/pointers/${pipeline}`)) {
      if (file === "latest.json") continue; // the latest run is also the latest of its param set
      // An unreadable pointer protects nothing.
      const pointer = readStoreFile(`${store.root}/pointers/${pipeline}/${file}`, pointerSchema);
      if (!pointer.ok) continue;
      for (const row of readStageRows(store, pointer.value.runId)) if (row.object) keep.add(row.object);
    }
  }

  const report: GcReport = { objects: [], keys: [], workDirs: [], leftovers: [], keptObjects: 0 };
  for (const shard of listDir(`${store.root}/objects`)) {
    for (const digest of listDir(`${store.root}/objects/${shard}`)) {
      if (keep.has(digest)) report.keptObjects++;
      else report.objects.push({ digest, bytes: sizeOf(store.objectDir(digest)) });
    }
  }
  const doomed = new Set(report.objects.map((o) => o.digest));
  const finished = new Set<string>();
  for await (const { key, read } of store.keyEntries()) {
    if (!read.ok) { // a corrupt record serves nothing (a run treats it as a miss): remove it
      report.keys.push(key);
      continue;
    }
    finished.add(key);
    if (doomed.has(read.value.object) || !keep.has(read.value.object)) report.keys.push(key);
  }
  for (const key of listDir(`${store.root}/work`)) {
    const path = store.workDir(key);
    let age: number;
    try {
      age = Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0);
    } catch {
      continue; // removed meanwhile
    }
    if (finished.has(key) || age > WORK_MAX_AGE_MS) report.workDirs.push({ key, bytes: sizeOf(path) });
  }
  for (const name of listDir(`${store.root}/locks`)) {
    const path = `${store.root}/locks/${name}`;
    const owner = readLockOwner(path);
    if (owner && !isAlive(owner)) report.leftovers.push(`locks/${name}`);
  }

  if (!options.dryRun) {
    for (const key of report.keys) await store.removeKey(key);
    for (const o of report.objects) await store.removeObject(o.digest);
    for (const w of report.workDirs) {
      await Deno.remove(store.workDir(w.key), { recursive: true }).catch(() => {});
    }
    for (const l of report.leftovers) await Deno.remove(`${store.root}/${l}`).catch(() => {});
    report.leftovers.push(...(await store.cleanLeftovers({ deep: true }))); // and remakes the reserve, if there is room
  } else store.ensureReserve();
  return report;
}
