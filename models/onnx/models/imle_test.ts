import assert from "node:assert/strict";
import { input, type Tensor } from "../graph.ts";
import { tanh } from "../ops_elementwise.ts";
import { matmul } from "../ops_linalg.ts";
import { reshape } from "../ops_shape.ts";
import { checkGradients, evaluate, randn } from "../testing.ts";
import { imleLoss, nearest, pairwiseDistances, repulsionLoss } from "./imle.ts";

/** Five records of 1×2×2 per batch: small enough to check every entry. */
const B = 5;
const D = 4;
const SHAPE = [B, 1, 2, 2] as const;

/** d(a_i, b_j) on the host, in float64. */
const dist = (a: Float64Array, i: number, b: Float64Array, j: number) => {
  let s = 0;
  for (let k = 0; k < D; k++) s += (a[i * D + k]! - b[j * D + k]!) ** 2;
  return s / D;
};
const nearestHost = (a: Float64Array, b: Float64Array) =>
  Array.from({ length: B }, (_, i) => Math.min(...Array.from({ length: B }, (_, j) => dist(a, i, b, j))));
const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;

Deno.test("IMLE: distances, the nearest fake and both losses equal the host's float64 arithmetic", async () => {
  const x = randn(B * D, 1, "float64") as Float64Array;
  const f = randn(B * D, 2, "float64") as Float64Array;
  const f2 = randn(B * D, 3, "float64") as Float64Array;
  const xs = {
    x: input("x", "float64", [...SHAPE]),
    f: input("f", "float64", [...SHAPE]),
    f2: input("f2", "float64", [...SHAPE]),
  };
  const margin = mean(nearestHost(f, f2)); // some pairs inside the margin, some outside
  const rep = repulsionLoss(xs.x, xs.f, xs.f2, margin);
  const out = await evaluate(
    {
      d: pairwiseDistances(xs.x, xs.f),
      n: nearest(pairwiseDistances(xs.x, xs.f)),
      imle: imleLoss(xs.x, xs.f),
      attract: rep.attract,
      repel: rep.repel,
      loss: rep.loss,
    },
    { x, f, f2 },
  );
  const v = (name: string) => Array.from(out[name]! as Float64Array);
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < B; j++) assert.ok(Math.abs(v("d")[i * B + j]! - dist(x, i, f, j)) < 1e-12);
  }
  assert.deepEqual(v("n").map((v) => v.toFixed(12)), nearestHost(x, f).map((v) => v.toFixed(12)));
  assert.ok(Math.abs(v("imle")[0]! - mean(nearestHost(x, f))) < 1e-12);
  const attract = mean(nearestHost(f, x));
  const gaps = nearestHost(f, f2).map((v) => Math.max(0, margin - v));
  assert.ok(gaps.some((g) => g === 0) && gaps.some((g) => g > 0), "the margin splits the fakes");
  assert.ok(Math.abs(v("attract")[0]! - attract) < 1e-12);
  assert.ok(Math.abs(v("repel")[0]! - mean(gaps)) < 1e-12);
  assert.ok(Math.abs(v("loss")[0]! - attract - mean(gaps)) < 1e-12);
});

/** A tiny generator z [B, 3] → tanh(zW) as [B, 1, 2, 2]: the gradient reaches W through the min. */
const generator = (z: Tensor, w: Tensor) => reshape(tanh(matmul(z, w)), [...SHAPE]);

Deno.test("IMLE: gradients through min_j (one-hot of argmin) match float64 finite differences", async () => {
  const inputs = {
    x: { shape: SHAPE },
    z: { shape: [B, 3] },
    w: { shape: [3, D] },
  };
  const r = await checkGradients("imle", inputs, (xs) => imleLoss(xs.x!, generator(xs.z!, xs.w!)));
  assert.ok(r.checked === B * D + B * 3 + 3 * D);
});

Deno.test("IMLE repulsion: gradients of both terms, through both fake batches, match float64 finite differences", async () => {
  const inputs = {
    x: { shape: SHAPE },
    z: { shape: [B, 3] },
    z2: { shape: [B, 3] },
    w: { shape: [3, D] },
  };
  const r = await checkGradients(
    "imle repulsion",
    inputs,
    (xs) => repulsionLoss(xs.x!, generator(xs.z!, xs.w!), generator(xs.z2!, xs.w!), 0.3).loss,
  );
  assert.ok(r.checked === B * D + 2 * B * 3 + 3 * D);
});
