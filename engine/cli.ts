/**
 * The command line: `deno task run|status|list|query|gc …`. Exit codes: 0 success, 1 a stage or query
 * failed, 2 bad usage or params, 130 interrupted.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { tallyClaims, tallyText, type Verdict } from "./claims.ts";
import { collectGarbage } from "./gc.ts";
import { readPointer, readRun } from "./history.ts";
import { ParamError, parseOverrides } from "./params.ts";
import { dataDir, PROJECT_ROOT, reportsDir } from "./paths.ts";
import { PlanError } from "./plan.ts";
import { formatDuration, makeStyle, ProgressBoard, type Style, wantColor } from "./progress.ts";
import { publishRun } from "./publish.ts";
import { loadPipeline, pipelineNames, UnknownPipelineError } from "./registry.ts";
import { runPipeline } from "./runner.ts";
import { Store } from "./store.ts";

const HELP: Record<string, string> = {
  main: `Reproduces ML articles as cached pipelines.

Usage: deno task <command> [options]

Commands:
  run PIPELINE     run a pipeline (only what changed executes)
  status [PIP…]    what would run next, and the last run
  list             pipelines, what they reproduce, their last result
  claims [PIP…]    what each article claims, and whether the last run reproduced it
  query "SQL"      SQL over every run, stage, param, metric and claim
  gc               delete cached outputs that no latest run needs

Each command takes --help.`,
  run: `Usage: deno task run PIPELINE [options]

Runs PIPELINE: each stage is taken from the cache when its code, params, inputs and runtime are
unchanged, and executed otherwise. Every decision is explained.

Options:
  --set KEY=VALUE   override a param; KEY is stage.param (train.steps=5000) or a pipeline
                    param (scale=full, dataset=fashion-mnist). A variant stage is
                    stage@variant; stage.param sets it in every variant. Repeatable.
  --dry-run         print the plan (what runs and why) and execute nothing
  --force STAGE     rerun STAGE and every stage downstream of it, cached or not. Repeatable.
  --keep-going      after a failure, still run the stages that do not depend on it
  --verbose         full stack traces of stage errors
  --data-dir DIR    the store (default: data/, or $REPRO_DATA_DIR)
  --reports-dir DIR where reports are published (default: reports/, or $REPRO_REPORTS_DIR)

Examples:
  deno task run wgan-div
  deno task run wgan-div --set train.steps=500 --dry-run
  deno task run gillespie --force simulate`,
  status: `Usage: deno task status [PIPELINE…] [--data-dir DIR]

For each pipeline (all by default): its last run, and what a run with default params would execute
now and why.`,
  list: `Usage: deno task list [--data-dir DIR]

Lists the pipelines, the article each reproduces, and the result of its last run (its headline
and how many of the article's claims it reproduced).`,
  claims: `Usage: deno task claims [PIPELINE…] [--data-dir DIR]

For each pipeline (all by default): each claim it checks, with the verdict of its last run
(reproduced, not reproduced, not comparable), our number beside the reference, and the rule.

Examples:
  deno task claims
  deno task claims gillespie
  deno task query "select pipeline, claim_id, verdict, ours, reference from latest_claims"`,
  query: `Usage: deno task query "SQL" [--csv | --json] [--data-dir DIR]

Runs DuckDB SQL over views of every result in the store:
  runs            one row per run: run_id, pipeline, param_set, status, started_at, duration_ms,
                  n_ran, n_cached, n_failed, versions, headline, headline_value
  stages          one row per stage per run: stage, kind, status, cache_hit, reason, key, object,
                  started_at, duration_ms, code_digest, params (JSON), versions (JSON), error
  params          one row per (run, stage, param): name, value, value_num
  metrics         one row per logged metric: run_id, pipeline, stage, key, step, name, value
  reasons         one row per reason a stage ran or was cached: run_id, stage, status, kind
                  (params, code, input, files, runtime, never-run, cached, …), subject, before, after
  claims          one row per claim per run: claim_id, claim, verdict, ours, reference, rule, detail
  latest_runs     the latest run of each (pipeline, param set); also latest_claims
  latest_metrics  the metrics behind the latest runs (a cached stage brings the run that computed it)

Examples:
  deno task query "select stage, status, duration_ms from stages"
  deno task query "select name, max(step), last(value order by step) from latest_metrics group by name"
  deno task query "select run_id, stage from reasons where kind = 'params' and subject = 'train.steps'"`,
  gc: `Usage: deno task gc [--dry-run] [--data-dir DIR]

Deletes cached outputs (and their cache entries) that the latest run of no (pipeline, param set)
needs, finished or week-old unfinished work folders, and leftovers of killed processes. Run records
are kept. Waits for running pipelines to finish first.`,
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

async function cmdRun(args: string[], style: Style): Promise<number> {
  const { values, positionals } = parse("run", args, {
    set: { type: "string", multiple: true },
    "dry-run": { type: "boolean" },
    force: { type: "string", multiple: true },
    "keep-going": { type: "boolean" },
    verbose: { type: "boolean", short: "v" },
    "data-dir": { type: "string" },
    "reports-dir": { type: "string" },
  });
  if (values.help) return (console.log(HELP.run), 0);
  if (positionals.length !== 1) {
    throw new UsageError(`Expected one pipeline name, got ${positionals.length}.\n\n${HELP.run}`);
  }
  const pipeline = await loadPipeline(PROJECT_ROOT, positionals[0]!);
  const store = storeFrom(values["data-dir"]);
  const reports = reportsDir(typeof values["reports-dir"] === "string" ? values["reports-dir"] : undefined);
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    if (++interrupts > 1) Deno.exit(130);
    console.error(style.warn("\ninterrupting: stopping the running stage (Ctrl-C again to quit at once)…"));
    controller.abort(new Error("interrupted"));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    const summary = await runPipeline({
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
        const { renderIndex } = await import("../stages/report/index_page.ts");
        const page = await publishRun(store, reports, pipeline, s, renderIndex);
        if (page) console.log(`report: ${page}`);
      },
    });
    if (summary.status === "interrupted") return 130;
    return summary.status === "ok" ? 0 : 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

function ago(iso: string | null): string {
  if (!iso) return "";
  return `${formatDuration(Date.now() - Date.parse(iso))} ago`;
}

async function cmdStatus(args: string[], style: Style): Promise<number> {
  const { values, positionals } = parse("status", args, { "data-dir": { type: "string" } });
  if (values.help) return (console.log(HELP.status), 0);
  const store = storeFrom(values["data-dir"]);
  const names = positionals.length ? positionals : pipelineNames(PROJECT_ROOT);
  let code = 0;
  for (const name of names) {
    const pipeline = await loadPipeline(PROJECT_ROOT, name);
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
      const claims = run.claims?.length ? ` · ${tallyText(tallyClaims(run.claims))}` : "";
      result = `${status}${headline}${claims} · ${ago(run.endedAt ?? run.startedAt)}`;
    } else if (pipeline.claims?.length) {
      result = style.dim(`never run · ${pipeline.claims.length} claims to check`);
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

async function cmdClaims(args: string[], style: Style): Promise<number> {
  const { values, positionals } = parse("claims", args, { "data-dir": { type: "string" } });
  if (values.help) return (console.log(HELP.claims), 0);
  const store = storeFrom(values["data-dir"]);
  const names = positionals.length ? positionals : pipelineNames(PROJECT_ROOT);
  const mark: Record<Verdict, string> = {
    reproduced: style.ok("✓"),
    "not reproduced": style.bad("✗"),
    "not comparable": style.dim("○"),
  };
  for (const name of names) {
    const pipeline = await loadPipeline(PROJECT_ROOT, name);
    const claims = pipeline.claims ?? [];
    const pointer = readPointer(store, pipeline.name);
    const run = pointer ? readRun(store, pointer.runId) : null;
    const verdicts = new Map((run?.claims ?? []).map((v) => [v.id, v]));
    const head = run
      ? `${tallyText(tallyClaims(run.claims ?? []))} · run ${run.runId}, ${ago(run.endedAt ?? run.startedAt)}`
      : "never run";
    console.log(`${style.bold(pipeline.name)} · ${head}`);
    if (claims.length === 0) console.log(style.dim("  (no claims declared)"));
    const width = Math.max(0, ...claims.map((c) => c.id.length));
    for (const c of claims) {
      const v = verdicts.get(c.id);
      const numbers = v
        ? `${v.verdict}: ${v.detail}`
        : run
        ? "not judged in the last run (the claim is newer)"
        : "not run yet";
      console.log(`  ${v ? mark[v.verdict] : style.dim("·")} ${c.id.padEnd(width)}  ${numbers}`);
      console.log(style.dim(`    ${c.claim} Reference: ${c.reference.source}.`));
    }
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
  const { openResults, query, formatTable, formatCsv, formatJson, QueryError } = await import("./query.ts");
  const connection = await openResults(store.root);
  try {
    const result = await query(connection, positionals[0]!);
    console.log(values.csv ? formatCsv(result) : values.json ? formatJson(result) : formatTable(result));
    return 0;
  } catch (error) {
    if (error instanceof QueryError) {
      console.error(`query failed: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    connection.closeSync();
  }
}

async function cmdGc(args: string[]): Promise<number> {
  const { values } = parse("gc", args, { "dry-run": { type: "boolean" }, "data-dir": { type: "string" } });
  if (values.help) return (console.log(HELP.gc), 0);
  const store = storeFrom(values["data-dir"]);
  const dry = Boolean(values["dry-run"]);
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
      case "claims":
        return await cmdClaims(rest, style);
      case "query":
        return await cmdQuery(rest);
      case "gc":
        return await cmdGc(rest);
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
    throw error;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
