/**
 * The simulate stage: many seeded Gillespie trajectories of the model, plus the article's own single
 * run, reduced on the fly to occupation histograms (gillespie.ts).
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import { mixSeed, Rng } from "../../stages/data/random.ts";
import { type Occupation, type SamplePoint, simulate as gillespie, weightedMoments } from "./gillespie.ts";
import { ARTICLE_RATES, reactions } from "./model.ts";
import { positive, ratesSchema } from "./rates.ts";

/** What simulate writes to simulation.json. */
export interface Simulation {
  rates: z.output<typeof ratesSchema>;
  trajectories: {
    seed: number;
    proteinMean: number;
    proteinVariance: number;
    mrnaMean: number;
    time: number;
    events: number;
  }[];
  /** Time-weighted occupation pooled over all trajectories… */
  pooled: Occupation;
  /** …and over the even and the odd ones separately, to measure sampling noise. */
  halves: [Occupation, Occupation];
  /** The first trajectory's path over its first time units, for a plot. */
  path: SamplePoint[];
  /** The article's run: 100,000 jumps from (0,0), statistics after the first 2,000. */
  article: { occupation: Occupation; path: SamplePoint[] };
}

function pool(into: Occupation, from: Occupation): void {
  const addAll = (a: number[], b: number[]) => b.forEach((v, i) => (a[i] = (a[i] ?? 0) + v));
  addAll(into.proteinTime, from.proteinTime);
  addAll(into.mrnaTime, from.mrnaTime);
  addAll(into.proteinEvents, from.proteinEvents);
  into.totalTime += from.totalTime;
  into.events += from.events;
}

export const simulate = defineStage({
  kind: "gillespie.simulate",
  module: import.meta.url,
  description: "Gillespie trajectories of the two-stage gene expression model",
  // Upper bounds keep a typo (1e12 trajectories, a duration of 1e300) from starting a run that would never
  // end: the default takes about a second, scale=full (512 × 1000) about a minute, and the bounds allow
  // about a thousand times that.
  params: z.object({
    rates: ratesSchema.default(ARTICLE_RATES),
    trajectories: z.number().int().min(2).max(100_000).default(64),
    /** Simulated time per trajectory, after burn-in (time unit = 1/γ). */
    duration: positive.max(1_000_000).default(200),
    burnIn: z.number().min(0).max(100_000).default(10),
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
    /** Jumps of the article's single run, and how many it drops before its histogram. */
    articleEvents: z.number().int().min(1).max(100_000_000).default(100_000),
    articleSkip: z.number().int().min(0).max(100_000_000).default(2_000),
  }).strict().refine(
    (p) => p.trajectories * (p.burnIn + p.duration) <= 5e8 || p.trajectories > 100_000 || p.duration > 1e6,
    {
      message: "trajectories × (burnIn + duration) is above 500,000,000 (about 10 hours of simulation); " +
        "lower trajectories or duration",
      path: ["trajectories"],
    },
  ),
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const network = reactions(p.rates);
    const empty = (): Occupation => ({
      proteinTime: [],
      mrnaTime: [],
      proteinEvents: [],
      totalTime: 0,
      events: 0,
    });
    const pooled = empty();
    const halves: [Occupation, Occupation] = [empty(), empty()];
    const trajectories: Simulation["trajectories"] = [];
    let path: SamplePoint[] = [];
    for (let i = 0; i < p.trajectories; i++) {
      const seed = mixSeed(p.seed, i);
      const run = gillespie(network, new Rng(seed), {
        start: [0, 0],
        burnIn: p.burnIn,
        duration: p.duration,
        ...(i === 0 ? { recordUntil: p.burnIn + 40 } : {}),
      });
      if (i === 0) path = run.path;
      const protein = weightedMoments(run.occupation.proteinTime);
      const mrna = weightedMoments(run.occupation.mrnaTime);
      trajectories.push({
        seed,
        proteinMean: protein.mean,
        proteinVariance: protein.variance,
        mrnaMean: mrna.mean,
        time: run.occupation.totalTime,
        events: run.occupation.events,
      });
      pool(pooled, run.occupation);
      pool(halves[i % 2]!, run.occupation);
      ctx.progress({
        done: i + 1,
        total: p.trajectories,
        text: `${pooled.events.toLocaleString("en")} jumps`,
      });
      if (i % 8 === 7) await new Promise((r) => setTimeout(r, 0)); // let progress and signals through
      ctx.signal.throwIfAborted();
    }
    const article = gillespie(network, new Rng(mixSeed(p.seed, 1_000_000)), {
      start: [0, 0],
      maxEvents: p.articleEvents,
      skipEvents: p.articleSkip,
      recordUntil: 60,
    });
    const simulation: Simulation = { rates: p.rates, trajectories, pooled, halves, path, article };
    await Deno.writeTextFile(`${ctx.outDir}/simulation.json`, JSON.stringify(simulation));
  },
});
