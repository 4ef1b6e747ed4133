/**
 * The vqgan pipeline end to end through the CLI, its three trainings cut to 60 steps with the GAN from
 * step 20 and the evaluations to 200 images: every claim recorded with a verdict, λ logged, the report
 * in Chromium with each variant's reconstructions and reconstruction-FID sections.
 */
import assert from "node:assert/strict";
import { cli } from "./_cli.ts";
import { checkReport, runPipeline, tempStore, verdicts } from "./_density_report.ts";

const VARIANTS = ["vq-vae", "percept", "vqgan"];
const SHORT = [
  "train.steps=60",
  "train.snapshotEvery=30",
  "train.checkpointEvery=50",
  "train.logEvery=10",
  "graph@percept.ganStart=20",
  "graph@vqgan.ganStart=20",
  "recon.records=200",
  "fid.records=200",
  "classifier.steps=40",
];

Deno.test("vqgan runs from an empty store: three variants at equal steps, recon FID, λ, a report", async () => {
  const store = await tempStore("vqgan-test-");
  const r = await runPipeline(store, "vqgan", SHORT);
  assert.match(r.stdout, /of 3 claims reproduced/);
  const v = await verdicts(store, "vqgan");
  for (const id of ["recon-fid-below-vqvae", "gan-term-helps", "perplexity"]) {
    assert.ok(["reproduced", "not reproduced"].includes(v[id]!), `${id}: ${v[id]}`);
  }
  const lambda = await cli(store, [
    "query",
    "--json",
    "select value from metrics where stage = 'fid@vqgan' and name = 'lambda_median'",
  ]);
  const rows = JSON.parse(lambda.stdout) as { value: number }[];
  assert.equal(rows.length, 1, lambda.stdout + lambda.stderr);
  assert.ok(Number.isFinite(rows[0]!.value) && rows[0]!.value > 0, `λ median ${rows[0]!.value}`);
  const seen = await checkReport(store, "vqgan");
  for (const variant of ["VQ-VAE", "VQ-VAE + perceptual", "VQGAN"]) {
    for (const h of [`${variant}: reconstructions`, `${variant}: reconstruction FID`]) {
      assert.ok(seen.headings.includes(h), `a section '${h}' in ${seen.headings}`);
    }
  }
  assert.equal(seen.images.length, VARIANTS.length, "one reconstruction grid per variant");
  await Deno.remove(store.dir, { recursive: true });
});
