/**
 * The vq-vae pipeline end to end through the CLI, both trainings cut to 60 steps and the evaluations to
 * 200 samples: the ablation's verdict (straight-through reconstructs better from the first steps on),
 * the report in Chromium with both evaluations and both reconstruction sections.
 */
import assert from "node:assert/strict";
import { checkReport, runPipeline, tempStore, verdicts } from "./_density_report.ts";

const SHORT = [
  "train.steps=60",
  "train.snapshotEvery=30",
  "recon.records=500",
  "classifier.steps=40",
  "evaluate.samples=200",
  "evaluate.realSamples=200",
  "evaluate-uniform.samples=200",
  "evaluate-uniform.realSamples=200",
];

Deno.test("vq-vae runs from an empty store: with and without straight-through, the prior's samples, a report", async () => {
  const store = await tempStore("vq-vae-test-");
  const r = await runPipeline(store, "vq-vae", SHORT);
  assert.match(r.stdout, /of 8 claims reproduced/);
  const v = await verdicts(store, "vq-vae");
  assert.equal(v["st-trains"], "reproduced");
  const seen = await checkReport(store, "vq-vae");
  for (
    const h of [
      "Reconstructions with the straight-through estimator",
      "Reconstructions without it (the ablation)",
      "Samples from the prior",
      "The same decoder at uniformly random codes",
    ]
  ) assert.ok(seen.headings.includes(h), `a section '${h}' in ${seen.headings}`);
  // Two reconstruction grids; per evaluation its samples and their nearest training images.
  assert.equal(seen.images.length, 6);
  await Deno.remove(store.dir, { recursive: true });
});
