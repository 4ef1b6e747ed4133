/**
 * The wgan-gp pipeline end to end through the CLI at a tiny size: Su's MLPs with both penalties,
 * sample grids over training, the claims and the report in a real browser.
 */
import assert from "node:assert/strict";
import { browserCheck } from "../stages/report/browser_check.ts";
import { cli, statuses, type TestStore } from "./_cli.ts";

const TINY = [
  "graph.gHidden=[8]",
  "graph.dHidden=[8]",
  "graph.batch=16",
  "train.steps=40",
  "train.snapshotEvery=20",
  "train.checkpointEvery=20",
  "train.logEvery=10",
  "classifier.steps=40",
  "evaluate.samples=100",
  "evaluate.realSamples=100",
].flatMap((s) => ["--set", s]);

Deno.test("wgan-gp trains Su's MLPs with both penalties end to end; the report shows grids over training in Chromium", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wgan-gp-test-" });
  const store: TestStore = { data: `${dir}/data`, reports: `${dir}/reports` };
  const r = await cli(store, ["run", "wgan-gp", ...TINY]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(Object.values(statuses(r)).filter((s) => s !== "ran"), []);
  // 5 critic steps per generator step, 16 images each: 80 records per training step, fused by 10.
  const shapes = JSON.parse(await Deno.readTextFile(await signatureOf(store)));
  assert.deepEqual(shapes.batch.x.shape, [80, 1, 28, 28]);
  assert.equal(shapes.batch.z_d.shape[1], 10, "Su's z ∈ U(−1, 1)^10");

  const q = await cli(store, [
    "query",
    "--json",
    "select stage, value from latest_metrics where name = 'grad_norm' and step = 40 order by stage",
  ]);
  const norms = JSON.parse(q.stdout) as { stage: string; value: number }[];
  assert.deepEqual(norms.map((n) => n.stage), ["train@one-sided", "train@two-sided"]);
  assert.ok(norms.every((n) => n.value > 0 && Number.isFinite(n.value)));

  const claims = await cli(store, ["claims", "wgan-gp"]);
  for (const id of ["fid-below-untrained", "two-sided-trains", "one-vs-two-sided", "lipschitz", "paper-is"]) {
    assert.match(claims.stdout, new RegExp(`[✓✗○] ${id}`));
  }
  const page = `${store.reports}/wgan-gp/index.html`;
  const seen = await browserCheck(page, { viewport: { width: 1280, height: 900 } });
  assert.equal(seen.title, "WGAN-GP, Su's MLPs, on MNIST");
  assert.ok(
    seen.headings.some((h) => h.startsWith("Samples during training: one-sided")),
    seen.headings.join(" | "),
  );
  assert.deepEqual(seen.cutTables, []);
  assert.deepEqual(seen.consoleErrors, []);
  assert.ok(seen.plots.every((p) => p.rendered), JSON.stringify(seen.plots));
  // samples and nearest images, then a grid at steps 0, 20 and 40 of each penalty.
  assert.equal(seen.images.length, 2 + 2 * 3);
  assert.ok(seen.images.every((i) => i.loaded && i.naturalWidth > 0));
  await Deno.remove(dir, { recursive: true });
});

/** The train-step signature the graph stage of the one-sided variant wrote. */
async function signatureOf(store: TestStore): Promise<string> {
  const out = await cli(store, [
    "query",
    "--json",
    "select object from stages where stage = 'graph@one-sided' order by started_at desc limit 1",
  ]);
  const object = (JSON.parse(out.stdout) as { object: string }[])[0]!.object;
  return `${store.data}/objects/${object.slice(0, 2)}/${object}/out/step/signature.json`;
}
