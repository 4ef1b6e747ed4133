import assert from "node:assert/strict";
import { Rng } from "../stages/data/random.ts";
import { loadFixture } from "./fixtures/load_fixture.ts";
import { fromRows, identity, matmul, matrix, maxAbsDiff, transpose } from "./matrix.ts";
import { gaussianMatrix } from "./random_orthogonal.ts";
import { symmetricEigen } from "./sym_eigen.ts";

const EPS = 2 ** -52;

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  maxAbsDiff(matrix(1, a.length, a), matrix(1, b.length, b));

Deno.test("symmetricEigen() reconstructs A = V Λ Vᵀ with orthonormal V and ascending values", () => {
  for (const n of [1, 2, 7, 40]) {
    const rng = new Rng(n);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.normal();
    const { values, vectors } = symmetricEigen(a, n);
    const V = matrix(n, n, vectors!);
    for (let i = 1; i < n; i++) assert.ok(values[i - 1]! <= values[i]!);
    const VL = matrix(n, n, V.data.map((v, idx) => v * values[idx % n]!));
    assert.ok(maxAbsDiff(matmul(VL, transpose(V)), matrix(n, n, a)) < 1e-12 * n, `n = ${n}`);
    assert.ok(maxAbsDiff(matmul(transpose(V), V), identity(n)) < 1e-13 * n, `n = ${n}`);
  }
});

Deno.test("symmetricEigen() finds the analytic eigenvalues of the second-difference matrix", () => {
  // tridiag(-1, 2, -1) of size n has eigenvalues 2 - 2 cos(kπ / (n + 1)), k = 1..n.
  const n = 50;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    a[i * n + i] = 2;
    if (i > 0) a[i * n + i - 1] = a[(i - 1) * n + i] = -1;
  }
  const expected = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)));
  const { values } = symmetricEigen(a, n, { vectors: false });
  assert.ok(maxDiff(values, expected) < 1e-13);
  assert.ok(maxDiff(symmetricEigen(a, n).values, values) < 1e-13);
});

Deno.test("symmetricEigen() handles degenerate matrices and rejects bad input by name", () => {
  assert.deepEqual([...symmetricEigen(new Float64Array(9), 3).values], [0, 0, 0]);
  const g = gaussianMatrix(6, 6, new Rng(3));
  const spd = matmul(g, transpose(g));
  for (let i = 0; i < 6; i++) spd.data[i * 7] = spd.data[i * 7]! + 0.1;
  assert.ok(symmetricEigen(spd).values[0]! > 0);
  assert.throws(() => symmetricEigen([1, NaN, NaN, 1], 2), /entry \(0, 1\) is NaN/);
  assert.throws(() => symmetricEigen([1, 2, 3], 2), /expected 4 values for 2×2, got 3/);
});

Deno.test("symmetricEigen() of a Matrix: the module example", () => {
  const { values, vectors } = symmetricEigen(fromRows([[2, 1], [1, 2]])); // values [1, 3]
  assert.ok(maxDiff(values, [1, 3]) < 1e-15);
  const r = Math.SQRT1_2;
  assert.ok(maxDiff(vectors!.map(Math.abs), [r, r, r, r]) < 1e-15);
  assert.throws(() => symmetricEigen(matrix(2, 3)), /Cannot decompose a 2×3 matrix: it must be square/);
});

Deno.test("symmetricEigen() matches numpy.linalg.eigh (eigh.json): values by Weyl, vectors by the gap", () => {
  interface EighCase {
    name: string;
    a: number[][];
    w: number[];
    v: number[][];
    gaps: number[];
  }
  for (const c of loadFixture<EighCase>("eigh")) {
    const a = fromRows(c.a);
    const n = a.rows;
    const { values, vectors } = symmetricEigen(a);
    const normA = Math.max(...c.w.map(Math.abs));
    // A backward error of n·ε·‖A‖ moves each eigenvalue by at most as much (Weyl), for each side.
    for (let i = 0; i < n; i++) {
      assert.ok(Math.abs(values[i]! - c.w[i]!) <= 2 * n * EPS * normA, `${c.name}: λ${i}`);
    }
    // ...and turns eigenvector i by an angle of at most n·ε·‖A‖ / gapᵢ (Davis–Kahan); signs are free.
    const v = matrix(n, n, vectors!);
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += v.data[i * n + j]! * c.v[i]![j]!;
      let diff = 0;
      for (let i = 0; i < n; i++) diff += (v.data[i * n + j]! - Math.sign(dot) * c.v[i]![j]!) ** 2;
      assert.ok(Math.sqrt(diff) <= 2 * n * EPS * normA / c.gaps[j]!, `${c.name}: vector ${j}`);
    }
  }
});
