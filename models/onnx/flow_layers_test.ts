/**
 * One test per flow layer (flow_layers.ts): inverse(forward(x)) = x in float64 and float32, and the
 * log-determinant against log |det J| of the autodiff Jacobian in float64 (flow_testing.ts), on
 * small inputs with random parameters.
 */
import assert from "node:assert/strict";
import { grad } from "./autodiff.ts";
import {
  actnorm,
  additiveCoupling,
  affineCoupling,
  type Bijection,
  chain,
  type CouplingNet,
  DataInit,
  diagonalScaling,
  expRankOne,
  factorOut,
  gaussianPrior,
  invertibleConv1x1,
  logisticPrior,
  mergeParts,
  orthogonalLuFactors,
  reverse,
  shuffle,
  splitParts,
  splitPrior,
  squeeze,
} from "./flow_layers.ts";
import { checkBijection, checkLayerGradients, type CheckOptions } from "./flow_testing.ts";
import { input } from "./graph.ts";
import { inits } from "./init.ts";
import { conv2dLayer, dense } from "./layers.ts";
import { sigmoid, tanh } from "./ops_elementwise.ts";
import { reduceSum } from "./ops_reduce.ts";
import { ParamInputs } from "./params.ts";
import { evaluate, randn } from "./testing.ts";

/** Float64 inverse to rounding, float32 to its precision, log-det to the float64 Jacobian's. */
const TOL = { inverse64: 1e-10, inverse32: 2e-5, logdet: 1e-9 };

async function holds(layer: Bijection, o: CheckOptions, expectNonzeroLogdet: boolean) {
  const r = await checkBijection(layer, o);
  assert.ok(r.inverseError64 <= TOL.inverse64, `${layer.name}: float64 inverse error ${r.inverseError64}`);
  assert.ok(r.inverseError32 <= TOL.inverse32, `${layer.name}: float32 inverse error ${r.inverseError32}`);
  assert.ok(r.logdetError <= TOL.logdet, `${layer.name}: log-det error ${r.logdetError}`);
  // A layer that changes volume must report it: a log-det stuck at 0 would pass the inverse checks only.
  if (expectNonzeroLogdet) assert.ok(r.logdets.some((v) => Math.abs(v) > 1e-3), `${r.logdets}`);
  else assert.ok(r.logdets.every((v) => v === 0), `${r.logdets}`);
  return r;
}

const mlpNet: CouplingNet = (ps, x1, c) => dense(ps, "fc2", tanh(dense(ps, "fc1", x1, 8)), c);
const convNet: CouplingNet = (ps, x1, c) =>
  conv2dLayer(ps, "conv2", tanh(conv2dLayer(ps, "conv1", x1, 4, 3, { pad: 1 })), c, 3, { pad: 1 });

Deno.test("splitParts / mergeParts: halves and even/odd positions, on vectors and channels", async () => {
  for (const shape of [[2, 6], [2, 4, 2, 3]]) {
    for (const mode of ["halves", "evenOdd"] as const) {
      const x = input("x", "float32", shape);
      const [a, b] = splitParts(x, mode);
      const data = randn(x.size, 1);
      const out = await evaluate({ a, b, back: mergeParts(a, b, mode) }, { x: data });
      assert.deepEqual([...out.back!], [...data]);
      if (shape.length === 2 && mode === "evenOdd") {
        assert.deepEqual([...out.a!].slice(0, 3), [data[0], data[2], data[4]]);
        assert.deepEqual([...out.b!].slice(0, 3), [data[1], data[3], data[5]]);
      }
    }
  }
});

Deno.test("reverse: a permutation, log-det 0", async () => {
  await holds(reverse("rev"), { shape: [2, 5] }, false);
  await holds(reverse("rev"), { shape: [2, 4, 2, 2] }, false);
});

Deno.test("shuffle: a seeded random permutation of the channels, log-det 0", async () => {
  await holds(shuffle("shuf", 6, 3), { shape: [2, 6] }, false);
  await holds(shuffle("shuf", 4, 3), { shape: [2, 4, 2, 2] }, false);
});

Deno.test("additiveCoupling: volume-preserving, both split modes, Su's subtracting sign", async () => {
  await holds(additiveCoupling("add", { net: mlpNet, split: "evenOdd", sign: -1 }), { shape: [3, 6] }, false);
  await holds(additiveCoupling("add", { net: convNet }), { shape: [2, 4, 3, 3] }, false);
});

Deno.test("affineCoupling: Glow's σ(h + 2) scale, log-det Σ log scale", async () => {
  await holds(
    affineCoupling("aff", { net: mlpNet, split: "evenOdd" }),
    { shape: [3, 6], paramScale: 0.8 },
    true,
  );
  await holds(affineCoupling("aff", { net: convNet }), { shape: [2, 4, 3, 3], paramScale: 0.8 }, true);
});

Deno.test("actnorm: per-channel affine map, log-det H·W·Σ logs", async () => {
  await holds(actnorm("an"), { shape: [2, 5] }, true);
  await holds(actnorm("an"), { shape: [2, 3, 2, 3] }, true);
});

Deno.test("actnorm's data-dependent init: the first batch comes out with zero mean and unit variance", async () => {
  const init = new DataInit();
  const x = input("x", "float64", [64, 3, 2, 2]);
  const ps = new ParamInputs("float64");
  const { y, logdet } = actnorm("an").forward({ ps, init }, x);
  assert.deepEqual(ps.specs, [], "in init mode actnorm reads no parameters");
  const recorded = init.outputs();
  assert.deepEqual(Object.keys(recorded), ["an/bias", "an/logs"]);
  const data = Float64Array.from(randn(x.size, 4), (v, i) => 3 * v + (i % 12 < 4 ? 5 : -2));
  const out = await evaluate({ y, logdet, ...recorded }, { x: data });
  const yv = out.y as Float64Array;
  for (let c = 0; c < 3; c++) {
    const vals: number[] = [];
    for (let n = 0; n < 64; n++) for (let p = 0; p < 4; p++) vals.push(yv[n * 12 + c * 4 + p]!);
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const variance = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length;
    assert.ok(Math.abs(mean) < 1e-12, `channel ${c} mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 1e-5, `channel ${c} variance ${variance}`);
  }
  // The same layer reading the recorded values as parameters computes the same map.
  const ps2 = new ParamInputs("float64");
  const again = actnorm("an").forward({ ps: ps2 }, x);
  const out2 = await evaluate({ y: again.y, logdet: again.logdet }, {
    x: data,
    "an/bias": out["an/bias"] as Float64Array,
    "an/logs": out["an/logs"] as Float64Array,
  });
  assert.deepEqual([...out2.y!], [...yv]);
  assert.deepEqual([...out2.logdet!], [...out.logdet!]);
});

Deno.test("squeeze: space to depth, log-det 0", async () => {
  await holds(squeeze("sq"), { shape: [2, 2, 4, 4] }, false);
  // Channel c·4 + 2·dy + dx of pixel (i, j) is x[c, 2i + dy, 2j + dx].
  const x = input("x", "float32", [1, 1, 2, 2]);
  const out = await evaluate({ y: squeeze("sq").forward({ ps: new ParamInputs() }, x).y }, {
    x: Float32Array.of(1, 2, 3, 4),
  });
  assert.deepEqual([...out.y!], [1, 2, 3, 4]);
});

Deno.test("invertibleConv1x1 (LU): starts orthogonal, log-det H·W·Σ logs, exact in-graph inverse", async () => {
  const f = orthogonalLuFactors(5, 11);
  assert.ok(Math.abs(f.logs.reduce((a, b) => a + b, 0)) < 1e-12, "log|det| of an orthogonal matrix is 0");
  await holds(invertibleConv1x1("conv", 4, 7), { shape: [2, 4, 3, 3], paramScale: 0.2 }, true);
  await holds(invertibleConv1x1("conv", 5, 7), { shape: [3, 5], paramScale: 0.2 }, true);
  // 16 channels: four nilpotent factors in each triangular inverse.
  await holds(invertibleConv1x1("conv", 16, 2), { shape: [2, 16, 1, 1], paramScale: 0.1 }, true);
});

Deno.test("splitPrior: the learned conditional prior maps x₂ to standard noise, log-det −Σ logs", async () => {
  await holds(splitPrior("split"), { shape: [2, 4, 3, 3] }, true);
});

Deno.test("diagonalScaling: NICE's last layer, log-det Σ s", async () => {
  await holds(diagonalScaling("scale", inits.zeros()), { shape: [2, 6] }, true);
});

Deno.test("expRankOne: exp(u vᵀ) in closed form, log-det ⟨u, v⟩, also near ⟨u, v⟩ = 0", async () => {
  await holds(expRankOne("r1"), { shape: [3, 5], paramScale: 0.8 }, true);
  // |⟨u, v⟩| < 0.1 takes the Taylor branch.
  const small = await checkBijection(expRankOne("r1"), {
    shape: [3, 5],
    values: { "r1/u": [0.1, 0.05, -0.1, 0.02, 0.01], "r1/v": [0.1, 0.2, 0.05, -0.3, 0.4] },
  });
  assert.ok(small.inverseError64 <= TOL.inverse64 && small.logdetError <= TOL.logdet, JSON.stringify(small));
  assert.ok(Math.abs(small.logdets[0]! - 0.013) < 1e-12);
});

Deno.test("a chain of layers: log-dets add up, the inverse runs backwards", async () => {
  const glowStep = chain("step", [
    actnorm("actnorm"),
    invertibleConv1x1("conv", 4, 1),
    affineCoupling("coupling", { net: convNet }),
  ]);
  await holds(chain("flow", [squeeze("sq"), glowStep, splitPrior("split")]), {
    shape: [2, 1, 4, 4],
    paramScale: 0.3,
  }, true);
});

Deno.test("factorOut: Glow's multi-scale split, the rest of the flow on the kept half, a flat output", async () => {
  const rest = chain("rest", [squeeze("sq"), actnorm("an"), affineCoupling("c", { net: convNet })]);
  const layer = factorOut("level", rest, [8, 1, 1]);
  await holds(layer, { shape: [2, 4, 2, 2], paramScale: 0.4 }, true);
  await checkLayerGradients(layer, { shape: [2, 4, 2, 2], paramScale: 0.4 });
});

Deno.test("priors: Gaussian and logistic log-densities, and the logistic inverse CDF", async () => {
  const z = input("z", "float64", [2, 3]);
  const zs = Float64Array.of(0, 1, -2, 0.5, 3, -1);
  const out = await evaluate({ g: gaussianPrior.logProb(z), l: logisticPrior.logProb(z) }, {
    z: zs,
  }) as Record<
    string,
    Float64Array
  >;
  const host = (f: (v: number) => number) =>
    [0, 1].map((n) => [0, 1, 2].reduce((s, i) => s + f(zs[3 * n + i]!), 0));
  const g = host((v) => -0.5 * v * v - 0.5 * Math.log(2 * Math.PI));
  const l = host((v) => -v - 2 * Math.log(1 + Math.exp(-v)));
  for (let n = 0; n < 2; n++) {
    assert.ok(Math.abs(out.g![n]! - g[n]!) < 1e-12);
    assert.ok(Math.abs(out.l![n]! - l[n]!) < 1e-12);
  }
  // fromNoise is the inverse of the CDF σ, and the log-density is log of the CDF's derivative.
  const u = input("u", "float64", [1, 4]);
  const zu = logisticPrior.fromNoise(u);
  const [dcdf] = grad(reduceSum(sigmoid(z)), [z]);
  const r = await evaluate({ back: sigmoid(zu), dcdf: dcdf! }, {
    u: Float64Array.of(0.1, 0.5, 0.7, 0.99),
    z: zs,
  }) as Record<string, Float64Array>;
  assert.ok([...r.back!].every((v, i) => Math.abs(v - [0.1, 0.5, 0.7, 0.99][i]!) < 1e-12));
  for (let n = 0; n < 2; n++) {
    const logDensity = [0, 1, 2].reduce((s, i) => s + Math.log(r.dcdf![3 * n + i]!), 0);
    assert.ok(Math.abs(logDensity - l[n]!) < 1e-12);
  }
});

Deno.test("every layer's gradients (input and parameters, forward, log-det and inverse) match float64 finite differences", async () => {
  const layers: [Bijection, number[], number?][] = [
    [reverse("rev"), [2, 4]],
    [shuffle("shuf", 4, 3), [2, 4, 2, 2]],
    [additiveCoupling("add", { net: mlpNet, split: "evenOdd", sign: -1 }), [2, 6]],
    [additiveCoupling("add", { net: convNet }), [2, 4, 3, 3]],
    [affineCoupling("aff", { net: mlpNet, split: "evenOdd" }), [2, 6], 0.8],
    [affineCoupling("aff", { net: convNet }), [2, 4, 3, 3], 0.8],
    [actnorm("an"), [2, 3, 2, 2]],
    [diagonalScaling("scale", inits.zeros()), [2, 6]],
    [squeeze("sq"), [1, 1, 4, 4]],
    [invertibleConv1x1("conv", 4, 7), [2, 4, 2, 2], 0.2],
    [invertibleConv1x1("conv", 5, 7), [2, 5], 0.2],
    [splitPrior("split"), [2, 4, 3, 3]],
    [expRankOne("r1"), [2, 5], 0.8],
  ];
  for (const [layer, shape, paramScale] of layers) {
    await checkLayerGradients(layer, { shape, ...(paramScale ? { paramScale } : {}) });
  }
});
