/**
 * `em-gmm.plsa`: pLSA on a synthetic document–word matrix (topics and mixtures drawn from Dirichlets,
 * documents from the model), by EM and by projected gradient ascent from the same random start, for
 * the same number of iterations: the log-likelihood per iteration side by side (plsa.ts).
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

export const plsa = defineStage({
  kind: "em-gmm.plsa",
  module: import.meta.url,
  description: "pLSA by EM and by projected gradient on a synthetic corpus",
  params: z.object({
    docs: z.number().int().min(2).default(200),
    words: z.number().int().min(2).default(100),
    topics: z.number().int().min(1).default(5),
    /** Words per document. */
    length: z.number().int().min(1).default(200),
    /** Dirichlet parameters of p(z | d) and p(w | z). */
    alpha: z.number().positive().default(0.5),
    beta: z.number().positive().default(0.1),
    iterations: z.number().int().min(1).default(500),
    /** "Converged": within this share of |L| below the best value either method reached. */
    within: z.number().positive().default(1e-4),
    seed: z.number().int().min(0).default(0),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const m = await import("./plsa.ts");
    const { largestDecrease } = await import("./gmm.ts");
    const { mixSeed, Rng } = await import("../../stages/data/random.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");

    const truth = m.randomPlsa(p.docs, p.words, p.topics, p.alpha, p.beta, new Rng(mixSeed(p.seed, 1)));
    const counts = m.sampleCorpus(truth, p.length, new Rng(mixSeed(p.seed, 2)));
    // The start both methods share: flat-ish random distributions.
    const start = m.randomPlsa(p.docs, p.words, p.topics, 5, 5, new Rng(mixSeed(p.seed, 3)));
    const total = p.docs * p.length;
    let byEm = start;
    const emTrace = [m.plsaLogLikelihood(counts, start)];
    let byPg = start;
    const state = { step: 1, logLikelihood: emTrace[0]!, total };
    const pgTrace = [emTrace[0]!];
    for (let t = 0; t < p.iterations; t++) {
      byEm = m.plsaEmStep(counts, byEm);
      emTrace.push(m.plsaLogLikelihood(counts, byEm));
      byPg = m.plsaProjectedGradientStep(counts, byPg, state);
      pgTrace.push(state.logLikelihood);
      if (t % 20 === 19) {
        ctx.progress({ done: t + 1, total: p.iterations, text: "EM and projected gradient steps" });
        await new Promise((r) => setTimeout(r, 0));
      }
    }
    const best = Math.max(emTrace.at(-1)!, pgTrace.at(-1)!);
    const reach = (trace: number[]) => {
      const i = trace.findIndex((v) => v >= best - p.within * Math.abs(best));
      return i < 0 ? NaN : i;
    };
    const truthLl = m.plsaLogLikelihood(counts, truth);
    ctx.metrics(p.iterations, {
      em_max_drop: largestDecrease(emTrace),
      pg_max_drop: largestDecrease(pgTrace),
      em_ll: emTrace.at(-1)! / total,
      pg_ll: pgTrace.at(-1)! / total,
      truth_ll: truthLl / total,
      em_converged_at: reach(emTrace),
      pg_converged_at: reach(pgTrace),
    });
    const iters = emTrace.map((_, t) => t);
    const reachCol = `iterations to within ${p.within}·|L|`;
    await writeReportSections(ctx.outDir, [{
      title: "pLSA: EM against projected gradient",
      fragments: [
        {
          kind: "prose",
          text:
            `${p.docs} documents of ${p.length} words over a vocabulary of ${p.words}, drawn from ${p.topics} topics ` +
            `(p(w | z) ~ Dirichlet(${p.beta}), p(z | d) ~ Dirichlet(${p.alpha})). Both methods start from the same random ` +
            `distributions. EM's updates stay on the simplices by construction; projected gradient steps along ∂L and ` +
            `projects each distribution back, with a backtracking line search. After ${p.iterations} iterations: EM ` +
            `${(emTrace.at(-1)! / total).toFixed(5)}, projected gradient ${
              (pgTrace.at(-1)! / total).toFixed(5)
            } nats per ` +
            `word (the true model: ${(truthLl / total).toFixed(5)}).`,
        },
        {
          kind: "line",
          series: [
            { name: "EM", x: iters.map((t) => t + 1), y: emTrace.map((v) => (best - v) / total + 1e-12) },
            {
              name: "projected gradient",
              x: iters.map((t) => t + 1),
              y: pgTrace.map((v) => (best - v) / total + 1e-12),
            },
          ],
          options: {
            title: "Distance to the best log-likelihood reached",
            xLabel: "iteration + 1",
            yLabel: "nats per word below the best",
            logX: true,
            logY: true,
          },
        },
        {
          kind: "table",
          rows: [
            { method: "EM", [reachCol]: reach(emTrace), "final L per word": emTrace.at(-1)! / total },
            {
              method: "projected gradient",
              [reachCol]: Number.isNaN(reach(pgTrace)) ? `> ${p.iterations}` : reach(pgTrace),
              "final L per word": pgTrace.at(-1)! / total,
            },
          ],
          columns: ["method", reachCol, { key: "final L per word", digits: 5 }],
        },
      ],
    }]);
  },
});
