import assert from "node:assert/strict";
import { Rng } from "../stages/data/random.ts";
import { add, diagonalMatrix, fromRows, identity, matmul, matrix, norm, scale, transpose } from "./matrix.ts";
import { gaussianMatrix } from "./random_orthogonal.ts";
import { sqrtm } from "./sqrtm.ts";
import { symmetricEigen } from "./sym_eigen.ts";

const EPS = 2 ** -52;

const relativeError = (x: ReturnType<typeof matrix>, ref: ReturnType<typeof matrix>) =>
  norm(add(x, ref, 1, -1)) / norm(ref);

Deno.test("the module example", () => {
  const r = sqrtm(fromRows([[4, 0], [0, 9]])); // [[2, 0], [0, 3]]
  assert.ok(relativeError(r, fromRows([[2, 0], [0, 3]])) < 8 * EPS);
});

Deno.test("sqrtm(A)² = A to the residual floor n·ε·‖X‖²/‖A‖, n up to 120", () => {
  const rng = new Rng(60);
  for (const n of [1, 2, 10, 50, 120]) {
    const a = add(scale(gaussianMatrix(n, n, rng), 1 / Math.sqrt(n)), identity(n), 1, 2);
    const x = sqrtm(a);
    // The best residual a computed square root can have (Higham, "Functions of Matrices", §6.1).
    const floor = 4 * n * EPS * norm(x) ** 2 / norm(a);
    assert.ok(relativeError(matmul(x, x), a) <= floor, `n = ${n}`);
  }
});

Deno.test("sqrtm() of SPD matrices equals V·√Λ·Vᵀ, within the conditioning √κ₂/2", () => {
  const rng = new Rng(61);
  const g = gaussianMatrix(30, 30, rng);
  const a = add(matmul(g, transpose(g)), identity(30), 1, 0.01);
  const { values, vectors } = symmetricEigen(a);
  const v = matrix(30, 30, vectors!);
  const closed = matmul(matmul(v, diagonalMatrix(values.map(Math.sqrt))), transpose(v));
  const kappa = values[29]! / values[0]!;
  assert.ok(relativeError(sqrtm(a), closed) <= 2 * 30 * EPS * (1 + Math.sqrt(kappa) / 2));
});

Deno.test("sqrtm() of a rotation halves the angle; of a Jordan block, the binomial series", () => {
  for (const theta of [0.3, 2, 3]) {
    const r = sqrtm(fromRows([[Math.cos(theta), -Math.sin(theta)], [Math.sin(theta), Math.cos(theta)]]));
    const h = theta / 2;
    const expected = fromRows([[Math.cos(h), -Math.sin(h)], [Math.sin(h), Math.cos(h)]]);
    // κ of the root at eigenvalues e^(±iθ): ‖A‖/(|λ₁^½ + λ₂^½|·‖A^½‖) = 1/(2cos(θ/2)).
    assert.ok(relativeError(r, expected) <= 2 * 2 * EPS * (1 + 1 / (2 * Math.cos(h))), `θ = ${theta}`);
  }
  // (λI + N)^½ = Σₖ C(½, k)·λ^(½−k)·Nᵏ for the 4×4 Jordan block with λ = 4.
  const n = 4;
  const jordan = add(
    scale(identity(n), 4),
    fromRows([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]]),
  );
  const closed = matrix(n, n);
  let binomial = 1;
  for (let k = 0; k < n; k++) {
    if (k > 0) binomial *= (0.5 - (k - 1)) / k;
    for (let i = 0; i + k < n; i++) closed.data[i * n + i + k] = binomial * 4 ** (0.5 - k);
  }
  assert.ok(relativeError(sqrtm(jordan), closed) <= 2 * n * EPS * 4);
});

Deno.test("sqrtm() says why when no real principal root exists", () => {
  assert.throws(() => sqrtm(diagonalMatrix([-4, 1])), /closed negative real axis/);
  assert.throws(() => sqrtm(scale(identity(3), -1)), /closed negative real axis/);
  assert.throws(
    () => sqrtm(fromRows([[1, 2], [2, 4]])),
    /Cannot take the square root of the 2×2 matrix: it is singular/,
  );
  assert.throws(() => sqrtm(matrix(1, 2)), /it must be square/);
});
