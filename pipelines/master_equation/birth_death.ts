/**
 * `master-equation.birth-death`: the master equation of ∅ → m (rate k), m → ∅ (rate γ·m), the mRNA of
 * the gillespie model, from the network definition (pipelines/gillespie/network.ts):
 *
 * - stationary: the reflecting truncation's generator solved as a linear system (LU, with Σπ = 1 in
 *   place of one equation), against Poisson(k/γ);
 * - over time from no molecules: uniformization with a finite-state projection, against the exact
 *   solution Poisson((k/γ)(1 − e^{−γt})), with the error bound of fsp.ts.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import { ARTICLE_RATES } from "../gillespie/model.ts";

export const birthDeath = defineStage({
  kind: "master-equation.birth-death",
  module: import.meta.url,
  description: "Birth–death master equation: stationary Poisson and the exact transient, with error bounds",
  params: z.object({
    k: z.number().positive().default(ARTICLE_RATES.transcription),
    gamma: z.number().positive().default(ARTICLE_RATES.mrnaDecay),
    /** Truncation: counts 0..maxCount. */
    maxCount: z.number().int().min(1).default(100),
    times: z.array(z.number().positive()).min(1).default([0.1, 0.5, 1, 2, 5, 10]),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const { birthDeathNetwork } = await import("../gillespie/model.ts");
    const { generator } = await import("../gillespie/network.ts");
    const { poissonPmf, solveMasterEquation } = await import("./fsp.ts");
    const { matrix } = await import("../../numerics/matrix.ts");
    const { solve } = await import("../../numerics/lu.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    const network = birthDeathNetwork(p.k, p.gamma);
    const box = { max: [p.maxCount] };
    const mean = p.k / p.gamma;

    // ---- stationary: Qπ = 0 with the last equation replaced by Σπ = 1 ----
    const reflecting = generator(network, box, { reflecting: true });
    const n = reflecting.size;
    const q = new Float64Array(n * n);
    for (let j = 0; j < n; j++) {
      q[j * n + j]! -= reflecting.exit[j]!;
      for (let k = reflecting.start[j]!; k < reflecting.start[j + 1]!; k++) {
        q[reflecting.to[k]! * n + j]! += reflecting.rate[k]!;
      }
    }
    for (let j = 0; j < n; j++) q[(n - 1) * n + j] = 1;
    const rhs = new Float64Array(n);
    rhs[n - 1] = 1;
    const pi = solve(matrix(n, n, q), rhs);
    const poisson = poissonPmf(mean, p.maxCount);
    let stationaryError = 0;
    for (let i = 0; i < n; i++) stationaryError = Math.max(stationaryError, Math.abs(pi[i]! - poisson[i]!));
    // The truncation itself changes the answer by the Poisson tail beyond maxCount (conditioning).
    let tail = 1;
    for (let i = 0; i < n; i++) tail -= poisson[i]!;

    // ---- over time, from P(0) = δ₀ ----
    const start = new Float64Array(n);
    start[0] = 1;
    const solved = solveMasterEquation(generator(network, box), start, p.times);
    // Rounding floor: every step and every sum adds about ε per entry.
    const floor = (solved.steps + n) * Number.EPSILON;
    const rows = p.times.map((t, i) => {
      const exact = poissonPmf(mean * (1 - Math.exp(-p.gamma * t)), p.maxCount);
      let error = 0;
      for (let x = 0; x < n; x++) error = Math.max(error, Math.abs(solved.distributions[i]![x]! - exact[x]!));
      const bound = 2 * Math.max(solved.deficit[i]!, 0) + floor;
      return { t, error, deficit: solved.deficit[i]!, bound, exact, p: solved.distributions[i]! };
    });
    const worst = Math.max(...rows.map((r) => r.error / r.bound));
    ctx.metrics(0, {
      stationary_max_error: stationaryError,
      poisson_tail: Math.max(tail, 0),
      transient_max_error: Math.max(...rows.map((r) => r.error)),
      transient_error_over_bound: worst,
      uniformization_steps: solved.steps,
    });
    const xs = Array.from({ length: Math.min(n, Math.ceil(mean + 8 * Math.sqrt(mean)) + 1) }, (_, i) => i);
    await writeReportSections(ctx.outDir, [{
      title: "Birth–death: the master equation against Poisson",
      fragments: [
        {
          kind: "prose",
          text:
            `∅ → m at rate k = ${p.k}, m → ∅ at rate γ = ${p.gamma} per molecule (the mRNA of the gillespie model, ` +
            `from the same network definition), truncated at ${p.maxCount} molecules. Stationary: the linear system ` +
            `Qπ = 0, Σπ = 1 solved by LU; it differs from Poisson(${mean}) by at most ${
              stationaryError.toExponential(1)
            } ` +
            `(the truncation alone accounts for the Poisson tail beyond ${p.maxCount}, ${
              Math.max(tail, 0).toExponential(1)
            }). ` +
            `Over time from no molecules: uniformization with a finite-state projection (${solved.steps} steps) against the ` +
            `exact Poisson((k/γ)(1 − e^{−γt})); the bound is twice the probability the computation lost (truncation ` +
            `and cut series) plus a rounding floor (steps × ε).`,
        },
        {
          kind: "line",
          series: rows.map((r) => ({ name: `t = ${r.t}`, x: xs, y: xs.map((x) => r.p[x]!) })),
          options: {
            title: "P(m, t) from the master equation",
            xLabel: "molecules m",
            yLabel: "probability",
            dots: true,
          },
        },
        {
          kind: "table",
          rows: rows.map((r) => ({
            t: r.t,
            "mean (k/γ)(1 − e^{−γt})": mean * (1 - Math.exp(-p.gamma * r.t)),
            "max |P − Poisson|": r.error,
            "lost mass": Math.max(r.deficit, 0),
            bound: r.bound,
          })),
          columns: ["t", { key: "mean (k/γ)(1 − e^{−γt})", digits: 4 }, {
            key: "max |P − Poisson|",
            significant: 2,
          }, {
            key: "lost mass",
            significant: 2,
          }, { key: "bound", significant: 2 }],
        },
      ],
    }]);
  },
});
