import assert from "node:assert/strict";
import { grad } from "../../models/onnx/autodiff.ts";
import { input, type Tensor } from "../../models/onnx/graph.ts";
import { stopGradient } from "../../models/onnx/ops_elementwise.ts";
import { ParamInputs } from "../../models/onnx/params.ts";
import { TrainRunner } from "../../models/onnx/runner.ts";
import { evaluate, randn } from "../../models/onnx/testing.ts";
import { criticLoss, ganLoss, generatorLoss } from "../../models/onnx/models/gan_losses.ts";
import { ganCritic, ganGenerator, type GanNetwork } from "../../models/onnx/models/gan_networks.ts";
import { ganStep } from "../../models/onnx/models/gan_step.ts";
import { singleLossGaps } from "./gradient_check.ts";

Deno.test("single loss (6387), float64 on Su's MLP GAN: gradient (∇L_D, λ∇L_G) to rounding, value L_D, for four losses", async () => {
  for (const loss of ["hinge", "standard", "qp-l2", "energy"] as const) {
    const r = await singleLossGaps(loss, { lambda: 0.7, batch: 4, seed: 3, image: [1, 28, 28] });
    assert.ok(r.gradGap < 1e-12, `${loss}: gradient gap ${r.gradGap}`);
    assert.ok(r.valueGap === 0, `${loss}: value gap ${r.valueGap}`);
    assert.ok(r.parameters > 100_000, `${loss}: ${r.parameters} entries`);
  }
});

/** A small DCGAN with batch norm in the generator: convolutions, transposed convolutions, batch statistics. */
const DCGAN: GanNetwork = {
  kind: "dcgan28",
  zDim: 8,
  gChannels: [4, 4],
  dChannels: [4, 8],
  gBatchNorm: true,
  dBatchNorm: false,
  initStd: 0.2,
};
const B = 4;
const IMAGE = [1, 28, 28] as const;

Deno.test("single-loss train step (hinge, DCGAN): one SGD step moves the critic by −η∇L_D and the generator by −ηλ∇L_G, as emitted", async () => {
  const lr = 0.05, lambda = 0.5;
  const step = ganStep(B, {
    loss: ganLoss("hinge"),
    network: DCGAN,
    image: IMAGE,
    nCritic: 1,
    optimiser: { kind: "sgd", momentum: 0 },
    lrD: lr,
    lrG: lr,
    ema: 0,
    schedule: "single-loss",
    singleLossLambda: lambda,
  });
  const runner = await TrainRunner.create(step, { seed: 5 });
  const before = runner.state() as Record<string, Float32Array>;
  const x = (randn(B * 784, 1) as Float32Array).map(Math.tanh);
  const z = randn(B * DCGAN.zDim, 2) as Float32Array;
  await runner.step({ x, z });
  const after = runner.state() as Record<string, Float32Array>;
  await runner.release();

  // The separate gradients, from graphs of their own at the initial weights.
  const ps = new ParamInputs();
  const xr = input("x_r", "float32", [B, ...IMAGE]);
  const zIn = input("z_in", "float32", [B, DCGAN.zDim]);
  const critic = (t: Tensor) => ganCritic(ps, t, DCGAN);
  const xf = ganGenerator(ps, zIn, DCGAN, IMAGE);
  const lossD = criticLoss(ganLoss("hinge"), { critic, xr, xf: stopGradient(xf), perSample: true }).lossD;
  const lossG = generatorLoss(ganLoss("hinge"), { critic, xf, perSample: true });
  const params = ps.tensors();
  const d = Object.keys(params).filter((n) => n.startsWith("critic/"));
  const g = Object.keys(params).filter((n) => n.startsWith("generator/"));
  const gd = grad(lossD, d.map((n) => params[n]!));
  const gg = grad(lossG, g.map((n) => params[n]!));
  const outputs: Record<string, Tensor> = {};
  d.forEach((n, i) => (outputs[`d_${n}`] = gd[i]!));
  g.forEach((n, i) => (outputs[`d_${n}`] = gg[i]!));
  const feeds = { x_r: x, z_in: z, ...Object.fromEntries(Object.keys(params).map((n) => [n, before[n]!])) };
  const grads = await evaluate(outputs, feeds) as Record<string, Float32Array>;
  const pairs = [
    ...d.map((n) => ({ n, want: grads[`d_${n}`]!.map((v) => -lr * v) })),
    ...g.map((n) => ({ n, want: grads[`d_${n}`]!.map((v) => -lr * lambda * v) })),
  ];
  const scale = Math.max(...pairs.flatMap((p) => [...p.want].map(Math.abs)));
  let worst = 0;
  for (const { n, want } of pairs) {
    for (let i = 0; i < want.length; i++) {
      worst = Math.max(worst, Math.abs(after[n]![i]! - before[n]![i]! - want[i]!));
    }
  }
  assert.ok(scale > 1e-4, `updates are not negligible: ${scale}`);
  // float32: the two backward passes sum in different orders.
  assert.ok(worst < 1e-4 * scale, `worst update difference ${worst} against ${scale}`);
  // Both players moved.
  assert.ok(g.every((n) => after[n]!.some((v, i) => v !== before[n]![i])), "every generator tensor moved");
});
