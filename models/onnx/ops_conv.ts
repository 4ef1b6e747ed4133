/**
 * 2-D convolution and transposed convolution (NCHW, group 1) with their gradient rules
 * (onnx-training.md §4, generalised to dilations and asymmetric pads):
 *
 * - Conv `y = conv(x, W; s, p, d)`:
 *   `dx = convT(g, W; s, p, d, output_padding)`, `dW = wg(x, g)`, `db = sum(g, [0, 2, 3])`.
 * - ConvTranspose `y = convT(x, W[Cin, Cout, kh, kw])`: `dx = conv(g, W; s, p, d)`, `dW = wg(g, x)`.
 * - The weight gradient `wg(x, g)` ({@link convWeightGrad}) is its own op, emitted as
 *   `T(conv(T(x), T(g); strides d, dilations s, pads p))[:, :, :kh, :kw]` with `T` swapping axes 0 and 1;
 *   it is bilinear, so its gradients are a convolution and a transposed convolution again, and two weight
 *   gradients with the same cotangent are summed as one.
 *
 * All gradients are again convolutions, so second-order gradients (gradient penalties) work.
 *
 * ORT has no float64 Conv/ConvTranspose kernels; float64 nodes are lowered at emission to Pad, Slice,
 * Concat and Einsum (im2col), so whole conv nets can be checked by float64 finite differences.
 *
 * @module
 */
import { apply, attr, type Emitter, type OpDef, requireFloat, sameDType, type Tensor } from "./graph.ts";
import { add } from "./ops_elementwise.ts";
import { reduceSum } from "./ops_reduce.ts";

/** Geometry of a convolution. `pads` are [top, left, bottom, right]. */
export interface ConvGeometry {
  strides: readonly [number, number];
  pads: readonly [number, number, number, number];
  dilations: readonly [number, number];
}

/** Geometry of a transposed convolution. */
export interface ConvTransposeGeometry extends ConvGeometry {
  outputPadding: readonly [number, number];
}

/** Options accepted by {@link conv2d}; `pad` is symmetric padding, `pads` overrides it. */
export interface ConvOptions {
  stride?: number | readonly [number, number];
  pad?: number | readonly [number, number];
  pads?: readonly [number, number, number, number];
  dilation?: number | readonly [number, number];
}

/** Options accepted by {@link convTranspose2d}. */
export interface ConvTransposeOptions extends ConvOptions {
  outputPadding?: number | readonly [number, number];
}

const pair = (v: number | readonly [number, number] | undefined, dflt: number): [number, number] =>
  v === undefined ? [dflt, dflt] : typeof v === "number" ? [v, v] : [v[0], v[1]];

/** The geometry that `conv2d` options describe. */
export function convGeometry(o: ConvOptions): ConvGeometry {
  const [ph, pw] = pair(o.pad, 0);
  return {
    strides: pair(o.stride, 1),
    pads: o.pads ? [...o.pads] : [ph, pw, ph, pw],
    dilations: pair(o.dilation, 1),
  };
}

function geomAttrs(t: Tensor): ConvGeometry {
  return {
    strides: t.attrs.strides as unknown as [number, number],
    pads: t.attrs.pads as unknown as [number, number, number, number],
    dilations: t.attrs.dilations as unknown as [number, number],
  };
}

function checkOperands(inputs: readonly Tensor[], wInAxis: number, wOutAxis: number) {
  const [x, w, b] = inputs as [Tensor, Tensor, Tensor | undefined];
  const dtype = sameDType(inputs);
  requireFloat(x);
  if (x.rank !== 4 || w.rank !== 4) throw new Error("needs a 4-D NCHW input and a 4-D weight");
  if (x.shape[1] !== w.shape[wInAxis]) {
    throw new Error(
      `input has ${x.shape[1]} channels but the weight expects ${w.shape[wInAxis]} (weight axis ${wInAxis})`,
    );
  }
  if (b && (b.rank !== 1 || b.shape[0] !== w.shape[wOutAxis])) {
    throw new Error(`bias must be [${w.shape[wOutAxis]}], got ${b}`);
  }
  return dtype;
}

/** Output size of a convolution along one axis. */
export function convOutSize(n: number, k: number, s: number, p0: number, p1: number, d: number): number {
  return Math.floor((n + p0 + p1 - d * (k - 1) - 1) / s) + 1;
}

/** Output size of a transposed convolution along one axis. */
export function convTransposeOutSize(
  n: number,
  k: number,
  s: number,
  p0: number,
  p1: number,
  d: number,
  op: number,
): number {
  return s * (n - 1) + op + d * (k - 1) + 1 - p0 - p1;
}

function onnxGeomAttrs(g: ConvGeometry, kernel: readonly number[]) {
  return {
    kernel_shape: attr.ints(kernel),
    strides: attr.ints(g.strides),
    pads: attr.ints(g.pads),
    dilations: attr.ints(g.dilations),
  };
}

// ---------------------------------------------------------------------------------------------
// Conv

const ConvOp: OpDef = {
  name: "Conv",
  infer(inputs, attrs) {
    const dtype = checkOperands(inputs, 1, 0);
    const [x, w] = inputs as [Tensor, Tensor];
    const { strides: s, pads: p, dilations: d } = attrs as unknown as ConvGeometry;
    const ho = convOutSize(x.shape[2]!, w.shape[2]!, s[0], p[0], p[2], d[0]);
    const wo = convOutSize(x.shape[3]!, w.shape[3]!, s[1], p[1], p[3], d[1]);
    if (ho < 1 || wo < 1) throw new Error(`the kernel does not fit: output would be ${ho}×${wo}`);
    return { dtype, shape: [x.shape[0]!, w.shape[0]!, ho, wo] };
  },
  emit(e, t, ins, out) {
    if (t.dtype === "float64") {
      emitConvF64(e, t.inputs[0]!.shape, t.inputs[1]!.shape, ins, geomAttrs(t), t.shape, out);
      return;
    }
    e.node("Conv", ins, onnxGeomAttrs(geomAttrs(t), t.inputs[1]!.shape.slice(2)), out);
  },
  vjp(g, t) {
    const [x, w, b] = t.inputs as [Tensor, Tensor, Tensor | undefined];
    const geo = geomAttrs(t);
    const [s, p, d] = [geo.strides, geo.pads, geo.dilations];
    const [kh, kw] = [w.shape[2]!, w.shape[3]!];
    // output_padding recovers the input size that integer division in the forward size lost.
    const op: [number, number] = [
      x.shape[2]! - convTransposeOutSize(t.shape[2]!, kh, s[0], p[0], p[2], d[0], 0),
      x.shape[3]! - convTransposeOutSize(t.shape[3]!, kw, s[1], p[1], p[3], d[1], 0),
    ];
    const dx = convTransposeRaw(g, w, undefined, { ...geo, outputPadding: op });
    const dw = convWeightGrad(x, g, geo, [kh, kw]);
    return b ? [dx, dw, reduceSum(g, [0, 2, 3])] : [dx, dw];
  },
};

function convRaw(x: Tensor, w: Tensor, b: Tensor | undefined, g: ConvGeometry): Tensor {
  return apply(ConvOp, b ? [x, w, b] : [x, w], {
    strides: [...g.strides],
    pads: [...g.pads],
    dilations: [...g.dilations],
  });
}

/**
 * 2-D convolution of `x` [N, C, H, W] with `w` [O, C, kh, kw] and optional bias `b` [O].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { input } from "./graph.ts";
 * import { conv2d } from "./ops_conv.ts";
 *
 * const x = input("x", "float32", [8, 3, 28, 28]);
 * const W = input("W", "float32", [16, 3, 4, 4]), b = input("b", "float32", [16]);
 * const y = conv2d(x, W, b, { stride: 2, pad: 1 }); // k4 s2 p1 halves H and W
 * assert.deepEqual(y.shape, [8, 16, 14, 14]);
 * ```
 */
export function conv2d(x: Tensor, w: Tensor, b?: Tensor, opts: ConvOptions = {}): Tensor {
  return convRaw(x, w, b, convGeometry(opts));
}

// ---------------------------------------------------------------------------------------------
// ConvTranspose

const ConvTransposeOp: OpDef = {
  name: "ConvTranspose",
  infer(inputs, attrs) {
    const dtype = checkOperands(inputs, 0, 1);
    const [x, w] = inputs as [Tensor, Tensor];
    const { strides: s, pads: p, dilations: d, outputPadding: op } =
      attrs as unknown as ConvTransposeGeometry;
    for (let i = 0; i < 2; i++) {
      if (op[i]! >= Math.max(s[i]!, d[i]!)) {
        throw new Error(`output padding ${op[i]} must be smaller than the stride or the dilation`);
      }
    }
    const ho = convTransposeOutSize(x.shape[2]!, w.shape[2]!, s[0], p[0], p[2], d[0], op[0]);
    const wo = convTransposeOutSize(x.shape[3]!, w.shape[3]!, s[1], p[1], p[3], d[1], op[1]);
    if (ho < 1 || wo < 1) throw new Error(`the padding removes everything: output would be ${ho}×${wo}`);
    return { dtype, shape: [x.shape[0]!, w.shape[1]!, ho, wo] };
  },
  emit(e, t, ins, out) {
    const geo = { ...geomAttrs(t), outputPadding: t.attrs.outputPadding as unknown as [number, number] };
    if (t.dtype === "float64") {
      emitConvTransposeF64(e, t.inputs[0]!.shape, t.inputs[1]!.shape, ins, geo, t.shape, out);
      return;
    }
    e.node(
      "ConvTranspose",
      ins,
      { ...onnxGeomAttrs(geo, t.inputs[1]!.shape.slice(2)), output_padding: attr.ints(geo.outputPadding) },
      out,
    );
  },
  vjp(g, t) {
    const [x, w, b] = t.inputs as [Tensor, Tensor, Tensor | undefined];
    const geo = geomAttrs(t);
    const [kh, kw] = [w.shape[2]!, w.shape[3]!];
    const dx = convRaw(g, w, undefined, geo);
    // ⟨g, convT(x, W)⟩ = ⟨conv(g, W), x⟩: the weight gradient of the adjoint convolution.
    const dw = convWeightGrad(g, x, geo, [kh, kw]);
    return b ? [dx, dw, reduceSum(g, [0, 2, 3])] : [dx, dw];
  },
};

function convTransposeRaw(x: Tensor, w: Tensor, b: Tensor | undefined, g: ConvTransposeGeometry): Tensor {
  return apply(ConvTransposeOp, b ? [x, w, b] : [x, w], {
    strides: [...g.strides],
    pads: [...g.pads],
    dilations: [...g.dilations],
    outputPadding: [...g.outputPadding],
  });
}

/**
 * Transposed 2-D convolution of `x` [N, C, H, W] with `w` [C, O, kh, kw] (ONNX/PyTorch layout) and
 * optional bias `b` [O]. With k4 s2 p1 it doubles H and W.
 */
export function convTranspose2d(x: Tensor, w: Tensor, b?: Tensor, opts: ConvTransposeOptions = {}): Tensor {
  return convTransposeRaw(x, w, b, { ...convGeometry(opts), outputPadding: pair(opts.outputPadding, 0) });
}

// ---------------------------------------------------------------------------------------------
// ConvWeightGrad: the weight gradient of a convolution

const ConvWeightGradOp: OpDef = {
  name: "ConvWeightGrad",
  infer(inputs, attrs) {
    const [x, g] = inputs as [Tensor, Tensor];
    const dtype = sameDType(inputs);
    requireFloat(x);
    if (x.rank !== 4 || g.rank !== 4) throw new Error("needs a 4-D NCHW input and a 4-D output cotangent");
    if (x.shape[0] !== g.shape[0]) throw new Error(`batch sizes differ: ${x} and ${g}`);
    const { strides: s, pads: p, dilations: d } = attrs as unknown as ConvGeometry;
    const [kh, kw] = attrs.kernel as unknown as [number, number];
    const ho = convOutSize(x.shape[2]!, kh, s[0], p[0], p[2], d[0]);
    const wo = convOutSize(x.shape[3]!, kw, s[1], p[1], p[3], d[1]);
    if (g.shape[2] !== ho || g.shape[3] !== wo) {
      throw new Error(
        `a ${kh}×${kw} convolution of ${x} gives ${ho}×${wo} outputs, but the cotangent is ${g}`,
      );
    }
    return { dtype, shape: [g.shape[1]!, x.shape[1]!, kh, kw] };
  },
  emit(e, t, ins, out) {
    const kernel = t.attrs.kernel as unknown as [number, number];
    emitWeightGradSwapped(e, t.inputs[0]!.shape, t.inputs[1]!.shape, ins, geomAttrs(t), kernel, out, t.dtype);
  },
  vjp(gw, t) {
    // dW = wg(x, g) is bilinear and ⟨Ḡ, wg(x, g)⟩ = ⟨g, conv(x, Ḡ)⟩, so its cotangents are the two
    // gradients of a convolution with filter Ḡ.
    const [x, g] = t.inputs as [Tensor, Tensor];
    const geo = geomAttrs(t);
    const [kh, kw] = t.attrs.kernel as unknown as [number, number];
    const op: [number, number] = [
      x.shape[2]! -
      convTransposeOutSize(g.shape[2]!, kh, geo.strides[0], geo.pads[0], geo.pads[2], geo.dilations[0], 0),
      x.shape[3]! -
      convTransposeOutSize(g.shape[3]!, kw, geo.strides[1], geo.pads[1], geo.pads[3], geo.dilations[1], 0),
    ];
    return [
      convTransposeRaw(g, gw, undefined, { ...geo, outputPadding: op }),
      convRaw(x, gw, undefined, geo),
    ];
  },
  combine(a, b) {
    // Linear in each operand: wg(x1, g) + wg(x2, g) = wg(x1 + x2, g), one convolution instead of two. A critic
    // trained with a gradient penalty gets both terms of each weight's gradient with the same cotangent g.
    if (canonicalGeometry(a) !== canonicalGeometry(b)) return null;
    const [[xa, ga], [xb, gb]] = [a.inputs, b.inputs] as [Tensor[], Tensor[]];
    if (ga === gb) return apply(ConvWeightGradOp, [add(xa!, xb!), ga!], a.attrs);
    if (xa === xb) return apply(ConvWeightGradOp, [xa!, add(ga!, gb!)], a.attrs);
    return null;
  },
};

const canonicalGeometry = (t: Tensor) =>
  JSON.stringify([t.attrs.strides, t.attrs.pads, t.attrs.dilations, t.attrs.kernel]);

/**
 * The gradient of a convolution's weight [O, C, kh, kw] from its input `x` [N, C, H, W] and its output
 * cotangent `g` [N, O, Ho, Wo] (the geometry is the convolution's):
 * `dW[o, c, a, b] = Σ_n Σ_ij g[n, o, i, j] · xpad[n, c, s·i + d·a, s·j + d·b]`.
 *
 * Also the weight gradient of a transposed convolution with the same geometry, with the roles swapped:
 * `convWeightGrad(g, x)` for `y = convTranspose(x, W)`. Being one op, two weight gradients with the same
 * cotangent are summed as one (its `combine` rule), which a gradient penalty's critic gets for every weight.
 *
 * Emitted as a convolution over swapped batch/channel axes (onnx-training.md §4). An NHWC im2col times
 * one GEMM over all images measured slower at DCGAN size (32 against 26 ms on 2 threads, 39 against 24 ms
 * of CPU on 1): building the im2col matrix costs more than the narrow per-image GEMMs lose. On CPU the
 * NCHWc rewrite (nchwc.ts) runs the swapped convolution on the blocked kernel when g has a blocked twin.
 */
export function convWeightGrad(
  x: Tensor,
  g: Tensor,
  geometry: ConvGeometry,
  kernel: readonly [number, number],
): Tensor {
  return apply(ConvWeightGradOp, [x, g], {
    strides: [...geometry.strides],
    pads: [...geometry.pads],
    dilations: [...geometry.dilations],
    kernel: [...kernel],
  });
}

/** dW = T(conv(T(x), T(g); strides d, dilations s, pads p))[:, :, :kh, :kw] with T swapping axes 0 and 1. */
function emitWeightGradSwapped(
  e: Emitter,
  xShape: readonly number[],
  gShape: readonly number[],
  ins: readonly string[],
  geo: ConvGeometry,
  [kh, kw]: readonly [number, number],
  out: string,
  dtype: string,
): void {
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [, o, ho, wo] = gShape as [number, number, number, number];
  const swapped: ConvGeometry = { strides: geo.dilations, dilations: geo.strides, pads: geo.pads };
  const fh = convOutSize(h, ho, swapped.strides[0], geo.pads[0], geo.pads[2], swapped.dilations[0]);
  const fw = convOutSize(w, wo, swapped.strides[1], geo.pads[1], geo.pads[3], swapped.dilations[1]);
  const perm = { perm: attr.ints([1, 0, 2, 3]) };
  const tx = e.node("Transpose", [ins[0]!], perm);
  const tg = e.node("Transpose", [ins[1]!], perm);
  let conv: string;
  if (dtype === "float64") {
    // `out` is unique, so is this name (no op type is lower case)
    conv = `${out}/conv`;
    emitConvF64(e, [c, n, h, w], [o, n, ho, wo], [tx, tg], swapped, [c, o, fh, fw], conv);
  } else {
    conv = e.node("Conv", [tx, tg], onnxGeomAttrs(swapped, [ho, wo]));
  }
  if (fh === kh && fw === kw) {
    e.node("Transpose", [conv], perm, out);
    return;
  }
  const full = e.node("Transpose", [conv], perm);
  e.node("Slice", [full, i64(e, [0, 0]), i64(e, [kh, kw]), i64(e, [2, 3])], {}, out);
}

// ---------------------------------------------------------------------------------------------
// float64 lowering (ORT has only float32 Conv/ConvTranspose kernels)

function i64(e: Emitter, values: readonly number[]): string {
  return e.constant(BigInt64Array.from(values, BigInt), "int64", [values.length]);
}

function f64(e: Emitter, v: number): string {
  return e.constant(new Float64Array([v]), "float64", []);
}

/** Pads (or, for negative amounts, crops) the two spatial axes of an NCHW value. */
function padCrop(
  e: Emitter,
  x: string,
  shape: readonly number[],
  pads: readonly number[],
): [string, number[]] {
  const [t, l, b, r] = pads as [number, number, number, number];
  let out = x;
  const pos = [Math.max(t, 0), Math.max(l, 0), Math.max(b, 0), Math.max(r, 0)];
  if (pos.some((p) => p > 0)) {
    out = e.node("Pad", [out, i64(e, [0, 0, pos[0]!, pos[1]!, 0, 0, pos[2]!, pos[3]!]), f64(e, 0)], {
      mode: attr.s("constant"),
    });
  }
  const h = shape[2]! + pos[0]! + pos[2]!;
  const w = shape[3]! + pos[1]! + pos[3]!;
  const crop = [Math.max(-t, 0), Math.max(-l, 0), Math.max(-b, 0), Math.max(-r, 0)];
  if (crop.some((c) => c > 0)) {
    out = e.node("Slice", [
      out,
      i64(e, [crop[0]!, crop[1]!]),
      i64(e, [h - crop[2]!, w - crop[3]!]),
      i64(e, [2, 3]),
    ]);
  }
  return [out, [shape[0]!, shape[1]!, h - crop[0]! - crop[2]!, w - crop[1]! - crop[3]!]];
}

/** im2col convolution in float64: one strided Slice per kernel tap, Concat, one Einsum. */
function emitConvF64(
  e: Emitter,
  xShape: readonly number[],
  wShape: readonly number[],
  ins: readonly string[],
  g: ConvGeometry,
  outShape: readonly number[],
  out: string,
): void {
  const [n, c] = xShape as [number, number];
  const [o, , kh, kw] = wShape as [number, number, number, number];
  const [ho, wo] = [outShape[2]!, outShape[3]!];
  const [xp] = padCrop(e, ins[0]!, xShape, g.pads);
  const taps: string[] = [];
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const h0 = a * g.dilations[0];
      const w0 = b * g.dilations[1];
      const patch = e.node("Slice", [
        xp,
        i64(e, [h0, w0]),
        i64(e, [h0 + g.strides[0] * (ho - 1) + 1, w0 + g.strides[1] * (wo - 1) + 1]),
        i64(e, [2, 3]),
        i64(e, [g.strides[0], g.strides[1]]),
      ]);
      taps.push(e.node("Reshape", [patch, i64(e, [n, c, 1, ho, wo])]));
    }
  }
  const cols = taps.length === 1 ? taps[0]! : e.node("Concat", taps, { axis: attr.i(2) });
  const wk = e.node("Reshape", [ins[1]!, i64(e, [o, c, kh * kw])]);
  if (ins.length < 3) {
    e.node("Einsum", [cols, wk], { equation: attr.s("nckhw,ock->nohw") }, out);
    return;
  }
  const y = e.node("Einsum", [cols, wk], { equation: attr.s("nckhw,ock->nohw") });
  e.node("Add", [y, e.node("Reshape", [ins[2]!, i64(e, [1, o, 1, 1])])], {}, out);
}

/** Transposed convolution in float64: dilate the input with zeros, pad, convolve with the flipped kernel. */
function emitConvTransposeF64(
  e: Emitter,
  xShape: readonly number[],
  wShape: readonly number[],
  ins: readonly string[],
  g: ConvTransposeGeometry,
  outShape: readonly number[],
  out: string,
): void {
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [, o, kh, kw] = wShape as [number, number, number, number];
  const [sh, sw] = g.strides;
  let x = ins[0]!;
  let shape = [n, c, h, w];
  if (sh > 1 || sw > 1) {
    const r = e.node("Reshape", [x, i64(e, [n, c, h, 1, w, 1])]);
    const p = e.node("Pad", [r, i64(e, [0, 0, 0, 0, 0, 0, 0, 0, 0, sh - 1, 0, sw - 1]), f64(e, 0)], {
      mode: attr.s("constant"),
    });
    const flat = e.node("Reshape", [p, i64(e, [n, c, h * sh, w * sw])]);
    shape = [n, c, (h - 1) * sh + 1, (w - 1) * sw + 1];
    x = e.node("Slice", [flat, i64(e, [0, 0]), i64(e, [shape[2]!, shape[3]!]), i64(e, [2, 3])]);
  }
  const [dh, dw] = g.dilations;
  const [padded, pshape] = padCrop(e, x, shape, [
    dh * (kh - 1) - g.pads[0],
    dw * (kw - 1) - g.pads[1],
    dh * (kh - 1) - g.pads[2] + g.outputPadding[0],
    dw * (kw - 1) - g.pads[3] + g.outputPadding[1],
  ]);
  const wt = e.node("Transpose", [ins[1]!], { perm: attr.ints([1, 0, 2, 3]) });
  const big = -(Math.max(kh, kw) + 1);
  const flipped = e.node("Slice", [
    wt,
    i64(e, [-1, -1]),
    i64(e, [big, big]),
    i64(e, [2, 3]),
    i64(e, [-1, -1]),
  ]);
  const convIns = ins.length < 3 ? [padded, flipped] : [padded, flipped, ins[2]!];
  emitConvF64(
    e,
    pshape,
    [o, c, kh, kw],
    convIns,
    { strides: [1, 1], pads: [0, 0, 0, 0], dilations: g.dilations },
    outShape,
    out,
  );
}
