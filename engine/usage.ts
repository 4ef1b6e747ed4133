/**
 * How much of the disk the store takes, and for what: by pipeline (the outputs its runs' stages
 * produced or used; an output shared by pipelines counts for each) and by stage kind (each output once,
 * under the kind that produced it). Shown by `deno task status`.
 *
 * @module
 */
import { allRuns } from "./compare.ts";
import { readStageRows } from "./history.ts";
import type { Store } from "./store.ts";

/** Bytes of the file or folder at `path` (every file under it; links not followed), 0 when it is gone. */
export function sizeOf(path: string): number {
  let total = 0;
  try {
    const info = Deno.lstatSync(path);
    if (!info.isDirectory) return info.size;
    for (const e of Deno.readDirSync(path)) total += sizeOf(`${path}/${e.name}`);
  } catch {
    // vanished meanwhile
  }
  return total;
}

export interface StoreUsage {
  totalBytes: number;
  objects: number;
  objectBytes: number;
  /** Checkpoints of unfinished work, run records, caches. */
  otherBytes: { work: number; runs: number; cache: number };
  byPipeline: { pipeline: string; bytes: number; objects: number }[];
  byKind: { kind: string; bytes: number; objects: number }[];
}

/** Measures the store: a stat per file. */
export function storeUsage(store: Store): StoreUsage {
  const objectBytes = new Map<string, number>();
  for (const shard of safeList(`${store.root}/objects`)) {
    for (const digest of safeList(`${store.root}/objects/${shard}`)) {
      objectBytes.set(digest, sizeOf(store.objectDir(digest)));
    }
  }
  const kinds = new Map<string, Set<string>>();
  for (const shard of safeList(`${store.root}/keys`)) {
    for (const file of safeList(`${store.root}/keys/${shard}`)) {
      const record = store.readKey(file.replace(/\.json$/, ""));
      if (!record || !objectBytes.has(record.object)) continue;
      // An output is counted once, under the first kind that names it.
      if ([...kinds.values()].some((s) => s.has(record.object))) continue;
      (kinds.get(record.kind) ?? kinds.set(record.kind, new Set()).get(record.kind)!).add(record.object);
    }
  }
  const pipelines = new Map<string, Set<string>>();
  for (const run of allRuns(store)) {
    const set = pipelines.get(run.pipeline) ?? pipelines.set(run.pipeline, new Set()).get(run.pipeline)!;
    for (const row of readStageRows(store, run.runId)) {
      if (row.object && objectBytes.has(row.object)) set.add(row.object);
    }
  }
  const sum = (set: Set<string>) => [...set].reduce((a, o) => a + (objectBytes.get(o) ?? 0), 0);
  const total = [...objectBytes.values()].reduce((a, b) => a + b, 0);
  const other = {
    work: sizeOf(`${store.root}/work`),
    runs: sizeOf(`${store.root}/runs`),
    cache: sizeOf(`${store.root}/cache`),
  };
  return {
    totalBytes: total + other.work + other.runs + other.cache,
    objects: objectBytes.size,
    objectBytes: total,
    otherBytes: other,
    byPipeline: [...pipelines].map(([pipeline, set]) => ({ pipeline, bytes: sum(set), objects: set.size }))
      .sort((a, b) => b.bytes - a.bytes),
    byKind: [...kinds].map(([kind, set]) => ({ kind, bytes: sum(set), objects: set.size }))
      .sort((a, b) => b.bytes - a.bytes),
  };
}

function safeList(path: string): string[] {
  try {
    return [...Deno.readDirSync(path)].map((e) => e.name);
  } catch {
    return [];
  }
}

/** "12.3 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}
