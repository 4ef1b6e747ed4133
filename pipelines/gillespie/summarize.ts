/**
 * The summarize stage: the simulation measured against the exact answer, with standard errors derived
 * from the spread between independent trajectories. The pipeline's claims judge the metrics it records.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import { type SamplePoint, weightedMoments } from "./gillespie.ts";
import { analyticMoments } from "./model.ts";
import type { Simulation } from "./simulate.ts";

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
export function summarizeSimulation(sim: Simulation, stationary: { protein: number[] }): Summary {
  const analytic = analyticMoments(sim.rates);
  const k = sim.trajectories.length;
  const means = sim.trajectories.map((t) => t.proteinMean);
  const fanos = sim.trajectories.map((t) => t.proteinVariance / t.proteinMean);
  const mrna = sim.trajectories.map((t) => t.mrnaMean);
  const pooledProtein = weightedMoments(sim.pooled.proteinTime);
  const pooledMrna = weightedMoments(sim.pooled.mrnaTime);
  // Independent trajectories give independent estimates: their spread is the honest standard error,
  // autocorrelation within a trajectory included.
  const check = (name: string, measured: number, expected: number, perTrajectory: number[]) => ({
    name,
    measured,
    expected,
    standardError: sd(perTrajectory) / Math.sqrt(k),
  });
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

/**
 * The metrics summarize records, which the pipeline's claims read: each measured quantity with its
 * exact value and standard error (`protein_mean`, `protein_mean_exact`, `protein_mean_se`, …), and the
 * histogram's total-variation distance with its sampling-noise level.
 */
export function summaryMetrics(s: Summary): Record<string, number> {
  const names = ["protein_mean", "protein_fano", "mrna_mean"];
  const metrics: Record<string, number> = { tv_distance: s.tvDistance, tv_noise: s.tvNoise };
  s.checks.forEach((c, i) => {
    metrics[names[i]!] = c.measured;
    metrics[`${names[i]}_exact`] = c.expected;
    metrics[`${names[i]}_se`] = c.standardError;
  });
  return metrics;
}

export const summarize = defineStage({
  kind: "gillespie.summarize",
  module: import.meta.url,
  description: "Measured stationary statistics against the exact ones",
  params: z.object({}).strict(),
  inputs: ["simulation", "exact"],
  async run(ctx) {
    const sim: Simulation = JSON.parse(await Deno.readTextFile(`${ctx.inputs.simulation}/simulation.json`));
    const stationary = JSON.parse(await Deno.readTextFile(`${ctx.inputs.exact}/stationary.json`));
    const summary = summarizeSimulation(sim, stationary);
    ctx.metrics(0, summaryMetrics(summary));
    await Deno.writeTextFile(`${ctx.outDir}/summary.json`, JSON.stringify(summary));
  },
});
