import assert from "node:assert/strict";
import { grad } from "./autodiff.ts";
import { input, type Tensor } from "./graph.ts";
import { mul } from "./ops_elementwise.ts";
import { argmax, argmin, logsumexp, reduceMax, reduceMean, reduceSum, sumToShape } from "./ops_reduce.ts";
import { checkGradients, evaluate } from "./testing.ts";

const cases: [string, (x: Tensor) => Tensor, number[]][] = [
  ["reduceSum axis 1", (x) => reduceSum(x, 1), [3, 5]],
  ["reduceSum axes [0,2] keepdims", (x) => reduceSum(x, [0, 2], true), [1, 4, 1]],
  ["reduceMean axis -1", (x) => reduceMean(x, -1), [3, 4]],
  ["reduceMean all", (x) => reduceMean(x), []],
  ["reduceMax axis 1", (x) => reduceMax(x, 1), [3, 5]],
  ["logsumexp axis 2", (x) => logsumexp(x, 2), [3, 4]],
  ["logsumexp keepdims", (x) => logsumexp(x, [1, 2], true), [3, 1, 1]],
  ["sumToShape [1,4,1]", (x) => sumToShape(x, { shape: [1, 4, 1] }), [1, 4, 1]],
];

for (const [name, f, outShape] of cases) {
  Deno.test(`${name}: gradient matches finite differences`, async () => {
    await checkGradients(
      name,
      { x: { shape: [3, 4, 5] }, w: { shape: outShape } },
      ({ x, w }) => reduceSum(mul(f(x!), w!)),
    );
  });
}

Deno.test("reductions and arg-reductions give the right values", async () => {
  const x = input("x", "float32", [2, 3]);
  const data = new Float32Array([1, 5, 2, 7, 0, -1]);
  const r = await evaluate({
    s: reduceSum(x, 1),
    m: reduceMean(x, 0),
    mx: reduceMax(x, 1),
    lse: logsumexp(x, 1),
    am: argmax(x, 1),
    an: argmin(x, 1),
  }, { x: data });
  assert.deepEqual(Array.from(r.s as Float32Array), [8, 6]);
  assert.deepEqual(Array.from(r.m as Float32Array), [4, 2.5, 0.5]);
  assert.deepEqual(Array.from(r.mx as Float32Array), [5, 7]);
  assert.ok(Math.abs((r.lse![0] as number) - Math.log(Math.exp(1) + Math.exp(5) + Math.exp(2))) < 1e-5);
  assert.deepEqual(Array.from(r.am as BigInt64Array), [1n, 0n]);
  assert.deepEqual(Array.from(r.an as BigInt64Array), [0n, 2n]);
});

Deno.test("reduceMax shares the gradient between ties", async () => {
  // Finite differences are undefined at a tie; check the rule's value directly.
  const x = input("x", "float64", [4]);
  const [g] = grad(reduceMax(x), [x]);
  const r = await evaluate({ g: g! }, { x: new Float64Array([1, 3, 3, 2]) });
  assert.deepEqual(Array.from(r.g as Float64Array), [0, 0.5, 0.5, 0]);
});
