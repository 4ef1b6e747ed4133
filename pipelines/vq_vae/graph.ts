/**
 * `vq-vae.graph`: the VQ-VAE's train step with its MADE prior (models/onnx/models/vq_vae.ts) and its
 * exports: the decoder at code grids drawn from the prior as the sampler (for eval.generator), the same
 * decoder at uniformly random code grids (`uniform`, the untrained-prior baseline) and the
 * reconstructions with their code indices (`recon`, for vq-vae.recon). Defaults follow Su's code where
 * it applies to 28×28 images: K = 64 codes, β = 1, γ = 0.25, Adam 10⁻³; the code dimension is 32 and the
 * grid 7×7, as the small reproduction.
 *
 * @module
 */
import { z } from "zod";
import { defineLatentGraph } from "../../families/latent_graph.ts";

const channels = z.tuple([z.number().int().min(1), z.number().int().min(1)]);

export const graph = defineLatentGraph({
  kind: "vq-vae.graph",
  module: import.meta.url,
  description:
    "VQ-VAE train step (straight-through or not) with a MADE prior over its codes; samplers, recon",
  params: {
    channels: channels.default([32, 64]),
    codes: z.number().int().min(2).default(64),
    dim: z.number().int().min(1).default(32),
    priorHidden: z.number().int().min(48).default(128),
    beta: z.number().min(0).default(1),
    gamma: z.number().min(0).default(0.25),
    /** The straight-through estimator; false: the ablation (the decoder reads z_q itself). */
    straightThrough: z.boolean().default(true),
    batch: z.number().int().min(1).default(64),
    lr: z.number().positive().default(1e-3),
    /** Records per call of the samplers and of the reconstruction export. */
    evalBatch: z.number().int().min(1).default(500),
  },
  async build(p) {
    const m = await import("../../models/onnx/models/vq_vae.ts");
    const cfg = { channels: p.channels, codes: p.codes, dim: p.dim, priorHidden: p.priorHidden };
    const { vqVaeExports } = await import("./exports.ts");
    const { sampler, exports } = vqVaeExports(cfg, p.evalBatch);
    return {
      step: m.vqVaeStep({
        ...cfg,
        batch: p.batch,
        lr: p.lr,
        beta: p.beta,
        gamma: p.gamma,
        straightThrough: p.straightThrough,
      }),
      sampler,
      exports,
      describe: {
        encoder:
          `conv 4×4/2 (${p.channels[0]}) → ReLU → conv 4×4/2 (${
            p.channels[1]
          }) → ReLU → conv 1×1 (${p.dim}): ` +
          "a 7×7 grid of vectors",
        quantiser: `nearest of ${p.codes} codes of dimension ${p.dim} (codebook U(±1/K) at start)`,
        decoder: `conv 3×3 (${p.channels[1]}) → ReLU → ConvT 4×4/2 (${
          p.channels[0]
        }) → ReLU → ConvT 4×4/2 (1) → sigmoid`,
        loss: `‖x − dec(${
          p.straightThrough ? "z + sg[z_q − z]" : "z_q"
        })‖² + ${p.beta}·‖sg[z] − z_q‖² + ${p.gamma}·‖z − sg[z_q]‖² (means)${
          p.straightThrough ? ", straight-through" : ", no straight-through (ablation)"
        }`,
        prior: `MADE over the 49 indices in raster order, one masked ReLU layer of ${p.priorHidden}, ` +
          "trained on each batch's indices in the same step (its own Adam state, no gradient to the VQ-VAE)",
        optimiser: `Adam, lr ${p.lr}, batch ${p.batch}`,
      },
    };
  },
});
