/**
 * Triangular solves T·X = B (forward or back substitution), for one right-hand side or many. Blocks of
 * 64 rows: the work outside the diagonal blocks goes through the matrix-product kernel, which is what
 * makes `inverse` of a 1024² matrix take a second rather than several.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows } from "./matrix.ts";
 * import { solveTriangular } from "./triangular.ts";
 *
 * const l = fromRows([[2, 0], [1, 1]]);
 * assert.deepEqual(solveTriangular(l, [4, 3], { lower: true }), Float64Array.of(2, 1));
 * ```
 *
 * @module
 */
import { gemm } from "./_gemm.ts";
import { assertSquare, isMatrix, type Matrix, transpose } from "./matrix.ts";

/** Which triangle of T holds the system, and how to read it. */
export interface TriangularOptions {
  /** true: T is lower triangular (only its lower triangle is read); false: upper. */
  lower: boolean;
  /** Take the diagonal as ones without reading it (the L of an LU factorisation). */
  unitDiagonal?: boolean;
  /** Solve Tᵀ·X = B instead. */
  transpose?: boolean;
}

const BLOCK = 64;

/** Solves T·x = b for a vector b. Throws, naming the index, on a zero diagonal entry. */
export function solveTriangular(t: Matrix, b: ArrayLike<number>, options: TriangularOptions): Float64Array;
/** Solves T·X = B for the columns of B (n×k). */
export function solveTriangular(t: Matrix, b: Matrix, options: TriangularOptions): Matrix;
export function solveTriangular(
  t: Matrix,
  b: Matrix | ArrayLike<number>,
  options: TriangularOptions,
): Matrix | Float64Array {
  const n = assertSquare(t, "solve a triangular system with");
  const asMatrix = isMatrix(b);
  const k = asMatrix ? b.cols : 1;
  const rows = asMatrix ? b.rows : b.length;
  if (rows !== n) {
    throw new RangeError(
      `Cannot solve a triangular system: the matrix is ${n}×${n} but the right-hand side has ${rows} rows`,
    );
  }
  const x = Float64Array.from(asMatrix ? b.data : b);
  // Tᵀ of a lower triangle is an upper one: transposing costs O(n²), the solve O(n²k).
  const tt = options.transpose ? transpose(t) : t;
  const lower = options.transpose ? !options.lower : options.lower;
  const unit = options.unitDiagonal ?? false;
  if (!unit) {
    for (let i = 0; i < n; i++) {
      if (tt.data[i * n + i] === 0) {
        throw new RangeError(`Cannot solve the triangular system: diagonal entry (${i}, ${i}) is zero`);
      }
    }
  }
  if (lower) forward(tt.data, n, x, k, unit);
  else backward(tt.data, n, x, k, unit);
  return asMatrix ? { rows: n, cols: k, data: x } : x;
}

/** In place: rows of X (n×k) become L⁻¹·X. */
function forward(t: Float64Array, n: number, x: Float64Array, k: number, unit: boolean): void {
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const i1 = Math.min(n, i0 + BLOCK);
    // X[i0:i1] -= T[i0:i1, 0:i0] · X[0:i0]
    if (i0 > 0) gemm(i1 - i0, k, i0, -1, t, i0 * n, n, x, 0, k, x, i0 * k, k);
    for (let i = i0; i < i1; i++) {
      const xi = i * k;
      for (let j = i0; j < i; j++) {
        const l = t[i * n + j]!;
        if (l === 0) continue;
        const xj = j * k;
        for (let c = 0; c < k; c++) x[xi + c] = x[xi + c]! - l * x[xj + c]!;
      }
      if (!unit) {
        const d = t[i * n + i]!;
        for (let c = 0; c < k; c++) x[xi + c] = x[xi + c]! / d;
      }
    }
  }
}

/** In place: rows of X (n×k) become U⁻¹·X. */
function backward(t: Float64Array, n: number, x: Float64Array, k: number, unit: boolean): void {
  const blocks = Math.ceil(n / BLOCK);
  for (let b = blocks - 1; b >= 0; b--) {
    const i0 = b * BLOCK;
    const i1 = Math.min(n, i0 + BLOCK);
    // X[i0:i1] -= T[i0:i1, i1:n] · X[i1:n]
    if (i1 < n) gemm(i1 - i0, k, n - i1, -1, t, i0 * n + i1, n, x, i1 * k, k, x, i0 * k, k);
    for (let i = i1 - 1; i >= i0; i--) {
      const xi = i * k;
      for (let j = i + 1; j < i1; j++) {
        const u = t[i * n + j]!;
        if (u === 0) continue;
        const xj = j * k;
        for (let c = 0; c < k; c++) x[xi + c] = x[xi + c]! - u * x[xj + c]!;
      }
      if (!unit) {
        const d = t[i * n + i]!;
        for (let c = 0; c < k; c++) x[xi + c] = x[xi + c]! / d;
      }
    }
  }
}
