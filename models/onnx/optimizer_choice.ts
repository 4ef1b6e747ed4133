/**
 * An optimizer chosen by data: which one, its hyperparameters and its learning-rate schedule (a graph
 * op of the step counter, schedules.ts), so that a stage can take the choice as params
 * (stages/train/optimizer_params.ts) and an optimizer study is a sweep of params.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { input } from "./graph.ts";
 * import { buildOptimizer } from "./optimizer_choice.ts";
 *
 * const step = input("step", "float32", []);
 * const opt = buildOptimizer({ kind: "muon", lr: 0.02, schedule: { kind: "cosine", steps: 1000 } }, step);
 * assert.equal(opt.name, "muon");
 * ```
 *
 * @module
 */
import type { Tensor } from "./graph.ts";
import { adam, adamw, muon, type Optimizer, type ParamInfo, sgd } from "./optimizers.ts";
import { type Schedule, scheduledLr } from "./schedules.ts";

/** Which optimizer, with what settings. Unset fields take the defaults below. */
export interface OptimizerSpec {
  /** adamw, adam, sgd (with momentum) or muon (Muon on the hidden matrices, AdamW on the rest). */
  readonly kind: "adamw" | "adam" | "sgd" | "muon";
  /** Base learning rate (default 1e-3; for muon the hidden matrices', in spectral norm per step). */
  readonly lr?: number;
  /** Decoupled weight decay (AdamW, Muon and its AdamW group; SGD's is L2); default 0. */
  readonly weightDecay?: number;
  readonly b1?: number;
  readonly b2?: number;
  readonly eps?: number;
  /** Muon's β, SGD's momentum (default 0.95). */
  readonly momentum?: number;
  /** Muon only: AdamW's learning rate for the rest (default 3e-4, the reference's). */
  readonly adamLr?: number;
  /** Default constant. */
  readonly schedule?: Schedule;
}

/** Which parameters are Muon's hidden matrices (see optimizers.ts `muon`). */
export type HiddenSelector = (
  name: string,
  info: ParamInfo,
  all: Readonly<Record<string, ParamInfo>>,
) => boolean;

/** The optimizer `spec` describes, its learning rates multiplied by the schedule at `step`. */
export function buildOptimizer(spec: OptimizerSpec, step: Tensor, hidden?: HiddenSelector): Optimizer {
  const schedule = spec.schedule ?? { kind: "constant" };
  const lr = scheduledLr(spec.lr ?? 1e-3, schedule, step);
  const betas = { b1: spec.b1 ?? 0.9, b2: spec.b2 ?? 0.999, eps: spec.eps ?? 1e-8 };
  const weightDecay = spec.weightDecay ?? 0;
  switch (spec.kind) {
    case "adamw":
      return adamw({ lr, ...betas, weightDecay });
    case "adam":
      return adam({ lr, ...betas });
    case "sgd":
      return sgd({ lr, momentum: spec.momentum ?? 0.95, weightDecay });
    case "muon":
      return muon({
        lr,
        momentum: spec.momentum ?? 0.95,
        weightDecay,
        adam: { lr: scheduledLr(spec.adamLr ?? 3e-4, schedule, step), ...betas, weightDecay },
        ...(hidden ? { hidden } : {}),
      });
  }
}

/** One line for reports, e.g. "Muon lr 0.02 (AdamW lr 0.0003 for the rest), cosine to 0 over 1000 steps". */
export function describeOptimizer(spec: OptimizerSpec): string {
  const name = { adamw: "AdamW", adam: "Adam", sgd: "SGD", muon: "Muon" }[spec.kind];
  const parts = [
    `${name} lr ${spec.lr ?? 1e-3}` +
    (spec.kind === "muon" ? ` (AdamW lr ${spec.adamLr ?? 3e-4} for the rest)` : ""),
  ];
  if ((spec.weightDecay ?? 0) > 0) parts.push(`weight decay ${spec.weightDecay}`);
  const s = spec.schedule ?? { kind: "constant" };
  if ((s.warmup ?? 0) > 0) parts.push(`warmup ${s.warmup} steps`);
  if (s.kind !== "constant") parts.push(`${s.kind} to ${s.final ?? 0} over ${s.steps} steps`);
  return parts.join(", ");
}
