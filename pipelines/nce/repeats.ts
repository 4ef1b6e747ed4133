/**
 * `nce.repeats`: the asymptotic standard errors checked against the spread of many independent fits
 * (fresh data and noise each time), for uniform and Gaussian noise at k = 1.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

export const repeats = defineStage({
  kind: "nce.repeats",
  module: import.meta.url,
  description: "Repeated NCE fits: their spread against the asymptotic standard errors",
  params: z.object({
    a: z.number().positive().default(1),
    b: z.number().min(0).default(0.5),
    n: z.number().int().min(100).default(10_000),
    k: z.number().int().min(1).default(1),
    fits: z.number().int().min(10).default(100),
    uniformHalfWidth: z.number().positive().default(3),
    gaussianSd: z.number().positive().default(1),
    seed: z.number().int().min(0).default(0),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const m = await import("./nce.ts");
    const { mixSeed, Rng } = await import("../../stages/data/random.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    const truth = { a: p.a, b: p.b };
    const noises = {
      uniform: m.uniformNoise(p.uniformHalfWidth),
      gaussian: m.gaussianNoise(0, p.gaussianSd),
    };
    // A standard deviation from R draws has relative standard error 1/√(2(R − 1)).
    const ratioSe = 1 / Math.sqrt(2 * (p.fits - 1));
    const metrics: Record<string, number> = { ratio_se: ratioSe };
    const rows: Record<string, string | number>[] = [];
    for (const [name, noise] of Object.entries(noises)) {
      const est: number[][] = [[], [], []], se: number[][] = [[], [], []];
      for (let r = 0; r < p.fits; r++) {
        const rng = new Rng(mixSeed(p.seed, name === "uniform" ? 10 : 11, r));
        const data = m.sampleQuartic(truth, p.n, rng);
        const y = Float64Array.from({ length: p.k * p.n }, () => noise.sample(rng));
        const f = m.fitNce(data, y, noise, p.k);
        [f.a, f.b, f.c].forEach((v, i) => est[i]!.push(v));
        f.se.forEach((v, i) => se[i]!.push(v));
        if (r % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 0));
        ctx.progress({ done: r + 1, total: p.fits, text: `${noise.describe}: repeated fits` });
      }
      ["a", "b", "log_z"].forEach((param, i) => {
        const xs = est[i]!;
        const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
        const sd = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (xs.length - 1));
        const asymptotic = se[i]!.reduce((s, v) => s + v, 0) / se[i]!.length;
        metrics[`${name}_${param}_sd_ratio`] = sd / asymptotic;
        rows.push({
          noise: noise.describe,
          parameter: param.replace("_", " "),
          "mean estimate": mean,
          "sd of fits": sd,
          "asymptotic s.e.": asymptotic,
          ratio: sd / asymptotic,
        });
      });
    }
    ctx.metrics(0, metrics);
    await writeReportSections(ctx.outDir, [{
      title: "Are the standard errors honest?",
      fragments: [{
        kind: "prose",
        text:
          `${p.fits} independent fits (fresh data and noise each, n = ${
            p.n.toLocaleString("en")
          }, k = ${p.k}): the ` +
          `standard deviation of the estimates against the mean asymptotic standard error. A standard deviation from ` +
          `${p.fits} draws is itself uncertain by ${(100 * ratioSe).toFixed(1)} %, so ratios within ` +
          `1 ± ${(3 * ratioSe).toFixed(2)} agree.`,
      }, {
        kind: "table",
        rows,
        columns: [
          "noise",
          "parameter",
          { key: "mean estimate", digits: 4 },
          { key: "sd of fits", digits: 4 },
          {
            key: "asymptotic s.e.",
            digits: 4,
          },
          { key: "ratio", digits: 3 },
        ],
      }],
    }]);
  },
});
