import assert from "node:assert/strict";
import { coefficientsFromRoots, nsIterate } from "../../numerics/newton_schulz.ts";
import { fitRoots, lossAndGradient } from "./fit.ts";

const sigmas = Float64Array.from({ length: 300 }, (_, i) => 0.002 + (0.06 * i) / 299);

Deno.test("lossAndGradient: the loss is the mean of (g^(T)(σ) − 1)², the gradient matches central differences", () => {
  const w = Float64Array.of(1.7, 0.93, 1.24);
  const grad = new Float64Array(3);
  for (const steps of [1, 3, 5]) {
    const loss = lossAndGradient(w, sigmas, steps, grad);
    const c = coefficientsFromRoots({ kappa: w[0]!, x1: w[1]!, x2: w[2]! });
    const direct = sigmas.reduce((s, x) => s + (nsIterate(x, c, steps) - 1) ** 2, 0) / sigmas.length;
    assert.ok(Math.abs(loss - direct) < 1e-13, `T=${steps}: ${loss} vs ${direct}`);
    for (let j = 0; j < 3; j++) {
      const h = 1e-6;
      const up = Float64Array.from(w), down = Float64Array.from(w);
      up[j]! += h;
      down[j]! -= h;
      const fd = (lossAndGradient(up, sigmas, steps, new Float64Array(3)) -
        lossAndGradient(down, sigmas, steps, new Float64Array(3))) / (2 * h);
      // Central differences err by O(h²·f''') plus rounding ε·loss/h: 1e-7 relative here.
      assert.ok(
        Math.abs(grad[j]! - fd) <= 1e-7 * Math.max(1, Math.abs(fd)),
        `T=${steps}, ∂${j}: ${grad[j]} vs ${fd}`,
      );
    }
  }
});

Deno.test("fitRoots lowers the loss, reports x₁ ≤ x₂, and stops with a message when it diverges", () => {
  const init = { kappa: 1, x1: 0.9, x2: 1.1 };
  const start = lossAndGradient(Float64Array.of(1, 0.9, 1.1), sigmas, 5, new Float64Array(3));
  const r = fitRoots(sigmas, 5, { steps: 2000, learningRate: 0.01, momentum: 0.9, init, every: 500 });
  assert.ok(r.loss < start / 2, `${r.loss} vs ${start}`);
  assert.ok(r.roots.x1 <= r.roots.x2);
  assert.deepEqual(r.history.map(([s]) => s), [0, 500, 1000, 1500, 2000]);
  // Extended while the loss still falls: the first 300 steps are the same run, reported apart.
  const short = fitRoots(sigmas, 5, { steps: 300, learningRate: 0.01, momentum: 0.9, init });
  const longer = fitRoots(sigmas, 5, {
    steps: 300,
    learningRate: 0.01,
    momentum: 0.9,
    init,
    extend: { maxSteps: 6000, tolerance: 1e-6 },
  });
  assert.equal(longer.loss, short.loss);
  assert.ok(longer.extended && longer.extended.steps > 300 && longer.extended.loss < short.loss);
  const none = fitRoots(sigmas, 5, {
    steps: 300,
    learningRate: 0.01,
    momentum: 0.9,
    init,
    extend: { maxSteps: 6000, tolerance: 1 },
  });
  assert.equal(none.extended, undefined);
  assert.throws(
    () => fitRoots(sigmas, 5, { steps: 100, learningRate: 50, momentum: 0.9, init }),
    /diverged at step \d+.*lower the learning rate/,
  );
});
