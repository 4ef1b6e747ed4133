/**
 * The GAN loss registry: each objective of the GAN articles as a pair (critic loss, generator loss)
 * over a critic given as a function, so that one train step (gan_step.ts) runs any of them on any
 * network. Sign convention of Su's code throughout the Wasserstein-type losses: the critic pushes
 * D(real) down and D(fake) up, and the generator minimises mean D(G(z)).
 *
 * | loss                | critic loss L_D                                                     | generator loss L_G    |
 * | ------------------- | ------------------------------------------------------------------- | --------------------- |
 * | `wgan-div` (6139)   | E D(x_r) − E D(x_f) + (k/2)·E(‖∇D(x_r)‖^p + ‖∇D(x_f)‖^p)            | E D(x_f)              |
 * | `wgan-gp` (4439)    | E D(x_r) − E D(x_f) + λ·E relu(‖∇D(x̂)‖ − 1), x̂ = εx_r + (1−ε)x_f   | E D(x_f)              |
 * | `wgan-gp-two-sided` | E D(x_r) − E D(x_f) + λ·E (‖∇D(x̂)‖ − 1)²                           | E D(x_f)              |
 * | `qp-l1`, `qp-l2`    | E(−Δ + Δ²/(2λ·d(x_r, x_f))), Δ = D(x_r) − D(x_f), pairs in order    | E Δ                   |
 * | `hinge` (6387)      | E relu(1 + D(x_r)) + E relu(1 − D(x_f))                             | E D(x_f)              |
 * | `standard`          | E softplus(−D(x_r)) + E softplus(D(x_f))  (D(real) pushed *up*)     | E softplus(−D(x_f))   |
 * | `energy` (6316)     | E U(x_r) − E U(x_f) + λ·E‖∇U(x_r)‖²  (zero-centred, real only)      | E U(x_f)              |
 *
 * GAN-QP's distances are means over pixels as in the article's code: d = √mean((x_r − x_f)²) (L2),
 * mean|x_r − x_f| (L1), so λ is relative to the per-pixel RMS/MAE. `standard` is the non-saturating
 * GAN of Goodfellow et al. with the usual sign (a logit, high on real data). The penalties are
 * gradients of the critic with respect to its input: differentiable again, so the critic's update is a
 * second-order gradient.
 *
 * @module
 */
import { grad } from "../autodiff.ts";
import { constant, scope, type Tensor } from "../graph.ts";
import { abs, add, div, mul, neg, pow, relu, softplus, sqrt, sub } from "../ops_elementwise.ts";
import { reduceMean, reduceSum } from "../ops_reduce.ts";
import { concat, reshape, slice } from "../ops_shape.ts";
import type { GanLoss } from "./gan_config.ts";

export { GAN_LOSS_DEFAULTS, GAN_LOSSES, ganLoss } from "./gan_config.ts";
export type { GanLoss, GanLossName } from "./gan_config.ts";

/** Whether the loss needs interpolates x̂ = εx_r + (1−ε)x_f (then `eps` must be given). */
export const needsInterpolation = (loss: GanLoss): boolean => loss.name.startsWith("wgan-gp");

/** Whether the generator's loss reads real images (GAN-QP's Δ pairs them). */
export const generatorReadsReal = (loss: GanLoss): boolean => loss.name.startsWith("qp-");

/** What a critic loss is computed from. */
export interface CriticInputs {
  /** The critic: images [N, …] → scores [N, 1]. */
  critic: (x: Tensor) => Tensor;
  /** Real images [B, …]. */
  xr: Tensor;
  /** Fake images [B, …] (detached for the critic's step). */
  xf: Tensor;
  /** U(0, 1) draws broadcastable to [B, …]: the interpolation weights of wgan-gp. */
  eps?: Tensor;
  /**
   * The critic scores each sample on its own (no batch norm): real and fake then share one pass and
   * one input gradient. With batch norm they run apart, as in the articles' code.
   */
  perSample: boolean;
}

/** A critic loss and the terms worth logging. */
export interface CriticLoss {
  lossD: Tensor;
  /** Scalar metrics, e.g. `penalty`, `wdist`. */
  metrics: Record<string, Tensor>;
}

/** Per-sample ‖∇ₓ Σ scores‖² over every axis but the first. */
function gradNormSquared(scores: Tensor, x: Tensor): Tensor {
  const [g] = grad(reduceSum(scores), [x]);
  return reduceSum(mul(g!, g!), x.shape.slice(1).map((_, i) => i + 1));
}

/** Scores of real and fake images, in one pass when the critic is per-sample. */
function scoresOf(c: CriticInputs): { sr: Tensor; sf: Tensor; both?: Tensor; x?: Tensor } {
  if (!c.perSample) return { sr: c.critic(c.xr), sf: c.critic(c.xf) };
  const b = c.xr.shape[0]!;
  const x = concat([c.xr, c.xf], 0);
  const both = c.critic(x);
  return { sr: slice(both, [0], [b]), sf: slice(both, [b], [2 * b]), both, x };
}

/** Per-sample distance of GAN-QP: √mean((x_r − x_f)²) (L2) or mean|x_r − x_f| (L1), over pixels. */
function qpDistance(loss: GanLoss, xr: Tensor, xf: Tensor): Tensor {
  const axes = xr.shape.slice(1).map((_, i) => i + 1);
  const d = sub(xr, xf);
  return loss.name === "qp-l1" ? reduceMean(abs(d), axes) : sqrt(reduceMean(mul(d, d), axes));
}

/** Per-sample ‖∇ₓ D(x)‖₂^p, as (‖g‖²)^(p/2): no square root, so no singularity at g = 0. */
function gradNormPow(scores: Tensor, x: Tensor, p: number): Tensor {
  const sq = gradNormSquared(scores, x);
  return p === 2 ? sq : pow(sq, p / 2);
}

/**
 * WGAN-div's critic loss, node for node as models/onnx/models/wgan_div.ts builds it (the graph bytes are
 * tested equal), so that wgan-div's graph can move onto this registry. A per-sample critic scores real and
 * fake in one pass, and the penalty's input gradients are taken of the first-order term itself,
 * Σ_n c_n D(x_n) with c = ±1/B: ‖∇D(x_n)‖² = B²‖∇ₓ(Σ c D)‖², so reverse mode through the loss meets the
 * penalty's backward pass node for node (see wgan_div.ts for why the scalings are exact for B = 2^k).
 */
function wganDivLoss(loss: GanLoss, c: CriticInputs): CriticLoss {
  const b = c.xr.shape[0]!;
  const penaltyOf = (normPow: Tensor) => mul(reduceSum(normPow), loss.k / 2 / b);
  if (!c.perSample) {
    const sr = c.critic(c.xr);
    const sf = c.critic(c.xf);
    const normPow = concat([gradNormPow(sr, c.xr, loss.p), gradNormPow(sf, c.xf, loss.p)], 0);
    return scope("loss_d", () => {
      const meanR = reduceMean(sr);
      const meanF = reduceMean(sf);
      const penalty = penaltyOf(normPow);
      return { lossD: add(sub(meanR, meanF), penalty), metrics: { penalty, wdist: sub(meanF, meanR) } };
    });
  }
  const both = concat([c.xr, c.xf], 0);
  const s = c.critic(both);
  const signs = new (s.dtype === "float64" ? Float64Array : Float32Array)(2 * b)
    .map((_, i) => (i < b ? 1 / b : -1 / b));
  const first = scope("loss_d", () => reduceSum(mul(s, constant(signs, s.dtype, [2 * b, 1], "signs"))));
  const [gc] = grad(first, [both]);
  const axes = both.shape.slice(1).map((_, i) => i + 1);
  const sq = mul(reduceSum(mul(gc!, gc!), axes), b * b);
  const normPow = loss.p === 2 ? sq : pow(sq, loss.p / 2);
  return scope("loss_d", () => {
    const penalty = penaltyOf(normPow);
    return { lossD: add(first, penalty), metrics: { penalty, wdist: neg(first) } };
  });
}

/** The critic's loss of `loss` on real and fake images. */
export function criticLoss(loss: GanLoss, c: CriticInputs): CriticLoss {
  const b = c.xr.shape[0]!;
  if (loss.name === "wgan-div") return wganDivLoss(loss, c);
  const s = scoresOf(c);
  return scope("loss_d", () => {
    const meanR = reduceMean(s.sr);
    const meanF = reduceMean(s.sf);
    const wdist = sub(meanF, meanR);
    switch (loss.name) {
      case "wgan-gp":
      case "wgan-gp-two-sided": {
        if (!c.eps) throw new Error(`The ${loss.name} loss needs interpolation weights (eps)`);
        const xi = add(mul(c.eps, c.xr), mul(sub(1, c.eps), c.xf));
        const norm = sqrt(gradNormSquared(c.critic(xi), xi));
        const excess = sub(norm, 1);
        const per = loss.name === "wgan-gp" ? relu(excess) : mul(excess, excess);
        const penalty = mul(reduceMean(per), loss.lambda);
        return {
          lossD: add(sub(meanR, meanF), penalty),
          metrics: { penalty, wdist, grad_norm: reduceMean(norm) },
        };
      }
      case "qp-l1":
      case "qp-l2": {
        const delta = reshape(sub(s.sr, s.sf), [b]);
        const quad = div(mul(delta, delta), mul(qpDistance(loss, c.xr, c.xf), 2 * loss.lambda));
        const penalty = reduceMean(quad);
        return { lossD: sub(penalty, reduceMean(delta)), metrics: { penalty, wdist } };
      }
      case "hinge":
        return {
          lossD: add(reduceMean(relu(add(s.sr, 1))), reduceMean(relu(sub(1, s.sf)))),
          metrics: { wdist },
        };
      case "standard":
        return {
          lossD: add(reduceMean(softplus(neg(s.sr))), reduceMean(softplus(s.sf))),
          metrics: { wdist },
        };
      case "energy": {
        const sq = s.both ? slice(gradNormSquared(s.both, s.x!), [0], [b]) : gradNormSquared(s.sr, c.xr);
        const penalty = mul(reduceMean(sq), loss.lambda);
        return { lossD: add(sub(meanR, meanF), penalty), metrics: { penalty, wdist } };
      }
      default:
        throw new Error(`No critic loss '${loss.name}'`);
    }
  });
}

/** What a generator loss is computed from: the (updated) critic, fake images with their gradient to G. */
export interface GeneratorInputs {
  critic: (x: Tensor) => Tensor;
  /** Fake images [B, …], not detached. */
  xf: Tensor;
  /** Real images [B, …]: read by GAN-QP only (see {@link generatorReadsReal}). */
  xr?: Tensor;
  perSample: boolean;
}

/** The generator's loss of `loss`. */
export function generatorLoss(loss: GanLoss, g: GeneratorInputs): Tensor {
  if (generatorReadsReal(loss)) {
    if (!g.xr) throw new Error(`The ${loss.name} generator loss reads real images (xr)`);
    const s = scoresOf({ ...g, xr: g.xr });
    // The quadratic term stays out of G's loss (the article: putting it in slows training).
    return scope("loss_g", () => reduceMean(sub(s.sr, s.sf)));
  }
  const sf = g.critic(g.xf);
  return scope("loss_g", () => loss.name === "standard" ? reduceMean(softplus(neg(sf))) : reduceMean(sf));
}
