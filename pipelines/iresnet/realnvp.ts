/**
 * `iresnet.realnvp`: the i-ResNet's baseline, a RealNVP of affine couplings (flow_layers.ts,
 * Glow's σ(h + 2) scale) alternating with reversals, each after an actnorm; coupling nets
 * 1 → h → h → 2 (ReLU, the last layer zero-initialised); Adam, on the density-graph template.
 *
 * @module
 */
import { z } from "zod";
import { defineDensityGraph } from "../../stages/eval/likelihood_graph.ts";

/** The RealNVP baseline's params. */
export const realnvpGraphParams = {
  couplings: z.number().int().min(1).default(10),
  hidden: z.number().int().min(1).default(128),
  /** The official density runs' rate (3·10⁻³, with Adamax there; Adam here). */
  lr: z.number().positive().default(3e-3),
  batch: z.number().int().min(1).default(256),
};

/** Trainable reals of the RealNVP: per coupling the net 1 → h → h → 2 and an actnorm (4). */
export function realnvpParameterCount(p: { couplings: number; hidden: number }): number {
  const h = p.hidden;
  return p.couplings * (h + h + h * h + h + 2 * h + 2 + 4);
}

export const realnvpGraph = defineDensityGraph({
  kind: "iresnet.realnvp",
  module: import.meta.url,
  description: "RealNVP (affine couplings) on 2-D records: the i-ResNet's baseline",
  params: realnvpGraphParams,
  build: async (p, { evalBatch }) => {
    const fl = await import("../../models/onnx/flow_layers.ts");
    const { dense } = await import("../../models/onnx/layers.ts");
    const { inits } = await import("../../models/onnx/init.ts");
    const { relu } = await import("../../models/onnx/ops_elementwise.ts");
    const { flowDensityModel, flowStep } = await import("../../models/onnx/models/image_flow.ts");
    const net = (ps: Parameters<typeof dense>[0], x1: Parameters<typeof dense>[2], channels: number) => {
      const h1 = relu(dense(ps, "fc1", x1, p.hidden));
      const h2 = relu(dense(ps, "fc2", h1, p.hidden));
      return dense(ps, "out", h2, channels, { init: inits.zeros() });
    };
    const layers = [];
    for (let i = 0; i < p.couplings; i++) {
      layers.push(
        fl.actnorm(`actnorm${i}`),
        fl.affineCoupling(`coupling${i}`, { net }),
        fl.reverse(`reverse${i}`),
      );
    }
    const model = {
      flow: fl.chain("/realnvp", layers),
      prior: fl.gaussianPrior,
      record: [2],
      sampleShape: [1, 1, 2],
    };
    return {
      step: flowStep(model, { batch: p.batch, lr: p.lr }),
      model: flowDensityModel(model, evalBatch),
      density: { input: "x", inputShape: [evalBatch, 2], output: "log_prob", paramPrefix: "realnvp/" },
      describe: {
        model: `${p.couplings} × [actnorm → affine coupling (σ(h + 2) scale) → reverse], ` +
          `nets 1 → ${p.hidden} → ${p.hidden} → 2 (ReLU)`,
        parameters: String(realnvpParameterCount(p)),
      },
    };
  },
});
