import assert from "node:assert/strict";
import { grad } from "./autodiff.ts";
import { input, scalar, type Tensor } from "./graph.ts";
import * as E from "./ops_elementwise.ts";
import { reduceSum } from "./ops_reduce.ts";
import { checkGradients, evaluate } from "./testing.ts";

// Weighted sums make every output entry's gradient distinct (a plain sum would hide transposed rules).
const wsum = (t: Tensor, w: Tensor) => reduceSum(E.mul(t, w));

const unary: [string, (x: Tensor) => Tensor, boolean?][] = [
  ["neg", E.neg],
  ["exp", E.exp],
  ["log", E.log, true],
  ["sqrt", E.sqrt, true],
  ["abs", E.abs],
  ["square", E.square],
  ["tanh", E.tanh],
  ["sigmoid", E.sigmoid],
  ["softplus", E.softplus],
  ["relu", E.relu],
  ["leakyRelu", (x) => E.leakyRelu(x, 0.2)],
  ["leakyRelu alpha 1.5", (x) => E.leakyRelu(x, 1.5)],
  ["elu", (x) => E.elu(x, 0.7)],
  ["sin", E.sin],
  ["cos", E.cos],
  ["clip", (x) => E.clip(x, -0.5, 0.8)],
  ["pow (constant exponent)", (x) => E.pow(x, 2.5), true],
];

for (const [name, f, positive] of unary) {
  Deno.test(`${name}: gradient matches float64 finite differences`, async () => {
    const r = await checkGradients(
      name,
      { x: { shape: [3, 4], ...(positive ? { positive } : {}) }, w: { shape: [3, 4] } },
      ({ x, w }) => wsum(f(x!), w!),
    );
    assert.equal(r.checked, 24);
  });
}

const binary: [string, (a: Tensor, b: Tensor) => Tensor][] = [
  ["add", E.add],
  ["sub", E.sub],
  ["mul", E.mul],
  ["div", E.div],
  ["pow", E.pow],
  ["maximum", E.maximum],
  ["minimum", E.minimum],
  ["where", (a, b) => E.where(E.greater(a, 1), a, b)],
];

for (const [name, f] of binary) {
  Deno.test(`${name}: broadcast gradients match finite differences`, async () => {
    // b broadcasts along axis 0; gradients must be summed back to [1, 4].
    await checkGradients(
      name,
      { a: { shape: [3, 4], positive: true }, b: { shape: [1, 4], positive: true }, w: { shape: [3, 4] } },
      ({ a, b, w }) => wsum(f(a!, b!), w!),
    );
  });
}

Deno.test("elementwise forward values agree with JS math (float32 kernels)", async () => {
  const x = input("x", "float32", [5]);
  const xs = new Float32Array([-2, -0.5, 0.25, 1, 3]);
  const out = await evaluate({
    softplus: E.softplus(x),
    elu: E.elu(x, 0.5),
    leaky: E.leakyRelu(x, 0.2),
    clip: E.clip(x, -1, 2),
    sig: E.sigmoid(x),
  }, { x: xs });
  xs.forEach((v, i) => {
    assert.ok(Math.abs(out.softplus![i] as number - Math.log1p(Math.exp(v))) < 1e-6);
    assert.ok(Math.abs(out.elu![i] as number - (v > 0 ? v : 0.5 * (Math.exp(v) - 1))) < 1e-6);
    assert.ok(Math.abs(out.leaky![i] as number - (v > 0 ? v : 0.2 * v)) < 1e-6);
    assert.equal(out.clip![i], Math.min(Math.max(v, -1), 2));
    assert.ok(Math.abs(out.sig![i] as number - 1 / (1 + Math.exp(-v))) < 1e-6);
  });
});

Deno.test("float64 lowerings of Softplus and Elu equal the float32 kernels", async () => {
  const x32 = input("x", "float32", [6]);
  const x64 = input("x", "float64", [6]);
  const v = [-30, -2, -0.1, 0.3, 2, 40];
  const a = await evaluate({ sp: E.softplus(x32), elu: E.elu(x32, 1) }, { x: new Float32Array(v) });
  const b = await evaluate({ sp: E.softplus(x64), elu: E.elu(x64, 1) }, { x: new Float64Array(v) });
  for (let i = 0; i < v.length; i++) {
    assert.ok(Math.abs((a.sp![i] as number) - (b.sp![i] as number)) <= 1e-6 * Math.max(1, Math.abs(v[i]!)));
    assert.ok(Math.abs((a.elu![i] as number) - (b.elu![i] as number)) <= 1e-6);
  }
});

Deno.test("comparisons give bools; stopGradient blocks gradients", async () => {
  const x = input("x", "float32", [3]);
  const out = await evaluate({ gt: E.greater(x, 0), eq: E.equal(x, 1) }, { x: new Float32Array([-1, 1, 2]) });
  assert.deepEqual(Array.from(out.gt as Uint8Array), [0, 1, 1]);
  assert.deepEqual(Array.from(out.eq as Uint8Array), [0, 1, 0]);
  // d/dx [stop(exp(x)) · x] = exp(x): the product rule's other term is blocked.
  const [g] = grad(reduceSum(E.mul(E.stopGradient(E.exp(x)), x)), [x]);
  const r = await evaluate({ g: g!, e: E.exp(x) }, { x: new Float32Array([-1, 1, 2]) });
  assert.deepEqual(Array.from(r.g as Float32Array), Array.from(r.e as Float32Array));
});

Deno.test("scalar constants fold on the host", () => {
  const folded = E.sub(scalar(3, "float32"), 1);
  assert.equal(folded.op.name, "Const");
  assert.equal(folded.data![0], 2);
  const x = input("x", "float32", [2]);
  assert.equal(E.sub(x, 1).op.name, "Sub");
});
