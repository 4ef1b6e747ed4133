/**
 * The image-generator family carries a new pipeline in a few dozen lines: a toy generator that matches
 * the data's mean image (no critic) gets data, training, the shared classifier, evaluation, claims and
 * the standard report, end to end at a tiny size.
 */
import assert from "node:assert/strict";
import { browserCheck } from "../stages/report/browser_check.ts";
import { cli, statuses } from "./_cli.ts";

const ROOT = new URL("../", import.meta.url).href;

/** The whole pipeline: under 60 lines. */
const PIPELINE = `import { z } from "zod";
import { defineGeneratorGraph } from "${ROOT}families/generator_graph.ts";
import { generatorClaims, imageGeneratorPipeline } from "${ROOT}families/image_generator.ts";
import { scope } from "${ROOT}models/onnx/graph.ts";
import { dense } from "${ROOT}models/onnx/layers.ts";
import { mul, sub, tanh } from "${ROOT}models/onnx/ops_elementwise.ts";
import { reduceMean } from "${ROOT}models/onnx/ops_reduce.ts";
import { reshape } from "${ROOT}models/onnx/ops_shape.ts";
import { adam } from "${ROOT}models/onnx/optimizers.ts";
import { buildTrainStep } from "${ROOT}models/onnx/train_step.ts";
import { exportModel } from "${ROOT}models/onnx/export.ts";

const generate = (ps, z, [c, h, w]) =>
  scope("/generator", () => reshape(tanh(dense(ps, "fc", z, c * h * w)), [z.shape[0], c, h, w]));

const graph = defineGeneratorGraph({
  kind: "toyg.graph",
  module: import.meta.url,
  description: "a generator that matches the data's mean image",
  params: { zDim: z.number().int().default(8), lr: z.number().default(1e-2) },
  build: (p, { batch, image }) => ({
    step: buildTrainStep({
      name: "mean_matching",
      batch: { x: { dtype: "float32", shape: [batch, ...image] }, z: { dtype: "float32", shape: [batch, p.zDim] } },
      build(ctx) {
        const gap = sub(reduceMean(ctx.batch.x, [0]), reduceMean(generate(ctx.params, ctx.batch.z, image), [0]));
        const loss_g = reduceMean(mul(gap, gap));
        ctx.minimize("generator", loss_g, adam({ lr: p.lr }), "generator/");
        return { loss_g };
      },
    }),
    sampler: exportModel({
      name: "toy_generator",
      inputs: { z: { dtype: "float32", shape: [batch, p.zDim] } },
      build: (ps, { z }) => ({ image: generate(ps, z, image) }),
    }).bytes,
    zDim: p.zDim,
    paramPrefix: "generator/",
    describe: { generator: \`z ∈ N(0, I)^\${p.zDim} → Dense → tanh\`, loss: "squared gap between mean images" },
  }),
});

export const pipeline = imageGeneratorPipeline({
  name: "toyg",
  description: "mean matching",
  article: { title: "A toy generator", url: "https://example.org/toy" },
  title: "Mean matching on {dataset}",
  summary: "A generator trained to reproduce the data's mean image.",
  graph,
  scales: { small: { steps: 60, snapshotEvery: 30 }, full: { steps: 600, snapshotEvery: 100 } },
  train: { feeds: { z: "normal" }, checkpointEvery: 0 },
  comparison: { rows: [{ quantity: "steps", ours: "{train.steps}", reference: null }], note: "A toy." },
  claims: generatorClaims("Matching the mean image moves the generator"),
});
`;

Deno.test("a toy image generator of under 60 lines runs end to end on the family, report and claims included", async () => {
  assert.ok(PIPELINE.trim().split("\n").length < 60, `${PIPELINE.trim().split("\n").length} lines`);
  const dir = await Deno.makeTempDir({ prefix: "toyg-" });
  await Deno.writeTextFile(`${dir}/pipeline.ts`, PIPELINE);
  const store = { data: `${dir}/data`, reports: `${dir}/reports` };
  const tiny = ["classifier.steps=40", "evaluate.samples=200", "evaluate.realSamples=200"].flatMap((
    s,
  ) => ["--set", s]);
  const r = await cli(store, ["run", "--file", `${dir}/pipeline.ts`, ...tiny]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(Object.keys(statuses(r)), [
    "data",
    "graph",
    "train",
    "classifier-graph",
    "classifier",
    "evaluate",
    "report",
  ]);
  assert.match(r.stdout, /claims? reproduced/);
  const page = `${store.reports}/toyg/index.html`;
  const seen = await browserCheck(page, { viewport: { width: 1280, height: 900 } });
  assert.equal(seen.title, "Mean matching on MNIST");
  assert.deepEqual(seen.headings.slice(1), [
    "Claims",
    "Setup",
    "Training",
    "Samples",
    "Calibrating the metric",
    "Comparison with the article",
    "What was run",
  ]);
  assert.ok(seen.plots.length >= 2 && seen.plots.every((p) => p.rendered), JSON.stringify(seen.plots));
  assert.equal(seen.images.length, 2);
  assert.deepEqual(seen.consoleErrors, []);
  assert.deepEqual(seen.cutTables, []);
  await Deno.remove(dir, { recursive: true });
});
