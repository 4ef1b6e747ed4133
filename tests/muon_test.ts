/**
 * The muon pipeline end to end through the CLI at a tiny size (narrow models, 60 steps): every variant of
 * the sweep trains and is evaluated, both steps are timed, the comparison reads them all, and the report
 * renders in Chromium at 1280 px.
 */
import assert from "node:assert/strict";
import { cli } from "./_cli.ts";
import { checkReport, runPipeline, tempStore, verdicts } from "./_density_report.ts";

const TINY = [
  "graph.hidden=[64,64]",
  "graph.channels=[4,8]",
  "graph.features=16",
  "train.steps=60",
  "train.snapshotEvery=30",
  "train.checkpointEvery=30",
  "step-cost.rounds=1",
  "step-cost.calls=1",
];

Deno.test("muon runs from an empty store: 9 trainings of the sweep, the step cost, the comparison, a report", async () => {
  const store = await tempStore("muon-test-");
  const r = await runPipeline(store, "muon", TINY);
  assert.match(r.stdout, /of 7 claims reproduced/);
  const v = await verdicts(store, "muon");
  assert.equal(Object.keys(v).length, 7);
  assert.equal(v["moonlight-2x"], "not comparable", "Moonlight's scaling claim is reported, not judged");
  // The overhead claim is judged on a measured number whatever the model's size.
  assert.notEqual(v["mlp-overhead-5pct"], "not comparable");
  const q = await cli(store, [
    "query",
    "--json",
    "select count(*) as n from stages where kind = 'train.run'",
  ]);
  assert.deepEqual(JSON.parse(q.stdout), [{ n: 9 }]);
  const m = await cli(store, [
    "query",
    "--json",
    "select name, value from latest_metrics where stage = 'compare' order by name",
  ]);
  const metrics = Object.fromEntries(
    (JSON.parse(m.stdout) as { name: string; value: number }[]).map((x) => [x.name, x.value]),
  );
  for (const model of ["mlp", "cnn"]) {
    assert.ok([0.001, 0.003].includes(metrics[`${model}-adamw-lr`]!), `${model}: AdamW lr from its sweep`);
    assert.ok([0.005, 0.02, 0.05].includes(metrics[`${model}-muon-lr`]!), `${model}: Muon lr from its sweep`);
    // 60 steps already take the loss well below log 10 ≈ 2.30 with either optimizer.
    assert.ok(metrics[`${model}-adamw-loss`]! < 2, `${model} AdamW loss ${metrics[`${model}-adamw-loss`]}`);
    assert.ok(metrics[`${model}-muon-loss`]! < 2, `${model} Muon loss ${metrics[`${model}-muon-loss`]}`);
  }
  const seen = await checkReport(store, "muon");
  assert.ok(seen.headings.includes("The sweep: training loss against steps and wall time"));
  assert.ok(seen.headings.includes("What a Muon step costs"));
  // Loss against steps and against wall time, for each model.
  assert.equal(seen.plots.length, 4);
  await Deno.remove(store.dir, { recursive: true });
});
