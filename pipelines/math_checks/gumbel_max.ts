/**
 * The Gumbel-max trick (kexue.fm/archives/6705 §1): argmax(log p + Gumbel noise) sampled many times for
 * several categorical distributions p, each judged by Pearson's χ² test. The family of tests runs at
 * level α with Bonferroni's correction (each at α/M), so a correct sampler fails it with probability at
 * most α. The same test on the same draws with Gaussian noise in place of Gumbel noise shows it can fail.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

export const gumbelMax = defineStage({
  kind: "math-checks.gumbel-max",
  module: import.meta.url,
  description: "argmax(log p + Gumbel) samples p: χ² tests at a stated level, with a wrong-noise control",
  params: z.object({
    /** Draws per distribution. */
    draws: z.number().int().min(100).default(200_000),
    /** Family-wise level of the χ² tests. */
    level: z.number().gt(0).lt(1).default(0.01),
    seed: z.number().int().min(0).default(6705),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const { mixSeed, Rng } = await import("../../stages/data/random.ts");
    const { argmaxCounts, chiSquareTest, gumbel } = await import("./gumbel.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    const p = ctx.params;
    const setup = new Rng(mixSeed(p.seed, 0));
    const dirichlet = (k: number, a: number) => {
      const w = Array.from({ length: k }, () => setup.gamma(a));
      const s = w.reduce((x, y) => x + y, 0);
      return w.map((v) => v / s);
    };
    const distributions: { name: string; p: number[] }[] = [
      { name: "2 categories (0.3, 0.7)", p: [0.3, 0.7] },
      { name: "5 categories, Dirichlet(1)", p: dirichlet(5, 1) },
      { name: "10 categories, one of p = 0.001", p: [0.001, ...Array.from({ length: 9 }, () => 0.999 / 9)] },
      { name: "50 categories, Dirichlet(0.5)", p: dirichlet(50, 0.5) },
      { name: "geometric over 20, ratio 0.7", p: geometric(20, 0.7) },
    ];
    const each = p.level / distributions.length;
    const results = distributions.map((d, i) => {
      const logP = d.p.map(Math.log);
      const rng = new Rng(mixSeed(p.seed, 1, i));
      const counts = argmaxCounts(logP, p.draws, () => gumbel(rng));
      const control = argmaxCounts(logP, p.draws, () => rng.normal());
      ctx.progress({ done: i + 1, total: distributions.length, text: d.name });
      return { ...d, counts, test: chiSquareTest(counts, d.p), control: chiSquareTest(control, d.p) };
    });
    ctx.metrics(0, {
      min_p: Math.min(...results.map((r) => r.test.pValue)),
      control_p: Math.max(...results.map((r) => r.control.pValue)),
      level: p.level,
      level_each: each,
      tests: distributions.length,
    });
    const shown = results[4]!;
    const k = shown.p.map((_, i) => i);
    await writeReportSections(ctx.outDir, [{
      title: "Gumbel-max: argmax(log p + G) samples p",
      fragments: [
        {
          kind: "prose",
          text:
            "If G₁…G_K are independent standard Gumbel variables (Gᵢ = −log(−log Uᵢ), Uᵢ uniform), then " +
            "argmaxᵢ (log pᵢ + Gᵢ) is exactly a draw from the categorical distribution p: the reparametrisation " +
            "that Gumbel-softmax relaxes. We draw it " +
            `${
              p.draws.toLocaleString("en")
            } times for each of ${distributions.length} distributions and apply ` +
            "Pearson's χ² test (cells expected fewer than 5 times pooled). The tests run as a family at level " +
            `α = ${p.level}, each at α/${distributions.length} = ${each} (Bonferroni), so a correct sampler ` +
            `fails the family with probability at most ${p.level}: that is the claim's false-alarm rate. The ` +
            "control replaces the Gumbel noise by standard normal noise, which does not give p: the same test " +
            "must reject it.",
        },
        {
          kind: "table",
          rows: results.map((r) => ({
            distribution: r.name,
            cells: r.test.cells,
            "χ²": r.test.statistic,
            df: r.test.degreesOfFreedom,
            "p-value": r.test.pValue,
            "control χ²": r.control.statistic,
            "control p-value": r.control.pValue,
          })),
          columns: [
            "distribution",
            "cells",
            { key: "χ²", significant: 4 },
            "df",
            { key: "p-value", significant: 3 },
            { key: "control χ²", label: "χ², Gaussian noise", significant: 4 },
            { key: "control p-value", label: "p-value, Gaussian noise", significant: 2 },
          ],
          caption: `Each test passes when its p-value is at least α/${distributions.length} = ${each}.`,
        },
        {
          kind: "line",
          series: [
            { name: "observed frequency", x: k, y: Array.from(shown.counts, (c) => c / p.draws) },
            { name: "p", x: k, y: shown.p },
          ],
          options: {
            title: `Gumbel-max draws: ${shown.name}`,
            subtitle: `${p.draws.toLocaleString("en")} draws`,
            xLabel: "category",
            yLabel: "probability",
            logY: true,
            dots: true,
          },
        },
      ],
    }]);
  },
});

function geometric(k: number, r: number): number[] {
  const w = Array.from({ length: k }, (_, i) => r ** i);
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
}
