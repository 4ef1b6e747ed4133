/**
 * `fourier-density.graph`: the FBDM train step (models/onnx/models/fourier_density.ts) with its
 * density export, for `train.run` and `eval.likelihood`. Defaults are the codex demo's: 14 coefficients,
 * period 2, Adam 10⁻³, batch 32, no smoothness penalty.
 *
 * @module
 */
import { z } from "zod";
import { defineDensityGraph } from "../../stages/eval/likelihood_graph.ts";

export const graph = defineDensityGraph({
  kind: "fourier-density.graph",
  module: import.meta.url,
  description: "Fourier basis density model: train step and density export",
  params: {
    /** Complex coefficients a_0..a_{F−1} (the demo's num_freqs). */
    freqs: z.number().int().min(2).max(256).default(14),
    /** periodic: on [−1, 1] as the demo; tanh: the real line through x = tanh((y − offset)/softplus(scale)). */
    map: z.enum(["periodic", "tanh"]).default("periodic"),
    /** Weight γ of the smoothness penalty γ∫|p′|². */
    gamma: z.number().min(0).default(0),
    lr: z.number().positive().default(1e-3),
    batch: z.number().int().min(1).default(32),
  },
  build: async (p, { evalBatch }) => {
    const m = await import("../../models/onnx/models/fourier_density.ts");
    const cfg = { freqs: p.freqs, map: p.map };
    return {
      step: m.fourierDensityStep({ ...cfg, batch: p.batch, lr: p.lr, gamma: p.gamma }),
      model: m.fourierDensityModel(cfg, evalBatch),
      density: {
        input: "x",
        inputShape: [evalBatch, 1],
        output: "log_prob",
        paramPrefix: "fbdm/",
        ...(p.map === "periodic" ? { support: [[-1, 1]] as [number, number][] } : {}),
      },
      describe: {
        model: p.map === "periodic"
          ? `p(x) = |Σ_{k<${p.freqs}} a_k e^{−iπkx}|² / 2c₀ on [−1, 1]`
          : `q(y) = p(tanh((y − μ)/σ))·(1 − tanh²)/σ, p with ${p.freqs} coefficients`,
        parameters: String(m.fourierParameterCount(cfg)),
        loss: p.gamma > 0 ? `NLL + ${p.gamma}·∫|p′|²` : "NLL",
      },
    };
  },
});
