/**
 * `nade.graph`: an autoregressive model of binary images (models/onnx/models/nade.ts: FVSBN, or NADE
 * with H hidden units) with its exports: the sequential sampler (for eval.generator) and the exact
 * density (`density`, for eval.likelihood). Adam, batch 100.
 *
 * @module
 */
import { z } from "zod";
import { defineLatentGraph } from "../../families/latent_graph.ts";

export const graph = defineLatentGraph({
  kind: "nade.graph",
  module: import.meta.url,
  description: "FVSBN or NADE train step (exact NLL, Adam), its sequential sampler and exact density",
  params: {
    model: z.enum(["fvsbn", "nade"]).default("nade"),
    dims: z.number().int().min(1).default(784),
    /** NADE's hidden units H (Larochelle & Murray: 500). */
    hidden: z.number().int().min(1).default(500),
    batch: z.number().int().min(1).default(100),
    lr: z.number().positive().default(1e-3),
    /** Records per call of the sampler. */
    evalBatch: z.number().int().min(1).default(500),
    /** Records per call of the density (NADE holds [batch, D, H] pre-activations). */
    densityBatch: z.number().int().min(1).default(100),
  },
  async build(p) {
    const m = await import("../../models/onnx/models/nade.ts");
    const cfg = p.model === "fvsbn"
      ? { kind: "fvsbn" as const, dims: p.dims }
      : { kind: "nade" as const, dims: p.dims, hidden: p.hidden };
    const side = Math.round(Math.sqrt(p.dims));
    return {
      step: m.autoregressiveStep({ model: cfg, batch: p.batch, lr: p.lr }),
      sampler: {
        bytes: m.autoregressiveSamplerModel(cfg, p.evalBatch),
        info: {
          input: "z",
          inputShape: [p.evalBatch, p.dims],
          noise: "uniform",
          output: "image",
          sampleShape: [1, side, side],
          range: [0, 1],
          paramPrefix: "ar/",
        },
      },
      exports: {
        density: {
          bytes: m.autoregressiveDensityModel(cfg, p.densityBatch),
          info: {
            role: "density",
            input: "x",
            inputShape: [p.densityBatch, p.dims],
            output: "log_prob",
            paramPrefix: "ar/",
            discrete: true,
          },
        },
      },
      describe: {
        model: p.model === "fvsbn"
          ? `FVSBN: x̂_i = σ(b_i + Σ_{j<i} W_ji x_j), ${p.dims}² weights under a triangular mask`
          : `NADE, H = ${p.hidden}: h_i = σ(c + W_{:,<i} x_<i) by an exclusive cumulative sum, x̂_i = σ(b_i + V_i·h_i)`,
        order: "pixels in raster order",
        loss: "exact −log p(x) = −Σ_i log p(x_i | x_<i), nats per image",
        sampling: "position by position, the loop unrolled in the graph",
        optimiser: `Adam, lr ${p.lr}, batch ${p.batch}`,
      },
    };
  },
});
