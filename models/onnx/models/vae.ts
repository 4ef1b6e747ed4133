/**
 * The MLP variational autoencoder of «变分自编码器（一）/（二）» (kexue.fm/archives/5253, 5343) and
 * Kingma & Welling (2014): an encoder x → (μ, log σ²) of a diagonal Gaussian q(z|x), a decoder z → the
 * parameters of p(x|z), the prior N(0, I), and the loss −ELBO = −E_q log p(x|z) + KL(q(z|x) ‖ N(0, I))
 * with K reparametrised draws z = μ + σ·ε per record (ε drawn in the graph from (seed, step)).
 *
 * Decoders (the second article's comparison):
 * - `bernoulli`: p(x|z) = Π Bernoulli(x_i; sigmoid(l_i)), log p = Σ x·l − softplus(l) (the BCE of Su's
 *   code; on grayscale x in [0, 1] it is that loss, on binary x a log-probability);
 * - `gaussian` with fixed σ̃: log p = −‖x − μ(z)‖²/(2σ̃²) − (D/2)·log(2πσ̃²), μ = sigmoid(·): the MSE
 *   loss whose weight 1/(2σ̃²) sets the balance between reconstruction and KL;
 * - `gaussian-learned`: a per-pixel σ(z) = σ_min + softplus(·) from the decoder as well.
 *
 * Exports, each taking every parameter of the VAE as inputs (those it does not use included), so that
 * one snapshot of the weights feeds all of them:
 * - {@link vaeSamplerModel}: z [B, L] → `image` [B, 1, 28, 28], the decoder's mean in [0, 1];
 * - {@link vaeDensityModel}: x [B, D] and ε [B, S, L] → `log_w` [B, S] = log p(x, z) − log q(z|x), whose
 *   log-mean-exp over K draws is the IWAE-K bound on log p(x) (K = 1: the ELBO);
 * - {@link vaeEncoderModel}: x → `mu`, `logvar` and `recon` (the decoder's mean at z = μ).
 *
 * Weights: Keras's defaults (Glorot-uniform, zero biases), as Su's code; RMSprop as Keras's
 * (ρ = 0.9, ε = 1e-7).
 *
 * @module
 */
import { constant, scope, type Tensor } from "../graph.ts";
import { inits } from "../init.ts";
import { dense } from "../layers.ts";
import { add, exp, log, mul, relu, sigmoid, softplus, square, sub, tanh } from "../ops_elementwise.ts";
import { reduceMean, reduceSum } from "../ops_reduce.ts";
import { expand, reshape, slice } from "../ops_shape.ts";
import { rmsprop } from "../optimizers.ts";
import type { ParamSource } from "../params.ts";
import { exportModel } from "../export.ts";
import { buildTrainStep, type TrainStep } from "../train_step.ts";

/** The decoder's distribution p(x|z). */
export type VaeDecoder =
  | { kind: "bernoulli" }
  | { kind: "gaussian"; sigma: number }
  | { kind: "gaussian-learned"; minSigma: number };

/** Shape of a VAE. */
export interface VaeConfig {
  /** Values per record (784 for MNIST, flattened). */
  inputDim: number;
  /** Encoder hidden widths; the decoder uses them in reverse. */
  hidden: readonly number[];
  /** Latent dimensions L. */
  latent: number;
  activation: "relu" | "tanh";
  decoder: VaeDecoder;
}

/** A train step's settings beside the shape. */
export interface VaeStepConfig extends VaeConfig {
  batch: number;
  /** Reparametrised draws K per record and step (the ELBO's expectation averaged over them). */
  samples: number;
  /** Learning rate default (graph input `lr`). */
  lr?: number;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

function glorot(ps: ParamSource, name: string, x: Tensor, out: number): Tensor {
  return dense(ps, name, x, out, { init: inits.glorotUniform(x.shape[1]!, out), biasInit: inits.zeros() });
}

/** q(z|x): mean and log-variance [N, L] of records `x` [N, D]. */
export function vaeEncoder(ps: ParamSource, x: Tensor, cfg: VaeConfig): { mu: Tensor; logvar: Tensor } {
  const act = cfg.activation === "tanh" ? tanh : relu;
  return scope("/vae/encoder", () => {
    let h = x;
    cfg.hidden.forEach((w, i) => (h = act(glorot(ps, `fc${i + 1}`, h, w))));
    return { mu: glorot(ps, "mean", h, cfg.latent), logvar: glorot(ps, "logvar", h, cfg.latent) };
  });
}

/** p(x|z)'s parameters for latents `z` [N, L]: the logits or means [N, D], and log σ [N, D] if learned. */
export function vaeDecoder(ps: ParamSource, z: Tensor, cfg: VaeConfig): { out: Tensor; logSigma?: Tensor } {
  const act = cfg.activation === "tanh" ? tanh : relu;
  return scope("/vae/decoder", () => {
    let h = z;
    [...cfg.hidden].reverse().forEach((w, i) => (h = act(glorot(ps, `fc${i + 1}`, h, w))));
    const d = cfg.inputDim;
    if (cfg.decoder.kind !== "gaussian-learned") return { out: glorot(ps, "out", h, d) };
    const both = glorot(ps, "out", h, 2 * d);
    const n = z.shape[0]!;
    const raw = reshape(slice(both, [d], [2 * d], [1]), [n, d]);
    return {
      out: reshape(slice(both, [0], [d], [1]), [n, d]),
      logSigma: log(add(softplus(raw), cfg.decoder.minSigma)),
    };
  });
}

/** The mean image E[x|z] in [0, 1] from the decoder's output. */
export function decoderMean(dec: { out: Tensor }): Tensor {
  return sigmoid(dec.out);
}

/** log p(x|z) per record [N], summed over the D values. */
export function vaeLogLikelihood(x: Tensor, dec: { out: Tensor; logSigma?: Tensor }, cfg: VaeConfig): Tensor {
  const d = cfg.decoder;
  if (d.kind === "bernoulli") return reduceSum(sub(mul(x, dec.out), softplus(dec.out)), 1);
  const r2 = square(sub(x, sigmoid(dec.out)));
  if (d.kind === "gaussian") {
    const c = cfg.inputDim * (HALF_LOG_2PI + Math.log(d.sigma));
    return sub(mul(reduceSum(r2, 1), -1 / (2 * d.sigma ** 2)), c);
  }
  const logSigma = dec.logSigma!;
  const perValue = add(mul(r2, mul(exp(mul(logSigma, -2)), 0.5)), add(logSigma, HALF_LOG_2PI));
  return mul(reduceSum(perValue, 1), -1);
}

/** KL(N(μ, σ²) ‖ N(0, I)) per record [N]: ½ Σ (μ² + σ² − log σ² − 1). */
export function gaussianKl(mu: Tensor, logvar: Tensor): Tensor {
  return mul(reduceSum(sub(add(square(mu), exp(logvar)), add(logvar, 1)), 1), 0.5);
}

/** `x` [N, …] repeated K times along a new leading axis, as [K·N, …]. */
function repeat(x: Tensor, k: number): Tensor {
  if (k === 1) return x;
  const [n, ...rest] = x.shape;
  return reshape(expand(reshape(x, [1, n!, ...rest]), [k, n!, ...rest]), [k * n!, ...rest]);
}

/** −ELBO and its parts, means per record (see {@link vaeStep}). */
export interface VaeLosses {
  loss: Tensor;
  recon: Tensor;
  kl: Tensor;
  mse: Tensor;
}

/**
 * −ELBO of records `x` [N, D] with K = `eps.shape[0] / N` reparametrised draws per record, `eps`
 * [K·N, L] standard normal (draw k of record n at row k·N + n).
 */
export function vaeNegativeElbo(ps: ParamSource, x: Tensor, eps: Tensor, cfg: VaeConfig): VaeLosses {
  const n = x.shape[0]!;
  const k = eps.shape[0]! / n;
  const { mu, logvar } = vaeEncoder(ps, x, cfg);
  const z = add(repeat(mu, k), mul(exp(mul(repeat(logvar, k), 0.5)), eps));
  const dec = vaeDecoder(ps, z, cfg);
  const recon = mul(reduceMean(vaeLogLikelihood(repeat(x, k), dec, cfg)), -1);
  const kl = reduceMean(gaussianKl(mu, logvar));
  const first = reshape(slice(decoderMean(dec), [0], [n], [0]), [n, cfg.inputDim]);
  return { loss: add(recon, kl), recon, kl, mse: reduceMean(square(sub(first, x))) };
}

/**
 * The VAE's train step. Batch `x` [batch, D] (values in [0, 1]); hyper `lr`. Metrics (means per record,
 * before the update): `loss` = −ELBO, `recon` = −E log p(x|z), `kl`, and `mse`, the squared error per
 * value of the decoder's mean at the first draw.
 */
export function vaeStep(cfg: VaeStepConfig): TrainStep {
  const { batch: b, samples: k, latent } = cfg;
  return buildTrainStep({
    name: "vae",
    batch: { x: { dtype: "float32", shape: [b, cfg.inputDim] } },
    hyper: { lr: cfg.lr ?? 1e-3 },
    build(ctx) {
      const m = vaeNegativeElbo(ctx.params, ctx.batch.x!, ctx.rng.normal([k * b, latent]), cfg);
      ctx.minimize("vae", m.loss, rmsprop({ lr: ctx.hyper.lr!, alpha: 0.9, eps: 1e-7 }));
      return { ...m };
    },
  });
}

/** Requests every parameter of the VAE from `ps`, so that an export takes all of them as inputs. */
function declareAll(ps: ParamSource, cfg: VaeConfig): void {
  const zeros = (n: number) =>
    constant(ps.dtype === "float64" ? new Float64Array(n) : new Float32Array(n), ps.dtype, [1, n]);
  vaeEncoder(ps, zeros(cfg.inputDim), cfg);
  vaeDecoder(ps, zeros(cfg.latent), cfg);
}

/** The sampler: `z` [batch, L] → `image` [batch, 1, 28, 28], the decoder's mean (weights as inputs). */
export function vaeSamplerModel(cfg: VaeConfig, batch: number): Uint8Array {
  const side = Math.round(Math.sqrt(cfg.inputDim));
  return exportModel({
    name: "vae_sampler",
    inputs: { z: { dtype: "float32", shape: [batch, cfg.latent] } },
    docString: "VAE decoder: the mean image E[x|z] for latents z ~ N(0, I)",
    metadata: { config: JSON.stringify(cfg) },
    build: (ps, { z }) => {
      declareAll(ps, cfg);
      return { image: reshape(decoderMean(vaeDecoder(ps, z!, cfg)), [batch, 1, side, side]) };
    },
  }).bytes;
}

/**
 * The importance weights: `x` [batch, D] and `eps` [batch, samples, L] → `log_w` [batch, samples] =
 * log p(x|z) + log p(z) − log q(z|x) at z = μ + σ·ε. A Bernoulli decoder gives log-probabilities of
 * binary records.
 */
export function vaeDensityModel(cfg: VaeConfig, batch: number, samples: number): Uint8Array {
  const l = cfg.latent;
  return exportModel({
    name: "vae_importance_weights",
    inputs: {
      x: { dtype: "float32", shape: [batch, cfg.inputDim] },
      eps: { dtype: "float32", shape: [batch, samples, l] },
    },
    docString: "VAE: log importance weights log p(x, z) − log q(z|x), z = μ(x) + σ(x)·ε",
    metadata: { config: JSON.stringify(cfg) },
    build: (ps, { x, eps }) => {
      declareAll(ps, cfg);
      const { mu, logvar } = vaeEncoder(ps, x!, cfg);
      const n = batch * samples;
      const perDraw = (t: Tensor, width: number) =>
        reshape(expand(reshape(t, [batch, 1, width]), [batch, samples, width]), [n, width]);
      const e = reshape(eps!, [n, l]);
      const lv = perDraw(logvar, l);
      const z = add(perDraw(mu, l), mul(exp(mul(lv, 0.5)), e));
      const logLik = vaeLogLikelihood(perDraw(x!, cfg.inputDim), vaeDecoder(ps, z, cfg), cfg);
      // log p(z) − log q(z|x) = −½‖z‖² + ½‖ε‖² + ½ Σ log σ²  (the 2π terms cancel)
      const logRatio = mul(sub(add(reduceSum(square(e), 1), reduceSum(lv, 1)), reduceSum(square(z), 1)), 0.5);
      return { log_w: reshape(add(logLik, logRatio), [batch, samples]) };
    },
  }).bytes;
}

/** The encoder: `x` [batch, D] → `mu`, `logvar` [batch, L] and `recon` [batch, D], the mean at z = μ. */
export function vaeEncoderModel(cfg: VaeConfig, batch: number): Uint8Array {
  return exportModel({
    name: "vae_encoder",
    inputs: { x: { dtype: "float32", shape: [batch, cfg.inputDim] } },
    docString: "VAE encoder: q(z|x) = N(mu, exp(logvar)), and the decoder's mean at z = mu",
    metadata: { config: JSON.stringify(cfg) },
    build: (ps, { x }) => {
      declareAll(ps, cfg);
      const { mu, logvar } = vaeEncoder(ps, x!, cfg);
      return { mu, logvar, recon: decoderMean(vaeDecoder(ps, mu, cfg)) };
    },
  }).bytes;
}
