import assert from "node:assert/strict";
import { grad } from "./autodiff.ts";
import { input, type Tensor } from "./graph.ts";
import {
  cumsum,
  gumbelFromUniform,
  gumbelSoftmax,
  hardOneHot,
  straightThrough,
  vectorQuantize,
} from "./ops_discrete.ts";
import { add, mul, square, sub } from "./ops_elementwise.ts";
import { reduceSum } from "./ops_reduce.ts";
import { GraphRng } from "./rng.ts";
import { checkGradients, evaluate } from "./testing.ts";

const cumsumCases: [string, (x: Tensor) => Tensor][] = [
  ["cumsum axis 1", (x) => cumsum(x, 1)],
  ["cumsum axis 1 exclusive", (x) => cumsum(x, 1, { exclusive: true })],
  ["cumsum axis 2 reverse", (x) => cumsum(x, 2, { reverse: true })],
  ["cumsum axis 0 exclusive reverse", (x) => cumsum(x, 0, { exclusive: true, reverse: true })],
];

for (const [name, f] of cumsumCases) {
  Deno.test(`${name}: gradient matches finite differences`, async () => {
    await checkGradients(
      name,
      { x: { shape: [3, 4, 5] }, w: { shape: [3, 4, 5] } },
      ({ x, w }) => reduceSum(mul(f(x!), w!)),
    );
  });
}

Deno.test("cumsum's gradient differentiates again (second order, through the reversed sum)", async () => {
  await checkGradients(
    "cumsum second order",
    { x: { shape: [2, 6] }, w: { shape: [2, 6] } },
    ({ x, w }) => {
      const [dx] = grad(reduceSum(mul(square(cumsum(x!, 1, { exclusive: true })), w!)), [x!]);
      return reduceSum(square(dx!));
    },
  );
});

Deno.test("cumsum gives the four sums of ONNX CumSum", async () => {
  const x = input("x", "float64", [2, 4]);
  const v = Float64Array.of(1, 2, 3, 4, 10, 20, 30, 40);
  const r = await evaluate({
    inc: cumsum(x, 1),
    exc: cumsum(x, 1, { exclusive: true }),
    rev: cumsum(x, 1, { reverse: true }),
    both: cumsum(x, -1, { exclusive: true, reverse: true }),
  }, { x: v });
  assert.deepEqual([...r.inc!], [1, 3, 6, 10, 10, 30, 60, 100]);
  assert.deepEqual([...r.exc!], [0, 1, 3, 6, 0, 10, 30, 60]);
  assert.deepEqual([...r.rev!], [10, 9, 7, 4, 100, 90, 70, 40]);
  assert.deepEqual([...r.both!], [9, 7, 4, 0, 90, 70, 40, 0]);
});

Deno.test("Gumbel-softmax: gradient in logits and in τ matches finite differences", async () => {
  await checkGradients(
    "gumbel softmax",
    {
      logits: { shape: [3, 5] },
      u: { shape: [3, 5], values: Array.from({ length: 15 }, (_, i) => (i + 0.5) / 15) },
      tau: { shape: [], positive: true },
      w: { shape: [3, 5] },
    },
    ({ logits, u, tau, w }) => reduceSum(mul(gumbelSoftmax(logits!, gumbelFromUniform(u!), tau!), w!)),
  );
});

Deno.test("Gumbel-max draws an exact categorical sample: χ² over 40,000 draws at level 0.001", async () => {
  // logits of p = (0.5, 0.25, 0.15, 0.1); 40,000 rows of in-graph uniforms.
  const p = [0.5, 0.25, 0.15, 0.1];
  const n = 40_000;
  const logits = input("logits", "float32", [1, 4]);
  const rng = new GraphRng(input("seed", "int32", []), input("step", "float32", []));
  const g = gumbelFromUniform(rng.uniform([n, 4]));
  const counts = reduceSum(hardOneHot(add(logits, g)), 0);
  const out = await evaluate({ counts }, {
    logits: Float32Array.from(p, Math.log),
    seed: Int32Array.of(3),
    step: Float32Array.of(0),
  });
  const chi2 = p.reduce((s, q, i) => s + (Number(out.counts![i]) - n * q) ** 2 / (n * q), 0);
  assert.equal(Array.from(out.counts!, Number).reduce((a, b) => a + b, 0), n);
  assert.ok(chi2 < 16.27, `χ² = ${chi2} exceeds the 0.999 quantile of χ²(3), 16.27`);
});

Deno.test("Gumbel draws stay finite at the float32 ends of the generator's range (u = 1 after rounding)", async () => {
  const u = input("u", "float32", [3]);
  const out = await evaluate({ g: gumbelFromUniform(u) }, { u: Float32Array.of(1, 2 ** -25, 0.5) });
  const g = [...out.g!].map(Number);
  assert.ok(g.every(Number.isFinite), `${g}`);
  assert.ok(Math.abs(g[2]! + Math.log(Math.LN2)) < 1e-6, "u = 0.5 is untouched: −log(log 2)");
});

Deno.test("straight-through: the value of the hard sample, the gradient of the soft one", async () => {
  const soft = input("soft", "float64", [2, 3]);
  const hard = hardOneHot(soft);
  const w = Float64Array.of(1, 2, 3, 4, 5, 6);
  const wt = input("w", "float64", [2, 3]);
  const st = straightThrough(hard, soft);
  const [g] = grad(reduceSum(mul(st, wt)), [soft]);
  const r = await evaluate({ st, g: g! }, { soft: Float64Array.of(0.1, 0.7, 0.2, 0.5, 0.3, 0.2), w });
  assert.deepEqual([...r.st!], [0, 1, 0, 1, 0, 0]);
  assert.deepEqual([...r.g!], [...w]);
});

Deno.test("vectorQuantize picks the nearest code and passes gradients to the chosen codes only", async () => {
  const z = input("z", "float64", [5, 2]);
  const e = input("e", "float64", [3, 2]);
  const q = vectorQuantize(z, e);
  const codebook = Float64Array.of(0, 0, 1, 1, -2, 0.5);
  const zs = Float64Array.of(0.1, -0.2, 0.8, 1.4, -1.5, 0.2, 0.6, 0.45, -0.9, 0.3);
  const [ge] = grad(reduceSum(square(sub(q.codes, z))), [e]);
  const r = await evaluate({ index: q.index, codes: q.codes, ge: ge! }, { z: zs, e: codebook });
  const nearest = Array.from({ length: 5 }, (_, i) => {
    const d = [0, 1, 2].map((k) =>
      (zs[2 * i]! - codebook[2 * k]!) ** 2 + (zs[2 * i + 1]! - codebook[2 * k + 1]!) ** 2
    );
    return d.indexOf(Math.min(...d));
  });
  assert.deepEqual([...r.index!].map(Number), nearest);
  // d/de_k Σ ‖e_k − z_i‖² over the rows that chose k.
  const expected = new Float64Array(6);
  nearest.forEach((k, i) => {
    expected[2 * k]! += 2 * (codebook[2 * k]! - zs[2 * i]!);
    expected[2 * k + 1]! += 2 * (codebook[2 * k + 1]! - zs[2 * i + 1]!);
  });
  Array.from(r.ge!, Number).forEach((v, i) =>
    assert.ok(Math.abs(v - expected[i]!) < 1e-12, `${v} vs ${expected[i]}`)
  );
  assert.deepEqual([...r.codes!].slice(0, 2), [0, 0]);
});

Deno.test("vectorQuantize: the codebook's gradient matches finite differences away from ties", async () => {
  await checkGradients(
    "vector quantize codebook",
    {
      e: { shape: [4, 3] },
      z: { shape: [6, 3], scale: 2 },
    },
    ({ e, z }) => reduceSum(square(sub(vectorQuantize(z!, e!).codes, mul(z!, 0.5)))),
  );
});
