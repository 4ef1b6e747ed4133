/**
 * `em-gmm.digits`: EM for a full-covariance mixture on the 8×8 digits projected on their first
 * principal components, and K-means as EM's limiting case on the same data.
 *
 * - EM from a k-means++ start to convergence: the trace, its largest relative decrease, the mean
 *   log-likelihood of train and test points; the same iterations as scikit-learn (the fixture).
 * - K-means (Lloyd) from the same seeds: its objective after each step and the iterations it needs.
 * - EM with equal weights and a fixed covariance σ²I from the same seeds, for σ shrinking: its means
 *   approach K-means' centres and its hard assignments become K-means' partition.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import { SKLEARN_DEFAULTS } from "./sklearn_defaults.ts";

export const digits = defineStage({
  kind: "em-gmm.digits",
  module: import.meta.url,
  description:
    "EM for a Gaussian mixture on the digits after PCA, against sklearn; K-means as its σ → 0 limit",
  params: z.object({
    dims: z.number().int().min(1).max(64).default(SKLEARN_DEFAULTS.digits.dims),
    components: z.number().int().min(1).default(SKLEARN_DEFAULTS.digits.components),
    initSeed: z.number().int().min(0).default(SKLEARN_DEFAULTS.digits.initSeed),
    tolerance: z.number().positive().default(1e-13),
    /** σ of the fixed-variance EM, as fractions of the data's RMS spread per dimension. */
    sigmas: z.array(z.number().positive()).min(1).default([2, 1, 0.5, 0.25, 0.1, 0.05, 0.02]),
  }).strict(),
  inputs: ["data"],
  async run(ctx) {
    const p = ctx.params;
    const { dataDigest, digitsData } = await import("./data.ts");
    const { dataMoments, em, largestDecrease, logLikelihood } = await import("./gmm.ts");
    const { fixedVarianceEm, kmeans } = await import("./kmeans.ts");
    const { compareWithSklearn } = await import("./sklearn_compare.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");

    const data = await digitsData(ctx.inputs.data, p);
    const { train, test, start } = data;
    const d = p.dims;
    const n = train.length / d;
    const fit = em(train, start, { tolerance: p.tolerance, maxIterations: 10_000 });
    const ll = fit.logLikelihoods;
    for (const [t, v] of ll.entries()) ctx.metrics(t, { em_mean_log_likelihood: v / n });
    const testLl = logLikelihood(test, fit.gmm) / (test.length / d);
    ctx.log(
      `EM: ${fit.iterations} iterations; mean log-likelihood train ${(ll.at(-1)! / n).toFixed(4)}, test ${
        testLl.toFixed(4)
      }`,
    );
    const sk = compareWithSklearn("digits", train, start, dataDigest(train, start));

    // ---- K-means, and EM with a fixed σ²I from the same seeds ----
    const km = kmeans(train, d, start.means);
    let increases = 0;
    for (let t = 0; t + 1 < km.objectives.length; t++) {
      increases = Math.max(increases, km.objectives[t + 1]! - km.objectives[t]!);
    }
    const { cov } = dataMoments(train, d);
    let trace = 0;
    for (let a = 0; a < d; a++) trace += cov[a * d + a]!;
    const spread = Math.sqrt(trace / d);
    const limit = p.sigmas.map((f) => {
      const run = fixedVarianceEm(train, d, start.means, f * spread);
      let diff = 0;
      for (let j = 0; j < run.centers.length; j++) {
        diff = Math.max(diff, Math.abs(run.centers[j]! - km.centers[j]!));
      }
      // Hard assignments: the nearest of the fixed-variance EM's means.
      let agree = 0;
      for (let i = 0; i < n; i++) {
        let best = 0, bestDist = Infinity;
        for (let c = 0; c < p.components; c++) {
          let dist = 0;
          for (let a = 0; a < d; a++) dist += (train[i * d + a]! - run.centers[c * d + a]!) ** 2;
          if (dist < bestDist) (bestDist = dist, best = c);
        }
        if (best === km.assignment[i]) agree++;
      }
      return { sigma: f, diff: diff / spread, agreement: agree / n, iterations: run.iterations };
    });
    const smallest = limit.at(-1)!;
    ctx.metrics(fit.iterations, {
      em_iterations: fit.iterations,
      em_max_drop: largestDecrease(ll),
      train_ll: ll.at(-1)! / n,
      test_ll: testLl,
      pca_explained: data.explained,
      sklearn_diff: sk.maxRelDiff,
      sklearn_means_diff: sk.meansMaxDiff,
      kmeans_iterations: km.iterations,
      kmeans_max_rise: increases / km.objectives[0]!,
      kmeans_center_diff: smallest.diff,
      kmeans_agreement: smallest.agreement,
    });

    await writeReportSections(ctx.outDir, [
      {
        title: `The 8×8 digits in ${d} principal components`,
        fragments: [
          {
            kind: "prose",
            text:
              `${n} training digits (pixel levels 0..16), centred and projected on the first ${d} principal ` +
              `components of the training split (${
                (100 * data.explained).toFixed(1)
              } % of the variance). EM fits ` +
              `${p.components} full-covariance Gaussians from k-means++ means; ${fit.iterations} iterations to a gain below ` +
              `${p.tolerance}·|ℓ|, the largest relative decrease along the way ${
                largestDecrease(ll).toExponential(1)
              }. ` +
              `Mean log-likelihood: train ${(ll.at(-1)! / n).toFixed(3)}, test ${
                testLl.toFixed(3)
              } nats per digit.`,
          },
          {
            kind: "line",
            series: [{ name: "EM", x: ll.map((_, t) => t), y: ll.map((v) => v / n) }],
            options: { title: "EM's mean log-likelihood", xLabel: "iteration", yLabel: "nats per digit" },
          },
          {
            kind: "table",
            rows: sk.rows,
            columns: ["iterations", { key: "ours", digits: 10 }, { key: "scikit-learn", digits: 10 }, {
              key: "relative difference",
              significant: 2,
            }],
            caption: sk.caption,
          },
        ],
      },
      {
        title: "K-means as the limit of EM",
        fragments: [
          {
            kind: "prose",
            text:
              `Lloyd's K-means from the same ${p.components} seeds converges in ${km.iterations} iterations (no point ` +
              `changes centre after that), its objective never rising. EM with equal weights and a covariance σ²I held ` +
              `fixed moves only the means; as σ shrinks its responsibilities harden and its means approach K-means' ` +
              `centres (σ in units of the data's RMS spread per dimension, ${spread.toFixed(2)} levels).`,
          },
          {
            kind: "table",
            rows: limit.map((r) => ({
              σ: r.sigma,
              "max |μ_EM − μ_K-means| / spread": r.diff,
              "same partition": r.agreement,
              "EM iterations": r.iterations,
            })),
            columns: ["σ", { key: "max |μ_EM − μ_K-means| / spread", significant: 2 }, {
              key: "same partition",
              digits: 4,
            }, "EM iterations"],
          },
          {
            kind: "line",
            series: [{ name: "K-means objective", x: km.objectives.map((_, t) => t), y: km.objectives }],
            options: {
              title: "K-means objective Σ|x − μ|²",
              xLabel: "iteration",
              yLabel: "sum of squares",
              dots: true,
            },
          },
        ],
      },
    ]);
  },
});
