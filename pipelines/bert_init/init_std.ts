/**
 * The numeric half of «BERT的初始标准差为什么是0.02？» (kexue.fm/archives/8747): the standard deviation
 * BERT's initializer really has. `truncated_normal(stddev=0.02)` redraws values beyond two standard
 * deviations, which shrinks the spread to 0.02 × 0.8796 ≈ 0.0176, about half of Xavier's 1/√768 ≈ 0.0361
 * for a 768-wide layer. Computed in closed form and by sampling, with the sampling error.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

export const initStd = defineStage({
  kind: "bert-init.init-std",
  module: import.meta.url,
  description: "std of BERT's truncated-normal init and of Xavier's, exactly and by sampling",
  params: z.object({
    /** The stddev passed to the truncated normal (BERT's initializer_range). */
    sigma: z.number().positive().default(0.02),
    /** Where it truncates, in units of sigma (TensorFlow: 2). */
    bound: z.number().positive().default(2),
    /** Hidden size of the layer, for Xavier's sqrt(2/(fan_in + fan_out)) with fan_in = fan_out. */
    width: z.number().int().min(1).default(768),
    /** Draws from the truncated normal; Xavier's sample is one width×width matrix. */
    samples: z.number().int().min(1000).default(1_000_000),
    seed: z.number().int().min(0).default(0),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const { Rng } = await import("../../stages/data/random.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    const { normalPdf } = await import("../../numerics/special_functions.ts");
    const { sampleTruncatedNormal, stdAboutZero, truncatedNormalMoments } = await import(
      "./truncated_normal.ts"
    );
    const p = ctx.params;
    const exact = truncatedNormalMoments(p.sigma, p.bound);
    const truncated = sampleTruncatedNormal(new Rng(p.seed), p.sigma, p.bound, new Float64Array(p.samples));
    const measured = stdAboutZero(truncated);
    const xavier = Math.sqrt(2 / (p.width + p.width));
    const rng = new Rng(p.seed + 1);
    const weights = new Float64Array(p.width * p.width);
    for (let i = 0; i < weights.length; i++) weights[i] = xavier * rng.normal();
    const xavierMeasured = stdAboutZero(weights);
    const factor = p.sigma / exact.std;
    ctx.metrics(0, {
      truncated: exact.std,
      factor: factor,
      truncated_sampled: measured.std,
      truncated_se: measured.standardError,
      xavier: xavier,
      xavier_sampled: xavierMeasured.std,
      xavier_se: xavierMeasured.standardError,
      ratio: exact.std / xavier,
    });

    // The density the samples should follow, and how the std shrinks with the truncation point.
    const grid = Array.from(
      { length: 401 },
      (_, i) => -1.2 * p.bound * p.sigma + (i * 2.4 * p.bound * p.sigma) / 400,
    );
    const density = grid.map((x) =>
      Math.abs(x) <= p.bound * p.sigma ? normalPdf(x / p.sigma) / (p.sigma * exact.kept) : 0
    );
    const betas = Array.from({ length: 71 }, (_, i) => 0.5 + i * 0.05);
    const shown = Array.from(truncated.subarray(0, Math.min(20_000, truncated.length)));
    const f = (x: number) => Number(x.toPrecision(8));
    await writeReportSections(ctx.outDir, [{
      title: "Truncated normal against Xavier",
      fragments: [
        {
          kind: "prose",
          text:
            `BERT initialises its weights with TensorFlow's truncated_normal(stddev = ${p.sigma}), which redraws every ` +
            `value beyond ±${p.bound}σ. With Z = 2Φ(β) − 1 the kept mass, the truncated variance is ` +
            `σ²(1 − 2βφ(β)/Z), so the real standard deviation is ${f(exact.std)} = ${p.sigma}/${
              f(factor)
            }. ` +
            `Xavier's rule for a ${p.width}×${p.width} layer, √(2/(fan_in + fan_out)) = 1/√${p.width}, gives ` +
            `${f(xavier)}: BERT starts at ${f(exact.std / xavier)} of it. The sampled values carry their ` +
            `standard error (delta method on the sample's fourth moment); the claims allow four of them.`,
        },
        {
          kind: "table",
          rows: [
            {
              quantity: `std of N(0, ${p.sigma}²) truncated at ±${p.bound}σ`,
              "closed form": exact.std,
              sampled: measured.std,
              "s.e.": measured.standardError,
              draws: p.samples,
              article: 0.0176,
            },
            {
              quantity: `Xavier normal, ${p.width}×${p.width}`,
              "closed form": xavier,
              sampled: xavierMeasured.std,
              "s.e.": xavierMeasured.standardError,
              draws: weights.length,
              article: 0.0361,
            },
          ],
          columns: [
            "quantity",
            { key: "closed form", significant: 8 },
            { key: "sampled", significant: 8 },
            { key: "s.e.", significant: 2 },
            "draws",
            "article",
          ],
        },
        {
          kind: "histogram",
          values: shown,
          reference: { label: "truncated normal density", x: grid, y: density },
          options: {
            title: "Samples of the truncated normal",
            subtitle: `${shown.length.toLocaleString("en")} of the ${p.samples.toLocaleString("en")} draws`,
            xLabel: "weight",
            bins: 48,
          },
        },
        {
          kind: "line",
          series: [{
            name: "std / σ",
            x: betas,
            y: betas.map((b) => truncatedNormalMoments(1, b).std),
          }],
          options: {
            title: "How truncation shrinks the standard deviation",
            subtitle: `at β = 2 (TensorFlow's choice) the factor is ${f(exact.std / p.sigma)}`,
            xLabel: "truncation point β (in σ)",
            yLabel: "std / σ",
          },
        },
      ],
    }]);
  },
});
