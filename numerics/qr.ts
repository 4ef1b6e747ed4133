/**
 * QR factorisation by Householder reflections, A = Q·R, blocked as LAPACK's dgeqrf/dorgqr: panels of
 * 32 columns are reduced one reflector at a time, then their product I − V·T·Vᵀ (compact WY form) is
 * applied to the rest of the matrix with matrix products. Reflectors follow LAPACK's dlarfg (R's
 * diagonal gets the sign opposite to the column's leading entry), so Q and R match
 * `scipy.linalg.qr` up to rounding, signs included.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, matmul, maxAbsDiff } from "./matrix.ts";
 * import { qr } from "./qr.ts";
 *
 * const a = fromRows([[3, 1], [4, 2]]);
 * const { q, r } = qr(a);
 * assert.ok(maxAbsDiff(r, fromRows([[-5, -2.2], [0, 0.4]])) < 1e-12); // LAPACK's signs: r₀₀ < 0 as a₀₀ > 0
 * assert.ok(maxAbsDiff(matmul(q, r), a) < 1e-12);
 * ```
 *
 * @module
 */
import { gemm } from "./_gemm.ts";
import { assertFinite, type Matrix, matrix } from "./matrix.ts";

/** A = Q·R with orthonormal columns in Q and R upper triangular (trapezoidal when not square). */
export interface QrDecomposition {
  q: Matrix;
  r: Matrix;
}

/**
 * `reduced` (default, SciPy's "economic"): Q is m×k and R k×n with k = min(m, n). `complete`
 * (SciPy's "full"): Q is m×m and R m×n. `r`: only R (k×n), skipping the cost of forming Q.
 */
export type QrMode = "reduced" | "complete" | "r";

const NB = 32;

/** Factors the m×n matrix `a` (not modified). */
export function qr(a: Matrix, options: { mode?: "reduced" | "complete" }): QrDecomposition;
export function qr(a: Matrix, options: { mode: "r" }): { r: Matrix };
export function qr(a: Matrix): QrDecomposition;
export function qr(a: Matrix, options: { mode?: QrMode } = {}): QrDecomposition | { r: Matrix } {
  const mode = options.mode ?? "reduced";
  assertFinite(a, "QR-factor");
  const { rows: m, cols: n } = a;
  const k = Math.min(m, n);
  const A = a.data.slice();
  const tau = new Float64Array(k);
  const Ts: Float64Array[] = [];
  for (let k0 = 0; k0 < k; k0 += NB) {
    const k1 = Math.min(k, k0 + NB);
    for (let j = k0; j < k1; j++) {
      tau[j] = householder(A, n, m, j, j);
      applyReflector(A, n, m, j, j, tau[j]!, j + 1, k1);
    }
    const T = triangularFactor(A, n, m, k0, k1, tau);
    Ts.push(T);
    if (k1 < n) applyBlock(A, n, m, k0, k1, T, true, A, n, k1, n);
  }
  const rRows = mode === "complete" ? m : k;
  const r = matrix(rRows, n);
  for (let i = 0; i < Math.min(rRows, k); i++) {
    for (let j = i; j < n; j++) r.data[i * n + j] = A[i * n + j]!;
  }
  if (mode === "r") return { r };
  const qCols = mode === "complete" ? m : k;
  const Q = new Float64Array(m * qCols);
  for (let i = 0; i < qCols; i++) Q[i * qCols + i] = 1;
  // Q = H₀·H₁⋯H_{k−1}·I, accumulated backwards so each block touches only rows and columns ≥ k0.
  for (let b = Ts.length - 1; b >= 0; b--) {
    const k0 = b * NB;
    const k1 = Math.min(k, k0 + NB);
    applyBlock(A, n, m, k0, k1, Ts[b]!, false, Q, qCols, k0, qCols);
  }
  return { q: matrix(m, qCols, Q), r };
}

/**
 * Generates the reflector H = I − τ·v·vᵀ that maps column `col` of A, rows row…m−1, onto a multiple
 * of e₁ (LAPACK's dlarfg): writes β into A[row, col] and v (with v₀ = 1 implied) below it; returns τ.
 */
function householder(A: Float64Array, ld: number, m: number, row: number, col: number): number {
  const alpha = A[row * ld + col]!;
  let amax = 0;
  for (let i = row + 1; i < m; i++) amax = Math.max(amax, Math.abs(A[i * ld + col]!));
  if (amax === 0) return 0;
  let ss = 0;
  for (let i = row + 1; i < m; i++) {
    const v = A[i * ld + col]! / amax;
    ss += v * v;
  }
  const xnorm = amax * Math.sqrt(ss);
  const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, xnorm);
  const tau = (beta - alpha) / beta;
  const s = 1 / (alpha - beta);
  for (let i = row + 1; i < m; i++) A[i * ld + col] = A[i * ld + col]! * s;
  A[row * ld + col] = beta;
  return tau;
}

/** Applies H = I − τ·v·vᵀ (v stored in column `col` from row `row`, v₀ = 1) to A[row:m, c0:c1]. */
function applyReflector(
  A: Float64Array,
  ld: number,
  m: number,
  row: number,
  col: number,
  tau: number,
  c0: number,
  c1: number,
): void {
  if (tau === 0 || c0 >= c1) return;
  const w = new Float64Array(c1 - c0);
  for (let j = c0; j < c1; j++) w[j - c0] = A[row * ld + j]!;
  for (let i = row + 1; i < m; i++) {
    const vi = A[i * ld + col]!;
    if (vi === 0) continue;
    const ri = i * ld;
    for (let j = c0; j < c1; j++) w[j - c0] = w[j - c0]! + vi * A[ri + j]!;
  }
  for (let j = c0; j < c1; j++) A[row * ld + j] = A[row * ld + j]! - tau * w[j - c0]!;
  for (let i = row + 1; i < m; i++) {
    const f = tau * A[i * ld + col]!;
    if (f === 0) continue;
    const ri = i * ld;
    for (let j = c0; j < c1; j++) A[ri + j] = A[ri + j]! - f * w[j - c0]!;
  }
}

/**
 * The nb×nb upper triangular T with H_{k0}⋯H_{k1−1} = I − V·T·Vᵀ (LAPACK's dlarft, forward,
 * columnwise), V being the reflectors of columns k0…k1−1.
 */
function triangularFactor(A: Float64Array, ld: number, m: number, k0: number, k1: number, tau: Float64Array) {
  const nb = k1 - k0;
  const T = new Float64Array(nb * nb);
  const t = new Float64Array(nb);
  for (let j = 0; j < nb; j++) {
    const cj = k0 + j;
    const tj = tau[cj]!;
    T[j * nb + j] = tj;
    if (j === 0 || tj === 0) continue;
    // t = V[:, 0:j]ᵀ v_j, over rows cj… (v_j is zero above row cj and one at row cj).
    t.fill(0, 0, j);
    for (let p = 0; p < j; p++) t[p] = A[cj * ld + k0 + p]!;
    for (let i = cj + 1; i < m; i++) {
      const vi = A[i * ld + cj]!;
      if (vi === 0) continue;
      for (let p = 0; p < j; p++) t[p] = t[p]! + A[i * ld + k0 + p]! * vi;
    }
    // T[0:j, j] = −τ_j · T[0:j, 0:j] · t
    for (let p = 0; p < j; p++) {
      let s = 0;
      for (let q = p; q < j; q++) s += T[p * nb + q]! * t[q]!;
      T[p * nb + j] = -tj * s;
    }
  }
  return T;
}

/**
 * C[k0:m, c0:c1] ← (I − V·op(T)·Vᵀ)·C[k0:m, c0:c1] with op(T) = Tᵀ when `transposeT` (applying
 * Qᵀ of the block, to reduce A) and T otherwise (building Q). V is read from A's columns k0…k1−1.
 */
function applyBlock(
  A: Float64Array,
  ld: number,
  m: number,
  k0: number,
  k1: number,
  T: Float64Array,
  transposeT: boolean,
  C: Float64Array,
  ldc: number,
  c0: number,
  c1: number,
): void {
  const nb = k1 - k0;
  const rows = m - k0;
  const cols = c1 - c0;
  if (cols <= 0 || rows <= 0) return;
  // V (rows×nb, unit lower trapezoidal) and Vᵀ as contiguous copies, for the matrix-product kernel.
  const V = new Float64Array(rows * nb);
  const Vt = new Float64Array(nb * rows);
  for (let i = 0; i < rows; i++) {
    for (let p = 0; p < nb; p++) {
      const v = i === p ? 1 : i > p ? A[(k0 + i) * ld + k0 + p]! : 0;
      V[i * nb + p] = v;
      Vt[p * rows + i] = v;
    }
  }
  const W = new Float64Array(nb * cols);
  gemm(nb, cols, rows, 1, Vt, 0, rows, C, k0 * ldc + c0, ldc, W, 0, cols);
  const opT = new Float64Array(nb * nb);
  for (let p = 0; p < nb; p++) {
    for (let q = 0; q < nb; q++) opT[p * nb + q] = transposeT ? T[q * nb + p]! : T[p * nb + q]!;
  }
  const W2 = new Float64Array(nb * cols);
  gemm(nb, cols, nb, 1, opT, 0, nb, W, 0, cols, W2, 0, cols);
  gemm(rows, cols, nb, -1, V, 0, nb, W2, 0, cols, C, k0 * ldc + c0, ldc);
}
