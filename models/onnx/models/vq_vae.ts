/**
 * The VQ-VAE of «VQ-VAE的简明介绍：量子化自编码器» (kexue.fm/archives/6760, Su's `vq_vae_keras.py`; van den
 * Oord et al. 2017) on 28×28 images, with an autoregressive prior over its 7×7 code grid trained beside
 * it.
 *
 * - Encoder: conv 4×4/2 (c₀) → ReLU → conv 4×4/2 (c₁) → ReLU → conv 1×1 (D): z [N, D, 7, 7].
 * - Quantisation: each of the 49 vectors z_j to its nearest of K codes e_k (ops_discrete's
 *   vectorQuantize), z_q.
 * - Decoder: conv 3×3 (c₁) → ReLU → ConvT 4×4/2 (c₀) → ReLU → ConvT 4×4/2 (1) → sigmoid.
 * - Loss of Su's code: ‖x − dec(z + sg[z_q − z])‖² + β‖sg[z] − z_q‖² + γ‖z − sg[z_q]‖² (means; β = 1,
 *   γ = 0.25). The first term's straight-through estimator passes the decoder's gradient to the
 *   encoder unchanged; without it (`straightThrough: false`, the ablation) the decoder reads z_q itself,
 *   whose gradient stops at the codebook, and the encoder learns only from the commitment term.
 * - Prior: a MADE (Germain et al. 2015) over the 49 code indices in raster order, one masked hidden
 *   layer of H units: p(k_j | k_<j). Its cross-entropy on the batch's (constant) indices trains it in
 *   the same step, with its own Adam state; no gradient reaches the VQ-VAE from it.
 *
 * Exports (each takes every parameter, so one snapshot feeds each):
 * - {@link vqVaeSamplerModel}: uniform noise [B, 49·K] → the 49 indices drawn one after another from the
 *   prior by Gumbel-max (the loop unrolled; the hidden pre-activation updated by one code's row per
 *   position, as NADE does) → decoded images; with `prior: "uniform"`, the indices drawn uniformly (the
 *   untrained-prior baseline through the same decoder);
 * - {@link vqVaeReconModel}: images → reconstructions and code indices.
 *
 * @module
 */
import { constant, scope, type Tensor } from "../graph.ts";
import { inits } from "../init.ts";
import { conv2dLayer, convTranspose2dLayer } from "../layers.ts";
import { gumbelFromUniform, hardOneHot, straightThrough, vectorQuantize } from "../ops_discrete.ts";
import { add, cast, exp, log, mul, relu, sigmoid, square, stopGradient, sub } from "../ops_elementwise.ts";
import { matmul } from "../ops_linalg.ts";
import { logSoftmax } from "../ops_nn.ts";
import { argmax, reduceMean, reduceSum } from "../ops_reduce.ts";
import { concat, expand, reshape, slice, transpose } from "../ops_shape.ts";
import { adam } from "../optimizers.ts";
import type { ParamSource } from "../params.ts";
import { exportModel } from "../export.ts";
import { buildTrainStep, type StepContext, type TrainStep } from "../train_step.ts";

/** Shape of a VQ-VAE on 28×28 images with its prior. */
export interface VqVaeConfig {
  /** Encoder channels at 14×14 and 7×7 (the decoder mirrors them). */
  channels: readonly [number, number];
  /** Codes K. */
  codes: number;
  /** Code dimension D. */
  dim: number;
  /** Hidden units of the MADE prior. */
  priorHidden: number;
}

/** Training settings beside the shape. */
export interface VqVaeStepConfig extends VqVaeConfig {
  batch: number;
  lr?: number;
  /** Weight β of the codebook term ‖sg[z] − z_q‖² (Su's code: 1). */
  beta?: number;
  /** Weight γ of the commitment term ‖z − sg[z_q]‖² (Su's code: 0.25). */
  gamma?: number;
  /** The straight-through estimator (default true); false: the ablation. */
  straightThrough?: boolean;
}

const PIXELS = 28 * 28;
/** Every parameter lives under `vq/` (one prefix for the snapshots); the prior's under this one. */
const PRIOR = "vq/prior/";
/** Positions of the 7×7 code grid. */
export const POSITIONS = 49;

/** z [N, D, 7, 7] of images `x` [N, 784] in [0, 1]. */
export function vqEncoder(ps: ParamSource, x: Tensor, cfg: VqVaeConfig): Tensor {
  const n = x.shape[0]!;
  return scope("/vq/encoder", () => {
    const img = reshape(x, [n, 1, 28, 28]);
    const h1 = relu(conv2dLayer(ps, "conv1", img, cfg.channels[0], 4, { stride: 2, pad: 1 }));
    const h2 = relu(conv2dLayer(ps, "conv2", h1, cfg.channels[1], 4, { stride: 2, pad: 1 }));
    return conv2dLayer(ps, "proj", h2, cfg.dim, 1);
  });
}

/** Pixel means [N, 784] of codes `zq` [N, D, 7, 7]. */
export function vqDecoder(ps: ParamSource, zq: Tensor, cfg: VqVaeConfig): Tensor {
  const n = zq.shape[0]!;
  return scope("/vq/decoder", () => {
    const h = relu(conv2dLayer(ps, "conv", zq, cfg.channels[1], 3, { pad: 1 }));
    const h1 = relu(convTranspose2dLayer(ps, "deconv1", h, cfg.channels[0], 4, { stride: 2, pad: 1 }));
    const out = convTranspose2dLayer(ps, "deconv2", h1, 1, 4, { stride: 2, pad: 1 });
    return reshape(sigmoid(out), [n, PIXELS]);
  });
}

/** The codebook [K, D], initialised uniformly in ±1/K. */
function codebook(ps: ParamSource, cfg: VqVaeConfig): Tensor {
  return scope(
    "/vq/codebook",
    () => ps.param("E", [cfg.codes, cfg.dim], inits.uniform(-1 / cfg.codes, 1 / cfg.codes)),
  );
}

/** [N, D, 7, 7] ↔ the 49·N rows [N·49, D] that are quantised. */
const toRows = (z: Tensor, d: number) => reshape(transpose(z, [0, 2, 3, 1]), [z.shape[0]! * POSITIONS, d]);
const fromRows = (rows: Tensor, n: number, d: number) => transpose(reshape(rows, [n, 7, 7, d]), [0, 3, 1, 2]);

/**
 * The MADE masks for 49 positions of K categories and H hidden units: hidden unit h has degree
 * m(h) = 1 + h mod 48; input position j (1-based) feeds it when j ≤ m(h), and it feeds output position
 * j when j > m(h). So output j sees inputs < j only (position 1: the bias alone, its marginal).
 */
export function madeMasks(k: number, hidden: number): { input: Float32Array; output: Float32Array } {
  const degree = (h: number) => 1 + (h % (POSITIONS - 1));
  const input = new Float32Array(POSITIONS * k * hidden);
  const output = new Float32Array(hidden * POSITIONS * k);
  for (let j = 0; j < POSITIONS; j++) {
    for (let c = 0; c < k; c++) {
      for (let h = 0; h < hidden; h++) {
        if (j + 1 <= degree(h)) input[(j * k + c) * hidden + h] = 1;
        if (j + 1 > degree(h)) output[h * POSITIONS * k + j * k + c] = 1;
      }
    }
  }
  return { input, output };
}

interface Made {
  /** Masked input weights [49·K, H]. */
  w1: Tensor;
  b1: Tensor;
  /** Masked output weights [H, 49·K]. */
  w2: Tensor;
  b2: Tensor;
}

function made(ps: ParamSource, cfg: VqVaeConfig): Made {
  const { codes: k, priorHidden: h } = cfg;
  const d = POSITIONS * k;
  const masks = madeMasks(k, h);
  return scope("/vq/prior/made", () => ({
    w1: mul(ps.param("W1", [d, h], inits.torchDefault(d)), constant(masks.input, ps.dtype, [d, h])),
    b1: ps.param("b1", [h], inits.zeros()),
    w2: mul(ps.param("W2", [h, d], inits.torchDefault(h)), constant(masks.output, ps.dtype, [h, d])),
    b2: ps.param("b2", [d], inits.zeros()),
  }));
}

/** The prior's logits [N, 49, K] of one-hot index grids `onehot` [N, 49, K]. */
function priorLogits(m: Made, onehot: Tensor, k: number): Tensor {
  const n = onehot.shape[0]!;
  const h = relu(add(matmul(reshape(onehot, [n, POSITIONS * k]), m.w1), m.b1));
  return reshape(add(matmul(h, m.w2), m.b2), [n, POSITIONS, k]);
}

/** Perplexity exp(H) of the code usage `onehot` [M, K] averaged over its rows. */
export function perplexity(onehot: Tensor): Tensor {
  const p = reduceMean(onehot, 0);
  return exp(mul(reduceSum(mul(p, log(add(p, 1e-10)))), -1));
}

/** What one forward pass gives: the three loss terms, the indices' one-hots and the reconstruction. */
export function vqVaeForward(ps: ParamSource, x: Tensor, cfg: VqVaeStepConfig) {
  const n = x.shape[0]!;
  const z = toRows(vqEncoder(ps, x, cfg), cfg.dim);
  const q = vectorQuantize(z, codebook(ps, cfg));
  const decoderInput = (cfg.straightThrough ?? true) ? straightThrough(q.codes, z) : q.codes;
  const recon = vqDecoder(ps, fromRows(decoderInput, n, cfg.dim), cfg);
  return {
    recon,
    onehot: q.onehot,
    mseX: reduceMean(square(sub(x, recon))),
    mseE: reduceMean(square(sub(stopGradient(z), q.codes))),
    mseZ: reduceMean(square(sub(z, stopGradient(q.codes)))),
  };
}

/**
 * The train step. Batch `x` [batch, 784] in [0, 1]; hyper `lr` (Adam, both parts). Metrics: `loss` (the
 * VQ-VAE's), `mse_x`, `mse_e`, `mse_z`, `perplexity` of the batch's codes, `prior_nll` (nats per image
 * of the 49 indices under the prior).
 */
export function vqVaeStep(cfg: VqVaeStepConfig): TrainStep {
  const b = cfg.batch;
  return buildTrainStep({
    name: "vq_vae",
    batch: { x: { dtype: "float32", shape: [b, PIXELS] } },
    hyper: { lr: cfg.lr ?? 1e-3 },
    build(ctx) {
      const f = vqVaeForward(ctx.params, ctx.batch.x!, cfg);
      const loss = add(f.mseX, add(mul(f.mseE, cfg.beta ?? 1), mul(f.mseZ, cfg.gamma ?? 0.25)));
      ctx.minimize("vq", loss, adam({ lr: ctx.hyper.lr! }), (name) => !isPriorParam(name));
      const priorNll = trainPrior(ctx, f.onehot, cfg);
      return {
        loss,
        mse_x: f.mseX,
        mse_e: f.mseE,
        mse_z: f.mseZ,
        perplexity: perplexity(f.onehot),
        prior_nll: priorNll,
      };
    },
  });
}

/**
 * Trains the MADE prior on this batch's indices `onehot` [batch·49, K] (a constant: vectorQuantize's
 * one-hot carries no gradient) by one Adam step of its own (label `prior`, learning rate `lr`); returns
 * its NLL in nats per image, before the step.
 */
export function trainPrior(ctx: StepContext, onehot: Tensor, cfg: VqVaeStepConfig): Tensor {
  const { batch: b, codes: k } = cfg;
  const grid = reshape(onehot, [b, POSITIONS, k]);
  const logits = priorLogits(made(ctx.params, cfg), grid, k);
  const priorNll = mul(reduceMean(reduceSum(mul(grid, logSoftmax(logits)), [1, 2])), -1);
  ctx.minimize("prior", priorNll, adam({ lr: ctx.hyper.lr! }), PRIOR);
  return priorNll;
}

/** Whether a parameter is the prior's (the VQ-VAE's own optimiser skips those). */
export const isPriorParam = (name: string): boolean => name.startsWith(PRIOR);

/** Requests every parameter, so that an export takes all of them as inputs. */
function declareAll(ps: ParamSource, cfg: VqVaeConfig): void {
  const x = constant(new Float32Array(PIXELS), "float32", [1, PIXELS]);
  vqEncoder(ps, x, cfg);
  codebook(ps, cfg);
  vqDecoder(ps, constant(new Float32Array(cfg.dim * POSITIONS), "float32", [1, cfg.dim, 7, 7]), cfg);
  made(ps, cfg);
}

/** Decoded images [B, 1, 28, 28] of one-hot index grids [B, 49, K]. */
function decodeOneHot(ps: ParamSource, onehot: Tensor, cfg: VqVaeConfig): Tensor {
  const n = onehot.shape[0]!;
  const rows = matmul(reshape(onehot, [n * POSITIONS, cfg.codes]), codebook(ps, cfg));
  return reshape(vqDecoder(ps, fromRows(rows, n, cfg.dim), cfg), [n, 1, 28, 28]);
}

/**
 * The sampler: `z` [batch, 49·K] uniform in (−1, 1) → `image` [batch, 1, 28, 28] (and, with the prior,
 * the drawn `index` [batch, 49] as floats). With the trained
 * prior, position j's index is the Gumbel-max draw from p(k_j | k_<j), its hidden pre-activation the
 * previous one plus the chosen code's row of the masked W1; with `prior: "uniform"`, every index is
 * the argmax of its uniform noise (uniformly random).
 */
export function vqVaeSamplerModel(cfg: VqVaeConfig, batch: number, prior: "made" | "uniform"): Uint8Array {
  const k = cfg.codes;
  return exportModel({
    name: `vq_vae_sampler_${prior}`,
    inputs: { z: { dtype: "float32", shape: [batch, POSITIONS * k] } },
    docString: prior === "made"
      ? "VQ-VAE decoder at 7×7 code grids drawn position by position from the MADE prior (Gumbel-max)"
      : "VQ-VAE decoder at uniformly random 7×7 code grids",
    metadata: { config: JSON.stringify(cfg), prior },
    build: (ps, { z }) => {
      declareAll(ps, cfg);
      const u = reshape(z!, [batch, POSITIONS, k]);
      if (prior === "uniform") return { image: decodeOneHot(ps, hardOneHot(u), cfg) };
      const m = made(ps, cfg);
      const gumbel = gumbelFromUniform(mul(add(u, 1), 0.5));
      const picks: Tensor[] = [];
      let pre = expand(reshape(m.b1, [1, cfg.priorHidden]), [batch, cfg.priorHidden]);
      for (let j = 0; j < POSITIONS; j++) {
        const h = relu(pre);
        const logits = add(
          matmul(h, slice(m.w2, [j * k], [(j + 1) * k], [1])),
          slice(m.b2, [j * k], [(j + 1) * k], [0]),
        );
        const g = reshape(slice(gumbel, [j], [j + 1], [1]), [batch, k]);
        const pick = hardOneHot(add(logits, g));
        picks.push(pick);
        if (j < POSITIONS - 1) pre = add(pre, matmul(pick, slice(m.w1, [j * k], [(j + 1) * k], [0])));
      }
      const onehot = reshape(concat(picks, 1), [batch, POSITIONS, k]);
      return { image: decodeOneHot(ps, onehot, cfg), index: cast(argmax(onehot, 2), "float32") };
    },
  }).bytes;
}

/** Reconstructions: `x` [batch, 784] → `recon` [batch, 784] and `index` [batch, 49] (as floats). */
export function vqVaeReconModel(cfg: VqVaeConfig, batch: number): Uint8Array {
  return exportModel({
    name: "vq_vae_recon",
    inputs: { x: { dtype: "float32", shape: [batch, PIXELS] } },
    docString: "VQ-VAE reconstructions and the 7×7 code indices of each image",
    metadata: { config: JSON.stringify(cfg) },
    build: (ps, { x }) => {
      declareAll(ps, cfg);
      const rows = toRows(vqEncoder(ps, x!, cfg), cfg.dim);
      const q = vectorQuantize(rows, codebook(ps, cfg));
      const recon = vqDecoder(ps, fromRows(q.codes, batch, cfg.dim), cfg);
      return { recon, index: reshape(cast(argmax(q.onehot, 1), "float32"), [batch, POSITIONS]) };
    },
  }).bytes;
}
