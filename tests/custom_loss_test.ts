/**
 * The custom-loss pipeline end to end through the CLI at a tiny size (100 steps per loss, 300 triplet
 * steps): three classifiers and their evaluations, the triplet retrieval, every claim judged, and the
 * report in Chromium at 1280 px with the 2-d feature scatter of each loss.
 */
import assert from "node:assert/strict";
import { cli } from "./_cli.ts";
import { checkReport, runPipeline, tempStore, verdicts } from "./_density_report.ts";

const TINY = [
  "train.steps=100",
  "train.snapshotEvery=50",
  "train.checkpointEvery=50",
  "triplet.steps=300",
  "triplet.train=1000",
  "triplet.test=200",
];

Deno.test("custom-loss runs from an empty store: three losses, the triplet retrieval, every claim judged, a report", async () => {
  const store = await tempStore("custom-loss-test-");
  const r = await runPipeline(store, "custom-loss", TINY);
  assert.match(r.stdout, /of 7 claims reproduced/);
  const v = await verdicts(store, "custom-loss");
  assert.equal(Object.keys(v).length, 7);
  for (const [id, verdict] of Object.entries(v)) assert.notEqual(verdict, "not comparable", id);
  // 300 steps already take the held-out retrieval far above chance (1 in 200).
  assert.equal(v["triplet-retrieval"], "reproduced");
  const m = await cli(store, [
    "query",
    "--json",
    "select stage, name, value from latest_metrics where name in ('ece', 'noise-confidence', 'top1-untrained')",
  ]);
  const rows = JSON.parse(m.stdout) as { stage: string; name: string; value: number }[];
  for (const stage of ["eval@ce", "eval@smoothed", "eval@center"]) {
    const ece = rows.find((x) => x.stage === stage && x.name === "ece")!.value;
    const noise = rows.find((x) => x.stage === stage && x.name === "noise-confidence")!.value;
    assert.ok(ece >= 0 && ece < 1, `${stage} ECE ${ece}`);
    assert.ok(
      noise >= 0.1 && noise <= 1,
      `${stage}: a max-softmax of 10 classes is in [0.1, 1], got ${noise}`,
    );
  }
  const seen = await checkReport(store, "custom-loss");
  for (const title of ["Plain cross-entropy", "Triplet loss on question/answer pairs"]) {
    assert.ok(seen.headings.includes(title), `a section '${title}'`);
  }
  // Per loss: over training, the reliability diagram, the feature scatter; and the triplet curve.
  assert.equal(seen.plots.length, 10);
  await Deno.remove(store.dir, { recursive: true });
});
