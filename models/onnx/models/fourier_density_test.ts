import assert from "node:assert/strict";
import { constant, input, type Tensor } from "../graph.ts";
import { initParams } from "../init.ts";
import { ParamInputs } from "../params.ts";
import { reduceMean } from "../ops_reduce.ts";
import { TrainRunner } from "../runner.ts";
import { checkGradients, evaluate } from "../testing.ts";
import {
  fourierDensity,
  type FourierDensityConfig,
  fourierDensityHost,
  fourierDensityStep,
  fourierParameterCount,
} from "./fourier_density.ts";

/** Parameter values of order one (not the 10⁻³ initialisation), so that the density is far from uniform. */
function values(cfg: FourierDensityConfig, seed: number): Record<string, Float64Array> {
  const ps = new ParamInputs("float64");
  fourierDensity(ps, input("x", "float64", [1, 1]), cfg);
  const v = initParams(ps.specs, seed) as Record<string, Float64Array>;
  for (const k of ["fbdm/real", "fbdm/imag"]) v[k] = v[k]!.map((x) => x * 500);
  return v;
}

/** The parameters as given tensors, for model code. */
const source = (xs: Record<string, Tensor>) => ({
  dtype: "float64" as const,
  param: (name: string) => xs[`fbdm/${name}`]!,
});

for (const map of ["periodic", "tanh"] as const) {
  Deno.test(`FBDM (${map}): the graph's log-density is the host formula's, and the density integrates to 1`, async () => {
    const cfg: FourierDensityConfig = { freqs: 6, map };
    const v = values(cfg, 3);
    const xs = Float64Array.of(-0.9, -0.3, 0.1, 0.77);
    const x = input("x", "float64", [4, 1]);
    const out = await evaluate({ logp: fourierDensity(new ParamInputs("float64"), x, cfg).logProb }, {
      x: xs,
      ...v,
    });
    const host = {
      real: v["fbdm/real"]!,
      imag: v["fbdm/imag"]!,
      offset: v["fbdm/offset"]?.[0],
      scale: v["fbdm/scale"]?.[0],
    };
    for (let i = 0; i < 4; i++) {
      const want = Math.log(fourierDensityHost(host, cfg, xs[i]!));
      assert.ok(Math.abs((out.logp![i] as number) - want) < 1e-12, `x=${xs[i]}: ${out.logp![i]} vs ${want}`);
    }
    // ∫ q = 1 (Simpson): over one period, or over the real line (the tanh map's tails fall like e^{−2|y|/σ}).
    const [lo, hi] = map === "periodic" ? [-1, 1] : [-40, 40];
    const n = 40000;
    let total = 0;
    for (let i = 0; i <= n; i++) {
      const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
      total += w * fourierDensityHost(host, cfg, lo + ((hi - lo) * i) / n);
    }
    total *= (hi - lo) / n / 3;
    assert.ok(Math.abs(total - 1) < 1e-9, `∫ q = ${total}`);
    assert.equal(fourierParameterCount(cfg), map === "tanh" ? 14 : 12);
  });

  Deno.test(`FBDM (${map}): gradients of the NLL and of the roughness match finite differences in float64`, async () => {
    const cfg: FourierDensityConfig = { freqs: 5, map };
    const v = values(cfg, 4);
    const inputs = Object.fromEntries(
      Object.entries(v).map(([k, a]) => [k, { shape: [a.length], values: [...a] }]),
    );
    const data = constant(Float64Array.of(-0.5, 0.2, 0.6), "float64", [3, 1], "data");
    for (const which of ["logProb", "roughness"] as const) {
      const r = await checkGradients(`fbdm_${map}_${which}`, inputs, (xs) => {
        const out = fourierDensity(source(xs), data, cfg);
        return which === "logProb" ? reduceMean(out.logProb) : out.roughness;
      });
      assert.ok(r.checked >= 10);
    }
  });
}

Deno.test("FBDM trains: 400 Adam steps on two bumps bring the NLL from near log 2 below zero", async () => {
  const runner = await TrainRunner.create(
    fourierDensityStep({ freqs: 8, map: "periodic", batch: 32, lr: 1e-2 }),
    { seed: 0 },
  );
  let s = 12345;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const nll: number[] = [];
  for (let step = 0; step < 400; step++) {
    const x = Float32Array.from({ length: 32 }, () => (rand() < 0.5 ? -0.4 : 0.3) + 0.1 * normal());
    nll.push((await runner.step({ x })).nll!);
  }
  // Entropy of the two bumps: ½·log(2πe·0.01) + log 2 = −0.21; a near-flat start gives about log 2 = 0.69.
  const first = nll[0]!, last = nll.slice(-50).reduce((a, b) => a + b) / 50;
  assert.ok(first > 0.3 && last < 0, `NLL ${first} at the start, ${last} over the last 50 steps`);
  await runner.release();
});
