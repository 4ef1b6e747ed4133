/**
 * The glann pipeline end to end through the CLI at a tiny size: IMLE, its repulsion variant, GLANN (GLO
 * fed by record indices, then latent IMLE) and the VAE on one decoder, their claims and the report in a
 * real browser.
 */
import assert from "node:assert/strict";
import { browserCheck } from "../stages/report/browser_check.ts";
import { cli, statuses, type TestStore } from "./_cli.ts";

/** A model and budget small enough for a test; everything else is the real pipeline. */
const TINY = [
  "graph.hidden=[32,64]",
  "graph.latent=8",
  "graph.mapperHidden=[16]",
  "graph.batch=32",
  "graph.gloSteps=40",
  "train.steps=60",
  "train.snapshotEvery=30",
  "train.checkpointEvery=30",
  "train.logEvery=10",
  "classifier.steps=40",
  "evaluate.samples=100",
  "evaluate.realSamples=100",
].flatMap((s) => ["--set", s]);

const VARIANTS = ["imle", "imle-repulsion", "glann", "vae"];

Deno.test("glann runs IMLE, its repulsion variant, GLANN and a VAE at equal steps; claims recorded, report renders in Chromium", async () => {
  const dir = await Deno.makeTempDir({ prefix: "glann-test-" });
  const store: TestStore = { data: `${dir}/data`, reports: `${dir}/reports` };
  const r = await cli(store, ["run", "glann", ...TINY]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const ran = statuses(r);
  assert.deepEqual(Object.values(ran).filter((s) => s !== "ran"), []);
  for (const v of VARIANTS) {
    assert.equal(ran[`train@${v}`], "ran", v);
    assert.equal(ran[`grids@${v}`], "ran", v);
  }

  // Each variant was fed what its graph takes: GLANN's codes by record index, the repulsion two noises.
  const feeds = JSON.parse(
    (await cli(store, [
      "query",
      "--json",
      "select stage, name, value from params where stage like 'train@%' and name like 'feeds.%' order by stage, name",
    ])).stdout,
  ) as { stage: string; name: string; value: string }[];
  const fed = (stage: string) =>
    Object.fromEntries(feeds.filter((f) => f.stage === stage).map((f) => [f.name.slice(6), f.value]));
  assert.deepEqual(fed("train@glann"), { idx: "indices", x: "images", z: "normal" });
  assert.deepEqual(fed("train@imle-repulsion"), { x: "images", z: "normal", z2: "normal" });
  assert.deepEqual(fed("train@vae"), { x: "images" });

  const q = await cli(store, [
    "query",
    "--json",
    "select stage, name, value from latest_metrics where name in ('final_fid', 'untrained_fid', 'loss_glo', 'loss_latent_imle')",
  ]);
  const m = Object.fromEntries(
    (JSON.parse(q.stdout) as { stage: string; name: string; value: number }[]).map((x) => [
      `${x.stage}:${x.name}`,
      x.value,
    ]),
  );
  for (const v of VARIANTS) {
    assert.ok(
      m[`evaluate@${v}:final_fid`]! < m[`evaluate@${v}:untrained_fid`]!,
      `${v}: ${JSON.stringify(m)}`,
    );
  }
  assert.ok(Number.isFinite(m["train@glann:loss_glo"]) && Number.isFinite(m["train@glann:loss_latent_imle"]));

  const claims = await cli(store, ["claims", "glann"]);
  for (
    const id of [
      "fid-below-untrained",
      "not-memorised",
      "imle-worse-than-vae",
      "repulsion-about-the-same",
      "glann-better-than-imle",
      "glann-vs-vae",
      "glann-not-memorised",
    ]
  ) {
    assert.match(claims.stdout, new RegExp(`[✓✗○] ${id}`));
  }

  const page = `${store.reports}/glann/index.html`;
  const html = await Deno.readTextFile(page);
  assert.match(html, /Variants at equal steps/);
  assert.ok(html.includes("Samples during training: GLANN: GLO (Laplacian L1) + latent IMLE"));
  for (const label of ["IMLE with fake–fake repulsion (Su)", "GLANN: GLO (Laplacian L1) + latent IMLE"]) {
    assert.ok(html.includes(label), label);
  }
  const seen = await browserCheck(page, { viewport: { width: 1280, height: 900 } });
  assert.equal(seen.title, "IMLE, GLANN and a VAE on MNIST");
  assert.equal(seen.headings[1], "Claims", "the report opens with its claims");
  assert.deepEqual(seen.cutTables, []);
  assert.deepEqual(seen.consoleErrors, []);
  assert.ok(seen.plots.length >= 3 && seen.plots.every((p) => p.rendered), JSON.stringify(seen.plots));
  assert.ok(seen.images.every((i) => i.loaded && i.naturalWidth > 0));
  await Deno.remove(dir, { recursive: true });
});
