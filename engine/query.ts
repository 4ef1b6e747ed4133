/**
 * SQL over every result in the store. DuckDB runs in memory with views over the runs' Parquet files,
 * so the index is rebuilt on each query and never needs migrating or locking:
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

function hasFiles(dir: string, test: (path: string) => boolean, depth = 2): boolean {
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isFile && test(`${dir}/${e.name}`)) return true;
      if (e.isDirectory && depth > 0 && hasFiles(`${dir}/${e.name}`, test, depth - 1)) return true;
    }
  } catch {
    // no such folder
  }
  return false;
}

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** Opens an in-memory DuckDB connection with the result views over the store at `storeRoot`. */
export async function openResults(storeRoot: string): Promise<DuckDBConnection> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const connection = await (await DuckDBInstance.create(":memory:")).connect();
  const runs = `${storeRoot}/runs`;
  const sources: Record<string, { glob: string; present: boolean }> = {
    runs: { glob: `${runs}/*/run.parquet`, present: hasFiles(runs, (p) => p.endsWith("/run.parquet"), 1) },
    stages: {
      glob: `${runs}/*/stages.parquet`,
      present: hasFiles(runs, (p) => p.endsWith("/stages.parquet"), 1),
    },
    params: {
      glob: `${runs}/*/params.parquet`,
      present: hasFiles(runs, (p) => p.endsWith("/params.parquet"), 1),
    },
    metrics: {
      glob: `${runs}/*/metrics/*.parquet`,
      present: hasFiles(runs, (p) => /\/metrics\/[^/]+\.parquet$/.test(p)),
    },
    reasons: {
      glob: `${runs}/*/reasons.parquet`,
      present: hasFiles(runs, (p) => p.endsWith("/reasons.parquet"), 1),
    },
    claims: {
      glob: `${runs}/*/claims.parquet`,
      present: hasFiles(runs, (p) => p.endsWith("/claims.parquet"), 1),
    },
  };
  for (const [view, { glob, present }] of Object.entries(sources)) {
    const body = present ? `select * from read_parquet(${quote(glob)}, union_by_name = true)` : EMPTY[view];
    await connection.run(`create view ${view} as ${body}`);
  }
  await connection.run(`create view latest_runs as
    select * from runs qualify row_number() over (partition by pipeline, param_set order by started_at desc) = 1`);
  await connection.run(`create view latest_metrics as
    select m.*, s.run_id as latest_run_id from stages s join latest_runs r using (run_id)
    join metrics m on m.key = s.key and m.run_id = s.producer_run_id`);
  await connection.run(`create view latest_claims as
    select c.* from claims c join latest_runs r using (run_id)`);
  return connection;
}

/** Runs `sql` and returns plain JS values (bigint → number when safe, timestamps → ISO strings). */
export async function query(connection: DuckDBConnection, sql: string): Promise<QueryResult> {
  let reader;
  try {
    reader = await connection.runAndReadAll(sql);
  } catch (error) {
    throw new QueryError(error instanceof Error ? error.message : String(error));
  }
  return { columns: reader.columnNames(), rows: reader.getRowsJS().map((row) => row.map(plain)) };
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
export function formatTable(result: QueryResult, maxWidth = 60): string {
  const cut = (s: string) => (s.length > maxWidth ? s.slice(0, maxWidth - 1) + "…" : s);
  const cells = result.rows.map((r) => r.map((v) => cut(cellText(v))));
  const numeric = result.columns.map((_, i) =>
    result.rows.every((r) => r[i] === null || typeof r[i] === "number")
  );
  const widths = result.columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  const rule = widths.map((w) => "─".repeat(w)).join("  ");
  const count = `(${result.rows.length} row${result.rows.length === 1 ? "" : "s"})`;
  return [line(result.columns), rule, ...cells.map(line), count].join("\n");
}

export function formatCsv(result: QueryResult): string {
  const esc = (v: unknown) => {
    const s = cellText(v);
    return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [result.columns.map(esc).join(","), ...result.rows.map((r) => r.map(esc).join(","))].join("\n");
}

export function formatJson(result: QueryResult): string {
  return JSON.stringify(
    result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c, r[i]]))),
    null,
    2,
  );
}
