import assert from "node:assert/strict";
import { constant, input } from "./graph.ts";
import { grad } from "./autodiff.ts";
import { mul, tanh } from "./ops_elementwise.ts";
import { batchNorm, layerNorm, logSoftmax, softmax, softmaxCrossEntropy } from "./ops_nn.ts";
import { reduceSum } from "./ops_reduce.ts";
import { checkGradients, evaluate } from "./testing.ts";

Deno.test("softmax and logSoftmax: gradients match finite differences", async () => {
  for (const axis of [-1, 0]) {
    await checkGradients(
      `softmax${axis}`,
      { x: { shape: [3, 4] }, w: { shape: [3, 4] } },
      ({ x, w }) => reduceSum(mul(softmax(x!, axis), w!)),
    );
    await checkGradients(
      `logSoftmax${axis}`,
      { x: { shape: [3, 4] }, w: { shape: [3, 4] } },
      ({ x, w }) => reduceSum(mul(logSoftmax(x!, axis), w!)),
    );
  }
});

Deno.test("layerNorm and batchNorm (batch statistics): gradients match finite differences", async () => {
  await checkGradients(
    "layerNorm",
    { x: { shape: [3, 5] }, g: { shape: [5] }, b: { shape: [5] }, w: { shape: [3, 5] } },
    ({ x, g, b, w }) => reduceSum(mul(layerNorm(x!, g!, b!), w!)),
  );
  await checkGradients(
    "batchNorm4d",
    { x: { shape: [4, 3, 2, 2] }, g: { shape: [3] }, b: { shape: [3] }, w: { shape: [4, 3, 2, 2] } },
    ({ x, g, b, w }) => reduceSum(mul(batchNorm(x!, g!, b!), w!)),
  );
  await checkGradients(
    "batchNorm2d",
    { x: { shape: [5, 3] }, w: { shape: [5, 3] } },
    ({ x, w }) => reduceSum(mul(batchNorm(x!), w!)),
  );
});

Deno.test("batchNorm's hand-written backward differentiates again (second order matches finite differences)", async () => {
  // f = ⟨∂/∂x Σ w·bn(x; g, b), v⟩: differentiating it goes through the VJP rule and the statistics.
  await checkGradients(
    "batchNorm second order",
    {
      x: { shape: [4, 3, 2, 2] },
      g: { shape: [3] },
      b: { shape: [3] },
      w: { shape: [4, 3, 2, 2] },
      v: { shape: [4, 3, 2, 2] },
    },
    ({ x, g, b, w, v }) => {
      const [dx] = grad(reduceSum(mul(tanh(batchNorm(x!, g!, b!)), w!)), [x!]);
      return reduceSum(mul(dx!, v!));
    },
  );
});

Deno.test("softmaxCrossEntropy: value and gradient", async () => {
  const labels = constant([2, 0, 1], "int64", [3]);
  await checkGradients("xent", { x: { shape: [3, 4] } }, ({ x }) => softmaxCrossEntropy(x!, labels));
  const x = input("x", "float64", [1, 3]);
  const r = await evaluate({ l: softmaxCrossEntropy(x, constant([1], "int32", [1])) }, {
    x: new Float64Array([1, 2, 3]),
  });
  const expected = -(2 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)));
  assert.ok(Math.abs((r.l![0] as number) - expected) < 1e-12);
});

Deno.test("batchNorm normalises each channel to zero mean and unit variance", async () => {
  const x = input("x", "float64", [4, 2]);
  const r = await evaluate({ y: batchNorm(x, undefined, undefined, 0) }, {
    x: new Float64Array([1, 10, 2, 20, 3, 30, 4, 40]),
  });
  const y = r.y as Float64Array;
  const col0 = [y[0]!, y[2]!, y[4]!, y[6]!];
  assert.ok(Math.abs(col0.reduce((a, b) => a + b)) < 1e-12);
  assert.ok(Math.abs(col0.reduce((a, b) => a + b * b, 0) / 4 - 1) < 1e-12);
});
