/**
 * `deno task verify`: checks the whole store (or what one pipeline's latest runs use) beyond what a
 * run checks, and repairs what it can.
 *
 * A run trusts an output file whose stat is unchanged since it was recorded (one stat per file), so a
 * byte flipped without a stat change (bit rot, a tool that restores times) is only found by re-hashing.
 * Verify re-hashes every file of every output against its manifest, checks every cache entry, re-hashes
 * the files behind the code and source-file stat caches, and reads every run record in full.
 *
 * Repairs, each of which only removes what is damaged or rebuilds it from what is intact:
 * - a damaged output is removed with the cache entries that point at it: the next run recomputes it;
 * - a corrupt cache entry, or one pointing at a missing output, is removed (a miss next time);
 * - a stale code or file digest (the file changed, its stat did not) and a cache file of the wrong
 *   shape are dropped: they are rebuilt by hashing;
 * - a run record's run/stages/params Parquet files that are missing or unreadable are rewritten from
 *   run.json and stages.jsonl; an unreadable metrics file is set aside as `<name>.corrupt` (its values
 *   are lost, the other metrics stay queryable);
 * - runs whose process died are recorded as interrupted, leftovers of killed processes are removed.
 *
 * What it cannot repair (a run.json that is unreadable) is reported, and the command exits 1.
 *
 * @module
 */
import { CodeHasher } from "./code_digest.ts";
import { FileHasher } from "./file_digest.ts";
import { finishRun, readRun, readStageRows, recoverDeadRuns, runDir } from "./history.ts";
import { PROJECT_ROOT } from "./paths.ts";
import type { Style } from "./progress.ts";
import type { KeyRecord, Store } from "./store.ts";
import { pipelineMetaCacheSchema, pointerSchema, readStoreFile, runRecordSchema } from "./store_schema.ts";
import { sizeOf } from "./usage.ts";

/** One thing found wrong, and what was done about it. */
export interface Finding {
  /** What is wrong, e.g. "output 1a2b3c4d5e6f… (double of toy)". */
  what: string;
  problem: string;
  /** What was done (or, in a dry run, would be done), or null when it cannot be repaired. */
  repair: string | null;
}

export interface VerifyReport {
  scope: string;
  dryRun: boolean;
  checked: { objects: number; bytes: number; keys: number; runs: number; cacheEntries: number };
  findings: Finding[];
  repaired: number;
  unrepaired: number;
}

/** Verifies `store` (only the outputs and runs of `options.pipeline`, if given) and repairs it. */
export async function verifyStore(
  store: Store,
  options: { pipeline?: string; dryRun?: boolean } = {},
): Promise<VerifyReport> {
  const dry = options.dryRun ?? false;
  const report: VerifyReport = {
    scope: options.pipeline ? `the outputs and runs of ${options.pipeline}` : `the store ${store.root}`,
    dryRun: dry,
    checked: { objects: 0, bytes: 0, keys: 0, runs: 0, cacheEntries: 0 },
    findings: [],
    repaired: 0,
    unrepaired: 0,
  };
  const found = (what: string, problem: string, repair: string | null) =>
    report.findings.push({ what, problem, repair });

  // ---- cache entries (keys/) ----
  const byObject = new Map<string, KeyRecord[]>();
  for await (const { key, path, read } of store.keyEntries()) {
    if (!read.ok) {
      if (options.pipeline) continue; // whose it is cannot be told
      found(`cache entry ${short(key)}`, read.problem, "remove it (that stage recomputes on its next run)");
      if (!dry) await Deno.remove(path).catch(() => {});
      continue;
    }
    const list = byObject.get(read.value.object) ?? [];
    list.push(read.value);
    byObject.set(read.value.object, list);
  }

  // ---- outputs (objects/) ----
  const scope = options.pipeline ? pipelineObjects(store, options.pipeline, byObject) : allObjects(store);
  for (const digest of scope) {
    const keys = byObject.get(digest) ?? [];
    const check = await store.verifyObject(digest, { full: true });
    report.checked.objects++;
    if (check.ok) {
      report.checked.bytes += sizeOf(store.objectOut(digest));
      continue;
    }
    if (check.problem === "it is missing") continue; // a dangling key: reported below
    const users = [...new Set(keys.map((k) => `${k.stage} of ${k.pipeline}`))];
    found(
      `output ${short(digest)}${users.length ? ` (${users.join(", ")})` : ""}`,
      check.problem,
      `remove it${keys.length ? ` and its ${plural(keys.length, "cache entry", "cache entries")}` : ""} ` +
        `(the next run recomputes it)`,
    );
    if (!dry) {
      await store.removeObject(digest);
      for (const k of keys) await store.removeKey(k.key);
    }
    byObject.delete(digest);
  }
  for (const [object, keys] of byObject) {
    const inScope = !options.pipeline || keys.some((k) => k.pipeline === options.pipeline);
    if (!inScope) continue;
    report.checked.keys += keys.length;
    if (await exists(store.objectDir(object))) continue;
    for (const k of keys) {
      found(
        `cache entry ${short(k.key)} (${k.stage} of ${k.pipeline})`,
        `it points at output ${short(object)}, which is missing`,
        "remove it (that stage recomputes on its next run)",
      );
      if (!dry) await store.removeKey(k.key);
    }
  }

  // ---- caches (cache/) ----
  const codeCache = `${store.root}/cache/code-digests.json`;
  const fileCache = `${store.root}/cache/file-digests.json`;
  for (const path of [codeCache, fileCache]) {
    const problem = notAnObject(path);
    if (problem) {
      found(
        `cache file ${path.slice(store.root.length + 1)}`,
        problem,
        "remove it (it is rebuilt by hashing)",
      );
      if (!dry) await Deno.remove(path).catch(() => {});
    }
  }
  const pipelinesCache = readStoreFile(`${store.root}/cache/pipelines.json`, pipelineMetaCacheSchema);
  if (!pipelinesCache.ok && !pipelinesCache.missing) {
    found("cache file cache/pipelines.json", pipelinesCache.problem, "remove it (it is rebuilt)");
    if (!dry) await Deno.remove(`${store.root}/cache/pipelines.json`).catch(() => {});
  }
  if (!dry) {
    const code = new CodeHasher(PROJECT_ROOT, { cachePath: codeCache }).auditCache();
    const files = new FileHasher({ cachePath: fileCache }).auditCache();
    report.checked.cacheEntries += code.checked + files.checked;
    for (const path of [...code.stale, ...files.stale]) {
      found(
        `cached digest of ${path}`,
        "the file changed but its stat did not, so the cache held the digest of its old content",
        "drop it (the file is hashed again on the next run)",
      );
    }
  }

  // ---- runs (runs/) ----
  if (!dry) {
    for (const runId of await recoverDeadRuns(store)) {
      found(`run ${runId}`, "its process died while it ran", "record it as interrupted");
    }
  }
  const runIds = listDir(`${store.root}/runs`).sort();
  const inScopeRuns = new Set<string>();
  for (const runId of runIds) {
    const read = readStoreFile(`${runDir(store, runId)}/run.json`, runRecordSchema);
    if (options.pipeline && (!read.ok || read.value.pipeline !== options.pipeline)) continue;
    inScopeRuns.add(runId);
    report.checked.runs++;
    if (!read.ok) {
      found(
        `run record runs/${runId}/run.json`,
        read.problem,
        null, // its stages.jsonl does not hold the run's own fields
      );
    }
  }
  const { openResults, damagedRecords } = await import("./query.ts");
  const results = await openResults(store.root);
  let damaged;
  try {
    damaged = await damagedRecords(results);
  } finally {
    results.connection.closeSync();
  }
  const rewritten = new Set<string>();
  for (const { path, problem } of damaged) {
    const m = /^runs\/([^/]+)\/(metrics\/)?/.exec(path);
    const runId = m?.[1];
    if (!runId || !inScopeRuns.has(runId)) continue;
    if (m[2]) {
      found(
        path,
        problem,
        `set it aside as ${path}.corrupt (its values are lost; the other metrics stay queryable)`,
      );
      if (!dry) await Deno.rename(`${store.root}/${path}`, `${store.root}/${path}.corrupt`).catch(() => {});
      continue;
    }
    const run = readRun(store, runId);
    if (!run) {
      found(path, problem, null);
      continue;
    }
    found(path, problem, "rewrite the run's Parquet files from run.json and stages.jsonl");
    if (!dry && !rewritten.has(runId)) {
      rewritten.add(runId);
      await finishRun(store, run, readStageRows(store, runId));
    }
  }
  // A finished run whose Parquet files are missing (killed between the two writes of finishRun).
  for (const runId of inScopeRuns) {
    const run = readRun(store, runId);
    if (!run || run.status === "running" || rewritten.has(runId)) continue;
    const missing = ["run", "stages", "params"].filter((n) =>
      !existsSync(`${runDir(store, runId)}/${n}.parquet`)
    );
    if (missing.length === 0) continue;
    found(
      `run record runs/${runId}`,
      `its ${missing.map((n) => `${n}.parquet`).join(", ")} ${missing.length === 1 ? "is" : "are"} missing`,
      "rewrite the run's Parquet files from run.json and stages.jsonl",
    );
    if (!dry) await finishRun(store, run, readStageRows(store, runId));
  }

  // ---- leftovers ----
  if (!dry) {
    const leftovers = await store.cleanLeftovers({ deep: true });
    if (leftovers.length > 0) {
      found(
        plural(leftovers.length, "leftover file", "leftover files"),
        "left behind by processes that are gone",
        "remove them",
      );
    }
  }

  report.repaired = report.findings.filter((f) => f.repair !== null).length;
  report.unrepaired = report.findings.length - report.repaired;
  if (dry) report.unrepaired = report.findings.length;
  return report;
}

/** The report as the CLI prints it. */
export function formatVerifyReport(report: VerifyReport, style: Style, whyDry = "--dry-run"): string {
  const c = report.checked;
  const lines = [
    `verified ${report.scope}: ${plural(c.objects, "output", "outputs")} (${(c.bytes / 1e6).toFixed(1)} MB ` +
    `re-hashed), ${plural(c.keys, "cache entry", "cache entries")}, ${plural(c.runs, "run", "runs")}` +
    (c.cacheEntries ? `, ${c.cacheEntries} cached file digests` : ""),
  ];
  for (const f of report.findings) {
    const action = f.repair === null
      ? style.bad("cannot be repaired")
      : report.dryRun
      ? style.warn(`fix (not done: ${whyDry}): ${f.repair}`)
      : style.ok(`fixed: ${f.repair}`);
    lines.push(`  ${f.what}: ${f.problem} → ${action}`);
  }
  const unrepairedRuns = report.findings.some((f) => f.repair === null && f.what.startsWith("run record"));
  if (report.findings.length === 0) lines.push(style.ok("no damage found"));
  else if (report.dryRun) {
    lines.push(
      style.warn(
        `${plural(report.findings.length, "problem", "problems")} found; ` +
          (whyDry === "--dry-run" ? "run without --dry-run to repair" : `nothing was repaired (${whyDry})`),
      ),
    );
  } else {
    lines.push(
      `${plural(report.findings.length, "problem", "problems")} found, ${report.repaired} repaired` +
        (report.unrepaired
          ? style.bad(`, ${report.unrepaired} not`) +
            (unrepairedRuns ? ` (a run whose run.json is damaged can only be removed by hand)` : "")
          : ""),
    );
  }
  return lines.join("\n");
}

function pipelineObjects(store: Store, pipeline: string, byObject: Map<string, KeyRecord[]>): string[] {
  const objects = new Set<string>();
  for (const file of listDir(`${store.root}/pointers/${pipeline}`)) {
    const pointer = readStoreFile(`${store.root}/pointers/${pipeline}/${file}`, pointerSchema);
    if (!pointer.ok) continue;
    for (const row of readStageRows(store, pointer.value.runId)) if (row.object) objects.add(row.object);
  }
  for (const [object, keys] of byObject) if (keys.some((k) => k.pipeline === pipeline)) objects.add(object);
  return [...objects].filter((o) => existsSync(store.objectDir(o))).sort();
}

function allObjects(store: Store): string[] {
  return listDir(`${store.root}/objects`).flatMap((shard) =>
    listDir(`${store.root}/objects/${shard}`).filter((d) => d.startsWith(shard))
  ).sort();
}

/** Why the file at `path` is not a JSON object (a stat cache), or null when it is one or is missing. */
function notAnObject(path: string): string | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return null;
  }
  try {
    const data: unknown = JSON.parse(text);
    return data !== null && typeof data === "object" && !Array.isArray(data)
      ? null
      : `it holds ${JSON.stringify(data)?.slice(0, 20)}, not an object of entries`;
  } catch {
    return "it is not valid JSON";
  }
}

const short = (hex: string) => `${hex.slice(0, 12)}…`;
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function listDir(path: string): string[] {
  try {
    return [...Deno.readDirSync(path)].map((e) => e.name);
  } catch {
    return [];
  }
}

function existsSync(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}
