/**
 * The categorical VAE of «漫谈重参数：从正态分布到Gumbel Softmax» (kexue.fm/archives/6705, Su's
 * `vae_keras_cnn_gs.py`; Jang, Gu & Poole 2017): V latent variables of C categories each, sampled in
 * training by the Gumbel-softmax relaxation y = softmax((logits + g)/τ) with the temperature annealed
 * from the step counter in the graph, τ = τ_min + (1 − τ_min)·decay^step, and decoded by a
 * deconvolutional decoder with Bernoulli pixels. The loss is BCE + KL(q(c|x) ‖ uniform) =
 * BCE + Σ_v Σ_c q log q + V·log C.
 *
 * Encoder: conv 3×3/2 (c₀) → ReLU → conv 3×3/2 (c₁) → ReLU → Dense(V·C) logits. Decoder: Dense(c₁·7·7)
 * → ReLU → ConvT 4×4/2 (c₀) → ReLU → ConvT 4×4/2 (1) → sigmoid.
 *
 * Exports (each takes every parameter, so one snapshot feeds both):
 * - {@link gumbelVaeSamplerModel}: uniform noise [B, V·C] in (−1, 1) → argmax per variable, a uniformly
 *   random one-hot code (the prior) → `image` [B, 1, 28, 28];
 * - {@link gumbelVaeDensityModel}: x [B, 784] and uniform noise [B, S, V·C] → `log_w` [B, S] =
 *   log p(x|c) + log p(c) − log q(c|x) at exact draws c = onehot(argmax(logits + g)) (Gumbel-max), whose
 *   log-mean-exp over K draws is the IWAE-K bound (K = 1: the discrete ELBO).
 *
 * @module
 */
import { scope, type Tensor } from "../graph.ts";
import { conv2dLayer, convTranspose2dLayer, dense } from "../layers.ts";
import { gumbelFromUniform, gumbelSoftmax, hardOneHot } from "../ops_discrete.ts";
import { add, exp, mul, relu, sigmoid, softplus, sub } from "../ops_elementwise.ts";
import { logSoftmax, softmax } from "../ops_nn.ts";
import { reduceMean, reduceSum } from "../ops_reduce.ts";
import { expand, reshape } from "../ops_shape.ts";
import { rmsprop } from "../optimizers.ts";
import type { ParamSource } from "../params.ts";
import { exportModel } from "../export.ts";
import { buildTrainStep, type TrainStep } from "../train_step.ts";
import { constant } from "../graph.ts";

/** Shape of a categorical VAE on 28×28 images. */
export interface GumbelVaeConfig {
  /** Encoder channels at 14×14 and 7×7 (the decoder mirrors them). */
  channels: readonly [number, number];
  /** Latent variables V. */
  variables: number;
  /** Categories C per variable. */
  categories: number;
}

/** Training settings beside the shape. */
export interface GumbelVaeStepConfig extends GumbelVaeConfig {
  batch: number;
  lr?: number;
  /** τ = tauMin + (1 − tauMin)·tauDecay^step (Su's code: 0.01, 0.999 per batch). */
  tauMin?: number;
  tauDecay?: number;
}

const PIXELS = 28 * 28;

/** Logits [N, V, C] of q(c|x) for images `x` [N, 784] in [0, 1]. */
export function gumbelEncoder(ps: ParamSource, x: Tensor, cfg: GumbelVaeConfig): Tensor {
  const n = x.shape[0]!;
  return scope("/vae/encoder", () => {
    const img = reshape(x, [n, 1, 28, 28]);
    const h1 = relu(conv2dLayer(ps, "conv1", img, cfg.channels[0], 3, { stride: 2, pad: 1 }));
    const h2 = relu(conv2dLayer(ps, "conv2", h1, cfg.channels[1], 3, { stride: 2, pad: 1 }));
    const flat = reshape(h2, [n, cfg.channels[1] * 49]);
    return reshape(dense(ps, "logits", flat, cfg.variables * cfg.categories), [
      n,
      cfg.variables,
      cfg.categories,
    ]);
  });
}

/** Bernoulli logits [N, 784] of p(x|c) for codes `y` [N, V·C] (one-hot or relaxed). */
export function gumbelDecoder(ps: ParamSource, y: Tensor, cfg: GumbelVaeConfig): Tensor {
  const n = y.shape[0]!;
  const [c0, c1] = cfg.channels;
  return scope("/vae/decoder", () => {
    const h = reshape(relu(dense(ps, "fc", y, c1 * 49)), [n, c1, 7, 7]);
    const h1 = relu(convTranspose2dLayer(ps, "deconv1", h, c0, 4, { stride: 2, pad: 1 }));
    const out = convTranspose2dLayer(ps, "deconv2", h1, 1, 4, { stride: 2, pad: 1 });
    return reshape(out, [n, PIXELS]);
  });
}

/** log p(x|y) per record [N] of Bernoulli pixels with `logits` [N, 784]. */
function bernoulliLogLik(x: Tensor, logits: Tensor): Tensor {
  return reduceSum(sub(mul(x, logits), softplus(logits)), 1);
}

/** The annealed temperature at `step`: τ_min + (1 − τ_min)·decay^step. */
export function annealedTau(step: Tensor, tauMin: number, decay: number): Tensor {
  return add(mul(exp(mul(step, Math.log(decay))), 1 - tauMin), tauMin);
}

/**
 * The train step. Batch `x` [batch, 784] in [0, 1]; hyper `lr`. Metrics: `loss` = BCE + KL, `recon`
 * (BCE), `kl` (to the uniform prior) and `tau`, this step's temperature.
 */
export function gumbelVaeStep(cfg: GumbelVaeStepConfig): TrainStep {
  const { batch: b, variables: v, categories: c } = cfg;
  return buildTrainStep({
    name: "gumbel_vae",
    batch: { x: { dtype: "float32", shape: [b, PIXELS] } },
    hyper: { lr: cfg.lr ?? 1e-3 },
    build(ctx) {
      const x = ctx.batch.x!;
      const logits = gumbelEncoder(ctx.params, x, cfg);
      const tau = annealedTau(ctx.step, cfg.tauMin ?? 0.01, cfg.tauDecay ?? 0.999);
      const y = gumbelSoftmax(logits, gumbelFromUniform(ctx.rng.uniform([b, v, c])), tau);
      const recon = mul(
        reduceMean(bernoulliLogLik(x, gumbelDecoder(ctx.params, reshape(y, [b, v * c]), cfg))),
        -1,
      );
      const q = softmax(logits);
      const kl = reduceMean(reduceSum(mul(q, add(logSoftmax(logits), Math.log(c))), [1, 2]));
      const loss = add(recon, kl);
      ctx.minimize("vae", loss, rmsprop({ lr: ctx.hyper.lr!, alpha: 0.9, eps: 1e-7 }));
      return { loss, recon, kl, tau };
    },
  });
}

/** Requests every parameter, so that an export takes all of them as inputs. */
function declareAll(ps: ParamSource, cfg: GumbelVaeConfig): void {
  gumbelEncoder(ps, constant(new Float32Array(PIXELS), "float32", [1, PIXELS]), cfg);
  const codes = cfg.variables * cfg.categories;
  gumbelDecoder(ps, constant(new Float32Array(codes), "float32", [1, codes]), cfg);
}

/** Uniform noise in (−1, 1) (train.run's and eval's `uniform` feed) mapped into (0, 1) (gumbelFromUniform keeps it off 0 and 1). */
function unitUniform(u: Tensor): Tensor {
  return mul(add(u, 1), 0.5);
}

/** The sampler: `z` [batch, V·C] uniform in (−1, 1) → a uniform one-hot code → `image` [batch, 1, 28, 28]. */
export function gumbelVaeSamplerModel(cfg: GumbelVaeConfig, batch: number): Uint8Array {
  const codes = cfg.variables * cfg.categories;
  return exportModel({
    name: "gumbel_vae_sampler",
    inputs: { z: { dtype: "float32", shape: [batch, codes] } },
    docString:
      "Categorical VAE decoder at one-hot codes drawn uniformly (argmax of uniform noise per variable)",
    metadata: { config: JSON.stringify(cfg) },
    build: (ps, { z }) => {
      declareAll(ps, cfg);
      const onehot = hardOneHot(reshape(z!, [batch, cfg.variables, cfg.categories]));
      const image = sigmoid(gumbelDecoder(ps, reshape(onehot, [batch, codes]), cfg));
      return { image: reshape(image, [batch, 1, 28, 28]) };
    },
  }).bytes;
}

/**
 * Importance weights with exact categorical draws: `x` [batch, 784] and `u` [batch, samples, V·C]
 * uniform in (−1, 1) → `log_w` [batch, samples] = log p(x|c) − V·log C − log q(c|x),
 * c = onehot(argmax(logits + Gumbel)).
 */
export function gumbelVaeDensityModel(cfg: GumbelVaeConfig, batch: number, samples: number): Uint8Array {
  const { variables: v, categories: c } = cfg;
  return exportModel({
    name: "gumbel_vae_importance_weights",
    inputs: {
      x: { dtype: "float32", shape: [batch, PIXELS] },
      u: { dtype: "float32", shape: [batch, samples, v * c] },
    },
    docString: "Categorical VAE: log p(x, c) − log q(c|x) at Gumbel-max draws c ~ q(c|x)",
    metadata: { config: JSON.stringify(cfg) },
    build: (ps, { x, u }) => {
      declareAll(ps, cfg);
      const n = batch * samples;
      const logits = reshape(
        expand(reshape(gumbelEncoder(ps, x!, cfg), [batch, 1, v, c]), [batch, samples, v, c]),
        [n, v, c],
      );
      const onehot = hardOneHot(add(logits, gumbelFromUniform(unitUniform(reshape(u!, [n, v, c])))));
      const logQ = reduceSum(mul(onehot, logSoftmax(logits)), [1, 2]);
      const xs = reshape(expand(reshape(x!, [batch, 1, PIXELS]), [batch, samples, PIXELS]), [n, PIXELS]);
      const logLik = bernoulliLogLik(xs, gumbelDecoder(ps, reshape(onehot, [n, v * c]), cfg));
      return { log_w: reshape(sub(sub(logLik, logQ), v * Math.log(c)), [batch, samples]) };
    },
  }).bytes;
}
