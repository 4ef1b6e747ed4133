import assert from "node:assert/strict";
import { diagonalMatrix, trace } from "../../numerics/matrix.ts";
import { singularValues } from "../../numerics/svd.ts";
import { Rng } from "../../stages/data/random.ts";
import { fittedRate, traceLogSeries, truncationBound } from "./series.ts";
import { conditionedMatrix, withEigenvalues } from "./test_matrices.ts";

Deno.test("traceLogSeries on a diagonal matrix is the scalar series; its error obeys truncationBound", () => {
  const lambda = [-0.6, 0.3, 0.5, -0.1];
  const sums = traceLogSeries(diagonalMatrix(lambda), 60);
  const exact = lambda.reduce((s, l) => s + Math.log1p(l), 0);
  // S₁ = tr A, S₂ = tr A − tr(A²)/2.
  assert.ok(Math.abs(sums[0]! - 0.1) < 1e-16);
  assert.ok(Math.abs(sums[1]! - (0.1 - (0.36 + 0.09 + 0.25 + 0.01) / 2)) < 1e-16);
  for (let k = 1; k <= 60; k++) {
    assert.ok(Math.abs(sums[k - 1]! - exact) <= truncationBound(4, 0.6, k) + 1e-15, `K = ${k}`);
  }
});

Deno.test("fittedRate recovers r from errors C·r^K/(K+1) exactly, and ρ from a real tail to its 1/K bias", () => {
  const ks = Array.from({ length: 50 }, (_, i) => i + 10);
  assert.ok(Math.abs(fittedRate(ks, ks.map((k) => (3 * 0.7 ** k) / (k + 1))) - 0.7) < 1e-14);
  // The tail of −log(1 − ρ) = Σ ρᵏ/k after K terms, fitted over K = 20…200: biased by ≈ ρ/((1−ρ)·20·200).
  const rho = 0.9;
  const tail = (K: number) => {
    let s = 0;
    for (let k = K + 1; k < K + 2000; k++) s += rho ** k / k;
    return s;
  };
  const window = Array.from({ length: 181 }, (_, i) => i + 20);
  const bias = fittedRate(window, window.map(tail)) / rho - 1;
  assert.ok(bias > 0 && bias < rho / ((1 - rho) * 20 * 200), `${bias}`);
});

Deno.test("test matrices: conditionedMatrix has κ₂ exactly κ; withEigenvalues keeps the trace", () => {
  const rng = new Rng(1);
  const s = singularValues(conditionedMatrix(12, 1e4, rng));
  assert.ok(Math.abs(s[0]! / s[11]! / 1e4 - 1) < 1e-10);
  const a = withEigenvalues([0.5, -0.25, 2, 1], 100, rng);
  assert.ok(Math.abs(trace(a) - 3.25) < 1e-11);
});
