/**
 * The vae-gumbel pipeline end to end through the CLI, the training cut to 100 steps, the
 * importance-weighted bound to K = 50 and the estimators to 5,000 draws: the bound's ordering (it holds at
 * any stage of training), the estimators' claims (seeded, so the same verdicts every run), the report in
 * Chromium.
 */
import assert from "node:assert/strict";
import { checkReport, runPipeline, tempStore, verdicts } from "./_density_report.ts";

const SHORT = [
  "train.steps=100",
  "train.snapshotEvery=50",
  "iwae.importance=50",
  "classifier.steps=40",
  "evaluate.samples=200",
  "evaluate.realSamples=200",
  "estimators.samples=5000",
];

Deno.test("vae-gumbel runs from an empty store: the categorical VAE, its bounds, the estimators, a report", async () => {
  const store = await tempStore("vae-gumbel-test-");
  const r = await runPipeline(store, "vae-gumbel", SHORT);
  assert.match(r.stdout, /of 13 claims reproduced/);
  const v = await verdicts(store, "vae-gumbel");
  for (
    const id of [
      "iwae-below-elbo",
      "gs-bias-falls",
      "gs-bias-falls-2",
      "gs-variance-rises",
      "gs-variance-rises-2",
      "gs-biased",
      "score-unbiased",
      "score-variance",
      "reparam-unbiased",
    ]
  ) assert.equal(v[id], "reproduced", id);
  const seen = await checkReport(store, "vae-gumbel");
  for (
    const h of ["Samples from random one-hot codes", "Gradient estimators on a toy with a known gradient"]
  ) {
    assert.ok(seen.headings.includes(h), `a section '${h}' in ${seen.headings}`);
  }
  // The classifier-FID over training and the estimators' bias and variance against τ.
  assert.equal(seen.plots.length, 2);
  // The samples and their nearest training images.
  assert.equal(seen.images.length, 2);
  await Deno.remove(store.dir, { recursive: true });
});
