/**
 * SQL over Parquet files for report tables and plots: DuckDB (in memory) with named views over the
 * files a stage declared, returning rows of plain JS values. Integers come back as numbers, not the
 * `bigint`s DuckDB hands out, so that rows go straight into `table()` and `seriesFromRows()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeMetricsParquet } from "../train/metrics_file.ts";
 * import { sqlTable } from "./sql_table.ts";
 *
 * const train = await Deno.makeTempDir(); // stands for ctx.inputs.train, where training wrote its metrics
 * writeMetricsParquet(`${train}/metrics.parquet`, [
 *   { step: 0, name: "loss_d", value: 1.5 },
 *   { step: 0, name: "lr", value: 2e-4 },
 *   { step: 100, name: "loss_g", value: 0.25 },
 * ]);
 * const rows = await sqlTable(
 *   "SELECT step, name, value FROM metrics WHERE name IN ('loss_d', 'loss_g') ORDER BY step",
 *   { tables: { metrics: `${train}/metrics.parquet` } },
 * );
 * assert.deepEqual(rows, [{ step: 0, name: "loss_d", value: 1.5 }, { step: 100, name: "loss_g", value: 0.25 }]);
 * await Deno.remove(train, { recursive: true });
 * ```
 *
 * @module
 */
import { DuckDBInstance } from "@duckdb/node-api";

/** A value of a result row: numbers for every numeric type, Date for dates and timestamps. */
export type SqlValue =
  | null
  | boolean
  | number
  | string
  | Date
  | Uint8Array
  | SqlValue[]
  | { [key: string]: SqlValue };

/** One result row, keyed by column name. */
export type SqlRow = Record<string, SqlValue>;

/** Options of `sqlTable`. */
export interface SqlTableOptions {
  /**
   * Views to create before the query: view name → a Parquet file, a glob (`runs/*.parquet`), or a list
   * of files. The query refers to them by name.
   */
  tables?: Readonly<Record<string, string | readonly string[]>>;
}

/**
 * Runs one SQL query (DuckDB dialect) and returns its rows. A failing query throws an error that
 * carries DuckDB's message and the query.
 */
export async function sqlTable(sql: string, options: SqlTableOptions = {}): Promise<SqlRow[]> {
  const views = Object.entries(options.tables ?? {});
  for (const [name, files] of views) await checkTable(name, files);
  const instance = await DuckDBInstance.create(":memory:");
  try {
    const connection = await instance.connect();
    try {
      for (const [name, files] of views) {
        const list = (typeof files === "string" ? [files] : [...files]).map(quoteString).join(", ");
        await run(
          connection,
          `CREATE VIEW "${name}" AS SELECT * FROM read_parquet([${list}])`,
          `view '${name}'`,
        );
      }
      const reader = await run(connection, sql, "query");
      return reader.getRowObjectsJS().map((row) => {
        const out: SqlRow = {};
        for (const [column, value] of Object.entries(row)) out[column] = plain(value, column);
        return out;
      });
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

type Connection = Awaited<ReturnType<DuckDBInstance["connect"]>>;

async function run(connection: Connection, sql: string, what: string) {
  try {
    return await connection.runAndReadAll(sql);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot run SQL ${what}: ${message}\nSQL: ${sql.trim()}`, { cause: error });
  }
}

async function checkTable(name: string, files: string | readonly string[]): Promise<void> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`Cannot create table '${name}': use letters, digits and '_' (not starting with a digit)`);
  }
  const list = typeof files === "string" ? [files] : files;
  if (list.length === 0) throw new Error(`Cannot create table '${name}': give at least one Parquet file`);
  for (const file of list) {
    if (/[*?[]/.test(file)) continue; // globs are checked by DuckDB, which names the pattern
    try {
      await Deno.stat(file);
    } catch {
      throw new Error(
        `Cannot create table '${name}': ${file} does not exist; check the stage input that should hold it`,
      );
    }
  }
}

function quoteString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

type DuckValue = null | boolean | number | bigint | string | Uint8Array | Date | DuckValue[] | {
  [key: string]: DuckValue;
};

function plain(value: DuckValue, column: string): SqlValue {
  if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new Error(
        `Cannot return column '${column}' as a number: ${value} is beyond 2^53; cast it in SQL (::DOUBLE or ::VARCHAR)`,
      );
    }
    return Number(value);
  }
  if (value === null || typeof value !== "object" || value instanceof Date || value instanceof Uint8Array) {
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => plain(v, column));
  const out: { [key: string]: SqlValue } = {};
  for (const [k, v] of Object.entries(value)) out[k] = plain(v, column);
  return out;
}
