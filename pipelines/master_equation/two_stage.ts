/**
 * `master-equation.two-stage`: the master equation of the gillespie model (transcription, translation,
 * decays) from its network definition, solved over time from (0, 0) by uniformization on a truncated
 * box with a finite-state projection, and its stationary distribution (Gauss–Seidel on the same
 * generator, reflecting at the box's edges). Writes the marginals for the comparison.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import { ARTICLE_RATES } from "../gillespie/model.ts";
import { ratesSchema } from "../gillespie/rates.ts";

/** What me.json holds. */
export interface TwoStageSolution {
  times: number[];
  /** Per time: P(protein = n), P(mRNA = m). */
  protein: number[][];
  mrna: number[][];
  /** Per time: probability lost to truncation and cut series (≥ |error| of the box, see fsp.ts). */
  deficit: number[];
  stationary: { protein: number[]; mrna: number[]; sweeps: number };
  steps: number;
}

export const twoStage = defineStage({
  kind: "master-equation.two-stage",
  module: import.meta.url,
  description:
    "Master equation of two-stage gene expression over time (uniformization, FSP) and at stationarity",
  params: z.object({
    rates: ratesSchema.default(ARTICLE_RATES),
    maxMrna: z.number().int().min(1).default(70),
    maxProtein: z.number().int().min(1).default(200),
    times: z.array(z.number().positive()).min(1).default([0.5, 1, 2, 5, 10]),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const { twoStageNetwork } = await import("../gillespie/model.ts");
    const { generator, indexOf } = await import("../gillespie/network.ts");
    const { marginal, solveMasterEquation, stationaryGaussSeidel } = await import("./fsp.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    const network = twoStageNetwork(p.rates);
    const box = { max: [p.maxMrna, p.maxProtein] };
    const g = generator(network, box);
    const start = new Float64Array(g.size);
    start[indexOf(box, [0, 0])] = 1;
    const solved = solveMasterEquation(g, start, p.times, {
      onProgress: (done, total) => ctx.progress({ done, total, text: "uniformization (time units)" }),
    });
    const stationary = stationaryGaussSeidel(generator(network, box, { reflecting: true }));
    const result: TwoStageSolution = {
      times: p.times,
      protein: solved.distributions.map((d) => Array.from(marginal(d, box.max, 1))),
      mrna: solved.distributions.map((d) => Array.from(marginal(d, box.max, 0))),
      deficit: solved.deficit,
      stationary: {
        protein: Array.from(marginal(stationary.p, box.max, 1)),
        mrna: Array.from(marginal(stationary.p, box.max, 0)),
        sweeps: stationary.sweeps,
      },
      steps: solved.steps,
    };
    ctx.metrics(0, {
      max_lost_mass: Math.max(...solved.deficit.map((d) => Math.max(d, 0))),
      steps: solved.steps,
      states: g.size,
    });
    await Deno.writeTextFile(`${ctx.outDir}/me.json`, JSON.stringify(result));
    const xs = Array.from({ length: 121 }, (_, i) => i);
    await writeReportSections(ctx.outDir, [{
      title: "Two-stage gene expression: the master equation over time",
      fragments: [
        {
          kind: "prose",
          text:
            `The gillespie model's four reactions, read by network.ts as a generator on m ≤ ${p.maxMrna}, ` +
            `n ≤ ${p.maxProtein} (${
              g.size.toLocaleString("en")
            } states), solved from (0, 0) by uniformization ` +
            `(${solved.steps.toLocaleString("en")} steps). At most ${
              Math.max(...solved.deficit, 0).toExponential(1)
            } of ` +
            `the probability is lost to the truncation and the cut series, which bounds the error. The stationary ` +
            `distribution (Gauss–Seidel, ${stationary.sweeps} sweeps) is what the proteins approach.`,
        },
        {
          kind: "line",
          series: [
            ...result.protein.map((d, i) => ({
              name: `t = ${p.times[i]}`,
              x: xs,
              y: xs.map((x) => d[x] ?? 0),
            })),
            { name: "stationary", x: xs, y: xs.map((x) => result.stationary.protein[x] ?? 0) },
          ],
          options: { title: "P(protein = n, t)", xLabel: "proteins n", yLabel: "probability" },
        },
      ],
    }]);
  },
});
