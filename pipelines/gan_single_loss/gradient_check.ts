/**
 * `gan-single-loss.gradient-check`: Su's claim (6387) as a measurement. For the single loss
 *   L = L_D(x_r, sg G(z)) + λ·(L_G(G(z)) − L_G(sg G(z)))
 * of models/onnx/models/gan_step.ts, autodiff of L must give exactly L_D's gradient for the critic and
 * λ·L_G's for the generator, and L must equal L_D in value. Computed in float64 on Su's MLP GAN
 * (random weights, real and noise batches from a seed) for each loss in `losses`.
 *
 * Metrics per loss: `<loss>_grad_gap` = max |∇L − (∇L_D, λ∇L_G)| / max |(∇L_D, λ∇L_G)| over every
 * parameter entry, and `<loss>_value_gap` = |L − L_D|; `grad_gap` the largest over the losses.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import { GAN_LOSSES, type GanLossName } from "../../models/onnx/models/gan_config.ts";

/** The float64 gaps of the single loss for `loss` on an MLP GAN of `image` pixels (see the module header). */
export async function singleLossGaps(
  loss: GanLossName,
  options: { lambda: number; batch: number; seed: number; image: readonly [number, number, number] },
): Promise<{ gradGap: number; valueGap: number; parameters: number }> {
  const { grad } = await import("../../models/onnx/autodiff.ts");
  const { input } = await import("../../models/onnx/graph.ts");
  const { ParamInputs } = await import("../../models/onnx/params.ts");
  const { evaluate, randn } = await import("../../models/onnx/testing.ts");
  const { ganLoss } = await import("../../models/onnx/models/gan_losses.ts");
  const { ganCritic } = await import("../../models/onnx/models/gan_networks.ts");
  const { singleLoss } = await import("../../models/onnx/models/gan_step.ts");
  const { GAN_NETWORK_DEFAULTS: D } = await import("../../families/gan_graph.ts");
  const net = {
    kind: "mlp" as const,
    zDim: D.mlp.zDim,
    gHidden: D.mlp.gHidden,
    dHidden: D.mlp.dHidden,
    initRange: 0,
  };
  const { batch: b, image } = options;
  const ps = new ParamInputs("float64");
  const xr = input("x_r", "float64", [b, ...image]);
  const z = input("z", "float64", [b, net.zDim]);
  const cfg = { loss: ganLoss(loss), network: net, image, singleLossLambda: options.lambda };
  const s = singleLoss(cfg, (x) => ganCritic(ps, x, net), ps, xr, z);
  const params = ps.tensors();
  const names = Object.keys(params);
  const d = names.filter((n) => n.startsWith("critic/"));
  const g = names.filter((n) => n.startsWith("generator/"));
  const total = grad(s.total, names.map((n) => params[n]!));
  const ofD = grad(s.lossD, d.map((n) => params[n]!));
  const ofG = grad(s.lossG, g.map((n) => params[n]!));
  const outputs = { total: s.total, lossD: s.lossD } as Record<string, typeof s.total>;
  names.forEach((n, i) => (outputs[`total/${n}`] = total[i]!));
  d.forEach((n, i) => (outputs[`d/${n}`] = ofD[i]!));
  g.forEach((n, i) => (outputs[`g/${n}`] = ofG[i]!));
  const pixels = image[0] * image[1] * image[2];
  const feeds: Record<string, Float64Array> = {
    x_r: (randn(b * pixels, options.seed, "float64") as Float64Array).map(Math.tanh),
    z: randn(b * net.zDim, options.seed + 1, "float64") as Float64Array,
  };
  names.forEach((n, i) => {
    feeds[n] = (randn(params[n]!.size, options.seed + 10 + i, "float64") as Float64Array).map((v) => 0.1 * v);
  });
  const out = await evaluate(outputs, feeds) as Record<string, Float64Array>;
  let scale = 0, worst = 0, count = 0;
  const compare = (got: Float64Array, want: Float64Array, factor: number) => {
    for (let i = 0; i < got.length; i++) {
      scale = Math.max(scale, Math.abs(factor * want[i]!));
      worst = Math.max(worst, Math.abs(got[i]! - factor * want[i]!));
    }
    count += got.length;
  };
  for (const n of d) compare(out[`total/${n}`]!, out[`d/${n}`]!, 1);
  for (const n of g) compare(out[`total/${n}`]!, out[`g/${n}`]!, options.lambda);
  // A loss whose generator gradient is zero everywhere would make the check vacuous.
  if (!g.some((n) => out[`g/${n}`]!.some((v) => v !== 0))) throw new Error(`${loss}: ∇L_G is zero`);
  return { gradGap: worst / scale, valueGap: Math.abs(out.total![0]! - out.lossD![0]!), parameters: count };
}

export const singleLossGradientCheck = defineStage({
  kind: "gan-single-loss.gradient-check",
  module: import.meta.url,
  description: "Float64 check that the single loss's gradient is (∇L_D, λ∇L_G) and its value L_D",
  params: z.object({
    losses: z.array(z.enum(GAN_LOSSES)).min(1).default(["hinge", "standard", "qp-l2", "energy"]),
    lambda: z.number().positive().default(0.7),
    batch: z.number().int().min(2).default(8),
    seed: z.number().int().min(0).default(0),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const rows = [];
    let largest = 0;
    for (const loss of p.losses) {
      if (loss.startsWith("wgan-gp")) {
        throw new Error(
          `gradient-check.losses: ${loss} needs interpolation weights from the step's RNG; leave it out`,
        );
      }
      const r = await singleLossGaps(loss, {
        lambda: p.lambda,
        batch: p.batch,
        seed: p.seed,
        image: [1, 28, 28],
      });
      ctx.metrics(0, { [`${loss}_grad_gap`]: r.gradGap, [`${loss}_value_gap`]: r.valueGap });
      largest = Math.max(largest, r.gradGap);
      rows.push({ loss, parameters: r.parameters, grad_gap: r.gradGap, value_gap: r.valueGap });
      ctx.log(
        `${loss}: gradient gap ${r.gradGap.toExponential(2)}, value gap ${r.valueGap.toExponential(2)}`,
      );
    }
    ctx.metrics(0, { grad_gap: largest });
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    await writeReportSections(ctx.outDir, [{
      title: "The single loss's gradient, checked in float64",
      fragments: [{
        kind: "table",
        rows,
        columns: [
          "loss",
          { key: "parameters", label: "entries compared" },
          { key: "grad_gap", label: "max |∇L − (∇L_D, λ∇L_G)| / max |∇|", significant: 2 },
          { key: "value_gap", label: "|L − L_D|", significant: 2 },
        ],
        caption: `Su's MLP GAN on 28×28 inputs, random float64 weights, batch ${p.batch}, λ = ${p.lambda}: ` +
          "autodiff through the StopGradient nodes gives the critic L_D's gradient and the generator λ·L_G's.",
      }],
    }]);
  },
});
