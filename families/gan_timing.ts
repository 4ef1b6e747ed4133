/**
 * Time per iteration of several GAN train steps on the same machine, interleaved (`gan.timing`): one
 * step of each graph in turn, round after round, so that a shared machine's drifting speed affects
 * them alike. Reads the graph stages (`graphs` group: stage name → folder; the name after `@` names
 * the metric) and feeds each step random batches of its own shapes (the time does not depend on the
 * values). Metrics: `ms_<variant>` (the median over rounds) and, with `ratio: "a/b"`, `time_ratio`
 * = ms_a / ms_b.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../engine/stage.ts";

const variantOf = (stage: string) => stage.split("@").at(-1)!;

export const ganTiming = defineStage({
  kind: "gan.timing",
  module: import.meta.url,
  description: "Interleaved time per iteration of GAN train steps on the same machine",
  params: z.object({
    /** Timed rounds (one step of every graph each). */
    rounds: z.number().int().min(1).default(15),
    /** Untimed rounds first (session warm-up). */
    warmup: z.number().int().min(0).default(2),
    /** "a/b": also record time_ratio = ms_a / ms_b. */
    ratio: z.string().regex(/^[^/]+\/[^/]+$/, "two variants: a/b").optional(),
  }).strict(),
  inputs: [],
  groups: ["graphs"],
  async run(ctx) {
    const { SavedTrainStep } = await import("../models/onnx/saved_step.ts");
    const { TrainRunner } = await import("../models/onnx/runner.ts");
    const { Rng } = await import("../models/onnx/init.ts");
    const p = ctx.params;
    const rng = new Rng(0, "gan.timing");
    const runs = [];
    for (const [stage, dir] of Object.entries(ctx.groups.graphs)) {
      const step = await SavedTrainStep.load(`${dir}/step`);
      const runner = await TrainRunner.create(step, { seed: step.seed, intraOpNumThreads: ctx.threads });
      const feeds = Object.fromEntries(
        Object.entries(step.batch).map(([name, spec]) => {
          const n = spec.shape.reduce((a, b) => a * b, 1);
          return [name, Float32Array.from({ length: n }, () => 2 * rng.uniform() - 1)];
        }),
      );
      runs.push({ variant: variantOf(stage), runner, feeds, ms: [] as number[] });
    }
    const ratio = p.ratio?.split("/");
    for (const name of ratio ?? []) {
      if (!runs.some((r) => r.variant === name)) {
        throw new Error(
          `gan.timing: ratio names '${name}', which is not one of ${runs.map((r) => r.variant)}`,
        );
      }
    }
    try {
      for (let round = 0; round < p.warmup + p.rounds; round++) {
        for (const r of runs) {
          const t = performance.now();
          await r.runner.step(r.feeds);
          if (round >= p.warmup) r.ms.push(performance.now() - t);
        }
        ctx.progress({ done: round + 1, total: p.warmup + p.rounds, text: "timing" });
      }
    } finally {
      for (const r of runs) await r.runner.release();
    }
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
    };
    const ms = Object.fromEntries(runs.map((r) => [r.variant, median(r.ms)]));
    ctx.metrics(0, Object.fromEntries(Object.entries(ms).map(([v, t]) => [`ms_${v}`, t])));
    if (ratio) ctx.metrics(0, { time_ratio: ms[ratio[0]!]! / ms[ratio[1]!]! });
    let load = "";
    try {
      load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
    } catch { /* not Linux */ }
    ctx.log(
      Object.entries(ms).map(([v, t]) => `${v} ${t.toFixed(1)} ms`).join(", ") +
        (load ? ` (load average ${load})` : ""),
    );
    await Deno.writeTextFile(`${ctx.outDir}/timing.json`, JSON.stringify({ ms, load }, null, 1));
  },
});
