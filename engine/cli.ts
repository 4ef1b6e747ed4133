/**
 * The command line: `deno task run|status|list|query|gc|verify|unlock …`.
 *
 * Exit codes:
 * - 0   success (also a run whose report could not be published: that is a warning)
 * - 1   a stage or a query failed; `verify` found damage it could not repair
 * - 2   bad usage, params or pipeline name; a pipeline that cannot be planned
 * - 3   the store or the reports folder cannot be written (disk full, read-only, permission denied), or a
 *       read-only store lacks a result the run needs
 * - 130 interrupted by Ctrl-C (SIGINT); 143 terminated (SIGTERM). The run is recorded as interrupted.
 *
 * Every error is one line naming what failed and what to do; `--verbose` adds stack traces of stages.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { describeWriteError, isStoreWriteError } from "./fs_errors.ts";
import { collectGarbage } from "./gc.ts";
import { readPointer, readRun } from "./history.ts";
import { ParamError, parseOverrides } from "./params.ts";
import { dataDir, PROJECT_ROOT, reportsDir } from "./paths.ts";
import { PlanError } from "./plan.ts";
import { describeHolder, LockWaitInterrupted, readLockOwner } from "./process_lock.ts";
import { formatDuration, makeStyle, ProgressBoard, type Style, wantColor } from "./progress.ts";
import { publishRun } from "./publish.ts";
import { loadPipeline, pipelineNames, UnknownPipelineError } from "./registry.ts";
import { ReadOnlyStoreError, runFromReadOnlyStore } from "./readonly_run.ts";
import { runPipeline } from "./runner.ts";
import { Store, StoreOpenError } from "./store.ts";
import { closestAll } from "./suggest.ts";

const HELP: Record<string, string> = {
  main: `Reproduces ML articles as cached pipelines.

Usage: deno task <command> [options]

Commands:
  run PIPELINE     run a pipeline (only what changed executes)
  status [PIP…]    what would run next, and the last run
  list             pipelines, what they reproduce, their last result
  query "SQL"      SQL over every run, stage, param and metric (read-only)
  gc               delete cached outputs that no latest run needs
  verify [PIP]     re-hash every stored output and record, and repair what it can
  unlock           break the locks of killed runs or of hosts that are gone

Each command takes --help.`,
  run: `Usage: deno task run PIPELINE [options]
       deno task run --file PATH [options]

Runs PIPELINE (a module in pipelines/): each stage is taken from the cache when its code, params,
inputs and runtime are unchanged, and executed otherwise. Every decision is explained. A read-only
store serves fully cached runs without recording them.

Options:
  --set KEY=VALUE   override a param; KEY is stage.param (train.lr=1e-4) or a pipeline
                    param (scale=full, dataset=fashion-mnist). Repeatable.
  --dry-run         print the plan (what runs and why) and execute nothing
  --force STAGE     rerun STAGE and every stage downstream of it, cached or not. Repeatable.
  --keep-going      after a failure, still run the stages that do not depend on it
  --file PATH       run the pipeline module at PATH, outside pipelines/ (its code runs: only for
                    modules you trust, e.g. a pipeline under development)
  --verbose         full stack traces of stage errors
  --data-dir DIR    the store (default: data/, or $REPRO_DATA_DIR)
  --reports-dir DIR where reports are published (default: reports/, or $REPRO_REPORTS_DIR)

Examples:
  deno task run wgan-div
  deno task run wgan-div --set train.steps=500 --dry-run
  deno task run gillespie --force simulate`,
  status: `Usage: deno task status [PIPELINE…] [--file PATH…] [--data-dir DIR]

For each pipeline (all by default, or those named, or the modules given with --file): its last run,
and what a run with default params would execute now and why.`,
  list: `Usage: deno task list [--data-dir DIR]

Lists the pipelines, the article each reproduces, and the result of its last run.`,
  query: `Usage: deno task query "SQL" [--csv | --json] [--data-dir DIR]

Runs DuckDB SQL over views of every result in the store. Queries are read-only: only SELECT
statements run (DESCRIBE, SHOW and SUMMARIZE too), and they read nothing but the run records under
the store's runs/. A record file that cannot be read is skipped and named. The table shows at most
10,000 rows; --csv and --json stream every row.

  runs            one row per run: run_id, pipeline, param_set, status, started_at, duration_ms,
                  n_ran, n_cached, n_failed, versions, headline, headline_value
  stages          one row per stage per run: stage, kind, status, cache_hit, reason, key, object,
                  started_at, duration_ms, code_digest, params (JSON), versions (JSON), error
  params          one row per (run, stage, param): name, value, value_num
  metrics         one row per logged metric: run_id, pipeline, stage, key, step, name, value
  latest_runs     the latest run of each (pipeline, param set)
  latest_metrics  the metrics behind the latest runs (a cached stage brings the run that computed it)

Examples:
  deno task query "select stage, status, duration_ms from stages"
  deno task query "select name, max(step), last(value order by step) from latest_metrics group by name"
  deno task query --csv "select * from metrics" > metrics.csv`,
  gc: `Usage: deno task gc [--dry-run] [--data-dir DIR]

Deletes cached outputs (and their cache entries) that the latest run of no (pipeline, param set)
needs, finished or week-old unfinished work folders, and leftovers of killed processes. Run records
are kept. Waits for running pipelines to finish first.`,
  verify: `Usage: deno task verify [PIPELINE] [--dry-run] [--data-dir DIR]

Re-hashes every file of every stored output (or, with PIPELINE, of the outputs its latest runs use)
against its manifest, whatever its stat, and checks every cache entry, cache file and run record.
It repairs what it can: a damaged output is removed with its cache entries (the next run recomputes
it), a damaged cache entry or cache file is removed (it is rebuilt), a run record's Parquet files are
rewritten from run.json and stages.jsonl, and unreadable metrics files are set aside (.corrupt).
With --dry-run it only reports. Exits 1 when damage is left that it could not repair.

Examples:
  deno task verify
  deno task verify gillespie --dry-run`,
  unlock: `Usage: deno task unlock [--host NAME] [--dry-run] [--data-dir DIR]

Breaks the locks whose owner is gone and records their runs as interrupted. A stale lock of this
host (its process was killed) is broken by the next run anyway; a lock held on another host cannot
be checked from here, so runs wait for it: --host NAME declares that host's processes gone and breaks
its locks. Locks of processes that still run on this host are kept (stop the process instead).

Examples:
  deno task unlock
  deno task unlock --host build-box-7`,
};

// Colour codes, to measure the width of styled text.
const ANSI = new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g");

class UsageError extends Error {
  override name = "UsageError";
}

type OptionSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }>;
type Parsed = { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };

function parse(command: string, args: string[], options: OptionSpec): Parsed {
  try {
    const spec = { help: { type: "boolean" as const, short: "h" }, ...options };
    return parseArgs({ args, allowPositionals: true, strict: true, options: spec }) as Parsed;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${HELP[command]}`);
  }
}

function storeFrom(flag: unknown): Store {
  return Store.open(dataDir(typeof flag === "string" ? flag : undefined));
}

/** The exit code of an interrupted run: 130 after Ctrl-C (SIGINT), 143 after SIGTERM. */
let interruptCode = 130;

async function cmdRun(args: string[], style: Style): Promise<number> {
  const { values, positionals } = parse("run", args, {
    file: { type: "string" },
    set: { type: "string", multiple: true },
    "dry-run": { type: "boolean" },
    force: { type: "string", multiple: true },
    "keep-going": { type: "boolean" },
    verbose: { type: "boolean", short: "v" },
    "data-dir": { type: "string" },
    "reports-dir": { type: "string" },
  });
  if (values.help) return (console.log(HELP.run), 0);
  const file = typeof values.file === "string" ? values.file : undefined;
  if (positionals.length !== (file ? 0 : 1)) {
    throw new UsageError(
      (file
        ? `Expected no pipeline name with --file, got ${positionals.join(" ")}.`
        : `Expected one pipeline name, got ${positionals.length}.`) + `\n\n${HELP.run}`,
    );
  }
  const pipeline = await loadPipeline(PROJECT_ROOT, file ?? positionals[0]!, { file: file !== undefined });
  const store = storeFrom(values["data-dir"]);
  const reports = reportsDir(typeof values["reports-dir"] === "string" ? values["reports-dir"] : undefined);
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: "SIGINT" | "SIGTERM") => () => {
    interruptCode = signal === "SIGINT" ? 130 : 143;
    if (++interrupts > 1) Deno.exit(interruptCode);
    console.error(style.warn("\ninterrupting: stopping the running stage (Ctrl-C again to quit at once)…"));
    controller.abort(new Error("interrupted"));
  };
  const onInt = onSignal("SIGINT");
  const onTerm = onSignal("SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  try {
    const summary = await (store.readOnly ? runFromReadOnlyStore : runPipeline)({
      store,
      root: PROJECT_ROOT,
      pipeline,
      overrides: parseOverrides((values.set as string[] | undefined) ?? []),
      force: (values.force as string[] | undefined) ?? [],
      dryRun: Boolean(values["dry-run"]),
      keepGoing: Boolean(values["keep-going"]),
      verbose: Boolean(values.verbose),
      argv: ["run", ...args],
      style,
      board: new ProgressBoard({ style }),
      signal: controller.signal,
      onFinished: async (s) => {
        try {
          const page = await publishRun(store, reports, pipeline, s);
          if (page) console.log(`report: ${page}`);
        } catch (error) {
          // The results are in the store; only their copy under reports/ failed. Not a failed run.
          if (!isStoreWriteError(error)) throw error;
          console.error(
            style.warn("warning: ") + `the report was not published: ${describeWriteError(error, reports)}`,
          );
        }
      },
    });
    if (summary.status === "interrupted") return interruptCode;
    return summary.status === "ok" ? 0 : 1;
  } catch (error) {
    if (error instanceof LockWaitInterrupted) {
      const holder = readLockOwner(error.path);
      console.error(
        `interrupted while waiting for the store lock${
          holder ? ` (held by ${describeHolder(holder)})` : ""
        }: ` +
          `nothing was started`,
      );
      return interruptCode;
    }
    throw error;
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  }
}

function ago(iso: string | null): string {
  if (!iso) return "";
  return `${formatDuration(Date.now() - Date.parse(iso))} ago`;
}

async function cmdStatus(args: string[], style: Style): Promise<number> {
  const { values, positionals } = parse("status", args, {
    file: { type: "string", multiple: true },
    "data-dir": { type: "string" },
  });
  if (values.help) return (console.log(HELP.status), 0);
  const store = storeFrom(values["data-dir"]);
  const files = (values.file as string[] | undefined) ?? [];
  const names = positionals.length || files.length ? positionals : pipelineNames(PROJECT_ROOT);
  const targets = [
    ...names.map((name) => ({ name, file: false })),
    ...files.map((name) => ({ name, file: true })),
  ];
  let code = 0;
  for (const target of targets) {
    const pipeline = await loadPipeline(PROJECT_ROOT, target.name, { file: target.file });
    const last = readPointer(store, pipeline.name);
    const run = last ? readRun(store, last.runId) : null;
    const lastText = run
      ? `last run ${run.runId}: ${run.status}, ${ago(run.endedAt ?? run.startedAt)}`
      : "never run";
    try {
      await runPipeline({
        store,
        root: PROJECT_ROOT,
        pipeline,
        dryRun: true,
        style,
        out: (line) =>
          console.log(line.replace("(dry run: nothing is executed)", style.dim(`· ${lastText}`))),
      });
    } catch (error) {
      // One pipeline that cannot be planned (e.g. its dataset is not installed) does not hide the others.
      if (!(error instanceof PlanError)) throw error;
      console.log(`${style.bold(pipeline.name)} · ${style.bad("error: ")}${error.message}`);
      code = 2;
    }
  }
  return code;
}

async function cmdList(args: string[], style: Style): Promise<number> {
  const { values } = parse("list", args, { "data-dir": { type: "string" } });
  if (values.help) return (console.log(HELP.list), 0);
  const store = storeFrom(values["data-dir"]);
  const names = pipelineNames(PROJECT_ROOT);
  const rows: string[][] = [];
  for (const name of names) {
    const pipeline = await loadPipeline(PROJECT_ROOT, name);
    const pointer = readPointer(store, pipeline.name);
    const run = pointer ? readRun(store, pointer.runId) : null;
    let result = style.dim("never run");
    if (run) {
      const headline = run.headline && run.headline.value !== null
        ? ` · ${run.headline.label} ${Number(run.headline.value.toPrecision(4))}`
        : "";
      const status = run.status === "ok" ? style.ok(run.status) : style.bad(run.status);
      result = `${status}${headline} · ${ago(run.endedAt ?? run.startedAt)}`;
    }
    rows.push([style.bold(name), pipeline.description, result]);
    rows.push(["", style.dim(`${pipeline.article.title} — ${pipeline.article.url}`), ""]);
  }
  const plain = (s: string) => s.replace(ANSI, "");
  const width = Math.max(...rows.map((r) => plain(r[0]!).length));
  for (const r of rows) {
    console.log(
      `${r[0]}${" ".repeat(width - plain(r[0]!).length)}  ${r[1]}${
        r[2] ? `\n${" ".repeat(width + 2)}${r[2]}` : ""
      }`,
    );
  }
  return 0;
}

async function cmdQuery(args: string[]): Promise<number> {
  const { values, positionals } = parse("query", args, {
    csv: { type: "boolean" },
    json: { type: "boolean" },
    "data-dir": { type: "string" },
  });
  if (values.help) return (console.log(HELP.query), 0);
  if (positionals.length !== 1) throw new UsageError(`Expected one SQL string in quotes.\n\n${HELP.query}`);
  const store = storeFrom(values["data-dir"]);
  const { openResults, query, formatTable, QueryError, streamQuery, streamingSink } = await import(
    "./query.ts"
  );
  const results = await openResults(store.root);
  let told = 0;
  const tellSkipped = () => {
    for (const { path, problem } of results.skipped.slice(told)) {
      console.error(
        `warning: skipped ${path}: ${problem}. Run deno task verify to repair or set aside damaged records`,
      );
    }
    told = results.skipped.length;
  };
  try {
    tellSkipped();
    const format = values.csv ? "csv" : values.json ? "json" : "table";
    if (format === "table") {
      const result = await query(results, positionals[0]!, TABLE_ROWS);
      tellSkipped();
      console.log(formatTable(result));
    } else {
      const encoder = new TextEncoder();
      const sink = streamingSink(format, (text) => writeAll(encoder.encode(text)));
      await streamQuery(results, positionals[0]!, sink);
      sink.end();
      tellSkipped();
    }
    return 0;
  } catch (error) {
    tellSkipped();
    if (error instanceof QueryError) {
      console.error(`query failed: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    results.connection.closeSync();
  }
}

/** Rows the table format shows at most (it must see every row to size its columns). */
const TABLE_ROWS = 10_000;

function writeAll(bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += Deno.stdout.writeSync(bytes.subarray(done));
}

async function cmdGc(args: string[]): Promise<number> {
  const { values } = parse("gc", args, { "dry-run": { type: "boolean" }, "data-dir": { type: "string" } });
  if (values.help) return (console.log(HELP.gc), 0);
  const store = storeFrom(values["data-dir"]);
  const dry = Boolean(values["dry-run"]);
  if (store.readOnly && !dry) throw new StoreError(`Cannot gc ${store.root}: the store is read-only`);
  const report = await collectGarbage(store, { dryRun: dry, onWait: (m) => console.error(m) });
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  const objectBytes = report.objects.reduce((a, o) => a + o.bytes, 0);
  const workBytes = report.workDirs.reduce((a, w) => a + w.bytes, 0);
  const verb = dry ? "would remove" : "removed";
  console.log(
    `${verb} ${report.objects.length} cached outputs (${
      mb(objectBytes)
    }), ${report.keys.length} cache entries, ` +
      `${report.workDirs.length} work folders (${mb(workBytes)}), ${report.leftovers.length} leftovers; ` +
      `kept ${report.keptObjects} outputs that latest runs need`,
  );
  return 0;
}

async function cmdVerify(args: string[], style: Style): Promise<number> {
  const { values, positionals } = parse("verify", args, {
    "dry-run": { type: "boolean" },
    "data-dir": { type: "string" },
  });
  if (values.help) return (console.log(HELP.verify), 0);
  if (positionals.length > 1) throw new UsageError(`Expected at most one pipeline name.\n\n${HELP.verify}`);
  const store = storeFrom(values["data-dir"]);
  const pipeline = positionals[0] ? knownPipeline(store, positionals[0]) : undefined;
  const { verifyStore, formatVerifyReport } = await import("./verify.ts");
  const report = await verifyStore(store, {
    ...(pipeline ? { pipeline } : {}),
    dryRun: Boolean(values["dry-run"]) || store.readOnly,
  });
  console.log(formatVerifyReport(report, style, store.readOnly ? "the store is read-only" : "--dry-run"));
  return report.unrepaired > 0 ? 1 : 0;
}

/** `name` if the store holds runs of it or it is a pipeline of this project; else a usage error. */
function knownPipeline(store: Store, name: string): string {
  let stored: string[] = [];
  try {
    stored = [...Deno.readDirSync(`${store.root}/pointers`)].map((e) => e.name);
  } catch {
    // no runs yet
  }
  const names = [...new Set([...stored, ...pipelineNames(PROJECT_ROOT)])].sort();
  if (names.includes(name)) return name;
  const guesses = closestAll(name, names);
  throw new UsageError(
    `Unknown pipeline '${name}'.` +
      (guesses.length ? ` Did you mean ${guesses.map((g) => `'${g}'`).join(" or ")}?` : "") +
      ` Known here: ${names.join(", ")}.`,
  );
}

async function cmdUnlock(args: string[]): Promise<number> {
  const { values, positionals } = parse("unlock", args, {
    host: { type: "string", multiple: true },
    "dry-run": { type: "boolean" },
    "data-dir": { type: "string" },
  });
  if (values.help) return (console.log(HELP.unlock), 0);
  if (positionals.length > 0) throw new UsageError(`Expected no arguments.\n\n${HELP.unlock}`);
  const store = storeFrom(values["data-dir"]);
  const dry = Boolean(values["dry-run"]);
  if (store.readOnly && !dry) throw new StoreError(`Cannot unlock ${store.root}: the store is read-only`);
  const { unlockStore } = await import("./unlock.ts");
  const report = await unlockStore(store, {
    hosts: (values.host as string[] | undefined) ?? [],
    dryRun: dry,
  });
  for (const r of report.removed) console.log(`${dry ? "would remove" : "removed"} ${r.path}: ${r.why}`);
  for (const k of report.kept) console.log(`kept ${k.path}: ${k.why}`);
  for (const run of report.recovered) console.log(`recorded run ${run} as interrupted`);
  if (report.removed.length + report.kept.length + report.recovered.length === 0) {
    console.log(`no locks in ${store.root}`);
  }
  return 0;
}

/** A store that cannot be used for what was asked (read-only for gc); exit code 3. */
class StoreError extends Error {
  override name = "StoreError";
}

/** Runs the CLI with `args` and returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const style = makeStyle(wantColor());
  const [command, ...rest] = args;
  try {
    switch (command) {
      case "run":
        return await cmdRun(rest, style);
      case "status":
        return await cmdStatus(rest, style);
      case "list":
        return await cmdList(rest, style);
      case "query":
        return await cmdQuery(rest);
      case "gc":
        return await cmdGc(rest);
      case "verify":
        return await cmdVerify(rest, style);
      case "unlock":
        return await cmdUnlock(rest);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        console.log(HELP.main);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`Unknown command '${command}'.\n\n${HELP.main}`);
    }
  } catch (error) {
    if (
      error instanceof UsageError || error instanceof ParamError || error instanceof PlanError ||
      error instanceof UnknownPipelineError
    ) {
      console.error(style.bad("error: ") + error.message);
      return 2;
    }
    if (
      error instanceof ReadOnlyStoreError || error instanceof StoreError || error instanceof StoreOpenError
    ) {
      console.error(style.bad("error: ") + error.message);
      return 3;
    }
    if (isStoreWriteError(error)) {
      // A full disk or a read-only folder, wherever it struck: one line, no stack. What was committed
      // stays; a run cut short is recorded as interrupted by the next run.
      console.error(style.bad("error: ") + describeWriteError(error, `the store ${dataDirOf(rest)}`));
      return 3;
    }
    throw error;
  }
}

/** The store a command line names (for messages). */
function dataDirOf(args: string[]): string {
  const i = args.indexOf("--data-dir");
  return dataDir(i >= 0 ? args[i + 1] : undefined);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
