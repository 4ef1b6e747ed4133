import assert from "node:assert/strict";
import { input } from "./graph.ts";
import { mul } from "./ops_elementwise.ts";
import { gemm, matmul } from "./ops_linalg.ts";
import { reduceSum } from "./ops_reduce.ts";
import { checkGradients, evaluate } from "./testing.ts";
import { scope } from "./graph.ts";

Deno.test("matmul: batched, broadcast gradients match finite differences", async () => {
  await checkGradients(
    "matmul",
    { a: { shape: [2, 3, 4] }, b: { shape: [4, 5] }, w: { shape: [2, 3, 5] } },
    ({ a, b, w }) => reduceSum(mul(matmul(a!, b!), w!)),
  );
});

for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
  Deno.test(`gemm transA=${ta} transB=${tb}: gradients match finite differences`, async () => {
    await checkGradients(
      `gemm${ta}${tb}`,
      {
        a: { shape: ta ? [4, 3] : [3, 4] },
        b: { shape: tb ? [5, 4] : [4, 5] },
        c: { shape: [5] },
        w: { shape: [3, 5] },
      },
      ({ a, b, c, w }) => reduceSum(mul(gemm(a!, b!, c!, { transA: ta, transB: tb }), w!)),
    );
  });
}

Deno.test("gemm computes op(A)·op(B) + c", async () => {
  const a = input("a", "float32", [2, 2]);
  const b = input("b", "float32", [2, 2]);
  const c = input("c", "float32", [2]);
  const r = await evaluate({ y: gemm(a, b, c, { transB: true }) }, {
    a: new Float32Array([1, 2, 3, 4]),
    b: new Float32Array([1, 0, 1, 1]),
    c: new Float32Array([10, 20]),
  });
  assert.deepEqual(Array.from(r.y as Float32Array), [11, 23, 13, 27]);
});

Deno.test("matmul shape errors name the layer path", () => {
  const a = input("a", "float32", [2, 3]);
  const b = input("b", "float32", [4, 5]);
  assert.throws(
    () => scope("critic/fc", () => matmul(a, b)),
    /MatMul at 'critic\/fc': inner dimensions differ/,
  );
});
