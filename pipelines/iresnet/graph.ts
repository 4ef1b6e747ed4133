/**
 * The i-ResNet graph stage of the iresnet pipeline, on the density-graph template (stages/eval/likelihood_graph.ts):
 *
 * - `iresnet.graph`: the i-ResNet (models/onnx/models/iresnet.ts): the train step with the n-term
 *   Hutchinson series, the density export with exact 2×2 log-determinants (so test NLLs are exact; for
 *   larger records, MNIST at scale=full, the series with several probes per record), and
 *   `sampler.onnx` (noise → x by fixed-point iteration), and `config.json` (the model config);
 * - the RealNVP baseline is in realnvp.ts (its own module, so that each reruns only for its own code).
 *
 * @module
 */
import { z } from "zod";
import { defineDensityGraph } from "../../stages/eval/likelihood_graph.ts";

/** The i-ResNet's params (experiments.md §A5's toy model, the official estimator settings). */
export const iresnetGraphParams = {
  /** Values per record: 2 for the toys (exact 2×2 log-dets in the export), 784 for MNIST (the series). */
  dim: z.number().int().min(2).default(2),
  blocks: z.number().int().min(1).default(10),
  hidden: z.number().int().min(1).default(128),
  coeff: z.number().gt(0).lt(1).default(0.9),
  actnorm: z.boolean().default(true),
  seriesTerms: z.number().int().min(1).max(50).default(5),
  powerIterations: z.number().int().min(0).default(1),
  exportPowerIterations: z.number().int().min(1).default(50),
  inverseIterations: z.number().int().min(1).default(100),
  /** The official density runs' rate (3·10⁻³, with Adamax there; Adam here). */
  lr: z.number().positive().default(3e-3),
  batch: z.number().int().min(1).default(256),
  /** Records of more than 2 values: the export's series terms and Hutchinson probes per record. */
  exportSeriesTerms: z.number().int().min(1).max(50).default(10),
  exportProbes: z.number().int().min(1).default(4),
};

/** The model config from those params. */
export function iresnetConfig(p: {
  dim: number;
  blocks: number;
  hidden: number;
  coeff: number;
  actnorm: boolean;
  seriesTerms: number;
  powerIterations: number;
  exportPowerIterations: number;
  inverseIterations: number;
}) {
  return {
    dim: p.dim,
    blocks: p.blocks,
    hidden: [p.hidden, p.hidden] as [number, number],
    coeff: p.coeff,
    actnorm: p.actnorm,
    seriesTerms: p.seriesTerms,
    powerIterations: p.powerIterations,
    exportPowerIterations: p.exportPowerIterations,
    inverseIterations: p.inverseIterations,
  };
}

export const iresnetGraph = defineDensityGraph({
  kind: "iresnet.graph",
  module: import.meta.url,
  description: "i-ResNet: series log-det train step, density export (exact in 2-D), fixed-point sampler",
  params: iresnetGraphParams,
  build: async (p, { evalBatch }) => {
    const m = await import("../../models/onnx/models/iresnet.ts");
    const c = iresnetConfig(p);
    const exact = p.dim === 2;
    return {
      step: m.iresnetStep(c, { batch: p.batch, lr: p.lr }),
      model: exact
        ? m.iresnetDensityModel(c, evalBatch)
        : m.iresnetSeriesDensityModel(c, evalBatch, { terms: p.exportSeriesTerms, probes: p.exportProbes }),
      density: { input: "x", inputShape: [evalBatch, p.dim], output: "log_prob", paramPrefix: "iresnet/" },
      describe: {
        model: `${p.blocks} × [${p.actnorm ? "actnorm → " : ""}y = x + g(x)], ` +
          `g = ${p.dim} → ${p.hidden} → ${p.hidden} → ${p.dim} (ELU), each W / max(1, σ̂/${p.coeff})`,
        "training log-det":
          `Σ_{k≤${p.seriesTerms}} (−1)^{k+1}/k · vᵀJᵏv, one v ~ N(0, I) per block and step; ` +
          `${p.powerIterations} power iteration(s) per step from the carried u`,
        "evaluation log-det": exact
          ? "exact: log |det(I + J_g)| of the 2×2 Jacobian"
          : `the ${p.exportSeriesTerms}-term series, Hutchinson's estimate over ${p.exportProbes} probes per record`,
        inverse: `${p.inverseIterations} fixed-point iterations per block`,
        parameters: String(m.iresnetParameterCount(c)),
      },
      files: {
        "sampler.onnx": m.iresnetSamplerModel(c, evalBatch),
        // The model config, for the stages that rebuild the model from the trained weights (study.ts).
        "config.json": JSON.stringify(c, null, 1),
      },
    };
  },
});
