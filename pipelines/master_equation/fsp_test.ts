import assert from "node:assert/strict";
import { birthDeathNetwork } from "../gillespie/model.ts";
import { generator } from "../gillespie/network.ts";
import { marginal, poissonPmf, solveMasterEquation, stationaryGaussSeidel, totalVariation } from "./fsp.ts";

Deno.test("uniformization solves the birth–death master equation exactly: Poisson((k/γ)(1 − e^{−γt}))", () => {
  const g = generator(birthDeathNetwork(8, 0.5), { max: [60] });
  const start = new Float64Array(61);
  start[0] = 1;
  const times = [0.3, 1, 4, 20];
  const r = solveMasterEquation(g, start, times);
  times.forEach((t, i) => {
    const exact = poissonPmf(16 * (1 - Math.exp(-0.5 * t)), 60);
    assert.ok(totalVariation(r.distributions[i]!, exact) < 1e-13, `t = ${t}`);
  });
});

Deno.test("a box too small loses probability, and the lost mass bounds the error", () => {
  // Poisson(20) cut at 22: much of the mass leaves the box; the deficit says how much.
  const g = generator(birthDeathNetwork(20, 1), { max: [22] });
  const start = new Float64Array(23);
  start[0] = 1;
  const r = solveMasterEquation(g, start, [0.5, 2, 6]);
  [0.5, 2, 6].forEach((t, i) => {
    const exact = poissonPmf(20 * (1 - Math.exp(-t)), 200);
    let l1 = 0;
    for (let x = 0; x <= 200; x++) l1 += Math.abs((r.distributions[i]![x] ?? 0) - exact[x]!);
    assert.ok(
      r.deficit[i]! > 0 && l1 <= 2 * r.deficit[i]! + 1e-13,
      `t = ${t}: error ${l1}, lost ${r.deficit[i]}`,
    );
    for (let x = 0; x <= 22; x++) {
      assert.ok(r.distributions[i]![x]! <= exact[x]! + 1e-15, "FSP never exceeds the truth");
    }
  });
});

Deno.test("Gauss–Seidel on the reflecting generator gives the stationary Poisson, and marginals add up", () => {
  const g = generator(birthDeathNetwork(5, 1), { max: [50] }, { reflecting: true });
  const s = stationaryGaussSeidel(g);
  assert.ok(totalVariation(s.p, poissonPmf(5, 50)) < 1e-12);
  const joint = Float64Array.of(0.1, 0.2, 0.3, 0.4); // box max [1, 1]: index m + 2n
  assert.deepEqual(Array.from(marginal(joint, [1, 1], 0)), [0.4, 0.6000000000000001]);
  assert.deepEqual(Array.from(marginal(joint, [1, 1], 1)), [0.30000000000000004, 0.7]);
});
