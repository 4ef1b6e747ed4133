/**
 * The iresnet pipeline end to end through the CLI at a tiny size (2 blocks of width 8, 40 steps, small
 * data): every stage runs from an empty store, the claims are recorded, the estimator's and the inverse's
 * bounds hold (they hold for any Lip < 1, trained or not), and the report passes its checks in Chromium
 * with the density heatmaps beside the targets'.
 */
import assert from "node:assert/strict";
import { cli } from "./_cli.ts";
import { checkReport, runPipeline, tempStore, verdicts } from "./_density_report.ts";

const TINY = [
  "graph.blocks=2",
  "graph.hidden=8",
  "nvp-graph.couplings=2",
  "nvp-graph.hidden=8",
  "train.steps=40",
  "nvp-train.steps=40",
  "train.logEvery=10",
  "nvp-train.logEvery=10",
  "train.snapshotEvery=20",
  "nvp-train.snapshotEvery=20",
  "train.checkpointEvery=40",
  "nvp-train.checkpointEvery=40",
  "data.trainSize=4000",
  "data.testSize=600",
  "evaluate.grid=41",
  "nvp-eval.grid=41",
  "study.points=24",
  "study.probes=8",
  "study.inverseSteps=12",
];

Deno.test("iresnet runs from an empty store: i-ResNet and RealNVP on three toy densities, the bounds, a report", async () => {
  const store = await tempStore("iresnet-test-");
  const r = await runPipeline(store, "iresnet", TINY);
  assert.match(r.stdout, /of 10 claims reproduced/);
  const v = await verdicts(store, "iresnet");
  assert.equal(Object.keys(v).length, 10);
  // The bounds are theorems for any Lip < 1: they must hold at any size.
  for (const id of ["truncation-within-bound", "inverse-within-bound", "roundtrip", "bias-shrinks"]) {
    assert.equal(v[id], "reproduced", id);
  }
  for (const [id, verdict] of Object.entries(v)) {
    assert.ok(["reproduced", "not reproduced"].includes(verdict), `${id}: ${verdict}`);
  }
  const q = await cli(store, [
    "query",
    "--json",
    "select name, value from metrics where stage = 'study' and name in " +
    "('lip_max', 'bound_n1', 'bound_n10', 'truncation_abs_n1', 'truncation_abs_n10') order by name",
  ]);
  const m = Object.fromEntries(
    (JSON.parse(q.stdout) as { name: string; value: number }[]).map((x) => [x.name, x.value]),
  );
  // Lip < 1 makes every block invertible; it may exceed c³ slightly, since power iteration's σ̂ is a lower bound of ‖W‖₂.
  assert.ok(m.lip_max! > 0 && m.lip_max! < 1, `Lip ${m.lip_max}`);
  assert.ok(m.bound_n10! < m.bound_n1! && m.truncation_abs_n1! <= m.bound_n1!, JSON.stringify(m));
  const trains = await cli(store, [
    "query",
    "--json",
    "select count(*) as n from stages where kind = 'train.run'",
  ]);
  assert.deepEqual(JSON.parse(trains.stdout), [{ n: 6 }]);
  const seen = await checkReport(store, "iresnet");
  assert.ok(
    seen.headings.includes("The log-determinant estimator and the fixed-point inverse"),
    JSON.stringify(seen.headings),
  );
  // The heatmaps, model beside target: the i-ResNet's on the three densities and the RealNVP's on the 8 Gaussians.
  const heatmaps = seen.images.filter((i) => /density/i.test(i.alt));
  assert.equal(heatmaps.length, 4, JSON.stringify(seen.images.map((i) => i.alt)));
  await Deno.remove(store.dir, { recursive: true });
});

Deno.test("scale=full states the MNIST density model (GPU size): its stages' params validate and its graph emits at a tiny width", async () => {
  const { pipeline, MNIST_FULL } = await import("../pipelines/iresnet/pipeline.ts");
  const { iresnetGraph } = await import("../pipelines/iresnet/graph.ts");
  const { runStageForTest } = await import("../engine/testing.ts");
  const stages = pipeline.stages(pipeline.params.parse({ scale: "full" }));
  for (const name of ["mnist-data", "mnist-graph", "mnist-train", "mnist-bpd"]) {
    const s = stages[name];
    assert.ok(s, `scale=full has ${name}`);
    s.kind.params.parse(s.params);
  }
  assert.equal(stages["mnist-graph"]!.params.dim, 784);
  assert.equal(pipeline.stages(pipeline.params.parse({}))["mnist-graph"], undefined, "not at scale=small");
  const r = await runStageForTest(iresnetGraph, {
    params: {
      ...MNIST_FULL.graph,
      blocks: 2,
      hidden: 4,
      evalBatch: 2,
      exportProbes: 1,
      exportSeriesTerms: 2,
    },
  });
  const info = JSON.parse(await Deno.readTextFile(`${r.outDir}/export.json`));
  assert.deepEqual(info.inputShape, [2, 784]);
  assert.ok((await Deno.stat(`${r.outDir}/export.onnx`)).size > 0);
  await Deno.remove(r.outDir, { recursive: true });
});
