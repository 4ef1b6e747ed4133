/**
 * `nice.graph`: NICE as Su's code builds it (models/onnx/models/nice.ts) on the image-flow family:
 * its train step, density export and sampler. Defaults are the article's: 4 additive couplings with
 * 5 × 1000 ReLU layers, a Gaussian prior, Adam 10⁻³, batch 128, sampling at temperature 0.75.
 *
 * @module
 */
import { z } from "zod";
import { defineFlowGraph } from "../../families/image_flow.ts";

export const graph = defineFlowGraph({
  kind: "nice.graph",
  module: import.meta.url,
  description: "NICE (additive coupling, diagonal scaling): train step, density export and sampler",
  params: {
    couplings: z.number().int().min(1).default(4),
    depth: z.number().int().min(1).default(5),
    hidden: z.number().int().min(1).default(1000),
    prior: z.enum(["gaussian", "logistic"]).default("gaussian"),
    batch: z.number().int().min(2).default(128),
    temperature: z.number().positive().max(2).default(0.75),
  },
  async model(p, image) {
    const { niceModel, niceParameterCount } = await import("../../models/onnx/models/nice.ts");
    const cfg = { couplings: p.couplings, depth: p.depth, hidden: p.hidden, prior: p.prior };
    const dims = image[0] * image[1] * image[2];
    return {
      model: niceModel(cfg, image),
      describe: {
        flow: `${p.couplings} × [reverse the ${dims} dimensions → even/odd split → h₂ = x₂ − m(x₁)] → ` +
          `z = e^{s} ⊙ h`,
        "coupling net m": `${p.depth} × Dense(${p.hidden}, ReLU) → Dense(${dims / 2}, ReLU)`,
        parameters: niceParameterCount(cfg, dims).toLocaleString("en"),
      },
      suLoss: p.prior === "gaussian",
    };
  },
});
