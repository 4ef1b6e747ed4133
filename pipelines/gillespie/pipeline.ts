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
import { definePipeline, use } from "../../engine/pipeline.ts";
import { report } from "./report.ts";
import { exact } from "./exact.ts";
import { simulate } from "./simulate.ts";
import { summarize } from "./summarize.ts";

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
    {
      id: "protein-mean",
      claim: "At stationarity the protein count has mean k_m·k_p/(γ_m·γ_p).",
      ours: { stage: "summarize", metric: "protein_mean" },
      reference: {
        value: { stage: "summarize", metric: "protein_mean_exact" },
        source: "analytic, with the article's rates",
      },
      check: { kind: "near", sigmas: 4, stderr: { stage: "summarize", metric: "protein_mean_se" } },
    },
    {
      id: "protein-fano",
      claim: "The protein count's Fano factor (variance over mean) is 1 + k_p/(γ_m + γ_p).",
      ours: { stage: "summarize", metric: "protein_fano" },
      reference: {
        value: { stage: "summarize", metric: "protein_fano_exact" },
        source: "analytic, with the article's rates",
      },
      check: { kind: "near", sigmas: 4, stderr: { stage: "summarize", metric: "protein_fano_se" } },
    },
    {
      id: "mrna-mean",
      claim: "The mRNA count is Poisson with mean k_m/γ_m.",
      ours: { stage: "summarize", metric: "mrna_mean" },
      reference: {
        value: { stage: "summarize", metric: "mrna_mean_exact" },
        source: "analytic, with the article's rates",
      },
      check: { kind: "near", sigmas: 4, stderr: { stage: "summarize", metric: "mrna_mean_se" } },
    },
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
