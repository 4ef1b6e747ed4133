/**
 * The normal distribution truncated to ±β standard deviations, as TensorFlow's `truncated_normal` (and so
 * BERT's initializer) draws it: the moments in closed form and a sampler. For a standard normal z
 * restricted to [−β, β], with Z = 2Φ(β) − 1 the kept mass, integration by parts gives
 *
 *     E z² = 1 − 2βφ(β)/Z,        E z⁴ = 3·E z² − 2β³φ(β)/Z,
 *
 * so N(0, σ²) truncated at ±βσ has standard deviation σ·√(E z²): for β = 2, 0.8796256610342398·σ
 * (kexue.fm/archives/8747: BERT's 0.02 is really 0.02/1.1368472 ≈ 0.0176).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { truncatedNormalMoments } from "./truncated_normal.ts";
 *
 * const { std } = truncatedNormalMoments(0.02, 2);
 * assert.ok(Math.abs(std - 0.017592513) < 1e-9);
 * ```
 *
 * @module
 */
import type { Rng } from "../../stages/data/random.ts";
import { normalCdf, normalPdf } from "../../numerics/special_functions.ts";

export interface TruncatedMoments {
  /** Standard deviation of N(0, σ²) truncated to ±β·σ. */
  std: number;
  /** Its kurtosis E x⁴/(E x²)² (3 for an untruncated normal). */
  kurtosis: number;
  /** The probability mass that is kept, 2Φ(β) − 1. */
  kept: number;
}

/** Moments of N(0, σ²) truncated to [−β·σ, β·σ]. */
export function truncatedNormalMoments(sigma: number, beta: number): TruncatedMoments {
  if (!(sigma > 0) || !(beta > 0)) {
    throw new RangeError(`Cannot truncate N(0, ${sigma}²) at ±${beta}σ: both must be positive`);
  }
  const kept = 2 * normalCdf(beta) - 1;
  const tail = (2 * normalPdf(beta)) / kept;
  const m2 = 1 - beta * tail;
  const m4 = 3 * m2 - beta ** 3 * tail;
  return { std: sigma * Math.sqrt(m2), kurtosis: m4 / (m2 * m2), kept };
}

/**
 * Fills `out` with draws of N(0, σ²) truncated to ±β·σ by redrawing values outside (as TensorFlow does):
 * exact, and cheap for β = 2, where 95% of the draws are kept.
 */
export function sampleTruncatedNormal(
  rng: Rng,
  sigma: number,
  beta: number,
  out: Float64Array,
): Float64Array {
  for (let i = 0; i < out.length; i++) {
    let z = rng.normal();
    while (Math.abs(z) > beta) z = rng.normal();
    out[i] = sigma * z;
  }
  return out;
}

/** Sample standard deviation (about the known mean 0) and its standard error from the sample's 4th moment. */
export function stdAboutZero(x: Float64Array): { std: number; standardError: number } {
  let m2 = 0, m4 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]! * x[i]!;
    m2 += v;
    m4 += v * v;
  }
  m2 /= x.length;
  m4 /= x.length;
  const std = Math.sqrt(m2);
  // Delta method: Var(m2) = (E x⁴ − (E x²)²)/N and s = √m2, so se(s) = √Var(m2)/(2s).
  return { std, standardError: Math.sqrt((m4 - m2 * m2) / x.length) / (2 * std) };
}
