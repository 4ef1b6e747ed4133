/** Work folders hold checkpoints between attempts of a stage; a failed attempt that left none leaves no folder. */
import assert from "node:assert/strict";
import { cli, statuses } from "./_cli.ts";
import { makeToyProject } from "./_toy_project.ts";

Deno.test("a failed stage that wrote no checkpoint leaves no empty work folder behind", async () => {
  const p = await makeToyProject();
  for (let i = 0; i < 3; i++) {
    const r = await cli(p, [
      "run",
      "--file",
      p.pipeline,
      "--set",
      "double.fail=true",
      "--set",
      `double.label=try${i}`,
    ]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(statuses(r).double, "failed");
  }
  assert.deepEqual([...Deno.readDirSync(`${p.data}/work`)].map((e) => e.name), [], "no work folder piles up");
});
