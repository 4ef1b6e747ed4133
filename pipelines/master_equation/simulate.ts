/**
 * `master-equation.simulate`: independent batches of Gillespie trajectories of the same network
 * (pipelines/gillespie/network.ts, the definition the master equation reads), each from (0, 0), with
 * the state of every trajectory recorded at the sampling times: histograms per batch and time.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import { ARTICLE_RATES } from "../gillespie/model.ts";
import { ratesSchema } from "../gillespie/rates.ts";

/** What simulation.json holds: per batch, per time, counts of each protein and mRNA number. */
export interface TimedSimulation {
  times: number[];
  batches: { trajectories: number; protein: number[][]; mrna: number[][] }[];
}

export const simulate = defineStage({
  kind: "master-equation.simulate",
  module: import.meta.url,
  description: "Batches of Gillespie trajectories of two-stage gene expression, states at fixed times",
  params: z.object({
    rates: ratesSchema.default(ARTICLE_RATES),
    times: z.array(z.number().positive()).min(1).default([0.5, 1, 2, 5, 10]),
    /** Trajectories per batch; each batch is independent of the others. */
    batches: z.array(z.number().int().min(10)).min(2).default([1000, 4000, 16000, 64000]),
    seed: z.number().int().min(0).default(0),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const { twoStageNetwork } = await import("../gillespie/model.ts");
    const { statesAt } = await import("../gillespie/network.ts");
    const { mixSeed, Rng } = await import("../../stages/data/random.ts");
    const network = twoStageNetwork(p.rates);
    const total = p.batches.reduce((a, b) => a + b, 0);
    let done = 0;
    const batches: TimedSimulation["batches"] = [];
    for (const [b, size] of p.batches.entries()) {
      const protein = p.times.map(() => [] as number[]), mrna = p.times.map(() => [] as number[]);
      for (let i = 0; i < size; i++) {
        const states = statesAt(network, [0, 0], p.times, new Rng(mixSeed(p.seed, b, i)));
        states.forEach((x, t) => {
          protein[t]![x[1]!] = (protein[t]![x[1]!] ?? 0) + 1;
          mrna[t]![x[0]!] = (mrna[t]![x[0]!] ?? 0) + 1;
        });
        if (++done % 2000 === 0) {
          ctx.progress({ done, total, text: "trajectories" });
          await new Promise((r) => setTimeout(r, 0));
          ctx.signal.throwIfAborted();
        }
      }
      const dense = (h: number[]) => Array.from(h, (v) => v ?? 0);
      batches.push({ trajectories: size, protein: protein.map(dense), mrna: mrna.map(dense) });
    }
    const result: TimedSimulation = { times: p.times, batches };
    await Deno.writeTextFile(`${ctx.outDir}/simulation.json`, JSON.stringify(result));
  },
});
