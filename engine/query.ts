/**
 * SQL over every result in the store. DuckDB runs in memory with views over the runs' Parquet files,
 * so the index is rebuilt on each query and never needs migrating or locking.
 *
 * Queries are read-only and confined: only SELECT statements run, DuckDB may read nothing but
 * `<store>/runs/` and cannot change that setting back, and memory is bounded. A record file that
 * cannot be read, or is not a record of its view, is left out and named (`Results.skipped`) instead of
 * failing every query; `deno task verify` repairs it. Results stream (`streamQuery`), so their size is
 * not bounded by memory.
 *
 * Views:
 *
 * - `runs`: one row per finished run (pipeline, param_set, status, started_at, duration_ms, n_ran, …)
 * - `stages`: one row per stage per run (stage, kind, status, cache_hit, reason, key, duration_ms, params,
 *   files (JSON: external path → content digest, null for stages that read none), …)
 * - `params`: one row per (run, stage, param): name, value, value_num
 * - `metrics`: one row per logged value: run_id, pipeline, stage, key, step, name, value
 * - `reasons`: one row per reason a stage ran or was cached: run_id, pipeline, stage, status, kind
 *   (params, code, input, files, runtime, never-run, forced, cached, early-cutoff, …), subject (the param,
 *   file, input or package), before, after, note
 * - `claims`: one row per claim per run: claim_id, claim, verdict, ours, reference, rule, detail, …
 * - `latest_runs`, `latest_metrics`, `latest_claims`: the same, restricted to the latest run of each
 *   (pipeline, param set);
 *   a stage cached in the latest run brings the metrics of the run that computed it.
 *
 * @module
 */
import type { DuckDBConnection } from "@duckdb/node-api";

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

export class QueryError extends Error {
  override name = "QueryError";
}

// Column lists of the views when there are no files yet. `as` is needed: key, name, value and object
// are keywords that DuckDB does not take as bare aliases.
const EMPTY: Record<string, string> = {
  runs: `select null::varchar as run_id, null::varchar as pipeline, null::varchar as param_set,
    null::varchar as status, null::timestamp as started_at, null::timestamp as ended_at,
    null::double as duration_ms, null::varchar as host, null::varchar as argv, null::bigint as n_stages,
    null::bigint as n_ran, null::bigint as n_cached, null::bigint as n_failed,
    null::varchar as pipeline_params, null::varchar as versions, null::varchar as headline,
    null::double as headline_value, null::varchar as sweep_id, null::bigint as claims_total,
    null::bigint as claims_reproduced
    where false`,
  stages: `select null::varchar as run_id, null::varchar as pipeline, null::varchar as stage,
    null::varchar as kind, null::varchar as status, null::boolean as cache_hit, null::varchar as reason,
    null::varchar as key, null::varchar as object, null::timestamp as started_at,
    null::timestamp as ended_at, null::double as duration_ms, null::varchar as host,
    null::varchar as code_digest, null::varchar as code_files, null::varchar as params,
    null::varchar as versions, null::varchar as files, null::varchar as producer_run_id,
    null::varchar as error where false`,
  params: `select null::varchar as run_id, null::varchar as pipeline, null::varchar as stage,
    null::varchar as name, null::varchar as value, null::double as value_num where false`,
  metrics: `select null::varchar as run_id, null::varchar as pipeline, null::varchar as stage,
    null::varchar as key, null::bigint as step, null::varchar as name, null::double as value where false`,
  reasons: `select null::varchar as run_id, null::varchar as pipeline, null::varchar as stage,
    null::varchar as status, null::varchar as kind, null::varchar as subject, null::varchar as before,
    null::varchar as after, null::varchar as note where false`,
  claims: `select null::varchar as run_id, null::varchar as pipeline, null::varchar as param_set,
    null::varchar as claim_id, null::varchar as claim, null::varchar as verdict, null::double as ours,
    null::varchar as ours_from, null::double as reference, null::varchar as reference_source,
    null::varchar as rule, null::varchar as detail, null::varchar as differs where false`,
};

/**
 * Columns a record file of each view must have to be used; files from older versions may lack newer
 * columns (union_by_name fills them with nulls), but one without these is not a record of that view (a
 * foreign file, or a record overwritten with something else).
 */
const REQUIRED: Record<string, string[]> = {
  runs: ["run_id", "pipeline", "param_set", "status", "started_at"],
  stages: ["run_id", "pipeline", "stage", "status", "key"],
  params: ["run_id", "pipeline", "stage", "name", "value"],
  metrics: ["run_id", "pipeline", "stage", "key", "step", "name", "value"],
  reasons: ["run_id", "pipeline", "stage", "status", "kind"],
  claims: ["run_id", "pipeline", "claim_id", "verdict"],
};

/** A record file left out of the views, and why. */
export interface SkippedFile {
  /** Relative to the store, e.g. runs/<id>/stages.parquet. */
  path: string;
  problem: string;
}

/** An in-memory DuckDB with the result views over one store, and the files it had to leave out. */
export interface Results {
  connection: DuckDBConnection;
  storeRoot: string;
  /** View → the Parquet files it reads. */
  files: Record<string, string[]>;
  skipped: SkippedFile[];
}

/** The record files of each view: runs/<id>/{run,stages,params}.parquet and runs/<id>/metrics/*.parquet. */
function recordFiles(runsDir: string): Record<string, string[]> {
  const files: Record<string, string[]> = {
    runs: [],
    stages: [],
    params: [],
    metrics: [],
    reasons: [],
    claims: [],
  };
  const names = (dir: string) => {
    try {
      return [...Deno.readDirSync(dir)].filter((e) => e.isFile || e.isDirectory).map((e) => e.name).sort();
    } catch {
      return []; // no such folder, or not a folder
    }
  };
  const single = {
    "run.parquet": "runs",
    "stages.parquet": "stages",
    "params.parquet": "params",
    "reasons.parquet": "reasons",
    "claims.parquet": "claims",
  } as const;
  for (const run of names(runsDir)) {
    for (const name of names(`${runsDir}/${run}`)) {
      const view = single[name as keyof typeof single];
      if (view) files[view]!.push(`${runsDir}/${run}/${name}`);
    }
    for (const name of names(`${runsDir}/${run}/metrics`)) {
      if (name.endsWith(".parquet")) files.metrics!.push(`${runsDir}/${run}/metrics/${name}`);
    }
  }
  return files;
}

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
const fileList = (paths: string[]) => `[${paths.map(quote).join(", ")}]`;
const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));
const firstLine = (text: string) => text.split("\n")[0]!.trim();

/** The record file that a DuckDB error names, if any (DuckDB quotes the path it failed on). */
function culprit(results: Results, message: string): string | undefined {
  return Object.values(results.files).flat().filter((f) => message.includes(f))
    .sort((a, b) => b.length - a.length)[0];
}

function skip(results: Results, path: string, problem: string): void {
  for (const [view, paths] of Object.entries(results.files)) {
    results.files[view] = paths.filter((p) => p !== path);
  }
  results.skipped.push({ path: path.slice(results.storeRoot.length + 1), problem });
}

/**
 * Leaves out the files that cannot be read or are not records of their view: their footers and
 * schemas are read once (DuckDB keeps them for the query, parquet_metadata_cache). A file DuckDB fails
 * on is named in its error, so each bad file costs one more pass.
 */
async function checkRecordFiles(results: Results): Promise<void> {
  for (let pass = 0; pass < 1000; pass++) {
    const all = Object.values(results.files).flat();
    if (all.length === 0) return;
    let rows: unknown[][];
    try {
      const reader = await results.connection.runAndReadAll(
        `select file_name, list(name) from parquet_schema(${fileList(all)}) group by file_name`,
      );
      rows = reader.getRowsJS();
    } catch (error) {
      const path = culprit(results, errorMessage(error));
      if (!path) throw error;
      skip(results, path, `it cannot be read (${firstLine(errorMessage(error))})`);
      continue;
    }
    const columns = new Map(rows.map(([file, names]) => [file as string, new Set(names as string[])]));
    for (const [view, paths] of Object.entries(results.files)) {
      for (const path of paths) {
        const lacking = REQUIRED[view]!.filter((c) => !columns.get(path)?.has(c));
        if (lacking.length > 0) {
          skip(results, path, `it is not a ${view} record: it lacks the columns ${lacking.join(", ")}`);
        }
      }
    }
    return;
  }
}

async function createViews(results: Results): Promise<void> {
  for (const [view, paths] of Object.entries(results.files)) {
    const body = paths.length > 0
      ? `select * from read_parquet(${fileList(paths)}, union_by_name = true)`
      : EMPTY[view];
    await results.connection.run(`create or replace view ${view} as ${body}`);
  }
  await results.connection.run(`create or replace view latest_runs as
    select * from runs qualify row_number() over (partition by pipeline, param_set order by started_at desc) = 1`);
  await results.connection.run(`create or replace view latest_metrics as
    select m.*, s.run_id as latest_run_id from stages s join latest_runs r using (run_id)
    join metrics m on m.key = s.key and m.run_id = s.producer_run_id`);
  await results.connection.run(`create or replace view latest_claims as
    select c.* from claims c join latest_runs r using (run_id)`);
}

/** Memory DuckDB may use for one query; past it the query fails with DuckDB's "Out of Memory" message. */
const MEMORY_LIMIT = "2GB";

/**
 * Opens an in-memory DuckDB with the result views over the store at `storeRoot`, locked down before any
 * user SQL runs: no file outside `<store>/runs/` can be read (enable_external_access off, with runs/ as
 * the only allowed directory), no extension can be loaded, the settings cannot be changed back
 * (lock_configuration), nothing spills to disk, and memory is bounded. `query` adds that only SELECT
 * statements run, so nothing is written, not even inside runs/.
 */
export async function openResults(storeRoot: string): Promise<Results> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const connection = await (await DuckDBInstance.create(":memory:")).connect();
  const runs = `${storeRoot}/runs`;
  // Order matters: the temp directory and the allowed directory are set while they may still change.
  for (
    const setting of [
      "set temp_directory = ''",
      `set memory_limit = '${MEMORY_LIMIT}'`,
      "set autoinstall_known_extensions = false",
      "set autoload_known_extensions = false",
      "set parquet_metadata_cache = true",
      `set allowed_directories = [${quote(`${runs}/`)}]`,
      "set enable_external_access = false",
      "set lock_configuration = true",
    ]
  ) await connection.run(setting);
  const results: Results = { connection, storeRoot, files: recordFiles(runs), skipped: [] };
  await checkRecordFiles(results);
  await createViews(results);
  return results;
}

/**
 * Decodes every value of every record file (`deno task verify`; a query reads only what it needs) and
 * returns the files that cannot be read or are not records, with why: those left out when the views
 * were made, and those whose data is damaged past the footer.
 */
export async function damagedRecords(results: Results): Promise<SkippedFile[]> {
  const found = [...results.skipped];
  for (const path of Object.values(results.files).flat()) {
    try {
      await results.connection.run(`select max(hash(columns(*))) from read_parquet(${quote(path)})`);
    } catch (error) {
      found.push({
        path: path.slice(results.storeRoot.length + 1),
        problem: `it cannot be read (${firstLine(errorMessage(error))})`,
      });
    }
  }
  return found;
}

/** What to do with a query's result as it streams: the column names, then batches of rows. */
export interface ResultSink {
  columns(names: string[]): void;
  /** Returns false to stop reading (the rest of the result is not computed). */
  rows(batch: unknown[][]): boolean;
}

/** Statement types that read: SELECT covers DESCRIBE, SHOW and SUMMARIZE. */
const READ_ONLY = new Set(["SELECT"]);

/** Leading keywords of statements that only read (for the message that names the others). */
const READING = new Set(["SELECT", "WITH", "FROM", "VALUES", "TABLE", "DESCRIBE", "SHOW", "SUMMARIZE", "("]);

/** The leading keyword of each statement that is not a SELECT, e.g. ["COPY"] (for messages only). */
function otherStatements(sql: string): string[] {
  const bare = sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'|"(?:[^"]|"")*"/g, " ");
  return bare.split(";").map((st) => /^\s*(\(|\w+)/.exec(st)?.[1]?.toUpperCase())
    .filter((w): w is string => w !== undefined && !READING.has(w));
}

/**
 * Refuses SQL that is not made of SELECT statements, from its parse tree alone (json_serialize_sql
 * serializes SELECT statements only), before anything is bound, read or run.
 */
async function checkReadOnly(results: Results, sql: string): Promise<void> {
  const reader = await results.connection.runAndReadAll("select json_serialize_sql($1::varchar)", [sql]);
  const parsed = JSON.parse(String(reader.getRowsJS()[0]?.[0])) as { error: boolean; error_message?: string };
  if (!parsed.error) return;
  if (!/Only SELECT statements/.test(parsed.error_message ?? "")) return; // a syntax error: DuckDB says it below
  throw new QueryError(readOnlyMessage(otherStatements(sql)));
}

function readOnlyMessage(kinds: string[]): string {
  return `queries are read-only: only SELECT statements run (and DESCRIBE, SHOW, SUMMARIZE)` +
    (kinds.length ? `, not ${[...new Set(kinds)].join(", ")}` : "") +
    `. To export a result, use --csv or --json and redirect the output to a file`;
}

/**
 * Runs `sql` (one or more statements; the result is the last one's) and streams its rows to `sink` as
 * plain JS values (bigint → number when safe, timestamps → ISO strings). Statements that are not SELECT
 * are refused before any runs. A record file that DuckDB fails on while the query runs is skipped and
 * named (results.skipped) and the query is run again, as long as no row was delivered yet.
 */
export async function streamQuery(results: Results, sql: string, sink: ResultSink): Promise<void> {
  const { StatementType } = await import("@duckdb/node-api");
  for (let attempt = 0;; attempt++) {
    let delivered = false;
    try {
      await checkReadOnly(results, sql);
      const extracted = await results.connection.extractStatements(sql);
      const prepared = [];
      for (let i = 0; i < extracted.count; i++) prepared.push(await extracted.prepare(i));
      if (prepared.length === 0) throw new QueryError("the query holds no statement");
      for (const statement of prepared) {
        const type = StatementType[statement.statementType] ?? String(statement.statementType);
        if (!READ_ONLY.has(type)) throw new QueryError(readOnlyMessage([type])); // a second gate
      }
      for (const statement of prepared.slice(0, -1)) await statement.run();
      const result = await prepared.at(-1)!.stream();
      sink.columns(result.columnNames());
      for await (const batch of result.yieldRowsJs()) {
        delivered = true;
        if (!sink.rows(batch.map((row) => row.map(plain)))) break;
      }
      return;
    } catch (error) {
      if (error instanceof QueryError) throw error;
      const message = errorMessage(error);
      const path = culprit(results, message);
      if (path && !delivered && attempt < 100) {
        skip(results, path, `it cannot be read (${firstLine(message)})`);
        await createViews(results);
        continue;
      }
      throw new QueryError(
        /Permission Error: Cannot access (file|directory)/.test(message)
          ? `${message.trimEnd()}\n(queries read only the run records under ${results.storeRoot}/runs)`
          : message,
      );
    }
  }
}

/** Runs `sql` and returns at most `maxRows` rows (all by default), and whether the result had more. */
export async function query(
  results: Results,
  sql: string,
  maxRows = Infinity,
): Promise<QueryResult & { truncated: boolean }> {
  const out: QueryResult & { truncated: boolean } = { columns: [], rows: [], truncated: false };
  await streamQuery(results, sql, {
    columns: (names) => (out.columns = names),
    rows: (batch) => {
      const room = maxRows - out.rows.length;
      if (batch.length > room) {
        for (const row of batch.slice(0, room)) out.rows.push(row);
        out.truncated = true;
        return false;
      }
      for (const row of batch) out.rows.push(row);
      return true;
    },
  });
  return out;
}

function plain(value: unknown): unknown {
  if (typeof value === "bigint") {
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** An aligned text table; numbers right-aligned, long cells cut at `maxWidth`. */
export function formatTable(result: QueryResult & { truncated?: boolean }, maxWidth = 60): string {
  const cut = (s: string) => (s.length > maxWidth ? s.slice(0, maxWidth - 1) + "…" : s);
  const cells = result.rows.map((r) => r.map((v) => cut(cellText(v))));
  const numeric = result.columns.map((_, i) =>
    result.rows.every((r) => r[i] === null || typeof r[i] === "number")
  );
  const widths = result.columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  const rule = widths.map((w) => "─".repeat(w)).join("  ");
  const count = result.truncated
    ? `(first ${result.rows.length} rows shown; the result has more. Add LIMIT, or use --csv or --json ` +
      `for every row)`
    : `(${result.rows.length} row${result.rows.length === 1 ? "" : "s"})`;
  return [line(result.columns), rule, ...cells.map(line), count].join("\n");
}

function csvCell(v: unknown): string {
  const s = cellText(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function formatCsv(result: QueryResult): string {
  return [result.columns.map(csvCell).join(","), ...result.rows.map((r) => r.map(csvCell).join(","))].join(
    "\n",
  );
}

export function formatJson(result: QueryResult): string {
  return JSON.stringify(
    result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c, r[i]]))),
    null,
    2,
  );
}

/**
 * A ResultSink that writes CSV or JSON (the same text as formatCsv / formatJson) to `write` batch by
 * batch, so that a result of any size goes out in bounded memory.
 */
export function streamingSink(format: "csv" | "json", write: (text: string) => void): ResultSink & {
  end(): void;
} {
  let columns: string[] = [];
  let count = 0;
  return {
    columns(names) {
      columns = names;
      if (format === "csv") write(names.map(csvCell).join(",") + "\n");
    },
    rows(batch) {
      if (batch.length === 0) return true;
      let text = "";
      for (const row of batch) {
        if (format === "csv") text += row.map(csvCell).join(",") + "\n";
        else {
          const object = Object.fromEntries(columns.map((c, i) => [c, row[i]]));
          text += (count === 0 ? "[\n  " : ",\n  ") +
            JSON.stringify(object, null, 2).replaceAll("\n", "\n  ");
        }
        count++;
      }
      write(text);
      return true;
    },
    end() {
      if (format === "json") write(count === 0 ? "[]\n" : "\n]\n");
    },
  };
}
