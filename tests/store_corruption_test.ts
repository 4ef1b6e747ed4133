/**
 * Store files that are valid JSON of the wrong shape (or no JSON at all) never crash a command: caches
 * are dropped and rebuilt, a key record is a cache miss ("cache entry was corrupt"), a run record or a
 * history row is skipped. Each case is checked through every command that reads the store.
 */
import assert from "node:assert/strict";
import { cli, type CliResult, statuses } from "./_cli.ts";
import { makeToyProject, type ToyProject } from "./_toy_project.ts";

const run = (p: ToyProject, ...args: string[]) => cli(p, ["run", "--file", p.pipeline, ...args]);
const ALL_CACHED = { source: "cached", double: "cached", total: "cached", count: "cached" };

function assertClean(r: CliResult, what: string, code = 0): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  assert.doesNotMatch(r.stderr, /Uncaught|^\s+at /m, `${what}: no crash, no stack trace\n${r.stderr}`);
}

/** Every command that reads the store works on `p` (a run with defaults, status, list, query, gc). */
async function everyCommandWorks(p: ToyProject, label: string): Promise<CliResult> {
  const r = await run(p);
  assertClean(r, `${label}: run`);
  assertClean(await cli(p, ["status"]), `${label}: status`);
  assertClean(await cli(p, ["list"]), `${label}: list`);
  assertClean(await cli(p, ["query", "select count(*) from stages"]), `${label}: query`);
  assertClean(await cli(p, ["gc", "--dry-run"]), `${label}: gc --dry-run`);
  assertClean(await cli(p, ["gc"]), `${label}: gc`);
  return r;
}

async function keyOf(p: ToyProject, stage: string): Promise<{ key: string; path: string }> {
  const q = await cli(p, [
    "query",
    "--json",
    `select key from stages where stage = '${stage}' and key is not null order by started_at desc limit 1`,
  ]);
  const key: string = JSON.parse(q.stdout)[0].key;
  return { key, path: `${p.data}/keys/${key.slice(0, 2)}/${key}.json` };
}

Deno.test("a key record of the wrong shape is a cache miss that says so, in every command", async () => {
  const p = await makeToyProject();
  assertClean(await run(p), "first run");
  const shapes: Record<string, string> = {
    source: "{}",
    double: "null",
    count: '{"key": 1}',
    total: "{not json",
  };
  for (const [stage, text] of Object.entries(shapes)) {
    await Deno.writeTextFile((await keyOf(p, stage)).path, text);
  }
  assertClean(await cli(p, ["status"]), "status");
  const r = await run(p);
  assertClean(r, "run");
  for (const [stage, text] of Object.entries(shapes)) {
    assert.equal(statuses(r)[stage], "ran", `${stage} (${text}): ${r.stdout}`);
    assert.match(
      r.stdout,
      new RegExp(`${stage}\\s+cache entry was corrupt \\(it (has the wrong shape|is not valid JSON)`),
      `${stage} (${text})`,
    );
  }
  await everyCommandWorks(p, "after corrupt key records");
  const after = await run(p);
  assert.deepEqual(statuses(after), ALL_CACHED, "the records were rewritten whole");
});

Deno.test("a key record copied from another key is never served: it must name the key it is stored under", async () => {
  const p = await makeToyProject();
  assertClean(await run(p), "first run");
  const count = await keyOf(p, "count");
  const source = await keyOf(p, "source");
  // Both records are valid and point at valid objects; only the file name ties a record to its key.
  await Deno.copyFile(source.path, count.path);
  const r = await run(p);
  assertClean(r, "run");
  assert.equal(statuses(r).count, "ran", r.stdout);
  assert.match(r.stdout, /count\s+cache entry was corrupt \(it names another key/);
  const q = await cli(p, [
    "query",
    "--json",
    "select object from stages where stage = 'count' order by started_at",
  ]);
  const [first, second] = JSON.parse(q.stdout).map((row: { object: string }) => row.object);
  assert.equal(second, first, "count got its own output back, not source's");
});

Deno.test("stat caches of the wrong shape are dropped and rebuilt", async () => {
  const rounds: Record<string, string>[] = [
    { "code-digests.json": "null", "file-digests.json": "null", "pipelines.json": "null" },
    { "code-digests.json": "42", "file-digests.json": "[]", "pipelines.json": "42" },
  ];
  for (const round of rounds) {
    const p = await makeToyProject();
    assertClean(await run(p, "--set", "external=true"), "first run");
    for (const [file, text] of Object.entries(round)) {
      await Deno.writeTextFile(`${p.data}/cache/${file}`, text);
    }
    const label = JSON.stringify(round);
    const r = await everyCommandWorks(p, label);
    assert.deepEqual(statuses(r), ALL_CACHED, `${label}: nothing reruns`);
    const again = await run(p, "--set", "external=true");
    assertClean(again, `${label}: run with the external file`);
    assert.equal(statuses(again).reader, "cached");
  }
});

Deno.test("a code-digest cache entry without imports is a miss: the file is hashed again", async () => {
  const p = await makeToyProject();
  assertClean(await run(p), "first run");
  // Make the entries old enough to be kept (not racy), then break one of them.
  await new Promise((r) => setTimeout(r, 2100));
  assertClean(await run(p), "second run: the cache is written");
  const cachePath = `${p.data}/cache/code-digests.json`;
  const cache = JSON.parse(await Deno.readTextFile(cachePath));
  const entry = Object.keys(cache).find((path) => path.endsWith("/double.ts"))!;
  assert.ok(entry, `double.ts is cached: ${Object.keys(cache)}`);
  delete cache[entry].value.imports;
  await Deno.writeTextFile(cachePath, JSON.stringify(cache));
  const r = await everyCommandWorks(p, "entry without imports");
  assert.deepEqual(statuses(r), ALL_CACHED);
  const rebuilt = JSON.parse(await Deno.readTextFile(cachePath));
  assert.ok(Array.isArray(rebuilt[entry]?.value?.imports), "the entry was rebuilt whole");
});

Deno.test("history rows, run records and pointers of the wrong shape are skipped", async () => {
  const p = await makeToyProject();
  assertClean(await run(p), "first run");
  const runId = (await Array.fromAsync(Deno.readDir(`${p.data}/runs`)))[0]!.name;
  const rowsPath = `${p.data}/runs/${runId}/stages.jsonl`;
  const rows = (await Deno.readTextFile(rowsPath)).trim().split("\n").map((l) => JSON.parse(l));
  await Deno.writeTextFile(
    rowsPath,
    rows.map((row) => JSON.stringify(row.stage === "count" ? { ...row, codeFiles: "lib.ts" } : row)).join(
      "\n",
    ) +
      "\n",
  );
  // The history is read to explain why a stage reruns: a param change makes it read the bad row.
  const r = await run(p, "--set", "count.offset=2");
  assertClean(r, "run after a history row lost its shape");
  assert.equal(statuses(r).count, "ran");

  await Deno.writeTextFile(`${p.data}/runs/${runId}/run.json`, '{"runId": 7}');
  await Deno.writeTextFile(`${p.data}/pointers/toy/latest.json`, "null");
  await everyCommandWorks(p, "a run.json and a pointer of the wrong shape");
  await Deno.writeTextFile(`${p.data}/active/${runId}.json`, "[]");
  await everyCommandWorks(p, "an active marker of the wrong shape");
});

Deno.test("an object whose manifest or stat record has the wrong shape is recomputed or re-hashed", async () => {
  const p = await makeToyProject();
  assertClean(await run(p), "first run");
  const q = await cli(p, ["query", "--json", "select stage, object from stages"]);
  const objects = Object.fromEntries(
    JSON.parse(q.stdout).map((row: { stage: string; object: string }) => [row.stage, row.object]),
  );
  const dir = (o: string) => `${p.data}/objects/${o.slice(0, 2)}/${o}`;
  await Deno.writeTextFile(`${dir(objects.double)}/manifest.json`, '{"digest": 1, "files": {}}');
  await Deno.writeTextFile(`${dir(objects.count)}/stat.json`, '{"count.txt": "big"}');
  const r = await run(p);
  assertClean(r, "run");
  assert.match(r.stdout, /double\s+cached output was corrupted \(its manifest is unreadable/);
  assert.equal(statuses(r).count, "cached", "a bad stat record only costs a re-hash");
  await everyCommandWorks(p, "after the repair");
});

Deno.test("a --data-dir that is a file, or holds a file where a folder belongs, is one clear error", async () => {
  const p = await makeToyProject();
  await Deno.writeTextFile(p.data, "not a folder");
  const r = await run(p);
  assertClean(r, "run", 3);
  assert.match(
    r.stderr,
    /^error: Cannot use .*data as a store: .* is a file, not a folder\. Point --data-dir/,
  );
  await Deno.remove(p.data);
  await Deno.mkdir(p.data);
  await Deno.writeTextFile(`${p.data}/keys`, "");
  assertClean(await cli(p, ["query", "select 1"]), "query", 3);
});
