import assert from "node:assert/strict";
import { Rng } from "../stages/data/random.ts";
import {
  marchenkoPasturDensity,
  marchenkoPasturQuantiles,
  marchenkoPasturSingularValues,
} from "./marchenko_pastur.ts";
import { gaussianMatrix } from "./random_orthogonal.ts";
import { singularValues } from "./svd.ts";

Deno.test("the quantiles have the law's moments: mean 1, second moment 1 + y, inside [λ₋, λ₊]", () => {
  for (const y of [1, 0.5, 0.25, 0.1]) {
    const q = marchenkoPasturQuantiles(y, 20_000);
    const mean = q.reduce((s, v) => s + v, 0) / q.length;
    const m2 = q.reduce((s, v) => s + v * v, 0) / q.length;
    // The midpoint rule in probability errs by O(count^-2) where the quantile function is smooth, more at
    // the square-root edges: 1e-6 at 20,000 points.
    assert.ok(Math.abs(mean - 1) < 1e-6, `y=${y}: mean ${mean}`);
    assert.ok(Math.abs(m2 - (1 + y)) < 1e-5, `y=${y}: E λ² ${m2}`);
    assert.ok(q[0]! > (1 - Math.sqrt(y)) ** 2 - 1e-15 && q.at(-1)! < (1 + Math.sqrt(y)) ** 2);
    for (let i = 1; i < q.length; i++) assert.ok(q[i]! >= q[i - 1]!);
  }
  // The density integrates to 1 (midpoint rule away from the pole at 0 for y = 1/2).
  let total = 0;
  const lo = (1 - Math.SQRT1_2) ** 2, hi = (1 + Math.SQRT1_2) ** 2, steps = 200_000;
  for (let i = 0; i < steps; i++) total += marchenkoPasturDensity(lo + ((i + 0.5) * (hi - lo)) / steps, 0.5);
  assert.ok(Math.abs((total * (hi - lo)) / steps - 1) < 1e-6);
});

Deno.test("the law's singular values match an exact SVD of Gaussian matrices (Kolmogorov distance ≈ 1/m)", () => {
  const rng = new Rng(1);
  for (const [n, m] of [[256, 256], [512, 256]]) {
    const exact: number[] = [];
    for (let k = 0; k < 4; k++) {
      const s = singularValues(gaussianMatrix(n!, m!, rng));
      const f = Math.hypot(...s);
      exact.push(...Array.from(s, (v) => v / f));
    }
    exact.sort((a, b) => a - b);
    const model = marchenkoPasturSingularValues(n!, m!, exact.length);
    // Both are sorted and of equal length: the Kolmogorov distance is the largest gap between the two
    // empirical CDFs, found by merging.
    let i = 0, j = 0, d = 0;
    while (i < exact.length && j < model.length) {
      if (exact[i]! <= model[j]!) i++;
      else j++;
      d = Math.max(d, Math.abs(i - j) / exact.length);
    }
    assert.ok(d < 4 / m!, `${n}×${m}: Kolmogorov distance ${d}`);
    assert.ok(Math.abs(model.reduce((s, v) => s + v * v, 0) - 4) < 1e-12);
  }
  assert.throws(() => marchenkoPasturSingularValues(10, 20, 5), /n ≥ m/);
});
