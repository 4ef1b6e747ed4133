/**
 * The realnvp-glow pipeline end to end through the CLI at a tiny size (K = 1 step of 8 channels per
 * level, 20 steps): the actnorm init on training data, four ablation trainings, bits/dim of each, the
 * main model's samples scored, and the report in Chromium.
 */
import assert from "node:assert/strict";
import { cli } from "./_cli.ts";
import { checkReport, runPipeline, tempStore, verdicts } from "./_density_report.ts";

const TINY = [
  "graph.hidden=8",
  "graph.depth=1",
  "graph.initBatch=64",
  "train.steps=20",
  "train.snapshotEvery=10",
  "classifier.steps=20",
  "fid.samples=200",
  "fid.realSamples=200",
];

Deno.test("realnvp-glow runs from an empty store: actnorm init, the ablation's four trainings, a report", async () => {
  const store = await tempStore("realnvp-glow-test-");
  const r = await runPipeline(store, "realnvp-glow", TINY);
  assert.match(r.stdout, /of 8 claims reproduced/);
  // Data-dependent init: two actnorms (one step in each of two levels), bias and log-scale each.
  assert.match(r.stderr, /init@conv: 4 parameters initialised from 64 training records/);
  const q = await cli(store, [
    "query",
    "--json",
    "select stage, value from metrics where name = 'test_bpd' order by stage",
  ]);
  const bpd = Object.fromEntries(
    (JSON.parse(q.stdout) as { stage: string; value: number }[]).map((x) => [x.stage, x.value]),
  );
  assert.deepEqual(Object.keys(bpd), [
    "bpd@add",
    "bpd@conv",
    "bpd@reverse",
    "bpd@shuffle",
  ]);
  // Actnorm starts each level at unit variance, so even 20 steps sit near uniform noise's 8 bits/dim and
  // far above the paper's 1.05; the variants differ only by their permutation or coupling.
  for (const [stage, v] of Object.entries(bpd)) assert.ok(v > 1.05 && v < 10, `${stage}: ${v}`);
  const v = await verdicts(store, "realnvp-glow");
  assert.equal(v["paper-bpd"], "not reproduced");
  for (const id of ["fid-below-untrained", "fid-below-noise", "all-classes", "not-memorised"]) {
    assert.ok(["reproduced", "not reproduced"].includes(v[id]!), `${id}: ${v[id]}`);
  }
  const seen = await checkReport(store, "realnvp-glow");
  assert.ok(seen.headings.includes("Samples by temperature"), JSON.stringify(seen.headings));
  assert.ok(seen.headings.includes("Likelihood of the variant 'reverse'"));
  assert.equal(seen.images.filter((i) => i.alt.startsWith("samples at temperature")).length, 4);
  await Deno.remove(store.dir, { recursive: true });
});
