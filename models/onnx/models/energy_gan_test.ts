import assert from "node:assert/strict";
import { input } from "../graph.ts";
import { ParamInputs } from "../params.ts";
import { TrainRunner } from "../runner.ts";
import { createSession, runSession } from "../session.ts";
import { checkGradients, randn } from "../testing.ts";
import {
  type EnergyGanConfig,
  energyGanStep,
  entropyTerm,
  langevinSampler,
  toyEnergy,
  toyGenerator,
  type ToyNetwork,
  toySampler,
} from "./energy_gan.ts";

const NET: ToyNetwork = { zDim: 2, width: 5, depth: 2 };
const B = 4;

/** Every parameter of `build`'s networks as a float64 check input. */
function paramInputs(build: (ps: ParamInputs) => void) {
  const ps = new ParamInputs("float64");
  build(ps);
  return Object.fromEntries(ps.specs.map((s) => [s.name, { shape: s.shape, scale: 0.6 }]));
}

for (const kind of ["encoder", "mi"] as const) {
  Deno.test(`energy GAN: the ${kind} entropy term's gradients (generator and its partner) match float64 finite differences`, async () => {
    const probe = (ps: ParamInputs) => {
      const z = input("probe_z", "float64", [B, NET.zDim]);
      entropyTerm(ps, kind, toyGenerator(ps, z, NET), z, NET);
    };
    const r = await checkGradients(
      `entropy ${kind}`,
      { ...paramInputs(probe), z: { shape: [B, NET.zDim] } },
      (xs) => {
        // ParamInputs names its inputs by layer path, the names of the check's inputs: the same tensors.
        const ps = new ParamInputs("float64");
        return entropyTerm(ps, kind, toyGenerator(ps, xs.z!, NET), xs.z!, NET);
      },
    );
    assert.ok(r.checked >= 30, `${r.checked} entries`);
  });
}

const config = (over: Partial<EnergyGanConfig> = {}): EnergyGanConfig => ({
  network: NET,
  penalty: 0.1,
  nCritic: 2,
  optimiser: { kind: "adam", b1: 0.5, b2: 0.9 },
  lrD: 1e-3,
  lrG: 1e-3,
  entropy: { kind: "none" },
  ...over,
});

Deno.test("energy GAN step: every entropy term trains, its partner network learns with G, the energy with its own steps", async () => {
  for (
    const entropy of [{ kind: "none" }, { kind: "encoder", lambda: 1 }, { kind: "mi", lambda: 1 }] as const
  ) {
    const step = energyGanStep(B, config({ entropy }));
    assert.deepEqual(step.batch.x!.shape, [2 * B, 2]);
    assert.deepEqual(step.metrics, ["loss_d", "penalty", "wdist", "loss_g", "entropy"]);
    const runner = await TrainRunner.create(step, { seed: 1 });
    const before = runner.state();
    const m = await runner.step({
      x: randn(2 * B * 2, 1) as Float32Array,
      z_d: randn(2 * B * 2, 2) as Float32Array,
      z_g: randn(B * 2, 3) as Float32Array,
    });
    assert.ok(Object.values(m).every(Number.isFinite), JSON.stringify(m));
    assert.equal(m.entropy === 0, entropy.kind === "none", `${entropy.kind}: entropy ${m.entropy}`);
    const after = runner.state();
    const names = Object.keys(before);
    for (const prefix of ["critic/", "generator/", entropy.kind === "encoder" ? "encoder/" : "statistics/"]) {
      const own = names.filter((n) => n.startsWith(prefix) && n.endsWith("/W"));
      if (prefix !== "critic/" && prefix !== "generator/" && entropy.kind === "none") {
        assert.equal(own.length, 0);
        continue;
      }
      assert.ok(own.length > 0, `${entropy.kind}: ${prefix} parameters`);
      for (const n of own) assert.notDeepEqual(after[n], before[n], `${entropy.kind}: ${n} moved`);
    }
    await runner.release();
  }
});

Deno.test("latent Langevin sampler: with a flat energy and the prior it is the exact Ornstein–Uhlenbeck recurrence, then G", async () => {
  const steps = 5, eps = 0.1;
  const bytes = langevinSampler(NET, B, { steps, epsilon: eps, prior: true });
  const session = await createSession(bytes);
  const weights: Record<string, Float32Array> = {};
  const ps = new ParamInputs();
  toyEnergy(ps, toyGenerator(ps, input("z", "float32", [B, 2]), NET), NET);
  ps.specs.forEach((s, i) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    // U's last layer at zero: U is constant, so only the prior's gradient z pulls.
    weights[s.name] = s.name.startsWith("critic/fc3")
      ? new Float32Array(n)
      : (randn(n, 10 + i) as Float32Array).map((v) => 0.5 * v);
  });
  const noise = randn(B * (1 + steps) * 2, 4) as Float32Array;
  const out = await runSession(session, { ...pick(session.inputNames, weights), z: noise });
  // Host: z_t = (1 − ε/2) z_{t−1} + √ε α_t.
  const z = new Float32Array(B * 2);
  const width = (1 + steps) * 2;
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < 2; j++) {
      let v = noise[b * width + j]!;
      for (let t = 1; t <= steps; t++) v = (1 - eps / 2) * v + Math.sqrt(eps) * noise[b * width + 2 * t + j]!;
      z[b * 2 + j] = v;
    }
  }
  const g = await createSession(toySampler(NET, B));
  const direct = await runSession(g, { ...pick(g.inputNames, weights), z });
  const a = out.image!.data as Float32Array, d = direct.image!.data as Float32Array;
  assert.deepEqual(out.image!.dims, [B, 2]);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - d[i]!) < 1e-5, `${a[i]} vs ${d[i]}`);
  await session.release();
  await g.release();
});

const pick = (names: readonly string[], w: Record<string, Float32Array>) =>
  Object.fromEntries(names.filter((n) => n in w).map((n) => [n, w[n]!]));
