/**
 * WGAN-div (Wu et al., ECCV 2018; Su, kexue.fm/archives/6139) for 28×28×1 images, DCGAN-style and
 * sized for a CPU.
 *
 * - Generator: z → Dense(c0·7·7) → [BN] → ReLU → ConvT(c0→c1, k4 s2 p1) → [BN] → ReLU
 *   → ConvT(c1→1, k4 s2 p1) → tanh. Batch norm (batch statistics) on by default.
 * - Critic: Conv(1→d0, k4 s2 p1) → LeakyReLU(0.2) → Conv(d0→d1, k4 s2 p1) → LeakyReLU(0.2)
 *   → Dense(1). No batch norm by default.
 * - Init N(0, 0.02) for weights, zeros for biases.
 *
 * Loss exactly as Su's code (sign convention: D(real) pushed down):
 *   L_D = mean D(x_r) − mean D(x_f) + (k/2)·mean(‖∇ₓD(x_r)‖₂^p + ‖∇ₓD(x_f)‖₂^p),  k = 2, p = 6
 *   L_G = mean D(G(z))
 * One train step does the critic step (Adam 2e-4, β = (0.5, 0.999)) and then the generator step
 * through the updated critic. Metrics: `loss_d`, `loss_g`, `penalty`, `wdist` = mean D(x_f) − mean D(x_r).
 *
 * @module
 */
import { grad } from "../autodiff.ts";
import type { TypedArray } from "../dtype.ts";
import { exportModel } from "../export.ts";
import { constant, scope, type Tensor } from "../graph.ts";
import { inits } from "../init.ts";
import { batchNormLayer, conv2dLayer, convTranspose2dLayer, dense } from "../layers.ts";
import {
  add,
  equal,
  leakyRelu,
  mask,
  mul,
  neg,
  pow,
  relu,
  stopGradient,
  sub,
  tanh,
} from "../ops_elementwise.ts";
import { reduceMean, reduceSum } from "../ops_reduce.ts";
import { concat, flatten, reshape } from "../ops_shape.ts";
import { adam } from "../optimizers.ts";
import type { ParamSource } from "../params.ts";
import { buildTrainStep, type TrainStep } from "../train_step.ts";
import { type WganDivConfig, wganDivConfig } from "./wgan_div_config.ts";

export { WGAN_DIV_DEFAULTS, wganDivConfig } from "./wgan_div_config.ts";
export type { WganDivConfig } from "./wgan_div_config.ts";

/**
 * Generator: `z` [N, zDim] → images [N, 1, 28, 28] in (−1, 1). Parameters `generator/...` (an absolute
 * scope, so the names do not depend on where the model is called).
 */
export function generator(ps: ParamSource, z: Tensor, config: WganDivConfig = {}): Tensor {
  const cfg = wganDivConfig(config);
  const [c0, c1] = cfg.gChannels;
  const init = { init: inits.normal(cfg.initStd), bias: !cfg.gBatchNorm };
  const norm = (name: string, h: Tensor) => (cfg.gBatchNorm ? batchNormLayer(ps, name, h) : h);
  return scope("/generator", () => {
    const h0 = reshape(dense(ps, "fc", z, c0 * 7 * 7, init), [z.shape[0]!, c0, 7, 7]);
    const h1 = relu(norm("bn0", h0));
    const h2 = relu(
      norm("bn1", convTranspose2dLayer(ps, "deconv1", h1, c1, 4, { stride: 2, pad: 1, ...init })),
    );
    return tanh(convTranspose2dLayer(ps, "deconv2", h2, 1, 4, { stride: 2, pad: 1, init: init.init }));
  });
}

/** Critic: images [N, 1, 28, 28] → scores [N, 1]. Parameters `critic/...`. */
export function critic(ps: ParamSource, x: Tensor, config: WganDivConfig = {}): Tensor {
  const cfg = wganDivConfig(config);
  const [d0, d1] = cfg.dChannels;
  const init = { init: inits.normal(cfg.initStd) };
  return scope("/critic", () => {
    const h1 = leakyRelu(conv2dLayer(ps, "conv1", x, d0, 4, { stride: 2, pad: 1, ...init }), 0.2);
    const c2 = conv2dLayer(ps, "conv2", h1, d1, 4, { stride: 2, pad: 1, ...init, bias: !cfg.dBatchNorm });
    const h2 = leakyRelu(cfg.dBatchNorm ? batchNormLayer(ps, "bn2", c2) : c2, 0.2);
    return dense(ps, "fc", flatten(h2), 1, init);
  });
}

/** Per-sample ‖∇ₓ D(x)‖₂^p for a batch, from D's scores on that batch. */
function gradNormPow(scores: Tensor, x: Tensor, p: number): Tensor {
  const [g] = grad(reduceSum(scores), [x]);
  const sq = reduceSum(mul(g!, g!), [1, 2, 3]);
  // ‖g‖^p = (‖g‖²)^(p/2): no square root, so no singularity at g = 0.
  return p === 2 ? sq : pow(sq, p / 2);
}

/** The critic's loss terms of one WGAN-div step. */
export interface CriticLoss {
  /** L_D = mean D(x_r) − mean D(x_f) + penalty. */
  lossD: Tensor;
  /** (k/2)·mean(‖∇ₓD(x_r)‖^p + ‖∇ₓD(x_f)‖^p). */
  penalty: Tensor;
  /** The Wasserstein estimate mean D(x_f) − mean D(x_r). */
  wdist: Tensor;
}

/**
 * The critic loss of Su's WGAN-div code on real `xr` and (detached) fake `xf` images [B, 1, 28, 28].
 * Differentiable again: its gradient with respect to the critic's weights is a second-order gradient.
 */
export function wganDivCriticLoss(
  ps: ParamSource,
  xr: Tensor,
  xf: Tensor,
  config: WganDivConfig = {},
): CriticLoss {
  const cfg = wganDivConfig(config);
  const batch = xr.shape[0]!;
  // (k/2)·mean over the batch of (‖∇D(x_r)‖^p + ‖∇D(x_f)‖^p) = (k/2)·sum(all 2B terms)/B
  const penaltyOf = (normPow: Tensor) => mul(reduceSum(normPow), cfg.k / 2 / batch);
  if (cfg.dBatchNorm) {
    const sr = critic(ps, xr, cfg);
    const sf = critic(ps, xf, cfg);
    const normPow = concat([gradNormPow(sr, xr, cfg.p), gradNormPow(sf, xf, cfg.p)], 0);
    return scope("loss_d", () => {
      const meanR = reduceMean(sr);
      const meanF = reduceMean(sf);
      const penalty = penaltyOf(normPow);
      return { penalty, wdist: sub(meanF, meanR), lossD: add(sub(meanR, meanF), penalty) };
    });
  }
  // Without batch norm the critic is per-sample, so real and fake share one pass (bigger GEMMs), and
  // mean D(x_r) − mean D(x_f) = Σ_n c_n D(x_n) with c = (+1/B for real, −1/B for fake). The penalty's input
  // gradients are taken of that same sum: ∇ₓ(Σ c_n D(x_n)) = c_n ∇D(x_n) per sample and |c_n| = 1/B, so
  // ‖∇D(x_n)‖² = B²‖·‖². Reverse mode through L_D then meets the penalty's backward pass node for node
  // instead of running a second one through the critic (one transposed convolution per layer less), and
  // both terms of each critic weight's gradient come with the same cotangent, which autodiff adds as one
  // weight-gradient convolution (ConvWeightGrad's combine rule). For a power-of-two batch the scalings by c_n
  // and B² are exact, so the penalty equals the one computed with cotangent 1.
  const both = concat([xr, xf], 0);
  const s = critic(ps, both, cfg);
  const signs = new (s.dtype === "float64" ? Float64Array : Float32Array)(2 * batch)
    .map((_, i) => (i < batch ? 1 / batch : -1 / batch));
  const first = scope("loss_d", () => reduceSum(mul(s, constant(signs, s.dtype, [2 * batch, 1], "signs"))));
  const [gc] = grad(first, [both]);
  const sq = mul(reduceSum(mul(gc!, gc!), [1, 2, 3]), batch * batch);
  // ‖g‖^p = (‖g‖²)^(p/2): no square root, so no singularity at g = 0.
  const normPow = cfg.p === 2 ? sq : pow(sq, cfg.p / 2);
  return scope("loss_d", () => {
    const penalty = penaltyOf(normPow);
    return { penalty, wdist: neg(first), lossD: add(first, penalty) };
  });
}

/**
 * The WGAN-div train step for `batch` images. Batch inputs: `x` float32 [batch, 1, 28, 28] (real
 * images in [−1, 1]) and, with `noise: "input"`, `z_d`, `z_g` float32 [batch, zDim] (N(0, 1) noise for
 * the critic and the generator step). Hyper: `lr_d`, `lr_g`. Metrics: `loss_d`, `loss_g`, `penalty`,
 * `wdist`.
 */
export function wganDivStep(batch: number, config: WganDivConfig = {}): TrainStep {
  const cfg = wganDivConfig(config);
  const image = { dtype: "float32" as const, shape: [batch, 1, 28, 28] };
  const noise = { dtype: "float32" as const, shape: [batch, cfg.zDim] };
  return buildTrainStep({
    name: "wgan_div",
    batch: cfg.noise === "input" ? { x: image, z_d: noise, z_g: noise } : { x: image },
    hyper: { lr_d: cfg.lrD, lr_g: cfg.lrG },
    build(ctx) {
      const ps = ctx.params;
      const zd = cfg.noise === "input" ? ctx.batch.z_d! : ctx.rng.normal(noise.shape);
      const zg = cfg.noise === "input" ? ctx.batch.z_g! : ctx.rng.normal(noise.shape);
      const xr = ctx.batch.x!;
      const xf = stopGradient(generator(ps, zd, cfg));

      const metrics = wganDivCriticLoss(ps, xr, xf, cfg);
      ctx.minimize("critic", metrics.lossD, adam({ lr: ctx.hyper.lr_d!, b1: cfg.b1, b2: cfg.b2 }), "critic/");

      // Generator step through the updated critic (ctx.params now returns the new critic weights).
      const scoresG = critic(ps, generator(ps, zg, cfg), cfg);
      const lossG = scope("loss_g", () => reduceMean(scoresG));
      ctx.minimize("generator", lossG, adam({ lr: ctx.hyper.lr_g!, b1: cfg.b1, b2: cfg.b2 }), "generator/");
      if (cfg.ema > 0) {
        scope("/ema", () => {
          // The average starts at the weights after the first update: its decay is 0 at step 0.
          const decay = mul(sub(1, mask(equal(ctx.step, 0), "float32")), cfg.ema);
          for (const [name, value] of Object.entries(ctx.paramsOf("generator/"))) {
            const previous = ctx.carry(`ema/${name}`, value.shape, 0);
            ctx.setCarry(`ema/${name}`, add(mul(previous, decay), mul(value, sub(1, decay))));
          }
        });
      }
      return { loss_d: metrics.lossD, loss_g: lossG, penalty: metrics.penalty, wdist: metrics.wdist };
    },
  });
}

/**
 * The generator alone as a standalone model: input `z` float32 [batch, zDim], output `image` float32
 * [batch, 1, 28, 28]. With `values` (e.g. `runner.params("generator/")`) the trained weights are baked
 * in; without, they are graph inputs named by layer path. Batch norm uses the statistics of the batch
 * it is given, as during training, so sample in batches (the training batch size is a good choice).
 */
export function generatorModel(
  config: WganDivConfig,
  batch: number,
  values?: Readonly<Record<string, TypedArray>>,
): Uint8Array {
  const cfg = wganDivConfig(config);
  return exportModel({
    name: "wgan_div_generator",
    inputs: { z: { dtype: "float32", shape: [batch, cfg.zDim] } },
    ...(values ? { values } : {}),
    docString: "WGAN-div generator: z ~ N(0, I) → 28×28×1 image in (−1, 1)",
    metadata: { config: JSON.stringify(cfg) },
    build: (ps, { z }) => ({ image: generator(ps, z!, cfg) }),
  }).bytes;
}
