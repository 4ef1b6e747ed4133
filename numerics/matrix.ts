/**
 * The dense matrix of `numerics/`: a row-major Float64Array with its shape, and the few helpers every
 * routine needs (products, transpose, norms, trace). Plain objects, not a class, so a matrix is as
 * easy to build from a fixture or a tensor's data as to pass to a routine; routines never modify their
 * arguments.
 *
 * @example
 * ```ts
 * const a = fromRows([[1, 2], [3, 4]]);
 * const b = matmul(a, transpose(a)); // [[5, 11], [11, 25]]
 * trace(b); // 30
 * norm(a, "fro"); // √30
 * ```
 *
 * @module
 */
import { gemm } from "./_gemm.ts";

/** A rows×cols matrix; element (i, j) is `data[i * cols + j]`. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/**
 * A rows×cols matrix over `data` (used as is when it is a Float64Array of the right length, else
 * copied), or of zeros when `data` is omitted.
 */
export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
    throw new RangeError(`Cannot make a ${rows}×${cols} matrix: the shape must be non-negative integers`);
  }
  if (data === undefined) return { rows, cols, data: new Float64Array(rows * cols) };
  if (data.length !== rows * cols) {
    throw new RangeError(
      `Cannot make a ${rows}×${cols} matrix from ${data.length} values: expected ${rows * cols}`,
    );
  }
  return { rows, cols, data: data instanceof Float64Array ? data : Float64Array.from(data) };
}

/** Whether `x` is a {@linkcode Matrix} (rather than a plain vector of numbers). */
export function isMatrix(x: Matrix | ArrayLike<number>): x is Matrix {
  return "rows" in x && "cols" in x && (x as Matrix).data instanceof Float64Array;
}

/** A matrix from its rows, e.g. `fromRows([[1, 2], [3, 4]])`; all rows must have the same length. */
export function fromRows(rows: ArrayLike<ArrayLike<number>>): Matrix {
  const cols = rows.length ? rows[0]!.length : 0;
  const out = matrix(rows.length, cols);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row.length !== cols) {
      throw new RangeError(`Cannot make a matrix: row ${i} has ${row.length} values, row 0 has ${cols}`);
    }
    for (let j = 0; j < cols; j++) out.data[i * cols + j] = row[j]!;
  }
  return out;
}

/** The rows as plain arrays (for printing and JSON). */
export function toRows(a: Matrix): number[][] {
  return Array.from({ length: a.rows }, (_, i) => Array.from(a.data.subarray(i * a.cols, (i + 1) * a.cols)));
}

/** The n×n identity. */
export function identity(n: number): Matrix {
  const out = matrix(n, n);
  for (let i = 0; i < n; i++) out.data[i * n + i] = 1;
  return out;
}

/** The square matrix with `values` on its diagonal. */
export function diagonalMatrix(values: ArrayLike<number>): Matrix {
  const n = values.length;
  const out = matrix(n, n);
  for (let i = 0; i < n; i++) out.data[i * n + i] = values[i]!;
  return out;
}

/** The main diagonal (min(rows, cols) values). */
export function diagonal(a: Matrix): Float64Array {
  const k = Math.min(a.rows, a.cols);
  return Float64Array.from({ length: k }, (_, i) => a.data[i * a.cols + i]!);
}

/** A copy that shares no storage with `a`. */
export function copy(a: Matrix): Matrix {
  return { rows: a.rows, cols: a.cols, data: a.data.slice() };
}

/** Aᵀ (blocked, so that both the reads and the writes stay within a few cache lines). */
export function transpose(a: Matrix): Matrix {
  const { rows, cols } = a;
  const src = a.data;
  const out = new Float64Array(rows * cols);
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(rows, i0 + B);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(cols, j0 + B);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) out[j * rows + i] = src[i * cols + j]!;
    }
  }
  return { rows: cols, cols: rows, data: out };
}

/** The product A·B (about 4–6 GFLOP/s for 1024² on one core here; see `_gemm.ts`). */
export function matmul(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) {
    throw new RangeError(`Cannot multiply a ${a.rows}×${a.cols} matrix by a ${b.rows}×${b.cols} one`);
  }
  const out = matrix(a.rows, b.cols);
  gemm(a.rows, b.cols, a.cols, 1, a.data, 0, a.cols, b.data, 0, b.cols, out.data, 0, b.cols);
  return out;
}

/** The product A·x of a matrix and a vector (four rows per pass, sharing each load of x). */
export function matvec(a: Matrix, x: ArrayLike<number>): Float64Array {
  if (x.length !== a.cols) {
    throw new RangeError(`Cannot multiply a ${a.rows}×${a.cols} matrix by a vector of ${x.length}`);
  }
  const { rows, cols, data } = a;
  const out = new Float64Array(rows);
  let i = 0;
  for (; i + 3 < rows; i += 4) {
    const r0 = i * cols, r1 = r0 + cols, r2 = r1 + cols, r3 = r2 + cols;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let j = 0; j < cols; j++) {
      const xj = x[j]!;
      s0 += data[r0 + j]! * xj;
      s1 += data[r1 + j]! * xj;
      s2 += data[r2 + j]! * xj;
      s3 += data[r3 + j]! * xj;
    }
    out[i] = s0;
    out[i + 1] = s1;
    out[i + 2] = s2;
    out[i + 3] = s3;
  }
  for (; i < rows; i++) {
    let s = 0;
    const r = i * cols;
    for (let j = 0; j < cols; j++) s += data[r + j]! * x[j]!;
    out[i] = s;
  }
  return out;
}

/** The product Aᵀ·x, without forming Aᵀ (four rows of A per pass over the output, read in order). */
export function matvecTransposed(a: Matrix, x: ArrayLike<number>): Float64Array {
  if (x.length !== a.rows) {
    throw new RangeError(
      `Cannot multiply the transpose of a ${a.rows}×${a.cols} matrix by a vector of ${x.length}`,
    );
  }
  const { rows, cols, data } = a;
  const out = new Float64Array(cols);
  let i = 0;
  for (; i + 3 < rows; i += 4) {
    const r0 = i * cols, r1 = r0 + cols, r2 = r1 + cols, r3 = r2 + cols;
    const x0 = x[i]!, x1 = x[i + 1]!, x2 = x[i + 2]!, x3 = x[i + 3]!;
    for (let j = 0; j < cols; j++) {
      out[j] = out[j]! + (x0 * data[r0 + j]! + x1 * data[r1 + j]! + x2 * data[r2 + j]! + x3 * data[r3 + j]!);
    }
  }
  for (; i < rows; i++) {
    const xi = x[i]!;
    const r = i * cols;
    for (let j = 0; j < cols; j++) out[j] = out[j]! + xi * data[r + j]!;
  }
  return out;
}

function sameShape(a: Matrix, b: Matrix, what: string): void {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new RangeError(`Cannot ${what} a ${a.rows}×${a.cols} and a ${b.rows}×${b.cols} matrix`);
  }
}

/** α·A + β·B, elementwise (`add(a, b)` is A + B, `add(a, b, 1, -1)` is A − B). */
export function add(a: Matrix, b: Matrix, alpha = 1, beta = 1): Matrix {
  sameShape(a, b, "add");
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = alpha * a.data[i]! + beta * b.data[i]!;
  return { rows: a.rows, cols: a.cols, data: out };
}

/** α·A. */
export function scale(a: Matrix, alpha: number): Matrix {
  return { rows: a.rows, cols: a.cols, data: a.data.map((v) => alpha * v) };
}

/** The sum of the diagonal of a square matrix. */
export function trace(a: Matrix): number {
  assertSquare(a, "take the trace of");
  let s = 0;
  for (let i = 0; i < a.rows; i++) s += a.data[i * a.cols + i]!;
  return s;
}

/**
 * A matrix norm: "fro" (Frobenius, the default; scaled so it neither over- nor underflows), 1 (largest
 * column absolute sum), "inf" (largest row absolute sum) or "max" (largest absolute entry). The
 * spectral norm is `singularValues(a)[0]` (svd.ts) or `largestSingularValue` (power_iteration.ts).
 */
export function norm(a: Matrix, kind: "fro" | 1 | "inf" | "max" = "fro"): number {
  const { rows, cols, data } = a;
  if (kind === "max") {
    let m = 0;
    for (let i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i]!));
    return m;
  }
  if (kind === "fro") {
    let scaleF = 0;
    for (let i = 0; i < data.length; i++) scaleF = Math.max(scaleF, Math.abs(data[i]!));
    if (scaleF === 0 || !Number.isFinite(scaleF)) return scaleF;
    let s = 0;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]! / scaleF;
      s += v * v;
    }
    return scaleF * Math.sqrt(s);
  }
  if (kind === 1) {
    const sums = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) sums[j] = sums[j]! + Math.abs(data[i * cols + j]!);
    }
    return sums.reduce((m, v) => Math.max(m, v), 0);
  }
  let m = 0;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.abs(data[i * cols + j]!);
    m = Math.max(m, s);
  }
  return m;
}

/** The largest absolute difference between corresponding entries (shapes must agree). */
export function maxAbsDiff(a: Matrix, b: Matrix): number {
  sameShape(a, b, "compare");
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

/**
 * Throws unless `a` is square; `what` completes "Cannot … a 3×4 matrix", so the message names the
 * operation. Returns n.
 */
export function assertSquare(a: Matrix, what: string): number {
  if (a.rows !== a.cols) {
    throw new RangeError(`Cannot ${what} a ${a.rows}×${a.cols} matrix: it must be square`);
  }
  return a.rows;
}

/** Throws, naming the first offending entry, unless every entry of `a` is finite. */
export function assertFinite(a: Matrix, what: string): void {
  const d = a.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) {
      throw new RangeError(
        `Cannot ${what} the matrix: entry (${Math.floor(i / a.cols)}, ${i % a.cols}) is ${d[i]}`,
      );
    }
  }
}
