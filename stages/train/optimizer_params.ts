/**
 * The optimizer and its learning-rate schedule as a graph stage's params, so that an optimizer study is a
 * sweep of `--set graph.optimizer.kind=muon`, `--set graph.optimizer.lr=0.02` or
 * `--set graph.optimizer.schedule.warmup=500`, not a copy of a pipeline. models/onnx/optimizer_choice.ts's
 * `buildOptimizer` turns the params into an optimizer whose learning rates are graph ops of the step counter
 * (models/onnx/schedules.ts); this module holds only the schema, so that loading a pipeline stays light.
 *
 * The schedule's length (`schedule.steps`) is a param of the graph, not the training's `steps`: a longer
 * `train.run` of the same graph then continues the cached shorter one and ends exactly as a run from
 * scratch (the schedule holds its final value past its length), while a schedule of another length is
 * another graph, so its training has another cache key and never continues one of a different schedule.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optimizerSchema } from "./optimizer_params.ts";
 *
 * const p = optimizerSchema.parse({ kind: "muon", lr: 0.02, schedule: { kind: "cosine", steps: 1000 } });
 * assert.deepEqual(p.schedule, { kind: "cosine", warmup: 0, steps: 1000, final: 0 });
 * assert.throws(() => optimizerSchema.parse({ schedule: { kind: "cosine", warmup: 10 } }), /steps > warmup/);
 * ```
 *
 * @module
 */
import { z } from "zod";

export const scheduleSchema = z.object({
  /** constant (after any warmup), cosine or linear decay to `final` at `steps`. */
  kind: z.enum(["constant", "cosine", "linear"]).default("constant"),
  /** Linear warmup steps (0: none). */
  warmup: z.number().int().min(0).default(0),
  /** Where a decaying schedule ends (warmup included): the schedule's own length, not train.steps. */
  steps: z.number().int().min(0).default(0),
  /** The factor a decaying schedule ends at. */
  final: z.number().min(0).max(1).default(0),
}).strict().superRefine((s, ctx) => {
  if (s.kind !== "constant" && s.steps <= s.warmup) {
    ctx.addIssue({
      code: "custom",
      path: ["steps"],
      message:
        `a ${s.kind} schedule needs steps > warmup (${s.warmup}): set schedule.steps to the decay's length`,
    });
  }
});

export const optimizerSchema = z.object({
  /** adamw, adam, sgd (with momentum), or muon (Muon on the hidden matrices, AdamW on the rest). */
  kind: z.enum(["adamw", "adam", "sgd", "muon"]).default("adamw"),
  /** The base learning rate (for muon: of the hidden matrices, in spectral norm per step). */
  lr: z.number().positive().default(1e-3),
  /** Decoupled weight decay (AdamW, Muon's matrices and its AdamW group). */
  weightDecay: z.number().min(0).default(0),
  b1: z.number().min(0).lt(1).default(0.9),
  b2: z.number().min(0).lt(1).default(0.999),
  eps: z.number().positive().default(1e-8),
  /** Muon's β, SGD's momentum. */
  momentum: z.number().min(0).lt(1).default(0.95),
  /** Muon only: the AdamW learning rate of everything that is not a hidden matrix (the reference's 3e-4). */
  adamLr: z.number().positive().default(3e-4),
  schedule: scheduleSchema.default({ kind: "constant", warmup: 0, steps: 0, final: 0 }),
}).strict();

export type OptimizerParams = z.output<typeof optimizerSchema>;
