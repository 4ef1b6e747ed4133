import assert from "node:assert/strict";
import { exportModel } from "../export.ts";
import { input } from "../graph.ts";
import { ParamInputs } from "../params.ts";
import { TrainRunner } from "../runner.ts";
import { createSession, runSession } from "../session.ts";
import { checkGradients, randn } from "../testing.ts";
import { critic, generatorModel, type WganDivConfig, wganDivCriticLoss, wganDivStep } from "./wgan_div.ts";

// CPU-test size: the same architecture with few channels.
const SMALL: WganDivConfig = { zDim: 16, gChannels: [16, 8], dChannels: [8, 16] };
const B = 8;

function images(seed: number): Float32Array {
  return (randn(B * 784, seed) as Float32Array).map(Math.tanh);
}
const noise = (seed: number) => randn(B * 16, seed) as Float32Array;

Deno.test("WGAN-div critic loss: its gradient-penalty gradient (second order) matches float64 finite differences", async () => {
  const cfg: WganDivConfig = { ...SMALL, dChannels: [2, 3] };
  // Discover the critic's parameters, then check d L_D / d(params, x_r, x_f) in float64 (convolutions
  // are lowered to float64-capable ops there; the gradients use the same Conv/ConvTranspose rules).
  const specs = new ParamInputs("float64");
  critic(specs, input("probe", "float64", [2, 1, 28, 28]), cfg);
  const inputs: Record<string, { shape: readonly number[]; scale: number }> = {};
  // Weights of scale 0.2 keep L_D ≈ 1 (with p = 6 the penalty grows fast), so float64 roundoff stays small.
  for (const s of specs.specs) inputs[s.name] = { shape: s.shape, scale: 0.2 };
  inputs.x_r = { shape: [2, 1, 28, 28], scale: 1 };
  inputs.x_f = { shape: [2, 1, 28, 28], scale: 1 };
  const r = await checkGradients(
    "wgan-div critic loss",
    inputs,
    (xs) => wganDivCriticLoss(new ParamInputs("float64"), xs.x_r!, xs.x_f!, cfg).lossD,
    { maxEntries: 12 },
  );
  assert.equal(r.checked, 66); // 12 sampled entries of each large tensor, all of the small ones
});

Deno.test("WGAN-div train step: metrics are consistent and the generator step goes through the updated critic", async () => {
  const step = wganDivStep(B, SMALL);
  assert.deepEqual(step.metrics, ["loss_d", "loss_g", "penalty", "wdist"]);
  const runner = await TrainRunner.create(step, { seed: 5 });
  let m: Record<string, number> = {};
  for (let s = 0; s < 3; s++) {
    m = await runner.step({ x: images(s), z_d: noise(100 + s), z_g: noise(200 + s) });
  }
  // L_D = −wdist + penalty, all finite, penalty ≥ 0
  assert.ok(Object.values(m).every(Number.isFinite));
  assert.ok(m.penalty! >= 0);
  assert.ok(Math.abs(m.loss_d! - (-m.wdist! + m.penalty!)) < 1e-6);

  // Recompute step 4's loss_g outside the train graph: G before the step, critic after it.
  const before = runner.state();
  const zg = noise(300);
  const m4 = await runner.step({ x: images(3), z_d: noise(103), z_g: zg });
  const after = runner.state();
  const g = generatorModel(SMALL, B, paramsWith(before, "generator/"));
  const d = exportModel({
    name: "critic",
    inputs: { x: { dtype: "float32", shape: [B, 1, 28, 28] } },
    values: paramsWith(after, "critic/"),
    build: (ps, { x }) => ({ score: critic(ps, x!, SMALL) }),
  }).bytes;
  const fake = (await runSession(await createSession(g), { z: zg })).image!.data as Float32Array;
  const score = (await runSession(await createSession(d), { x: fake })).score!.data as Float32Array;
  const lossG = score.reduce((a, b) => a + b) / B;
  assert.ok(Math.abs(lossG - m4.loss_g!) < 1e-6, `loss_g ${m4.loss_g} vs recomputed ${lossG}`);
  await runner.release();
});

function paramsWith(state: Record<string, Float32Array | Float64Array>, prefix: string) {
  return Object.fromEntries(Object.entries(state).filter(([k]) => k.startsWith(prefix)));
}

for (const noiseSource of ["input", "graph"] as const) {
  Deno.test(`WGAN-div checkpoint (state out → fresh session) continues bit-identically (${noiseSource} noise)`, async () => {
    const step = wganDivStep(B, { ...SMALL, noise: noiseSource });
    const batch = (s: number) =>
      noiseSource === "input" ? { x: images(s), z_d: noise(100 + s), z_g: noise(200 + s) } : { x: images(s) };
    const straight = await TrainRunner.create(step, { seed: 9 });
    for (let s = 0; s < 4; s++) await straight.step(batch(s));

    const first = await TrainRunner.create(step, { seed: 9 });
    for (let s = 0; s < 2; s++) await first.step(batch(s));
    const checkpoint = first.state();
    await first.release();
    const resumed = await TrainRunner.create(step, { seed: 9, state: checkpoint });
    assert.equal(resumed.stepCount, 2);
    let last: Record<string, number> = {};
    for (let s = 2; s < 4; s++) last = await resumed.step(batch(s));

    assert.deepEqual(resumed.state(), straight.state());
    assert.ok(Number.isFinite(last.loss_d));
    await straight.release();
    await resumed.release();
  });
}

Deno.test("WGAN-div with in-graph noise: K fused steps equal K host-loop steps, bit for bit", async () => {
  const step = wganDivStep(B, { ...SMALL, noise: "graph" });
  const host = await TrainRunner.create(step, { seed: 2 });
  const fused = await TrainRunner.create(step, { seed: 2 });
  const hostLoss = [(await host.step({ x: images(0) })).loss_g!, (await host.step({ x: images(1) })).loss_g!];
  const stacked = new Float32Array(2 * B * 784);
  stacked.set(images(0));
  stacked.set(images(1), B * 784);
  const m = await fused.steps({ x: stacked }, 2);
  assert.deepEqual(Array.from(m.loss_g!), hostLoss.map(Math.fround));
  assert.deepEqual(fused.state(), host.state());
  await host.release();
  await fused.release();
});

Deno.test("exported generator (weights baked in) loads in a fresh session and reproduces the in-graph generator", async () => {
  const runner = await TrainRunner.create(wganDivStep(B, SMALL), { seed: 1 });
  await runner.step({ x: images(0), z_d: noise(1), z_g: noise(2) });
  const values = runner.params("generator/");
  const baked = generatorModel(SMALL, B, values);
  const z = noise(7);
  const a = (await runSession(await createSession(baked), { z })).image!.data as Float32Array;
  // The same generator code with the weights as graph inputs, fed the runner's current state.
  const withInputs = generatorModel(SMALL, B);
  const b = (await runSession(await createSession(withInputs), { z, ...values })).image!.data as Float32Array;
  assert.equal(a.length, B * 784);
  assert.deepEqual(a, b);
  assert.ok(a.every((v) => v > -1 && v < 1));
  // Deterministic export: the same weights give the same bytes.
  assert.deepEqual(generatorModel(SMALL, B, values), baked);
  await runner.release();
});

Deno.test("WGAN-div ema: the average starts at the first updated weights and then decays toward the new ones", async () => {
  const runner = await TrainRunner.create(wganDivStep(B, { ...SMALL, ema: 0.5 }), { seed: 4 });
  const feed = { x: randn(B * 784, 5) as Float32Array, z_d: noise(6), z_g: noise(7) };
  await runner.step(feed);
  const w1 = runner.params("generator/");
  const s1 = runner.state();
  for (const [name, w] of Object.entries(w1)) {
    assert.deepEqual(s1[`ema/${name}`], w, `ema/${name} after step 1`);
  }
  await runner.step(feed);
  const w2 = runner.params("generator/");
  const s2 = runner.state();
  for (const [name, w] of Object.entries(w2)) {
    const expected = w.map((v, i) => 0.5 * w1[name]![i]! + 0.5 * v);
    const got = s2[`ema/${name}`]!;
    const worst = Math.max(...got.map((v, i) => Math.abs(v - expected[i]!)));
    assert.ok(worst < 1e-6, `ema/${name} after step 2 is off by ${worst}`);
  }
  await runner.release();
});

Deno.test("two identical short trainings at DCGAN channel counts give bit-identical weights; Scan steps equal host steps", async () => {
  // The default channel counts take the NCHWc convolutions (channel counts are multiples of 16).
  const cfg: WganDivConfig = { zDim: 16 };
  const b = 8;
  const step = wganDivStep(b, cfg);
  const feed = (s: number) => ({
    x: (randn(b * 784, s) as Float32Array).map(Math.tanh),
    z_d: randn(b * 16, 100 + s) as Float32Array,
    z_g: randn(b * 16, 200 + s) as Float32Array,
  });
  const stacked = (s: number, k: number) => {
    const parts = Array.from({ length: k }, (_, i) => feed(s + i));
    const cat = (key: "x" | "z_d" | "z_g") => {
      const out = new Float32Array(parts.length * parts[0]![key].length);
      parts.forEach((p, i) => out.set(p[key], i * p[key].length));
      return out;
    };
    return { x: cat("x"), z_d: cat("z_d"), z_g: cat("z_g") };
  };
  const train = async () => {
    const runner = await TrainRunner.create(step, { seed: 3 });
    for (let s = 0; s < 2; s++) await runner.step(feed(s));
    await runner.steps(stacked(2, 2), 2);
    const state = runner.state();
    await runner.release();
    return state;
  };
  const [a, c] = [await train(), await train()];
  assert.equal(a.step![0], 4);
  assert.deepEqual(a, c);
  // And the Scan's two steps are the host loop's two steps.
  const host = await TrainRunner.create(step, { seed: 3 });
  for (let s = 0; s < 4; s++) await host.step(feed(s));
  assert.deepEqual(host.state(), a);
  await host.release();
});
