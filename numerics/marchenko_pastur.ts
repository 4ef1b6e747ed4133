/**
 * The Marchenko–Pastur law: the limiting distribution of the eigenvalues λ of MᵀM/n for an n×m matrix M
 * of independent standard normal entries, as n, m → ∞ with m/n → y ∈ (0, 1]. Its density is
 *
 *     p(λ) = √((λ₊ − λ)(λ − λ₋)) / (2π·y·λ),   λ± = (1 ± √y)²,
 *
 * with mean 1 and second moment 1 + y. Substituting λ = 1 + y − 2√y·cos θ, θ ∈ [0, π], turns p(λ)dλ into
 * 2·sin²θ/(π·λ(θ)) dθ, which stays smooth even at y = 1 (where p has a 1/√λ pole at 0), so the CDF is an
 * accurate quadrature in θ. `marchenkoPasturSingularValues` gives the classical locations (the quantiles
 * at (i + ½)/count) as singular values of M/‖M‖_F: what the Muon study needs for matrices too large to
 * decompose (kexue.fm/archives/10592 names the law as the limit of its table).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { marchenkoPasturSingularValues } from "./marchenko_pastur.ts";
 *
 * const s = marchenkoPasturSingularValues(2048, 1024, 1024); // like one 2048×1024 matrix, normalised
 * assert.ok(Math.abs(s.reduce((t, v) => t + v * v, 0) - 1) < 1e-12); // Σσ² = 1, as for M/‖M‖_F
 * ```
 *
 * @module
 */

/** The density of the law with ratio y = m/n ∈ (0, 1] at λ. */
export function marchenkoPasturDensity(lambda: number, ratio: number): number {
  checkRatio(ratio);
  const lo = (1 - Math.sqrt(ratio)) ** 2, hi = (1 + Math.sqrt(ratio)) ** 2;
  if (lambda <= lo || lambda >= hi) return 0;
  return Math.sqrt((hi - lambda) * (lambda - lo)) / (2 * Math.PI * ratio * lambda);
}

function checkRatio(ratio: number): void {
  if (!(ratio > 0 && ratio <= 1)) {
    throw new RangeError(
      `Cannot use the Marchenko–Pastur law with ratio ${ratio}: use m/n in (0, 1] (n ≥ m)`,
    );
  }
}

/** The quantiles of λ at (i + ½)/count, i = 0…count−1 (ascending), by quadrature of the CDF in θ. */
export function marchenkoPasturQuantiles(ratio: number, count: number, grid = 1 << 16): Float64Array {
  checkRatio(ratio);
  const c = 1 + ratio, r = 2 * Math.sqrt(ratio);
  const lambda = (t: number) => c - r * Math.cos(t);
  // At y = 1, λ = 2(1 − cos θ) and sin²θ = (1 − cos θ)(1 + cos θ): the quotient is (1 + cos θ)/2 exactly.
  const integrand = ratio === 1
    ? (t: number) => (1 + Math.cos(t)) / Math.PI
    : (t: number) => (2 * Math.sin(t) ** 2) / (Math.PI * lambda(t));
  // Cumulative Simpson on panels of two grid steps, then interpolation of θ at each target probability.
  const h = Math.PI / grid;
  const cdf = new Float64Array(grid / 2 + 1);
  for (let k = 1; k <= grid / 2; k++) {
    const t0 = 2 * (k - 1) * h;
    cdf[k] = cdf[k - 1]! + (h / 3) * (integrand(t0) + 4 * integrand(t0 + h) + integrand(t0 + 2 * h));
  }
  const total = cdf[grid / 2]!; // 1 up to the quadrature error
  const out = new Float64Array(count);
  let k = 1;
  for (let i = 0; i < count; i++) {
    const target = ((i + 0.5) / count) * total;
    while (cdf[k]! < target) k++;
    const f = (target - cdf[k - 1]!) / (cdf[k]! - cdf[k - 1]!);
    out[i] = lambda((k - 1 + f) * 2 * h);
  }
  return out;
}

/**
 * `count` singular values (ascending) distributed like those of an n×m (n ≥ m) Gaussian matrix divided by
 * its Frobenius norm, in the Marchenko–Pastur limit: σ = √(λ/m), scaled so that Σσ² over the set equals
 * count/m (the set stands for count/m matrices, each with Σσ² = 1).
 */
export function marchenkoPasturSingularValues(n: number, m: number, count: number): Float64Array {
  if (!(Number.isInteger(n) && Number.isInteger(m) && n >= m && m >= 1)) {
    throw new RangeError(`Cannot model the singular values of a ${n}×${m} matrix: need integers n ≥ m ≥ 1`);
  }
  const lambda = marchenkoPasturQuantiles(m / n, count);
  let sum = 0;
  for (const l of lambda) sum += l;
  const scale = count / (m * sum);
  return lambda.map((l) => Math.sqrt(l * scale));
}
