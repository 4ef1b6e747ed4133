/**
 * `glann.graph`: the train step of one method of «非对抗式生成模型GLANN的简单介绍» (IMLE, Su's repulsion
 * variant, GLANN = GLO + latent IMLE, or the VAE baseline) on one shared decoder, with its sampler
 * (models/onnx/models/glann.ts). Defaults: Su's imle.py where it says (batch 128, RMSprop); the latent
 * of 32 and the Laplacian-pyramid loss as the GLO paper; the widths are ours (an MLP, sized for CPUs).
 *
 * @module
 */
import { z } from "zod";
import { defineGeneratorGraph } from "../../families/generator_graph.ts";
import { GLANN_METHODS } from "../../models/onnx/models/glann_config.ts";

const widths = z.array(z.number().int().min(1)).min(1);

export const graph = defineGeneratorGraph({
  kind: "glann.graph",
  module: import.meta.url,
  description: "IMLE / IMLE with repulsion / GLANN (GLO + latent IMLE) / VAE train step on one decoder",
  params: {
    method: z.enum(GLANN_METHODS).default("imle"),
    /** The decoder's widths from the latent up (the VAE's encoder mirrors them). */
    hidden: widths.default([256, 512]),
    latent: z.number().int().min(1).default(32),
    lr: z.number().positive().default(1e-3),
    /** Margin m of the repulsion term relu(m − min_j d(G(z_i), G(z'_j))), d per value. */
    margin: z.number().positive().default(0.1),
    /** GLANN: rows of the code table, one per training image (the data's train split). */
    records: z.number().int().min(1).default(8000),
    /** GLANN: steps of the GLO phase; the later steps train T. */
    gloSteps: z.number().int().min(0).default(2000),
    mapperHidden: widths.default([256, 256]),
    codesLr: z.number().positive().default(1e-2),
    pyramidLevels: z.number().int().min(0).max(4).default(3),
  },
  async build(p, { batch, image }) {
    const m = await import("../../models/onnx/models/glann.ts");
    const c = { ...p, batch, image };
    const decoder = `N(0, I)^${p.latent} → ${
      p.hidden.map((w) => `Dense(${w}) → ReLU`).join(" → ")
    } → Dense → 2σ − 1`;
    const rms = `RMSprop (ρ = 0.9, ε = 10⁻⁷), lr ${p.lr}, batch ${batch}`;
    const facts: Record<string, Record<string, string>> = {
      imle: { loss: "IMLE: (1/M) Σ_i min_j ‖x_i − G(z_j)‖²/D, all pairs within the batch" },
      "imle-repulsion": {
        loss: `(1/M) Σ_i [min_j ‖G(z_i) − x_j‖²/D + relu(m − min_j ‖G(z_i) − G(z'_j)‖²/D)], m = ${p.margin}`,
      },
      glann: {
        loss: `steps < ${p.gloSteps}: GLO, Laplacian-pyramid L1 (${p.pyramidLevels} bands + low-pass, ` +
          `weights 2^(−2j)) of x_i − G(ẑ_i), ‖ẑ_i‖ = 1, one code per training image (${p.records}); ` +
          `then IMLE of T in latent space: (1/M) Σ_i min_j ‖ẑ_i − T(z_j)‖²/L`,
        mapper: `T: z → ${p.mapperHidden.map((w) => `Dense(${w}) → ReLU`).join(" → ")} → Dense(${p.latent})`,
        sampling: "G(T(z)), z ~ N(0, I)",
      },
      vae: {
        loss: "−ELBO: Bernoulli decoder on grayscale (BCE) + KL(q(z|x) ‖ N(0, I)), one draw",
        encoder: `${[...p.hidden].reverse().join(" → ")} → (μ, log σ²), ReLU`,
      },
    };
    return {
      step: m.glannStep(c),
      sampler: m.glannSampler(c, batch),
      zDim: p.latent,
      noise: "normal",
      paramPrefix: "vae/",
      describe: {
        generator: decoder,
        ...facts[p.method],
        optimiser: p.method === "glann" ? `${rms}; the codes: lr ${p.codesLr}` : rms,
      },
    };
  },
});
