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
import { isAlive } from "./process_lock.ts";
import { type RunRecord, type StageRow, writeRunParquet } from "./results.ts";
import { type Store, writeAtomic } from "./store.ts";

export function runDir(store: Store, runId: string): string {
  return `${store.root}/runs/${runId}`;
}

/** A sortable, readable run id: UTC time plus 4 random hex digits. */
export function newRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${t}-${crypto.randomUUID().slice(0, 4)}`;
}

export function readRun(store: Store, runId: string): RunRecord | null {
  try {
    return JSON.parse(Deno.readTextFileSync(`${runDir(store, runId)}/run.json`)) as RunRecord;
  } catch {
    return null;
  }
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

/** The final row of each stage of a run, in the order they were first written. */
export function readStageRows(store: Store, runId: string): StageRow[] {
  let text = "";
  try {
    text = Deno.readTextFileSync(`${runDir(store, runId)}/stages.jsonl`);
  } catch {
    return [];
  }
  const rows = new Map<string, StageRow>();
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      const row = JSON.parse(line) as StageRow;
      rows.set(row.stage, row);
    } catch {
      // a line cut short by a kill: the provisional row before it stands
    }
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
  try {
    return JSON.parse(Deno.readTextFileSync(`${store.root}/pointers/${pipeline}/${name}.json`)) as Pointer;
  } catch {
    return null;
  }
}

export async function writePointers(store: Store, run: RunRecord): Promise<void> {
  const dir = `${store.root}/pointers/${run.pipeline}`;
  await Deno.mkdir(dir, { recursive: true });
  const text = JSON.stringify({ runId: run.runId } satisfies Pointer);
  await writeAtomic(`${dir}/${run.paramSet}.json`, text);
  await writeAtomic(`${dir}/latest.json`, text);
}

/** The most recent row of every stage of a pipeline, looking back through up to `depth` runs. */
export function stageHistory(store: Store, pipeline: string, depth = 10): Map<string, StageRow> {
  const history = new Map<string, StageRow>();
  let runId = readPointer(store, pipeline)?.runId ?? null;
  for (let i = 0; runId && i < depth; i++) {
    for (const row of readStageRows(store, runId)) if (!history.has(row.stage)) history.set(row.stage, row);
    runId = readRun(store, runId)?.previousRunId ?? null;
  }
  return history;
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

/** Live runs in the store (their process still runs). */
export function activeRuns(store: Store): string[] {
  const live: string[] = [];
  for (const entry of Deno.readDirSync(`${store.root}/active`)) {
    try {
      const owner = JSON.parse(Deno.readTextFileSync(`${store.root}/active/${entry.name}`));
      if (isAlive(owner)) live.push(entry.name.replace(/\.json$/, ""));
    } catch {
      // being written
    }
  }
  return live;
}

/**
 * Finishes the records of runs whose process died (kill -9, crash, power loss): status "interrupted",
 * Parquet written from the rows that made it to stages.jsonl. Returns their ids.
 */
export async function recoverDeadRuns(store: Store): Promise<string[]> {
  const recovered: string[] = [];
  for (const entry of Deno.readDirSync(`${store.root}/active`)) {
    const runId = entry.name.replace(/\.json$/, "");
    let owner;
    try {
      owner = JSON.parse(Deno.readTextFileSync(`${store.root}/active/${entry.name}`));
    } catch {
      continue;
    }
    if (isAlive(owner)) continue;
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
