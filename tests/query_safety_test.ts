/**
 * `deno task query` is read-only and reads nothing outside the store's run records; one damaged record
 * is skipped and named instead of failing every query; huge results stream (or are capped, with a
 * message) instead of filling memory.
 */
import assert from "node:assert/strict";
import { CLI, cli } from "./_cli.ts";
import { makeToyProject, type ToyProject } from "./_toy_project.ts";

async function toyWithRuns(): Promise<ToyProject> {
  const p = await makeToyProject();
  for (const offset of [0, 1]) {
    const r = await cli(p, ["run", "--file", p.pipeline, "--set", `count.offset=${offset}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  }
  return p;
}

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

/** The runs' ids in the order they started (ids of runs started within one second sort at random). */
async function runIds(p: ToyProject): Promise<string[]> {
  const q = await cli(p, ["query", "--json", "select run_id from runs order by started_at"]);
  return JSON.parse(q.stdout).map((row: { run_id: string }) => row.run_id);
}

Deno.test("query refuses every statement that writes: COPY, ATTACH, EXPORT, CREATE, SET, INSTALL", async () => {
  const p = await toyWithRuns();
  const [runId] = await runIds(p);
  const record = `${p.data}/runs/${runId}/run.parquet`;
  const before = await Deno.readFile(record);
  const outside = `${p.dir}/escaped.csv`;
  const attempts: [string, RegExp][] = [
    [`copy (select 1 as x) to '${outside}'`, /COPY/],
    [`copy (select 1 as x) to '${record}' (format parquet)`, /COPY/],
    [`attach '${p.dir}/evil.duckdb' as evil`, /ATTACH/],
    [`export database '${p.data}/runs/${runId}/exported'`, /EXPORT/],
    ["create table t as select 1", /CREATE/],
    ["set enable_external_access = true", /SET/],
    ["install httpfs", /INSTALL/],
    ["pragma enable_profiling", /PRAGMA/],
    [`select 1; copy (select 1) to '${outside}'`, /COPY/],
  ];
  for (const [sql, kind] of attempts) {
    const r = await cli(p, ["query", sql]);
    assert.equal(r.code, 1, `${sql}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /query failed: queries are read-only: only SELECT statements run/, sql);
    assert.match(r.stderr, kind, sql);
    assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
  }
  assert.equal(await exists(outside), false, "nothing was written outside the store");
  assert.equal(await exists(`${p.dir}/evil.duckdb`), false);
  assert.equal(await exists(`${p.data}/runs/${runId}/exported`), false);
  assert.deepEqual(await Deno.readFile(record), before, "the run record is untouched");
  const q = await cli(p, ["query", "--json", "select count(*)::int n from runs"]);
  assert.deepEqual(JSON.parse(q.stdout), [{ n: 2 }], "and every later query still works");
});

Deno.test("query reads nothing outside the store's run records", async () => {
  const p = await toyWithRuns();
  const keyDir = (await Array.fromAsync(Deno.readDir(`${p.data}/keys`)))[0]!.name;
  for (
    const sql of [
      "select * from read_text('/etc/passwd')",
      `select * from read_text('${p.data}/keys/${keyDir}/*.json')`,
      `select * from read_csv('${p.data}/runs/../keys/${keyDir}/*.json')`,
      "select * from glob('/etc/*')",
    ]
  ) {
    const r = await cli(p, ["query", sql]);
    assert.equal(r.code, 1, `${sql}: ${r.stdout}`);
    assert.match(r.stderr, /query failed: .*Permission Error: Cannot access file/, sql);
    assert.match(r.stderr, /queries read only the run records under .*\/runs/, sql);
    assert.doesNotMatch(r.stdout, /root:/);
  }
});

Deno.test("a truncated or foreign Parquet file under runs/ is skipped and named; every other query works", async () => {
  const p = await toyWithRuns();
  const [first, second] = await runIds(p);
  const damaged = `${p.data}/runs/${first}/stages.parquet`;
  const bytes = await Deno.readFile(damaged);
  await Deno.writeFile(damaged, bytes.subarray(0, Math.floor(bytes.length / 2))); // cut short
  // A run record overwritten with a Parquet file of another shape (as the old COPY … TO could).
  const foreign = `${p.data}/runs/${second}/metrics/total-0000.parquet`;
  await Deno.mkdir(`${p.data}/runs/${second}/metrics`, { recursive: true });
  await Deno.writeFile(foreign, await Deno.readFile(`${p.data}/runs/${second}/run.parquet`));

  const one = await cli(p, ["query", "--json", "select 1 as x"]);
  assert.equal(one.code, 0, one.stderr);
  assert.deepEqual(JSON.parse(one.stdout), [{ x: 1 }]);

  const q = await cli(p, ["query", "--json", "select run_id, count(*)::int n from stages group by run_id"]);
  assert.equal(q.code, 0, q.stderr);
  assert.deepEqual(JSON.parse(q.stdout), [{ run_id: second, n: 4 }], "the damaged run's stages are left out");
  assert.ok(q.stderr.includes(`skipped runs/${first}/stages.parquet`), q.stderr);
  assert.match(q.stderr, /deno task verify/, "and says what repairs it");

  const m = await cli(p, ["query", "--json", "select count(*)::int n from metrics"]);
  assert.equal(m.code, 0, m.stderr);
  assert.deepEqual(
    JSON.parse(m.stdout),
    [{ n: 10 }],
    "the first run's metrics; the foreign file is left out",
  );
  assert.ok(m.stderr.includes(`skipped runs/${second}/metrics/total-0000.parquet`), m.stderr);
  assert.match(m.stderr, /lacks the columns/);
});

Deno.test("a huge result streams as CSV in bounded memory, and a table is capped with a message", async () => {
  const p = await makeToyProject();
  // 32 MB of V8 heap: holding a million rows as JS arrays needs several times that.
  const csv = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--v8-flags=--max-old-space-size=32",
      CLI,
      "query",
      "--csv",
      "select range as i, range * 2 as twice from range(1000000)",
      "--data-dir",
      p.data,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let lines = 0;
  let last = "";
  const decoder = new TextDecoder();
  for await (const chunk of csv.stdout) {
    const text = decoder.decode(chunk, { stream: true });
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines++;
    last = (last + text).slice(-40);
  }
  const status = await csv.status;
  const stderr = decoder.decode(await new Response(csv.stderr).arrayBuffer());
  assert.equal(status.code, 0, stderr);
  assert.equal(lines, 1_000_001, "a header and every row");
  assert.match(last, /\n999999,1999998\n$/);

  const table = await cli(p, ["query", "select range as i from range(250000)"]);
  assert.equal(table.code, 0, table.stderr);
  const shown = table.stdout.trim().split("\n");
  assert.equal(shown.length, 2 + 10_000 + 1, "header, rule, 10,000 rows, the count line");
  assert.match(
    shown.at(-1)!,
    /first 10000 rows shown; the result has more\. Add LIMIT, or use --csv or --json/,
  );
});
