import assert from "node:assert/strict";
import { Rng } from "../stages/data/random.ts";
import { loadFixture } from "./fixtures/load_fixture.ts";
import { add, diagonalMatrix, fromRows, identity, matmul, matrix, norm, scale, transpose } from "./matrix.ts";
import { gaussianMatrix, randomOrthogonal } from "./random_orthogonal.ts";
import { singularValues, svd } from "./svd.ts";
import { symmetricEigen } from "./sym_eigen.ts";

const EPS = 2 ** -52;

/** U·diag(σ)·Vᵀ with Haar U (m×m) and V (n×n): a matrix whose singular values are σ to rounding. */
function withSingularValues(m: number, n: number, sigma: number[], rng: Rng) {
  const u = randomOrthogonal(m, rng);
  const v = randomOrthogonal(n, rng);
  const s = matrix(m, n);
  sigma.forEach((x, i) => (s.data[i * n + i] = x));
  return matmul(matmul(u, s), transpose(v));
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

Deno.test("the module example", () => {
  const s = singularValues(fromRows([[3, 0], [4, 5]])); // Float64Array [√45, √5]
  assert.ok(maxAbs(s, [Math.sqrt(45), Math.sqrt(5)]) < 4 * EPS * 7);
  const a = fromRows([[3, 0], [4, 5]]);
  const { u, s: s2, v } = svd(a); // u·diag(s)·vᵀ = A
  assert.ok(norm(add(matmul(matmul(u, diagonalMatrix(s2)), transpose(v)), a, 1, -1)) < 16 * EPS * 7);
});

Deno.test("singularValues() recovers prescribed σ from 1 down to 1e-15 to n·ε·σ₁ (AᵀA could not)", () => {
  const rng = new Rng(40);
  for (const [m, n] of [[60, 60], [80, 50], [50, 80], [120, 40]]) {
    const k = Math.min(m!, n!);
    const sigma = Array.from({ length: k }, (_, i) => 10 ** (-15 * i / (k - 1)));
    const a = withSingularValues(m!, n!, sigma, rng);
    const s = singularValues(a);
    // Backward stability: each σ moves by at most ‖ΔA‖₂ ≈ n·ε·σ₁ (Weyl), building A included.
    const err = maxAbs(s, sigma);
    assert.ok(err <= 2 * Math.max(m!, n!) * EPS, `${m}×${n}: max error ${err}`);
    // Through the eigenvalues of AᵀA, σ below √ε·σ₁ ≈ 1.5e-8 are lost in rounding: show it.
    const ata = m! >= n! ? matmul(transpose(a), a) : matmul(a, transpose(a));
    const viaGram = symmetricEigen(ata, { vectors: false }).values.reverse().map((x) =>
      Math.sqrt(Math.abs(x))
    );
    assert.ok(maxAbs(viaGram, sigma) > 1e3 * err, "the Gram-matrix route is far less accurate");
  }
});

Deno.test("singularValues() of rank-deficient, diagonal, zero, single-row and scaled matrices", () => {
  const rng = new Rng(41);
  const lowRank = matmul(gaussianMatrix(30, 4, rng), gaussianMatrix(4, 20, rng));
  const s = singularValues(lowRank);
  for (let i = 4; i < 20; i++) assert.ok(s[i]! <= 2 * 30 * EPS * s[0]!, `σ${i} = ${s[i]}`);
  assert.ok(s[3]! > 0.1);
  // Signs and order of a diagonal do not matter: σ = sorted |d|.
  assert.deepEqual([...singularValues(diagonalMatrix([1, -7, 3, 0, -2]))], [7, 3, 2, 1, 0]);
  assert.deepEqual([...singularValues(matrix(3, 2))], [0, 0]);
  const row = fromRows([[3, 4, 0, 12]]);
  assert.deepEqual([...singularValues(row)], [13]);
  assert.deepEqual([...singularValues(transpose(row))], [13]);
  // Scaling by a power of two is exact, also far outside the range where squares are representable.
  const g = gaussianMatrix(9, 7, rng);
  const base = singularValues(g);
  for (const p of [900, -900]) {
    assert.deepEqual([...singularValues(scale(g, 2 ** p))], [...base.map((x) => x * 2 ** p)]);
  }
});

Deno.test("svd() reconstructs A with orthonormal U and V, tall and wide, and agrees with singularValues()", () => {
  const rng = new Rng(42);
  for (const [m, n] of [[1, 1], [7, 1], [1, 7], [40, 25], [25, 40], [90, 90], [130, 70]]) {
    const a = gaussianMatrix(m!, n!, rng);
    const k = Math.min(m!, n!);
    const { u, s, v } = svd(a);
    assert.deepEqual([u.rows, u.cols, s.length, v.rows, v.cols], [m, k, k, n, k]);
    const floor = 4 * Math.max(m!, n!) * EPS;
    const rec = norm(add(matmul(matmul(u, diagonalMatrix(s)), transpose(v)), a, 1, -1));
    assert.ok(rec <= floor * norm(a), `${m}×${n}: ‖UΣVᵀ − A‖ = ${rec}`);
    assert.ok(norm(add(matmul(transpose(u), u), identity(k), 1, -1)) <= floor * Math.sqrt(k));
    assert.ok(norm(add(matmul(transpose(v), v), identity(k), 1, -1)) <= floor * Math.sqrt(k));
    for (let i = 1; i < k; i++) assert.ok(s[i - 1]! >= s[i]! && s[i]! >= 0);
    assert.ok(maxAbs(s, singularValues(a)) <= floor * s[0]!);
  }
  // An ill-conditioned one still reconstructs to the floor.
  const ill = withSingularValues(50, 40, Array.from({ length: 40 }, (_, i) => 10 ** -(i / 3)), rng);
  const { u, s, v } = svd(ill);
  assert.ok(norm(add(matmul(matmul(u, diagonalMatrix(s)), transpose(v)), ill, 1, -1)) <= 4 * 50 * EPS);
});

Deno.test("singularValues() matches scipy.linalg.svdvals (svdvals.json) to max(m, n)·ε·σ₁", () => {
  for (const c of loadFixture<{ name: string; a: number[][]; s: number[] }>("svdvals")) {
    const a = fromRows(c.a);
    const s = singularValues(a);
    assert.equal(s.length, c.s.length);
    const err = maxAbs(s, c.s);
    // Both sides are backward stable: each σ is within max(m, n)·ε·σ₁ of the exact one (Weyl).
    assert.ok(err <= 2 * Math.max(a.rows, a.cols) * EPS * c.s[0]!, `${c.name}: ${err}`);
  }
});

Deno.test("singularValues() and svd() reject non-finite input by name", () => {
  assert.throws(
    () => singularValues(fromRows([[1, NaN]])),
    /singular values of the matrix: entry \(0, 1\) is NaN/,
  );
  assert.throws(() => svd(fromRows([[1], [-Infinity]])), /SVD of the matrix: entry \(1, 0\) is -Infinity/);
});
