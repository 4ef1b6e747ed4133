import assert from "node:assert/strict";
import pkg from "onnx-proto";
import { emitModel } from "./emit.ts";
import { input, type Tensor } from "./graph.ts";
import { NCHWC_DOMAIN, rewriteForNchwc } from "./nchwc.ts";
import {
  conv2d,
  convGeometry,
  convTranspose2d,
  type ConvTransposeOptions,
  convWeightGrad,
} from "./ops_conv.ts";
import { wganDivStep } from "./models/wgan_div.ts";
import { leakyRelu } from "./ops_elementwise.ts";
import { createSession, nchwcBlockSize, runSession } from "./session.ts";
import { randn, relL2 } from "./testing.ts";

const { onnx } = pkg;
const BLOCK = await nchwcBlockSize();
if (BLOCK === 0) {
  console.warn("nchwc_test: this onnxruntime build has no NCHWc kernels; the rewrite is not used");
}

interface Case {
  name: string;
  transpose?: boolean;
  x: number[];
  w: number[];
  bias?: boolean;
  opts: ConvTransposeOptions;
  /** Whether the rewrite applies (with block size 16). */
  rewritten: boolean;
  /** NCHWc convolutions it takes (default 1; a transposed convolution one per output phase). */
  convs?: number;
}

// Channel counts are multiples of 16 (the AVX-512 block; AVX2's 8 divides them too) unless a case says.
const cases: Case[] = [
  {
    name: "conv k4 s2 p1, bias",
    x: [3, 16, 14, 14],
    w: [32, 16, 4, 4],
    bias: true,
    opts: { stride: 2, pad: 1 },
    rewritten: true,
  },
  { name: "conv k3 s1 p1", x: [2, 32, 7, 7], w: [16, 32, 3, 3], opts: { pad: 1 }, rewritten: true },
  {
    name: "conv from 1 channel (NCHW input)",
    x: [2, 1, 28, 28],
    w: [16, 1, 4, 4],
    bias: true,
    opts: { stride: 2, pad: 1 },
    rewritten: true,
  },
  {
    name: "conv dilation 2, asymmetric pads, strides (2, 1)",
    x: [2, 16, 11, 9],
    w: [16, 16, 3, 2],
    opts: { stride: [2, 1], dilation: 2, pads: [1, 0, 2, 1] },
    rewritten: true,
  },
  {
    name: "convT k4 s2 p1 (four phases), bias",
    transpose: true,
    x: [2, 32, 7, 7],
    w: [32, 16, 4, 4],
    bias: true,
    opts: { stride: 2, pad: 1 },
    rewritten: true,
    convs: 4,
  },
  {
    name: "convT k4 s2 p1 from 1 channel",
    transpose: true,
    x: [2, 1, 5, 5],
    w: [1, 16, 4, 4],
    opts: { stride: 2, pad: 1 },
    rewritten: true,
    convs: 4,
  },
  {
    name: "convT k3 s1 p1 (one phase)",
    transpose: true,
    x: [2, 16, 6, 6],
    w: [16, 16, 3, 3],
    opts: { pad: 1 },
    rewritten: true,
  },
  {
    name: "convT k4 s2, asymmetric pads, output_padding 1",
    transpose: true,
    x: [1, 16, 5, 6],
    w: [16, 16, 4, 4],
    opts: { stride: 2, pads: [1, 2, 2, 1], outputPadding: 1 },
    rewritten: true,
    convs: 4,
  },
  {
    name: "convT k4 s2 p1 output_padding 1 (odd output: one cropped convolution)",
    transpose: true,
    x: [2, 16, 5, 5],
    w: [16, 16, 4, 4],
    opts: { stride: 2, pad: 1, outputPadding: 1 },
    rewritten: true,
    convs: 1,
  },
  // Left alone: output channels not in whole blocks, input channels neither few nor whole blocks, a
  // transposed convolution with dilation, or whose kernel is not a multiple of the stride.
  { name: "conv to 8 channels", x: [2, 16, 8, 8], w: [8, 16, 3, 3], opts: { pad: 1 }, rewritten: false },
  { name: "conv from 24 channels", x: [2, 24, 8, 8], w: [16, 24, 3, 3], opts: { pad: 1 }, rewritten: false },
  {
    name: "convT dilation 2",
    transpose: true,
    x: [2, 16, 5, 5],
    w: [16, 16, 3, 3],
    opts: { dilation: 2 },
    rewritten: false,
  },
  {
    name: "convT k3 s2",
    transpose: true,
    x: [2, 16, 5, 5],
    w: [16, 16, 3, 3],
    opts: { stride: 2, pad: 1 },
    rewritten: false,
  },
];

function build(c: Case) {
  const x = input("x", "float32", c.x);
  const w = input("w", "float32", c.w);
  const b = c.bias ? input("b", "float32", [c.transpose ? c.w[1]! : c.w[0]!]) : undefined;
  const y: Tensor = c.transpose ? convTranspose2d(x, w, b, c.opts) : conv2d(x, w, b, c.opts);
  // A second consumer of the output (kept NCHW) next to a second convolution of the first one's output.
  return emitModel({ name: c.name, outputs: { y, z: leakyRelu(y, 0.2) } });
}

const nchwcNodes = (bytes: Uint8Array) =>
  onnx.ModelProto.decode(bytes).graph!.node!.filter((n) => n.domain === NCHWC_DOMAIN).map((n) => n.opType);

for (const c of cases) {
  Deno.test({
    name: `NCHWc rewrite, ${c.name}: ${c.rewritten ? "same values as the plain kernels" : "left alone"}`,
    ignore: BLOCK === 0,
    async fn() {
      const bytes = build(c);
      const rewritten = rewriteForNchwc(bytes, 16);
      if (!c.rewritten) {
        assert.equal(rewritten, bytes, "nothing to rewrite: the same bytes come back");
        return;
      }
      const convs = nchwcNodes(rewritten).filter((o) => o === "Conv").length;
      assert.equal(convs, c.convs ?? 1, `NCHWc convolutions: ${nchwcNodes(rewritten).join(", ")}`);
      assert.deepEqual(rewriteForNchwc(bytes, 16), rewritten, "the rewrite is deterministic");
      const feeds = {
        x: randn(c.x.reduce((a, b) => a * b), 1, "float32"),
        w: randn(c.w.reduce((a, b) => a * b), 2, "float32"),
        ...(c.bias ? { b: randn(c.transpose ? c.w[1]! : c.w[0]!, 3, "float32") } : {}),
      };
      const plain = await runSession(await createSession(bytes, { nchwc: false }), feeds);
      const fast = await runSession(await createSession(bytes), feeds);
      for (const k of ["y", "z"]) {
        assert.deepEqual(fast[k]!.dims, plain[k]!.dims);
        const err = relL2(Array.from(fast[k]!.data as Float32Array), plain[k]!.data as Float32Array);
        assert.ok(err < 1e-6, `${k}: relative L2 error ${err} between NCHWc and plain kernels`);
      }
    },
  });
}

Deno.test({
  name: "NCHWc rewrite: chained convolutions pass the blocked layout on",
  ignore: BLOCK === 0,
  async fn() {
    const x = input("x", "float32", [2, 16, 16, 16]);
    const w1 = input("w1", "float32", [32, 16, 4, 4]);
    const w2 = input("w2", "float32", [16, 32, 3, 3]);
    const y = conv2d(conv2d(x, w1, undefined, { stride: 2, pad: 1 }), w2, undefined, { pad: 1 });
    const bytes = emitModel({ name: "chain", outputs: { y } });
    const ops = nchwcNodes(rewriteForNchwc(bytes, 16));
    // One reorder in, one out: the first convolution's blocked output feeds the second directly.
    assert.deepEqual(ops.filter((o) => o !== "Conv"), ["ReorderInput", "ReorderOutput"]);
    const feeds = {
      x: randn(2 * 16 * 256, 1, "float32"),
      w1: randn(32 * 16 * 16, 2, "float32"),
      w2: randn(16 * 32 * 9, 3, "float32"),
    };
    const plain = await runSession(await createSession(bytes, { nchwc: false }), feeds);
    const fast = await runSession(await createSession(bytes), feeds);
    assert.ok(relL2(Array.from(fast.y!.data as Float32Array), plain.y!.data as Float32Array) < 1e-6);
  },
});

Deno.test({
  name: "NCHWc rewrite: the Scan body of a fused train step is rewritten too",
  ignore: BLOCK === 0,
  fn() {
    const step = wganDivStep(16, { zDim: 16, gChannels: [32, 16], dChannels: [16, 32] });
    const model = onnx.ModelProto.decode(rewriteForNchwc(step.fusedModel(2), 16));
    const scan = model.graph!.node!.find((n) => n.opType === "Scan")!;
    const body = scan.attribute!.find((a) => a.name === "body")!.g!;
    const ops = body.node!.filter((n) => n.domain === NCHWC_DOMAIN).map((n) => n.opType);
    assert.ok(
      ops.filter((o) => o === "Conv").length >= 6,
      `NCHWc convolutions in the body: ${ops.join(", ")}`,
    );
    assert.ok(model.opsetImport!.some((o) => o.domain === NCHWC_DOMAIN));
  },
});

Deno.test({
  name: "NCHWc rewrite: a weight gradient whose cotangent has a blocked twin takes its filter from the twin",
  ignore: BLOCK === 0,
  async fn() {
    // g is a rewritten Conv's output, so it has a blocked twin; wg(x, g) is T(conv(T(x), T(g))), whose
    // filter T(g) is 12× its output: only the twin makes it worth taking.
    const a = input("a", "float32", [64, 16, 14, 14]);
    const wa = input("wa", "float32", [32, 16, 3, 3]);
    const g = conv2d(a, wa, undefined, { pad: 1, stride: 2 }); // [64, 32, 7, 7]
    const x = input("x", "float32", [64, 16, 14, 14]);
    const dw = convWeightGrad(x, g, convGeometry({ stride: 2, pad: 1 }), [4, 4]);
    const bytes = emitModel({ name: "wg", outputs: { dw } });
    const ops = nchwcNodes(rewriteForNchwc(bytes, 16));
    assert.equal(ops.filter((o) => o === "Conv").length, 2, `NCHWc nodes: ${ops.join(", ")}`);
    const feeds = {
      a: randn(64 * 16 * 196, 1, "float32"),
      wa: randn(32 * 16 * 9, 2, "float32"),
      x: randn(64 * 16 * 196, 3, "float32"),
    };
    const plain = await runSession(await createSession(bytes, { nchwc: false }), feeds);
    const fast = await runSession(await createSession(bytes), feeds);
    assert.ok(relL2(Array.from(fast.dw!.data as Float32Array), plain.dw!.data as Float32Array) < 1e-6);
  },
});
