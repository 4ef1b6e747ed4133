/**
 * The one graph stage kind of the GAN family, `gan.graph`: loss (models/onnx/models/gan_losses.ts) ×
 * network (gan_networks.ts) × schedule (`nCritic` critic steps per generator step) × optimiser (Adam
 * with its betas, RMSprop, SGD), built by models/onnx/models/gan_step.ts. A GAN pipeline states only
 * its params: `--set graph.loss=qp-l1`, `--set graph.nCritic=5`, `--set graph.optimiser=rmsprop`.
 *
 * Unset model params take the network's defaults (dcgan28: wgan-div's, models/onnx/models/
 * wgan_div_config.ts; mlp: Su's WGAN-GP code), and unset loss constants the loss's (GAN_LOSS_DEFAULTS).
 * The training stage must feed `z_d` and `z_g` with the graph's `noise` (see {@link ganFeeds}).
 *
 * @module
 */
import { z } from "zod";
import { GAN_LOSS_DEFAULTS, GAN_LOSSES, ganLoss } from "../models/onnx/models/gan_config.ts";
import type { GanNetwork } from "../models/onnx/models/gan_networks.ts";
import type { GanOptimiser } from "../models/onnx/models/gan_step.ts";
import { WGAN_DIV_DEFAULTS as DIV } from "../models/onnx/models/wgan_div_config.ts";
import { defineGeneratorGraph } from "./generator_graph.ts";

const channels = z.tuple([z.number().int().min(1), z.number().int().min(1)]);
const widths = z.array(z.number().int().min(1)).min(1);
const unit = z.number().min(0).max(1);
const noiseKind = z.enum(["normal", "uniform"]);

/** Each network's defaults: what the articles' code uses. */
export const GAN_NETWORK_DEFAULTS = {
  dcgan28: { ...DIV, noise: "normal" as const },
  /** bojone/gan mnist_gangp.py: z ∈ U(−1, 1)^10, G 32 → 128, D 128 → 32, init U(±0.05). */
  mlp: { zDim: 10, gHidden: [32, 128], dHidden: [128, 32], initRange: 0.05, noise: "uniform" as const },
};

export const ganGraphParams = {
  loss: z.enum(GAN_LOSSES).default("wgan-gp"),
  /** λ of wgan-gp / qp / energy; k, p of wgan-div (unset: the loss's own, GAN_LOSS_DEFAULTS). */
  lambda: z.number().positive().optional(),
  k: z.number().positive().optional(),
  p: z.number().positive().optional(),
  network: z.enum(["dcgan28", "mlp"]).default("dcgan28"),
  zDim: z.number().int().min(1).optional(),
  /** The generator's noise (unset: the network's: N(0, I) for dcgan28, U(−1, 1) for mlp). */
  noise: noiseKind.optional(),
  /** dcgan28: generator channels at 7×7 and 14×14, critic channels at 14×14 and 7×7, batch norm. */
  gChannels: channels.optional(),
  dChannels: channels.optional(),
  gBatchNorm: z.boolean().optional(),
  dBatchNorm: z.boolean().optional(),
  /** mlp: hidden widths of the generator and the critic, and the U(±initRange) init. */
  gHidden: widths.optional(),
  dHidden: widths.optional(),
  initRange: z.number().positive().optional(),
  /** Critic steps per generator step (WGAN-GP's code 5, GAN-QP's 2, WGAN-div's 1). */
  nCritic: z.number().int().min(1).max(10).default(1),
  /**
   * alternating: critic steps, then a generator step; single-loss: Su's stop-gradient trick (6387), one
   * optimiser step on both players from one loss, `singleLossLambda` the generator's gradient scale.
   */
  schedule: z.enum(["alternating", "single-loss"]).default("alternating"),
  singleLossLambda: z.number().positive().default(1),
  /** Both players' optimiser; the learning rates are train.hyper.lr_d / lr_g (defaults lrD, lrG). */
  optimiser: z.enum(["adam", "rmsprop", "sgd"]).default("adam"),
  b1: unit.default(DIV.b1),
  b2: unit.default(DIV.b2),
  /** RMSprop's decay of the squared-gradient average (Keras and PyTorch: 0.9 / 0.99). */
  rho: unit.default(0.99),
  /** SGD's momentum. */
  momentum: unit.default(0),
  lrD: z.number().positive().default(DIV.lrD),
  lrG: z.number().positive().default(DIV.lrG),
  /** Decay of the moving average of the generator's weights used for sampling (0: the raw weights). */
  ema: unit.default(0),
};

type GanGraphParams = z.output<z.ZodObject<typeof ganGraphParams>>;

/** The network the params describe, with its defaults filled in, and its noise. */
export function ganNetwork(p: GanGraphParams): { network: GanNetwork; noise: "normal" | "uniform" } {
  if (p.network === "dcgan28") {
    const d = GAN_NETWORK_DEFAULTS.dcgan28;
    return {
      network: {
        kind: "dcgan28",
        zDim: p.zDim ?? d.zDim,
        gChannels: p.gChannels ?? d.gChannels,
        dChannels: p.dChannels ?? d.dChannels,
        gBatchNorm: p.gBatchNorm ?? d.gBatchNorm,
        dBatchNorm: p.dBatchNorm ?? d.dBatchNorm,
        initStd: d.initStd,
      },
      noise: p.noise ?? d.noise,
    };
  }
  const d = GAN_NETWORK_DEFAULTS.mlp;
  return {
    network: {
      kind: "mlp",
      zDim: p.zDim ?? d.zDim,
      gHidden: p.gHidden ?? d.gHidden,
      dHidden: p.dHidden ?? d.dHidden,
      initRange: p.initRange ?? d.initRange,
    },
    noise: p.noise ?? d.noise,
  };
}

/** The train feeds of a gan.graph whose noise is `noise` (the single loss draws one batch, `z`). */
export const ganFeeds = (
  noise: "normal" | "uniform",
  schedule: "alternating" | "single-loss" = "alternating",
): Record<
  string,
  "normal" | "uniform"
> => (schedule === "single-loss" ? { z: noise } : { z_d: noise, z_g: noise });

/** What each loss's formula says, for the report. */
const LOSS_TEXT: Record<
  (typeof GAN_LOSSES)[number],
  (c: { lambda: number; k: number; p: number }) => string
> = {
  "wgan-div": (c) => `L_D = E D(x_r) − E D(x_f) + (k/2)·E(‖∇D(x_r)‖^p + ‖∇D(x_f)‖^p), k = ${c.k}, p = ${c.p}`,
  "wgan-gp": (c) =>
    `L_D = E D(x_r) − E D(x_f) + λ·E relu(‖∇D(x̂)‖ − 1) (one-sided, un-squared), λ = ${c.lambda}`,
  "wgan-gp-two-sided": (c) => `L_D = E D(x_r) − E D(x_f) + λ·E(‖∇D(x̂)‖ − 1)², λ = ${c.lambda}`,
  "qp-l1": (c) => `L_D = E(−Δ + Δ²/(2λ·mean|x_r − x_f|)), Δ = D(x_r) − D(x_f), λ = ${c.lambda}`,
  "qp-l2": (c) => `L_D = E(−Δ + Δ²/(2λ·√mean(x_r − x_f)²)), Δ = D(x_r) − D(x_f), λ = ${c.lambda}`,
  hinge: () => "L_D = E relu(1 + D(x_r)) + E relu(1 − D(x_f))",
  standard: () => "L_D = E softplus(−D(x_r)) + E softplus(D(x_f)) (non-saturating)",
  energy: (c) => `L_D = E U(x_r) − E U(x_f) + λ·E‖∇U(x_r)‖² (zero-centred on real data), λ = ${c.lambda}`,
};

const GEN_TEXT = (loss: string) =>
  loss.startsWith("qp-")
    ? "L_G = E Δ"
    : loss === "standard"
    ? "L_G = E softplus(−D(G(z)))"
    : "L_G = E D(G(z))";

export const ganGraph = defineGeneratorGraph({
  kind: "gan.graph",
  module: import.meta.url,
  description: "GAN train-step graph: a loss of the registry × a network × n critic steps × an optimiser",
  params: ganGraphParams,
  async build(p, { batch, image }) {
    const { ganSampler, ganStep } = await import("../models/onnx/models/gan_step.ts");
    const { describeNetwork } = await import("../models/onnx/models/gan_networks.ts");
    const defaults = GAN_LOSS_DEFAULTS[p.loss];
    const loss = ganLoss(p.loss, {
      lambda: p.lambda ?? defaults.lambda,
      k: p.k ?? defaults.k,
      p: p.p ?? defaults.p,
    });
    const { network, noise } = ganNetwork(p);
    const optimiser: GanOptimiser = p.optimiser === "adam"
      ? { kind: "adam", b1: p.b1, b2: p.b2 }
      : p.optimiser === "rmsprop"
      ? { kind: "rmsprop", rho: p.rho }
      : { kind: "sgd", momentum: p.momentum };
    const optText = p.optimiser === "adam"
      ? `Adam, β = (${p.b1}, ${p.b2})`
      : p.optimiser === "rmsprop"
      ? `RMSprop, ρ = ${p.rho}`
      : `SGD, momentum ${p.momentum}`;
    const step = ganStep(batch, {
      loss,
      network,
      image,
      nCritic: p.nCritic,
      optimiser,
      lrD: p.lrD,
      lrG: p.lrG,
      ema: p.ema,
      schedule: p.schedule,
      singleLossLambda: p.singleLossLambda,
    });
    return {
      step,
      sampler: ganSampler(network, image, batch),
      zDim: network.zDim,
      noise,
      paramPrefix: "generator/",
      ...(p.ema > 0 ? { weightsFrom: "ema/" } : {}),
      describe: {
        ...describeNetwork(network, noise),
        loss: `${LOSS_TEXT[p.loss](loss)}; ${GEN_TEXT(p.loss)}`,
        optimiser: p.schedule === "single-loss"
          ? `${optText}; one step on both players from the single loss L_D(x_r, sg G(z)) + λ·(L_G(G(z)) − L_G(sg G(z))), λ = ${p.singleLossLambda}`
          : `${optText}; ${p.nCritic} critic step${
            p.nCritic > 1 ? "s" : ""
          } (each on its own batch) per generator step`,
        ...(p.ema > 0 ? { sampling: `moving average of the generator's weights, decay ${p.ema}` } : {}),
      },
    };
  },
});
