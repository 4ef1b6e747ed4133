/**
 * The nice pipeline end to end through the CLI at a tiny size (coupling nets of 2 × 16, 60 steps): every
 * stage runs from an empty store, bits/dim come out with the dequantisation Jacobian, the samples are
 * scored by the shared image-generator evaluation, and the report passes its checks in Chromium.
 */
import assert from "node:assert/strict";
import { cli } from "./_cli.ts";
import { checkReport, runPipeline, tempStore, verdicts } from "./_density_report.ts";

const TINY = [
  "graph.hidden=16",
  "graph.depth=2",
  "train.steps=60",
  "train.snapshotEvery=30",
  "classifier.steps=40",
  "fid.samples=200",
  "fid.realSamples=200",
];

Deno.test("nice runs from an empty store: test bits/dim, Su's loss, samples by temperature, a report", async () => {
  const store = await tempStore("nice-test-");
  const r = await runPipeline(store, "nice", TINY);
  assert.match(r.stdout, /of 6 claims reproduced/);
  const q = await cli(store, [
    "query",
    "--json",
    "select stage, name, value from metrics where stage in ('bpd', 'train') and name in " +
    "('test_bpd', 'test_nll', 'bpd', 'su_loss', 'nll') order by stage, name, step desc",
  ]);
  const rows = JSON.parse(q.stdout) as { stage: string; name: string; value: number }[];
  const last = (stage: string, name: string) => rows.find((x) => x.stage === stage && x.name === name)!.value;
  // The likelihood stage's NLL is in units of the 8-bit levels: the model's −log q(x) on [0, 1] plus 784·ln 256.
  const bpd = last("bpd", "test_bpd");
  assert.ok(Math.abs(bpd - last("bpd", "test_nll") / (784 * Math.LN2)) < 1e-9);
  // A tiny, briefly trained NICE sits between uniform noise (8 bits/dim) and the paper's 4.36, nearer the
  // former; the train batches' bits/dim (in-graph) agree with the test images' to within the gap between them.
  assert.ok(bpd > 4.36 && bpd < 12, `test bits/dim ${bpd}`);
  assert.ok(Math.abs(last("train", "bpd") - bpd) < 1, `${last("train", "bpd")} vs ${bpd}`);
  assert.ok(Math.abs(last("train", "su_loss") - (last("train", "nll") - 392 * Math.log(2 * Math.PI))) < 1e-2);
  const v = await verdicts(store, "nice");
  assert.equal(v["paper-bpd"], "not reproduced");
  assert.equal(v["su-loss"], "not comparable");
  // A 2 × 16 NICE after 60 steps makes blurred noise: the sample claims are judged, whatever they say.
  for (const id of ["fid-below-untrained", "fid-below-noise", "all-classes", "not-memorised"]) {
    assert.ok(["reproduced", "not reproduced"].includes(v[id]!), `${id}: ${v[id]}`);
  }
  const seen = await checkReport(store, "nice");
  assert.ok(seen.headings.includes("Samples by temperature"), JSON.stringify(seen.headings));
  assert.ok(seen.headings.includes("Likelihood: bits per dimension on the test images"));
  assert.equal(seen.images.filter((i) => i.alt.startsWith("samples at temperature")).length, 3);
  await Deno.remove(store.dir, { recursive: true });
});
