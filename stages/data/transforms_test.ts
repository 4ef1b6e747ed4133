import assert from "node:assert/strict";
import type { FeatureSpec } from "./manifest.ts";
import { Rng } from "./random.ts";
import { compileTransform, type TransformSpec } from "./transforms.ts";

const gray: FeatureSpec = { dtype: "uint8", shape: [1, 4, 1], description: "", levels: 256, layout: "hwc" };
const values = Uint8Array.from([0, 1, 128, 255]);

/** Applies `spec` to the one record of `src`. */
function run(
  spec: TransformSpec,
  feature: FeatureSpec = gray,
  src: Uint8Array | Float32Array = values,
  seed = 0,
) {
  const t = compileTransform("image", feature, spec);
  const n = src.length / t.recordSize;
  const out = t.allocate(n);
  const ids = Int32Array.from({ length: n }, (_, i) => i);
  t.gather(src, ids, { from: 0, to: n, at: 0 }, out, t.needsNoise ? new Rng(seed) : undefined);
  return { out: [...out], dims: t.dims(n), dtype: t.dtype };
}

Deno.test("compileTransform() scales to [0, 1], [-1, 1] or keeps levels, exactly", () => {
  const f = Math.fround;
  assert.deepEqual(run({}).out, [0, f(1 / 255), f(128 / 255), 1]);
  assert.deepEqual(run({ scale: "unit" }).out, [0, f(1 / 255), f(128 / 255), 1]);
  assert.deepEqual(run({ scale: "symmetric" }).out, [-1, f(-253 / 255), f(1 / 255), 1]);
  assert.deepEqual(run({ scale: "levels" }).out, [0, 1, 128, 255]);
  assert.deepEqual(run({ dtype: "uint8" }), { out: [0, 1, 128, 255], dims: [1, 4], dtype: "uint8" });
  // 17 levels (sklearn digits): divide by 16.
  const digits: FeatureSpec = { ...gray, levels: 17 };
  assert.deepEqual(run({}, digits, Uint8Array.from([0, 4, 8, 16])).out, [0, 0.25, 0.5, 1]);
  assert.deepEqual(run({ scale: "symmetric" }, digits, Uint8Array.from([0, 4, 8, 16])).out, [-1, -0.5, 0, 1]);
});

Deno.test("compileTransform() dequantizes inside each bin, seeded, with exact float32 values", () => {
  const src = Uint8Array.from({ length: 256 * 4 }, (_, i) => i % 256);
  const feature: FeatureSpec = { ...gray, shape: [1, 1024, 1] };
  const a = run({ dequantize: true }, feature, src, 3).out;
  assert.deepEqual(a, run({ dequantize: true }, feature, src, 3).out);
  assert.notDeepEqual(a, run({ dequantize: true }, feature, src, 4).out);
  for (let i = 0; i < src.length; i++) {
    assert.equal(Math.floor(a[i]! * 256), src[i], `value ${i}: ${a[i]} left bin ${src[i]}`);
    assert.equal(a[i], Math.fround(a[i]!));
  }
  // Exact values: two 16-bit uniforms per 32-bit draw, low half first; x = (v·65536 + u16) / 2^24.
  const rng = new Rng(9);
  const bits = rng.uint32();
  const [u0, u1] = [bits & 0xffff, bits >>> 16];
  const v = Uint8Array.from([10, 200]);
  const f2: FeatureSpec = { ...gray, shape: [1, 2, 1] };
  assert.deepEqual(run({ dequantize: true }, f2, v, 9).out, [
    (10 * 65536 + u0) / 2 ** 24,
    (200 * 65536 + u1) / 2 ** 24,
  ]);
  assert.deepEqual(run({ dequantize: true, scale: "symmetric" }, f2, v, 9).out, [
    (2 * (10 * 65536 + u0)) / 2 ** 24 - 1,
    (2 * (200 * 65536 + u1)) / 2 ** 24 - 1,
  ]);
  assert.deepEqual(run({ dequantize: true, scale: "levels" }, f2, v, 9).out, [
    10 + u0 / 65536,
    200 + u1 / 65536,
  ]);
  // addNoise: the reference code's U(0, w) after scaling, e.g. half a bin on [−1, 1].
  assert.deepEqual(run({ scale: "symmetric", addNoise: 1 / 256 }, f2, v, 9).out, [
    Math.fround((2 * 10 - 255) / 255 + (u0 / 65536) / 256),
    Math.fround((2 * 200 - 255) / 255 + (u1 / 65536) / 256),
  ]);
  // Odd record sizes and NCHW transposition take the general path: same draws, same order.
  const u2 = new Rng(9);
  const draws = [u2.uint32(), u2.uint32()];
  const u = [draws[0]! & 0xffff, draws[0]! >>> 16, draws[1]! & 0xffff];
  const odd: FeatureSpec = { ...gray, shape: [1, 3, 1] };
  assert.deepEqual(run({ dequantize: true, scale: "levels" }, odd, Uint8Array.from([1, 2, 3]), 9).out, [
    1 + u[0]! / 65536,
    2 + u[1]! / 65536,
    3 + u[2]! / 65536,
  ]);
  assert.deepEqual(run({ scale: "levels", addNoise: 2 }, odd, Uint8Array.from([1, 2, 3]), 9).out, [
    1 + (2 * u[0]!) / 65536,
    2 + (2 * u[1]!) / 65536,
    3 + (2 * u[2]!) / 65536,
  ]);
  const rgb: FeatureSpec = { dtype: "uint8", shape: [1, 1, 3], description: "", layout: "hwc" };
  assert.deepEqual(
    run({ dequantize: true, scale: "levels", layout: "nchw" }, rgb, Uint8Array.from([1, 2, 3]), 9).out,
    run({ dequantize: true, scale: "levels" }, odd, Uint8Array.from([1, 2, 3]), 9).out,
  );
});

Deno.test("compileTransform() binarizes with a fixed threshold or dynamically (seeded Bernoulli)", () => {
  assert.deepEqual(run({ binarize: "fixed" }).out, [0, 0, 1, 1]); // 128/255 > 0.5
  assert.deepEqual(run({ binarize: "fixed", threshold: 0.6 }).out, [0, 0, 0, 1]);
  assert.deepEqual(run({ binarize: "fixed", scale: "symmetric" }).out, [-1, -1, 1, 1]);
  // Dynamic: 0 is never on, 255 always; 128 is on about 128/255 of the time.
  const n = 20_000;
  const src = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) src.set([0, 128, 255], 3 * i);
  const out = run({ binarize: "dynamic" }, { ...gray, shape: [1, 3 * n, 1] }, src, 5).out;
  let on = 0;
  for (let i = 0; i < n; i++) {
    assert.equal(out[3 * i], 0);
    assert.equal(out[3 * i + 2], 1);
    on += out[3 * i + 1]!;
  }
  assert.ok(Math.abs(on / n - 128 / 255) < 0.01, `P(on | 128) = ${on / n}`);
  assert.deepEqual(out, run({ binarize: "dynamic" }, { ...gray, shape: [1, 3 * n, 1] }, src, 5).out);
});

Deno.test("compileTransform() lays out images flat, NHWC or NCHW", () => {
  const rgb: FeatureSpec = { dtype: "uint8", shape: [2, 2, 3], description: "", layout: "hwc" };
  // Pixel p has channels (10p, 10p + 1, 10p + 2).
  const src = Uint8Array.from([0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32]);
  assert.deepEqual(run({ scale: "levels" }, rgb, src).dims, [1, 12]);
  assert.deepEqual(run({ scale: "levels", layout: "nhwc" }, rgb, src), {
    out: [...src],
    dims: [1, 2, 2, 3],
    dtype: "float32",
  });
  assert.deepEqual(run({ scale: "levels", layout: "nchw" }, rgb, src), {
    out: [0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32],
    dims: [1, 3, 2, 2],
    dtype: "float32",
  });
  assert.deepEqual(run({ dtype: "uint8", layout: "nchw" }, rgb, src).out, [
    0,
    10,
    20,
    30,
    1,
    11,
    21,
    31,
    2,
    12,
    22,
    32,
  ]);
  assert.deepEqual(run({ layout: "nchw" }).dims, [1, 1, 1, 4]);
});

Deno.test("compileTransform() rejects options that do not apply, naming them", () => {
  const point: FeatureSpec = { dtype: "float32", shape: [2], description: "" };
  assert.deepEqual(run({}, point, Float32Array.from([0.5, -2])), {
    out: [0.5, -2],
    dims: [1, 2],
    dtype: "float32",
  });
  assert.throws(
    () => run({ scale: "unit" }, point, new Float32Array(2)),
    /Cannot apply scale to feature 'image': it is float32/,
  );
  assert.throws(
    () => run({ layout: "nchw" }, point, new Float32Array(2)),
    /needs an image shape \[H, W, C\]/,
  );
  assert.throws(
    () => run({ dequantize: true, binarize: "fixed" }),
    /Cannot use dequantize and binarize together/,
  );
  assert.throws(
    () => run({ dequantize: true, addNoise: 0.1 }),
    /Cannot use dequantize and addNoise together/,
  );
  assert.throws(() => run({ dtype: "uint8", scale: "unit" }), /Cannot apply scale .* dtype 'uint8'/);
  assert.throws(() => run({ threshold: 0.3 }), /threshold .* without binarize/);
  assert.throws(() => run({ scale: "unit-ish" } as unknown as TransformSpec), /scale/);
  assert.throws(() => run({ scael: "unit" } as unknown as TransformSpec), /scael/);
});
