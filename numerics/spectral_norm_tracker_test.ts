import assert from "node:assert/strict";
import { Rng } from "../stages/data/random.ts";
import { fromRows } from "./matrix.ts";
import { matrixWithSingularValues } from "./matrix_with_singular_values.ts";
import { singularValues } from "./svd.ts";
import { spectralNormInit, spectralNormUpdate, trackingErrorBound } from "./spectral_norm_tracker.ts";

Deno.test("the tracker: the module example, never above σ₁, and a zero start refused", () => {
  let state = spectralNormInit(2);
  assert.ok(state.u.every((x) => Math.abs(x - Math.SQRT1_2) < 2e-16));
  let sigma = 0;
  for (let step = 0; step < 30; step++) {
    ({ sigma, state } = spectralNormUpdate(state, fromRows([[3, 0], [4, 5]])));
  }
  assert.ok(Math.abs(sigma - Math.sqrt(45)) < 1e-12);
  const a = matrixWithSingularValues(30, 20, Array.from({ length: 20 }, (_, i) => 1 - i / 25), new Rng(2));
  let s = spectralNormInit(30);
  const top = singularValues(a)[0]!;
  for (let t = 0; t < 50; t++) {
    const r = spectralNormUpdate(s, a);
    s = r.state;
    assert.ok(r.sigma <= top * (1 + 50 * 2 ** -52), `step ${t}: ${r.sigma} > ${top}`);
  }
  assert.throws(() => spectralNormInit(3, [0, 0, 0]), /zero vector/);
});

Deno.test("trackingErrorBound: a fixed matrix gives the power iteration's own decay; no information past π/2", () => {
  // No turning after the start: α_{t+1} = atan(r²·tan α_t), the error 1 − cos(atan(r·tan α_t)).
  const r = 0.8, alpha = 0.5;
  const b = trackingErrorBound([r, r, r], [alpha, 0, 0]);
  let a = alpha;
  for (let t = 0; t < 3; t++) {
    assert.ok(Math.abs(b[t]! - (1 - Math.cos(Math.atan(r * Math.tan(a))))) < 1e-15);
    a = Math.atan(r * r * Math.tan(a));
  }
  assert.equal(trackingErrorBound([0.5], [Math.PI / 2])[0], 1);
  // A steady turn φ per step settles where β = atan(r²·tan(β + φ)).
  const steady = trackingErrorBound(Array(500).fill(0.9), [1, ...Array(499).fill(1e-3)]);
  assert.ok(Math.abs(steady[499]! / steady[498]! - 1) < 1e-9);
});
