import assert from "node:assert/strict";
import { Rng } from "../stages/data/random.ts";
import { det } from "./lu.ts";
import { add, identity, matmul, norm, transpose } from "./matrix.ts";
import { gaussianMatrix, randomOrthogonal } from "./random_orthogonal.ts";

const EPS = 2 ** -52;

Deno.test("the module example: orthogonal to rounding, and a pure function of the seed", () => {
  const q = randomOrthogonal(4, new Rng(7)); // qᵀq = I to rounding; the same q for seed 7 everywhere
  assert.ok(norm(add(matmul(transpose(q), q), identity(4), 1, -1)) < 4 * 4 * EPS);
  assert.deepEqual(randomOrthogonal(4, new Rng(7)).data, q.data);
  assert.notDeepEqual(randomOrthogonal(4, new Rng(8)).data, q.data);
});

Deno.test("randomOrthogonal(): QᵀQ = I and |det Q| = 1 at n = 256", () => {
  const n = 256;
  const q = randomOrthogonal(n, new Rng(1));
  assert.ok(norm(add(matmul(transpose(q), q), identity(n), 1, -1)) < n * EPS * Math.sqrt(n));
  assert.ok(Math.abs(Math.abs(det(q)) - 1) < n * EPS * 10);
});

Deno.test("randomOrthogonal() is Haar: tr Q has mean 0 and E tr² = 1, Q₁₁ has E Q₁₁² = 1/n", () => {
  // For Haar Q on O(4), E[(tr Q)^k] equals the standard normal's k-th moment for k ≤ 4
  // (Diaconis–Shahshahani), so the mean of tr Q has sd 1/√N and that of tr² has sd √(2/N). QR of a
  // Gaussian without the sign fix has E tr Q ≈ −0.8 here, which this test rejects.
  const n = 4;
  const N = 4000;
  const rng = new Rng(99);
  let s1 = 0, s2 = 0, q11 = 0;
  for (let t = 0; t < N; t++) {
    const q = randomOrthogonal(n, rng);
    let tr = 0;
    for (let i = 0; i < n; i++) tr += q.data[i * n + i]!;
    s1 += tr;
    s2 += tr * tr;
    q11 += q.data[0]! ** 2;
  }
  assert.ok(Math.abs(s1 / N) < 4 / Math.sqrt(N), `mean tr ${s1 / N}`);
  assert.ok(Math.abs(s2 / N - 1) < 4 * Math.sqrt(2 / N), `mean tr² ${s2 / N}`);
  // Q₁₁² ~ Beta(1/2, 3/2): mean 1/4, variance 3/80.
  assert.ok(Math.abs(q11 / N - 1 / n) < 4 * Math.sqrt(3 / 80 / N), `mean Q₁₁² ${q11 / N}`);
});

Deno.test("gaussianMatrix() fills row by row from the generator's normal stream", () => {
  const g = gaussianMatrix(2, 3, new Rng(5));
  const rng = new Rng(5);
  assert.deepEqual([...g.data], Array.from({ length: 6 }, () => rng.normal()));
  assert.throws(() => randomOrthogonal(0, new Rng(1)), /n must be a positive integer/);
});
