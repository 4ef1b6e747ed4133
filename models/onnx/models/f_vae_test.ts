import assert from "node:assert/strict";
import { checkBijection } from "../flow_testing.ts";
import { input } from "../graph.ts";
import { Rng } from "../init.ts";
import { ParamInputs, paramName, type ParamSource } from "../params.ts";
import { reduceMean } from "../ops_reduce.ts";
import { createSession, runSession } from "../session.ts";
import { checkGradients } from "../testing.ts";
import {
  conditionalFlow,
  dims,
  type FVaeConfig,
  fvaeDataInitModel,
  fvaeDensityModel,
  fvaeSamplerModel,
  fvaeStep,
  fvaeTerms,
} from "./f_vae.ts";

/** A tiny f-VAE: 1×4×4 images, one squeeze to a 4×2×2 latent, F of two levels of one step. */
const TINY: FVaeConfig = {
  image: [1, 4, 4],
  squeezes: 1,
  residual: 1,
  residualHidden: 3,
  flow: { levels: 2, depth: 1, hidden: 3, coupling: "affine", permutation: "conv1x1", seed: 2 },
  sigma1: 0.5,
  sigma2: 0.3,
};
const TINY_VAE: FVaeConfig = { ...TINY, flow: null };

for (const [label, cfg] of [["f-VAE", TINY], ["VAE", TINY_VAE]] as const) {
  Deno.test(`${label} −ELBO: the gradient of every parameter matches finite differences (float64)`, async () => {
    const probe = new ParamInputs("float64");
    fvaeTerms(probe, input("x", "float64", [2, 1, 4, 4]), input("u", "float64", [2, 16]), cfg);
    const shapes = Object.fromEntries(probe.specs.map((s) => [s.name, { shape: s.shape, scale: 0.4 }]));
    // Every weight drawn away from its (zero) initial value, so that every path carries gradient.
    const r = await checkGradients(
      `${label} elbo`,
      { ...shapes, x: { shape: [2, 1, 4, 4], positive: true, scale: 0.4 }, u: { shape: [2, 16] } },
      (xs) => {
        const ps: ParamSource = { dtype: "float64", param: (name) => xs[paramName(name)]! };
        return reduceMean(fvaeTerms(ps, xs.x!, xs.u!, cfg).logW);
      },
      // eps 1e-5: the loss is O(10²), so 1e-6 leaves float64 rounding of 1e-8 relative in the differences.
      { maxEntries: 12, eps: 1e-5, rtol: 3e-5 },
    );
    assert.ok(r.checked > 12 * 8, `checked ${r.checked} entries`);
  });
}

Deno.test("f-VAE's conditional flow F: exact inverse and log-det of the autodiff Jacobian", async () => {
  const f = conditionalFlow({ ...TINY, image: [1, 4, 8] })!;
  const r = await checkBijection(f.flow, { shape: [2, 4, 2, 4], paramScale: 0.3 });
  assert.ok(r.inverseError64 < 1e-10, `float64 inverse error ${r.inverseError64}`);
  assert.ok(r.inverseError32 < 1e-4, `float32 inverse error ${r.inverseError32}`);
  assert.ok(r.logdetError < 1e-9, `log-det error ${r.logdetError}`);
  assert.ok(r.logdets.some((v) => Math.abs(v) > 1e-3));
});

/** log N(v; 0, I) of a vector, in float64. */
const logNormal = (v: ArrayLike<number>) =>
  Array.from(v).reduce((s, x) => s - 0.5 * x * x - 0.5 * Math.log(2 * Math.PI), 0);

Deno.test("the density export's log w at initialisation equals the bound written out by hand (both models)", async () => {
  // At initialisation the residual steps are the identity (zero last convs), so E(x) = squeeze(x) and
  // G(h) = (1 + tanh(2·unsqueeze(h) − 1))/2; F is actnorm (identity), a rotation per pixel (LU of an
  // orthogonal matrix: |det| = 1) and zero additive couplings and split priors (an affine coupling would
  // start at scale σ(2)), so ‖F(h)‖ = ‖h‖, log|det| = 0: the
  // f-VAE's log w equals the VAE's, and both equal log N(x; G(h), σ₂²) + log N(h; 0, I) − log N(u; 0, I)
  // + d·log σ₁ with h = σ₁u + E(x). This checks the normalisers and the entropy term independently.
  const n = 3;
  const d = dims(TINY);
  const rng = new Rng(5, "f-vae init");
  const x = Float32Array.from(
    { length: n * d },
    () => (Math.floor(rng.uniform() * 256) + rng.uniform()) / 256,
  );
  const u = Float32Array.from({ length: n * d }, () => rng.normal());
  const squeezeIndex = (c: number, i: number, j: number) =>
    (c >> 2) * 16 + (2 * i + ((c >> 1) & 1)) * 4 + 2 * j + (c & 1);
  const expected = Array.from({ length: n }, (_, r) => {
    const xr = x.subarray(r * d, (r + 1) * d);
    const ur = u.subarray(r * d, (r + 1) * d);
    // h in the latent's [4, 2, 2] order: channel c = 2·dy + dx of pixel (i, j).
    const h = new Float64Array(d);
    const g = new Float64Array(d);
    for (let c = 0; c < 4; c++) {
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 2; j++) {
          const k = c * 4 + i * 2 + j;
          h[k] = TINY.sigma1 * ur[k]! + xr[squeezeIndex(c, i, j)]!;
          g[squeezeIndex(c, i, j)] = (1 + Math.tanh(2 * h[k]! - 1)) / 2;
        }
      }
    }
    const s2 = TINY.sigma2;
    let logLik = -d * Math.log(s2) - 0.5 * d * Math.log(2 * Math.PI);
    for (let k = 0; k < d; k++) logLik -= (g[k]! - xr[k]!) ** 2 / (2 * s2 * s2);
    return logLik + logNormal(h) - logNormal(ur) + d * Math.log(TINY.sigma1);
  });
  const additive: FVaeConfig = { ...TINY, flow: { ...TINY.flow!, coupling: "additive" } };
  for (const cfg of [additive, TINY_VAE]) {
    const state = fvaeStep(cfg, { batch: 2, lr: 1e-3 }).initialState(0);
    const weights = Object.fromEntries(Object.entries(state).filter(([k]) => k.startsWith("fvae/")));
    const session = await createSession(fvaeDensityModel(cfg, n, 1), { intraOpNumThreads: 1 });
    const logW = (await runSession(session, { ...weights, x, eps: u })).log_w!.data as Float32Array;
    await session.release();
    for (let r = 0; r < n; r++) {
      assert.ok(
        Math.abs(logW[r]! - expected[r]!) < 1e-3 * (1 + Math.abs(expected[r]!)),
        `${cfg.flow ? "f-VAE" : "VAE"} record ${r}: ${logW[r]} vs ${expected[r]}`,
      );
    }
  }
});

Deno.test("the exports take every parameter of the train step, so one snapshot feeds each", async () => {
  for (const cfg of [TINY, TINY_VAE]) {
    const step = fvaeStep(cfg, { batch: 2, lr: 1e-3 });
    const params = step.params.map((p) => p.name).sort();
    for (const bytes of [fvaeSamplerModel(cfg, 2, 0.8), fvaeDensityModel(cfg, 2, 3)]) {
      const session = await createSession(bytes, { intraOpNumThreads: 1 });
      assert.deepEqual(session.inputNames.filter((k) => k.startsWith("fvae/")).sort(), params);
      await session.release();
    }
  }
});

Deno.test("the sampler at temperature 0 decodes F⁻¹(0); at initialisation that is G(0) = (1 + tanh(−1))/2", async () => {
  for (const cfg of [TINY, TINY_VAE]) {
    const state = fvaeStep(cfg, { batch: 2, lr: 1e-3 }).initialState(0);
    const weights = Object.fromEntries(Object.entries(state).filter(([k]) => k.startsWith("fvae/")));
    const session = await createSession(fvaeSamplerModel(cfg, 2, 0), { intraOpNumThreads: 1 });
    const z = Float32Array.from({ length: 2 * dims(cfg) }, (_, i) => Math.sin(i));
    const image = (await runSession(session, { ...weights, z })).image!;
    await session.release();
    assert.deepEqual(image.dims, [2, 1, 4, 4]);
    for (const v of image.data as Float32Array) assert.ok(Math.abs(v - (1 + Math.tanh(-1)) / 2) < 1e-6);
  }
});

Deno.test("the data-dependent init sets F's actnorms (bias and log-scale of each) from E(x); the VAE has none", async () => {
  const init = fvaeDataInitModel(TINY, 8)!;
  assert.deepEqual(init.outputs.sort(), [
    "fvae/flow/level0/factor/level1/step0/actnorm/bias",
    "fvae/flow/level0/factor/level1/step0/actnorm/logs",
    "fvae/flow/level0/step0/actnorm/bias",
    "fvae/flow/level0/step0/actnorm/logs",
  ]);
  assert.equal(fvaeDataInitModel(TINY_VAE, 8), null);
  // At the initial weights E(x) = squeeze(x): the first actnorm's bias is minus each latent channel's mean.
  const state = fvaeStep(TINY, { batch: 2, lr: 1e-3 }).initialState(0);
  const session = await createSession(init.bytes, { intraOpNumThreads: 1 });
  const x = Float32Array.from({ length: 8 * 16 }, (_, i) => (i % 7) / 7);
  const feeds = Object.fromEntries(session.inputNames.filter((n) => n !== "x").map((n) => [n, state[n]!]));
  const out = await runSession(session, { ...feeds, x });
  await session.release();
  const bias = out["fvae/flow/level0/step0/actnorm/bias"]!.data as Float32Array;
  for (let c = 0; c < 4; c++) {
    let mean = 0;
    for (let r = 0; r < 8; r++) {
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 2; j++) mean += x[r * 16 + (2 * i + (c >> 1)) * 4 + 2 * j + (c & 1)]! / 32;
      }
    }
    assert.ok(Math.abs(bias[c]! + mean) < 1e-6, `channel ${c}: bias ${bias[c]} vs −mean ${-mean}`);
  }
});
