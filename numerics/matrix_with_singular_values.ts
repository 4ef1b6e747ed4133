/**
 * A random matrix with prescribed singular values: U·diag(σ)·Vᵀ with U, V Haar-distributed orthogonal
 * matrices (random_orthogonal.ts), so the singular vectors are generic while the spectrum, and with it
 * every gap and condition number, is exactly what a test or an experiment asks for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../stages/data/random.ts";
 * import { matrixWithSingularValues } from "./matrix_with_singular_values.ts";
 * import { singularValues } from "./svd.ts";
 *
 * const a = matrixWithSingularValues(6, 3, [3, 2, 1], new Rng(1));
 * assert.ok(singularValues(a).every((s, i) => Math.abs(s - [3, 2, 1][i]!) < 1e-14));
 * ```
 *
 * @module
 */
import type { Rng } from "../stages/data/random.ts";
import { matmul, type Matrix, matrix, transpose } from "./matrix.ts";
import { randomOrthogonal } from "./random_orthogonal.ts";

/** A rows×cols matrix whose singular values are `sigma` (min(rows, cols) of them, any order, ≥ 0). */
export function matrixWithSingularValues(
  rows: number,
  cols: number,
  sigma: ArrayLike<number>,
  rng: Rng,
): Matrix {
  const k = Math.min(rows, cols);
  if (sigma.length !== k) {
    throw new RangeError(
      `Cannot make a ${rows}×${cols} matrix from ${sigma.length} singular values: give ${k}`,
    );
  }
  const s = matrix(rows, cols);
  for (let i = 0; i < k; i++) {
    if (!(sigma[i]! >= 0)) throw new RangeError(`Singular value ${i} is ${sigma[i]}: they must be ≥ 0`);
    s.data[i * cols + i] = sigma[i]!;
  }
  return matmul(matmul(randomOrthogonal(rows, rng), s), transpose(randomOrthogonal(cols, rng)));
}
