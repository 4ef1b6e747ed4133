/**
 * `fourier-density.gmm`: the baseline of the article's comparison, a Gaussian mixture with no more
 * trainable reals than the FBDM it is set against (3K − 1 ≤ the FBDM's count), fitted by EM
 * (pipelines/em_gmm/gmm.ts, the EM article's own code) on all the training samples, best of a few
 * k-means++ starts. The samples are grouped on a grid of width `grid` (EM on grouped data: each
 * distinct value weighted by its count), which makes an iteration cost the number of distinct values
 * rather than of samples; the grid is far finer than the components (it adds grid²/12 to their
 * variances, ~4e-5 of the narrowest here). Judged like the FBDM: NLL of the held-out split, and KL and modes by quadrature
 * against the known target (stages/eval/likelihood_targets.ts).
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

/** What gmm.json holds. */
export interface GmmBaselineResult {
  target: string;
  components: number;
  parameters: number;
  samples: number;
  gridPoints: number;
  iterations: number;
  weights: number[];
  means: number[];
  variances: number[];
  testNll: number;
  testNllSe: number;
  kl: number;
  klError: number;
  modes: number;
  curve: { x: number[]; density: number[] };
}

export const gmmBaseline = defineStage({
  kind: "fourier-density.gmm",
  module: import.meta.url,
  description:
    "Gaussian-mixture baseline of equal parameter count, by EM, judged by held-out NLL and exact KL",
  params: z.object({
    /** The FBDM's trainable reals: the mixture gets the most components K with 3K − 1 ≤ this. */
    parameters: z.number().int().min(2),
    /** Width of the grid the training samples are grouped on. */
    grid: z.number().positive().default(1e-3),
    restarts: z.number().int().min(1).default(2),
    /** EM stops when an iteration gains less than this times |ℓ|. */
    tolerance: z.number().positive().default(1e-9),
    maxIterations: z.number().int().min(1).default(2000),
    seed: z.number().int().min(0).default(0),
    intervals: z.number().int().min(16).multipleOf(4).default(16384),
    plotPoints: z.number().int().min(11).default(1201),
  }).strict(),
  inputs: ["data"],
  async run(ctx) {
    const p = ctx.params;
    const { em, initialGmm, logJoint } = await import("../em_gmm/gmm.ts");
    const { openShards } = await import("../../stages/data/shard_reader.ts");
    const { mixSeed, Rng } = await import("../../stages/data/random.ts");
    const t = await import("../../stages/eval/likelihood_targets.ts");
    const { meanAndError } = await import("../../stages/eval/likelihood_math.ts");

    const k = Math.floor((p.parameters + 1) / 3);
    const shards = await openShards(ctx.inputs.data);
    const target = t.knownDensity(shards.manifest);
    if (target?.dim !== 1) {
      throw new Error("The GMM baseline needs a 1-D target of known density (data.synthetic-1d)");
    }
    const all = await shards.readAll("train", { labels: "none" });
    const groups = new Map<number, number>();
    for (const v of all.x as Float32Array) {
      const cell = Math.round(v / p.grid);
      groups.set(cell, (groups.get(cell) ?? 0) + 1);
    }
    const cells = [...groups.keys()].sort((a, b) => a - b);
    const x = Float64Array.from(cells, (c) => c * p.grid);
    const counts = Float64Array.from(cells, (c) => groups.get(c)!);
    ctx.log(
      `${all.count.toLocaleString("en")} training samples on ${x.length.toLocaleString("en")} grid points`,
    );
    const seedSamples = Float64Array.from((all.x as Float32Array).subarray(0, Math.min(20_000, all.count)));
    let best: ReturnType<typeof em> | null = null;
    for (let r = 0; r < p.restarts; r++) {
      // Seeds and spread from the raw samples (the grid's distinct values over-represent the tails).
      const start = initialGmm(seedSamples, 1, k, new Rng(mixSeed(p.seed, r)));
      const run = em(x, start, { tolerance: p.tolerance, maxIterations: p.maxIterations, counts });
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (!best || run.logLikelihoods.at(-1)! > best.logLikelihoods.at(-1)!) best = run;
      ctx.progress({ done: r + 1, total: p.restarts, text: `EM restarts (K = ${k})` });
    }
    const g = best!.gmm;
    const logq = (xs: Float64Array) => {
      const joint = logJoint(xs, g);
      return Float64Array.from(
        { length: xs.length },
        (_, i) => t.logSumExp(joint.subarray(i * k, (i + 1) * k)),
      );
    };
    const test = await shards.readAll("test", { labels: "none" });
    const nll = meanAndError(Array.from(logq(Float64Array.from(test.x as Float32Array)), (v) => -v));
    const rule = t.quadrature1d(target, { intervals: p.intervals });
    const div = t.divergences(rule, rule.x.map((v) => target.logPdf(v)), logq(rule.x));
    const [lo, hi] = target.range;
    const xs = Float64Array.from(
      { length: p.plotPoints },
      (_, i) => lo + ((hi - lo) * i) / (p.plotPoints - 1),
    );
    const density = Array.from(logq(xs), Math.exp);
    const modes = t.countModes(density);
    ctx.metrics(0, {
      components: k,
      parameters: 3 * k - 1,
      test_nll: nll.mean,
      test_nll_se: nll.se,
      kl: div.kl,
      kl_error: div.klError,
      modes_model: modes,
      em_iterations: best!.iterations,
    });
    ctx.log(
      `GMM K = ${k} (${3 * k - 1} parameters): KL ${div.kl.toFixed(5)}, test NLL ${nll.mean.toFixed(4)}`,
    );
    const result: GmmBaselineResult = {
      target: target.describe,
      components: k,
      parameters: 3 * k - 1,
      samples: all.count,
      gridPoints: x.length,
      iterations: best!.iterations,
      weights: Array.from(g.weights),
      means: Array.from(g.means),
      variances: Array.from(g.covs),
      testNll: nll.mean,
      testNllSe: nll.se,
      kl: div.kl,
      klError: div.klError,
      modes,
      curve: { x: Array.from(xs), density },
    };
    await Deno.writeTextFile(`${ctx.outDir}/gmm.json`, JSON.stringify(result));
  },
});
