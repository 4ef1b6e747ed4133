import assert from "node:assert/strict";
import { Rng } from "../stages/data/random.ts";
import { loadFixture } from "./fixtures/load_fixture.ts";
import {
  add,
  diagonalMatrix,
  fromRows,
  identity,
  matmul,
  matrix,
  matvec,
  norm,
  transpose,
} from "./matrix.ts";
import { det, inverse, lu, luFactors, luSolve, slogdet, solve } from "./lu.ts";
import { gaussianMatrix } from "./random_orthogonal.ts";
import { solveTriangular } from "./triangular.ts";

const EPS = 2 ** -52;

interface LuCase {
  name: string;
  a: number[][];
  p: number[][];
  l: number[][];
  u: number[][];
  sign: number;
  logabsdet: number;
  det: number;
  cond: number;
  b?: number[];
  x?: number[];
  inv?: number[][];
}

const vecNorm = (v: ArrayLike<number>) => norm(matrix(1, v.length, v));
const vecDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  vecNorm(Float64Array.from(a, (v, i) => v - b[i]!));

Deno.test("the module examples", () => {
  const a = fromRows([[0, 2], [3, 4]]);
  const s = slogdet(a); // { sign: -1, logAbsDet: Math.log(6) }
  assert.equal(s.sign, -1);
  assert.ok(Math.abs(s.logAbsDet - Math.log(6)) < 4 * EPS);
  assert.deepEqual([...solve(a, [2, 7])], [1, 1]);
  const l = fromRows([[2, 0], [1, 1]]);
  assert.deepEqual([...solveTriangular(l, [4, 3], { lower: true })], [2, 1]);
});

Deno.test("lu() gives P·A = L·U to the float64 floor n·ε·‖A‖, for square sizes across panel edges", () => {
  const rng = new Rng(20);
  for (const n of [1, 2, 5, 63, 64, 65, 130, 200]) {
    const a = gaussianMatrix(n, n, rng);
    const { p, l, u } = luFactors(lu(a));
    const residual = norm(add(matmul(p, matmul(l, u)), a, 1, -1));
    // Backward error of Gaussian elimination: n·ε·‖|L||U|‖, with growth ≤ ~√n for Gaussian matrices.
    assert.ok(residual <= n * EPS * norm(a) * Math.sqrt(n) * 2, `n = ${n}: ${residual}`);
    for (let i = 0; i < n; i++) {
      assert.equal(l.data[i * n + i], 1);
      for (let j = 0; j < n; j++) {
        if (j > i) assert.equal(l.data[i * n + j], 0);
        if (j < i) assert.ok(Math.abs(l.data[i * n + j]!) <= 1, "partial pivoting bounds |L| by 1");
      }
    }
  }
});

Deno.test("det() and slogdet() of closed forms: triangular, permutation, scaled identity, products", () => {
  const rng = new Rng(21);
  const n = 12;
  const t = gaussianMatrix(n, n, rng);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) t.data[i * n + j] = 0;
  let product = 1;
  for (let i = 0; i < n; i++) product *= t.data[i * n + i]!;
  // An upper triangular matrix needs no row exchange: det is the same product, in the same order.
  assert.equal(det(t), product);
  assert.ok(Math.abs(det(transpose(t)) / product - 1) < 4 * n * EPS);
  // A cyclic shift of n rows is a permutation of sign (−1)^(n−1).
  const shift = matrix(5, 5);
  for (let i = 0; i < 5; i++) shift.data[i * 5 + ((i + 1) % 5)] = 1;
  assert.equal(det(shift), 1);
  assert.equal(det(transpose(shift)), 1);
  assert.equal(det(fromRows([[0, 1], [1, 0]])), -1);
  // 10·I of size 400 has det 1e400, beyond float64; slogdet still gives 400·ln 10.
  const big = diagonalMatrix(new Float64Array(400).fill(10));
  assert.equal(det(big), Infinity);
  const s = slogdet(big);
  assert.equal(s.sign, 1);
  assert.ok(Math.abs(s.logAbsDet - 400 * Math.LN10) < 400 * 4 * EPS * 400 * Math.LN10);
  // det(AB) = det A · det B for Gaussian A, B (κ ≈ n; relative error ≲ n²·ε·κ).
  const a = gaussianMatrix(30, 30, rng);
  const b = gaussianMatrix(30, 30, rng);
  const lhs = slogdet(matmul(a, b));
  const sa = slogdet(a), sb = slogdet(b);
  assert.equal(lhs.sign, sa.sign * sb.sign);
  assert.ok(Math.abs(lhs.logAbsDet - sa.logAbsDet - sb.logAbsDet) < 1e-10);
});

Deno.test("a singular matrix: slogdet is (0, −∞), det 0, solve and inverse name the zero pivot", () => {
  const a = fromRows([[1, 2, 3], [2, 4, 6], [1, 0, 1]]);
  const f = lu(a);
  assert.ok(f.zeroPivot >= 0);
  assert.deepEqual(slogdet(a), { sign: 0, logAbsDet: -Infinity });
  assert.ok(det(a) === 0); // ±0
  assert.throws(() => solve(a, [1, 2, 3]), /the 3×3 matrix is singular \(LU pivot 2 is exactly zero\)/);
  assert.throws(() => inverse(a), /singular/);
});

Deno.test("solve(), luSolve(transpose) and inverse() have residuals at the float64 floor", () => {
  const rng = new Rng(22);
  const n = 150;
  const a = gaussianMatrix(n, n, rng);
  const b = gaussianMatrix(n, 3, rng);
  const f = lu(a);
  const x = luSolve(f, b);
  const xt = luSolve(f, b, { transpose: true });
  // Normwise backward error ‖A·x − b‖ / (‖A‖·‖x‖) is O(n·ε) for a backward-stable solver.
  const bound = (xx: typeof x) => 2 * n * EPS * norm(a) * norm(xx);
  assert.ok(norm(add(matmul(a, x), b, 1, -1)) < bound(x));
  assert.ok(norm(add(matmul(transpose(a), xt), b, 1, -1)) < bound(xt));
  const v = luSolve(f, b.data.filter((_, i) => i % 3 === 0));
  assert.ok(vecDiff(v, x.data.filter((_, i) => i % 3 === 0)) < 1e-12 * vecNorm(v));
  const inv = inverse(a);
  assert.ok(norm(add(matmul(a, inv), identity(n), 1, -1)) < 2 * n * EPS * norm(a) * norm(inv));
  assert.ok(vecDiff(matvec(a, solve(a, [...b.data.subarray(0, n)])), b.data.subarray(0, n)) < 1e-10);
});

Deno.test("triangular solves: lower, upper, unit diagonal, transposed, many right-hand sides", () => {
  const rng = new Rng(23);
  const n = 140; // crosses the 64-row block edges
  const t = gaussianMatrix(n, n, rng);
  for (let i = 0; i < n; i++) t.data[i * n + i] = 4 + Math.abs(t.data[i * n + i]!);
  const lower = matrix(n, n, t.data.map((v, idx) => (idx % n <= Math.floor(idx / n) ? v : 0)));
  const upper = transpose(lower);
  const unitLower = matrix(n, n, lower.data.map((v, idx) => (idx % n === Math.floor(idx / n) ? 1 : v)));
  const b = gaussianMatrix(n, 5, rng);
  const check = (tri: typeof t, x: typeof b) => {
    const r = norm(add(matmul(tri, x), b, 1, -1));
    assert.ok(r < 2 * n * EPS * norm(tri) * norm(x), `residual ${r}`);
  };
  check(lower, solveTriangular(t, b, { lower: true }));
  check(upper, solveTriangular(upper, b, { lower: false }));
  check(unitLower, solveTriangular(t, b, { lower: true, unitDiagonal: true }));
  check(upper, solveTriangular(lower, b, { lower: true, transpose: true }));
  check(transpose(unitLower), solveTriangular(t, b, { lower: true, unitDiagonal: true, transpose: true }));
  assert.throws(
    () => solveTriangular(fromRows([[1, 0], [1, 0]]), [1, 1], { lower: true }),
    /diagonal entry \(1, 1\) is zero/,
  );
  assert.throws(() => solveTriangular(identity(2), [1, 2, 3], { lower: true }), /right-hand side has 3 rows/);
});

Deno.test("lu() rejects non-square and non-finite input by name", () => {
  assert.throws(() => lu(matrix(2, 3)), /Cannot LU-factor a 2×3 matrix: it must be square/);
  assert.throws(() => lu(fromRows([[1, 2], [NaN, 1]])), /entry \(1, 0\) is NaN/);
});

Deno.test("LU, slogdet, solve and inverse match SciPy (lu.json) within bounds from κ(A)", () => {
  for (const c of loadFixture<LuCase>("lu")) {
    const a = fromRows(c.a);
    const n = a.rows;
    const f = lu(a);
    const { p, l, u } = luFactors(f);
    // The same pivot choices (first largest entry), so the same permutation exactly.
    assert.deepEqual(p.data, fromRows(c.p).data, `${c.name}: permutation`);
    // Same pivots: the factors differ only by the rounding of the updates, amplified at most by κ(A).
    const factorTol = 2 * n * EPS * Math.min(c.cond, 1 / EPS);
    assert.ok(norm(add(l, fromRows(c.l), 1, -1)) <= factorTol * norm(l), `${c.name}: L`);
    assert.ok(norm(add(u, fromRows(c.u), 1, -1)) <= factorTol * norm(u), `${c.name}: U`);
    const s = slogdet(a);
    assert.equal(s.sign, c.sign, `${c.name}: sign`);
    if (c.sign === 0) {
      assert.equal(s.logAbsDet, -Infinity);
      continue;
    }
    // d log|det A| = tr(A⁻¹ dA) ≤ n·κ(A)·‖dA‖/‖A‖, and each side's backward error is ≤ n·ε·‖A‖.
    assert.ok(Math.abs(s.logAbsDet - c.logabsdet) <= 2 * n * n * EPS * c.cond, `${c.name}: logabsdet`);
    const x = solve(a, c.b!);
    // Forward error of a backward-stable solve: ‖Δx‖/‖x‖ ≤ κ(A)·(n·ε), for each of the two solvers.
    assert.ok(vecDiff(x, c.x!) <= 2 * n * EPS * c.cond * vecNorm(c.x!), `${c.name}: solve`);
    const inv = inverse(a);
    assert.ok(
      norm(add(inv, fromRows(c.inv!), 1, -1)) <= 2 * n * EPS * c.cond * norm(inv),
      `${c.name}: inverse`,
    );
  }
});
