import assert from "node:assert/strict";
import { grad } from "./autodiff.ts";
import { input, type Tensor } from "./graph.ts";
import {
  conv2d,
  convGeometry,
  convTranspose2d,
  type ConvTransposeOptions,
  convWeightGrad,
} from "./ops_conv.ts";
import { add, cast, mul, tanh } from "./ops_elementwise.ts";
import { reduceSum } from "./ops_reduce.ts";
import { checkGradients, evaluate, randn, relL2 } from "./testing.ts";

interface Case {
  name: string;
  transpose: boolean;
  x: number[];
  w: number[];
  opts: ConvTransposeOptions;
}

const cases: Case[] = [
  { name: "conv k3 s1 p1", transpose: false, x: [2, 3, 6, 6], w: [4, 3, 3, 3], opts: { pad: 1 } },
  { name: "conv k4 s2 p1", transpose: false, x: [2, 2, 7, 7], w: [3, 2, 4, 4], opts: { stride: 2, pad: 1 } },
  {
    name: "conv k3 s2 dilation 2, asymmetric pads",
    transpose: false,
    x: [1, 2, 9, 8],
    w: [2, 2, 3, 2],
    opts: { stride: [2, 1], dilation: [2, 1], pads: [1, 0, 2, 1] },
  },
  { name: "convT k4 s2 p1", transpose: true, x: [2, 3, 4, 4], w: [3, 2, 4, 4], opts: { stride: 2, pad: 1 } },
  {
    name: "convT k3 s2 p1 output_padding 1",
    transpose: true,
    x: [1, 2, 3, 4],
    w: [2, 3, 3, 3],
    opts: { stride: 2, pad: 1, outputPadding: 1 },
  },
  {
    name: "convT k2 s1 dilation 2, asymmetric pads",
    transpose: true,
    x: [2, 2, 4, 3],
    w: [2, 2, 2, 3],
    opts: { dilation: 2, pads: [1, 0, 0, 1] },
  },
];

function layer(c: Case, x: Tensor, w: Tensor, b: Tensor): Tensor {
  return c.transpose ? convTranspose2d(x, w, b, c.opts) : conv2d(x, w, b, c.opts);
}

const outChannels = (c: Case) => (c.transpose ? c.w[1]! : c.w[0]!);

for (const c of cases) {
  Deno.test(`${c.name}: float64 gradients (ConvTranspose/Conv rules) match finite differences`, async () => {
    // The output weights w make every output entry count differently; tanh makes it nonlinear.
    const x = input("x", "float64", c.x);
    const w = input("w", "float64", c.w);
    const b = input("b", "float64", [outChannels(c)]);
    const outShape = layer(c, x, w, b).shape;
    await checkGradients(
      c.name,
      { x: { shape: c.x }, w: { shape: c.w }, b: { shape: [outChannels(c)] }, v: { shape: outShape } },
      (xs) => reduceSum(mul(tanh(layer(c, xs.x!, xs.w!, xs.b!)), xs.v!)),
      { maxEntries: 24 },
    );
  });

  Deno.test(`${c.name}: float32 ORT kernels agree with the float64 lowering (value and gradients)`, async () => {
    const run = async (dtype: "float32" | "float64") => {
      const x = input("x", dtype, c.x);
      const w = input("w", dtype, c.w);
      const b = input("b", dtype, [outChannels(c)]);
      const y = layer(c, x, w, b);
      const v = input("v", dtype, y.shape);
      const loss = reduceSum(mul(tanh(y), v));
      const [dx, dw, db] = grad(loss, [x, w, b]);
      const feeds = {
        x: randn(c.x.reduce((p, q) => p * q), 1, dtype),
        w: randn(c.w.reduce((p, q) => p * q), 2, dtype),
        b: randn(outChannels(c), 3, dtype),
        v: randn(y.size, 4, dtype),
      };
      return await evaluate({
        y: cast(y, "float64"),
        dx: cast(dx!, "float64"),
        dw: cast(dw!, "float64"),
        db: cast(db!, "float64"),
      }, feeds);
    };
    const f32 = await run("float32");
    const f64 = await run("float64");
    for (const k of ["y", "dx", "dw", "db"]) {
      const err = relL2(f32[k] as Float64Array, f64[k] as Float64Array);
      assert.ok(err < 2e-5, `${k}: relative L2 error ${err} (float32 vs float64)`);
    }
  });
}

Deno.test("conv geometry errors say what does not fit", () => {
  const x = input("x", "float32", [1, 3, 8, 8]);
  const w = input("w", "float32", [4, 2, 3, 3]);
  assert.throws(() => conv2d(x, w), /Conv at top level: input has 3 channels but the weight expects 2/);
});

// ---------------------------------------------------------------------------------------------
// ConvWeightGrad: the weight gradient of both convolutions, bilinear, merged on a shared cotangent

const wgCases = [
  { name: "k4 s2 p1", x: [2, 3, 8, 8], kernel: [4, 4] as const, opts: { stride: 2, pad: 1 } },
  {
    name: "k3 s2 dilation 2, asymmetric pads",
    x: [2, 2, 9, 8],
    kernel: [3, 2] as const,
    opts: { stride: [2, 1] as const, dilation: [2, 1] as const, pads: [1, 0, 2, 1] as const },
  },
];

for (const c of wgCases) {
  Deno.test(`ConvWeightGrad ${c.name}: its own gradients (for higher orders) match float64 finite differences`, async () => {
    const o = 3;
    const probe = conv2d(
      input("px", "float64", c.x),
      input("pw", "float64", [o, c.x[1]!, ...c.kernel]),
      undefined,
      c.opts,
    );
    const geo = convGeometry(c.opts);
    await checkGradients(
      `wg ${c.name}`,
      { x: { shape: c.x }, g: { shape: probe.shape }, v: { shape: [o, c.x[1]!, ...c.kernel] } },
      (xs) => reduceSum(mul(tanh(convWeightGrad(xs.x!, xs.g!, geo, c.kernel)), xs.v!)),
      { maxEntries: 24 },
    );
  });
}

Deno.test("two weight gradients with the same cotangent are summed as one, with the same value", async () => {
  const x1 = input("x1", "float64", [2, 3, 6, 6]);
  const x2 = input("x2", "float64", [2, 3, 6, 6]);
  const w = input("w", "float64", [4, 3, 4, 4]);
  const v = input("v", "float64", [2, 4, 3, 3]);
  const f = (xs: Record<string, Tensor>) =>
    reduceSum(
      mul(
        add(
          conv2d(xs.x1!, xs.w!, undefined, { stride: 2, pad: 1 }),
          conv2d(xs.x2!, xs.w!, undefined, { stride: 2, pad: 1 }),
        ),
        xs.v!,
      ),
    );
  // Both convolutions get the cotangent v, so dL/dw = wg(x1, v) + wg(x2, v) = wg(x1 + x2, v).
  const [dw] = grad(f({ x1, x2, w, v }), [w]);
  assert.equal(dw!.op.name, "ConvWeightGrad");
  assert.equal(dw!.inputs[0]!.op.name, "Add");
  await checkGradients("shared cotangent", {
    x1: { shape: x1.shape },
    x2: { shape: x2.shape },
    w: { shape: w.shape },
    v: { shape: v.shape },
  }, f);
});
