/**
 * `em-gmm.synthetic`: EM on samples of a 2-D mixture with known parameters.
 *
 * - EM from a k-means++ start until the log-likelihood stops rising: its trace, and the largest
 *   relative decrease along it (EM's monotonicity, to rounding).
 * - The parameters recovered within sampling error: standard errors from a parametric bootstrap
 *   (datasets of the same size drawn from the fitted mixture and refitted), z-scores against the
 *   truth, and the Bonferroni threshold that keeps the family-wise error at 1 % over all of them.
 * - The same iterations as scikit-learn's GaussianMixture from the same start (the fixture).
 * - Gradient ascent on the same likelihood from the same start, to EM's optimum: iterations side by side.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import { SKLEARN_DEFAULTS } from "./sklearn_defaults.ts";
import { SYNTHETIC_TRUTH } from "./data.ts";

const matrix2 = z.tuple([z.tuple([z.number(), z.number()]), z.tuple([z.number(), z.number()])]);

export const synthetic = defineStage({
  kind: "em-gmm.synthetic",
  module: import.meta.url,
  description:
    "EM on a 2-D Gaussian mixture with known parameters, against the truth, sklearn and gradient ascent",
  params: z.object({
    truth: z.object({
      weights: z.array(z.number().positive()).min(2),
      means: z.array(z.tuple([z.number(), z.number()])),
      covs: z.array(matrix2),
    }).strict().default(SYNTHETIC_TRUTH as never),
    n: z.number().int().min(50).default(SKLEARN_DEFAULTS.synthetic.n),
    seed: z.number().int().min(0).default(SKLEARN_DEFAULTS.synthetic.seed),
    initSeed: z.number().int().min(0).default(SKLEARN_DEFAULTS.synthetic.initSeed),
    /** Bootstrap refits for the standard errors. */
    bootstrap: z.number().int().min(10).default(100),
    /** EM stops when one iteration gains less than this times |ℓ|. */
    tolerance: z.number().positive().default(1e-13),
    /** Gradient ascent stops within this mean log-likelihood of EM's optimum. */
    gap: z.number().positive().default(1e-6),
    maxAscentIterations: z.number().int().min(1).default(200_000),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const { em, largestDecrease, sampleGmm } = await import("./gmm.ts");
    const { gradientAscent } = await import("./gmm_gradient.ts");
    const { dataDigest, syntheticData } = await import("./data.ts");
    const { compareWithSklearn } = await import("./sklearn_compare.ts");
    const { matchComponents, parameterTable } = await import("./recovery.ts");
    const { mixSeed, Rng } = await import("../../stages/data/random.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");

    const data = syntheticData(p.truth as never, p.n, p.seed, p.initSeed);
    const { x, start, truth } = data;
    const n = p.n;
    const fit = em(x, start, { tolerance: p.tolerance, maxIterations: 10_000 });
    const ll = fit.logLikelihoods;
    ctx.log(
      `EM converged in ${fit.iterations} iterations, mean log-likelihood ${(ll.at(-1)! / n).toFixed(6)}`,
    );
    for (const [t, v] of ll.entries()) ctx.metrics(t, { em_mean_log_likelihood: v / n });

    // ---- parameters against the truth, with bootstrap standard errors ----
    const order = matchComponents(fit.gmm, truth);
    const boots = [];
    for (let b = 0; b < p.bootstrap; b++) {
      const { x: xb } = sampleGmm(fit.gmm, n, new Rng(mixSeed(p.seed, 1000 + b)));
      boots.push(em(xb, fit.gmm, { tolerance: p.tolerance, maxIterations: 10_000 }).gmm);
      if (b % 10 === 9) await new Promise((r) => setTimeout(r, 0));
      ctx.progress({ done: b + 1, total: p.bootstrap, text: "bootstrap refits" });
    }
    const table = parameterTable(fit.gmm, truth, order, boots);
    const m = table.length;
    // Bonferroni: P(any |z| > z*) ≤ 1 % when each |z| exceeds z* with probability 0.01/m.
    const { normalQuantile } = await import("./recovery.ts");
    const zThreshold = normalQuantile(1 - 0.01 / (2 * m));
    const maxZ = Math.max(...table.map((r) => Math.abs(r.z)));

    // ---- scikit-learn from the same start ----
    const sk = compareWithSklearn("synthetic", x, start, dataDigest(x, start));

    // ---- gradient ascent on the same likelihood ----
    const target = ll.at(-1)! - p.gap * n;
    const emToTarget = ll.findIndex((v) => v >= target);
    const ascent = gradientAscent(x, start, { target, maxIterations: p.maxAscentIterations });
    const ascentLl = ascent.logLikelihoods;
    const stride = Math.max(1, Math.floor(ascentLl.length / 400));
    ctx.log(
      `gradient ascent: ${ascent.iterations} iterations (${ascent.evaluations} evaluations) to within ${p.gap} of EM's optimum, ` +
        `EM: ${emToTarget}`,
    );
    ctx.metrics(fit.iterations, {
      em_iterations: fit.iterations,
      em_max_drop: largestDecrease(ll),
      em_ll: ll.at(-1)! / n,
      max_abs_z: maxZ,
      z_threshold: zThreshold,
      parameters_checked: m,
      sklearn_diff: sk.maxRelDiff,
      sklearn_means_diff: sk.meansMaxDiff,
      em_steps: emToTarget,
      ascent_steps: ascent.reached ? ascent.iterations : NaN,
      ascent_evaluations: ascent.evaluations,
      ascent_gap: (ll.at(-1)! - ascentLl.at(-1)!) / Math.abs(ll.at(-1)!),
    });

    const points = (c: number) => {
      const xs: number[] = [], ys: number[] = [];
      for (let i = 0; i < n; i++) if (data.component[i] === c) (xs.push(x[2 * i]!), ys.push(x[2 * i + 1]!));
      return { name: `component ${c + 1}`, x: xs, y: ys };
    };
    const emCurve = ll.map((v) => v / n);
    const best = ll.at(-1)! / n;
    await writeReportSections(ctx.outDir, [
      {
        title: "A 2-D mixture with known parameters",
        fragments: [
          {
            kind: "prose",
            text:
              `${
                n.toLocaleString("en")
              } points from a mixture of ${truth.k} Gaussians (colours: the component each ` +
              `came from). EM starts from k-means++ means, equal weights and the data's covariance, and stops when an ` +
              `iteration gains less than ${p.tolerance}·|ℓ|. Its log-likelihood never fell by more than ` +
              `${
                largestDecrease(ll).toExponential(1)
              } (relative), which is rounding: the E-step is the exact ` +
              `posterior and the M-step the exact weighted maximum likelihood.`,
          },
          {
            kind: "scatter",
            groups: Array.from({ length: truth.k }, (_, c) => points(c)),
            options: { title: "The data", equalAxes: true, radius: 1.5, xLabel: "x₁", yLabel: "x₂" },
          },
          {
            kind: "table",
            rows: table.map((r) => ({
              parameter: r.name,
              truth: r.truth,
              estimate: r.estimate,
              "s.e.": r.se,
              z: r.z,
            })),
            columns: ["parameter", { key: "truth", digits: 3 }, { key: "estimate", digits: 4 }, {
              key: "s.e.",
              digits: 4,
            }, { key: "z", digits: 2 }],
            caption:
              `Standard errors from ${p.bootstrap} parametric-bootstrap refits. Largest |z| = ${
                maxZ.toFixed(2)
              }; ` +
              `with ${m} parameters, |z| ≤ ${
                zThreshold.toFixed(2)
              } holds for all of them with probability ≥ 99 % ` +
              `(Bonferroni).`,
          },
        ],
      },
      {
        title: "EM against scikit-learn and against gradient ascent",
        fragments: [
          {
            kind: "table",
            rows: sk.rows,
            columns: ["iterations", { key: "ours", digits: 12 }, { key: "scikit-learn", digits: 12 }, {
              key: "relative difference",
              significant: 2,
            }],
            caption: sk.caption,
          },
          {
            kind: "line",
            series: [
              { name: "EM", x: emCurve.map((_, t) => t + 1), y: emCurve.map((v) => best - v + 1e-16) },
              {
                name: "gradient ascent",
                x: ascentLl.filter((_, t) => t % stride === 0).map((_, i) => i * stride + 1),
                y: ascentLl.filter((_, t) => t % stride === 0).map((v) => best - v / n + 1e-16),
              },
            ],
            options: {
              title: "Distance to EM's optimum, mean log-likelihood",
              xLabel: "iteration + 1",
              yLabel: "ℓ* − ℓ (per point)",
              logX: true,
              logY: true,
            },
          },
          {
            kind: "table",
            rows: [
              { method: "EM", iterations: emToTarget, "likelihood evaluations": emToTarget + 1 },
              {
                method: "gradient ascent (backtracking)",
                iterations: ascent.reached ? ascent.iterations : `> ${ascent.iterations}`,
                "likelihood evaluations": ascent.evaluations,
              },
            ],
            caption:
              `Iterations from the same start to within ${p.gap} (mean log-likelihood) of EM's optimum. ` +
              `Both climb the same likelihood; EM's step is the M-step, gradient ascent's a line search along ∇ℓ ` +
              `in (logits, means, Cholesky factors).`,
          },
        ],
      },
    ]);
  },
});
