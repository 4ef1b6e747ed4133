import assert from "node:assert/strict";
import { Rng } from "../init.ts";
import { TrainRunner } from "../runner.ts";
import { createSession, runSession } from "../session.ts";
import {
  type GumbelVaeConfig,
  gumbelVaeDensityModel,
  gumbelVaeSamplerModel,
  gumbelVaeStep,
} from "./gumbel_vae.ts";

/** Two variables of three categories: nine codes, few enough to sum p(x) = Σ_c p(x|c)/9 exactly. */
const TINY: GumbelVaeConfig = { channels: [2, 3], variables: 2, categories: 3 };

function logSumExp(v: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < v.length; i++) m = Math.max(m, v[i]!);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.exp(v[i]! - m);
  return m + Math.log(s);
}

Deno.test("the categorical VAE's exports take every parameter, so one snapshot feeds each", async () => {
  const params = gumbelVaeStep({ ...TINY, batch: 2 }).params.map((p) => p.name).sort();
  for (const bytes of [gumbelVaeSamplerModel(TINY, 2), gumbelVaeDensityModel(TINY, 2, 3)]) {
    const session = await createSession(bytes, { intraOpNumThreads: 1 });
    assert.deepEqual(session.inputNames.filter((n) => n.startsWith("vae/")).sort(), params);
    await session.release();
  }
  assert.equal(params.length, 12, "2 convs, the logits, the fc and 2 deconvs, W and b each");
});

Deno.test("τ is annealed from the graph's step counter: τ_min + (1 − τ_min)·decay^step", async () => {
  const step = gumbelVaeStep({ ...TINY, batch: 4, tauMin: 0.1, tauDecay: 0.5 });
  const runner = await TrainRunner.create(step, { seed: 1, intraOpNumThreads: 1 });
  const rng = new Rng(3, "gumbel tau");
  const x = Float32Array.from({ length: 4 * 784 }, () => (rng.uniform() < 0.3 ? 1 : 0));
  for (let s = 0; s < 4; s++) {
    const m = await runner.step({ x });
    assert.ok(Math.abs(m.tau! - (0.1 + 0.9 * 0.5 ** s)) < 1e-6, `step ${s}: τ = ${m.tau}`);
    assert.ok(Number.isFinite(m.loss!) && m.kl! >= -1e-5, `step ${s}: loss ${m.loss}, KL ${m.kl}`);
    assert.ok(Math.abs(m.loss! - m.recon! - m.kl!) < 1e-3 * Math.abs(m.loss!), "loss = recon + KL");
  }
});

Deno.test("the density export's weights at Gumbel-max draws are unbiased for p(x): E_q w = Σ_c p(x|c)/9, and the ELBO lies below", async () => {
  const state = gumbelVaeStep({ ...TINY, batch: 1 }).initialState(5);
  const rng = new Rng(11, "gumbel density");
  // Larger logits and code weights, so that q(c|x) and p(x|c) vary with c and the ELBO is visibly
  // below log p.
  const weights: Record<string, Float32Array> = {};
  for (const [name, v] of Object.entries(state)) {
    const scale = name.includes("logits") ? 4 : name.includes("decoder/fc") ? 6 : 1;
    if (name.startsWith("vae/")) weights[name] = Float32Array.from(v, (w) => scale * w);
  }
  const records = 3;
  const x = Float32Array.from({ length: records * 784 }, () => (rng.uniform() < 0.2 ? 1 : 0));

  // Exact log p(x) = log Σ_c p(x|c) − log 9, with p(x|c) from the sampler at each of the nine codes:
  // noise whose argmax per variable is the code.
  const codes = 9;
  const z = new Float32Array(codes * 6).fill(-0.5);
  for (let c = 0; c < codes; c++) {
    z[c * 6 + Math.floor(c / 3)] = 0.5;
    z[c * 6 + 3 + (c % 3)] = 0.5;
  }
  const sampler = await createSession(gumbelVaeSamplerModel(TINY, codes), { intraOpNumThreads: 1 });
  const means = (await runSession(sampler, { ...weights, z })).image!.data as Float32Array;
  await sampler.release();
  const exact = Array.from({ length: records }, (_, r) => {
    const logLik = Array.from({ length: codes }, (_, c) => {
      let s = 0;
      for (let i = 0; i < 784; i++) {
        const m = means[c * 784 + i]!;
        s += Math.log(x[r * 784 + i] ? m : 1 - m);
      }
      return s;
    });
    return logSumExp(logLik) - Math.log(codes);
  });

  const draws = 20_000;
  const density = await createSession(gumbelVaeDensityModel(TINY, records, draws), { intraOpNumThreads: 2 });
  const u = Float32Array.from({ length: records * draws * 6 }, () => 2 * rng.uniform() - 1);
  const logw = (await runSession(density, { ...weights, x, u })).log_w!.data as Float32Array;
  await density.release();
  for (let r = 0; r < records; r++) {
    const row = logw.subarray(r * draws, (r + 1) * draws);
    // w / p(x) has mean 1; its standard error from the draws.
    const ratio = Float64Array.from(row, (l) => Math.exp(l - exact[r]!));
    const mean = ratio.reduce((a, b) => a + b, 0) / draws;
    const se = Math.sqrt(ratio.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws - 1) / draws);
    assert.ok(Math.abs(mean - 1) < 4 * se + 1e-4, `record ${r}: E w / p = ${mean} ± ${se}`);
    const elbo = row.reduce((a, b) => a + b, 0) / draws;
    assert.ok(elbo < exact[r]! - 0.05, `record ${r}: ELBO ${elbo} below log p ${exact[r]}`);
    // The weights take at most nine values, one per code.
    assert.ok(new Set(row).size <= codes, `record ${r}: ${new Set(row).size} distinct weights`);
  }
});
