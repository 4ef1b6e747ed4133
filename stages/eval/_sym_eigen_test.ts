import assert from "node:assert/strict";
import { symmetricEigen } from "./_sym_eigen.ts";
import { matmul, maxAbsDiff, randomSpd, seededRandom, transpose } from "./_test_random.ts";

Deno.test("symmetricEigen() reconstructs A = V Λ Vᵀ with orthonormal V and ascending values", () => {
  for (const n of [1, 2, 7, 40]) {
    const rng = seededRandom(n);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.normal();
    const { values, vectors } = symmetricEigen(a, n);
    const V = vectors!;
    for (let i = 1; i < n; i++) assert.ok(values[i - 1]! <= values[i]!);
    const VL = V.map((v, idx) => v * values[idx % n]!);
    assert.ok(maxAbsDiff(matmul(VL, transpose(V, n), n), a) < 1e-12 * n, `n = ${n}`);
    const identity = Float64Array.from({ length: n * n }, (_, idx) => (idx % (n + 1) === 0 ? 1 : 0));
    assert.ok(maxAbsDiff(matmul(transpose(V, n), V, n), identity) < 1e-13 * n, `n = ${n}`);
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
  assert.ok(maxAbsDiff(values, expected) < 1e-13);
  assert.ok(maxAbsDiff(symmetricEigen(a, n).values, values) < 1e-13);
});

Deno.test("symmetricEigen() handles degenerate matrices and rejects bad input by name", () => {
  assert.deepEqual([...symmetricEigen(new Float64Array(9), 3).values], [0, 0, 0]);
  const spd = randomSpd(6, 3);
  assert.ok(symmetricEigen(spd, 6).values[0]! > 0);
  assert.throws(() => symmetricEigen([1, NaN, NaN, 1], 2), /entry \(0, 1\) is NaN/);
  assert.throws(() => symmetricEigen([1, 2, 3], 2), /expected 4 values for 2×2, got 3/);
});
