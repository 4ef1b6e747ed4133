import assert from "node:assert/strict";
import { grad } from "../autodiff.ts";
import { emitModel } from "../emit.ts";
import { input } from "../graph.ts";
import { Rng } from "../init.ts";
import { ParamInputs, paramName, type ParamSource } from "../params.ts";
import { createSession, runSession } from "../session.ts";
import { checkGradients } from "../testing.ts";
import {
  madeMasks,
  POSITIONS,
  type VqVaeConfig,
  vqVaeForward,
  vqVaeReconModel,
  vqVaeSamplerModel,
  vqVaeStep,
} from "./vq_vae.ts";

const TINY: VqVaeConfig = { channels: [2, 3], codes: 3, dim: 2, priorHidden: 48 };

Deno.test("MADE masks: output position j sees exactly the inputs before it", () => {
  const k = 2;
  const hidden = 60;
  const { input: m1, output: m2 } = madeMasks(k, hidden);
  for (let i = 0; i < POSITIONS; i++) {
    for (let j = 0; j < POSITIONS; j++) {
      let paths = 0;
      for (let h = 0; h < hidden; h++) paths += m1[(i * k) * hidden + h]! * m2[h * POSITIONS * k + j * k]!;
      assert.equal(paths > 0, i < j, `input ${i} → output ${j}: ${paths} paths`);
    }
  }
});

Deno.test("VQ-VAE without straight-through: the loss's gradient matches finite differences (float64, away from ties)", async () => {
  const cfg = { ...TINY, batch: 2, straightThrough: false };
  const probe = new ParamInputs("float64");
  vqVaeForward(probe, input("x", "float64", [2, 784]), cfg);
  const shapes = Object.fromEntries(probe.specs.map((s) => [s.name, { shape: s.shape, scale: 0.6 }]));
  const rng = new Rng(2, "vq x");
  await checkGradients(
    "vq-vae no-ST",
    { ...shapes, x: { shape: [2, 784], values: Array.from({ length: 1568 }, () => rng.uniform()) } },
    (xs) => {
      const ps: ParamSource = { dtype: "float64", param: (name) => xs[paramName(name)]! };
      const f = vqVaeForward(ps, xs.x!, cfg);
      return f.mseX;
    },
    { maxEntries: 40 },
  );
});

Deno.test("straight-through is what gives the encoder a reconstruction gradient", async () => {
  const rng = new Rng(4, "vq st");
  const x = Float32Array.from({ length: 2 * 784 }, () => rng.uniform());
  const encoderGradNorm = async (straightThrough: boolean) => {
    const ps = new ParamInputs("float32");
    const xi = input("x", "float32", [2, 784]);
    const f = vqVaeForward(ps, xi, { ...TINY, batch: 2, straightThrough });
    const enc = ps.specs.filter((s) => s.name.startsWith("vq/encoder/"));
    const tensors = ps.tensors();
    const inputs = Object.values(tensors);
    const gs = grad(f.mseX, enc.map((s) => tensors[s.name]!));
    const session = await createSession(
      emitModel({
        name: "st",
        inputs: [xi, ...inputs],
        outputs: Object.fromEntries(gs.map((g, i) => [`d${i}`, g!])),
      }),
      { intraOpNumThreads: 1 },
    );
    const state = vqVaeStep({ ...TINY, batch: 2 }).initialState(1);
    const out = await runSession(session, {
      x,
      ...Object.fromEntries(ps.specs.map((s) => [s.name, state[s.name] as Float32Array])),
    });
    await session.release();
    return Math.hypot(...Object.values(out).flatMap((t) => [...(t.data as Float32Array)]));
  };
  assert.ok((await encoderGradNorm(true)) > 1e-4, "with straight-through");
  assert.equal(await encoderGradNorm(false), 0, "without it the gradient stops at the codebook");
});

Deno.test("the VQ-VAE's exports take every parameter, so one snapshot feeds each", async () => {
  const params = vqVaeStep({ ...TINY, batch: 2 }).params.map((p) => p.name).sort();
  for (
    const bytes of [
      vqVaeSamplerModel(TINY, 2, "made"),
      vqVaeSamplerModel(TINY, 2, "uniform"),
      vqVaeReconModel(TINY, 2),
    ]
  ) {
    const session = await createSession(bytes, { intraOpNumThreads: 1 });
    assert.deepEqual(session.inputNames.filter((n) => n.startsWith("vq/")).sort(), params);
    await session.release();
  }
  // encoder 3 layers, decoder 3, W and b each; the codebook; the prior's W1, b1, W2, b2.
  assert.equal(params.length, 17);
});

Deno.test("the sampler's unrolled loop draws each index from p(k_j | k_<j): picks minus the prior's probabilities average to zero", async () => {
  const k = TINY.codes;
  const state = vqVaeStep({ ...TINY, batch: 1 }).initialState(3);
  const rng = new Rng(9, "vq sampler");
  // Weights larger than at initialisation, so that the conditionals differ visibly from position to position.
  const weights: Record<string, Float32Array> = {};
  for (const [name, v] of Object.entries(state)) {
    if (name.startsWith("vq/")) {
      weights[name] = Float32Array.from(
        v,
        (w) => (name.startsWith("vq/prior/") ? 8 * w + 0.3 * rng.normal() : w),
      );
    }
  }
  const n = 4000;
  const sampler = await createSession(vqVaeSamplerModel(TINY, n, "made"), { intraOpNumThreads: 2 });
  const z = Float32Array.from({ length: n * POSITIONS * k }, () => 2 * rng.uniform() - 1);
  const index = (await runSession(sampler, { ...weights, z })).index!.data as Float32Array;
  await sampler.release();
  // The prior's conditionals on the host, from the full (not incremental) masked network.
  const { input: m1, output: m2 } = madeMasks(k, TINY.priorHidden);
  const w1 = weights["vq/prior/made/W1"]!, b1 = weights["vq/prior/made/b1"]!;
  const w2 = weights["vq/prior/made/W2"]!, b2 = weights["vq/prior/made/b2"]!;
  const hidden = TINY.priorHidden;
  const d = POSITIONS * k;
  const sum = new Float64Array(d);
  const sumSq = new Float64Array(d);
  for (let s = 0; s < n; s++) {
    const h = Float64Array.from(b1);
    for (let j = 0; j < POSITIONS; j++) {
      const c = index[s * POSITIONS + j]!;
      for (let u = 0; u < hidden; u++) h[u]! += w1[(j * k + c) * hidden + u]! * m1[(j * k + c) * hidden + u]!;
    }
    for (let u = 0; u < hidden; u++) h[u] = Math.max(0, h[u]!);
    for (let j = 0; j < POSITIONS; j++) {
      const logits = Array.from({ length: k }, (_, c) => {
        let v = b2[j * k + c]!;
        for (let u = 0; u < hidden; u++) v += h[u]! * w2[u * d + j * k + c]! * m2[u * d + j * k + c]!;
        return v;
      });
      const m = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - m));
      const total = e.reduce((a, b) => a + b, 0);
      for (let c = 0; c < k; c++) {
        const r = (index[s * POSITIONS + j] === c ? 1 : 0) - e[c]! / total;
        sum[j * k + c]! += r;
        sumSq[j * k + c]! += r * r;
      }
    }
  }
  let worst = 0;
  let spread = 0;
  for (let i = 0; i < d; i++) {
    const se = Math.sqrt(sumSq[i]! / n / n);
    worst = Math.max(worst, Math.abs(sum[i]! / n) / (se + 1e-12));
    spread = Math.max(spread, sumSq[i]! / n);
  }
  // 147 z-scores: the largest under 4.5 at any reasonable level.
  assert.ok(worst < 4.5, `largest |z| ${worst}`);
  assert.ok(spread > 0.05, "the draws are random, not all one code");
});
