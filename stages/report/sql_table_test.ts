import assert from "node:assert/strict";
import { parquetWriteBuffer } from "hyparquet-writer";
import { sqlTable } from "./sql_table.ts";

async function metricsFile(dir: string, name: string, run: string, steps: number): Promise<string> {
  const step: bigint[] = [], metric: string[] = [], value: number[] = [], runs: string[] = [];
  for (let s = 0; s < steps; s++) {
    for (const [m, v] of [["loss", 1 / (s + 1)], ["acc", s / steps]] as const) {
      step.push(BigInt(s));
      metric.push(m);
      value.push(v);
      runs.push(run);
    }
  }
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: "run", data: runs, type: "STRING" },
      { name: "step", data: step, type: "INT64" },
      { name: "name", data: metric, type: "STRING" },
      { name: "value", data: value, type: "DOUBLE" },
    ],
  });
  const path = `${dir}/${name}`;
  await Deno.writeFile(path, new Uint8Array(buffer));
  return path;
}

Deno.test("sqlTable() queries Parquet through named views and returns numbers, not bigints", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sql-table-test-" });
  try {
    const file = await metricsFile(dir, "metrics.parquet", "r1", 10);
    const rows = await sqlTable(
      "SELECT step, value, count(*) OVER () AS n FROM metrics WHERE name = 'loss' AND step >= 8 ORDER BY step",
      { tables: { metrics: file } },
    );
    assert.deepEqual(rows, [{ step: 8, value: 1 / 9, n: 2 }, { step: 9, value: 0.1, n: 2 }]);
    assert.equal(typeof rows[0]!.step, "number");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sqlTable() reads globs and file lists, and converts nested values", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sql-table-test-" });
  try {
    const a = await metricsFile(dir, "a.parquet", "r1", 3);
    const b = await metricsFile(dir, "b.parquet", "r2", 5);
    const byGlob = await sqlTable(
      "SELECT run, max(step) AS last, list(DISTINCT name ORDER BY name) AS names FROM m GROUP BY run ORDER BY run",
      { tables: { m: `${dir}/*.parquet` } },
    );
    assert.deepEqual(byGlob, [{ run: "r1", last: 2, names: ["acc", "loss"] }, {
      run: "r2",
      last: 4,
      names: ["acc", "loss"],
    }]);
    const byList = await sqlTable("SELECT count(*) AS n, {'s': sum(step)} AS st FROM m", {
      tables: { m: [a, b] },
    });
    assert.deepEqual(byList, [{ n: 16, st: { s: 2 * (0 + 1 + 2) + 2 * (0 + 1 + 2 + 3 + 4) } }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sqlTable() errors carry DuckDB's message and name the culprit", async () => {
  await assert.rejects(() => sqlTable("SELEC 1"), (error: Error) => {
    assert.match(error.message, /^Cannot run SQL query: Parser Error: syntax error at or near "SELEC"/);
    assert.match(error.message, /SQL: SELEC 1$/);
    return true;
  });
  await assert.rejects(
    () => sqlTable("SELECT * FROM metrics", { tables: { metrics: "/nonexistent/metrics.parquet" } }),
    /Cannot create table 'metrics': \/nonexistent\/metrics.parquet does not exist/,
  );
  await assert.rejects(
    () => sqlTable("SELECT * FROM nope"),
    /Catalog Error: Table with name nope does not exist/,
  );
  await assert.rejects(
    () => sqlTable("SELECT 1", { tables: { "bad name": "x.parquet" } }),
    /Cannot create table 'bad name'/,
  );
  await assert.rejects(
    () => sqlTable("SELECT 9007199254740993::BIGINT AS big"),
    /Cannot return column 'big' as a number: 9007199254740993 is beyond 2\^53/,
  );
});
