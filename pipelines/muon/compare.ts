/**
 * `muon.compare`: the learning-rate sweeps of both optimizers side by side, per model: each
 * optimizer's learning rate tuned on its own (lowest final training loss of its sweep), then how many
 * steps, and how much wall time, the tuned Muon needs to reach the tuned AdamW's final training loss.
 *
 * - Training loss: train.run's window means (`logEvery` steps), smoothed by a trailing mean over
 *   `smooth` steps for both optimizers alike; AdamW's final loss is its smoothed value at its last step.
 * - speedup = AdamW's steps / the steps at which Muon's smoothed loss first reaches that value
 *   (interpolated between windows): the analogue of the README's "1.35×" (steps to a target loss).
 * - Wall time: steps × the ms per step that `muon.step-cost` timed back to back for that model and
 *   optimizer (separate trainings on a shared machine would compare the load, not the optimizers), so
 *   wall_speedup = speedup × AdamW's ms per step / Muon's ms per step.
 *
 * Metrics per model m (`mlp`, `cnn`): `m-speedup`, `m-wall-speedup` (absent when Muon never reaches the
 * target), `m-adamw-loss`, `m-muon-loss`, `m-adamw-lr`, `m-muon-lr`, `m-adamw-acc`, `m-muon-acc` (the
 * tuned runs' final test accuracy).
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import type { StepCost } from "./cost.ts";

/** One point of the sweep, as the comparison reads it. */
export interface SweepRun {
  variant: string;
  model: string;
  optimizer: "adamw" | "muon";
  lr: number;
  /** Smoothed training loss at the end of each window. */
  steps: number[];
  loss: number[];
  /** Final test accuracy (eval.classifier). */
  accuracy: number;
}

/** Trailing mean over the windows that end in (s − span, s]: the same smoothing for every run. */
export function trailingMean(steps: readonly number[], values: readonly number[], span: number): number[] {
  return steps.map((s, i) => {
    let sum = 0, n = 0;
    for (let j = i; j >= 0 && steps[j]! > s - span; j--) {
      sum += values[j]!;
      n++;
    }
    return sum / n;
  });
}

/** The tuned run of each optimizer (lowest final loss) and Muon's step to AdamW's final loss. */
export function compareTuned(runs: readonly SweepRun[]): {
  adamw: SweepRun;
  muon: SweepRun;
  target: number;
  /** Interpolated step at which Muon first reaches `target`, or null. */
  muonSteps: number | null;
  adamwSteps: number;
} {
  const best = (o: "adamw" | "muon") => {
    const of = runs.filter((r) => r.optimizer === o);
    if (of.length === 0) throw new Error(`muon.compare: no ${o} run in the sweep`);
    return of.reduce((a, b) => (b.loss.at(-1)! < a.loss.at(-1)! ? b : a));
  };
  const adamw = best("adamw"), muon = best("muon");
  const target = adamw.loss.at(-1)!;
  let muonSteps: number | null = null;
  for (let i = 0; i < muon.loss.length; i++) {
    if (muon.loss[i]! > target) continue;
    if (i === 0) muonSteps = muon.steps[0]!;
    else {
      const [s0, s1, v0, v1] = [muon.steps[i - 1]!, muon.steps[i]!, muon.loss[i - 1]!, muon.loss[i]!];
      muonSteps = s0 + ((v0 - target) / (v0 - v1)) * (s1 - s0);
    }
    break;
  }
  return { adamw, muon, target, muonSteps, adamwSteps: adamw.steps.at(-1)! };
}

export const compare = defineStage({
  kind: "muon.compare",
  module: import.meta.url,
  description: "Tuned Muon against tuned AdamW: steps and wall time to AdamW's final training loss",
  params: z.object({
    /** Span of the trailing mean of the training loss, in steps. */
    smooth: z.number().int().min(1).default(50),
  }).strict(),
  inputs: ["cost"],
  groups: ["trainings", "evaluations"],
  async run(ctx) {
    const { readMetricsParquet } = await import("../../stages/train/metrics_file.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    type Fragment = import("../../stages/report/fragments.ts").Fragment;
    type Evaluation = import("../../stages/eval/classifier_eval.ts").ClassifierEvaluation;
    const costs: StepCost[] = JSON.parse(await Deno.readTextFile(`${ctx.inputs.cost}/cost.json`));
    const runs: SweepRun[] = [];
    for (const [stage, dir] of Object.entries(ctx.groups.trainings)) {
      const variant = stage.split("@")[1] ?? stage;
      const graph = ctx.upstream.find((u) => u.stage === `graph@${variant}`);
      if (!graph) throw new Error(`muon.compare: ${stage} has no graph@${variant} upstream`);
      const gp = graph.params as { model: string; optimizer: { kind: string; lr: number } };
      if (gp.optimizer.kind !== "adamw" && gp.optimizer.kind !== "muon") {
        throw new Error(`muon.compare: ${stage} trains with ${gp.optimizer.kind}, not adamw or muon`);
      }
      const rows = (await readMetricsParquet(`${dir}/metrics.parquet`)).filter((r) => r.name === "loss");
      const steps = rows.map((r) => r.step);
      const evalDir = ctx.groups.evaluations[`evaluate@${variant}`];
      if (!evalDir) throw new Error(`muon.compare: no evaluate@${variant} in the evaluations group`);
      const evaluation: Evaluation = JSON.parse(await Deno.readTextFile(`${evalDir}/classifier.json`));
      runs.push({
        variant,
        model: gp.model,
        optimizer: gp.optimizer.kind,
        lr: gp.optimizer.lr,
        steps,
        loss: trailingMean(steps, rows.map((r) => r.value), ctx.params.smooth),
        accuracy: evaluation.final.accuracy,
      });
    }
    const models = [...new Set(runs.map((r) => r.model))];
    const sections: Fragment[] = [];
    const table: Record<string, string | number | null>[] = [];
    for (const model of models) {
      const of = runs.filter((r) => r.model === model);
      const c = compareTuned(of);
      const cost = costs.find((k) => k.model === model);
      if (!cost) throw new Error(`muon.compare: muon.step-cost timed no ${model}`);
      const msOf = (o: "adamw" | "muon") => (o === "adamw" ? cost.adamwMs : cost.muonMs);
      const speedup = c.muonSteps === null ? null : c.adamwSteps / c.muonSteps;
      const wallSpeedup = speedup === null ? null : speedup * cost.adamwMs / cost.muonMs;
      ctx.metrics(0, {
        [`${model}-adamw-loss`]: c.target,
        [`${model}-muon-loss`]: c.muon.loss.at(-1)!,
        [`${model}-adamw-lr`]: c.adamw.lr,
        [`${model}-muon-lr`]: c.muon.lr,
        [`${model}-adamw-acc`]: c.adamw.accuracy,
        [`${model}-muon-acc`]: c.muon.accuracy,
        ...(speedup === null
          ? {}
          : { [`${model}-speedup`]: speedup, [`${model}-wall-speedup`]: wallSpeedup! }),
      });
      for (const r of of) {
        table.push({
          model,
          optimizer: r.optimizer === "adamw" ? "AdamW" : "Muon",
          lr: r.lr,
          tuned: r === c.adamw || r === c.muon ? "✓" : "",
          "final loss": r.loss.at(-1)!,
          "test accuracy": r.accuracy,
          "ms / step": msOf(r.optimizer),
        });
      }
      const label = (r: SweepRun) => `${r.optimizer === "adamw" ? "AdamW" : "Muon"} ${r.lr}`;
      sections.push(
        {
          kind: "line",
          series: of.map((r) => ({ name: label(r), x: r.steps, y: r.loss })),
          options: {
            title: `${model.toUpperCase()}: training loss against steps`,
            subtitle: `every learning rate of the sweep; trailing mean over ${ctx.params.smooth} steps`,
            xLabel: "step",
            yLabel: "training loss (nats)",
            logY: true,
          },
        },
        {
          kind: "line",
          series: [c.adamw, c.muon].map((r) => ({
            name: label(r),
            x: r.steps.map((s) => (s * msOf(r.optimizer)) / 1000),
            y: r.loss,
          })),
          options: {
            title: `${model.toUpperCase()}: training loss against wall time`,
            subtitle: `the tuned runs; seconds = steps × ms per step timed back to back (${
              cost.adamwMs.toFixed(1)
            } ms AdamW, ${cost.muonMs.toFixed(1)} ms Muon)`,
            xLabel: "seconds",
            yLabel: "training loss (nats)",
            logY: true,
          },
        },
        {
          kind: "prose",
          text:
            `${model.toUpperCase()}: the tuned AdamW (lr ${c.adamw.lr}) ends at a training loss of ${
              c.target.toFixed(4)
            } after ${c.adamwSteps} steps; the tuned Muon (lr ${c.muon.lr}) ` +
            (c.muonSteps === null
              ? `never reaches it (it ends at ${c.muon.loss.at(-1)!.toFixed(4)}).`
              : `reaches it at step ${Math.round(c.muonSteps)}: ${speedup!.toFixed(2)}× fewer steps, and ${
                wallSpeedup!.toFixed(2)
              }× ${wallSpeedup! >= 1 ? "less" : "more"} wall time ${
                wallSpeedup! >= 1 ? "" : `(1/${wallSpeedup!.toFixed(2)} = ${(1 / wallSpeedup!).toFixed(2)}×) `
              }at ${cost.muonMs.toFixed(1)} against ${cost.adamwMs.toFixed(1)} ms per step.`),
        },
      );
    }
    const overhead: Record<string, string | number>[] = costs.map((k) => ({
      model: k.model,
      batch: k.batch,
      "AdamW ms / step": k.adamwMs,
      "Muon ms / step": k.muonMs,
      "overhead (measured)": k.overhead,
      "Newton–Schulz / fwd+bwd FLOPs": k.predicted,
      "batch for 5 % (FLOP model)": k.batchFor5,
    }));
    await writeReportSections(ctx.outDir, [
      {
        title: "The sweep: training loss against steps and wall time",
        fragments: [
          {
            kind: "table",
            rows: table,
            caption:
              "Every run of the sweep. Tuned: the lowest final (smoothed) training loss of its optimizer.",
          },
          ...sections,
        ],
      },
      {
        title: "What a Muon step costs",
        fragments: [
          {
            kind: "prose",
            text:
              "Both steps of each model timed back to back in one process, alternating rounds, medians. The " +
              "FLOP model: a forward and backward pass costs about 6·B FLOPs per weight, Newton–Schulz 5·(4m²n + 2m³) " +
              "per m × n hidden matrix (m ≤ n), so for one d × d matrix the ratio is 5d/B. The article's (and the " +
              "README's) ‘within 5 %’ is for batches of ~500k tokens; the last column is the batch at which this " +
              "model would get there.",
          },
          { kind: "table", rows: overhead },
        ],
      },
    ]);
  },
});
