import assert from "node:assert/strict";
import { Rng } from "../stages/data/random.ts";
import { fromRows, matmul, matrix, matvec, transpose } from "./matrix.ts";
import { largestSingularValue } from "./power_iteration.ts";
import { gaussianMatrix, randomOrthogonal } from "./random_orthogonal.ts";
import { singularValues } from "./svd.ts";

const EPS = 2 ** -52;

/** U·diag(σ)·Vᵀ with Haar U, V. */
function withSingularValues(m: number, n: number, sigma: number[], rng: Rng) {
  const s = matrix(m, n);
  sigma.forEach((x, i) => (s.data[i * n + i] = x));
  return matmul(matmul(randomOrthogonal(m, rng), s), transpose(randomOrthogonal(n, rng)));
}

Deno.test("the module example, and a warm start that stays converged", () => {
  const { sigma, u } = largestSingularValue(fromRows([[3, 0], [4, 5]])); // sigma √45 ≈ 6.708
  assert.ok(Math.abs(sigma - Math.sqrt(45)) <= 4 * EPS * 7);
  const warm = largestSingularValue(fromRows([[3, 0], [4, 5]]), { start: u, iterations: 1 }); // one warm step
  assert.equal(warm.iterations, 1);
  assert.ok(Math.abs(warm.sigma - Math.sqrt(45)) <= 4 * EPS * 7);
});

Deno.test("largestSingularValue() converges to the SVD's σ₁ with A·v = σ·u, tall and wide", () => {
  const rng = new Rng(90);
  for (const [m, n] of [[1, 1], [50, 30], [30, 50], [200, 150]]) {
    // Gaussian matrices, except the largest: its top σ are too close for 3000 iterations, so give it a gap.
    const a = m! < 200 ? gaussianMatrix(m!, n!, rng) : withSingularValues(
      m!,
      n!,
      Array.from({ length: n! }, (_, i) => (i === 0 ? 3 : 2 * (1 - i / n!))),
      rng,
    );
    const s1 = singularValues(a)[0]!;
    const r = largestSingularValue(a, { tolerance: 0, iterations: 3000 });
    // At convergence the estimate is σ₁ to rounding (both are backward stable to n·ε·σ₁).
    assert.ok(Math.abs(r.sigma - s1) <= 4 * Math.max(m!, n!) * EPS * s1, `${m}×${n}: ${r.sigma} vs ${s1}`);
    const av = matvec(a, r.v);
    for (let i = 0; i < m!; i++) assert.ok(Math.abs(av[i]! - r.sigma * r.u[i]!) <= 1e-12 * s1);
  }
});

Deno.test("largestSingularValue(): the error falls by (σ₂/σ₁)⁴ per iteration and never overshoots", () => {
  const rng = new Rng(91);
  for (const ratio of [0.5, 0.8, 0.9]) {
    const sigma = [1, ratio, ...Array.from({ length: 38 }, (_, i) => 0.3 * ratio * (1 - i / 40))];
    const a = withSingularValues(60, 40, sigma, rng);
    const r = largestSingularValue(a, { tolerance: 0, iterations: 60 });
    const errors = Array.from(r.history, (s) => 1 - s);
    for (const e of errors) assert.ok(e >= -8 * 60 * EPS, "the Rayleigh-quotient estimate is a lower bound");
    // Measure the rate where the error is well above rounding and the σ₃… terms have died out.
    const usable = errors.map((e, k) => [e, k] as const).filter(([e, k]) => e > 1e-11 && k >= 2);
    assert.ok(usable.length >= 3, `ratio ${ratio}: too few iterations above the floor`);
    const [eLast, kLast] = usable[usable.length - 1]!;
    const [ePrev, kPrev] = usable[usable.length - 2]!;
    const observed = (eLast / ePrev) ** (1 / (kLast - kPrev));
    assert.ok(
      Math.abs(observed / ratio ** 4 - 1) < 0.05,
      `ratio ${ratio}: rate ${observed} vs ${ratio ** 4}`,
    );
  }
});

Deno.test("largestSingularValue() stops at the tolerance, and handles a zero matrix and bad input", () => {
  const a = gaussianMatrix(20, 20, new Rng(92));
  const r = largestSingularValue(a, { tolerance: 1e-6 });
  assert.ok(r.converged && r.iterations < 1000);
  const capped = largestSingularValue(a, { iterations: 2, tolerance: 0 });
  assert.equal(capped.converged, false);
  assert.equal(capped.history.length, 2);
  assert.equal(largestSingularValue(matrix(3, 2)).sigma, 0);
  assert.throws(
    () => largestSingularValue(a, { start: [1, 2] }),
    /start vector has 2 entries, the matrix 20 rows/,
  );
  assert.throws(() => largestSingularValue(a, { start: new Float64Array(20) }), /zero start vector/);
  assert.throws(
    () => largestSingularValue(a, { iterations: 0 }),
    /iterations = 0 must be a positive integer/,
  );
});
