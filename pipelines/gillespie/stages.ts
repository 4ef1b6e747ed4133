/**
 * Stages of the gillespie pipeline: simulate (many seeded trajectories, plus the article's own single
 * run), exact (the master equation's stationary distribution), summarize (measured vs exact, with a
 * tolerance derived from the spread between independent trajectories).
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import { mixSeed, Rng } from "../../stages/data/random.ts";
import { type Occupation, type SamplePoint, simulate as gillespie, weightedMoments } from "./gillespie.ts";
import { stationaryDistribution } from "./master_equation.ts";
import { analyticMoments, ARTICLE_RATES, reactions } from "./model.ts";

const positive = z.number().positive();
export const ratesSchema = z.object({
  transcription: positive.default(ARTICLE_RATES.transcription),
  translation: positive.default(ARTICLE_RATES.translation),
  mrnaDecay: positive.default(ARTICLE_RATES.mrnaDecay),
  proteinDecay: positive.default(ARTICLE_RATES.proteinDecay),
}).strict();

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
  params: z.object({
    rates: ratesSchema.default(ARTICLE_RATES),
    trajectories: z.number().int().min(2).default(64),
    /** Simulated time per trajectory, after burn-in (time unit = 1/γ). */
    duration: positive.default(200),
    burnIn: z.number().min(0).default(10),
    seed: z.number().int().min(0).default(0),
    /** Jumps of the article's single run, and how many it drops before its histogram. */
    articleEvents: z.number().int().min(1).default(100_000),
    articleSkip: z.number().int().min(0).default(2_000),
  }).strict(),
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

/** What summarize writes to summary.json. */
export interface Summary {
  analytic: ReturnType<typeof analyticMoments>;
  trajectories: number;
  simulatedTime: number;
  jumps: number;
  checks: {
    name: string;
    measured: number;
    expected: number;
    standardError: number;
    tolerance: number;
    pass: boolean;
  }[];
  /** Total-variation distance between the pooled time-weighted histogram and the exact distribution. */
  tvDistance: number;
  /** TV distance expected from sampling noise alone, estimated by splitting the trajectories in halves. */
  tvNoise: number;
  exactProtein: number[];
  measuredProtein: number[];
  article: {
    eventWeighted: { mean: number; variance: number };
    timeWeighted: { mean: number; variance: number };
    jumps: number;
    time: number;
  };
  path: SamplePoint[];
  articlePath: SamplePoint[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

function tv(a: readonly number[], b: readonly number[]): number {
  const n = Math.max(a.length, b.length);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return s / 2;
}

const normalize = (w: readonly number[]) => {
  const total = w.reduce((x, y) => x + y, 0);
  return w.map((v) => v / total);
};

/** Compares a simulation with the exact answer. Pure, so it is tested on its own. */
export function summarizeSimulation(
  sim: Simulation,
  stationary: { protein: number[] },
  zTolerance: number,
): Summary {
  const analytic = analyticMoments(sim.rates);
  const k = sim.trajectories.length;
  const means = sim.trajectories.map((t) => t.proteinMean);
  const fanos = sim.trajectories.map((t) => t.proteinVariance / t.proteinMean);
  const mrna = sim.trajectories.map((t) => t.mrnaMean);
  const pooledProtein = weightedMoments(sim.pooled.proteinTime);
  const pooledMrna = weightedMoments(sim.pooled.mrnaTime);
  // Independent trajectories give independent estimates: their spread is the honest standard error,
  // autocorrelation within a trajectory included.
  const check = (name: string, measured: number, expected: number, perTrajectory: number[]) => {
    const standardError = sd(perTrajectory) / Math.sqrt(k);
    const tolerance = zTolerance * standardError;
    return {
      name,
      measured,
      expected,
      standardError,
      tolerance,
      pass: Math.abs(measured - expected) <= tolerance,
    };
  };
  const measuredProtein = normalize(sim.pooled.proteinTime);
  // Sampling noise of the histogram: the two halves differ by about √2 times the noise of one half,
  // and the pooled histogram carries 1/√2 of it, so noise alone gives TV(pooled, exact) ≈ TV(halves)/2.
  const tvNoise = tv(normalize(sim.halves[0].proteinTime), normalize(sim.halves[1].proteinTime)) / 2;
  const article = sim.article.occupation;
  const articleEvents = weightedMoments(article.proteinEvents);
  const articleTime = weightedMoments(article.proteinTime);
  return {
    analytic,
    trajectories: k,
    simulatedTime: sim.pooled.totalTime,
    jumps: sim.trajectories.reduce((a, t) => a + t.events, 0),
    checks: [
      check("protein mean", pooledProtein.mean, analytic.proteinMean, means),
      check("protein Fano factor", pooledProtein.variance / pooledProtein.mean, analytic.proteinFano, fanos),
      check("mRNA mean", pooledMrna.mean, analytic.mrnaMean, mrna),
    ],
    tvDistance: tv(measuredProtein, stationary.protein),
    tvNoise,
    exactProtein: stationary.protein,
    measuredProtein,
    article: {
      eventWeighted: { mean: articleEvents.mean, variance: articleEvents.variance },
      timeWeighted: { mean: articleTime.mean, variance: articleTime.variance },
      jumps: article.events,
      time: article.totalTime,
    },
    path: sim.path,
    articlePath: sim.article.path,
  };
}

export const summarize = defineStage({
  kind: "gillespie.summarize",
  module: import.meta.url,
  description: "Measured stationary statistics against the exact ones",
  params: z.object({
    /** A check passes when |measured − exact| ≤ z × standard error. */
    z: z.number().positive().default(4),
  }).strict(),
  inputs: ["simulation", "exact"],
  async run(ctx) {
    const sim: Simulation = JSON.parse(await Deno.readTextFile(`${ctx.inputs.simulation}/simulation.json`));
    const stationary = JSON.parse(await Deno.readTextFile(`${ctx.inputs.exact}/stationary.json`));
    const summary = summarizeSimulation(sim, stationary, ctx.params.z);
    const [meanCheck, fanoCheck, mrnaCheck] = summary.checks;
    ctx.metrics(0, {
      protein_mean: meanCheck!.measured,
      protein_fano: fanoCheck!.measured,
      mrna_mean: mrnaCheck!.measured,
      tv_distance: summary.tvDistance,
      checks_passed: summary.checks.filter((c) => c.pass).length,
    });
    await Deno.writeTextFile(`${ctx.outDir}/summary.json`, JSON.stringify(summary));
  },
});
