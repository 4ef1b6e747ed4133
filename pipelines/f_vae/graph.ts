/**
 * `f-vae.graph`: one of the three models the f-VAE article compares, by `model`, with the exports the
 * image-generator evaluation and `eval.likelihood` read:
 *
 * - `f-vae`: encoder E, decoder G, the conditional flow F on σ₁u + E(x) (models/onnx/models/f_vae.ts);
 * - `vae`: the same E and G with a diagonal Gaussian posterior E(x) + σ(x)⊙u and the prior N(0, I);
 * - `glow`: a multi-scale Glow on the images (models/onnx/models/glow.ts).
 *
 * F's and Glow's actnorms are initialised on data: the stage writes data_init.onnx for train.data-init.
 *
 * Exports: the sampler at temperature 1 (export.onnx), the same at `lowTemperature` (exports/cool), and the
 * density (exports/density): the f-VAE's and VAE's log importance weights with one draw per call (their mean
 * is the ELBO), Glow's exact log-density. Defaults are the small CPU model of docs/experiments.md §A4:
 * E/G of 2 × (squeeze + 4 residual steps), F with L = 2, K = 4, hidden 64, Adam 10⁻³.
 *
 * @module
 */
import { z } from "zod";
import { defineLatentGraph, type LatentGraph } from "../../families/latent_graph.ts";
import type { DataInitInfo } from "../../stages/train/data_init.ts";

export const graph = defineLatentGraph({
  kind: "f-vae.graph",
  module: import.meta.url,
  description: "f-VAE (E, G, conditional flow F on σ₁u + E(x)), the plain VAE on the same E/G, or Glow",
  params: {
    model: z.enum(["f-vae", "vae", "glow"]).default("f-vae"),
    /** [C, H, W] of the images (the family sets it from the dataset). */
    image: z.tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)])
      .default([1, 28, 28]),
    /** E/G: squeeze levels and residual steps per level; hidden channels of a step (0: the level's own). */
    squeezes: z.number().int().min(1).default(2),
    residual: z.number().int().min(0).default(4),
    residualHidden: z.number().int().min(0).default(0),
    /** F (f-VAE) or the Glow baseline: levels L, steps per level K, coupling-net channels. */
    levels: z.number().int().min(1).max(4).default(2),
    depth: z.number().int().min(1).default(4),
    hidden: z.number().int().min(1).default(64),
    /** Su's f-VAE code: additive coupling and a random channel shuffle. */
    coupling: z.enum(["affine", "additive"]).default("additive"),
    permutation: z.enum(["reverse", "shuffle", "conv1x1"]).default("shuffle"),
    permutationSeed: z.number().int().min(0).default(0),
    /**
     * The baselines' widths, set so that their parameter counts match the f-VAE's (within 1% at the
     * defaults: 112,578 f-VAE, 111,938 VAE, 113,132 Glow): the VAE's residual-step hidden channels (its
     * E and G take the place of F) and Glow's coupling-net channels.
     */
    vaeHidden: z.number().int().min(1).default(69),
    glowHidden: z.number().int().min(1).default(84),
    /** Initial σ₁ (posterior noise) and σ₂ (decoder noise), unit scale. */
    sigma1: z.number().positive().default(0.5),
    sigma2: z.number().positive().default(0.3),
    batch: z.number().int().min(1).default(64),
    lr: z.number().positive().default(1e-3),
    /** The second sampler's temperature (Su's code samples at 1 and 0.8). */
    lowTemperature: z.number().positive().max(2).default(0.8),
    /** Records per call of the samplers and the density. */
    evalBatch: z.number().int().min(1).default(500),
    /** Training records the actnorms' data-dependent initialisation sees (F and Glow; train.data-init). */
    initBatch: z.number().int().min(2).default(256),
  },
  async build(p): Promise<LatentGraph> {
    const image = p.image as [number, number, number];
    const d = image.reduce((a, b) => a * b, 1);
    const flowCfg = {
      levels: p.levels,
      depth: p.depth,
      hidden: p.hidden,
      coupling: p.coupling,
      permutation: p.permutation,
      seed: p.permutationSeed,
    };
    const flowFacts = (hidden: number) =>
      `${p.levels} level(s) of ${p.depth} × (actnorm → ${p.permutation} → ${p.coupling} coupling, ` +
      `net 3×3 conv(${hidden}) → ReLU → 1×1 conv(${hidden}) → ReLU → zero 3×3 conv), ` +
      "half the channels factored out after each level but the last with a learned conditional prior";
    const optimiser = `Adam, learning rate ${p.lr}, batch ${p.batch}`;
    const sampler = (bytes: Uint8Array, range: [number, number], prefix: string) => ({
      bytes,
      info: {
        input: "z",
        inputShape: [p.evalBatch, d],
        noise: "normal" as const,
        output: "image",
        sampleShape: [...image],
        range,
        paramPrefix: prefix,
      },
    });
    /** data_init.onnx and data_init.json for train.data-init, when the model has actnorms. */
    const initFiles = (init: { bytes: Uint8Array; outputs: string[] } | null) => {
      if (!init) return {};
      const info: DataInitInfo = { input: "x", inputShape: [p.initBatch, ...image], outputs: init.outputs };
      return { "data_init.onnx": init.bytes, "data_init.json": JSON.stringify(info, null, 1) };
    };
    /** A further sampler export (exports/<name>/export.json carries its role). */
    const withRole = (s: ReturnType<typeof sampler>) => ({
      bytes: s.bytes,
      info: { role: "sampler", ...s.info },
    });
    if (p.model === "glow") {
      const { glowModel } = await import("../../models/onnx/models/glow.ts");
      const flows = await import("../../models/onnx/models/image_flow.ts");
      const m = glowModel({ ...flowCfg, hidden: p.glowHidden }, image);
      const prefix = "glow/";
      return {
        step: flows.flowStep(m, { batch: p.batch, lr: p.lr }),
        sampler: sampler(flows.flowSamplerModel(m, p.evalBatch, 1), [-1, 1], prefix),
        exports: {
          cool: withRole(sampler(flows.flowSamplerModel(m, p.evalBatch, p.lowTemperature), [-1, 1], prefix)),
          density: {
            bytes: flows.flowDensityModel(m, p.evalBatch),
            info: {
              role: "density",
              input: "x",
              inputShape: [p.evalBatch, ...image],
              output: "log_prob",
              paramPrefix: prefix,
            },
          },
        },
        files: initFiles(flows.flowDataInitModel(m, p.initBatch)),
        describe: {
          flow: `Glow on the images: squeeze at each level, ${flowFacts(p.glowHidden)}`,
          actnorm:
            `per-channel scale and bias, initialised on ${p.initBatch} training images to zero mean and unit variance`,
          loss: "−log q(x) per image on dequantised x = (v + u)/256 (exact)",
          optimiser,
        },
      };
    }
    const m = await import("../../models/onnx/models/f_vae.ts");
    const cfg = {
      image,
      squeezes: p.squeezes,
      residual: p.residual,
      residualHidden: p.model === "vae" ? p.vaeHidden : p.residualHidden,
      flow: p.model === "f-vae" ? flowCfg : null,
      sigma1: p.sigma1,
      sigma2: p.sigma2,
    };
    const latent = m.latentShape(cfg);
    const prefix = "fvae/";
    const steps = `${p.squeezes} × [squeeze → ${p.residual} residual steps x + Conv1×1₀(ReLU(Conv3×3(x)))` +
      `${cfg.residualHidden ? `, ${cfg.residualHidden} hidden channels` : ""}]`;
    return {
      step: m.fvaeStep(cfg, { batch: p.batch, lr: p.lr }),
      sampler: sampler(m.fvaeSamplerModel(cfg, p.evalBatch, 1), [0, 1], prefix),
      exports: {
        cool: withRole(sampler(m.fvaeSamplerModel(cfg, p.evalBatch, p.lowTemperature), [0, 1], prefix)),
        density: {
          bytes: m.fvaeDensityModel(cfg, p.evalBatch, 1),
          info: {
            role: "density",
            input: "x",
            inputShape: [p.evalBatch, ...image],
            output: "log_w",
            paramPrefix: prefix,
            noise: { input: "eps", shape: [p.evalBatch, 1, d], kind: "normal" },
          },
        },
      },
      files: initFiles(m.fvaeDataInitModel(cfg, p.initBatch)),
      describe: {
        encoder: `E: ${steps} → latent ${latent.join("×")}`,
        decoder:
          "G: the mirror (residual steps → unsqueeze), then Su's tanh as (1 + tanh(2g − 1))/2 on [0, 1]",
        posterior: p.model === "f-vae"
          ? `h = σ₁u + E(x), u ~ N(0, I), σ₁ a trainable scalar (initially ${p.sigma1})`
          : `h = E(x) + σ(x)⊙u, log σ(x) = log σ₁ + a zero-initialised 1×1 conv of E(x) (σ₁ initially ${p.sigma1})`,
        prior: p.model === "f-vae"
          ? `N(F(h); 0, I)·|det ∂F/∂h|, F: ${flowFacts(p.hidden)}; F's actnorms initialised on E(x) of ` +
            `${p.initBatch} training images`
          : "N(h; 0, I)",
        likelihood: `p(x | h) = N(x; G(h), σ₂²I), σ₂ a trainable scalar (initially ${p.sigma2})`,
        loss: "−ELBO per image on dequantised x = (v + u)/256, one draw of u per image: " +
          "‖G(h) − x‖²/2σ₂² + D·log σ₂ + (D/2)·log 2π − log p(h) + log N(u; 0, I) − Σ log σ",
        optimiser,
      },
    };
  },
});
