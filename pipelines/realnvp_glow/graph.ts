/**
 * `glow.graph`: multi-scale Glow for 28×28 images (models/onnx/models/glow.ts) on the image-flow
 * family: train step, density export, sampler and the actnorm init model. Defaults are the small CPU
 * model of docs/experiments.md §A3: L = 2, K = 4, hidden 64, affine coupling, LU 1×1 convolution,
 * Adam 10⁻³, batch 64, samples at T = 0.9 (Su's code).
 *
 * @module
 */
import { z } from "zod";
import { defineFlowGraph } from "../../families/image_flow.ts";

export const graph = defineFlowGraph({
  kind: "glow.graph",
  module: import.meta.url,
  description:
    "Glow (actnorm, permutation, coupling; multi-scale): train step, density, sampler, actnorm init",
  params: {
    levels: z.number().int().min(1).max(2).default(2),
    depth: z.number().int().min(1).default(4),
    hidden: z.number().int().min(1).default(64),
    coupling: z.enum(["affine", "additive"]).default("affine"),
    permutation: z.enum(["reverse", "shuffle", "conv1x1"]).default("conv1x1"),
    /** Seed of the shuffles and of the 1×1 convolutions' random orthogonal initialisation. */
    permutationSeed: z.number().int().min(0).default(0),
    batch: z.number().int().min(2).default(64),
    temperature: z.number().positive().max(2).default(0.9),
  },
  async model(p, image) {
    const { glowModel } = await import("../../models/onnx/models/glow.ts");
    const cfg = {
      levels: p.levels,
      depth: p.depth,
      hidden: p.hidden,
      coupling: p.coupling,
      permutation: p.permutation,
      seed: p.permutationSeed,
    };
    const permutation = {
      reverse: "channel reversal",
      shuffle: "fixed random channel shuffle",
      conv1x1: "invertible 1×1 convolution W = P·L·(U + diag(sign·e^{logs})), from a random rotation",
    }[p.permutation];
    return {
      model: glowModel(cfg, image),
      describe: {
        flow: `${p.levels} level(s) of [squeeze → ${p.depth} × (actnorm → permutation → coupling)], ` +
          "half the channels factored out after each level but the last with a learned conditional prior",
        permutation,
        coupling: p.coupling === "affine"
          ? "affine, y₂ = (x₂ + t(x₁))·σ(s(x₁) + 2) (Glow's code)"
          : "additive, y₂ = x₂ + t(x₁)",
        "coupling net":
          `3×3 conv(${p.hidden}) → ReLU → 1×1 conv(${p.hidden}) → ReLU → 3×3 conv, zero-initialised`,
        actnorm:
          "per-channel scale and bias, initialised on 256 training images to zero mean and unit variance",
      },
    };
  },
});
