/**
 * The graph stage of wgan-div: builds the WGAN-div train step (critic step, then generator step
 * through the updated critic, in one ONNX graph) and the generator as a sampler whose weights are
 * inputs, and draws the initial weights. Emission is deterministic, so an edit to model code that
 * leaves the graph unchanged leaves training cached (early cutoff).
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import type { SamplerExport } from "../../stages/train/export_info.ts";

const channels = z.tuple([z.number().int().min(1), z.number().int().min(1)]);

export const graph = defineStage({
  kind: "wgan-div.graph",
  module: import.meta.url,
  description: "WGAN-div train-step graph (DCGAN-style G and critic, k·E‖∇D‖^p penalty) and its sampler",
  params: z.object({
    batch: z.number().int().min(2).default(64),
    zDim: z.number().int().min(1).default(100),
    /** Generator channels at 7×7 and 14×14. */
    gChannels: channels.default([128, 64]),
    /** Critic channels at 14×14 and 7×7. */
    dChannels: channels.default([64, 128]),
    gBatchNorm: z.boolean().default(true),
    /** Batch norm in the critic, as in the article's code (its real and fake batches then run apart). */
    dBatchNorm: z.boolean().default(false),
    /** The article's penalty k·E‖∇ₓD‖^p: k = 2, p = 6. */
    k: z.number().positive().default(2),
    p: z.number().positive().default(6),
    /** Adam β1, β2 of both players (the learning rates are train.hyper.lr_d / lr_g). */
    b1: z.number().min(0).max(1).default(0.5),
    b2: z.number().min(0).max(1).default(0.999),
    /** Seed of the initial weights. */
    seed: z.number().int().min(0).default(0),
    /** Decay of the moving average of the generator's weights used for sampling (0: the raw weights). */
    ema: z.number().min(0).max(1).default(0),
    /** Fused step counts to build (train.fuse picks one). */
    fuse: z.array(z.number().int().min(2)).default([]),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const { wganDivStep, generatorModel } = await import("../../models/onnx/models/wgan_div.ts");
    const { saveTrainStep } = await import("../../models/onnx/saved_step.ts");
    const config = {
      zDim: p.zDim,
      gChannels: p.gChannels,
      dChannels: p.dChannels,
      gBatchNorm: p.gBatchNorm,
      k: p.k,
      p: p.p,
      b1: p.b1,
      b2: p.b2,
      dBatchNorm: p.dBatchNorm,
      ema: p.ema,
    };
    const step = wganDivStep(p.batch, config);
    await saveTrainStep(step, `${ctx.outDir}/step`, { seed: p.seed, fused: p.fuse });
    await Deno.writeFile(`${ctx.outDir}/export.onnx`, generatorModel(config, p.batch));
    const sampler: SamplerExport = {
      role: "sampler",
      input: "z",
      inputShape: [p.batch, p.zDim],
      noise: "normal",
      output: "image",
      sampleShape: [1, 28, 28],
      range: [-1, 1],
      paramPrefix: "generator/",
      ...(p.ema > 0 ? { weightsFrom: "ema/" } : {}),
    };
    await Deno.writeTextFile(`${ctx.outDir}/export.json`, JSON.stringify(sampler, null, 1));
    const count = (prefix: string) =>
      step.params.filter((q) => q.name.startsWith(prefix)).reduce(
        (a, q) => a + q.shape.reduce((x, y) => x * y, 1),
        0,
      );
    ctx.log(
      `generator ${count("generator/").toLocaleString("en")} parameters, critic ${
        count("critic/").toLocaleString("en")
      }`,
    );
  },
});
