/**
 * `nce.shift`: how NCE degrades as the noise moves away from the data. Gaussian noise as wide as the
 * data, its mean shifted by μ: the asymptotic standard error of â on one data sample, and the
 * root-mean-square error of â over repeated fits, for each μ.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

export const shift = defineStage({
  kind: "nce.shift",
  module: import.meta.url,
  description: "NCE with Gaussian noise shifted away from the data: standard errors and errors by shift",
  params: z.object({
    a: z.number().positive().default(1),
    b: z.number().min(0).default(0.5),
    n: z.number().int().min(100).default(10_000),
    k: z.number().int().min(1).default(1),
    shifts: z.array(z.number().min(0)).min(2).default([0, 0.5, 1, 1.5, 2, 2.5, 3]),
    /** Repeated fits per shift for the RMSE. */
    fits: z.number().int().min(2).default(20),
    seed: z.number().int().min(0).default(0),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const m = await import("./nce.ts");
    const { mixSeed, Rng } = await import("../../stages/data/random.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    const truth = { a: p.a, b: p.b };
    const data = m.sampleQuartic(truth, p.n, new Rng(mixSeed(p.seed, 20)));
    let sq = 0;
    for (const x of data) sq += x * x;
    const width = Math.sqrt(sq / p.n);
    const rows = [];
    for (const [i, mu] of p.shifts.entries()) {
      const noise = m.gaussianNoise(mu, width);
      const rng = new Rng(mixSeed(p.seed, 21, i));
      const one = m.fitNce(
        data,
        Float64Array.from({ length: p.k * p.n }, () => noise.sample(rng)),
        noise,
        p.k,
      );
      let err = 0;
      for (let r = 0; r < p.fits; r++) {
        const rr = new Rng(mixSeed(p.seed, 22, i, r));
        const d = m.sampleQuartic(truth, p.n, rr);
        const f = m.fitNce(d, Float64Array.from({ length: p.k * p.n }, () => noise.sample(rr)), noise, p.k);
        err += (f.a - p.a) ** 2;
      }
      rows.push({ shift: mu, se: one.se[0], rmse: Math.sqrt(err / p.fits), seB: one.se[1], seZ: one.se[2] });
      ctx.progress({ done: i + 1, total: p.shifts.length, text: `noise mean ${mu}` });
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const near = rows[0]!, far = rows.at(-1)!;
    ctx.metrics(0, {
      se_a_near: near.se,
      se_a_far: far.se,
      rmse_a_near: near.rmse,
      rmse_a_far: far.rmse,
      data_rms: width,
    });
    await writeReportSections(ctx.outDir, [{
      title: "Noise far from the data",
      fragments: [
        {
          kind: "prose",
          text:
            `Gaussian noise N(μ, ${
              width.toFixed(3)
            }²), as wide as the data (its RMS), shifted by μ; k = ${p.k}, ` +
            `n = ${
              p.n.toLocaleString("en")
            }. As the noise leaves the data, fewer noise points land where the data ` +
            `are and the classifier learns less about p there: the standard error of â grows (one fit per μ), and so ` +
            `does its actual error (RMS over ${p.fits} independent fits per μ).`,
        },
        {
          kind: "line",
          series: [
            { name: "asymptotic s.e. of â", x: rows.map((r) => r.shift), y: rows.map((r) => r.se) },
            {
              name: `RMS error of â (${p.fits} fits)`,
              x: rows.map((r) => r.shift),
              y: rows.map((r) => r.rmse),
            },
          ],
          options: {
            title: "Error of â against the noise's shift",
            xLabel: "noise mean μ",
            yLabel: "error of â",
            logY: true,
            dots: true,
          },
        },
        {
          kind: "table",
          rows: rows.map((r) => ({
            μ: r.shift,
            "s.e.(â)": r.se,
            "RMSE(â)": r.rmse,
            "s.e.(b̂)": r.seB,
            "s.e.(log Z)": r.seZ,
          })),
          columns: ["μ", { key: "s.e.(â)", digits: 4 }, { key: "RMSE(â)", digits: 4 }, {
            key: "s.e.(b̂)",
            digits: 4,
          }, {
            key: "s.e.(log Z)",
            digits: 4,
          }],
        },
      ],
    }]);
  },
});
