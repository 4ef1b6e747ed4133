import assert from "node:assert/strict";
import { runStageForTest } from "../engine/testing.ts";
import { SavedTrainStep } from "../models/onnx/saved_step.ts";
import { ganFeeds, ganGraph } from "./gan_graph.ts";

const read = async (dir: string, file: string) => JSON.parse(await Deno.readTextFile(`${dir}/${file}`));

Deno.test("gan.graph: Su's WGAN-GP MLP with 5 critic steps and U(−1, 1) noise, described for the report", async () => {
  const r = await runStageForTest(ganGraph, {
    params: { loss: "wgan-gp", network: "mlp", nCritic: 5, batch: 4, b1: 0.5, b2: 0.9, lrD: 1e-4, lrG: 1e-4 },
  });
  try {
    const step = await SavedTrainStep.load(`${r.outDir}/step`);
    assert.deepEqual(step.batch.x!.shape, [20, 1, 28, 28], "one block of 4 real images per critic step");
    assert.deepEqual(step.batch.z_d!.shape, [20, 10]);
    assert.deepEqual(step.hyper, { lr_d: 1e-4, lr_g: 1e-4 });
    const sampler = await read(r.outDir, "export.json");
    assert.equal(sampler.noise, "uniform");
    assert.deepEqual(sampler.inputShape, [4, 10]);
    const described = await read(r.outDir, "describe.json");
    assert.match(described.facts.loss, /one-sided, un-squared\), λ = 10/);
    assert.match(described.facts.optimiser, /Adam, β = \(0.5, 0.9\); 5 critic steps/);
    assert.match(described.facts.generator, /U\(−1, 1\)\^10 → Dense\(32\) → ReLU → Dense\(128\)/);
    // Su's sizes: D 784·128 + 128 + 128·32 + 32 + 32 + 1, G 10·32 + 32 + 32·128 + 128 + 128·784 + 784.
    assert.deepEqual(described.parameters, { critic: 104641, generator: 105712 });
  } finally {
    await Deno.remove(r.outDir, { recursive: true });
  }
});

Deno.test("gan.graph: the same params give the same bytes; the loss, λ, schedule and optimiser change them", async () => {
  const bytes = async (params: Record<string, unknown>) => {
    const r = await runStageForTest(ganGraph, {
      params: { network: "dcgan28", gChannels: [4, 4], dChannels: [4, 4], zDim: 4, batch: 2, ...params },
    });
    const b = await Deno.readFile(`${r.outDir}/step/train_step.onnx`);
    await Deno.remove(r.outDir, { recursive: true });
    return b;
  };
  const base = await bytes({ loss: "qp-l2", nCritic: 2 });
  assert.deepEqual(await bytes({ loss: "qp-l2", nCritic: 2 }), base);
  for (const change of [{ loss: "qp-l1" }, { lambda: 100 }, { nCritic: 1 }, { optimiser: "rmsprop" }]) {
    assert.notDeepEqual(await bytes({ loss: "qp-l2", nCritic: 2, ...change }), base, JSON.stringify(change));
  }
});

Deno.test("gan.graph refuses a DCGAN on images that are not 28×28", async () => {
  await assert.rejects(
    runStageForTest(ganGraph, { params: { network: "dcgan28", image: [3, 32, 32], batch: 2 } }),
    /dcgan28 network makes 1×28×28 images, not 3×32×32/,
  );
});

Deno.test("gan.graph: the single-loss schedule takes one noise batch, and its feeds say so", async () => {
  const r = await runStageForTest(ganGraph, {
    params: { loss: "hinge", network: "mlp", schedule: "single-loss", optimiser: "rmsprop", batch: 4 },
  });
  try {
    const step = await SavedTrainStep.load(`${r.outDir}/step`);
    assert.deepEqual(Object.keys(step.batch), ["x", "z"]);
    assert.deepEqual(Object.keys(ganFeeds("uniform", "single-loss")), ["z"]);
    assert.match(
      (await read(r.outDir, "describe.json")).facts.optimiser,
      /RMSprop, ρ = 0.99; one step on both/,
    );
  } finally {
    await Deno.remove(r.outDir, { recursive: true });
  }
});
