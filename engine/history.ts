/**
 * Run records on disk: creating a run, appending stage rows as they finish, finishing it (Parquet),
 * reading the history of a pipeline, and recovering runs whose process died.
 *
 * stages.jsonl is appended line by line while a run goes on, with a provisional "interrupted" row when
 * a stage starts and its real row when it ends; the last row per stage wins. A run killed with -9 thus
 * still says which stages finished and which one it was in.
 *
 * @module
 */
import { isAlive, type ProcessId } from "./process_lock.ts";
import { type RunRecord, type StageRow, writeRunParquet } from "./results.ts";
import { type Store, writeAtomic } from "./store.ts";
import {
  checkShape,
  pointerSchema,
  previousRunSchema,
  processIdSchema,
  readStoreFile,
  runRecordSchema,
  stageRowSchema,
} from "./store_schema.ts";

export function runDir(store: Store, runId: string): string {
  return `${store.root}/runs/${runId}`;
}

/** A sortable, readable run id: UTC time plus 4 random hex digits. */
export function newRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${t}-${crypto.randomUUID().slice(0, 4)}`;
}

/** A run's record, or null when it is missing or malformed (store_schema.ts). */
export function readRun(store: Store, runId: string): RunRecord | null {
  const read = readStoreFile(`${runDir(store, runId)}/run.json`, runRecordSchema);
  return read.ok ? read.value as RunRecord : null;
}

export async function writeRun(store: Store, run: RunRecord): Promise<void> {
  await Deno.mkdir(runDir(store, run.runId), { recursive: true });
  await writeAtomic(`${runDir(store, run.runId)}/run.json`, JSON.stringify(run, null, 1));
}

export function appendStageRow(store: Store, row: StageRow): void {
  Deno.writeTextFileSync(`${runDir(store, row.runId)}/stages.jsonl`, JSON.stringify(row) + "\n", {
    append: true,
  });
}

/** The lines of a run's stages.jsonl that parse as JSON, unchecked, in the order they were written. */
function readRawRows(store: Store, runId: string): unknown[] {
  let text = "";
  try {
    text = Deno.readTextFileSync(`${runDir(store, runId)}/stages.jsonl`);
  } catch {
    return [];
  }
  const rows: unknown[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      rows.push(JSON.parse(line));
    } catch {
      // a line cut short by a kill: the provisional row before it stands
    }
  }
  return rows;
}

const stageOf = (row: unknown) =>
  row !== null && typeof row === "object" ? (row as { stage?: unknown }).stage : undefined;

/**
 * The final row of each stage of a run, in the order they were first written. Lines that do not parse
 * or have the wrong shape are skipped (store_schema.ts): the row before them stands.
 */
export function readStageRows(store: Store, runId: string): StageRow[] {
  const rows = new Map<string, StageRow>();
  for (const raw of readRawRows(store, runId)) {
    const row = checkShape(stageRowSchema, raw);
    if (row.ok) rows.set(row.value.stage, row.value as StageRow);
  }
  return [...rows.values()];
}

/** Finishes a run: its status, end time and Parquet files. */
export async function finishRun(store: Store, run: RunRecord, rows: StageRow[]): Promise<void> {
  writeRunParquet(runDir(store, run.runId), run, rows);
  await writeRun(store, run);
}

export interface Pointer {
  runId: string;
}

export function readPointer(store: Store, pipeline: string, name = "latest"): Pointer | null {
  const read = readStoreFile(`${store.root}/pointers/${pipeline}/${name}.json`, pointerSchema);
  return read.ok ? read.value : null;
}

export async function writePointers(store: Store, run: RunRecord): Promise<void> {
  const dir = `${store.root}/pointers/${run.pipeline}`;
  await Deno.mkdir(dir, { recursive: true });
  const text = JSON.stringify({ runId: run.runId } satisfies Pointer);
  await writeAtomic(`${dir}/${run.paramSet}.json`, text);
  await writeAtomic(`${dir}/latest.json`, text);
}

/** The most recent row of each stage of a pipeline (see `stageHistory`). */
export interface StageHistory {
  get(stage: string): StageRow | undefined;
}

/**
 * The most recent row of every stage of a pipeline, looking back through up to `depth` runs. Rows are
 * checked against their schema when asked for (a run asks for each of its stages; checking the whole
 * history up front would cost ~10× that): a malformed row gives way to the stage's row before it.
 */
export function stageHistory(store: Store, pipeline: string, depth = 10): StageHistory {
  // Stage → its rows, most recent first (the last line of a run for a stage is its final row).
  const candidates = new Map<string, unknown[]>();
  let runId = readPointer(store, pipeline)?.runId ?? null;
  for (let i = 0; runId && i < depth; i++) {
    const rows = readRawRows(store, runId);
    const newest = new Map<string, unknown[]>();
    for (let k = rows.length - 1; k >= 0; k--) {
      const stage = stageOf(rows[k]);
      if (typeof stage !== "string") continue;
      const list = newest.get(stage) ?? [];
      list.push(rows[k]);
      newest.set(stage, list);
    }
    for (const [stage, list] of newest) candidates.set(stage, [...(candidates.get(stage) ?? []), ...list]);
    const run = readStoreFile(`${runDir(store, runId)}/run.json`, previousRunSchema);
    runId = run.ok ? run.value.previousRunId : null;
  }
  const checked = new Map<string, StageRow | undefined>();
  return {
    get(stage: string): StageRow | undefined {
      if (checked.has(stage)) return checked.get(stage);
      let row: StageRow | undefined;
      for (const raw of candidates.get(stage) ?? []) {
        const read = checkShape(stageRowSchema, raw);
        if (read.ok) {
          row = read.value as StageRow;
          break;
        }
      }
      checked.set(stage, row);
      return row;
    },
  };
}

/** Marks a run as in progress, so that gc leaves its objects alone. */
export async function markActive(store: Store, run: RunRecord): Promise<void> {
  await writeAtomic(
    `${store.root}/active/${run.runId}.json`,
    JSON.stringify({ pid: run.pid, start: run.pidStart, host: run.host }),
  );
}

export async function unmarkActive(store: Store, runId: string): Promise<void> {
  await Deno.remove(`${store.root}/active/${runId}.json`).catch(() => {});
}

/** The runs marked active (runs in progress, or killed and not yet recovered), with their owners. */
export function activeMarkers(store: Store): { runId: string; owner: ProcessId | null }[] {
  const markers: { runId: string; owner: ProcessId | null }[] = [];
  for (const entry of Deno.readDirSync(`${store.root}/active`)) {
    if (!entry.name.endsWith(".json")) continue; // a temp file of writeAtomic
    const read = readStoreFile(`${store.root}/active/${entry.name}`, processIdSchema);
    markers.push({ runId: entry.name.replace(/\.json$/, ""), owner: read.ok ? read.value : null });
  }
  return markers;
}

/** Live runs in the store (their process still runs). */
export function activeRuns(store: Store): string[] {
  return activeMarkers(store).filter((m) => m.owner && isAlive(m.owner)).map((m) => m.runId);
}

/**
 * Finishes the records of runs whose process died (kill -9, crash, power loss): status "interrupted",
 * Parquet written from the rows that made it to stages.jsonl. Returns their ids. `isGone` decides
 * (default: the owner is dead on this host); unlock.ts widens it to the hosts the user declared gone.
 */
export async function recoverDeadRuns(
  store: Store,
  isGone: (owner: ProcessId) => boolean = (owner) => !isAlive(owner),
): Promise<string[]> {
  const recovered: string[] = [];
  for (const { runId, owner } of activeMarkers(store)) {
    // Markers are written whole (temp file + rename), so one that does not parse is damaged: recover it.
    if (owner && !isGone(owner)) continue;
    const run = readRun(store, runId);
    if (run && run.status === "running") {
      const rows = readStageRows(store, runId);
      await finishRun(store, {
        ...run,
        status: "interrupted",
        endedAt: rows.at(-1)?.endedAt ?? run.startedAt,
      }, rows);
    }
    await unmarkActive(store, runId);
    recovered.push(runId);
  }
  return recovered;
}
