/**
 * Sweeps: one pipeline over the cross product of param values (`--sweep train.steps=100,200
 * --sweep graph.k=1,2`) or over a list of param sets (`--sweep-file`), as one run per point. Points
 * run as child processes of the CLI, at most `jobs` at a time, each with its share of the cores for
 * onnxruntime's threads; a stage whose key is the same across points executes once (the per-key lock
 * makes the others wait and take it from the cache). Every point's run record carries the sweep's id.
 *
 * @module
 */
import { readRun, runDir } from "./history.ts";
import { ParamError } from "./params.ts";
import type { RunRecord } from "./results.ts";
import { type Store, writeAtomic } from "./store.ts";

/** One point of a sweep: the `--set` texts that make it, and its swept values by key. */
export interface SweepPoint {
  sets: string[];
  values: Record<string, string>;
}

/** What a sweep leaves in the store (`sweeps/<id>.json`), for the table, the page and `runs --sweep`. */
export interface SweepRecord {
  id: string;
  pipeline: string;
  startedAt: string;
  endedAt: string | null;
  jobs: number;
  /** The `--set` overrides common to every point. */
  base: string[];
  keys: string[];
  points: (SweepPoint & { runId: string | null; exitCode: number | null })[];
}

/**
 * Splits `V1,V2,…` at the commas that are not inside brackets or quotes, so that a list value
 * (`graph.gChannels=[8,8],[16,16]`) stays whole.
 */
export function splitValues(text: string): string[] {
  const values: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let current = "";
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) {
      values.push(current);
      current = "";
      continue;
    }
    current += c;
  }
  values.push(current);
  return values;
}

/** The cross product of `--sweep KEY=V1,V2,…` flags, in the order given (the last key varies fastest). */
export function crossProduct(sweeps: readonly string[]): SweepPoint[] {
  let points: SweepPoint[] = [{ sets: [], values: {} }];
  const seen = new Set<string>();
  for (const sweep of sweeps) {
    const eq = sweep.indexOf("=");
    if (eq <= 0) {
      throw new ParamError(
        `Cannot read --sweep ${sweep}: write it as KEY=V1,V2,…, e.g. --sweep train.steps=100,200`,
      );
    }
    const key = sweep.slice(0, eq);
    if (seen.has(key)) throw new ParamError(`--sweep ${key} is given twice: give all its values in one flag`);
    seen.add(key);
    const values = splitValues(sweep.slice(eq + 1));
    if (values.some((v) => v === "")) {
      throw new ParamError(`Cannot read --sweep ${sweep}: a value is empty (two commas in a row?)`);
    }
    points = points.flatMap((p) =>
      values.map((v) => ({ sets: [...p.sets, `${key}=${v}`], values: { ...p.values, [key]: v } }))
    );
  }
  return points;
}

/**
 * Points from a sweep file: a JSON list of objects (`[{"train.steps": 100, "graph.k": 2}, …]`), or text
 * with one point per line as `KEY=VALUE KEY=VALUE` (blank lines and `#` comments skipped).
 */
export function pointsFromFile(path: string): SweepPoint[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new ParamError(`Cannot read the sweep file ${path}: ${(error as Error).message}`);
  }
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) {
    let list: unknown;
    try {
      list = JSON.parse(trimmed);
    } catch (error) {
      throw new ParamError(`The sweep file ${path} is not valid JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(list) || list.some((p) => typeof p !== "object" || p === null || Array.isArray(p))) {
      throw new ParamError(
        `The sweep file ${path} must hold a list of objects of params, e.g. [{"train.steps": 100}]`,
      );
    }
    return (list as Record<string, unknown>[]).map((p) => {
      const values = Object.fromEntries(
        Object.entries(p).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
      );
      return { sets: Object.entries(values).map(([k, v]) => `${k}=${v}`), values };
    });
  }
  const points: SweepPoint[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.replace(/#.*$/, "").trim();
    if (!line) continue;
    const sets = line.split(/\s+/);
    const bad = sets.find((s) => s.indexOf("=") <= 0);
    if (bad) throw new ParamError(`${path}:${i + 1}: '${bad}' is not KEY=VALUE`);
    points.push({
      sets,
      values: Object.fromEntries(sets.map((s) => [s.slice(0, s.indexOf("=")), s.slice(s.indexOf("=") + 1)])),
    });
  }
  if (points.length === 0) throw new ParamError(`The sweep file ${path} holds no points`);
  return points;
}

/** A sortable sweep id: UTC time plus 4 random hex digits. */
export function newSweepId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `sweep-${t}-${crypto.randomUUID().slice(0, 4)}`;
}

export function sweepPath(store: Store, id: string): string {
  return `${store.root}/sweeps/${id}.json`;
}

export async function writeSweep(store: Store, sweep: SweepRecord): Promise<void> {
  await Deno.mkdir(`${store.root}/sweeps`, { recursive: true });
  await writeAtomic(sweepPath(store, sweep.id), JSON.stringify(sweep, null, 1));
}

export function readSweep(store: Store, id: string): SweepRecord | null {
  try {
    return JSON.parse(Deno.readTextFileSync(sweepPath(store, id))) as SweepRecord;
  } catch {
    return null;
  }
}

/** The CPU threads each of `jobs` concurrent points gets: its share of the cores, at least one. */
export function threadsPerJob(jobs: number, cores = navigator.hardwareConcurrency): number {
  return Math.max(1, Math.floor(cores / jobs));
}

export interface SweepOptions {
  store: Store;
  pipeline: string;
  /** `--set` texts common to every point. */
  base: string[];
  points: SweepPoint[];
  jobs: number;
  /** The command that runs one point: argv for `deno`, to which the point's flags are appended. */
  command: string[];
  /** Extra flags of every point (e.g. --data-dir, --reports-dir). */
  flags: string[];
  /** Where each output line of a point goes, prefixed with the point's label. */
  out: (line: string) => void;
  signal?: AbortSignal;
}

/** Runs every point, `jobs` at a time, and records the sweep. */
export async function runSweep(o: SweepOptions): Promise<SweepRecord> {
  const sweep: SweepRecord = {
    id: newSweepId(),
    pipeline: o.pipeline,
    startedAt: new Date().toISOString(),
    endedAt: null,
    jobs: o.jobs,
    base: o.base,
    keys: [...new Set(o.points.flatMap((p) => Object.keys(p.values)))],
    points: o.points.map((p) => ({ ...p, runId: null, exitCode: null })),
  };
  await writeSweep(o.store, sweep);
  const threads = threadsPerJob(o.jobs);
  const width = String(o.points.length).length;
  let next = 0;
  const worker = async () => {
    while (next < sweep.points.length && !o.signal?.aborted) {
      const index = next++;
      const point = sweep.points[index]!;
      const label = `[${String(index + 1).padStart(width)}/${o.points.length}]`;
      const args = [
        ...o.command,
        ...[...o.base, ...point.sets].flatMap((s) => ["--set", s]),
        "--sweep-id",
        sweep.id,
        "--threads",
        String(threads),
        ...o.flags,
      ];
      const child = new Deno.Command(Deno.execPath(), {
        args,
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      const onAbort = () => child.kill("SIGINT");
      o.signal?.addEventListener("abort", onAbort);
      const relay = async (stream: ReadableStream<Uint8Array>) => {
        let buffer = "";
        for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
          buffer += chunk;
          const lines = buffer.split("\n");
          buffer = lines.pop()!;
          for (const line of lines) {
            const run = /· run (\S+)$/.exec(line);
            if (run && !point.runId) point.runId = run[1]!;
            if (line.trim()) o.out(`${label} ${line}`);
          }
        }
        if (buffer.trim()) o.out(`${label} ${buffer}`);
      };
      const [status] = await Promise.all([child.status, relay(child.stdout), relay(child.stderr)]);
      o.signal?.removeEventListener("abort", onAbort);
      point.exitCode = status.code;
      await writeSweep(o.store, sweep);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, o.points.length) }, worker));
  sweep.endedAt = new Date().toISOString();
  await writeSweep(o.store, sweep);
  return sweep;
}

/** One row of a sweep's table. */
export interface SweepRow {
  point: number;
  values: Record<string, string>;
  runId: string | null;
  status: string;
  headline: { label: string; value: number | null } | null;
  claims: { reproduced: number; total: number } | null;
  durationMs: number | null;
  ran: number;
  cached: number;
}

/** The table of a sweep, from its points' run records. */
export function sweepRows(store: Store, sweep: SweepRecord): SweepRow[] {
  return sweep.points.map((p, i) => {
    const run: RunRecord | null = p.runId ? readRun(store, p.runId) : null;
    let ran = 0, cached = 0;
    if (run) {
      try {
        const lines = Deno.readTextFileSync(`${runDir(store, run.runId)}/stages.jsonl`).split("\n");
        const last = new Map<string, string>();
        for (const line of lines) {
          if (!line) continue;
          try {
            const row = JSON.parse(line) as { stage: string; status: string };
            last.set(row.stage, row.status);
          } catch {
            // a line cut short by a kill
          }
        }
        for (const s of last.values()) s === "ran" ? ran++ : s === "cached" ? cached++ : 0;
      } catch {
        // no stage rows
      }
    }
    const claims = run?.claims ?? [];
    return {
      point: i + 1,
      values: p.values,
      runId: p.runId,
      status: run ? run.status : p.exitCode === null ? "not run" : `failed (exit ${p.exitCode})`,
      headline: run?.headline ? { label: run.headline.label, value: run.headline.value } : null,
      claims: claims.length
        ? { reproduced: claims.filter((c) => c.verdict === "reproduced").length, total: claims.length }
        : null,
      durationMs: run?.endedAt ? Date.parse(run.endedAt) - Date.parse(run.startedAt) : null,
      ran,
      cached,
    };
  });
}
