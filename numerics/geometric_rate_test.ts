import assert from "node:assert/strict";
import { fitGeometricRate } from "./geometric_rate.ts";

Deno.test("fitGeometricRate: exact on geometric errors, the mean log-ratio otherwise, NaN below two points", () => {
  const ks = [3, 4, 5, 6, 7];
  assert.ok(Math.abs(fitGeometricRate(ks, ks.map((k) => 2 * 0.9 ** k)) - 0.9) < 1e-15);
  // Two points: the rate is their ratio per step.
  assert.ok(Math.abs(fitGeometricRate([1, 3], [1, 0.25]) - 0.5) < 1e-15);
  assert.ok(Number.isNaN(fitGeometricRate([1], [0.5])));
});
