/**
 * The matrices the identities are checked on, each family seeded and of any size n:
 *
 * - `gaussian`: G/√n, eigenvalues filling the unit disc (complex pairs), mildly non-normal.
 * - `wide-spectrum`: Q·diag(d)·Qᵀ with d uniform in [−L, L]: normal, but exp A has κ₂ = e^(2·max|d|).
 * - `non-normal`: Q·T·Qᵀ with T upper triangular (diagonal uniform in [−1, 1], strict upper part 3·G/√n): a
 *   departure from normality ‖N‖_F ≈ 3·√(n/2) that grows with n.
 * - `ill-conditioned`: S·D·S⁻¹ with S = U·diag(κ^(−i/(n−1)))·Vᵀ (κ₂(S) = κ) and D diagonal, uniform in
 *   [−1, 1]: real eigenvalues, eigenvectors κ from orthogonal.
 *
 * @module
 */
import { type Rng } from "../../stages/data/random.ts";
import { solve } from "../../numerics/lu.ts";
import { add, diagonalMatrix, matmul, type Matrix, matrix, scale, transpose } from "../../numerics/matrix.ts";
import { gaussianMatrix, randomOrthogonal } from "../../numerics/random_orthogonal.ts";

export const FAMILIES = ["gaussian", "wide-spectrum", "non-normal", "ill-conditioned"] as const;
export type Family = (typeof FAMILIES)[number];

export interface FamilyOptions {
  /** Half-width L of the wide spectrum. */
  spread: number;
  /** κ₂(S) of the ill-conditioned similarity. */
  condition: number;
}

/** A·B·A⁻¹ without forming A⁻¹: the transpose of solve(Aᵀ, (A·B)ᵀ). */
export function similarity(s: Matrix, d: Matrix): Matrix {
  return transpose(solve(transpose(s), transpose(matmul(s, d))));
}

/** U·diag(κ^(−i/(n−1)))·Vᵀ with Haar U, V: condition number exactly κ, singular values spread evenly in log. */
export function conditionedMatrix(n: number, condition: number, rng: Rng): Matrix {
  const u = randomOrthogonal(n, rng), v = randomOrthogonal(n, rng);
  const s = Array.from({ length: n }, (_, i) => condition ** (n === 1 ? 0 : -i / (n - 1)));
  return matmul(matmul(u, diagonalMatrix(s)), transpose(v));
}

/** A matrix with the given real eigenvalues and eigenvector matrix of condition number `condition`. */
export function withEigenvalues(eigenvalues: readonly number[], condition: number, rng: Rng): Matrix {
  return similarity(conditionedMatrix(eigenvalues.length, condition, rng), diagonalMatrix(eigenvalues));
}

/** An n×n matrix of `family`. */
export function testMatrix(family: Family, n: number, rng: Rng, options: FamilyOptions): Matrix {
  switch (family) {
    case "gaussian":
      return scale(gaussianMatrix(n, n, rng), 1 / Math.sqrt(n));
    case "wide-spectrum": {
      const q = randomOrthogonal(n, rng);
      const d = Array.from({ length: n }, () => rng.uniform(-options.spread, options.spread));
      const qd = matmul(q, diagonalMatrix(d));
      // Symmetrise what rounding left, so that the matrix is exactly normal.
      const a = matmul(qd, transpose(q));
      return scale(add(a, transpose(a)), 0.5);
    }
    case "non-normal": {
      const t = matrix(n, n);
      for (let i = 0; i < n; i++) {
        t.data[i * n + i] = rng.uniform(-1, 1);
        for (let j = i + 1; j < n; j++) t.data[i * n + j] = (3 * rng.normal()) / Math.sqrt(n);
      }
      const q = randomOrthogonal(n, rng);
      return matmul(matmul(q, t), transpose(q));
    }
    case "ill-conditioned":
      return withEigenvalues(Array.from({ length: n }, () => rng.uniform(-1, 1)), options.condition, rng);
  }
}
