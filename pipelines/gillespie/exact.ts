/**
 * The exact stage: the stationary distribution from the truncated chemical master equation.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import { stationaryDistribution } from "./master_equation.ts";
import { ARTICLE_RATES } from "./model.ts";
import { ratesSchema } from "./rates.ts";

export const exact = defineStage({
  kind: "gillespie.exact",
  module: import.meta.url,
  description: "Exact stationary distribution from the truncated chemical master equation",
  params: z.object({
    rates: ratesSchema.default(ARTICLE_RATES),
    /** Truncation of the state space; the default is 10 standard deviations above the means. */
    maxMrna: z.number().int().min(1).default(70),
    maxProtein: z.number().int().min(1).default(200),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const s = stationaryDistribution(ctx.params.rates, ctx.params);
    ctx.log(
      `master equation solved in ${s.sweeps} Gauss–Seidel sweeps (last change ${
        s.residual.toExponential(1)
      })`,
    );
    await Deno.writeTextFile(`${ctx.outDir}/stationary.json`, JSON.stringify(s));
  },
});
