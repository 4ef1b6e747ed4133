import assert from "node:assert/strict";
import { Rng } from "../../stages/data/random.ts";
import { kmeansPlusPlus, sampleGmm } from "./gmm.ts";
import { gmmOf } from "./data.ts";
import { fixedVarianceEm, kmeans } from "./kmeans.ts";
import { normalQuantile } from "./recovery.ts";

Deno.test("fixed-variance EM's means approach K-means' centres as σ → 0", () => {
  const g = gmmOf({
    weights: [0.4, 0.3, 0.3],
    means: [[0, 0], [2, 2], [-2, 1.5]],
    covs: [[[0.5, 0], [0, 0.5]], [[0.5, 0.1], [0.1, 0.4]], [[0.3, 0], [0, 0.6]]],
  });
  const { x } = sampleGmm(g, 600, new Rng(1));
  const seeds = kmeansPlusPlus(x, 2, 3, new Rng(2));
  const km = kmeans(x, 2, seeds);
  assert.ok(km.objectives.every((o, t) => t === 0 || o <= km.objectives[t - 1]!));
  const gap = (sigma: number) => {
    const c = fixedVarianceEm(x, 2, seeds, sigma).centers;
    return Math.max(...Array.from(c, (v, i) => Math.abs(v - km.centers[i]!)));
  };
  const gaps = [1, 0.3, 0.1, 0.03].map(gap);
  for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i]! < gaps[i - 1]!, `gaps ${gaps}`);
  assert.ok(gaps.at(-1)! < 1e-6, `gap at σ = 0.03: ${gaps.at(-1)}`);
});

Deno.test("normalQuantile() inverts Φ", () => {
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-8);
  assert.ok(Math.abs(normalQuantile(0.5)) < 1e-9);
  assert.ok(Math.abs(normalQuantile(1 - 1e-6) - 4.753424308822899) < 1e-6);
  assert.ok(Math.abs(normalQuantile(0.01) + 2.3263478740408408) < 1e-7);
});
