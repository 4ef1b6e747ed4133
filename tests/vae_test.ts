/**
 * The vae pipeline end to end through the CLI, every training cut to 200 steps and the largest
 * importance-weighted bound to K = 100: the bounds' ordering and the decoders' KL ordering (robust at
 * this length), the report in Chromium, and one training per variant.
 */
import assert from "node:assert/strict";
import { cli } from "./_cli.ts";
import { checkReport, runPipeline, tempStore, verdicts } from "./_density_report.ts";

const SHORT = [
  "train.steps=200",
  "train.snapshotEvery=100",
  "iwae-1000.importance=100",
  "classifier.steps=40",
  "evaluate.samples=200",
  "evaluate.realSamples=200",
  "evaluate-2d.samples=200",
  "evaluate-2d.realSamples=200",
];

Deno.test("vae runs from an empty store: Su's model, the bounds by K, the decoders, a report", async () => {
  const store = await tempStore("vae-test-");
  const r = await runPipeline(store, "vae", SHORT);
  assert.match(r.stdout, /of 15 claims reproduced/);
  const v = await verdicts(store, "vae");
  // The bound rises with K at any stage of training; the KL falls with σ̃ as soon as the decoders train.
  for (const id of ["elbo-below-iwae5", "iwae-rises-50", "iwae-rises-1000", "sigma-kl-03", "sigma-kl-1"]) {
    assert.equal(v[id], "reproduced", id);
  }
  // 200 steps are far from the paper's 3,280 passes.
  assert.equal(v["paper-nll"], "not reproduced");
  const seen = await checkReport(store, "vae");
  for (
    const h of [
      "Su's model: the 2-d latent space",
      "The likelihood bound by K",
      "The decoder's variance and posterior collapse",
      "The 50-d VAE as a generator",
    ]
  ) assert.ok(seen.headings.includes(h), `a section '${h}'`);
  // The scatter, the bounds, the activities, the loss curves and both FID curves.
  assert.ok(seen.plots.length >= 6, `${seen.plots.length} plots`);
  // The decoded grid and, per generator, its samples and their nearest training images.
  assert.equal(seen.images.length, 5);
  const q = await cli(store, [
    "query",
    "--json",
    "select count(*) as n from stages where kind = 'train.run'",
  ]);
  assert.deepEqual(JSON.parse(q.stdout), [{ n: 10 }], "nine variants and the classifier");
  await Deno.remove(store.dir, { recursive: true });
});
