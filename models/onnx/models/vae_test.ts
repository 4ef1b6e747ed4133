import assert from "node:assert/strict";
import { input } from "../graph.ts";
import { ParamInputs, paramName, type ParamSource } from "../params.ts";
import { Rng } from "../init.ts";
import { createSession, runSession } from "../session.ts";
import { checkGradients } from "../testing.ts";
import {
  type VaeConfig,
  vaeDensityModel,
  vaeEncoderModel,
  vaeNegativeElbo,
  vaeSamplerModel,
  vaeStep,
} from "./vae.ts";

const decoders: VaeConfig["decoder"][] = [
  { kind: "bernoulli" },
  { kind: "gaussian", sigma: 0.3 },
  { kind: "gaussian-learned", minSigma: 0.05 },
];

for (const decoder of decoders) {
  Deno.test(`VAE −ELBO (${decoder.kind} decoder, K = 2): gradient matches finite differences`, async () => {
    const cfg: VaeConfig = { inputDim: 6, hidden: [5], latent: 2, activation: "tanh", decoder };
    // The parameters' names and shapes, from one trace with weights as inputs.
    const probe = new ParamInputs("float64");
    vaeNegativeElbo(probe, input("x", "float64", [3, 6]), input("eps", "float64", [6, 2]), cfg);
    const shapes = Object.fromEntries(probe.specs.map((s) => [s.name, { shape: s.shape, scale: 0.7 }]));
    await checkGradients(
      `vae ${decoder.kind}`,
      {
        ...shapes,
        x: { shape: [3, 6], values: [0, 1, 1, 0, 0.3, 1, 1, 0, 0, 0.8, 1, 0, 0.5, 0.5, 1, 0, 1, 1] },
        eps: { shape: [6, 2] },
      },
      (xs) => {
        const ps: ParamSource = { dtype: "float64", param: (name) => xs[paramName(name)]! };
        return vaeNegativeElbo(ps, xs.x!, xs.eps!, cfg).loss;
      },
      { maxEntries: 24 },
    );
  });
}

/** log Σ exp over an array, in float64. */
function logSumExp(v: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < v.length; i++) m = Math.max(m, v[i]!);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.exp(v[i]! - m);
  return m + Math.log(s);
}

Deno.test("ELBO ≤ IWAE-k ≤ log p(x), rising in k, on a 4-pixel VAE whose log p(x) is known by quadrature", async () => {
  // A 1-d latent and 4 binary pixels: log p(x) = log ∫ N(z; 0, 1) p(x|z) dz by the trapezoid rule on a
  // fine grid, for each of the 16 binary records. Weights scaled up so that the posterior is far from
  // the encoder's Gaussian and the bounds are visibly apart.
  const cfg: VaeConfig = {
    inputDim: 4,
    hidden: [6],
    latent: 1,
    activation: "tanh",
    decoder: { kind: "bernoulli" },
  };
  const state = vaeStep({ ...cfg, batch: 1, samples: 1 }).initialState(3);
  const rng = new Rng(7, "vae toy");
  const weights: Record<string, Float32Array> = {};
  for (const [name, v] of Object.entries(state)) {
    if (!name.startsWith("vae/")) continue;
    weights[name] = Float32Array.from(v, (w) => 1.5 * w + (name.endsWith("/b") ? 0.8 * rng.normal() : 0));
  }
  const records = Array.from({ length: 16 }, (_, s) => [0, 1, 2, 3].map((i) => (s >> i) & 1));

  // Exact log p(x) on a grid, from the decoder's Bernoulli means.
  const grid = 4001;
  const zs = Float32Array.from({ length: grid }, (_, i) => -10 + (20 * i) / (grid - 1));
  const sampler = await createSession(vaeSamplerModel(cfg, grid), { intraOpNumThreads: 1 });
  const means = (await runSession(sampler, { ...weights, z: zs })).image!.data as Float32Array;
  const logLik = (x: number[], i: number) =>
    x.reduce((s, xi, j) => s + Math.log(xi ? means[4 * i + j]! : 1 - means[4 * i + j]!), 0);
  const dz = 20 / (grid - 1);
  const logPrior = (z: number) => -0.5 * z * z - 0.5 * Math.log(2 * Math.PI);
  const exact = records.map((x) => {
    const terms = Float64Array.from(
      zs,
      (z, i) => logLik(x, i) + logPrior(z) + Math.log(dz) - (i === 0 || i === grid - 1 ? Math.LN2 : 0),
    );
    return logSumExp(terms);
  });
  assert.ok(
    Math.abs(exact.reduce((s, l) => s + Math.exp(l), 0) - 1) < 1e-6,
    "p sums to 1 over the 16 records",
  );

  // The ELBO exactly: E_q log p(x|z) by quadrature on the same grid, minus the KL in closed form.
  const encoder = await createSession(vaeEncoderModel(cfg, 16), { intraOpNumThreads: 1 });
  const enc = await runSession(encoder, { ...weights, x: Float32Array.from(records.flat()) });
  const elbo = records.map((x, r) => {
    const mu = (enc.mu!.data as Float32Array)[r]!;
    const logvar = (enc.logvar!.data as Float32Array)[r]!;
    const sd = Math.exp(logvar / 2);
    let e = 0;
    zs.forEach((
      z,
      i,
    ) => (e += Math.exp(-0.5 * ((z - mu) / sd) ** 2) / (sd * Math.sqrt(2 * Math.PI)) * logLik(x, i) * dz));
    return e - 0.5 * (mu * mu + sd * sd - logvar - 1);
  });
  records.forEach((_, r) => assert.ok(elbo[r]! < exact[r]!, `ELBO ${elbo[r]} < log p ${exact[r]}`));

  // IWAE-k by the density export: R independent estimates per record, their mean and standard error.
  const repeats = 500;
  const estimate = async (k: number) => {
    const density = await createSession(vaeDensityModel(cfg, 16 * repeats, k), { intraOpNumThreads: 2 });
    const eps = Float32Array.from({ length: 16 * repeats * k }, () => rng.normal());
    const x = Float32Array.from(
      { length: 16 * repeats * 4 },
      (_, i) => records[Math.floor(i / 4) % 16]![i % 4]!,
    );
    const logw = (await runSession(density, { ...weights, x, eps })).log_w!.data as Float32Array;
    await density.release();
    return records.map((_, r) => {
      const values = Array.from({ length: repeats }, (_, t) => {
        const row = t * 16 + r;
        return logSumExp(logw.subarray(row * k, (row + 1) * k)) - Math.log(k);
      });
      const mean = values.reduce((a, b) => a + b, 0) / repeats;
      const se = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (repeats - 1) / repeats);
      return { mean, se };
    });
  };
  const ks = [1, 4, 16, 256];
  const byK: { mean: number; se: number }[][] = [];
  for (const k of ks) byK.push(await estimate(k));
  const avg = (f: (r: number) => number) => records.reduce((s, _, r) => s + f(r), 0) / 16;
  // IWAE-1 is an unbiased estimate of the ELBO.
  records.forEach((_, r) => {
    const { mean, se } = byK[0]![r]!;
    assert.ok(
      Math.abs(mean - elbo[r]!) < 4 * se + 1e-4,
      `record ${r}: IWAE-1 ${mean} ± ${se} vs ELBO ${elbo[r]}`,
    );
  });
  // Each bound below log p (within 4 s.e.), and the average gap shrinking with k.
  const gaps = byK.map((est) => avg((r) => exact[r]! - est[r]!.mean));
  byK.forEach((est, i) =>
    records.forEach((_, r) =>
      assert.ok(est[r]!.mean < exact[r]! + 4 * est[r]!.se + 1e-4, `k = ${ks[i]}, record ${r}`)
    )
  );
  for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i]! < gaps[i - 1]!, `gaps ${gaps}`);
  assert.ok(gaps[0]! > 0.05, `the toy's ELBO gap ${gaps[0]} is large enough to show the ordering`);
  assert.ok(gaps.at(-1)! < gaps[0]! / 8, `IWAE-64 closes most of the gap: ${gaps}`);
  await Promise.all([sampler.release(), encoder.release()]);
});

Deno.test("the VAE's exports take every parameter, so one snapshot feeds each", async () => {
  const cfg: VaeConfig = {
    inputDim: 16,
    hidden: [8],
    latent: 2,
    activation: "relu",
    decoder: { kind: "bernoulli" },
  };
  const params = vaeStep({ ...cfg, batch: 2, samples: 1 }).params.map((p) => p.name).sort();
  for (const bytes of [vaeSamplerModel(cfg, 2), vaeDensityModel(cfg, 2, 3), vaeEncoderModel(cfg, 2)]) {
    const session = await createSession(bytes, { intraOpNumThreads: 1 });
    const inputs = session.inputNames.filter((n) => n.startsWith("vae/")).sort();
    assert.deepEqual(inputs, params);
    await session.release();
  }
  assert.equal(params.length, 10);
});
