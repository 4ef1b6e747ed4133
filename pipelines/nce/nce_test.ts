import assert from "node:assert/strict";
import { mixSeed, Rng } from "../../stages/data/random.ts";
import {
  fitNce,
  gaussianNoise,
  logNormalizer,
  mleStandardErrors,
  sampleQuartic,
  uniformNoise,
} from "./nce.ts";

Deno.test("logNormalizer() equals the closed form ½√(a/b)·e^{a²/8b}·K_{1/4}(a²/8b)", () => {
  // K_ν(z) = ∫₀^∞ e^{−z cosh t} cosh(νt) dt, by the trapezoid rule (exponentially accurate here).
  const besselK = (nu: number, z: number) => {
    let s = 0;
    const h = 1e-3;
    for (let t = 0; t < 12; t += h) {
      s += (t === 0 ? 0.5 : 1) * Math.exp(-z * Math.cosh(t)) * Math.cosh(nu * t) * h;
    }
    return s;
  };
  for (const [a, b] of [[1, 0.5], [0.3, 2], [2, 0.1]] as const) {
    const z = (a * a) / (8 * b);
    const exact = Math.log(0.5 * Math.sqrt(a / b) * Math.exp(z) * besselK(0.25, z));
    assert.ok(
      Math.abs(logNormalizer({ a, b }) - exact) < 1e-10,
      `a=${a}, b=${b}: ${logNormalizer({ a, b })} vs ${exact}`,
    );
  }
});

Deno.test("sampleQuartic() draws the density: E x² and E x⁴ match quadrature within sampling error", () => {
  const q = { a: 1, b: 0.5 };
  const x = sampleQuartic(q, 200_000, new Rng(1));
  const logZ = logNormalizer(q);
  const moment = (k: number) => {
    let s = 0;
    for (let i = 0; i <= 40000; i++) {
      const t = -6 + (12 * i) / 40000;
      s += ((i === 0 || i === 40000 ? 1 : i % 2 ? 4 : 2) * t ** k * Math.exp(-t * t - 0.5 * t ** 4 - logZ) *
        12) / 40000 / 3;
    }
    return s;
  };
  for (const k of [2, 4]) {
    const values = Array.from(x, (v) => v ** k);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
    assert.ok(
      Math.abs(mean - moment(k)) < 4 * sd / Math.sqrt(values.length),
      `E x^${k}: ${mean} vs ${moment(k)}`,
    );
  }
});

Deno.test("fitNce() recovers (a, b, log Z) with much data, its errors shrink like 1/√n and approach MLE's with k", () => {
  const q = { a: 1, b: 0.5 };
  const noise = gaussianNoise(0, 1);
  const fitAt = (n: number, k: number) => {
    const rng = new Rng(mixSeed(3, n, k));
    const data = sampleQuartic(q, n, rng);
    return fitNce(data, Float64Array.from({ length: k * n }, () => noise.sample(rng)), noise, k);
  };
  const big = fitAt(200_000, 1);
  assert.ok(Math.abs(big.a - 1) < 4 * big.se[0] && Math.abs(big.b - 0.5) < 4 * big.se[1]);
  assert.ok(Math.abs(big.c - logNormalizer(q)) < 4 * big.se[2]);
  const small = fitAt(12_500, 1);
  assert.ok(
    Math.abs(small.se[0] / big.se[0] - 4) < 0.4,
    `s.e. ratio ${small.se[0] / big.se[0]} for 16× the data`,
  );
  const [mleA] = mleStandardErrors(q, 12_500);
  const many = fitAt(12_500, 16);
  assert.ok(
    mleA < many.se[0] && many.se[0] < small.se[0],
    `MLE ${mleA}, k=16 ${many.se[0]}, k=1 ${small.se[0]}`,
  );
  // Uniform noise: a constant offset; the same answer within its error.
  const u = uniformNoise(3);
  const rng = new Rng(9);
  const data = sampleQuartic(q, 50_000, rng);
  const fu = fitNce(data, Float64Array.from({ length: 50_000 }, () => u.sample(rng)), u, 1);
  assert.ok(Math.abs(fu.a - 1) < 4 * fu.se[0] && fu.iterations < 30);
});
