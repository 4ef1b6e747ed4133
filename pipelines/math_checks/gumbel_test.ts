import assert from "node:assert/strict";
import { Rng } from "../../stages/data/random.ts";
import { argmaxCounts, chiSquareTest, gumbel } from "./gumbel.ts";

Deno.test("gumbel() has the standard Gumbel's mean (Euler's γ) and variance π²/6, within 5 standard errors", () => {
  const rng = new Rng(5);
  const n = 200_000;
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) {
    const g = gumbel(rng);
    s += g;
    s2 += g * g;
  }
  const mean = s / n, variance = s2 / n - mean * mean;
  assert.ok(Math.abs(mean - 0.5772156649015329) < 5 * Math.sqrt(Math.PI ** 2 / 6 / n), `mean ${mean}`);
  // Var of the sample variance ≈ (μ₄ − σ⁴)/n with μ₄ = 5.4·σ⁴ (excess kurtosis 12/5).
  assert.ok(Math.abs(variance - Math.PI ** 2 / 6) < 5 * Math.sqrt(4.4 * (Math.PI ** 2 / 6) ** 2 / n));
});

Deno.test("chiSquareTest: a hand-computed statistic, pooling of rare cells, and a wrong sampler rejected", () => {
  // Counts 30, 70 against p = (0.5, 0.5): χ² = (20² + 20²)/50 = 16 with 1 degree of freedom.
  const r = chiSquareTest([30, 70], [0.5, 0.5]);
  assert.equal(r.statistic, 16);
  assert.equal(r.degreesOfFreedom, 1);
  assert.ok(Math.abs(r.pValue - 6.334248366623988e-05) < 1e-18); // scipy.stats.chi2.sf(16, 1)
  // Expected counts 1 and 2 are pooled into one cell of 3.
  assert.equal(chiSquareTest([50, 45, 2, 3], [0.5, 0.47, 0.01, 0.02]).cells, 3);
  const p = [0.1, 0.2, 0.7];
  const logP = p.map(Math.log);
  const rng = new Rng(7);
  // Gaussian noise in place of Gumbel noise is not the categorical distribution: rejected outright.
  assert.ok(chiSquareTest(argmaxCounts(logP, 20_000, () => rng.normal()), p).pValue < 1e-10);
  // Gumbel noise passes (at level 1e-4, a false alarm once in 10⁴ seeds).
  assert.ok(chiSquareTest(argmaxCounts(logP, 20_000, () => gumbel(rng)), p).pValue > 1e-4);
});
