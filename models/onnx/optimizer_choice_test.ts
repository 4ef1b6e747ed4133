import assert from "node:assert/strict";
import { inits } from "./init.ts";
import { mul } from "./ops_elementwise.ts";
import { reduceSum } from "./ops_reduce.ts";
import { buildOptimizer, describeOptimizer, type OptimizerSpec } from "./optimizer_choice.ts";
import { TrainRunner } from "./runner.ts";
import { scheduleValue } from "./schedules.ts";
import { buildTrainStep } from "./train_step.ts";

/** A step whose loss is ⟨p, c⟩, so the gradient is exactly the batch input c. */
function linearStep(spec: OptimizerSpec) {
  return buildTrainStep({
    name: "linear",
    dtype: "float64",
    batch: { c: { dtype: "float64", shape: [3] } },
    build(ctx) {
      const p = ctx.params.param("p", [3], inits.zeros());
      ctx.minimize("o", reduceSum(mul(p, ctx.batch.c!)), buildOptimizer(spec, ctx.step));
      return {};
    },
  });
}

Deno.test("buildOptimizer: SGD under a warmup + cosine schedule steps by lr · factor(t) from the step counter", async () => {
  const schedule = { kind: "cosine", warmup: 2, steps: 6, final: 0.1 } as const;
  const spec: OptimizerSpec = { kind: "sgd", lr: 0.5, momentum: 0, schedule };
  const runner = await TrainRunner.create(linearStep(spec), { intraOpNumThreads: 1 });
  const c = Float64Array.of(1, -2, 4);
  let expected = 0; // p[0] after t steps: −Σ lr·f(s)·c₀
  for (let t = 0; t < 8; t++) {
    await runner.step({ c });
    expected -= 0.5 * scheduleValue(schedule, t) * c[0]!;
    const p = runner.state().p!;
    assert.ok(Math.abs(p[0]! - expected) < 1e-15, `step ${t}: ${p[0]} ≠ ${expected}`);
    assert.ok(Math.abs(p[2]! - 4 * expected) < 1e-14);
  }
  await runner.release();
});

Deno.test("buildOptimizer: Adam's first step is −lr·g/(|g| + eps), about −lr·sign(g) at any scale", async () => {
  const runner = await TrainRunner.create(linearStep({ kind: "adam", lr: 0.01, eps: 1e-12 }), {
    intraOpNumThreads: 1,
  });
  const g = Float64Array.of(1e-3, -5, 200);
  await runner.step({ c: g });
  const p = runner.state().p!;
  // Bias correction makes m̂ = g and √v̂ = |g| on the first step.
  g.forEach((gi, i) => {
    const want = -0.01 * gi / (Math.abs(gi) + 1e-12);
    assert.ok(Math.abs(p[i]! - want) < 1e-17, `${p[i]} ≠ ${want}`);
  });
  await runner.release();
});

Deno.test("describeOptimizer says the optimizer, its rates and its schedule in one line", () => {
  assert.equal(
    describeOptimizer({
      kind: "muon",
      lr: 0.02,
      adamLr: 1e-3,
      weightDecay: 0.01,
      schedule: { kind: "cosine", warmup: 10, steps: 100 },
    }),
    "Muon lr 0.02 (AdamW lr 0.001 for the rest), weight decay 0.01, warmup 10 steps, cosine to 0 over 100 steps",
  );
  assert.equal(describeOptimizer({ kind: "adamw" }), "AdamW lr 0.001");
});
