/**
 * `muon.step-cost`: what a Muon step costs against an AdamW step of the same model, timed back to back
 * in one process (the box is shared: separate runs at separate times would compare the load, not the
 * optimizers). Each pair of graphs in the `steps` group (an AdamW and a Muon train step of one model,
 * wired in that order) runs `rounds` alternating rounds of `calls` fused calls on the same random batch;
 * the medians give ms per step.
 *
 * Beside the measurement, the FLOP model of the overhead: a forward and backward pass costs about
 * 6·B·(weights) FLOPs, and Newton–Schulz on an m × n hidden matrix (m ≤ n) 5·(4m²n + 2m³) per step, so
 * for one d × d matrix the ratio is 5d/B: 20 at d = 512, B = 128, but 0.5% for d = 768 with the GPT-2
 * speedrun's ~500k tokens per step, which is where the article's "within 5%" comes from.
 *
 * This stage's output holds timings, which differ between runs; only the report reads it.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

/** One timed pair. */
export interface StepCost {
  model: string;
  adamwMs: number;
  muonMs: number;
  /** muonMs / adamwMs − 1. */
  overhead: number;
  /** Newton–Schulz FLOPs over forward+backward FLOPs (the FLOP model above). */
  predicted: number;
  /** Forward+backward FLOPs per step, and Newton–Schulz FLOPs per step. */
  flops: { step: number; ns: number };
  /** The batch at which the FLOP model's overhead would be 5%. */
  batchFor5: number;
  batch: number;
}

/** FLOPs of one forward and backward pass, 6·B per weight of a dense or convolution layer (its output positions). */
export function stepFlops(
  params: readonly { name: string; shape: readonly number[] }[],
  batch: number,
): number {
  let per = 0;
  for (const p of params) {
    if (p.shape.length === 2) per += p.shape[0]! * p.shape[1]!;
    if (p.shape.length === 4) {
      // Strided 4×4 convolutions halve the side: 28 → 14 → 7 (the CNN of cnn_classifier.ts).
      const side = p.name.endsWith("conv1/W") ? 14 : 7;
      per += p.shape.reduce((a, b) => a * b, 1) * side * side;
    }
  }
  return 6 * batch * per;
}

/** Newton–Schulz FLOPs per step for the Muon matrices (flattened to [rows, rest], wide orientation). */
export function nsFlops(shapes: readonly (readonly number[])[], steps = 5): number {
  let total = 0;
  for (const s of shapes) {
    const rows = s[0]!, cols = s.reduce((a, b) => a * b, 1) / rows;
    const [m, n] = rows <= cols ? [rows, cols] : [cols, rows];
    total += steps * (4 * m * m * n + 2 * m ** 3);
  }
  return total;
}

export const stepCost = defineStage({
  kind: "muon.step-cost",
  module: import.meta.url,
  description: "ms per Muon step against ms per AdamW step of the same model, timed back to back",
  params: z.object({
    rounds: z.number().int().min(1).default(5),
    calls: z.number().int().min(1).default(2),
    /** Steps per call (each graph must have built it). */
    fuse: z.number().int().min(1).default(10),
  }).strict(),
  inputs: [],
  groups: ["steps"],
  async run(ctx) {
    const p = ctx.params;
    const { SavedTrainStep } = await import("../../models/onnx/saved_step.ts");
    const { TrainRunner } = await import("../../models/onnx/runner.ts");
    const { Rng } = await import("../../stages/data/random.ts");
    const members = Object.entries(ctx.groups.steps);
    if (members.length % 2 !== 0) {
      throw new Error(`muon.step-cost: wire AdamW and Muon graphs in pairs, got ${members.length}`);
    }
    const costs: StepCost[] = [];
    for (let i = 0; i < members.length; i += 2) {
      const [adamwName, adamwDir] = members[i]!;
      const [muonName, muonDir] = members[i + 1]!;
      const steps = await Promise.all([adamwDir, muonDir].map((d) => SavedTrainStep.load(`${d}/step`)));
      const x = steps[0]!.batch.x!, y = steps[0]!.batch.y!;
      const rng = new Rng(1);
      const xs = Float32Array.from(
        { length: p.fuse * x.shape.reduce((a, b) => a * b, 1) },
        () => rng.float(),
      );
      const ys = Int32Array.from({ length: p.fuse * y.shape[0]! }, () => rng.below(10));
      const runners = await Promise.all(
        steps.map((s) => TrainRunner.create(s, { seed: s.seed, intraOpNumThreads: ctx.threads })),
      );
      const call = (r: (typeof runners)[number]) =>
        p.fuse === 1 ? r.step({ x: xs, y: ys }) : r.steps({ x: xs, y: ys }, p.fuse);
      for (const r of runners) await call(r); // warm-up
      const times: number[][] = [[], []];
      for (let round = 0; round < p.rounds; round++) {
        ctx.signal.throwIfAborted();
        for (const [j, r] of runners.entries()) {
          const t0 = performance.now();
          for (let c = 0; c < p.calls; c++) await call(r);
          times[j]!.push((performance.now() - t0) / (p.calls * p.fuse));
        }
      }
      for (const r of runners) await r.release();
      const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
      const [adamwMs, muonMs] = times.map(median) as [number, number];
      const describe = JSON.parse(await Deno.readTextFile(`${muonDir}/describe.json`)) as {
        routing: { name: string; shape: number[]; optimizer: string }[];
      };
      const batch = y.shape[0]!;
      const flops = {
        step: stepFlops(steps[1]!.params, batch),
        ns: nsFlops(describe.routing.filter((r) => r.optimizer === "muon").map((r) => r.shape)),
      };
      const predicted = flops.ns / flops.step;
      const model = adamwName.split("@")[1]?.split("-")[0] ?? adamwName;
      costs.push({
        model,
        adamwMs,
        muonMs,
        overhead: muonMs / adamwMs - 1,
        predicted,
        flops,
        batchFor5: Math.ceil(batch * predicted / 0.05),
        batch,
      });
      ctx.log(
        `${model}: AdamW ${adamwMs.toFixed(2)} ms, Muon ${muonMs.toFixed(2)} ms per step (${muonName})`,
      );
      ctx.metrics(0, {
        [`${model}-adamw-ms`]: adamwMs,
        [`${model}-muon-ms`]: muonMs,
        [`${model}-overhead`]: muonMs / adamwMs - 1,
        [`${model}-predicted`]: predicted,
      });
    }
    await Deno.writeTextFile(`${ctx.outDir}/cost.json`, JSON.stringify(costs, null, 1));
  },
});
