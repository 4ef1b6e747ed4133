/**
 * Learning-rate schedules as graph ops of the train step's step counter (`ctx.step`, 0 on the first
 * step), so that one graph runs the whole schedule and a checkpoint (which carries `step`) resumes it
 * exactly. A schedule is plain data (a stage can take it as a param); {@link scheduleFactor} emits the
 * factor the base learning rate is multiplied by, {@link scheduleValue} computes the same number on the
 * host in float64 (tests, plots).
 *
 * With t the step counter, W = `warmup` and L = `steps`:
 *
 * | kind     | factor at step t                                                               |
 * | -------- | ------------------------------------------------------------------------------ |
 * | constant | min(1, (t + 1)/W) (1 when W = 0)                                               |
 * | cosine   | warmup as above, then f + (1 − f)·½(1 + cos(π·min(1, (t − W)/(L − W)))) for t ≥ W |
 * | linear   | warmup as above, then f + (1 − f)·(1 − min(1, (t − W)/(L − W))) for t ≥ W       |
 *
 * f = `final`. Past L a decaying schedule holds f: the schedule's length is its own number, not the
 * training's, so that a longer training of the same graph continues a shorter one exactly (train.run's
 * `extendsRun`), and a schedule of another length is another graph (another cache key).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scheduleValue } from "./schedules.ts";
 *
 * const s = { kind: "cosine", warmup: 10, steps: 110, final: 0 } as const;
 * assert.equal(scheduleValue(s, 0), 0.1); // the first warmup step
 * assert.equal(scheduleValue(s, 10), 1); // warmup done: the top of the cosine
 * assert.ok(Math.abs(scheduleValue(s, 60) - 0.5) < 1e-15); // half way down
 * assert.equal(scheduleValue(s, 500), 0); // past its length it holds `final`
 * ```
 *
 * @module
 */
import { scalar, scope, type Tensor } from "./graph.ts";
import { add, cos, div, maximum, minimum, mul, sub } from "./ops_elementwise.ts";
import { reshape } from "./ops_shape.ts";

/** A learning-rate schedule: the shape of the factor over steps. */
export interface Schedule {
  readonly kind: "constant" | "cosine" | "linear";
  /** Linear warmup over the first `warmup` steps (0: none). */
  readonly warmup?: number;
  /** Where a decaying schedule reaches `final` (warmup included); ignored by `constant`. */
  readonly steps?: number;
  /** The factor a decaying schedule ends at (default 0). */
  readonly final?: number;
}

function check(s: Schedule): { warmup: number; steps: number; final: number } {
  const warmup = s.warmup ?? 0;
  const steps = s.steps ?? 0;
  const final = s.final ?? 0;
  if (!Number.isInteger(warmup) || warmup < 0) {
    throw new Error(`schedule warmup must be a whole number ≥ 0, got ${warmup}`);
  }
  if (s.kind !== "constant" && !(steps > warmup)) {
    throw new Error(
      `a ${s.kind} schedule needs steps > warmup (the decay's length), got steps ${steps}, warmup ${warmup}`,
    );
  }
  if (!(final >= 0 && final <= 1)) throw new Error(`schedule final must be in [0, 1], got ${final}`);
  return { warmup, steps, final };
}

/** The schedule's factor at step `t` (0-based), in float64 on the host: the closed form of the table. */
export function scheduleValue(s: Schedule, t: number): number {
  const { warmup, steps, final } = check(s);
  if (t < warmup) return (t + 1) / warmup;
  if (s.kind === "constant") return 1;
  const progress = Math.min(1, (t - warmup) / (steps - warmup));
  const shape = s.kind === "cosine" ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
  return final + (1 - final) * shape;
}

/** The schedule's factor at the step counter `step` (a float scalar), as graph ops. */
export function scheduleFactor(s: Schedule, step: Tensor): Tensor {
  const { warmup, steps, final } = check(s);
  const t = reshape(step, []);
  const dtype = t.dtype as "float32" | "float64";
  return scope("schedule", () => {
    // (t + 1)/W until W, then 1: min(1, (t + 1)/W).
    const ramp = warmup > 0 ? minimum(div(add(t, 1), warmup), 1) : scalar(1, dtype);
    if (s.kind === "constant") return ramp;
    // progress p = clip((t − W)/(L − W), 0, 1); before W the ramp is < 1 and the decay is at its top.
    const p = minimum(div(maximum(sub(t, warmup), 0), steps - warmup), 1);
    const shape = s.kind === "cosine" ? mul(add(cos(mul(p, Math.PI)), 1), 0.5) : sub(1, p);
    return mul(ramp, add(mul(shape, 1 - final), final));
  });
}

/** The base learning rate `lr` times the schedule's factor at `step`. */
export function scheduledLr(lr: number | Tensor, s: Schedule, step: Tensor): Tensor {
  const f = scheduleFactor(s, step);
  return typeof lr === "number" ? mul(f, lr) : mul(f, reshape(lr, []));
}
