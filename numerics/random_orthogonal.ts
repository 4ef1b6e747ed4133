/**
 * Random matrices from the project's seeded generator (`stages/data/random.ts`, so a seed gives the
 * same matrix on every machine): Gaussian matrices, and orthogonal matrices drawn from the Haar
 * measure, as QR of a Gaussian matrix with the signs of R's diagonal moved into Q (Mezzadri 2007).
 * Without that sign fix the distribution depends on the QR routine's sign convention and is not Haar.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../stages/data/random.ts";
 * import { identity, matmul, maxAbsDiff, transpose } from "./matrix.ts";
 * import { randomOrthogonal } from "./random_orthogonal.ts";
 *
 * const q = randomOrthogonal(4, new Rng(7));
 * assert.ok(maxAbsDiff(matmul(transpose(q), q), identity(4)) < 1e-12); // qᵀq = I to rounding
 * assert.deepEqual(randomOrthogonal(4, new Rng(7)), q); // the same q for seed 7 everywhere
 * ```
 *
 * @module
 */
import type { Rng } from "../stages/data/random.ts";
import { type Matrix, matrix } from "./matrix.ts";
import { qr } from "./qr.ts";

/** A rows×cols matrix of independent standard normal draws, filled row by row. */
export function gaussianMatrix(rows: number, cols: number, rng: Rng): Matrix {
  const out = matrix(rows, cols);
  for (let i = 0; i < out.data.length; i++) out.data[i] = rng.normal();
  return out;
}

/** An n×n orthogonal matrix from the Haar (uniform) distribution on O(n). */
export function randomOrthogonal(n: number, rng: Rng): Matrix {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot draw a random orthogonal ${n}×${n} matrix: n must be a positive integer`);
  }
  const { q, r } = qr(gaussianMatrix(n, n, rng));
  // Q·D with D = diag(sign Rᵢᵢ) makes R's diagonal positive, which makes the factorisation unique.
  for (let j = 0; j < n; j++) {
    if (r.data[j * n + j]! < 0) { for (let i = 0; i < n; i++) q.data[i * n + j] = -q.data[i * n + j]!; }
  }
  return q;
}
