import assert from "node:assert/strict";
import { grad } from "../autodiff.ts";
import { emitModel } from "../emit.ts";
import { input, type Tensor } from "../graph.ts";
import { ParamConstants, ParamInputs } from "../params.ts";
import { TrainRunner } from "../runner.ts";
import { createSession, runSession } from "../session.ts";
import { evaluate, randn } from "../testing.ts";
import { criticLoss, ganLoss, generatorLoss } from "./gan_losses.ts";
import { ganCritic, ganGenerator, type GanNetwork } from "./gan_networks.ts";
import { ganSampler, ganStep, type GanStepConfig, realBlocks, singleLoss } from "./gan_step.ts";
import { wganDivCriticLoss, wganDivStep } from "./wgan_div.ts";

const B = 4;
const IMAGE = [1, 28, 28] as const;
const MLP: GanNetwork = { kind: "mlp", zDim: 3, gHidden: [8], dHidden: [8, 4], initRange: 0.05 };

const config = (over: Partial<GanStepConfig> = {}): GanStepConfig => ({
  loss: ganLoss("qp-l2"),
  network: MLP,
  image: IMAGE,
  nCritic: 2,
  optimiser: { kind: "adam", b1: 0.5, b2: 0.9 },
  lrD: 1e-3,
  lrG: 1e-3,
  ema: 0,
  ...over,
});

const images = (n: number, seed: number) => (randn(n * 784, seed) as Float32Array).map(Math.tanh);

/** The critic's and the generator's loss of one block, evaluated outside the train graph on `state`. */
async function lossesOn(
  cfg: GanStepConfig,
  state: Record<string, Float32Array | Float64Array>,
  x: { xr: Float32Array; z: Float32Array; xrG?: Float32Array },
) {
  const ps = new ParamConstants(state as Record<string, Float32Array>);
  const xr = input("xr", "float32", [B, ...IMAGE]);
  const z = input("z", "float32", [B, cfg.network.zDim]);
  const critic = (t: Tensor) => ganCritic(ps, t, cfg.network);
  const xf = ganGenerator(ps, z, cfg.network, IMAGE);
  const d = criticLoss(cfg.loss, { critic, xr, xf, perSample: true }).lossD;
  const session = await createSession(emitModel({ name: "check", outputs: { d } }));
  const out = await runSession(session, { xr: x.xr, z: x.z });
  await session.release();
  return Number(out.d!.data[0]);
}

Deno.test("GAN step: batch inputs hold one block per critic step (and one more for GAN-QP's generator)", () => {
  const qp = ganStep(B, config());
  assert.deepEqual(qp.batch.x!.shape, [3 * B, ...IMAGE]);
  assert.deepEqual(qp.batch.z_d!.shape, [2 * B, 3]);
  assert.deepEqual(qp.batch.z_g!.shape, [B, 3]);
  assert.equal(realBlocks(config({ loss: ganLoss("wgan-gp"), nCritic: 5 })), 5);
  const gp = ganStep(B, config({ loss: ganLoss("wgan-gp"), nCritic: 5 }));
  assert.deepEqual(gp.batch.x!.shape, [5 * B, ...IMAGE]);
  assert.deepEqual(gp.metrics, ["loss_d", "penalty", "wdist", "grad_norm", "loss_g"]);
});

Deno.test("GAN step: loss_d is the mean over critic steps of each block's loss, each on its own data", async () => {
  // With lr_d = 0 the critic does not move, so each block's loss can be recomputed from the initial state.
  const cfg = config({ lrD: 0 });
  const step = ganStep(B, cfg);
  const runner = await TrainRunner.create(step, { seed: 3 });
  const initial = runner.state();
  const x = images(3 * B, 1);
  const zd = randn(2 * B * 3, 2) as Float32Array;
  const m = await runner.step({ x, z_d: zd, z_g: randn(B * 3, 3) as Float32Array });
  const block = (a: Float32Array, i: number, size: number) => a.slice(i * size, (i + 1) * size);
  const l0 = await lossesOn(cfg, initial, { xr: block(x, 0, B * 784), z: block(zd, 0, B * 3) });
  const l1 = await lossesOn(cfg, initial, { xr: block(x, 1, B * 784), z: block(zd, 1, B * 3) });
  assert.notEqual(l0, l1);
  assert.ok(Math.abs(m.loss_d! - (l0 + l1) / 2) < 1e-5, `loss_d ${m.loss_d} vs ${(l0 + l1) / 2}`);
  // The critic did not move; the generator did.
  const after = runner.state();
  assert.deepEqual(after["critic/fc1/W"], initial["critic/fc1/W"]);
  assert.notDeepEqual(after["generator/fc1/W"], initial["generator/fc1/W"]);
  await runner.release();
});

for (const optimiser of [{ kind: "rmsprop", rho: 0.99 }, { kind: "sgd", momentum: 0.9 }] as const) {
  Deno.test(`GAN step trains with ${optimiser.kind} and its sampler draws from the trained weights`, async () => {
    const cfg = config({ optimiser, loss: ganLoss("hinge"), nCritic: 1 });
    const runner = await TrainRunner.create(ganStep(B, cfg), { seed: 1 });
    const before = runner.state();
    for (let s = 0; s < 3; s++) {
      const m = await runner.step({
        x: images(B, s),
        z_d: randn(B * 3, 10 + s) as Float32Array,
        z_g: randn(B * 3, 20 + s) as Float32Array,
      });
      assert.ok(Object.values(m).every(Number.isFinite));
    }
    const after = runner.state();
    assert.notDeepEqual(after["critic/fc1/W"], before["critic/fc1/W"]);
    const session = await createSession(ganSampler(MLP, IMAGE, B, runner.params("generator/")));
    const img = (await runSession(session, { z: randn(B * 3, 5) as Float32Array })).image!;
    assert.deepEqual(img.dims, [B, ...IMAGE]);
    assert.ok([...img.data as Float32Array].every((v) => v > -1 && v < 1));
    await session.release();
    await runner.release();
  });
}

Deno.test("GAN loss registry: wgan-div's critic loss emits the same graph bytes as models/onnx/models/wgan_div.ts", () => {
  for (const dBatchNorm of [false, true]) {
    const net = {
      kind: "dcgan28",
      zDim: 8,
      gChannels: [8, 4],
      dChannels: [4, 8],
      gBatchNorm: true,
      dBatchNorm,
      initStd: 0.02,
    } as const;
    const xr = input("x_r", "float32", [2, ...IMAGE]);
    const xf = input("x_f", "float32", [2, ...IMAGE]);
    const ours = criticLoss(ganLoss("wgan-div"), {
      critic: (x) => ganCritic(new ParamInputs(), x, net),
      xr,
      xf,
      perSample: !dBatchNorm,
    });
    const theirs = wganDivCriticLoss(new ParamInputs(), xr, xf, net);
    const bytes = (o: Record<string, Tensor>) => emitModel({ name: "critic_loss", outputs: o });
    assert.deepEqual(
      bytes({ loss_d: ours.lossD, penalty: ours.metrics.penalty!, wdist: ours.metrics.wdist! }),
      bytes({ loss_d: theirs.lossD, penalty: theirs.penalty, wdist: theirs.wdist }),
    );
  }
});

Deno.test("GAN generator loss of GAN-QP reads real images; the others do not", () => {
  const xf = input("x_f", "float32", [2, ...IMAGE]);
  const critic = (x: Tensor) => ganCritic(new ParamInputs(), x, MLP);
  assert.throws(() => generatorLoss(ganLoss("qp-l1"), { critic, xf, perSample: true }), /reads real images/);
  assert.equal(generatorLoss(ganLoss("hinge"), { critic, xf, perSample: true }).shape.length, 0);
});

Deno.test("single loss (6387): its gradient is L_D's for the critic and λ times L_G's for the generator (float64)", async () => {
  for (const name of ["hinge", "qp-l2"] as const) {
    const cfg = { loss: ganLoss(name), network: MLP, image: IMAGE, singleLossLambda: 0.7 };
    const ps = new ParamInputs("float64");
    const xr = input("x_r", "float64", [B, ...IMAGE]);
    const z = input("z", "float64", [B, MLP.zDim]);
    const s = singleLoss(cfg, (x) => ganCritic(ps, x, MLP), ps, xr, z);
    const params = ps.tensors();
    const names = Object.keys(params);
    const d = names.filter((n) => n.startsWith("critic/"));
    const g = names.filter((n) => n.startsWith("generator/"));
    assert.ok(d.length > 0 && g.length > 0);
    const total = grad(s.total, names.map((n) => params[n]!));
    const ofD = grad(s.lossD, d.map((n) => params[n]!));
    const ofG = grad(s.lossG, g.map((n) => params[n]!));
    const outputs: Record<string, Tensor> = { total: s.total, lossD: s.lossD };
    names.forEach((n, i) => (outputs[`total/${n}`] = total[i]!));
    d.forEach((n, i) => (outputs[`d/${n}`] = ofD[i]!));
    g.forEach((n, i) => (outputs[`g/${n}`] = ofG[i]!));
    const feeds: Record<string, Float64Array> = {
      x_r: Float64Array.from(images(B, 7)),
      z: randn(B * MLP.zDim, 8, "float64") as Float64Array,
    };
    names.forEach((n, i) => {
      feeds[n] = (randn(params[n]!.size, 20 + i, "float64") as Float64Array).map((v) => 0.3 * v);
    });
    const out = await evaluate(outputs, feeds) as Record<string, Float64Array>;
    assert.equal(out.total![0], out.lossD![0], `${name}: the λ term is zero in value`);
    // Differences against the largest gradient entry: a parameter whose L_D gradient is exactly zero (the
    // last bias under GAN-QP's Δ) keeps the zero term's rounding (≈1e-17), so a relative norm would not do.
    const pairs: [Float64Array, Float64Array][] = [
      ...d.map((n) => [out[`total/${n}`]!, out[`d/${n}`]!] as [Float64Array, Float64Array]),
      ...g.map((n) =>
        [out[`total/${n}`]!, out[`g/${n}`]!.map((v) => 0.7 * v)] as [Float64Array, Float64Array]
      ),
    ];
    const scale = Math.max(...pairs.flatMap(([, want]) => [...want].map(Math.abs)));
    const worst = Math.max(...pairs.flatMap(([got, want]) => [...got].map((v, i) => Math.abs(v - want[i]!))));
    for (const n of g) assert.ok(Math.max(...out[`g/${n}`]!.map(Math.abs)) > 0, `${name}: ∇L_G ≠ 0`);
    assert.ok(scale > 0 && worst < 1e-12 * scale, `${name}: worst difference ${worst}, scale ${scale}`);
  }
});

Deno.test("single-loss step: one optimiser moves both players from one loss; n critic steps are refused", async () => {
  const cfg = config({
    loss: ganLoss("hinge"),
    nCritic: 1,
    schedule: "single-loss",
    optimiser: { kind: "rmsprop", rho: 0.99 },
  });
  const step = ganStep(B, cfg);
  assert.deepEqual(Object.keys(step.batch), ["x", "z"]);
  assert.deepEqual(step.hyper, { lr_d: 1e-3 });
  const runner = await TrainRunner.create(step, { seed: 2 });
  const before = runner.state();
  const m = await runner.step({ x: images(B, 1), z: randn(B * 3, 4) as Float32Array });
  assert.ok(Object.values(m).every(Number.isFinite));
  const after = runner.state();
  assert.notDeepEqual(after["critic/fc1/W"], before["critic/fc1/W"]);
  assert.notDeepEqual(after["generator/fc1/W"], before["generator/fc1/W"]);
  await runner.release();
  assert.throws(
    () => ganStep(B, config({ schedule: "single-loss", nCritic: 2 })),
    /one step per iteration, not nCritic 2/,
  );
});

Deno.test("GAN step: wgan-div on the GAN graph kind trains exactly as wgan_div.ts, bit for bit", async () => {
  // The wgan-div pipeline runs on gan.graph; its metrics must be those of its own step (models/onnx/
  // models/wgan_div.ts) to the last bit, with and without batch norm in the critic.
  for (const dBatchNorm of [false, true]) {
    const div = { zDim: 16, gChannels: [16, 8] as const, dChannels: [8, 16] as const, dBatchNorm };
    const network: GanNetwork = {
      kind: "dcgan28",
      zDim: 16,
      gChannels: div.gChannels,
      dChannels: div.dChannels,
      gBatchNorm: true,
      dBatchNorm,
      initStd: 0.02,
    };
    const gan = ganStep(8, {
      ...config({ loss: ganLoss("wgan-div"), network, nCritic: 1, lrD: 2e-4, lrG: 2e-4 }),
      optimiser: { kind: "adam", b1: 0.5, b2: 0.999 },
    });
    const own = wganDivStep(8, div);
    assert.deepEqual([...gan.metrics].sort(), [...own.metrics].sort());
    const a = await TrainRunner.create(gan, { seed: 4 });
    const b = await TrainRunner.create(own, { seed: 4 });
    for (let s = 0; s < 4; s++) {
      const feed = {
        x: images(8, s),
        z_d: randn(8 * 16, 50 + s) as Float32Array,
        z_g: randn(8 * 16, 90 + s) as Float32Array,
      };
      const [ma, mb] = [await a.step(feed), await b.step(feed)];
      for (const name of own.metrics) {
        assert.equal(ma[name], mb[name], `step ${s} ${name} (dBatchNorm ${dBatchNorm})`);
      }
    }
    const [sa, sb] = [a.state(), b.state()];
    assert.deepEqual(Object.keys(sa).sort(), Object.keys(sb).sort());
    for (const name of Object.keys(sb)) assert.deepEqual(sa[name], sb[name], name);
    await a.release();
    await b.release();
  }
});
