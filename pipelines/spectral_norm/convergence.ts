/**
 * Power iteration against the exact largest singular value (kexue.fm/archives/6311's spectral
 * normalisation wrapper: v ← Wᵀu, u ← Wv, σ ≈ ‖Wv‖, from u = ones): its error against the number of
 * iterations for spectral gaps σ₂/σ₁ from 0.5 to 0.99, the fitted rates per iteration against
 * (σ₂/σ₁)⁴ (the estimate) and (σ₂/σ₁)² (the singular vector), and the whole sequences against their exact
 * prediction from the SVD (numerics/power_iteration_prediction.ts).
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

export const convergence = defineStage({
  kind: "spectral-norm.convergence",
  module: import.meta.url,
  description: "power iteration vs the exact σ₁: error against iterations and the gap σ₂/σ₁",
  params: z.object({
    rows: z.number().int().min(2).default(200),
    cols: z.number().int().min(2).default(100),
    /** σ₂/σ₁ of each test matrix (σ₁ = 1; σ₃… spread evenly over (0, σ₂/2]). */
    gaps: z.array(z.number().gt(0).lt(1)).min(1).default([0.5, 0.8, 0.9, 0.95, 0.99]),
    iterations: z.number().int().min(2).default(1000),
    /** The rates are fitted where the measured error lies in [low, high], above float64's reach… */
    fitWindow: z.tuple([z.number().positive(), z.number().positive()]).default([1e-10, 1e-3]),
    /**
     * …and where the exact prediction is within this (relative) of its two-term asymptotic form, i.e. the
     * smaller singular values' share has died out: the regime in which the rate is (σ₂/σ₁)⁴.
     */
    asymptotic: z.number().positive().default(1e-3),
    seed: z.number().int().min(0).default(6311),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const { mixSeed, Rng } = await import("../../stages/data/random.ts");
    const { matvecTransposed } = await import("../../numerics/matrix.ts");
    const { matrixWithSingularValues } = await import("../../numerics/matrix_with_singular_values.ts");
    const { largestSingularValue } = await import("../../numerics/power_iteration.ts");
    const { predictPowerIteration } = await import("../../numerics/power_iteration_prediction.ts");
    const { svd } = await import("../../numerics/svd.ts");
    const { fitGeometricRate } = await import("../../numerics/geometric_rate.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    const p = ctx.params;
    const [low, high] = p.fitWindow;
    const k = Math.min(p.rows, p.cols);
    const ones = new Float64Array(p.rows).fill(1 / Math.sqrt(p.rows));
    const EPS = 2 ** -52;
    const cases = p.gaps.map((gap, gi) => {
      const rng = new Rng(mixSeed(p.seed, gi));
      const sigma = [1, gap, ...Array.from({ length: k - 2 }, (_, i) => (gap / 2) * (1 - i / (k - 2)))];
      const a = matrixWithSingularValues(p.rows, p.cols, sigma, rng);
      const exact = svd(a);
      const s1 = exact.s[0]!;
      // Power iteration one step at a time, so that every iterate's vector is seen.
      const sigmaError: number[] = [], vectorError: number[] = [];
      let overshoot = -Infinity;
      let u: Float64Array = ones;
      for (let it = 0; it < p.iterations; it++) {
        const r = largestSingularValue(a, { start: u, iterations: 1, tolerance: 0 });
        u = r.u;
        sigmaError.push(1 - r.sigma / s1);
        overshoot = Math.max(overshoot, r.sigma / s1 - 1);
        // sin∠(v, v₁) = ‖v − (v₁ᵀv)v₁‖, computed without the cancellation of √(1 − cos²).
        let dot = 0;
        for (let j = 0; j < p.cols; j++) dot += r.v[j]! * exact.v.data[j * k]!;
        let s = 0;
        for (let j = 0; j < p.cols; j++) s += (r.v[j]! - dot * exact.v.data[j * k]!) ** 2;
        vectorError.push(Math.sqrt(s));
      }
      // The start's coordinates on the left singular vectors: cᵢ = uᵢᵀu₀.
      const coords = matvecTransposed(exact.u, ones);
      const predicted = predictPowerIteration(exact.s, coords, p.iterations);
      const twoTerm = predictPowerIteration(exact.s.subarray(0, 2), coords.subarray(0, 2), p.iterations);
      const iters = sigmaError.map((_, i) => i + 1);
      const inWindow = (e: number[], full: Float64Array, two: Float64Array) =>
        iters.filter((_, i) =>
          e[i]! >= low && e[i]! <= high && Math.abs(full[i]! / two[i]! - 1) <= p.asymptotic
        );
      const wS = inWindow(sigmaError, predicted.sigmaError, twoTerm.sigmaError);
      const wV = inWindow(vectorError, predicted.vectorError, twoTerm.vectorError);
      const sigmaRate = fitGeometricRate(wS, wS.map((i) => sigmaError[i - 1]!));
      const vectorRate = fitGeometricRate(wV, wV.map((i) => vectorError[i - 1]!));
      // The same fits on the exact prediction: what the spectrum's other terms alone do to the rate.
      const predictedSigmaRate = fitGeometricRate(wS, wS.map((i) => predicted.sigmaError[i - 1]!));
      const predictedVectorRate = fitGeometricRate(wV, wV.map((i) => predicted.vectorError[i - 1]!));
      let theory = 0;
      for (let i = 0; i < p.iterations; i++) {
        theory = Math.max(theory, Math.abs(sigmaError[i]! - predicted.sigmaError[i]!));
      }
      ctx.progress({ done: gi + 1, total: p.gaps.length, text: `σ₂/σ₁ = ${gap}` });
      return {
        gap,
        sigmaError,
        vectorError,
        predicted,
        sigmaRate,
        vectorRate,
        predictedSigmaRate,
        predictedVectorRate,
        windowS: [wS[0], wS.at(-1)],
        windowV: [wV[0], wV.at(-1)],
        theory,
        overshoot,
        floor: (p.rows + p.cols) * EPS,
      };
    });
    const dev = (x: number, y: number) => Math.abs(x / y - 1);
    ctx.metrics(0, {
      sigma_rate_error: Math.max(...cases.map((c) => dev(c.sigmaRate, c.gap ** 4))),
      vector_rate_error: Math.max(...cases.map((c) => dev(c.vectorRate, c.gap ** 2))),
      theory_ratio: Math.max(...cases.map((c) => c.theory / c.floor)),
      overshoot_ratio: Math.max(...cases.map((c) => c.overshoot / c.floor)),
    });
    const thin = (xs: number[]) => {
      const keep = xs.map((_, i) => i).filter((i) => i < 50 || i % 5 === 0);
      return { x: keep.map((i) => i + 1), y: keep.map((i) => xs[i]!) };
    };
    await writeReportSections(ctx.outDir, [{
      title: "Power iteration against the exact σ₁",
      fragments: [
        {
          kind: "prose",
          text:
            "Spectral normalisation divides a weight matrix by its largest singular value, estimated by power " +
            "iteration: v ← Wᵀu/‖Wᵀu‖, u ← Wv/‖Wv‖, σ̃ = ‖Wv‖, from u = ones as in the article's Keras wrapper. " +
            `Each test matrix is ${p.rows}×${p.cols} with σ₁ = 1, σ₂ = the gap ratio r, and the rest spread over ` +
            "(0, r/2]; the exact σ₁ and singular vectors come from numerics/svd.ts. After k iterations " +
            "v_k ∝ Σ σᵢ^(2k−1) cᵢ vᵢ (cᵢ = uᵢᵀu₀), so the vector's error sin∠(v_k, v₁) falls by r² per iteration " +
            "— the (σ₂/σ₁)^(2k) of the claim — and the estimate's error 1 − σ̃/σ₁, quadratic in it, by r⁴. We " +
            `fit both rates by least squares on log error where the error lies in [${low}, ${high}] and the exact ` +
            `prediction is within ${p.asymptotic} of its two-term form (the smaller singular values' share has ` +
            "died out: the asymptotic regime the rates describe), and compare the whole sequence with its exact " +
            "prediction from the SVD.",
        },
        {
          kind: "line",
          series: cases.map((c) => ({ name: `σ₂/σ₁ = ${c.gap}`, ...thin(c.sigmaError) })),
          options: {
            title: "Error of the estimate, 1 − σ̃/σ₁",
            subtitle: "falls by (σ₂/σ₁)⁴ per iteration, down to the rounding level",
            xLabel: "iterations",
            yLabel: "1 − σ̃/σ₁",
            logY: true,
            logX: true,
          },
        },
        {
          kind: "line",
          series: cases.map((c) => ({ name: `σ₂/σ₁ = ${c.gap}`, ...thin(c.vectorError) })),
          options: {
            title: "Error of the singular vector, sin∠(v, v₁)",
            subtitle: "falls by (σ₂/σ₁)² per iteration",
            xLabel: "iterations",
            yLabel: "sin∠(v_k, v₁)",
            logY: true,
            logX: true,
          },
        },
        {
          kind: "table",
          caption:
            "Fitted rates per iteration against theory; 'fit on theory' is the same fit applied to the exact " +
            "prediction, which shows how far the other singular values move it. Deviation from theory: the worst " +
            "|σ̃ − prediction| over all iterations (floor (n + m)·ε).",
          rows: cases.map((c) => ({
            gap: c.gap,
            "(σ₂/σ₁)⁴": c.gap ** 4,
            "σ̃ rate": c.sigmaRate,
            "σ̃ fit on theory": c.predictedSigmaRate,
            "(σ₂/σ₁)²": c.gap ** 2,
            "v rate": c.vectorRate,
            "v fit on theory": c.predictedVectorRate,
            "fitted over": `${c.windowS[0]}…${c.windowS[1]}`,
            "vs theory": c.theory,
          })),
          columns: [
            { key: "gap", label: "σ₂/σ₁" },
            { key: "(σ₂/σ₁)⁴", significant: 6 },
            { key: "σ̃ rate", label: "fitted", significant: 6 },
            { key: "σ̃ fit on theory", label: "fit on theory", significant: 6 },
            { key: "(σ₂/σ₁)²", significant: 6 },
            { key: "v rate", label: "fitted", significant: 6 },
            { key: "v fit on theory", label: "fit on theory", significant: 6 },
            "fitted over",
            { key: "vs theory", label: "vs theory", significant: 2 },
          ],
        },
      ],
    }]);
  },
});
