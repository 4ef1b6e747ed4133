/**
 * `vae-gumbel.graph`: the categorical VAE's train step (models/onnx/models/gumbel_vae.ts; the
 * temperature annealed from the step counter in the graph) with its exports: the decoder at uniformly
 * random one-hot codes as a sampler, and the importance weights at exact Gumbel-max draws as a density
 * over binary records (`density`: one draw per call; `iwae`: 50). Defaults are Su's code: 32 variables
 * × 10 categories, τ = 0.01 + 0.99·0.999^step, RMSprop 10⁻³, batch 100.
 *
 * @module
 */
import { z } from "zod";
import { defineLatentGraph } from "../../families/latent_graph.ts";

const channels = z.tuple([z.number().int().min(1), z.number().int().min(1)]);

export const graph = defineLatentGraph({
  kind: "vae-gumbel.graph",
  module: import.meta.url,
  description: "Categorical VAE train step (Gumbel-softmax, annealed τ), its sampler and importance weights",
  params: {
    /** Encoder channels at 14×14 and 7×7 (Su's code: 32, 64). */
    channels: channels.default([32, 64]),
    variables: z.number().int().min(1).default(32),
    categories: z.number().int().min(2).default(10),
    tauMin: z.number().positive().default(0.01),
    tauDecay: z.number().positive().max(1).default(0.999),
    batch: z.number().int().min(1).default(100),
    lr: z.number().positive().default(1e-3),
    /** Records per call of the sampler and of the one-draw density. */
    evalBatch: z.number().int().min(1).default(500),
    iwaeBatch: z.number().int().min(1).default(50),
    iwaeDraws: z.number().int().min(1).default(50),
  },
  async build(p) {
    const m = await import("../../models/onnx/models/gumbel_vae.ts");
    const cfg = { channels: p.channels, variables: p.variables, categories: p.categories };
    const codes = p.variables * p.categories;
    const density = (batch: number, draws: number) => ({
      bytes: m.gumbelVaeDensityModel(cfg, batch, draws),
      info: {
        role: "density",
        input: "x",
        inputShape: [batch, 784],
        output: "log_w",
        paramPrefix: "vae/",
        discrete: true,
        noise: { input: "u", shape: [batch, draws, codes], kind: "uniform" },
      },
    });
    return {
      step: m.gumbelVaeStep({ ...cfg, batch: p.batch, lr: p.lr, tauMin: p.tauMin, tauDecay: p.tauDecay }),
      sampler: {
        bytes: m.gumbelVaeSamplerModel(cfg, p.evalBatch),
        info: {
          input: "z",
          inputShape: [p.evalBatch, codes],
          noise: "uniform",
          output: "image",
          sampleShape: [1, 28, 28],
          range: [0, 1],
          paramPrefix: "vae/",
        },
      },
      exports: { density: density(p.evalBatch, 1), iwae: density(p.iwaeBatch, p.iwaeDraws) },
      describe: {
        encoder:
          `conv 3×3/2 (${p.channels[0]}) → ReLU → conv 3×3/2 (${p.channels[1]}) → ReLU → Dense(${codes}) ` +
          `logits of ${p.variables} variables × ${p.categories} categories`,
        decoder:
          `Dense(${p.channels[1]}·7·7) → ReLU → ConvT 4×4/2 (${p.channels[0]}) → ReLU → ConvT 4×4/2 (1), ` +
          "Bernoulli pixels",
        sampling:
          `Gumbel-softmax softmax((logits + g)/τ), τ = ${p.tauMin} + ${1 - p.tauMin}·${p.tauDecay}^step ` +
          "(from the graph's step counter)",
        loss: `BCE + KL(q(c|x) ‖ uniform) = BCE + Σ q log q + ${p.variables}·log ${p.categories}`,
        optimiser: `RMSprop (ρ = 0.9, ε = 10⁻⁷), lr ${p.lr}, batch ${p.batch}`,
      },
    };
  },
});
