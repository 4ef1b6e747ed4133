import assert from "node:assert/strict";
import { input, inputName, isInput, scope, type Tensor } from "../graph.ts";
import { inits } from "../init.ts";
import { dense } from "../layers.ts";
import { tanh } from "../ops_elementwise.ts";
import { flatten } from "../ops_shape.ts";
import { ParamInputs, type ParamSource } from "../params.ts";
import { checkGradients, evaluate } from "../testing.ts";
import {
  criticLoss,
  GAN_LOSSES,
  ganLoss,
  type GanLossName,
  generatorLoss,
  generatorReadsReal,
  needsInterpolation,
} from "./gan_losses.ts";
import { ganCritic, type MlpNetwork } from "./gan_networks.ts";

/** Images of 1×2×2 and a batch of 3: tiny, so that every entry is checked. */
const IMAGE = [3, 1, 2, 2] as const;

/** A smooth critic (tanh), so that ∇ₓD depends on x and the penalties' second-order terms are non-zero. */
function smoothCritic(ps: ParamSource, x: Tensor): Tensor {
  return scope(
    "/critic",
    () =>
      dense(ps, "fc2", tanh(dense(ps, "fc1", flatten(x), 4, { init: inits.normal(1) })), 1, {
        init: inits.normal(1),
      }),
  );
}

/** Su's ReLU MLP critic at a tiny width. */
const MLP: MlpNetwork = { kind: "mlp", zDim: 2, gHidden: [3], dHidden: [4, 3], initRange: 0.05 };

function paramInputs(net: (ps: ParamSource, x: Tensor) => Tensor) {
  const specs = new ParamInputs("float64");
  net(specs, input("probe", "float64", [...IMAGE]));
  return Object.fromEntries(specs.specs.map((s) => [s.name, { shape: s.shape, scale: 0.7 }]));
}

const critics = {
  smooth: smoothCritic,
  "relu mlp": (ps: ParamSource, x: Tensor) => ganCritic(ps, x, MLP),
};

for (const name of GAN_LOSSES) {
  for (const [criticName, net] of Object.entries(critics)) {
    for (const perSample of [true, false]) {
      Deno.test(
        `GAN loss ${name}, ${criticName} critic, ${
          perSample ? "one pass" : "real and fake apart"
        }: critic and generator gradients match float64 finite differences`,
        async () => {
          const loss = ganLoss(name, name === "wgan-div" ? { p: 3 } : {});
          const inputs: Record<string, { shape: readonly number[]; scale?: number; values?: number[] }> = {
            ...paramInputs(net),
            x_r: { shape: IMAGE },
            x_f: { shape: IMAGE },
          };
          if (needsInterpolation(loss)) inputs.eps = { shape: [3, 1, 1, 1], values: [0.2, 0.5, 0.9] };
          const critic = (x: Tensor) => net(new ParamInputs("float64"), x);
          const d = await checkGradients(`${name} critic`, inputs, (xs) =>
            criticLoss(loss, {
              critic,
              xr: xs.x_r!,
              xf: xs.x_f!,
              perSample,
              ...(xs.eps ? { eps: xs.eps } : {}),
            }).lossD);
          assert.ok(d.checked >= 30);
          const { eps: _, ...gInputs } = inputs;
          const g = await checkGradients(`${name} generator`, gInputs, (xs) =>
            generatorLoss(loss, {
              critic,
              xf: xs.x_f!,
              perSample,
              ...(generatorReadsReal(loss) ? { xr: xs.x_r! } : {}),
            }));
          assert.ok(g.checked >= 30);
        },
      );
    }
  }
}

/**
 * A linear critic D(x) = w·x + c has ∇ₓD = w everywhere, so every loss has a closed form in w, the
 * scores and the distances: the values, checked against the host's float64 arithmetic.
 */
Deno.test("GAN losses: values on a linear critic equal their closed forms", async () => {
  const w = [0.3, -1.2, 0.5, 0.8];
  const c = 0.1;
  const xr = [0.1, 0.4, -0.3, 0.9, -0.5, 0.2, 0.7, -0.8, 0.3, 0.3, -0.1, 0.6];
  const xf = [-0.2, 0.1, 0.5, -0.4, 0.9, -0.7, 0.2, 0.1, -0.6, 0.8, 0.4, -0.3];
  const epsV = [0.25, 0.5, 0.75];
  const wT = input("w", "float64", [4, 1]);
  const linear = (x: Tensor) => {
    const ps: ParamSource = { dtype: "float64", param: (n) => (n === "W" ? wT : input("c", "float64", [1])) };
    return scope("/lin", () => dense(ps, "fc", flatten(x), 1));
  };
  const norm = Math.hypot(...w);
  const score = (x: number[], i: number) => x.slice(4 * i, 4 * i + 4).reduce((a, v, j) => a + v * w[j]!, c);
  const mean = (f: (i: number) => number) => (f(0) + f(1) + f(2)) / 3;
  const sr = (i: number) => score(xr, i);
  const sf = (i: number) => score(xf, i);
  const softplus = (v: number) => Math.log1p(Math.exp(v));
  const gap = mean(sr) - mean(sf);
  const dist = (i: number, l1: boolean) => {
    const d = xr.slice(4 * i, 4 * i + 4).map((v, j) => v - xf[4 * i + j]!);
    return l1 ? d.reduce((a, v) => a + Math.abs(v), 0) / 4 : Math.sqrt(d.reduce((a, v) => a + v * v, 0) / 4);
  };
  const qp = (l1: boolean, lambda: number) =>
    mean((i) => -(sr(i) - sf(i)) + (sr(i) - sf(i)) ** 2 / (2 * lambda * dist(i, l1)));
  const expected: Record<GanLossName, [number, number]> = {
    "wgan-div": [gap + 2 / 2 * 2 * norm ** 6, mean(sf)],
    "wgan-gp": [gap + 10 * Math.max(norm - 1, 0), mean(sf)],
    "wgan-gp-two-sided": [gap + 10 * (norm - 1) ** 2, mean(sf)],
    "qp-l1": [qp(true, 10), gap],
    "qp-l2": [qp(false, 10), gap],
    hinge: [mean((i) => Math.max(0, 1 + sr(i))) + mean((i) => Math.max(0, 1 - sf(i))), mean(sf)],
    standard: [mean((i) => softplus(-sr(i))) + mean((i) => softplus(sf(i))), mean((i) => softplus(-sf(i)))],
    energy: [gap + 0.1 * norm ** 2, mean(sf)],
  };
  for (const name of GAN_LOSSES) {
    const loss = ganLoss(name);
    const x = { r: input("x_r", "float64", [...IMAGE]), f: input("x_f", "float64", [...IMAGE]) };
    const eps = input("eps", "float64", [3, 1, 1, 1]);
    const lossD = criticLoss(loss, { critic: linear, xr: x.r, xf: x.f, eps, perSample: true }).lossD;
    const lossG = generatorLoss(loss, { critic: linear, xr: x.r, xf: x.f, perSample: true });
    const feeds = {
      w: Float64Array.from(w),
      c: Float64Array.of(c),
      x_r: Float64Array.from(xr),
      x_f: Float64Array.from(xf),
      eps: Float64Array.from(epsV),
    };
    const used = (t: Tensor[]) => {
      // Feed only the inputs the graph reads (the emitter drops unused ones).
      const names = new Set<string>();
      const walk = (n: Tensor) => {
        if (isInput(n)) names.add(inputName(n));
        n.inputs.forEach(walk);
      };
      t.forEach(walk);
      return Object.fromEntries(Object.entries(feeds).filter(([k]) => names.has(k)));
    };
    const out = await evaluate({ d: lossD, g: lossG }, used([lossD, lossG]));
    const [wantD, wantG] = expected[name];
    assert.ok(
      Math.abs(Number(out.d![0]) - wantD) < 1e-12 * Math.max(1, Math.abs(wantD)),
      `${name} L_D ${out.d} vs ${wantD}`,
    );
    assert.ok(Math.abs(Number(out.g![0]) - wantG) < 1e-12, `${name} L_G ${out.g} vs ${wantG}`);
  }
});
