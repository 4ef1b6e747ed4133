import assert from "node:assert/strict";
import { normalCdf } from "../../numerics/special_functions.ts";
import { activeUnits, normalQuantile } from "./latent.ts";

Deno.test("normalQuantile inverts Φ: Φ⁻¹(0.975) = 1.959964, Φ⁻¹(0.05) = −1.644854", () => {
  assert.ok(Math.abs(normalQuantile(0.975, normalCdf) - 1.959963985) < 1e-8);
  assert.ok(Math.abs(normalQuantile(0.05, normalCdf) + 1.644853627) < 1e-8);
  assert.ok(Math.abs(normalQuantile(0.5, normalCdf)) < 1e-11);
});

Deno.test("activeUnits counts the units whose posterior mean varies over records by more than 0.01", () => {
  // Unit 0 varies (variance 1), unit 1 barely (variance 0.0001), unit 2 not at all.
  const n = 1000;
  const mu = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    mu[3 * i] = i % 2 === 0 ? 1 : -1;
    mu[3 * i + 1] = i % 2 === 0 ? 0.01 : -0.01;
    mu[3 * i + 2] = 0.3;
  }
  const a = activeUnits(mu, 3);
  assert.equal(a.count, 1);
  assert.ok(Math.abs(a.activity[0]! - n / (n - 1)) < 1e-6);
  assert.ok(Math.abs(a.activity[1]! - 1e-4 * n / (n - 1)) < 1e-9);
  assert.equal(a.activity[2], 0);
});
