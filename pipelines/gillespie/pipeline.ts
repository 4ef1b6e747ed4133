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
});
