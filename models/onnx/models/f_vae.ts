/**
 * The f-VAE of «细水长flow之f-VAEs» (kexue.fm/archives/5977; Su & Wu, arXiv:1809.05861) and the plain VAE
 * it generalises, on images, with the same encoder E and decoder G (bojone/flow f-VAEs.py):
 *
 * - E: `squeezes` × [squeeze → R residual steps x + Conv1×1₀(ReLU(Conv3×3(x)))], the last 1×1 conv
 *   zero-initialised (Su's code, without its batch norm), so E starts as space-to-depth: 1×28×28 → 16×7×7;
 * - G: the mirror (R residual steps → unsqueeze, per level), then Su's tanh on [−1, 1], written on the
 *   unit scale our data use: mean = (1 + tanh(2g − 1))/2;
 * - the latent h = σ₁u + E(x), u ~ N(0, I) (f-VAE, σ₁ a trainable scalar), or h = E(x) + σ(x)⊙u with
 *   log σ(x) = log σ₁ + a zero-initialised 1×1 conv of E(x) (the VAE: F_x(u) = σ(x)⊙u + μ(x));
 * - the prior of h: N(F(h); 0, I)·|det ∂F/∂h| with F a Glow (flow_layers.ts, glow.ts) without squeezes
 *   (f-VAE), or N(h; 0, I) (VAE);
 * - p(x | h) = N(x; G(h), σ₂²I), σ₂ a trainable scalar.
 *
 * **The bound.** With D = d (pixels = latent dimensions) and h = σ₁u + E(x),
 *
 *   log p(x) ≥ E_u[ log N(x; G(h), σ₂²) + log N(F(h); 0, I) + log|det ∂_h F(h)| − log q(h | x) ],
 *   log q(h | x) = log N(u; 0, I) − d·log σ₁,
 *
 * so −ELBO = E[ ‖G(h) − x‖²/(2σ₂²) + ½‖F(h)‖² − log|det ∂_u F(σ₁u + E(x))| ]   (the article's loss)
 *          + D·log σ₂ + (D/2)·log 2π       (the Gaussian decoder's normaliser)
 *          − E[½‖u‖²]                      (= −d/2: the entropy of u beside its 2π, which cancels F's)
 * where log|det ∂_u F(σ₁u + E(x))| = d·log σ₁ + log|det ∂_h F| holds the log σ₁ scaling. Su's code
 * adds exactly these terms (its σ₂ actnorm's log-det, ½·log 2π per pixel, −½‖u‖²). Each record's
 * log w = log p(x | h) + log p(h) − log q(h | x) at one draw is what the density export gives:
 * its mean is the ELBO, its log-mean-exp over K draws the IWAE-K bound; on dequantised x = (v + u′)/256
 * the bits/dim (−ELBO + D·ln 256)/(D·ln 2) bound those of the 8-bit images, as a flow's do.
 *
 * σ₁ and σ₂ are written log σ = RATE·θ with θ trainable: Adam moves each parameter by about its
 * learning rate per step, and a scale that sets the whole loss must not take thousands of steps to
 * travel a unit of log σ (Su's code makes them actnorms, which start from the data's statistics).
 *
 * @module
 */
import { DataInit, gaussianPrior, squeeze } from "../flow_layers.ts";
import { exportModel } from "../export.ts";
import { constant, input, scope, type Tensor } from "../graph.ts";
import { inits } from "../init.ts";
import { conv2dLayer } from "../layers.ts";
import { add, clip, exp, mul, relu, square, sub, tanh } from "../ops_elementwise.ts";
import { reduceMean, reduceSum } from "../ops_reduce.ts";
import { expand, reshape } from "../ops_shape.ts";
import { adam } from "../optimizers.ts";
import { ParamInputs, type ParamSource } from "../params.ts";
import { buildTrainStep, type TrainStep } from "../train_step.ts";
import { type GlowConfig, glowModel } from "./glow.ts";
import type { ImageFlow } from "./image_flow.ts";

/** Shape of an f-VAE (or, with `flow: null`, of the plain VAE on the same E and G). */
export interface FVaeConfig {
  /** [C, H, W] of the images. */
  image: readonly [number, number, number];
  /** Squeeze levels of E (and unsqueezes of G): 2 on 28×28 gives a 16×7×7 latent. */
  squeezes: number;
  /** Residual steps per level in E and in G. */
  residual: number;
  /** Hidden channels of a residual step's 3×3 conv; 0: the level's own channels (Su's code). */
  residualHidden: number;
  /** The conditional flow F (its levels split channels only; `squeeze` is forced off); null: the VAE. */
  flow: Omit<GlowConfig, "squeeze"> | null;
  /** Initial σ₁ and σ₂, in the data's unit scale. */
  sigma1: number;
  sigma2: number;
}

/** Adam's speed-up of log σ₁ and log σ₂ (see the module doc). */
export const SIGMA_RATE = 10;

/** The scope of every parameter: one prefix, so one snapshot feeds every export. */
export const FVAE_SCOPE = "/fvae";

/** The latent's shape [C, H, W] for `cfg`. */
export function latentShape(cfg: Pick<FVaeConfig, "image" | "squeezes">): [number, number, number] {
  const [c, h, w] = cfg.image;
  const f = 2 ** cfg.squeezes;
  if (h % f !== 0 || w % f !== 0) {
    throw new Error(`f-VAE: ${cfg.squeezes} squeezes need sides divisible by ${f}, got ${h}×${w}`);
  }
  return [c * f * f, h / f, w / f];
}

/** Values per image (D) and per latent (d; equal: the squeezes keep the size). */
export function dims(cfg: Pick<FVaeConfig, "image">): number {
  return cfg.image.reduce((a, b) => a * b, 1);
}

/** The conditional flow F as an ImageFlow on the latent (its parameters under /fvae/flow). */
export function conditionalFlow(cfg: FVaeConfig): ImageFlow | null {
  if (!cfg.flow) return null;
  return glowModel({ ...cfg.flow, squeeze: false }, latentShape(cfg), `${FVAE_SCOPE}/flow`);
}

/** x + Conv1×1₀(ReLU(Conv3×3(x))): a residual step that starts as the identity. */
function residualStep(ps: ParamSource, name: string, x: Tensor, hidden: number): Tensor {
  return scope(name, () => {
    const c = x.shape[1]!;
    const h = relu(conv2dLayer(ps, "conv", x, hidden || c, 3, { pad: 1 }));
    return add(x, conv2dLayer(ps, "out", h, c, 1, { init: inits.zeros() }));
  });
}

const SQUEEZE = squeeze("squeeze");

/** E: images [N, C, H, W] → the latent mean [N, …latentShape]. */
export function encoder(ps: ParamSource, x: Tensor, cfg: FVaeConfig): Tensor {
  return scope(`${FVAE_SCOPE}/encoder`, () => {
    let h = x;
    for (let l = 0; l < cfg.squeezes; l++) {
      h = SQUEEZE.forward({ ps }, h).y;
      for (let r = 0; r < cfg.residual; r++) {
        h = residualStep(ps, `level${l}/step${r}`, h, cfg.residualHidden);
      }
    }
    return h;
  });
}

/** G: latents [N, …latentShape] → the decoder's mean [N, C, H, W] in (0, 1). */
export function decoder(ps: ParamSource, h: Tensor, cfg: FVaeConfig): Tensor {
  return scope(`${FVAE_SCOPE}/decoder`, () => {
    let g = h;
    for (let l = cfg.squeezes - 1; l >= 0; l--) {
      for (let r = 0; r < cfg.residual; r++) {
        g = residualStep(ps, `level${l}/step${r}`, g, cfg.residualHidden);
      }
      g = SQUEEZE.inverse({ ps }, g);
    }
    // Su's tanh on [−1, 1] in unit-scale coordinates: x′ = 2x − 1 = tanh(g′) with g′ = 2g − 1.
    return mul(add(tanh(sub(mul(g, 2), 1)), 1), 0.5);
  });
}

/** A scalar σ as log σ = RATE·θ (see the module doc): returns log σ, shape [1]. */
function logSigma(ps: ParamSource, name: string, initial: number): Tensor {
  return scope(
    FVAE_SCOPE,
    () => mul(ps.param(name, [1], inits.constant(Math.log(initial) / SIGMA_RATE)), SIGMA_RATE),
  );
}

/** Per-record parts of the bound at one draw `u` [N, d] (see the module doc); all [N], nats. */
export interface FVaeTerms {
  /** log w = log p(x | h) + log p(h) − log q(h | x). */
  logW: Tensor;
  /** ‖G(h) − x‖² per record. */
  sqError: Tensor;
  /** log σ₁ and log σ₂ ([1]). */
  logSigma1: Tensor;
  logSigma2: Tensor;
}

/** The bound's terms for images `x` [N, C, H, W] and standard normal draws `u` [N, d]. */
export function fvaeTerms(ps: ParamSource, x: Tensor, u: Tensor, cfg: FVaeConfig): FVaeTerms {
  const n = x.shape[0]!;
  const d = dims(cfg);
  const shape = latentShape(cfg);
  const mu = encoder(ps, x, cfg);
  const ls1 = logSigma(ps, "log_sigma1", cfg.sigma1);
  const ls2 = logSigma(ps, "log_sigma2", cfg.sigma2);
  const uImage = reshape(u, [n, ...shape]);
  let h: Tensor;
  let sumLogSigma: Tensor; // Σ log σ over the d latent dimensions, per record
  if (cfg.flow) {
    h = add(mu, mul(uImage, exp(ls1)));
    sumLogSigma = expand(mul(ls1, d), [n]);
  } else {
    // The VAE's per-dimension σ(x): log σ₁ plus a zero-initialised 1×1 conv of E(x).
    const head = scope(
      `${FVAE_SCOPE}/posterior`,
      () => conv2dLayer(ps, "log_sigma", mu, shape[0], 1, { init: inits.zeros(), biasInit: inits.zeros() }),
    );
    const logSig = add(head, ls1);
    h = add(mu, mul(uImage, exp(logSig)));
    sumLogSigma = reduceSum(reshape(logSig, [n, d]), [1]);
  }
  const flow = conditionalFlow(cfg);
  let logPrior: Tensor;
  if (flow) {
    const { y, logdet } = flow.flow.forward({ ps }, h);
    logPrior = add(gaussianPrior.logProb(y), logdet);
  } else {
    logPrior = gaussianPrior.logProb(reshape(h, [n, d]));
  }
  const logQ = sub(gaussianPrior.logProb(u), sumLogSigma);
  const sqError = reduceSum(reshape(square(sub(decoder(ps, h, cfg), x)), [n, d]), [1]);
  // log N(x; G(h), σ₂²I) = −‖G − x‖²/(2σ₂²) − D·log σ₂ − (D/2)·log 2π
  const logLik = sub(
    mul(sqError, mul(exp(mul(ls2, -2)), -0.5)),
    add(mul(ls2, d), 0.5 * d * Math.log(2 * Math.PI)),
  );
  return { logW: add(logLik, sub(logPrior, logQ)), sqError, logSigma1: ls1, logSigma2: ls2 };
}

/** Options of {@link fvaeStep}. */
export interface FVaeStepOptions {
  batch: number;
  lr: number;
}

/**
 * The train step: loss = −ELBO per image (nats), Adam. Metrics: `loss`, `bpd` (the batch's bound in
 * bits/dim on dequantised 8-bit data), `mse` per pixel, `sigma1`, `sigma2`.
 */
export function fvaeStep(cfg: FVaeConfig, o: FVaeStepOptions): TrainStep {
  const d = dims(cfg);
  return buildTrainStep({
    name: cfg.flow ? "f_vae" : "vae_conv",
    batch: { x: { dtype: "float32", shape: [o.batch, ...cfg.image] } },
    hyper: { lr: o.lr },
    build(ctx) {
      const t = fvaeTerms(ctx.params, ctx.batch.x!, ctx.rng.normal([o.batch, d]), cfg);
      const loss = mul(reduceMean(t.logW), -1);
      ctx.minimize("fvae", loss, adam({ lr: ctx.hyper.lr!, b1: 0.9, b2: 0.999 }));
      return {
        loss,
        bpd: mul(add(loss, d * Math.log(256)), 1 / (d * Math.LN2)),
        mse: mul(reduceMean(t.sqError), 1 / d),
        sigma1: reduceSum(exp(t.logSigma1)),
        sigma2: reduceSum(exp(t.logSigma2)),
      };
    },
  });
}

/** Declares every parameter in `ps` (a forward on zeros), so that an export takes all of them as inputs. */
function declareAll(ps: ParamSource, cfg: FVaeConfig): void {
  const zeros = (shape: number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return constant(ps.dtype === "float64" ? new Float64Array(n) : new Float32Array(n), ps.dtype, shape);
  };
  fvaeTerms(ps, zeros([1, ...cfg.image]), zeros([1, dims(cfg)]), cfg);
}

/**
 * The sampler: `z` [batch, d] standard normal → `image` [batch, C, H, W] in [0, 1]: z scaled by
 * `temperature`, h = F⁻¹(z) (the VAE: h = z), the decoder's mean G(h) clipped to [0, 1].
 */
export function fvaeSamplerModel(cfg: FVaeConfig, batch: number, temperature: number): Uint8Array {
  const d = dims(cfg);
  return exportModel({
    name: cfg.flow ? "f_vae_sampler" : "vae_conv_sampler",
    inputs: { z: { dtype: "float32", shape: [batch, d] } },
    docString: `${cfg.flow ? "f-VAE" : "VAE"} sampler at temperature ${temperature}: G(F⁻¹(T·z)), clipped`,
    build: (ps, { z }) => {
      declareAll(ps, cfg);
      const flow = conditionalFlow(cfg);
      const zt = mul(z!, temperature);
      const h = flow ? flow.flow.inverse({ ps }, zt) : reshape(zt, [batch, ...latentShape(cfg)]);
      return { image: clip(decoder(ps, h, cfg), 0, 1) };
    },
  }).bytes;
}

/**
 * The density export: `x` [batch, C, H, W] (dequantised, unit scale) and `eps` [batch, samples, d]
 * → `log_w` [batch, samples], the log importance weights whose mean is the ELBO (eval.likelihood).
 */
export function fvaeDensityModel(cfg: FVaeConfig, batch: number, samples: number): Uint8Array {
  const d = dims(cfg);
  return exportModel({
    name: cfg.flow ? "f_vae_importance_weights" : "vae_conv_importance_weights",
    inputs: {
      x: { dtype: "float32", shape: [batch, ...cfg.image] },
      eps: { dtype: "float32", shape: [batch, samples, d] },
    },
    docString: "log p(x | h) + log p(h) − log q(h | x) at h = σ₁u + E(x) (f-VAE) or E(x) + σ(x)u (VAE)",
    build: (ps, { x, eps }) => {
      const n = batch * samples;
      const xs = reshape(
        expand(reshape(x!, [batch, 1, ...cfg.image]), [batch, samples, ...cfg.image]),
        [n, ...cfg.image],
      );
      const t = fvaeTerms(ps, xs, reshape(eps!, [n, d]), cfg);
      return { log_w: reshape(t.logW, [batch, samples]) };
    },
  }).bytes;
}

/**
 * The data-dependent init model of F's actnorms (flow_layers.ts `DataInit`): `x` [batch, C, H, W] → the
 * initial value of each actnorm parameter, from F applied to h = E(x) (the posterior mean: the noise σ₁u
 * is left out, so that the init is a function of the data alone); null for the VAE, which has none.
 */
export function fvaeDataInitModel(
  cfg: FVaeConfig,
  batch: number,
): { bytes: Uint8Array; outputs: string[] } | null {
  const flow = conditionalFlow(cfg);
  if (!flow) return null;
  const build = (ps: ParamSource, x: Tensor) => {
    const init = new DataInit();
    flow.flow.forward({ ps, init }, encoder(ps, x, cfg));
    return init.outputs();
  };
  const outputs = Object.keys(build(new ParamInputs(), input("x", "float32", [batch, ...cfg.image])));
  const bytes = exportModel({
    name: "f_vae_data_init",
    inputs: { x: { dtype: "float32", shape: [batch, ...cfg.image] } },
    docString: "data-dependent initialisation of F's actnorms on E(x) of a batch",
    build: (ps, { x }) => build(ps, x!),
  }).bytes;
  return { bytes, outputs };
}
