/**
 * Eigendecomposition of a real symmetric matrix: Householder reduction to tridiagonal form, then the
 * implicit QL algorithm (tred2 + tql2 from EISPACK, by way of JAMA). Float64, row-major, O(n³); about
 * 0.1 s for n = 256. Eigenvalues come back in ascending order (`numpy.linalg.eigh`'s order).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows } from "./matrix.ts";
 * import { symmetricEigen } from "./sym_eigen.ts";
 *
 * const { values, vectors } = symmetricEigen(fromRows([[2, 1], [1, 2]]));
 * assert.ok(Math.abs(values[0]! - 1) < 1e-12 && Math.abs(values[1]! - 3) < 1e-12); // ascending
 * // column 1 (entries 1 and 3 of the row-major n×n array) is the eigenvector of 3: ±(1, 1)/√2
 * assert.ok(vectors !== undefined && Math.abs(Math.abs(vectors[1]!) - Math.SQRT1_2) < 1e-12);
 * assert.ok(Math.abs(vectors[1]! - vectors[3]!) < 1e-12);
 * ```
 *
 * @module
 */
import { assertSquare, isMatrix, type Matrix } from "./matrix.ts";

/** Eigenvalues (ascending) and, when asked for, the eigenvectors as the columns of `vectors`. */
export interface SymmetricEigen {
  values: Float64Array;
  /** n×n row-major; column j is the eigenvector of `values[j]`. Absent when `vectors: false`. */
  vectors?: Float64Array;
}

/**
 * Eigendecomposition of the symmetric n×n matrix `a` (row-major; only its values are read, the lower
 * triangle is used). Pass `{ vectors: false }` when only eigenvalues are needed: about twice as fast.
 */
export function symmetricEigen(
  a: ArrayLike<number>,
  n: number,
  options?: { vectors?: boolean },
): SymmetricEigen;
/** The same for a {@linkcode Matrix} (which must be square). */
export function symmetricEigen(a: Matrix, options?: { vectors?: boolean }): SymmetricEigen;
export function symmetricEigen(
  input: ArrayLike<number> | Matrix,
  nOrOptions?: number | { vectors?: boolean },
  maybeOptions: { vectors?: boolean } = {},
): SymmetricEigen {
  if (isMatrix(input)) {
    const options = typeof nOrOptions === "object" ? nOrOptions : {};
    return symmetricEigenOf(input.data, assertSquare(input, "decompose"), options);
  }
  return symmetricEigenOf(input, nOrOptions as number, maybeOptions);
}

function symmetricEigenOf(a: ArrayLike<number>, n: number, options: { vectors?: boolean }): SymmetricEigen {
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`Cannot decompose a ${n}×${n} matrix: n must be a positive integer`);
  }
  if (a.length !== n * n) {
    throw new Error(`Cannot decompose matrix: expected ${n * n} values for ${n}×${n}, got ${a.length}`);
  }
  const wantVectors = options.vectors ?? true;
  const V = Float64Array.from(a);
  for (let i = 0; i < V.length; i++) {
    if (!Number.isFinite(V[i]!)) {
      throw new Error(`Cannot decompose matrix: entry (${Math.floor(i / n)}, ${i % n}) is ${V[i]}`);
    }
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(V, d, e, n, wantVectors);
  // QL rotates pairs of columns of V; on the transpose those are contiguous rows, which is 2–3× faster.
  const W = wantVectors ? transpose(V, n) : V;
  tql2(W, d, e, n, wantVectors);
  if (!wantVectors) return { values: d.slice().sort() };
  // Sort ascending; eigenvector j is row order[j] of W, stored as column j of the result.
  const order = Array.from(d.keys()).sort((i, j) => d[i]! - d[j]!);
  const values = Float64Array.from(order, (i) => d[i]!);
  const vectors = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    const row = order[c]! * n;
    for (let r = 0; r < n; r++) vectors[r * n + c] = W[row + r]!;
  }
  return { values, vectors };
}

/** Householder tridiagonalisation; V ends as the accumulated orthogonal transform (if `accumulate`). */
function tred2(V: Float64Array, d: Float64Array, e: Float64Array, n: number, accumulate: boolean): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      // Generate the Householder vector, scaled to avoid under- and overflow.
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      // Apply the similarity transformation to the remaining columns.
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        V[j * n + i] = f;
        g = e[j]! + V[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j]! * d[k]!;
          e[k] = e[k]! + V[k * n + j]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) V[k * n + j] = V[k * n + j]! - (f * e[k]! + g * d[k]!);
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations (skipped when only eigenvalues are wanted).
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i]!;
    V[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0 && accumulate) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1]! * V[k * n + j]!;
        for (let k = 0; k <= i; k++) V[k * n + j] = V[k * n + j]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j]!;
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

function transpose(a: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[j * n + i] = a[i * n + j]!;
  return out;
}

/** Implicit QL iterations on the tridiagonal (d, e); rotations are applied to the rows of W = Vᵀ. */
function tql2(W: Float64Array, d: Float64Array, e: Float64Array, n: number, accumulate: boolean): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > 100) {
          throw new Error(`Cannot decompose matrix: QL did not converge for eigenvalue ${l} of ${n}`);
        }
        // Implicit Wilkinson-like shift.
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1, c2 = 1, c3 = 1;
        const el1 = e[l + 1]!;
        let s = 0, s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          if (accumulate) {
            const lo = i * n, hi = (i + 1) * n;
            for (let k = 0; k < n; k++) {
              h = W[hi + k]!;
              W[hi + k] = s * W[lo + k]! + c * h;
              W[lo + k] = c * W[lo + k]! - s * h;
            }
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}
