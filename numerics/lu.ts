/**
 * LU factorisation with partial pivoting, P·A = L·U, and what it gives: determinants (`det`,
 * `slogdet`), linear solves and the inverse. Blocked right-looking (LAPACK's dgetrf order): a panel of
 * 64 columns is factored with row operations, then the trailing matrix is updated by one matrix
 * product, so most of the 2n³/3 flops run in the fast kernel. Row exchanges pick the first entry of
 * largest magnitude, as LAPACK does, so factors match SciPy's up to rounding.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { slogdet, solve } from "./lu.ts";
 * import { fromRows } from "./matrix.ts";
 *
 * const a = fromRows([[0, 2], [3, 4]]); // needs a row exchange: a₀₀ = 0
 * const { sign, logAbsDet } = slogdet(a); // det a = −6
 * assert.equal(sign, -1);
 * assert.ok(Math.abs(logAbsDet - Math.log(6)) < 1e-12);
 * assert.deepEqual(solve(a, [2, 7]), Float64Array.of(1, 1));
 * ```
 *
 * @module
 */
import { gemm } from "./_gemm.ts";
import { assertFinite, assertSquare, identity, isMatrix, type Matrix, matrix } from "./matrix.ts";
import { solveTriangular } from "./triangular.ts";

/** The factorisation P·A = L·U of an n×n matrix. */
export interface LuDecomposition {
  n: number;
  /** L (strictly below the diagonal; its unit diagonal is implied) and U (on and above it), packed. */
  lu: Matrix;
  /** Row i of P·A is row `perm[i]` of A. */
  perm: Int32Array;
  /** The permutation's sign, det P = ±1. */
  sign: 1 | -1;
  /** The first column whose pivot is exactly zero (A is singular), or -1. */
  zeroPivot: number;
}

const PANEL = 64;

/** Factors the square matrix `a` (not modified). Never throws for a singular matrix: see `zeroPivot`. */
export function lu(a: Matrix): LuDecomposition {
  const n = assertSquare(a, "LU-factor");
  assertFinite(a, "LU-factor");
  const A = a.data.slice();
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  let sign: 1 | -1 = 1;
  let zeroPivot = -1;
  for (let k0 = 0; k0 < n; k0 += PANEL) {
    const k1 = Math.min(n, k0 + PANEL);
    // Factor the panel A[k0:n, k0:k1]; row exchanges move whole rows.
    for (let k = k0; k < k1; k++) {
      let p = k;
      let best = Math.abs(A[k * n + k]!);
      for (let i = k + 1; i < n; i++) {
        const v = Math.abs(A[i * n + k]!);
        if (v > best) {
          best = v;
          p = i;
        }
      }
      if (p !== k) {
        const rk = k * n, rp = p * n;
        for (let j = 0; j < n; j++) {
          const t = A[rk + j]!;
          A[rk + j] = A[rp + j]!;
          A[rp + j] = t;
        }
        const t = perm[k]!;
        perm[k] = perm[p]!;
        perm[p] = t;
        sign = sign === 1 ? -1 : 1;
      }
      const pivot = A[k * n + k]!;
      if (pivot === 0) {
        // The whole column below is zero too: nothing to eliminate.
        if (zeroPivot < 0) zeroPivot = k;
        continue;
      }
      const rk = k * n;
      for (let i = k + 1; i < n; i++) {
        const ri = i * n;
        const l = A[ri + k]! / pivot;
        A[ri + k] = l;
        if (l === 0) continue;
        for (let j = k + 1; j < k1; j++) A[ri + j] = A[ri + j]! - l * A[rk + j]!;
      }
    }
    if (k1 === n) break;
    // U12 = L11⁻¹ A12 (rows k0:k1, columns k1:n).
    for (let k = k0; k < k1; k++) {
      const rk = k * n;
      for (let i = k + 1; i < k1; i++) {
        const ri = i * n;
        const l = A[ri + k]!;
        if (l === 0) continue;
        for (let j = k1; j < n; j++) A[ri + j] = A[ri + j]! - l * A[rk + j]!;
      }
    }
    // A22 -= L21 · U12.
    gemm(n - k1, n - k1, k1 - k0, -1, A, k1 * n + k0, n, A, k0 * n + k1, n, A, k1 * n + k1, n);
  }
  return { n, lu: matrix(n, n, A), perm, sign, zeroPivot };
}

/**
 * The factors in SciPy's convention, A = P·L·U (`scipy.linalg.lu`): P a permutation matrix, L unit
 * lower triangular, U upper triangular.
 */
export function luFactors(f: LuDecomposition): { p: Matrix; l: Matrix; u: Matrix } {
  const { n } = f;
  const p = matrix(n, n);
  const l = identity(n);
  const u = matrix(n, n);
  for (let i = 0; i < n; i++) {
    p.data[f.perm[i]! * n + i] = 1;
    for (let j = 0; j < n; j++) {
      const v = f.lu.data[i * n + j]!;
      if (j < i) l.data[i * n + j] = v;
      else u.data[i * n + j] = v;
    }
  }
  return { p, l, u };
}

/** Solves A·x = b (or Aᵀ·x = b with `transpose`) from A's factorisation; throws if A is singular. */
export function luSolve(
  f: LuDecomposition,
  b: ArrayLike<number>,
  options?: { transpose?: boolean },
): Float64Array;
/** Solves A·X = B (or Aᵀ·X = B) for the columns of B. */
export function luSolve(f: LuDecomposition, b: Matrix, options?: { transpose?: boolean }): Matrix;
export function luSolve(
  f: LuDecomposition,
  b: Matrix | ArrayLike<number>,
  options: { transpose?: boolean } = {},
): Matrix | Float64Array {
  const { n, perm } = f;
  if (f.zeroPivot >= 0) {
    throw new RangeError(
      `Cannot solve: the ${n}×${n} matrix is singular (LU pivot ${f.zeroPivot} is exactly zero)`,
    );
  }
  const rhs: Matrix = isMatrix(b) ? b : matrix(b.length, 1, b);
  if (rhs.rows !== n) {
    throw new RangeError(
      `Cannot solve: the matrix is ${n}×${n} but the right-hand side has ${rhs.rows} rows`,
    );
  }
  const k = rhs.cols;
  let x: Matrix;
  if (!options.transpose) {
    // P·A = L·U, so A·X = B is L·U·X = P·B.
    const pb = matrix(n, k);
    for (let i = 0; i < n; i++) pb.data.set(rhs.data.subarray(perm[i]! * k, (perm[i]! + 1) * k), i * k);
    const y = solveTriangular(f.lu, pb, { lower: true, unitDiagonal: true });
    x = solveTriangular(f.lu, y, { lower: false });
  } else {
    // Aᵀ = Uᵀ·Lᵀ·P, so Aᵀ·X = B is Uᵀ·Lᵀ·(P·X) = B.
    const z = solveTriangular(f.lu, rhs, { lower: false, transpose: true });
    const w = solveTriangular(f.lu, z, { lower: true, unitDiagonal: true, transpose: true });
    x = matrix(n, k);
    for (let i = 0; i < n; i++) x.data.set(w.data.subarray(i * k, (i + 1) * k), perm[i]! * k);
  }
  return isMatrix(b) ? x : x.data;
}

/** Solves A·x = b (vector) or A·X = B (matrix); throws if A is singular. */
export function solve(a: Matrix, b: ArrayLike<number>): Float64Array;
export function solve(a: Matrix, b: Matrix): Matrix;
export function solve(a: Matrix, b: Matrix | ArrayLike<number>): Matrix | Float64Array {
  const f = lu(a);
  return isMatrix(b) ? luSolve(f, b) : luSolve(f, b);
}

/** A⁻¹; throws if A is singular. */
export function inverse(a: Matrix): Matrix {
  return luSolve(lu(a), identity(assertSquare(a, "invert")));
}

/** det A, the product of U's diagonal and P's sign (may over- or underflow; see `slogdet`). */
export function det(a: Matrix): number {
  const f = lu(a);
  let d: number = f.sign;
  for (let i = 0; i < f.n; i++) d *= f.lu.data[i * f.n + i]!;
  return d;
}

/**
 * det A as sign · exp(logAbsDet), which neither over- nor underflows (`numpy.linalg.slogdet`). For a
 * singular matrix, sign 0 and logAbsDet −∞.
 */
export function slogdet(a: Matrix): { sign: number; logAbsDet: number } {
  return slogdetOf(lu(a));
}

/** `slogdet` from an existing factorisation. */
export function slogdetOf(f: LuDecomposition): { sign: number; logAbsDet: number } {
  if (f.zeroPivot >= 0) return { sign: 0, logAbsDet: -Infinity };
  let sign: number = f.sign;
  let logAbsDet = 0;
  for (let i = 0; i < f.n; i++) {
    const u = f.lu.data[i * f.n + i]!;
    if (u < 0) sign = -sign;
    logAbsDet += Math.log(Math.abs(u));
  }
  return { sign, logAbsDet };
}
