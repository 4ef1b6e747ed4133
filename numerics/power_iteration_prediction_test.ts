import assert from "node:assert/strict";
import { Rng } from "../stages/data/random.ts";
import { matvecTransposed } from "./matrix.ts";
import { matrixWithSingularValues } from "./matrix_with_singular_values.ts";
import { largestSingularValue } from "./power_iteration.ts";
import { predictPowerIteration } from "./power_iteration_prediction.ts";
import { svd } from "./svd.ts";

Deno.test("predictPowerIteration: by hand for two singular values, and its asymptotic rates r⁴ and r²", () => {
  // σ = (1, r), c = (1, 1)/√2: σ̂_k² = (1 + r^(4k))/(1 + r^(4k−2)) and sin² = r^(4k−2)/(1 + r^(4k−2)).
  const r = 0.7;
  const p = predictPowerIteration([1, r], [Math.SQRT1_2, Math.SQRT1_2], 40);
  for (let k = 1; k <= 40; k++) {
    const sq = (1 + r ** (4 * k)) / (1 + r ** (4 * k - 2));
    const direct = 1 - Math.sqrt(sq);
    // The direct form cancels: it is good to ε/(1 − σ̂) relative only.
    assert.ok(Math.abs(p.sigmaError[k - 1]! - direct) <= 4e-16 + 1e-13 * direct, `k = ${k}`);
    const sin = Math.sqrt(r ** (4 * k - 2) / (1 + r ** (4 * k - 2)));
    assert.ok(Math.abs(p.vectorError[k - 1]! / sin - 1) < 1e-14);
  }
  assert.ok(Math.abs(p.sigmaError[39]! / p.sigmaError[38]! - r ** 4) < 1e-12);
  assert.ok(Math.abs(p.vectorError[39]! / p.vectorError[38]! - r ** 2) < 1e-12);
  assert.throws(() => predictPowerIteration([1, 0.5], [0, 1], 3), /no component along u₁/);
});

Deno.test("predictPowerIteration matches largestSingularValue's estimates on a random matrix", () => {
  const rng = new Rng(4);
  const sigma = [2, 1.7, 1, 0.5, 0.2];
  const a = matrixWithSingularValues(9, 5, sigma, rng);
  const start = Float64Array.from({ length: 9 }, () => rng.normal());
  const r = largestSingularValue(a, { start, iterations: 60, tolerance: 0 });
  const d = svd(a);
  const norm = Math.hypot(...start);
  const p = predictPowerIteration(d.s, matvecTransposed(d.u, start.map((x) => x / norm)), 60);
  // (It stops early once an iteration leaves the estimate exactly unchanged.)
  assert.ok(r.history.length > 40);
  for (let k = 0; k < r.history.length; k++) {
    assert.ok(Math.abs(1 - r.history[k]! / d.s[0]! - p.sigmaError[k]!) < 1e-14, `iteration ${k + 1}`);
  }
});
