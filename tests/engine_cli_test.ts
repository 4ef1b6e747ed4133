/**
 * The engine end to end, through the real CLI in subprocesses, on a throwaway toy project:
 * what reruns after each kind of change, early cutoff, failures, kill -9, corruption, concurrency,
 * bad input, query and gc.
 */
import assert from "node:assert/strict";
import { cli, type CliResult, makeToyProject, type ToyProject } from "./_toy_project.ts";

type Status = "ran" | "cached" | "failed" | "skipped" | "waiting";

/** Stage → status, read from the run's output lines ("✓ name", "· name", "✗ name", "– name"). */
function statuses(result: CliResult): Record<string, Status> {
  const out: Record<string, Status> = {};
  const symbols: Record<string, Status> = { "✓": "ran", "·": "cached", "✗": "failed", "–": "skipped" };
  for (const line of result.stdout.split("\n")) {
    const m = /^ {2}([✓·✗–]) (\S+)/.exec(line);
    if (m) out[m[2]!] = symbols[m[1]!]!;
  }
  return out;
}

function reasonOf(result: CliResult, stage: string): string {
  const line = result.stdout.split("\n").find((l) => new RegExp(`^ {2}[▸·–] ${stage} `).test(l));
  return line?.replace(/^ {2}[▸·–] \S+\s+/, "") ?? "";
}

async function run(project: ToyProject, ...args: string[]): Promise<CliResult> {
  const result = await cli(project, ["run", project.pipeline, ...args]);
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
      (await import("./_toy_project.ts")).CLI,
      "run",
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
  const [a, b] = await Promise.all([
    run(p, ...slow),
    (async () => {
      await new Promise((r) => setTimeout(r, 400));
      return await run(p, ...slow);
    })(),
  ]);
  assert.equal(a.code, 0, a.stdout + a.stderr);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  assert.deepEqual(statuses(a), ALL_RAN);
  assert.match(b.stdout, /waiting for pid \d+ \(run .*computing toy\/source\)/);
  assert.deepEqual(statuses(b), ALL_CACHED);
  assert.match(reasonOf(b, "source"), /computed by run .* while this one waited/);
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
