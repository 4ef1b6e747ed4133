/** The examples of `verify`, `unlock` and streamed `query` shown in the README and in `--help` run. */
import assert from "node:assert/strict";
import { cli, cliCommand } from "./_cli.ts";
import { makeToyProject } from "./_toy_project.ts";

Deno.test("the README and --help examples of verify, unlock and query --csv run", async () => {
  const p = await makeToyProject();
  assert.equal((await cli(p, ["run", "--file", p.pipeline])).code, 0);
  const examples: [string[], RegExp][] = [
    [["verify"], /no damage found/],
    [["verify", "gillespie", "--dry-run"], /verified the outputs and runs of gillespie/],
    [["unlock"], /no locks in /],
    [["unlock", "--host", "build-box-7"], /no locks in /],
  ];
  for (const [args, expected] of examples) {
    const r = await cli(p, args);
    assert.equal(r.code, 0, `deno task ${args.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, expected, args.join(" "));
  }
  // deno task query --csv "select * from metrics" > metrics.csv
  const out = `${p.dir}/metrics.csv`;
  const child = cliCommand(p, ["query", "--csv", "select * from metrics"]).spawn();
  await child.stdout.pipeTo((await Deno.open(out, { write: true, create: true })).writable);
  assert.equal((await child.status).code, 0);
  await child.stderr.cancel();
  const lines = (await Deno.readTextFile(out)).trim().split("\n");
  assert.equal(lines[0], "run_id,pipeline,stage,key,step,name,value");
  assert.equal(lines.length, 1 + 10, "the toy's total stage logs 5 steps of 2 metrics");
});
