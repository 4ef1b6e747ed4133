import assert from "node:assert/strict";
import { constant } from "../../models/onnx/graph.ts";
import { softmaxCrossEntropy } from "../../models/onnx/ops_nn.ts";
import { checkGradients, evaluate } from "../../models/onnx/testing.ts";
import { input } from "../../models/onnx/graph.ts";
import { centerDistance, cosine, smoothedCrossEntropy, tripletLoss } from "./losses.ts";

const LABELS = () => constant(Int32Array.of(2, 0, 1, 2), "int32", [4]);

Deno.test("smoothedCrossEntropy: gradient matches finite differences in float64; ε = 0 is cross-entropy", async () => {
  await checkGradients(
    "smoothed_ce",
    { z: { shape: [4, 3] } },
    ({ z }) => smoothedCrossEntropy(z!, LABELS(), 0.1),
  );
  const z = input("z", "float64", [4, 3]);
  const values = Float64Array.of(1, 2, 3, -1, 0, 4, 0.5, 0.5, -2, 3, 1, 0);
  const out = await evaluate(
    {
      a: smoothedCrossEntropy(z, LABELS(), 0),
      b: softmaxCrossEntropy(z, LABELS()),
      s: smoothedCrossEntropy(z, LABELS(), 1),
    },
    { z: values },
  );
  assert.ok(Math.abs((out.a![0] as number) - (out.b![0] as number)) < 1e-14);
  // ε = 1: the mean over classes of −log softmax, by hand for the first row (1, 2, 3) and averaged.
  let want = 0;
  for (let r = 0; r < 4; r++) {
    const row = Array.from(values.subarray(3 * r, 3 * r + 3));
    const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    want += row.reduce((s, v) => s + (lse - v), 0) / 3;
  }
  assert.ok(Math.abs((out.s![0] as number) - want / 4) < 1e-14);
});

Deno.test("centerDistance: gradients w.r.t. features and centres match finite differences in float64", async () => {
  await checkGradients(
    "center",
    { f: { shape: [4, 2] }, c: { shape: [3, 2] } },
    ({ f, c }) => centerDistance(f!, LABELS(), c!),
  );
});

Deno.test("tripletLoss: gradients match finite differences in float64, and a hand case gives m + cos(q, w) − cos(q, r)", async () => {
  await checkGradients(
    "triplet",
    { q: { shape: [4, 3] }, r: { shape: [4, 3] }, w: { shape: [4, 3] } },
    ({ q, r, w }) => tripletLoss(q!, r!, w!, 0.5),
    // A hinge: a draw within eps of its kink would make the difference quotient meaningless; seed 3 has none.
    { seed: 3 },
  );
  const q = input("q", "float64", [1, 2]),
    r = input("r", "float64", [1, 2]),
    w = input("w", "float64", [1, 2]);
  const out = await evaluate({ l: tripletLoss(q, r, w, 0.5), c: cosine(q, w) }, {
    q: Float64Array.of(1, 0),
    r: Float64Array.of(2, 0), // cos 1
    w: Float64Array.of(1, 1), // cos 1/√2: margin 0.5 > 1 − 0.707, so the loss is 0.5 − 0.293
  });
  assert.ok(Math.abs((out.c![0] as number) - Math.SQRT1_2) < 1e-12);
  assert.ok(Math.abs((out.l![0] as number) - (0.5 - (1 - Math.SQRT1_2))) < 1e-12);
});
