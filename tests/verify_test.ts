/**
 * `deno task verify`: re-hashes the whole store (or one pipeline's part of it) whatever the stats say,
 * and repairs what it can, so that damage a run cannot see (bit rot keeps the stat) is found and fixed.
 */
import assert from "node:assert/strict";
import { cli, type CliResult, statuses } from "./_cli.ts";
import { makeToyProject, type ToyProject } from "./_toy_project.ts";

const run = (p: ToyProject, ...args: string[]) => cli(p, ["run", "--file", p.pipeline, ...args]);
const ALL_CACHED = { source: "cached", double: "cached", total: "cached", count: "cached" };

async function objectOf(p: ToyProject, stage: string): Promise<string> {
  const q = await cli(p, ["query", "--json", `select object from stages where stage = '${stage}' limit 1`]);
  return JSON.parse(q.stdout)[0].object;
}

const objectDir = (p: ToyProject, o: string) => `${p.data}/objects/${o.slice(0, 2)}/${o}`;

/** Flips a byte of an output file and records its new stat as the trusted one: corruption a run cannot see. */
async function rot(p: ToyProject, object: string, file: string): Promise<void> {
  const path = `${objectDir(p, object)}/out/${file}`;
  const bytes = await Deno.readFile(path);
  bytes[0] = bytes[0]! ^ 0x01;
  await Deno.writeFile(path, bytes);
  const info = await Deno.stat(path);
  const stats = JSON.parse(await Deno.readTextFile(`${objectDir(p, object)}/stat.json`));
  stats[file] = {
    size: info.size,
    mtimeMs: info.mtime!.getTime(),
    ctimeMs: info.ctime!.getTime(),
    ino: info.ino,
  };
  await Deno.writeTextFile(`${objectDir(p, object)}/stat.json`, JSON.stringify(stats));
}

function assertExit(r: CliResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  assert.doesNotMatch(r.stderr, /Uncaught|^\s+at /m, what);
}

Deno.test("verify finds an output whose bytes rotted under an unchanged stat, and removes it so it is recomputed", async () => {
  const p = await makeToyProject();
  assertExit(await run(p), 0, "first run");
  const double = await objectOf(p, "double");
  await rot(p, double, "nested/doubled.json");
  assert.deepEqual(statuses(await run(p)), ALL_CACHED, "a run trusts the stat: this is what verify is for");

  const dry = await cli(p, ["verify", "--dry-run"]);
  assertExit(dry, 1, "verify --dry-run");
  assert.match(
    dry.stdout,
    /output \w{12}… \(double of toy\): file nested\/doubled\.json changed on disk → fix \(not done: --dry-run\): remove it and its 1 cache entry/,
  );
  assert.ok(await Deno.stat(objectDir(p, double)).then(() => true), "a dry run changes nothing");

  const v = await cli(p, ["verify"]);
  assertExit(v, 0, "verify");
  assert.match(v.stdout, /fixed: remove it and its 1 cache entry \(the next run recomputes it\)/);
  assert.match(v.stdout, /1 problem found, 1 repaired/);
  const r = await run(p);
  assert.deepEqual(statuses(r), { ...ALL_CACHED, double: "ran" }, "double is recomputed; total stays cached");
  assert.equal(
    await Deno.readTextFile(`${objectDir(p, double)}/out/nested/doubled.json`),
    "[0,2,4,6,8]",
    "the same, intact output is back",
  );
  const clean = await cli(p, ["verify"]);
  assertExit(clean, 0, "verify again");
  assert.match(clean.stdout, /no damage found/);
});

Deno.test("verify repairs cache entries, stale digests and run records, and says what it could not repair", async () => {
  const p = await makeToyProject();
  assertExit(await run(p, "--set", "external=true"), 0, "first run");
  assertExit(await run(p, "--set", "count.offset=1"), 0, "second run");
  const q0 = await cli(p, ["query", "--json", "select run_id from runs order by started_at"]);
  const runs: string[] = JSON.parse(q0.stdout).map((row: { run_id: string }) => row.run_id);

  // A source file whose content changed while its stat did not (as after bit rot): its cached digest is stale.
  await new Promise((r) => setTimeout(r, 2100));
  assertExit(await run(p, "--set", "external=true"), 0, "a run that caches the file digest");
  const digests = JSON.parse(await Deno.readTextFile(`${p.data}/cache/file-digests.json`));
  digests[p.external].value = "0".repeat(64);
  await Deno.writeTextFile(`${p.data}/cache/file-digests.json`, JSON.stringify(digests));
  // A corrupt key record, and one whose output is gone.
  const sourceKey: string = JSON.parse(
    (await cli(p, ["query", "--json", "select key from stages where stage = 'source' limit 1"])).stdout,
  )[0].key;
  await Deno.writeTextFile(`${p.data}/keys/${sourceKey.slice(0, 2)}/${sourceKey}.json`, '{"key": null}');
  const count = await objectOf(p, "count");
  await Deno.remove(objectDir(p, count), { recursive: true });
  // A run's stages.parquet cut short, a metrics file that is no Parquet, a run.json that is gone.
  const stages = `${p.data}/runs/${runs[0]}/stages.parquet`;
  await Deno.writeFile(stages, (await Deno.readFile(stages)).subarray(0, 40));
  await Deno.writeTextFile(`${p.data}/runs/${runs[0]}/metrics/total-0000.parquet`, "not parquet");
  await Deno.writeTextFile(`${p.data}/runs/${runs[1]}/run.json`, "{}");

  const v = await cli(p, ["verify"]);
  assertExit(v, 1, "verify: one problem cannot be repaired");
  const out = v.stdout;
  assert.match(out, /cache entry \w{12}…: it has the wrong shape .* → fixed: remove it/);
  assert.match(
    out,
    /cache entry \w{12}… \(count of toy\): it points at output \w{12}…, which is missing → fixed: remove it/,
  );
  assert.ok(out.includes(`cached digest of ${p.external}: the file changed but its stat did not`), out);
  assert.ok(
    out.includes(`runs/${runs[0]}/stages.parquet: it cannot be read`) &&
      /stages\.parquet: .* → fixed: rewrite the run's Parquet files from run\.json and stages\.jsonl/.test(
        out,
      ),
    out,
  );
  assert.match(
    out,
    /metrics\/total-0000\.parquet: .* → fixed: set it aside as .*total-0000\.parquet\.corrupt/,
  );
  assert.match(
    out,
    new RegExp(`run record runs/${runs[1]}/run\\.json: it has the wrong shape .* → cannot be repaired`),
  );
  assert.match(
    out,
    /6 problems found, 5 repaired, 1 not \(a run whose run\.json is damaged can only be removed by hand\)/,
  );

  const q = await cli(p, ["query", "--json", "select count(*)::int n from stages"]);
  assertExit(q, 0, "query");
  assert.equal(q.stderr, "", "nothing left to skip");
  const r = await run(p, "--set", "external=true");
  assert.equal(statuses(r).reader, "cached", "the file is hashed again, and its real digest is in the cache");
  await Deno.remove(`${p.data}/runs/${runs[1]}`, { recursive: true });
  const clean = await cli(p, ["verify"]);
  assertExit(clean, 0, "verify after removing the damaged run by hand");
});

Deno.test("verify PIPELINE checks only the outputs that pipeline uses", async () => {
  const p = await makeToyProject();
  assertExit(await run(p), 0, "run");
  const v = await cli(p, ["verify", "gillespie"]);
  assertExit(v, 0, "verify gillespie");
  assert.match(v.stdout, /verified the outputs and runs of gillespie: 0 outputs/);
  const bad = await cli(p, ["verify", "gilespie"]);
  assertExit(bad, 2, "an unknown pipeline");
  assert.match(bad.stderr, /Did you mean 'gillespie'/);
});
