/**
 * The nade pipeline end to end through the CLI at a tiny size (NADE with 50 hidden units, both trainings
 * cut to 40 steps, 200 samples): the exact NLLs fall over training and NADE's is below FVSBN's already, the
 * report in Chromium with both NLL sections and NADE's samples.
 */
import assert from "node:assert/strict";
import { cli } from "./_cli.ts";
import { checkReport, runPipeline, tempStore, verdicts } from "./_density_report.ts";

const SHORT = [
  "graph@nade.hidden=50",
  "train.steps=40",
  "train.snapshotEvery=20",
  "classifier.steps=40",
  "evaluate.samples=200",
  "evaluate.realSamples=200",
];

Deno.test("nade runs from an empty store: FVSBN and NADE, their exact test NLL, NADE's samples, a report", async () => {
  const store = await tempStore("nade-test-");
  const r = await runPipeline(store, "nade", SHORT);
  assert.match(r.stdout, /of 7 claims reproduced/);
  const v = await verdicts(store, "nade");
  assert.equal(v["nade-below-fvsbn"], "reproduced");
  // 40 steps are far from the papers' training.
  assert.equal(v["nade-paper"], "not reproduced");
  assert.equal(v["fvsbn-paper"], "not reproduced");
  const q = await cli(store, [
    "query",
    "--json",
    "select stage, step, value from metrics where name = 'test_nll_curve' order by stage, step",
  ]);
  const curve = JSON.parse(q.stdout) as { stage: string; step: number; value: number }[];
  for (const stage of ["nll@fvsbn", "nll@nade"]) {
    const values = curve.filter((c) => c.stage === stage).map((c) => c.value);
    assert.equal(values.length, 3, `${stage}: the NLL at steps 0, 20 and 40`);
    assert.ok(values[2]! < values[0]!, `${stage}: ${values}`);
  }
  const seen = await checkReport(store, "nade");
  for (
    const h of [
      "FVSBN: the test NLL over training",
      "NADE: the test NLL over training",
      "NADE's samples, pixel by pixel",
    ]
  ) assert.ok(seen.headings.includes(h), `a section '${h}' in ${seen.headings}`);
  await Deno.remove(store.dir, { recursive: true });
});
