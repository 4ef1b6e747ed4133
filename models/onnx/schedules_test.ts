import assert from "node:assert/strict";
import { input } from "./graph.ts";
import { add, mul } from "./ops_elementwise.ts";
import { type Schedule, scheduleFactor, scheduleValue } from "./schedules.ts";
import { evaluate } from "./testing.ts";

/** Steps and the factor each schedule must give there, worked out by hand from the closed forms. */
const CASES: [Schedule, [number, number][]][] = [
  [{ kind: "constant" }, [[0, 1], [1, 1], [999, 1]]],
  [{ kind: "constant", warmup: 4 }, [[0, 0.25], [1, 0.5], [3, 1], [4, 1], [100, 1]]],
  // Cosine over [10, 110] from 1 to 0.1: at t = 60 half way, (1 + cos(π/2))/2 = 0.5 → 0.1 + 0.9·0.5.
  [{ kind: "cosine", warmup: 10, steps: 110, final: 0.1 }, [
    [0, 0.1],
    [4, 0.5],
    [9, 1],
    [10, 1],
    [35, 0.1 + 0.9 * (1 + Math.SQRT1_2) / 2], // a quarter: cos(π/4)
    [60, 0.55],
    [85, 0.1 + 0.9 * (1 - Math.SQRT1_2) / 2],
    [110, 0.1],
    [5000, 0.1],
  ]],
  [{ kind: "cosine", steps: 100 }, [[0, 1], [50, 0.5], [100, 0], [101, 0]]],
  [{ kind: "linear", warmup: 2, steps: 12, final: 0 }, [[0, 0.5], [1, 1], [2, 1], [7, 0.5], [12, 0], [
    13,
    0,
  ]]],
];

Deno.test("scheduleValue gives the closed-form factors", () => {
  for (const [s, points] of CASES) {
    for (const [t, want] of points) {
      assert.ok(
        Math.abs(scheduleValue(s, t) - want) < 1e-15,
        `${JSON.stringify(s)} at ${t}: ${scheduleValue(s, t)} ≠ ${want}`,
      );
    }
  }
});

Deno.test("scheduleFactor in the graph gives the same factors from the step counter (float64 and float32)", async () => {
  for (const dtype of ["float64", "float32"] as const) {
    const step = input("step", dtype, []);
    for (const [s, points] of CASES) {
      for (const [t, want] of points) {
        const Arr = dtype === "float64" ? Float64Array : Float32Array;
        // + 0·step keeps `step` an input when the factor is a constant.
        const out = await evaluate({ f: add(scheduleFactor(s, step), mul(step, 0)) }, { step: Arr.of(t) });
        const got = out.f![0] as number;
        const tol = dtype === "float64" ? 1e-15 : 2e-7;
        assert.ok(Math.abs(got - want) <= tol, `${dtype} ${JSON.stringify(s)} at ${t}: ${got} ≠ ${want}`);
      }
    }
  }
});

Deno.test("a schedule that cannot be built says why", () => {
  assert.throws(() => scheduleValue({ kind: "cosine", warmup: 10, steps: 10 }, 0), /steps > warmup/);
  assert.throws(() => scheduleValue({ kind: "linear" }, 0), /steps > warmup/);
  assert.throws(() => scheduleValue({ kind: "constant", warmup: 1.5 }, 0), /whole number/);
  assert.throws(() => scheduleValue({ kind: "cosine", steps: 10, final: 2 }, 0), /final/);
});
