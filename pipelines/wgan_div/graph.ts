/**
 * The graph of wgan-div: the WGAN-div train step (critic step, then generator step through the updated
 * critic, in one ONNX graph) and the generator as a sampler. Its params' defaults are the model's, the
 * article's settings at DCGAN size (models/onnx/models/wgan_div_config.ts).
 *
 * @module
 */
import { z } from "zod";
import { defineGeneratorGraph } from "../../families/generator_graph.ts";
import { WGAN_DIV_DEFAULTS as D } from "../../models/onnx/models/wgan_div_config.ts";

const channels = z.tuple([z.number().int().min(1), z.number().int().min(1)]);
const unit = z.number().min(0).max(1);

export const graph = defineGeneratorGraph({
  kind: "wgan-div.graph",
  module: import.meta.url,
  description: "WGAN-div train-step graph (DCGAN-style G and critic, k·E‖∇D‖^p penalty) and its sampler",
  params: {
    zDim: z.number().int().min(1).default(D.zDim),
    /** Generator channels at 7×7 and 14×14. */
    gChannels: channels.default([...D.gChannels]),
    /** Critic channels at 14×14 and 7×7. */
    dChannels: channels.default([...D.dChannels]),
    gBatchNorm: z.boolean().default(D.gBatchNorm),
    /** Batch norm in the critic, as in the article's code (its real and fake batches then run apart). */
    dBatchNorm: z.boolean().default(D.dBatchNorm),
    /** The article's penalty k·E‖∇ₓD‖^p. */
    k: z.number().positive().default(D.k),
    p: z.number().positive().default(D.p),
    /** Adam β1, β2 of both players (the learning rates are train.hyper.lr_d / lr_g). */
    b1: unit.default(D.b1),
    b2: unit.default(D.b2),
    /** Decay of the moving average of the generator's weights used for sampling (0: the raw weights). */
    ema: unit.default(D.ema),
  },
  async build(p, { batch, image }) {
    if (image.join() !== "1,28,28") {
      throw new Error(`The WGAN-div model makes 1×28×28 images, not ${image.join("×")}`);
    }
    const { wganDivStep, generatorModel } = await import("../../models/onnx/models/wgan_div.ts");
    const { zDim, gChannels, dChannels, gBatchNorm, k, p: power, b1, b2, dBatchNorm, ema } = p;
    const config = { zDim, gChannels, dChannels, gBatchNorm, k, p: power, b1, b2, dBatchNorm, ema };
    const bn = (on: boolean) => (on ? " → BN" : "");
    return {
      step: wganDivStep(batch, config),
      sampler: generatorModel(config, batch),
      zDim,
      paramPrefix: "generator/",
      ...(ema > 0 ? { weightsFrom: "ema/" } : {}),
      describe: {
        generator: `z ∈ N(0, I)^${zDim} → Dense(${gChannels[0]}·7·7)${bn(gBatchNorm)} → ReLU → ConvT(${
          gChannels[1]
        })${bn(gBatchNorm)} → ReLU → ConvT(1) → tanh`,
        critic: `Conv(${dChannels[0]}) → LeakyReLU 0.2 → Conv(${dChannels[1]})${
          bn(dBatchNorm)
        } → LeakyReLU 0.2 → Dense(1)`,
        loss:
          `L_D = E D(x_r) − E D(x_f) + (k/2)·E(‖∇D(x_r)‖^p + ‖∇D(x_f)‖^p), L_G = E D(G(z)); k = ${k}, p = ${power}`,
        optimiser: `Adam, β = (${b1}, ${b2}), one critic step then one generator step per iteration`,
        ...(ema > 0 ? { sampling: `moving average of the generator's weights, decay ${ema}` } : {}),
      },
    };
  },
});
