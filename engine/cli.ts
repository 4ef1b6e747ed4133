/**
 * The command line: `deno task run|status|list|claims|runs|diff|query|gc|verify|unlock|push|pull …`
 * (and `exec-stage`, which Slurm jobs run: exec_stage.ts).
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
import { tallyClaims, tallyText, type Verdict } from "./claims.ts";
import { collectGarbage } from "./gc.ts";
import { readPointer, readRun } from "./history.ts";
import { ParamError, parseOverrides, resolveParams } from "./params.ts";
import { dataDir, PROJECT_ROOT, reportsDir } from "./paths.ts";
import { PlanError } from "./plan.ts";
import { describeHolder, LockWaitInterrupted, readLockOwner } from "./process_lock.ts";
import { formatDuration, makeStyle, ProgressBoard, type Style, wantColor } from "./progress.ts";
import { publishRun, publishSweep } from "./publish.ts";
import { loadPipeline, pipelineNames, UnknownPipelineError } from "./registry.ts";
import { ReadOnlyStoreError, runFromReadOnlyStore } from "./readonly_run.ts";
import { runPipeline } from "./runner.ts";
import { attachRemote, makeExecutor, ScaleoutUsageError, sweepJobs } from "./executor_setup.ts";
import { ConfigError } from "./project_config.ts";
import { Store, StoreOpenError } from "./store.ts";
import { closestAll } from "./suggest.ts";
import type { SweepRow } from "./sweep.ts";

/** The index renderer and the cross-pipeline pages, loaded only when a run publishes. */
async function reportPages() {
  const { renderIndex } = await import("../stages/report/index_page.ts");
  const { CROSS_PAGES } = await import("../stages/report/cross_pages.ts");
  return { renderIndex, pages: CROSS_PAGES };
}

const HELP: Record<string, string> = {
  main: `Reproduces ML articles as cached pipelines.

Usage: deno task <command> [options]

Commands:
  run PIPELINE     run a pipeline (only what changed executes)
  status [PIP…]    what would run next, and the last run
  list             pipelines, what they reproduce, their last result
  claims [PIP…]    what each article claims, and whether the last run reproduced it
  runs             recent runs: headline, claims, duration
  diff A B         two runs side by side: params, stages, metrics, claims
  query "SQL"      SQL over every run, stage, param, metric and claim (read-only)
  gc               delete cached outputs that no latest run needs
  verify [PIP]     re-hash every stored output and record, and repair what it can
  unlock           break the locks of killed runs or of hosts that are gone
  push [PIP…]      upload what the latest runs need, and the run records, to the remote cache
  pull [PIP…]      download the team's run records and what their latest runs need

Each command takes --help.`,
  run: `Usage: deno task run PIPELINE [options]
       deno task run --file PATH [options]
       deno task run --all [options]

Runs PIPELINE (a module in pipelines/): each stage is taken from the cache when its code, params,
inputs and runtime are unchanged, and executed otherwise. Every decision is explained. A read-only
store serves fully cached runs without recording them.

Options:
  --set KEY=VALUE   override a param; KEY is stage.param (train.steps=5000) or a pipeline
                    param (scale=full, dataset=fashion-mnist). A variant stage is
                    stage@variant; stage.param sets it in every variant. Repeatable.
  --dry-run         print the plan (what runs and why) and execute nothing
  --force STAGE     rerun STAGE and every stage downstream of it, cached or not. Repeatable.
  --keep-going      after a failure, still run the stages that do not depend on it
  --file PATH       run the pipeline module at PATH, outside pipelines/ (its code runs: only for
                    modules you trust, e.g. a pipeline under development)
  --verbose         full stack traces of stage errors
  --data-dir DIR    the store (default: data/, or $REPRO_DATA_DIR)
  --reports-dir DIR where reports are published (default: reports/, or $REPRO_REPORTS_DIR)

  --sweep KEY=V1,V2 run the pipeline once per value (repeat for a cross product); stages
                    whose key is the same across points execute once
  --sweep-file F    points from a file: a JSON list of {KEY: VALUE} objects, or one point per
                    line as KEY=VALUE KEY=VALUE
  --jobs N          with a sweep: run N points at once, each with its share of the cores
  --all             run every pipeline's default config, then print one table
  --threads N       CPU threads each stage may use (default: all cores)
  --executor E      where stages execute: local (this process, the default) or slurm (each
                    stage that is not cached is one srun job against this store, which the
                    nodes must share); with a sweep on slurm, as many points run at once as
                    the cluster has idle CPUs (or --jobs)
  --remote R        a shared cache in front of the store: s3://bucket/prefix or a remote named
                    in .repro/config.json (default: its "remote"; "none" for none). A stage not
                    in the store is fetched from it (every byte verified) before it would be
                    computed; a computed one is uploaded. Credentials: AWS_ACCESS_KEY_ID,
                    AWS_SECRET_ACCESS_KEY; endpoint: the config or AWS_ENDPOINT_URL

Examples:
  deno task run wgan-div
  deno task run wgan-div --set train.steps=500 --dry-run
  deno task run gillespie --force simulate
  deno task run gillespie --sweep simulate.seed=1,2 --sweep simulate.trajectories=16,32 --jobs 2
  deno task run gillespie --executor slurm --dry-run`,
  status: `Usage: deno task status [PIPELINE…] [--file PATH…] [--remote R] [--data-dir DIR]

For each pipeline (all by default, or those named, or the modules given with --file): its last run,
and what a run with default params would execute now and why (with a remote cache, what it would
fetch from it); then the store's size, by pipeline and by stage kind.`,
  list: `Usage: deno task list [--data-dir DIR]

Lists the pipelines, the article each reproduces, and the result of its last run (its headline
and how many of the article's claims it reproduced).`,
  runs: `Usage: deno task runs [--pipeline P] [--sweep ID] [--limit N] [--data-dir DIR]

Lists recent runs, newest first: status, headline metric, claims reproduced, duration, and how many
stages ran or came from the cache.

Examples:
  deno task runs
  deno task runs --pipeline gillespie --limit 5`,
  diff: `Usage: deno task diff A B [--all] [--data-dir DIR]

Compares two runs: the params that differ, each stage (ran or cached, key, same output or not), the
last value of every metric side by side with the difference, and the claims' verdicts. A and B are
run ids (deno task runs lists them), latest, latest~N (N runs before the latest), a pipeline name
(its latest run) or a param set. With one of them a run id, latest means the latest of its pipeline.
--all shows the metrics that are equal too.

Examples:
  deno task diff latest latest~1
  deno task diff gillespie latest~1`,
  claims: `Usage: deno task claims [PIPELINE…] [--file PATH…] [--data-dir DIR]

For each pipeline (all by default): each claim it checks, with the verdict of its last run
(reproduced, not reproduced, not comparable), our number beside the reference, and the rule.

Examples:
  deno task claims
  deno task claims gillespie
  deno task query "select pipeline, claim_id, verdict, ours, reference from latest_claims"`,
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
  reasons         one row per reason a stage ran or was cached: run_id, stage, status, kind
                  (params, code, input, files, runtime, never-run, cached, …), subject, before, after
  claims          one row per claim per run: claim_id, claim, verdict, ours, reference, rule, detail
  latest_runs     the latest run of each (pipeline, param set); also latest_claims
  latest_metrics  the metrics behind the latest runs (a cached stage brings the run that computed it)

Examples:
  deno task query "select stage, status, duration_ms from stages"
  deno task query "select name, max(step), last(value order by step) from latest_metrics group by name"
  deno task query "select run_id, stage from reasons where kind = 'params' and subject = 'train.steps'"
  deno task query --csv "select * from metrics" > metrics.csv`,
  gc: `Usage: deno task gc [--dry-run] [--keep-last N] [--data-dir DIR]

Deletes cached outputs (and their cache entries) that the latest run of no (pipeline, param set)
needs (with --keep-last N: that none of its N most recent runs needs), finished or week-old
unfinished work folders, and leftovers of killed processes. Run records are kept. Says what it
frees. Waits for running pipelines to finish first.

Examples:
  deno task gc --dry-run
  deno task gc --keep-last 3 --dry-run`,
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
  push: `Usage: deno task push [PIPELINE…] [--remote R] [--data-dir DIR]

Uploads to the remote cache what the latest run of each pipeline (all by default) needs: its
stages' outputs and cache entries (each verified here first; the remote keeps one copy of each),
every finished run record of the pipeline that the remote lacks, and the pipeline's latest-run
pointer when this run is newer. R is s3://bucket/prefix or a remote of .repro/config.json
(default: its "remote").`,
  pull: `Usage: deno task pull [PIPELINE…] [--remote R] [--data-dir DIR]

Downloads from the remote cache every run record of each pipeline (all on the remote by default)
that this store lacks, and the outputs of the remote's latest run, every file verified against its
digest; then points this store's latest run at it unless this store has a newer one. Afterwards
deno task query sees the team's runs, and deno task run takes those outputs from the store.`,
  "exec-stage": `Usage: deno task exec-stage PIPELINE|--file PATH --stage S --key K --run-id R [--set …]
       [--force …] [--data-dir DIR]

Internal: what a Slurm job of --executor slurm runs. Re-plans the pipeline with the same params,
checks that stage S's key here is K, and executes it into the store for run R.`,
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

/** Runs `body` with an AbortSignal that the first Ctrl-C or SIGTERM aborts (a second one quits at once). */
async function withInterrupts<T>(style: Style, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
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
    return await body(controller.signal);
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  }
}

/** Publishes a page; a reports folder that cannot be written is a warning, not a failed run. */
async function publishOrWarn(
  label: string,
  publish: () => Promise<string | null>,
  reports: string,
  style: Style,
): Promise<void> {
  try {
    const page = await publish();
    if (page) console.log(`${label}: ${page}`);
  } catch (error) {
    // The results are in the store; only their copy under reports/ failed. Not a failed run.
    if (!isStoreWriteError(error)) throw error;
    console.error(
      style.warn("warning: ") + `the ${label} was not published: ${describeWriteError(error, reports)}`,
    );
  }
}

const RUN_OPTIONS: OptionSpec = {
  file: { type: "string" },
  set: { type: "string", multiple: true },
  "dry-run": { type: "boolean" },
  force: { type: "string", multiple: true },
  "keep-going": { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
  sweep: { type: "string", multiple: true },
  "sweep-file": { type: "string" },
  jobs: { type: "string" },
  all: { type: "boolean" },
  threads: { type: "string" },
  executor: { type: "string" },
  remote: { type: "string" },
  // Set by a sweep for its points; not for users.
  "sweep-id": { type: "string" },
  "no-publish": { type: "boolean" },
  "data-dir": { type: "string" },
  "reports-dir": { type: "string" },
};

function positiveInt(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`--${flag} takes a whole number ≥ 1, got '${value}'`);
  }
  return n;
}

async function cmdRun(args: string[], style: Style): Promise<number> {
  const { values, positionals } = parse("run", args, RUN_OPTIONS);
  if (values.help) return (console.log(HELP.run), 0);
  const store = storeFrom(values["data-dir"]);
  const reports = reportsDir(typeof values["reports-dir"] === "string" ? values["reports-dir"] : undefined);
  if (values.all) {
    if (positionals.length > 0) {
      throw new UsageError(`--all runs every pipeline: name none (got ${positionals.join(" ")})`);
    }
    return await runAll(store, reports, style, values);
  }
  const file = typeof values.file === "string" ? values.file : undefined;
  if (positionals.length !== (file ? 0 : 1)) {
    throw new UsageError(
      (file
        ? `Expected no pipeline name with --file, got ${positionals.join(" ")}.`
        : `Expected one pipeline name, got ${positionals.length}.`) + `\n\n${HELP.run}`,
    );
  }
  const target = { name: file ?? positionals[0]!, file: file !== undefined };
  const pipeline = await loadPipeline(PROJECT_ROOT, target.name, { file: target.file });
  const sets = (values.set as string[] | undefined) ?? [];
  if ((values.sweep as string[] | undefined)?.length || values["sweep-file"]) {
    return await runSweepCommand(store, reports, style, pipeline.name, target, values, sets);
  }
  const threads = positiveInt("threads", values.threads);
  const dry = Boolean(values["dry-run"]);
  await attachRemote(store, flag(values.remote), { peek: dry });
  const executor = dry ? undefined : await makeExecutor({
    flag: flag(values.executor),
    root: PROJECT_ROOT,
    target,
    sets,
    force: (values.force as string[] | undefined) ?? [],
  });
  return await withInterrupts(style, async (signal) => {
    const summary = await (store.readOnly ? runFromReadOnlyStore : runPipeline)({
      store,
      root: PROJECT_ROOT,
      pipeline,
      overrides: parseOverrides(sets),
      force: (values.force as string[] | undefined) ?? [],
      dryRun: Boolean(values["dry-run"]),
      keepGoing: Boolean(values["keep-going"]),
      verbose: Boolean(values.verbose),
      argv: ["run", ...args],
      style,
      board: new ProgressBoard({ style }),
      signal,
      ...(threads ? { threads } : {}),
      ...(typeof values["sweep-id"] === "string" ? { sweepId: values["sweep-id"] } : {}),
      ...(executor ? { executor } : {}),
      onFinished: async (s) => {
        if (values["no-publish"]) return;
        const { renderIndex, pages } = await reportPages();
        await publishOrWarn(
          "report",
          () => publishRun(store, reports, pipeline, s, renderIndex, pages),
          reports,
          style,
        );
      },
    });
    if (summary.status === "interrupted") return interruptCode;
    return summary.status === "ok" ? 0 : 1;
  }).catch((error) => {
    if (!(error instanceof LockWaitInterrupted)) throw error;
    const holder = readLockOwner(error.path);
    console.error(
      `interrupted while waiting for the store lock${
        holder ? ` (held by ${describeHolder(holder)})` : ""
      }: ` +
        `nothing was started`,
    );
    return interruptCode;
  });
}

/** `run P --sweep KEY=V1,V2 …`: every point as a child run, then the table and the sweep page. */
async function runSweepCommand(
  store: Store,
  reports: string,
  style: Style,
  pipeline: string,
  target: { name: string; file: boolean },
  values: Parsed["values"],
  base: string[],
): Promise<number> {
  const { crossProduct, pointsFromFile, runSweep, sweepRows } = await import("./sweep.ts");
  if (values["dry-run"]) {
    throw new UsageError("--dry-run does not combine with --sweep: dry-run one point with --set");
  }
  const sweeps = (values.sweep as string[] | undefined) ?? [];
  const file = typeof values["sweep-file"] === "string" ? values["sweep-file"] : null;
  const fromFile = file ? pointsFromFile(file) : [{ sets: [], values: {} }];
  const crossed = crossProduct(sweeps);
  const points = fromFile.flatMap((f) =>
    crossed.map((c) => ({ sets: [...f.sets, ...c.sets], values: { ...f.values, ...c.values } }))
  );
  const jobs = await sweepJobs(positiveInt("jobs", values.jobs), flag(values.executor), points.length);
  // Check every point's params before running any: a typo in the last value should not cost the first run.
  const loaded = await loadPipeline(PROJECT_ROOT, target.name, { file: target.file });
  for (const p of points) resolveParams(loaded, parseOverrides([...base, ...p.sets]));
  console.log(
    `${style.bold(pipeline)} · sweep of ${points.length} point${
      points.length === 1 ? "" : "s"
    }, ${jobs} at a time`,
  );
  const flags = ["--no-publish", "--data-dir", store.root];
  if (values["keep-going"]) flags.push("--keep-going");
  for (const f of (values.force as string[] | undefined) ?? []) flags.push("--force", f);
  for (const name of ["executor", "remote"]) {
    if (flag(values[name])) flags.push(`--${name}`, flag(values[name])!);
  }
  const sweep = await withInterrupts(style, (signal) =>
    runSweep({
      store,
      pipeline,
      base,
      points,
      jobs,
      command: [
        "run",
        "-A",
        "--quiet",
        `${PROJECT_ROOT}/engine/cli.ts`,
        "run",
        ...(target.file ? ["--file", target.name] : [target.name]),
      ],
      flags,
      out: (line) => console.log(line),
      signal,
    }));
  const rows = sweepRows(store, sweep);
  console.log(`\nsweep ${sweep.id}`);
  console.log(formatSweepTable(rows, sweep.keys));
  const { renderSweepPage } = await import("../stages/report/sweep_page.ts");
  const { renderIndex, pages } = await reportPages();
  await publishOrWarn(
    "sweep page",
    () => publishSweep(store, reports, sweep, renderSweepPage(sweep, rows), renderIndex, pages),
    reports,
    style,
  );
  return rows.every((r) => r.status === "ok") ? 0 : 1;
}

function formatSweepTable(rows: SweepRow[], keys: string[]): string {
  return formatRows(
    ["#", ...keys, "status", "headline", "claims", "duration", "ran", "cached"],
    rows.map((r) => [
      String(r.point),
      ...keys.map((k) => r.values[k] ?? ""),
      r.status,
      r.headline?.value === null || !r.headline ? "—" : `${Number(r.headline.value.toPrecision(4))}`,
      r.claims ? `${r.claims.reproduced}/${r.claims.total}` : "—",
      r.durationMs === null ? "—" : formatDuration(r.durationMs),
      String(r.ran),
      String(r.cached),
    ]),
  );
}

/** An aligned text table of strings (numbers already formatted). */
function formatRows(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** `run --all`: every pipeline's default config on one store, past failures, then one table. */
async function runAll(
  store: Store,
  reports: string,
  style: Style,
  values: Parsed["values"],
): Promise<number> {
  const names = pipelineNames(PROJECT_ROOT);
  const rows: string[][] = [];
  const { renderIndex, pages } = await reportPages();
  const threads = positiveInt("threads", values.threads);
  await attachRemote(store, flag(values.remote), { peek: Boolean(values["dry-run"]) });
  for (const name of names) {
    const started = performance.now();
    let status = "failed";
    let headline = "—";
    let claims = "—";
    try {
      const pipeline = await loadPipeline(PROJECT_ROOT, name);
      const executor = values["dry-run"] ? undefined : await makeExecutor({
        flag: flag(values.executor),
        root: PROJECT_ROOT,
        target: { name, file: false },
        sets: [],
        force: [],
      });
      const summary = await withInterrupts(style, (signal) =>
        runPipeline({
          store,
          root: PROJECT_ROOT,
          pipeline,
          argv: ["run", "--all"],
          dryRun: Boolean(values["dry-run"]),
          style,
          board: new ProgressBoard({ style }),
          signal,
          ...(threads ? { threads } : {}),
          ...(executor ? { executor } : {}),
          onFinished: (s) =>
            publishOrWarn(
              "report",
              () => publishRun(store, reports, pipeline, s, renderIndex, pages),
              reports,
              style,
            ),
        }));
      status = values["dry-run"] ? "planned" : summary.status;
      const run = summary.runId ? readRun(store, summary.runId) : null;
      if (run?.headline && run.headline.value !== null) {
        headline = `${run.headline.label} ${Number(run.headline.value.toPrecision(4))}`;
      }
      if (summary.claims.length) claims = tallyText(tallyClaims(summary.claims));
      if (status === "interrupted") break;
    } catch (error) {
      console.error(`${style.bad("error: ")}${name}: ${(error as Error).message}`);
      status = "error";
    }
    rows.push([name, status, headline, claims, formatDuration(performance.now() - started)]);
    console.log("");
  }
  console.log(formatRows(["pipeline", "status", "headline", "claims", "duration"], rows));
  console.log(`index: ${reports}/index.html`);
  return rows.every((r) => r[1] === "ok" || r[1] === "planned") ? 0 : 1;
}

function ago(iso: string | null): string {
  if (!iso) return "";
  return `${formatDuration(Date.now() - Date.parse(iso))} ago`;
}

async function cmdStatus(args: string[], style: Style): Promise<number> {
  const { values, positionals } = parse("status", args, {
    file: { type: "string", multiple: true },
    remote: { type: "string" },
    "data-dir": { type: "string" },
  });
  if (values.help) return (console.log(HELP.status), 0);
  const store = storeFrom(values["data-dir"]);
  await attachRemote(store, flag(values.remote), { peek: true });
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
  const { formatBytes, storeUsage } = await import("./usage.ts");
  const usage = storeUsage(store);
  const o = usage.otherBytes;
  console.log(
    `\n${style.bold("store")} ${store.root}: ${formatBytes(usage.totalBytes)} · ${usage.objects} outputs ${
      formatBytes(usage.objectBytes)
    }, run records ${formatBytes(o.runs)}, unfinished work ${formatBytes(o.work)}, caches ${
      formatBytes(o.cache)
    }`,
  );
  const list = (rows: { name: string; bytes: number; objects: number }[]) =>
    formatRows(["", "size", "outputs"], rows.map((r) => [r.name, formatBytes(r.bytes), String(r.objects)]))
      .split("\n").map((l) => `  ${l}`).join("\n");
  if (usage.byPipeline.length) {
    console.log(`by pipeline (an output that several share counts for each):`);
    console.log(list(usage.byPipeline.map((p) => ({ name: p.pipeline, ...p }))));
  }
  if (usage.byKind.length) {
    console.log(`by stage kind:`);
    console.log(list(usage.byKind.map((k) => ({ name: k.kind, ...k }))));
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
  const { values, positionals } = parse("claims", args, {
    file: { type: "string", multiple: true },
    "data-dir": { type: "string" },
  });
  if (values.help) return (console.log(HELP.claims), 0);
  const store = storeFrom(values["data-dir"]);
  const files = (values.file as string[] | undefined) ?? [];
  const names = positionals.length || files.length ? positionals : pipelineNames(PROJECT_ROOT);
  const targets = [
    ...names.map((name) => ({ name, file: false })),
    ...files.map((name) => ({ name, file: true })),
  ];
  const mark: Record<Verdict, string> = {
    reproduced: style.ok("✓"),
    "not reproduced": style.bad("✗"),
    "not comparable": style.dim("○"),
  };
  for (const target of targets) {
    const pipeline = await loadPipeline(PROJECT_ROOT, target.name, { file: target.file });
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

async function cmdRuns(args: string[], style: Style): Promise<number> {
  const { values } = parse("runs", args, {
    pipeline: { type: "string" },
    sweep: { type: "string" },
    limit: { type: "string" },
    "data-dir": { type: "string" },
  });
  if (values.help) return (console.log(HELP.runs), 0);
  const store = storeFrom(values["data-dir"]);
  const { allRuns, stageCounts } = await import("./compare.ts");
  const limit = positiveInt("limit", values.limit) ?? 20;
  const runs = allRuns(store)
    .filter((r) => !values.pipeline || r.pipeline === values.pipeline)
    .filter((r) => !values.sweep || r.sweepId === values.sweep)
    .slice(0, limit);
  if (runs.length === 0) return (console.log(style.dim("no runs")), 0);
  const rows = runs.map((r) => {
    const counts = stageCounts(store, r);
    const claims = r.claims?.length ? tallyClaims(r.claims) : null;
    return [
      r.runId,
      r.pipeline,
      r.status,
      r.headline && r.headline.value !== null
        ? `${r.headline.label} ${Number(r.headline.value.toPrecision(4))}`
        : "—",
      claims ? `${claims.reproduced}/${claims.total}` : "—",
      r.endedAt ? formatDuration(Date.parse(r.endedAt) - Date.parse(r.startedAt)) : "—",
      `${counts.ran}/${counts.cached}`,
      r.sweepId ?? "",
    ];
  });
  console.log(
    formatRows(["run", "pipeline", "status", "headline", "claims", "duration", "ran/cached", "sweep"], rows),
  );
  return 0;
}

async function cmdDiff(args: string[]): Promise<number> {
  const { values, positionals } = parse("diff", args, {
    all: { type: "boolean" },
    "data-dir": { type: "string" },
  });
  if (values.help) return (console.log(HELP.diff), 0);
  if (positionals.length !== 2) throw new UsageError(`Expected two runs to compare.\n\n${HELP.diff}`);
  const store = storeFrom(values["data-dir"]);
  const { diffRuns, formatDiff, resolveRun, RunRefError } = await import("./compare.ts");
  try {
    // A concrete run on one side makes `latest` on the other mean the latest of the same pipeline.
    const [x, y] = positionals as [string, string];
    const concrete = readRun(store, x) ?? readRun(store, y) ??
      (readPointer(store, x) ? { pipeline: x } : null) ??
      (readPointer(store, y) ? { pipeline: y } : null);
    const a = resolveRun(store, x, concrete?.pipeline);
    const b = resolveRun(store, y, concrete?.pipeline ?? a.pipeline);
    console.log(formatDiff(diffRuns(store, a, b), { all: Boolean(values.all) }));
    return 0;
  } catch (error) {
    if (error instanceof RunRefError) throw new UsageError(error.message);
    throw error;
  }
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
  const { values } = parse("gc", args, {
    "dry-run": { type: "boolean" },
    "keep-last": { type: "string" },
    "data-dir": { type: "string" },
  });
  if (values.help) return (console.log(HELP.gc), 0);
  const store = storeFrom(values["data-dir"]);
  const dry = Boolean(values["dry-run"]);
  if (store.readOnly && !dry) throw new StoreError(`Cannot gc ${store.root}: the store is read-only`);
  const keepLast = positiveInt("keep-last", values["keep-last"]);
  const report = await collectGarbage(store, {
    dryRun: dry,
    ...(keepLast ? { keepLast } : {}),
    onWait: (m) => console.error(m),
  });
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  const objectBytes = report.objects.reduce((a, o) => a + o.bytes, 0);
  const workBytes = report.workDirs.reduce((a, w) => a + w.bytes, 0);
  const verb = dry ? "would remove" : "removed";
  console.log(
    `${verb} ${report.objects.length} cached outputs (${
      mb(objectBytes)
    }), ${report.keys.length} cache entries, ` +
      `${report.workDirs.length} work folders (${mb(workBytes)}), ${report.leftovers.length} leftovers; ` +
      `kept ${report.keptObjects} outputs that ${
        keepLast ? `the last ${keepLast} runs of each param set` : "latest runs"
      } need`,
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

/** A string flag's value, if given. */
const flag = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** `push` / `pull`: the latest runs' outputs and the run records, to or from the remote cache. */
async function cmdSync(command: "push" | "pull", args: string[], style: Style): Promise<number> {
  const { values, positionals } = parse(command, args, {
    remote: { type: "string" },
    "data-dir": { type: "string" },
  });
  if (values.help) return (console.log(HELP[command]), 0);
  const store = storeFrom(values["data-dir"]);
  if (store.readOnly && command === "pull") {
    throw new StoreError(`Cannot pull into ${store.root}: the store is read-only`);
  }
  const url = await attachRemote(store, flag(values.remote), { reads: false, writes: false });
  if (!url || !store.remote) {
    throw new UsageError(
      `${command} needs a remote: --remote s3://bucket/prefix, or "remote" in .repro/config.json`,
    );
  }
  const sync = await import("./remote_sync.ts");
  const { RemoteUnavailableError, S3RemoteCache } = await import("./remote_cache.ts");
  const remote = store.remote as InstanceType<typeof S3RemoteCache>;
  try {
    const pipelines = positionals.length
      ? positionals
      : command === "push"
      ? sync.localPipelines(store)
      : await sync.remotePipelines(remote);
    if (pipelines.length === 0) {
      console.log(style.dim(command === "push" ? "no runs to push" : `nothing on ${url}`));
    }
    let problems = 0;
    for (const pipeline of pipelines) {
      const log = (line: string) => console.log(style.dim(line));
      const r = command === "push"
        ? await sync.pushPipeline(store, remote, pipeline, log)
        : await sync.pullPipeline(store, remote, pipeline, log);
      const verb = command === "push" ? "pushed" : "pulled";
      console.log(
        `${style.bold(pipeline)}: ${verb} ${r.objects.moved} outputs (${r.objects.present} already there), ` +
          `${r.runs.moved} run records (${r.runs.present} already there)` +
          (r.runId
            ? ` · latest run ${r.runId}${
              r.pointer === "moved" ? "" : " (pointer kept: a newer run is there)"
            }`
            : ""),
      );
      for (const p of [...r.objects.problems, ...r.runs.problems]) console.log(`  ${style.bad("✗")} ${p}`);
      problems += r.objects.problems.length + r.runs.problems.length;
    }
    return problems ? 1 : 0;
  } catch (error) {
    if (!(error instanceof RemoteUnavailableError)) throw error;
    console.error(style.bad("error: ") + error.message);
    return 3;
  }
}

/** `exec-stage`: one stage, by key, against a shared store (what a Slurm job runs). */
async function cmdExecStage(args: string[], style: Style): Promise<number> {
  const { values, positionals } = parse("exec-stage", args, {
    file: { type: "string" },
    stage: { type: "string" },
    key: { type: "string" },
    "run-id": { type: "string" },
    set: { type: "string", multiple: true },
    force: { type: "string", multiple: true },
    verbose: { type: "boolean", short: "v" },
    "data-dir": { type: "string" },
  });
  if (values.help) return (console.log(HELP["exec-stage"]), 0);
  const file = flag(values.file);
  const [stage, key, runId] = [flag(values.stage), flag(values.key), flag(values["run-id"])];
  if (!stage || !key || !runId || positionals.length !== (file ? 0 : 1)) {
    throw new UsageError(
      `exec-stage needs a pipeline, --stage, --key and --run-id.\n\n${HELP["exec-stage"]}`,
    );
  }
  // No remote here: the driver fetched the inputs, and uploads what this commits once it verified it.
  const store = storeFrom(values["data-dir"]);
  const pipeline = await loadPipeline(PROJECT_ROOT, file ?? positionals[0]!, { file: file !== undefined });
  const { execStage } = await import("./exec_stage.ts");
  const threads = Number(Deno.env.get("SLURM_CPUS_PER_TASK")) || navigator.hardwareConcurrency;
  const outcome = await withInterrupts(style, (signal) =>
    execStage({
      store,
      root: PROJECT_ROOT,
      pipeline,
      overrides: parseOverrides((values.set as string[] | undefined) ?? []),
      force: (values.force as string[] | undefined) ?? [],
      stage,
      key,
      runId,
      threads,
      verbose: Boolean(values.verbose),
      style,
      board: new ProgressBoard({ style }),
      signal,
    }));
  if (!("error" in outcome)) return 0;
  console.error(style.bad("error: ") + `${stage}: ${outcome.error}`);
  return outcome.status === "interrupted" ? interruptCode : outcome.status === "mismatch" ? 2 : 1;
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
      case "claims":
        return await cmdClaims(rest, style);
      case "runs":
        return await cmdRuns(rest, style);
      case "diff":
        return await cmdDiff(rest);
      case "query":
        return await cmdQuery(rest);
      case "gc":
        return await cmdGc(rest);
      case "verify":
        return await cmdVerify(rest, style);
      case "unlock":
        return await cmdUnlock(rest);
      case "push":
      case "pull":
        return await cmdSync(command, rest, style);
      case "exec-stage":
        return await cmdExecStage(rest, style);
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
      error instanceof UnknownPipelineError || error instanceof ScaleoutUsageError ||
      error instanceof ConfigError
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
