/**
 * The engine end to end, through the real CLI in subprocesses, on a throwaway toy project:
 * what reruns after each kind of change, early cutoff, failures, kill -9, corruption, concurrency,
 * bad input, query and gc.
 */
import assert from "node:assert/strict";
import { CLI, cli, type CliResult, statuses } from "./_cli.ts";
import { makeToyProject, type ToyProject } from "./_toy_project.ts";

/** Stage → status, read from the run's output lines ("✓ name", "· name", "✗ name", "– name"). */
function reasonOf(result: CliResult, stage: string): string {
  const line = result.stdout.split("\n").find((l) => new RegExp(`^ {2}[▸·–] ${stage} `).test(l));
  return line?.replace(/^ {2}[▸·–] \S+\s+/, "") ?? "";
}

async function run(project: ToyProject, ...args: string[]): Promise<CliResult> {
  const result = await cli(project, ["run", "--file", project.pipeline, ...args]);
  if (result.stderr.includes("error:") && !args.includes("--expect-error")) {
    // surfaced in assertion messages below
  }
  return result;
}

const ALL_RAN = { source: "ran", double: "ran", total: "ran", count: "ran" };
const ALL_CACHED = { source: "cached", double: "cached", total: "cached", count: "cached" };

Deno.test("run executes every stage once, then nothing", async () => {
  const p = await makeToyProject();
  const first = await run(p);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.deepEqual(statuses(first), ALL_RAN);
  assert.match(reasonOf(first, "source"), /never run/);
  const second = await run(p);
  assert.equal(second.code, 0);
  assert.deepEqual(statuses(second), ALL_CACHED);
});

Deno.test("a param change reruns only that stage and what is downstream of it", async () => {
  const p = await makeToyProject();
  await run(p);
  const r = await run(p, "--set", "count.offset=3");
  assert.deepEqual(statuses(r), { source: "cached", double: "cached", total: "cached", count: "ran" });
  assert.match(reasonOf(r, "count"), /params changed: count\.offset 0 → 3/);
  const up = await run(p, "--set", "source.seed=7");
  assert.deepEqual(statuses(up), { source: "ran", double: "ran", total: "ran", count: "ran" });
  // Back to the defaults: every result is still in the cache.
  assert.deepEqual(statuses(await run(p)), ALL_CACHED);
  // A pipeline-level param changes the stage params it maps to.
  const big = await run(p, "--set", "size=big");
  assert.match(reasonOf(big, "source"), /params changed: source\.n 5 → 50/);
});

Deno.test("an edit in a module imported by a stage reruns that stage; a comment edit does not", async () => {
  const p = await makeToyProject();
  await run(p);
  const lib = await Deno.readTextFile(p.lib);
  await Deno.writeTextFile(
    p.lib,
    "// helpers for the toy pipeline\n" + lib.replace("return x * 2;", "return x * 2; // doubled"),
  );
  assert.deepEqual(statuses(await run(p)), ALL_CACHED, "comment-only edit must not rerun anything");
  await Deno.writeTextFile(p.lib, lib.replace("x * 2", "x * 3"));
  const r = await run(p);
  assert.deepEqual(statuses(r), { source: "cached", double: "ran", total: "ran", count: "cached" });
  assert.match(reasonOf(r, "double"), /code changed: .*lib\.ts/);
  assert.match(reasonOf(r, "total"), /input changed: double/);
});

Deno.test("early cutoff: a stage that reproduces its output leaves its dependents cached", async () => {
  const p = await makeToyProject();
  await run(p);
  const r = await run(p, "--set", "double.label=renamed");
  assert.deepEqual(statuses(r), { source: "cached", double: "ran", total: "cached", count: "cached" });
  assert.match(r.stdout, /double .*output unchanged/);
  assert.match(reasonOf(r, "total"), /early cutoff/);
});

Deno.test("--force reruns a stage and what depends on it; --dry-run executes nothing", async () => {
  const p = await makeToyProject();
  await run(p);
  const dry = await run(p, "--set", "count.offset=1", "--dry-run");
  assert.match(dry.stdout, /count\s+runs\s+params changed: count\.offset 0 → 1/);
  assert.match(dry.stdout, /source\s+cached/);
  assert.deepEqual(statuses(await run(p, "--force", "double")), {
    source: "cached",
    double: "ran",
    total: "ran",
    count: "cached",
  });
  const bad = await run(p, "--force", "dubble");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Cannot force stage 'dubble'.*did you mean 'double'/);
});

Deno.test("a failing stage stops the run with its name and message; --keep-going runs independent stages", async () => {
  const p = await makeToyProject();
  const r = await run(p, "--set", "double.fail=true");
  assert.equal(r.code, 1);
  assert.match(r.stdout, /✗ double\s+failed after .*: boom: asked to fail/);
  assert.doesNotMatch(r.stdout + r.stderr, /at .*double\.ts:\d+/, "no stack trace without --verbose");
  assert.deepEqual(statuses(r), { source: "ran", double: "failed", total: "skipped", count: "skipped" });
  const verbose = await run(p, "--set", "double.fail=true", "--verbose");
  assert.match(verbose.stdout, /at .*double\.ts:\d+/, "--verbose shows the stack");
  const k = await run(p, "--set", "double.fail=true", "--keep-going");
  assert.deepEqual(statuses(k), { source: "cached", double: "failed", total: "skipped", count: "ran" });
  assert.match(k.stdout, /total\s+skipped: double failed/);
});

Deno.test("kill -9 during a stage leaves nothing taken for done, and the rerun completes and cleans up", async () => {
  const p = await makeToyProject();
  const marker = `${p.dir}/started`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      CLI,
      "run",
      "--file",
      p.pipeline,
      "--data-dir",
      p.data,
      "--reports-dir",
      p.reports,
      "--set",
      "source.sleepMs=30000",
    ],
    env: { NO_COLOR: "1", TOY_MARKER: marker },
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 200; i++) {
    if (await Deno.stat(marker).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  await child.status;
  assert.ok(
    (await Array.fromAsync(Deno.readDir(`${p.data}/tmp`))).length > 0,
    "the killed stage left a staging folder",
  );
  assert.ok(
    (await Array.fromAsync(Deno.readDir(`${p.data}/locks`))).length > 0,
    "and a lock held by a dead process",
  );

  const again = await run(p, "--set", "source.sleepMs=100");
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.deepEqual(statuses(again), ALL_RAN);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(`${p.data}/tmp`)), [], "leftovers are cleaned");
  const q = await cli(p, ["query", "--json", "select status, n_ran from runs order by started_at"]);
  assert.deepEqual(JSON.parse(q.stdout), [{ status: "interrupted", n_ran: 0 }, { status: "ok", n_ran: 4 }]);
});

Deno.test("an object whose bytes changed on disk is detected and recomputed, never served", async () => {
  const p = await makeToyProject();
  await run(p);
  const q = await cli(p, ["query", "--json", "select object from stages where stage = 'double'"]);
  const object: string = JSON.parse(q.stdout)[0].object;
  const file = `${p.data}/objects/${object.slice(0, 2)}/${object}/out/nested/doubled.json`;
  const original = await Deno.readTextFile(file);
  await Deno.chmod(file, 0o644);
  await Deno.writeTextFile(file, original.replace("2", "9"));
  const r = await run(p);
  assert.match(
    reasonOf(r, "double"),
    /cached output was corrupted \(file nested\/doubled\.json changed on disk\)/,
  );
  assert.equal(statuses(r).double, "ran");
  assert.equal(statuses(r).total, "cached", "the recomputed output is identical, so total stays cached");
  assert.equal(await Deno.readTextFile(file), original);
});

Deno.test("two concurrent runs share work: the second waits for the stage the first computes", async () => {
  const p = await makeToyProject();
  const slow = ["--set", "source.sleepMs=1500"];
  // The second run starts once the first is inside source (its marker exists), whatever the machine's load.
  const marker = `${p.dir}/started`;
  const first = cli(p, ["run", "--file", p.pipeline, ...slow], { TOY_MARKER: marker });
  while (!(await Deno.stat(marker).then(() => true, () => false))) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const [a, b] = await Promise.all([first, run(p, ...slow)]);
  assert.equal(a.code, 0, a.stdout + a.stderr);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  // The second waits for source; after it, the two runs race, and each later stage runs in one of them.
  assert.equal(statuses(a).source, "ran");
  assert.match(b.stdout, /waiting for pid \d+ \(run .*computing toy\/source\)/);
  assert.equal(statuses(b).source, "cached");
  assert.match(reasonOf(b, "source"), /computed by run .* while this one waited/);
  for (const stage of Object.keys(ALL_RAN) as (keyof typeof ALL_RAN)[]) {
    assert.deepEqual([statuses(a)[stage], statuses(b)[stage]].sort(), ["cached", "ran"], stage);
  }
  const q = await cli(p, ["query", "--json", "select count(*)::int n from stages where status = 'ran'"]);
  assert.deepEqual(JSON.parse(q.stdout), [{ n: 4 }], "each stage executed exactly once across both runs");
});

Deno.test("bad --set values are rejected with the key, the value and what was expected", async () => {
  const p = await makeToyProject();
  const cases: [string, RegExp][] = [
    [
      "source.n=abc",
      /source\.n: Invalid input: expected number, received string \(from --set source\.n=abc\)/,
    ],
    ["source.n=0", /source\.n: Too small: expected number to be >=1 \(from --set source\.n=0\)/],
    ["double.lable=x", /unknown param 'double\.lable'; did you mean 'double\.label'\?/],
    ["size=huge", /size: Invalid option: expected one of "small"\|"big" \(from --set size=huge\)/],
    ["sise=big", /unknown param 'sise'; did you mean 'size'\?/],
    ["novalue", /write it as key=value/],
  ];
  for (const [set, expected] of cases) {
    const r = await run(p, "--set", set);
    assert.equal(r.code, 2, `--set ${set}: ${r.stderr}`);
    assert.match(r.stderr, expected);
  }
  assert.equal((await Array.fromAsync(Deno.readDir(`${p.data}/runs`))).length, 0, "no run was started");
});

Deno.test("an unknown pipeline gets the closest names suggested", async () => {
  const p = await makeToyProject();
  const r = await cli(p, ["run", "gilespie"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Unknown pipeline 'gilespie'\. Did you mean 'gillespie'\?/);
});

Deno.test("query lists the runs' stages; a bad query prints DuckDB's message and exits 1", async () => {
  const p = await makeToyProject();
  await run(p);
  const q = await cli(p, ["query", "select stage, status, duration_ms from stages order by stage"]);
  assert.equal(q.code, 0, q.stderr);
  const lines = q.stdout.trim().split("\n");
  assert.match(lines[0]!, /^stage\s+status\s+duration_ms$/);
  assert.deepEqual(lines.slice(2, 6).map((l) => l.split(/\s+/).slice(0, 2)), [
    ["count", "ran"],
    ["double", "ran"],
    ["source", "ran"],
    ["total", "ran"],
  ]);
  const metrics = await cli(p, [
    "query",
    "--csv",
    "select step, value from latest_metrics where name = 'running' order by step",
  ]);
  assert.equal(metrics.stdout.trim(), "step,value\n0,0\n1,2\n2,6\n3,12\n4,20");
  const bad = await cli(p, ["query", "select nope from stages"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /query failed: Binder Error: Referenced column "nope" not found/);
});

Deno.test("gc keeps what the latest run of each param set needs and removes the rest", async () => {
  const p = await makeToyProject();
  await run(p); // default param set
  await run(p, "--set", "count.offset=1"); // same param set? no: a new one, sharing source/double/total
  await run(p, "--set", "count.offset=1", "--force", "source"); // same outputs, new keys for nothing
  const lib = await Deno.readTextFile(p.lib);
  await Deno.writeTextFile(p.lib, lib.replace("x * 2", "x * 5"));
  await run(p); // supersedes the default param set's double and total
  const dry = await cli(p, ["gc", "--dry-run"]);
  assert.match(
    dry.stdout,
    /would remove 0 cached outputs/,
    "the offset=1 param set still needs the x*2 outputs",
  );
  await Deno.writeTextFile(p.lib, lib.replace("x * 2", "x * 7"));
  await run(p, "--set", "count.offset=1"); // now nobody needs the x*2 outputs
  const gc = await cli(p, ["gc"]);
  assert.equal(gc.code, 0, gc.stderr);
  assert.match(gc.stdout, /removed 2 cached outputs/);
  assert.deepEqual(statuses(await run(p)), ALL_CACHED, "the latest run of the default param set is intact");
  assert.deepEqual(statuses(await run(p, "--set", "count.offset=1")), ALL_CACHED);
});

// ---- external files (StageKind.externalFiles) -------------------------------------------------------
// The toy pipeline gets its `reader` stage with --set external=true: it copies external/input.txt, which it
// declares as an external file, so the file's content is part of its key.

const READER_RAN = { ...ALL_RAN, reader: "ran" };
const READER_CACHED = { ...ALL_CACHED, reader: "cached" };

Deno.test("a stage reruns when an external file it declares changes at the same path, and says which", async () => {
  const p = await makeToyProject();
  const first = await run(p, "--set", "external=true");
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.deepEqual(statuses(first), READER_RAN);
  assert.deepEqual(statuses(await run(p, "--set", "external=true")), READER_CACHED);

  await Deno.writeTextFile(p.external, "HELLO\n"); // same size: only the content differs
  const r = await run(p, "--set", "external=true");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(statuses(r), { ...ALL_CACHED, reader: "ran" }, "only the stage that reads the file");
  // The reason must name the path: with several data stages, the user has to know which file changed.
  assert.equal(reasonOf(r, "reader"), `source files changed: ${p.external}`);
  const q = await cli(p, [
    "query",
    "--json",
    "select stage, object, files from stages " +
    "where run_id = (select run_id from runs order by started_at desc limit 1) order by stage",
  ]);
  const rows: { stage: string; object: string; files: string | null }[] = JSON.parse(q.stdout);
  const readerRow = rows.find((row) => row.stage === "reader")!;
  // sha256 of "HELLO\n" (sha256sum)
  assert.deepEqual(JSON.parse(readerRow.files!), {
    [p.external]: "3b09aeb6f5f5336beb205d7f720371bc927cd46c21922e334d47ba264acb5ba4",
  });
  assert.ok(rows.filter((row) => row.stage !== "reader").every((row) => row.files === null));
  const o = readerRow.object;
  assert.equal(await Deno.readTextFile(`${p.data}/objects/${o.slice(0, 2)}/${o}/out/copy.txt`), "HELLO\n");

  // Back to the first content: that result is still in the cache, under the first key.
  await Deno.writeTextFile(p.external, "hello\n");
  assert.deepEqual(statuses(await run(p, "--set", "external=true")), READER_CACHED);
});

Deno.test("a missing external file stops the run at planning, naming the stage, the path and the param", async () => {
  const p = await makeToyProject();
  await Deno.remove(p.external);
  const r = await run(p, "--set", "external=true");
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.ok(
    r.stderr.includes(
      `Cannot plan toy: stage reader (toy.reader) reads ${p.external}, which does not exist ` +
        `(from the param reader.path = ${p.external}). Put it there, or point the stage at an ` +
        `existing path with --set reader.path=…`,
    ),
    r.stderr,
  );
  assert.equal((await Array.fromAsync(Deno.readDir(`${p.data}/runs`))).length, 0, "no run was started");
});

Deno.test("an external file edited while its stage runs: the result is not cached, and the next run redoes it", async () => {
  const p = await makeToyProject();
  const marker = `${p.dir}/started`;
  const pending = cli(p, ["run", "--file", p.pipeline, "--set", "external=true"], {
    TOY_MARKER: marker,
    TOY_READER_SLEEP_MS: "1500",
  });
  for (let i = 0; i < 200; i++) {
    if (await Deno.stat(marker).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await Deno.writeTextFile(p.external, "edited\n");
  const r = await pending;
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /✗ reader\s+failed after .*: source files changed during the run \(.*input\.txt\)/);
  const again = await run(p, "--set", "external=true");
  assert.equal(statuses(again).reader, "ran", again.stdout + again.stderr);
});

Deno.test("query works before any run and on runs that logged no metrics (the empty views parse)", async () => {
  const p = await makeToyProject();
  const empty = await cli(p, ["query", "--json", "select count(*)::int n, count(files)::int f from stages"]);
  assert.equal(empty.code, 0, empty.stderr);
  assert.deepEqual(JSON.parse(empty.stdout), [{ n: 0, f: 0 }]);
  await run(p, "--set", "double.fail=true"); // total, the only stage that logs metrics, never runs
  const q = await cli(p, ["query", "--json", "select count(*)::int n from metrics"]);
  assert.equal(q.code, 0, q.stderr);
  assert.deepEqual(JSON.parse(q.stdout), [{ n: 0 }]);
});
