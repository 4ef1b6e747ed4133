/**
 * ln det(I + A) = tr ln(I + A) = Σₖ (−1)^(k−1) tr(Aᵏ)/k (kexue.fm/archives/6377, the estimator i-ResNet
 * uses for its log-determinant): the partial sums, and the exact size of what the truncation leaves out.
 *
 * tr(Aᵏ) = Σᵢ λᵢᵏ for every square A, so the tail after K terms is Σᵢ T_K(λᵢ) with the scalar tail
 * T_K(λ) = Σ_{k>K} (−1)^(k−1) λᵏ/k, and |T_K(λ)| ≤ |λ|^(K+1)/((K+1)(1−|λ|)). Hence
 *
 *     |ln det(I + A) − S_K| ≤ n·ρ^(K+1)/((K+1)(1−ρ)),   ρ = ρ(A) < 1,
 *
 * and the error falls like ρ^K/K: the series converges iff ρ(A) < 1.
 *
 * @module
 */
import { identity, matmul, type Matrix, trace } from "../../numerics/matrix.ts";

/** The partial sums S_1…S_K of Σ (−1)^(k−1) tr(Aᵏ)/k (K matrix products). */
export function traceLogSeries(a: Matrix, terms: number): Float64Array {
  const sums = new Float64Array(terms);
  let power: Matrix = identity(a.rows);
  let sum = 0;
  for (let k = 1; k <= terms; k++) {
    power = matmul(power, a);
    sum += ((k % 2 === 1 ? 1 : -1) * trace(power)) / k;
    sums[k - 1] = sum;
  }
  return sums;
}

/** The bound n·ρ^(K+1)/((K+1)(1−ρ)) on the truncation error after K terms, for ρ(A) = ρ < 1. */
export function truncationBound(n: number, rho: number, terms: number): number {
  return (n * rho ** (terms + 1)) / ((terms + 1) * (1 - rho));
}

/**
 * The least-squares rate r of errors e_K ≈ C·r^K/(K+1) over the K given: exp of the slope of
 * ln((K+1)·e_K) against K.
 */
export function fittedRate(ks: readonly number[], errors: readonly number[]): number {
  const ys = ks.map((k, i) => Math.log((k + 1) * errors[i]!));
  const mk = ks.reduce((s, k) => s + k, 0) / ks.length;
  const my = ys.reduce((s, y) => s + y, 0) / ys.length;
  let num = 0, den = 0;
  for (let i = 0; i < ks.length; i++) {
    num += (ks[i]! - mk) * (ys[i]! - my);
    den += (ks[i]! - mk) ** 2;
  }
  return Math.exp(num / den);
}
