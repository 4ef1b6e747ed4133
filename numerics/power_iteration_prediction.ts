/**
 * What power iteration (power_iteration.ts) returns, predicted exactly from the SVD A = Σ σᵢ uᵢ vᵢᵀ and
 * the start vector's coordinates cᵢ = uᵢᵀu₀: after k iterations v_k ∝ (AᵀA)^(k−1)Aᵀu₀ = Σ σᵢ^(2k−1) cᵢ vᵢ,
 * so
 *
 *     σ̂_k² = Σ cᵢ² σᵢ^(4k) / Σ cᵢ² σᵢ^(4k−2),      sin²∠(v_k, v₁) = Σ_{i≥2} cᵢ² σᵢ^(4k−2) / Σ cᵢ² σᵢ^(4k−2).
 *
 * With r = σ₂/σ₁ and t = c₂²/c₁², once the top two terms dominate, 1 − σ̂_k/σ₁ ≈ ½·t·(1 − r²)·r^(4k−2)
 * and sin∠(v_k, v₁) ≈ √t·r^(2k−1): the estimate's error falls by r⁴ per iteration, the vector's by r².
 * Both are computed here as sums of positive terms, without the cancellation of 1 − σ̂/σ₁ in floating
 * point, so they stay accurate far below the error float64 can measure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { predictPowerIteration } from "./power_iteration_prediction.ts";
 *
 * const p = predictPowerIteration([1, 0.5], [Math.SQRT1_2, Math.SQRT1_2], 3);
 * // 1 − σ̂₃ with r = ½, t = 1: ½·(1 − ¼)·2⁻¹⁰ to leading order.
 * assert.ok(Math.abs(p.sigmaError[2]! / (0.375 * 2 ** -10) - 1) < 2e-3);
 * ```
 *
 * @module
 */

export interface PowerIterationPrediction {
  /** 1 − σ̂_k/σ₁ for k = 1…iterations. */
  sigmaError: Float64Array;
  /** sin∠(v_k, v₁) for k = 1…iterations. */
  vectorError: Float64Array;
}

/** The exact error sequences for singular values `sigma` (descending, σ₁ > 0) and start coordinates `coords`. */
export function predictPowerIteration(
  sigma: ArrayLike<number>,
  coords: ArrayLike<number>,
  iterations: number,
): PowerIterationPrediction {
  if (sigma.length !== coords.length || sigma.length === 0) {
    throw new RangeError(
      `Cannot predict power iteration: ${sigma.length} singular values, ${coords.length} coordinates`,
    );
  }
  const s1 = sigma[0]!;
  const ratio = Array.from(sigma, (s) => s / s1);
  const c2 = Array.from(coords, (c) => c * c);
  if (!(c2[0]! > 0)) {
    throw new RangeError("Cannot predict power iteration: the start has no component along u₁");
  }
  const sigmaError = new Float64Array(iterations);
  const vectorError = new Float64Array(iterations);
  for (let k = 1; k <= iterations; k++) {
    // Terms wᵢ = cᵢ²·sᵢ^(4k−2) relative to the top one (s₁ = 1), in logs so that nothing underflows early.
    let total = 1, rest = 0, deficit = 0;
    for (let i = 1; i < ratio.length; i++) {
      if (ratio[i]! === 0 || c2[i]! === 0) continue;
      const w = Math.exp(Math.log(c2[i]! / c2[0]!) + (4 * k - 2) * Math.log(ratio[i]!));
      total += w;
      rest += w;
      deficit += w * (1 - ratio[i]! * ratio[i]!);
    }
    // σ̂²/σ₁² = Σ wᵢsᵢ²/Σ wᵢ, so 1 − σ̂²/σ₁² = Σ wᵢ(1 − sᵢ²)/Σ wᵢ, and 1 − σ̂/σ₁ = that/(1 + σ̂/σ₁).
    const oneMinusSq = deficit / total;
    sigmaError[k - 1] = oneMinusSq / (1 + Math.sqrt(1 - oneMinusSq));
    vectorError[k - 1] = Math.sqrt(rest / total);
  }
  return { sigmaError, vectorError };
}
