/**
 * The experiment workflow through the CLI on the toy project: a 2×2 sweep with --jobs 2 (shared stages
 * execute once, the table and the page list the points, the run records carry the sweep id), `runs`,
 * `diff` and the store's size in `status`.
 */
import assert from "node:assert/strict";
import { cli, type CliResult } from "./_cli.ts";
import { makeToyProject } from "./_toy_project.ts";

const ok = (r: CliResult) => assert.equal(r.code, 0, r.stdout + r.stderr);

const project = await makeToyProject();
const queryJson = async (sql: string) => {
  const r = await cli(project, ["query", "--json", sql]);
  ok(r);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
};

Deno.test("a 2×2 sweep with --jobs 2 runs 4 points, executes shared stages once and tags every run", async () => {
  const r = await cli(project, [
    "run",
    "--file",
    project.pipeline,
    "--sweep",
    "source.seed=0,1",
    "--sweep",
    "count.offset=0,5",
    "--jobs",
    "2",
  ]);
  ok(r);
  const id = /^sweep (sweep-\S+)$/m.exec(r.stdout)?.[1];
  assert.ok(id, r.stdout);
  // The table: one row per point, in the order of the cross product.
  const table = r.stdout.slice(r.stdout.indexOf(`sweep ${id}`)).split("\n").filter((l) => /^\d /.test(l));
  assert.deepEqual(table.map((l) => l.split(/\s+/).slice(0, 4)), [
    ["1", "0", "0", "ok"],
    ["2", "0", "5", "ok"],
    ["3", "1", "0", "ok"],
    ["4", "1", "5", "ok"],
  ]);
  const runs = await queryJson(`select run_id from runs where sweep_id = '${id}'`);
  assert.equal(runs.length, 4);
  // No cache key executed twice: source, double and total once per seed, count once per point.
  const executions = await queryJson(
    `select s.stage, count(*) as n, count(distinct s.key) as keys from stages s join runs r using (run_id)
     where r.sweep_id = '${id}' and s.status = 'ran' group by s.stage order by s.stage`,
  );
  assert.deepEqual(executions, [
    { stage: "count", n: 4, keys: 4 },
    { stage: "double", n: 2, keys: 2 },
    { stage: "source", n: 2, keys: 2 },
    { stage: "total", n: 2, keys: 2 },
  ]);
  const page = await Deno.readTextFile(`${project.reports}/toy/sweeps/${id}.html`);
  assert.equal([...page.matchAll(/<tr><td class="num">\d<\/td>/g)].length, 4, "the page lists 4 points");
  const listed = await cli(project, ["runs", "--sweep", id!]);
  ok(listed);
  assert.equal(listed.stdout.trim().split("\n").length, 2 + 4);
});

Deno.test("a sweep value that no param takes is refused before any point runs", async () => {
  const before = (await queryJson("select count(*) as n from runs"))[0]!.n;
  const r = await cli(project, ["run", "--file", project.pipeline, "--sweep", "count.offset=0,zero"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /count\.offset/);
  assert.equal((await queryJson("select count(*) as n from runs"))[0]!.n, before);
});

Deno.test("diff shows the params, stages and metrics of two runs side by side", async () => {
  ok(await cli(project, ["run", "--file", project.pipeline, "--set", "source.seed=3"]));
  ok(await cli(project, ["run", "--file", project.pipeline, "--set", "source.seed=4"]));
  const r = await cli(project, ["diff", "latest", "latest~1"]);
  ok(r);
  assert.match(r.stdout, /params \(A → B\)\n {2}source\.seed\s+4\s+→\s+3/);
  assert.match(r.stdout, /total\s+ran \w+\s+ran \w+\s+different output/);
  assert.match(r.stdout, /total\.running\s+60\s+50\s+-10 \(-16.67%\)/);
  const bad = await cli(project, ["diff", "latest", "no-such-run"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Cannot find run 'no-such-run'/);
});

Deno.test("status shows the store's size by pipeline and by stage kind", async () => {
  const r = await cli(project, ["status", "--file", project.pipeline]);
  ok(r);
  assert.match(r.stdout, /store .*: [\d.]+ [kM]?B · \d+ outputs/);
  assert.match(r.stdout, /by stage kind:[\s\S]*toy\.source/);
});

const ENGINE = new URL("../engine/", import.meta.url).href;

/** A stage whose run is a sequence of steps: x ← 3x + 1 mod 1000, with the whole path as its output. */
const COUNTER = `import { z } from "zod";
import { defineStage } from "${ENGINE}stage.ts";
import { definePipeline, use } from "${ENGINE}pipeline.ts";

export const iterate = defineStage({
  kind: "toyc.iterate",
  module: import.meta.url,
  description: "iterates a map for a number of steps",
  params: z.object({ steps: z.number().int().min(1).default(3), start: z.number().default(1) }).strict(),
  inputs: [],
  extendsRun: ["steps"],
  async run(ctx) {
    let path = [ctx.params.start];
    if (ctx.continueFrom) {
      path = JSON.parse(await Deno.readTextFile(ctx.continueFrom.dir + "/path.json"));
      ctx.log("continuing from step " + (path.length - 1));
    }
    while (path.length - 1 < ctx.params.steps) path.push((3 * path.at(-1) + 1) % 1000);
    ctx.metrics(ctx.params.steps, { last: path.at(-1) });
    await Deno.writeTextFile(ctx.outDir + "/path.json", JSON.stringify(path));
  },
});

export const pipeline = definePipeline({
  name: "toyc",
  description: "a run that can continue",
  article: { title: "none", url: "https://example.org" },
  params: z.object({}).strict(),
  stages: () => ({ iterate: use(iterate) }),
  claims: [{
    id: "runs",
    claim: "It runs.",
    ours: { stage: "iterate", metric: "last" },
    reference: { value: 0, source: "none" },
    check: { kind: "at-least" },
  }],
});
`;

Deno.test("a longer run continues from the longest cached prefix and gives the output of a fresh run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "toyc-" });
  await Deno.writeTextFile(`${dir}/pipeline.ts`, COUNTER);
  const store = { data: `${dir}/data`, reports: `${dir}/reports` };
  const fresh = { data: `${dir}/fresh`, reports: `${dir}/reports-fresh` };
  const run = (s: typeof store, ...args: string[]) =>
    cli(s, ["run", "--file", `${dir}/pipeline.ts`, ...args]);
  ok(await run(store, "--set", "iterate.steps=3"));
  ok(await run(store, "--set", "iterate.steps=6"));
  const longer = await run(store, "--set", "iterate.steps=9");
  ok(longer);
  assert.match(
    longer.stdout,
    /iterate\s+params changed: iterate\.steps 6 → 9; continues from step 6 of [0-9a-f]{12}/,
  );
  assert.match(longer.stderr, /iterate: continuing from step 6/);
  const other = await run(store, "--set", "iterate.start=2", "--set", "iterate.steps=12");
  ok(other);
  assert.doesNotMatch(other.stdout, /continues from/, "another start is another run, not a prefix");
  // The same output as a run of 9 steps from scratch in an empty store: the same object digest.
  ok(await run(fresh, "--set", "iterate.steps=9"));
  const object = async (s: typeof store) => {
    const r = await cli(s, ["query", "--json", "select object from stages order by started_at desc limit 1"]);
    return (JSON.parse(r.stdout) as { object: string }[])[0]!.object;
  };
  const [continued] = JSON.parse(
    (await cli(store, ["query", "--json", "select object from stages where params like '%\"steps\":9%'"]))
      .stdout,
  ) as { object: string }[];
  assert.equal(continued!.object, await object(fresh));
  // A dry run says so too.
  const dry = await run(store, "--set", "iterate.steps=20", "--dry-run");
  assert.match(dry.stdout, /continues from step 9 of/, "the longest prefix of the same start");
});

Deno.test("gc --keep-last N keeps the outputs of the N most recent runs of each param set", async () => {
  const p = await makeToyProject();
  const run = (...args: string[]) => cli(p, ["run", "--file", p.pipeline, ...args]);
  // Three runs of one param set whose code changes what `double` and `total` compute (a code edit
  // keeps the param set): each run holds its own two outputs of them.
  ok(await run());
  const lib = await Deno.readTextFile(p.lib);
  await Deno.writeTextFile(p.lib, lib.replace("return x * 2;", "return x * 3;"));
  ok(await run());
  await Deno.writeTextFile(p.lib, lib.replace("return x * 2;", "return x * 4;"));
  ok(await run());
  const kept2 = await cli(p, ["gc", "--keep-last", "2", "--dry-run"]);
  ok(kept2);
  const kept1 = await cli(p, ["gc", "--dry-run"]);
  ok(kept1);
  const removed = (r: CliResult) => Number(/would remove (\d+) cached outputs/.exec(r.stdout)?.[1]);
  assert.equal(removed(kept1), 4, kept1.stdout); // double and total of runs 1 and 2
  assert.equal(removed(kept2), 2, kept2.stdout); // those of run 1
  assert.match(kept2.stdout, /the last 2 runs of each param set need/);
  const real = await cli(p, ["gc", "--keep-last", "2"]);
  ok(real);
  assert.equal(Number(/removed (\d+) cached outputs/.exec(real.stdout)?.[1]), removed(kept2));
});
