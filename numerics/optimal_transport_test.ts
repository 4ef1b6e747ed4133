import assert from "node:assert/strict";
import { loadFixture } from "./fixtures/load_fixture.ts";
import { fromRows, matrix } from "./matrix.ts";
import { optimalTransport } from "./optimal_transport.ts";

/** The brief's target for primal = dual (the solver reaches ~1e-15). */
const TOL = 1e-9;

interface TransportCase {
  name: string;
  points: number[][];
  p: number[];
  q: number[];
  fun: number;
  wasserstein?: number;
}

Deno.test("the module example", () => {
  // Move mass 1 from point 0 to point 2 of the line, at cost |i − j|.
  const r = optimalTransport([1, 0, 0], [0, 0, 1], fromRows([[0, 1, 2], [1, 0, 1], [2, 1, 0]]));
  // r.cost 2, r.dualCost 2, r.plan[0][2] = 1
  assert.equal(r.cost, 2);
  assert.equal(r.dualCost, 2);
  assert.equal(r.plan.data[2], 1);
});

Deno.test("optimalTransport() on 1-D and 2-D grids: SciPy's optimum, primal = dual, feasible plan and potentials", () => {
  for (const c of loadFixture<TransportCase>("transport")) {
    const k = c.points.length;
    const cost = matrix(k, k);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        cost.data[i * k + j] = Math.hypot(...c.points[i]!.map((x, t) => x - c.points[j]![t]!));
      }
    }
    const r = optimalTransport(c.p, c.q, cost);
    assert.ok(Math.abs(r.cost - c.fun) <= TOL, `${c.name}: cost ${r.cost} vs HiGHS ${c.fun}`);
    assert.ok(Math.abs(r.cost - r.dualCost) <= TOL, `${c.name}: primal ${r.cost} vs dual ${r.dualCost}`);
    if (c.wasserstein !== undefined) {
      // 1-D: W₁ = ∫|F − G|, here Σₖ |Fₖ − Gₖ|·Δx over the grid; SciPy's wasserstein_distance agrees.
      let cdf = 0, w1 = 0;
      for (let i = 0; i + 1 < k; i++) {
        cdf += c.p[i]! - c.q[i]!;
        w1 += Math.abs(cdf) * (c.points[i + 1]![0]! - c.points[i]![0]!);
      }
      assert.ok(Math.abs(r.cost - w1) <= TOL && Math.abs(r.cost - c.wasserstein) <= TOL, `${c.name}: W₁`);
    }
    for (let i = 0; i < k; i++) {
      let row = 0, col = 0;
      for (let j = 0; j < k; j++) {
        row += r.plan.data[i * k + j]!;
        col += r.plan.data[j * k + i]!;
        assert.ok(r.plan.data[i * k + j]! >= 0);
        assert.ok(
          r.f[i]! + r.g[j]! <= cost.data[i * k + j]! + TOL,
          `${c.name}: dual constraint (${i}, ${j})`,
        );
      }
      assert.ok(
        Math.abs(row - c.p[i]!) <= TOL && Math.abs(col - c.q[i]!) <= TOL,
        `${c.name}: marginals ${i}`,
      );
    }
  }
});

Deno.test("optimalTransport() rejects unequal masses, negative weights and mismatched costs by name", () => {
  const cost = fromRows([[0, 1], [1, 0]]);
  assert.throws(() => optimalTransport([0.5, 0.5], [0.5, 0.6], cost), /p sums to 1 but q to 1.1/);
  assert.throws(
    () => optimalTransport([1.5, -0.5], [0.5, 0.5], cost),
    /p\[1\] = -0.5 is not a finite weight ≥ 0/,
  );
  assert.throws(() => optimalTransport([1], [0.5, 0.5], cost), /the cost matrix is 2×2, expected 1×2/);
});
