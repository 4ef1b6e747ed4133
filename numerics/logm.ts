/**
 * The principal matrix logarithm by inverse scaling and squaring without a Schur form (Kenney–Laub
 * 1989; Cheng, Higham, Kenney & Laub 2001), for real matrices with no eigenvalues on the closed
 * negative real axis (where no real principal logarithm exists):
 *
 * 1. take square roots (sqrtm.ts) until X = A^(1/2ᵏ) − I has ‖X‖₁ ≤ 1/2;
 * 2. evaluate the [m/m] Padé approximant of log(I + X) in partial fractions, Σⱼ wⱼ·X·(I + tⱼ·X)⁻¹,
 *    with (tⱼ, wⱼ) the m-point Gauss–Legendre rule on [0, 1] (log(1+x) = ∫₀¹ x/(1+tx) dt), choosing
 *    the smallest m whose error bound is below ε·‖X‖/2;
 * 3. log A = 2ᵏ·r_m(X).
 *
 * The bound: for ‖X‖ < 1 the matrix error is at most the scalar error at −‖X‖ (Kenney–Laub), and the
 * scalar error of the Gauss rule is (m!)⁴/((2m+1)·((2m)!)³)·|f⁽²ᵐ⁾(ξ)| with f(t) = x/(1+tx), which
 * gives ≤ (m!)⁴/((2m+1)·((2m)!)²)·(‖X‖/(1−‖X‖))^(2m+1): m = 8 at ‖X‖ = 1/4, 14 at 1/2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logm } from "./logm.ts";
 * import { fromRows, maxAbsDiff } from "./matrix.ts";
 *
 * const log = logm(fromRows([[Math.E, 0], [0, 1]]));
 * assert.ok(maxAbsDiff(log, fromRows([[1, 0], [0, 0]])) < 1e-12);
 * ```
 *
 * @module
 */
import { lu, luSolve } from "./lu.ts";
import { assertFinite, assertSquare, type Matrix, matrix, norm } from "./matrix.ts";
import { sqrtm } from "./sqrtm.ts";

const EPS = 2 ** -52;
const MAX_DEGREE = 16;
const MAX_ROOTS = 64;
/**
 * Square roots stop at ‖X‖₁ ≤ ½: one more root would cost about as much as the extra Padé terms it saves
 * (14 instead of 8 solves, against ~4 Denman–Beavers steps), and each root multiplies the final rounding
 * by 2, so the larger threshold is the more accurate one.
 */
const ROOT_THRESHOLD = 0.5;

/** log A, the logarithm whose eigenvalues have imaginary parts in (−π, π). */
export function logm(a: Matrix): Matrix {
  const n = assertSquare(a, "take the logarithm of");
  assertFinite(a, "take the logarithm of");
  if (n === 0) return matrix(0, 0);
  let root = a;
  let k = 0;
  let x = minusIdentity(root);
  let size = norm(x, 1);
  while (size > ROOT_THRESHOLD) {
    if (k === MAX_ROOTS) {
      throw new RangeError(`Cannot take the logarithm: ${MAX_ROOTS} square roots did not bring A near I`);
    }
    try {
      root = sqrtm(root);
    } catch (error) {
      throw new RangeError(`Cannot take the logarithm of the ${n}×${n} matrix: ${(error as Error).message}`);
    }
    k++;
    x = minusIdentity(root);
    size = norm(x, 1);
  }
  const m = padeDegree(size);
  const { nodes, weights } = gaussLegendre(m);
  const out = matrix(n, n);
  for (let j = 0; j < m; j++) {
    // wⱼ·(I + tⱼX)⁻¹·X
    const shifted = matrix(n, n, x.data.map((v) => nodes[j]! * v));
    for (let i = 0; i < n; i++) shifted.data[i * n + i] = shifted.data[i * n + i]! + 1;
    const term = luSolve(lu(shifted), x);
    const w = weights[j]! * 2 ** k;
    for (let i = 0; i < out.data.length; i++) out.data[i] = out.data[i]! + w * term.data[i]!;
  }
  return out;
}

function minusIdentity(a: Matrix): Matrix {
  const n = a.rows;
  const out = matrix(n, n, a.data.slice());
  for (let i = 0; i < n; i++) out.data[i * n + i] = out.data[i * n + i]! - 1;
  return out;
}

/**
 * The smallest m ≤ 16 whose Gauss–Legendre error bound (see the module comment) at x = ‖X‖₁ is at
 * most ε·x/2.
 */
export function padeDegree(x: number): number {
  if (x === 0) return 1;
  for (let m = 1; m <= MAX_DEGREE; m++) {
    // log of (m!)⁴ / ((2m+1)·((2m)!)²)
    let logC = -Math.log(2 * m + 1);
    for (let i = 1; i <= m; i++) logC += 4 * Math.log(i);
    for (let i = 1; i <= 2 * m; i++) logC -= 2 * Math.log(i);
    const logBound = logC + (2 * m + 1) * Math.log(x / (1 - x));
    if (logBound <= Math.log(EPS * x / 2)) return m;
  }
  throw new RangeError(
    `Cannot take the logarithm: ‖A^(1/2^k) − I‖₁ = ${x} is too large for a degree-16 Padé`,
  );
}

/** The m-point Gauss–Legendre rule on [0, 1]: nodes and weights (Newton's method on Pₘ). */
export function gaussLegendre(m: number): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(m);
  const weights = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    // Start from the Chebyshev-like approximation of the i-th root of Pₘ on [−1, 1].
    let z = Math.cos(Math.PI * (i + 0.75) / (m + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = z;
      for (let j = 2; j <= m; j++) {
        const p2 = ((2 * j - 1) * z * p1 - (j - 1) * p0) / j;
        p0 = p1;
        p1 = p2;
      }
      // Pₘ'(z) = m·(z·Pₘ − Pₘ₋₁)/(z² − 1)
      dp = m * (z * p1 - p0) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) <= 1e-16) break;
    }
    nodes[i] = (1 - z) / 2;
    weights[i] = 1 / ((1 - z * z) * dp * dp);
  }
  return { nodes, weights };
}
