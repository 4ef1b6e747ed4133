import assert from "node:assert/strict";
import { expm } from "../../numerics/expm.ts";
import { slogdet } from "../../numerics/lu.ts";
import { add, identity, matmul, matrix, maxAbsDiff, norm, scale } from "../../numerics/matrix.ts";
import { Rng } from "../../stages/data/random.ts";
import {
  expConditionRankOne,
  expRankOne,
  expRankOneInverse,
  frechetRankOne,
  phi1,
  phi1Naive,
  phi23,
} from "./rank_one.ts";

const EPS = 2 ** -52;
const outer = (x: number[], y: number[]) =>
  matrix(x.length, y.length, x.flatMap((xi) => y.map((yj) => xi * yj)));

Deno.test("exp(x yᵀ) in closed form: a 2×2 by hand, nilpotent and orthogonal cases", () => {
  // x = (1, 0), y = (0, 1): x yᵀ is nilpotent, exp = I + x yᵀ.
  assert.deepEqual(Array.from(expRankOne([1, 0], [0, 1]).data), [1, 1, 0, 1]);
  // x = y = (1, 0): exp(diag(1, 0)) = diag(e, 1).
  const d = expRankOne([1, 0], [1, 0]).data;
  assert.ok(Math.abs(d[0]! - Math.E) < 4 * EPS && d[3] === 1 && d[1] === 0);
  // The inverse of the nilpotent case is I − x yᵀ, and the product of the two is I exactly.
  assert.deepEqual(Array.from(expRankOneInverse([1, 0], [0, 1]).data, (v) => v + 0), [1, -1, 0, 1]);
});

Deno.test("φ₁, φ₂, φ₃ match their series on both sides of the switch; the naive φ₁ loses ε/|s|", () => {
  for (const s of [-30, -2.5, -1.999, 1e-300, 0, 1e-9, 0.5, 1.999, 2.001, 12]) {
    const { phi2, phi3 } = phi23(s);
    // The defining relations: φ₁ = 1 + s·φ₂ and φ₃ = dφ₂/ds (central difference, error O(h²)).
    assert.ok(Math.abs(phi1(s) - (1 + s * phi2)) <= 8 * EPS * Math.max(1, Math.abs(phi1(s))), `φ₁ at ${s}`);
    const h = 1e-5 * Math.max(1, Math.abs(s));
    const dphi2 = (phi23(s + h).phi2 - phi23(s - h).phi2) / (2 * h);
    assert.ok(
      Math.abs(phi3 - dphi2) <= 1e-8 * Math.max(1, Math.abs(phi3)),
      `φ₃ at ${s}: ${phi3} vs ${dphi2}`,
    );
  }
  assert.equal(phi1(0), 1);
  assert.ok(Number.isNaN(phi1Naive(0)));
  assert.ok(Math.abs(phi1Naive(1e-12) - 1) > 1e-5, "(eˢ − 1)/s at s = 1e-12 is visibly wrong");
  assert.ok(Math.abs(phi1(1e-12) - 1) < 1e-12);
});

Deno.test("the closed forms match expm, slogdet and the inverse on random rank-one matrices", () => {
  const rng = new Rng(6407);
  for (const n of [3, 17]) {
    for (const c of [0.3, 2, -4]) {
      const x = Array.from({ length: n }, () => rng.normal());
      const y = Array.from({ length: n }, () => (c * rng.normal()) / Math.sqrt(n));
      const a = outer(x, y);
      const s = x.reduce((t, xi, i) => t + xi * y[i]!, 0);
      const closed = expRankOne(x, y);
      const kappa = expConditionRankOne(x, y);
      assert.ok(maxAbsDiff(closed, expm(a)) <= 10 * n * EPS * kappa * norm(closed, "max"), `n=${n} c=${c}`);
      assert.ok(Math.abs(slogdet(closed).logAbsDet - s) < 1e-13 * n);
      const inv = expRankOneInverse(x, y);
      assert.ok(maxAbsDiff(matmul(closed, inv), identity(n)) < 1e-13 * norm(closed) * norm(inv));
      const kappaInv = expConditionRankOne(x.map((v) => -v), y);
      assert.ok(maxAbsDiff(inv, expm(scale(a, -1))) <= 10 * n * EPS * kappaInv * norm(inv, "max"));
    }
  }
});

Deno.test("frechetRankOne is the derivative of exp (central differences and the block-matrix formula)", () => {
  const rng = new Rng(2);
  const n = 5;
  const x = Array.from({ length: n }, () => rng.normal());
  const y = Array.from({ length: n }, () => rng.normal() / 2);
  const a = outer(x, y);
  const e = matrix(n, n, Array.from({ length: n * n }, () => rng.normal()));
  const l = frechetRankOne(x, y, e);
  // exp([[A, E], [0, A]]) holds L(A, E) in its top-right block (Mathias 1996).
  const block = matrix(2 * n, 2 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      block.data[i * 2 * n + j] = a.data[i * n + j]!;
      block.data[(n + i) * 2 * n + n + j] = a.data[i * n + j]!;
      block.data[i * 2 * n + n + j] = e.data[i * n + j]!;
    }
  }
  const big = expm(block);
  const top = matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) top.data[i * n + j] = big.data[i * 2 * n + n + j]!;
  assert.ok(maxAbsDiff(l, top) < 1e-12 * norm(l), `block formula: ${maxAbsDiff(l, top)}`);
  const h = 1e-5;
  const fd = scale(add(expm(add(a, e, 1, h)), expm(add(a, e, 1, -h)), 1, -1), 1 / (2 * h));
  assert.ok(maxAbsDiff(l, fd) < 1e-8 * norm(l), `central difference: ${maxAbsDiff(l, fd)}`);
  // κ_exp of a normal rank-one matrix (x = y) is ‖A‖·‖L‖/‖e^A‖ with ‖L‖ = e^s at the top eigenvector.
  const u = [0.6, 0.8, 0, 0, 0];
  const s = 1.5;
  const k = expConditionRankOne(u.map((v) => v * Math.sqrt(s)), u.map((v) => v * Math.sqrt(s)), 60);
  const expected = (s * Math.exp(s)) / Math.sqrt(Math.exp(2 * s) + 4);
  assert.ok(Math.abs(k - expected) < 1e-10 * expected, `${k} vs ${expected}`);
});
