import assert from "node:assert/strict";
import { input } from "../graph.ts";
import { mul, softplus, sub } from "../ops_elementwise.ts";
import { reduceSum } from "../ops_reduce.ts";
import { Rng } from "../init.ts";
import { ParamInputs, paramName, type ParamSource } from "../params.ts";
import { createSession, runSession } from "../session.ts";
import { checkGradients } from "../testing.ts";
import {
  type AutoregressiveConfig,
  autoregressiveDensityModel,
  autoregressiveLogits,
  autoregressiveSamplerModel,
  autoregressiveStep,
} from "./nade.ts";

const MODELS: AutoregressiveConfig[] = [{ kind: "fvsbn", dims: 4 }, { kind: "nade", dims: 4, hidden: 3 }];

/** Random weights for `cfg`, larger than at initialisation so that the conditionals differ. */
function randomWeights(cfg: AutoregressiveConfig, seed: number): Record<string, Float32Array> {
  const rng = new Rng(seed, cfg.kind);
  const state = autoregressiveStep({ model: cfg, batch: 1 }).initialState(0);
  return Object.fromEntries(
    Object.entries(state).filter(([n]) => n.startsWith("ar/")).map((
      [n, v],
    ) => [n, Float32Array.from(v, () => 1.5 * rng.normal())]),
  );
}

const binary = (d: number) =>
  Array.from({ length: 2 ** d }, (_, s) => Array.from({ length: d }, (_, i) => (s >> i) & 1));

for (const cfg of MODELS) {
  Deno.test(`${cfg.kind}: the NLL −Σ log p(x_i | x_<i)'s gradient matches finite differences (float64)`, async () => {
    const probe = new ParamInputs("float64");
    autoregressiveLogits(probe, input("x", "float64", [3, cfg.dims]), cfg);
    const shapes = Object.fromEntries(probe.specs.map((s) => [s.name, { shape: s.shape, scale: 0.8 }]));
    await checkGradients(
      cfg.kind,
      { ...shapes, x: { shape: [3, 4], values: [0, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1] } },
      (xs) => {
        const ps: ParamSource = { dtype: "float64", param: (name) => xs[paramName(name)]! };
        const logits = autoregressiveLogits(ps, xs.x!, cfg);
        return reduceSum(sub(softplus(logits), mul(xs.x!, logits)));
      },
    );
  });

  Deno.test(`${cfg.kind}: p(x) sums to 1 over all 2^D binary records, and the sampler draws from it (χ²)`, async () => {
    const d = cfg.dims;
    const weights = randomWeights(cfg, 5);
    const records = binary(d);
    const density = await createSession(autoregressiveDensityModel(cfg, records.length), {
      intraOpNumThreads: 1,
    });
    const logp = (await runSession(density, { ...weights, x: Float32Array.from(records.flat()) })).log_prob!
      .data as Float32Array;
    await density.release();
    const p = Array.from(logp, Math.exp);
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-5, `Σ p = ${p.reduce((a, b) => a + b, 0)}`);

    const n = 20_000;
    const sampler = await createSession(autoregressiveSamplerModel(cfg, n), { intraOpNumThreads: 2 });
    const rng = new Rng(8, "ar sampler");
    const z = Float32Array.from({ length: n * d }, () => 2 * rng.uniform() - 1);
    const image = (await runSession(sampler, { ...weights, z })).image!.data as Float32Array;
    await sampler.release();
    const counts = new Array<number>(records.length).fill(0);
    for (let s = 0; s < n; s++) {
      let code = 0;
      for (let i = 0; i < d; i++) code |= (image[s * d + i]! > 0.5 ? 1 : 0) << i;
      counts[code]!++;
    }
    // χ² with 15 degrees of freedom: 37.7 is its 0.001 quantile from the top.
    const chi2 = counts.reduce((acc, c, k) => acc + (c - n * p[k]!) ** 2 / (n * p[k]!), 0);
    assert.ok(chi2 < 37.7, `χ² ${chi2}: counts ${counts}, expected ${p.map((q) => (n * q).toFixed(0))}`);
  });
}
