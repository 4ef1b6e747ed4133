import assert from "node:assert/strict";
import { Rng } from "../stages/data/random.ts";
import { matmul, norm, transpose } from "./matrix.ts";
import { coefficientsFromRoots, newtonSchulz, nsIterate, OFFICIAL_NS } from "./newton_schulz.ts";
import { gaussianMatrix } from "./random_orthogonal.ts";
import { singularValues, svd } from "./svd.ts";

const EPS = 2 ** -52;

Deno.test("the module example: the Taylor coefficients from their roots", () => {
  const taylor = coefficientsFromRoots({ kappa: 3 / 8, x1: 1, x2: Math.sqrt(7 / 3) });
  assert.ok(Math.abs(taylor.a - 15 / 8) < 1e-15 && Math.abs(taylor.b + 5 / 4) < 1e-15);
  assert.equal(taylor.c, 3 / 8);
  // The article's fitted 1024² T = 5 row: κ 1.724, x₁ 0.935, x₂ 1.235 give a 3.297, b −4.136, up to the
  // rounding of κ, x₁, x₂ to ±5e-4 (|∂a/∂κ| + |∂a/∂x₁| + |∂a/∂x₂| ≈ 10 there).
  const fitted = coefficientsFromRoots({ kappa: 1.724, x1: 0.935, x2: 1.235 });
  assert.ok(Math.abs(fitted.a - 3.297) < 5e-3 && Math.abs(fitted.b + 4.136) < 5e-3);
  // Fixed points of g: 0, x₁, x₂.
  for (const x of [0, 0.935, 1.235]) assert.ok(Math.abs(nsIterate(x, fitted, 1) - x) < 1e-15);
});

Deno.test("newtonSchulz maps each singular value σ/‖M‖_F through g^(T), tall and wide, and keeps U, V", () => {
  const rng = new Rng(10592);
  for (const [rows, cols] of [[60, 30], [30, 60], [40, 40]]) {
    const m = gaussianMatrix(rows!, cols!, rng);
    const s = singularValues(m);
    const f = Math.hypot(...s);
    const x = newtonSchulz(m, OFFICIAL_NS, 5);
    const got = singularValues(x);
    const want = Array.from(s, (v) => nsIterate(v / f, OFFICIAL_NS, 5)).sort((p, q) => q - p);
    // Rounding: each step errs by ~k·ε·(|a| + |b| + |c|), amplified by at most max g' = a per later step.
    const bound = 5 * Math.min(rows!, cols!) * EPS * 10 * OFFICIAL_NS.a ** 5;
    for (let i = 0; i < want.length; i++) {
      assert.ok(Math.abs(got[i]! - want[i]!) <= bound, `${rows}×${cols} σ${i}`);
    }
    // Same singular vectors: Uᵀ·X·V is diagonal.
    const { u, v } = svd(m);
    const d = matmul(matmul(transpose(u), x), v);
    let off = 0;
    for (let i = 0; i < d.rows; i++) {
      for (let j = 0; j < d.cols; j++) if (i !== j) off = Math.max(off, Math.abs(d.data[i * d.cols + j]!));
    }
    assert.ok(off < 1e-10 * norm(x), `${rows}×${cols}: off-diagonal ${off}`);
  }
});

Deno.test("the Taylor coefficients converge to the polar factor for a well-conditioned matrix", () => {
  const rng = new Rng(3);
  const m = gaussianMatrix(80, 20, rng); // σ_min/σ_max ≈ 0.4: X₀'s values are ≥ 0.09
  const taylor = coefficientsFromRoots({ kappa: 3 / 8, x1: 1, x2: Math.sqrt(7 / 3) });
  const s = singularValues(newtonSchulz(m, taylor, 30));
  assert.ok(s.every((v) => Math.abs(v - 1) < 1e-12), `${s[0]} … ${s.at(-1)}`);
});
