/**
 * «python简单实现gillespie模拟» (kexue.fm/archives/5607): Gillespie simulation of two-stage gene
 * expression, measured against the exact stationary distribution.
 *
 * ```
 *   simulate ──► summarize ──► report
 *   exact ─────────▲
 * ```
 *
 * @module
 */
import { z } from "zod";
import type { ClaimDef } from "../../engine/claims.ts";
import { definePipeline, use } from "../../engine/pipeline.ts";
import { report } from "./report.ts";
import { exact } from "./exact.ts";
import { simulate } from "./simulate.ts";
import { summarize } from "./summarize.ts";

/**
 * A stationary moment measured by summarize against its exact value, within 4 standard errors of the
 * spread between trajectories (summarize records `<metric>`, `<metric>_exact` and `<metric>_se`).
 */
function exactMoment(id: string, claim: string, metric: string): ClaimDef {
  const at = (name: string) => ({ stage: "summarize", metric: name });
  return {
    id,
    claim,
    ours: at(metric),
    reference: { value: at(`${metric}_exact`), source: "analytic, with the article's rates" },
    check: { kind: "near", sigmas: 4, stderr: at(`${metric}_se`) },
  };
}

export const pipeline = definePipeline({
  name: "gillespie",
  description: "Gillespie simulation of two-stage gene expression vs the exact master-equation answer",
  article: {
    title: "python简单实现gillespie模拟",
    url: "https://kexue.fm/archives/5607",
    date: "2018-06-07",
  },
  params: z.object({
    /** small: 64 trajectories of 200 time units (about a second); full: 512 of 1000. */
    scale: z.enum(["small", "full"]).default("small"),
  }).strict(),
  stages: (p) => ({
    simulate: use(simulate, { params: p.scale === "full" ? { trajectories: 512, duration: 1000 } : {} }),
    exact: use(exact),
    summarize: use(summarize, { inputs: { simulation: "simulate", exact: "exact" } }),
    report: use(report, { inputs: { summary: "summarize" } }),
  }),
  report: "report",
  headline: { stage: "summarize", metric: "protein_fano", label: "protein Fano factor (exact 2.25)" },
  claims: [
    exactMoment(
      "protein-mean",
      "At stationarity the protein count has mean k_m·k_p/(γ_m·γ_p).",
      "protein_mean",
    ),
    exactMoment(
      "protein-fano",
      "The protein count's Fano factor (variance over mean) is 1 + k_p/(γ_m + γ_p).",
      "protein_fano",
    ),
    exactMoment("mrna-mean", "The mRNA count is Poisson with mean k_m/γ_m.", "mrna_mean"),
    {
      id: "distribution",
      claim: "The simulated stationary protein distribution is the master equation's.",
      ours: { stage: "summarize", metric: "tv_distance" },
      reference: {
        value: { stage: "summarize", metric: "tv_noise" },
        source:
          "total-variation distance that sampling noise alone gives (from two halves of the trajectories)",
      },
      check: { kind: "below", factor: 3 },
      differs: "the exact distribution is the master equation solved numerically on a truncated state space",
    },
  ],
});
