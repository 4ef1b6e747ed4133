/**
 * A load-time rewrite of float32 convolutions with *dynamic* filters (trainable weights fed as graph
 * inputs, gradients used as filters) onto onnxruntime's blocked-layout NCHWc kernels.
 *
 * Why: onnxruntime's own NCHWc transformer (graph optimisation level 'all') only rewrites a Conv whose
 * filter is a constant initializer, because it reorders the filter once at load time, and it never
 * rewrites ConvTranspose. In a train step no filter is constant, so every convolution ran MLAS's generic
 * path: per image an im2col and a GEMM only Ho·Wo (16–49) columns wide. The NCHWc kernel
 * (`com.microsoft.nchwc:Conv`) reads its filter at run time (contrib_ops/cpu/nchwc_ops.cc), so reordering
 * the filter *in the graph* (Reshape, Transpose: filters are small) gives the direct blocked convolution to
 * dynamic filters too. Results agree with the plain kernels to float32 rounding (nchwc_test.ts).
 *
 * - Conv (2-D, group 1, no auto_pad, output channels in whole blocks): input reordered to NCHWc
 *   (`ReorderInput`) unless it has fewer channels than a block (then MLAS reads NCHW directly, filter
 *   layout OIHWBo), filter reordered to OIHWBiBo (or OIHWBo), output reordered back (`ReorderOutput`). A
 *   value reordered once is reused, and a Conv that consumes a rewritten Conv's output takes its blocked
 *   value directly. A filter several times larger than the output (an activation used as a filter, as in
 *   ConvWeightGrad's swapped convolution T(conv(T(x), T(g)))) is taken only when g has a blocked twin,
 *   from which the filter is one transpose of whole blocks; reordering it float by float costs more
 *   than the faster kernel saves.
 * - ConvTranspose (2-D, group 1, dilation 1, kernel a multiple of the stride, equal strides, output
 *   channels in whole blocks): the sub-pixel ("phase") decomposition. With k = s·kk, output phase σ of
 *   each axis is a kk-tap correlation of the input with the taps W[s(kk−1−t) + r], r = (σ + p0) mod s:
 *   one exact NCHWc Conv per output phase when the output is a multiple of the stride (else one Conv
 *   with s²·Cout channels, cropped), the phases interleaved by a transpose that moves whole blocks. No
 *   multiplication by the zeros a convolution of the zero-upsampled input would insert.
 *
 * Constant filters (baked weights) are rewritten the same way, so that a model with baked weights computes
 * bit for bit what the same model with its weights as inputs computes; onnxruntime's constant folding
 * then reorders them once at load time. Everything else is left alone. The rewrite runs in
 * `createSession` (session.ts) for the CPU provider only; the bytes on disk stay standard ONNX. It is
 * deterministic (same model and block size, same bytes), and the NCHWc kernels are deterministic run to
 * run, so train steps stay bit-reproducible.
 *
 * @module
 */
import pkg from "onnx-proto";

const { onnx } = pkg;
type ModelProto = pkg.onnx.IModelProto;
type GraphProto = pkg.onnx.IGraphProto;
type NodeProto = pkg.onnx.INodeProto;
type AttributeProto = pkg.onnx.IAttributeProto;

/** The operator domain of onnxruntime's NCHWc kernels. */
export const NCHWC_DOMAIN = "com.microsoft.nchwc";
const FLOAT = 1;
const AT = onnx.AttributeProto.AttributeType;

type LongLike = number | { toNumber(): number };
const num = (v: LongLike | null | undefined): number =>
  v === null || v === undefined ? 0 : typeof v === "number" ? v : v.toNumber();

function attrOf(node: NodeProto, name: string): AttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name) as AttributeProto | undefined;
}
function ints(node: NodeProto, name: string, fallback: number[]): number[] {
  const a = attrOf(node, name);
  return a && (a.ints ?? []).length > 0 ? (a.ints as LongLike[]).map(num) : fallback;
}
function int(node: NodeProto, name: string, fallback: number): number {
  const a = attrOf(node, name);
  return a ? num(a.i as LongLike) : fallback;
}
function str(node: NodeProto, name: string): string {
  const a = attrOf(node, name);
  return a?.s ? new TextDecoder().decode(a.s as Uint8Array) : "";
}

type Attr = number | number[] | string;
function attribute(name: string, v: Attr) {
  if (typeof v === "string") return { name, type: AT.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AT.INTS, ints: v };
  return { name, type: AT.INT, i: v };
}

interface ValueType {
  elemType: number;
  dims: number[];
}

/** What the rewrite of one graph needs to know and to share. */
interface Scope {
  readonly types: Map<string, ValueType>;
  /** Every name used anywhere in the model, so that new names never collide. */
  readonly taken: Set<string>;
  readonly block: number;
}

function collectTypes(graph: GraphProto, into: Map<string, ValueType>): void {
  for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    const t = v.type?.tensorType;
    if (!t?.shape?.dim) continue;
    const dims = t.shape.dim.map((
      d,
    ) => (d.dimValue === null || d.dimValue === undefined ? -1 : num(d.dimValue)));
    if (dims.some((d) => d <= 0)) continue;
    into.set(v.name!, { elemType: t.elemType ?? 0, dims });
  }
  for (const init of graph.initializer ?? []) {
    into.set(init.name!, { elemType: init.dataType ?? 0, dims: (init.dims ?? []).map(num) });
  }
}

function collectNames(graph: GraphProto, into: Set<string>): void {
  for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    into.add(v.name!);
  }
  for (const init of graph.initializer ?? []) into.add(init.name!);
  for (const n of graph.node ?? []) {
    into.add(n.name ?? "");
    for (const o of n.output ?? []) into.add(o);
    for (const a of n.attribute ?? []) {
      if (a.g) collectNames(a.g as GraphProto, into);
      for (const g of a.graphs ?? []) collectNames(g as GraphProto, into);
    }
  }
}

/** Writes the nodes and constants that replace one original node, named after it. */
class Builder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: unknown[] = [];
  #k = 0;
  constructor(private readonly scope: Scope, private readonly base: string, private readonly graph: Graph) {}

  fresh(tag: string): string {
    let name = `${this.base}_${tag}`;
    while (this.scope.taken.has(name)) name = `${this.base}_${tag}_${++this.#k}`;
    this.scope.taken.add(name);
    return name;
  }

  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, domain = "", out?: string): string {
    const output = out ?? this.fresh(op);
    this.nodes.push(onnx.NodeProto.fromObject({
      name: out ? this.fresh(op) : output,
      opType: op,
      domain,
      input: inputs,
      output: [output],
      attribute: Object.keys(attrs).sort().map((k) => attribute(k, attrs[k]!)),
    }));
    return output;
  }

  i64(values: number[]): string {
    return this.graph.i64(values);
  }
}

/** One graph being rewritten (the main graph or a Scan/Loop body). */
class Graph {
  /** value → its NCHWc twin (same values, blocked layout, channels a multiple of the block). */
  readonly twins = new Map<string, string>();
  /** (filter, layout) → reordered filter. */
  readonly filters = new Map<string, string>();
  /** value → the original node that produces it. */
  readonly producers = new Map<string, NodeProto>();
  readonly #consts = new Map<string, string>();
  readonly newInits: unknown[] = [];
  constructor(readonly scope: Scope, readonly proto: GraphProto) {}

  i64(values: number[]): string {
    const key = values.join(",");
    const hit = this.#consts.get(key);
    if (hit) return hit;
    let name = `nchwc/i64/${values.length <= 6 ? values.join("_") : `${values.slice(0, 3).join("_")}_etc`}`;
    for (let k = 1; this.scope.taken.has(name); k++) name = `nchwc/i64/${key.length}_${k}`;
    this.scope.taken.add(name);
    const data = BigInt64Array.from(values, BigInt);
    this.newInits.push({
      name,
      dims: [values.length],
      dataType: 7,
      rawData: new Uint8Array(data.buffer),
    });
    this.#consts.set(key, name);
    return name;
  }
}

const numel = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/**
 * The filter `w` [O, I, kh, kw] (O a multiple of the block) in the layout the NCHWc kernel reads:
 * OIHWBiBo when `I` fills whole blocks, OIHWBo when the input stays NCHW (fewer channels than a block).
 * Shared between the nodes that use the same filter.
 */
function reorderFilter(b: Builder, g: Graph, w: string, dims: number[], nchwInput: boolean): string {
  const key = `${w}|${nchwInput}`;
  const hit = g.filters.get(key);
  if (hit) return hit;
  const B = g.scope.block;
  const [o, i, kh, kw] = dims as [number, number, number, number];
  const blocked = nchwInput
    ? b.node("Transpose", [b.node("Reshape", [w, b.i64([o / B, B, i, kh, kw])])], { perm: [0, 2, 3, 4, 1] })
    : b.node("Transpose", [b.node("Reshape", [w, b.i64([o / B, B, i / B, B, kh, kw])])], {
      perm: [0, 2, 4, 5, 3, 1],
    });
  const out = b.node("Reshape", [blocked, b.i64([o, i, kh, kw])]);
  g.filters.set(key, out);
  return out;
}

/**
 * The phase filters of a transposed convolution with weight `w` [Cin, Cout, s·kkh, s·kkw], already in the
 * blocked layout: [s²·Cout, Cin, kkh, kkw] whose channel block r = rh·s + rw holds, as OIHWBiBo (or OIHWBo
 * for an NCHW input), the taps W[i, o, s(kk−1−t) + rh, s(kk−1−u) + rw]. One flip and one transpose for
 * all phases, shared by every transposed convolution with the same weight.
 */
function phaseFilters(
  b: Builder,
  g: Graph,
  w: string,
  dims: number[],
  st: number,
  nchwInput: boolean,
): string {
  const key = `${w}|phases|${st}|${nchwInput}`;
  const hit = g.filters.get(key);
  if (hit) return hit;
  const B = g.scope.block;
  const [cin, cout, kh, kw] = dims as [number, number, number, number];
  const [kkh, kkw] = [kh / st, kw / st];
  // Axes: input channels (as blocks i1·bi, or i), output channels o1·bo, taps a·s + rh and b·s + rw.
  const split = nchwInput
    ? [cin, cout / B, B, kkh, st, kkw, st] //      i, o1, bo, a, rh, b, rw
    : [cin / B, B, cout / B, B, kkh, st, kkw, st]; // i1, bi, o1, bo, a, rh, b, rw
  const [aAxis, bAxis] = nchwInput ? [3, 5] : [4, 6];
  const flipped = b.node("Slice", [
    b.node("Reshape", [w, b.i64(split)]),
    b.i64([-1, -1]),
    b.i64([-(kkh + 1), -(kkw + 1)]),
    b.i64([aAxis, bAxis]),
    b.i64([-1, -1]),
  ]);
  const perm = nchwInput
    ? [4, 6, 1, 0, 3, 5, 2] //       rh, rw, o1, i, a, b, bo
    : [5, 7, 2, 0, 4, 6, 1, 3]; //   rh, rw, o1, i1, a, b, bi, bo
  const out = b.node("Reshape", [
    b.node("Transpose", [flipped], { perm }),
    b.i64([st * st * cout, cin, kkh, kkw]),
  ]);
  g.filters.set(key, out);
  return out;
}

/** The NCHWc value of `x` (a ReorderInput, or a twin made earlier); undefined when `x` has too few channels. */
function nchwcInput(b: Builder, g: Graph, x: string, channels: number): string | undefined {
  if (channels < g.scope.block) return undefined;
  const twin = g.twins.get(x);
  if (twin) return twin;
  const r = b.node("ReorderInput", [x], {}, NCHWC_DOMAIN);
  g.twins.set(x, r);
  return r;
}

interface ConvGeom {
  pads: number[];
  strides: number[];
  dilations: number[];
}

/** An NCHWc Conv of `x` (dims xDims) with filter `w` (dims wDims, OIHW); returns its blocked output. */
/**
 * An NCHWc Conv of `x` (dims xDims) with `filter(nchwInput)`, the filter (kernel `kernel`) in the blocked
 * layout for an NCHWc input, or for an NCHW one when x has fewer channels than a block; returns its
 * blocked output.
 */
function nchwcConv(
  b: Builder,
  g: Graph,
  x: string,
  xDims: number[],
  filter: (nchwInput: boolean) => string,
  kernel: readonly number[],
  bias: string | undefined,
  geo: ConvGeom,
): string {
  const xin = nchwcInput(b, g, x, xDims[1]!) ?? x;
  const w = filter(xin === x);
  return b.node("Conv", bias ? [xin, w, bias] : [xin, w], {
    kernel_shape: [...kernel],
    pads: geo.pads,
    strides: geo.strides,
    dilations: geo.dilations,
    group: 1,
  }, NCHWC_DOMAIN);
}

function convSupported(node: NodeProto, x?: ValueType, w?: ValueType): boolean {
  if (!x || !w || x.elemType !== FLOAT || w.elemType !== FLOAT) return false;
  if (x.dims.length !== 4 || w.dims.length !== 4) return false;
  if (int(node, "group", 1) !== 1) return false;
  const autoPad = str(node, "auto_pad");
  if (autoPad !== "" && autoPad !== "NOTSET") return false;
  // Constant filters (baked weights) are rewritten too, so that a model with baked weights computes
  // exactly what the same model with its weights as inputs computes; onnxruntime's constant folding then
  // reorders them once at load time, as its own NCHWc transformer would.
  return true;
}

function rewriteConv(g: Graph, node: NodeProto): NodeProto[] | null {
  const s = g.scope;
  const [xName, wName, bName] = node.input as string[];
  const x = s.types.get(xName!);
  const w = s.types.get(wName!);
  if (!convSupported(node, x, w)) return null;
  const cin = x!.dims[1]!;
  if (cin >= s.block && cin % s.block !== 0) return null;
  if (w!.dims[1] !== cin) return null;
  // A filter several times larger than the output is an activation used as a filter (ConvWeightGrad's
  // convolution over swapped batch/channel axes, filter T(g)): reordering it float by float costs more
  // than the faster kernel saves, unless g already has a blocked twin, from which the filter is one
  // transpose of whole blocks (the critic's merged weight gradient: 12.7 ms against 17.7 plain).
  const out = s.types.get(node.output![0]!);
  const fromTwin = swappedTwin(g, wName!);
  if (!out || (!fromTwin && numel(w!.dims) > 4 * numel(out.dims))) return null;
  // Output channels in whole blocks only: padding them wastes more than the faster kernel saves.
  if (w!.dims[0]! % s.block !== 0) return null;
  const b = new Builder(s, node.name || node.output![0]!, g);
  const geo = {
    pads: ints(node, "pads", [0, 0, 0, 0]),
    strides: ints(node, "strides", [1, 1]),
    dilations: ints(node, "dilations", [1, 1]),
  };
  const filter = (nchwInput: boolean) =>
    fromTwin
      ? filterFromTwin(b, fromTwin, w!.dims, nchwInput, s.block)
      : reorderFilter(b, g, wName!, w!.dims, nchwInput);
  const y = nchwcConv(b, g, xName!, x!.dims, filter, w!.dims.slice(2), bName || undefined, geo);
  b.node("ReorderOutput", [y], { channels: w!.dims[0]! }, NCHWC_DOMAIN, node.output![0]!);
  g.twins.set(node.output![0]!, y);
  return b.nodes;
}

/**
 * Output types that value_info does not give, for the ops this rewrite looks at: nodes that an op's
 * emit rule writes inside one IR op (ConvWeightGrad's Transposes and Conv) have none.
 */
function inferType(scope: Scope, node: NodeProto): void {
  const out = node.output?.[0];
  if (!out || scope.types.has(out) || (node.domain ?? "") !== "") return;
  const x = scope.types.get(node.input?.[0] ?? "");
  if (!x) return;
  if (node.opType === "Transpose") {
    const perm = ints(node, "perm", x.dims.map((_, i) => x.dims.length - 1 - i));
    scope.types.set(out, { elemType: x.elemType, dims: perm.map((p) => x.dims[p]!) });
  } else if (node.opType === "Conv" && x.dims.length === 4) {
    const w = scope.types.get(node.input![1]!);
    if (!w || str(node, "auto_pad") !== "" && str(node, "auto_pad") !== "NOTSET") return;
    const [p, st, d] = [
      ints(node, "pads", [0, 0, 0, 0]),
      ints(node, "strides", [1, 1]),
      ints(node, "dilations", [1, 1]),
    ];
    const size = (a: number) =>
      Math.floor((x.dims[2 + a]! + p[a]! + p[a + 2]! - d[a]! * (w.dims[2 + a]! - 1) - 1) / st[a]!) + 1;
    scope.types.set(out, { elemType: x.elemType, dims: [x.dims[0]!, w.dims[0]!, size(0), size(1)] });
  }
}

/** The blocked twin of `v` when `v` is Transpose(t, [1, 0, 2, 3]) of a value t that has one. */
function swappedTwin(g: Graph, v: string): string | undefined {
  const p = g.producers.get(v);
  if (!p || p.opType !== "Transpose" || (p.domain ?? "") !== "") return undefined;
  if (ints(p, "perm", []).join() !== "1,0,2,3") return undefined;
  return g.twins.get(p.input![0]!);
}

/**
 * The filter T(t) [O, N, H, W] in blocked layout from the blocked twin of t [N, O, H, W] (memory
 * [N, O/B, H, W, B]): a transpose that keeps the innermost block, instead of a reorder of single floats.
 */
function filterFromTwin(b: Builder, twin: string, dims: number[], nchwInput: boolean, B: number): string {
  const [o, n, h, w] = dims as [number, number, number, number];
  const blocked = nchwInput
    ? b.node("Transpose", [b.node("Reshape", [twin, b.i64([n, o / B, h, w, B])])], { perm: [1, 0, 2, 3, 4] })
    : b.node("Transpose", [b.node("Reshape", [twin, b.i64([n / B, B, o / B, h, w, B])])], {
      perm: [2, 0, 3, 4, 1, 5],
    });
  return b.node("Reshape", [blocked, b.i64([o, n, h, w])]);
}

function rewriteConvTranspose(g: Graph, node: NodeProto): NodeProto[] | null {
  const s = g.scope;
  const [xName, wName, bName] = node.input as string[];
  const x = s.types.get(xName!);
  const w = s.types.get(wName!);
  const y = s.types.get(node.output![0]!);
  if (!convSupported(node, x, w) || !y) return null;
  if (attrOf(node, "output_shape")) return null;
  const [cin, cout, kh, kw] = w!.dims as [number, number, number, number];
  if (x!.dims[1] !== cin || (cin >= s.block && cin % s.block !== 0)) return null;
  // Fewer output channels than whole blocks: the padded phase channels waste more than the kernel saves.
  if (cout % s.block !== 0) return null;
  const strides = ints(node, "strides", [1, 1]);
  const dil = ints(node, "dilations", [1, 1]);
  const pads = ints(node, "pads", [0, 0, 0, 0]);
  const outPad = ints(node, "output_padding", [0, 0]);
  const st = strides[0]!;
  if (strides[1] !== st || dil[0] !== 1 || dil[1] !== 1 || kh % st !== 0 || kw % st !== 0) return null;
  // The cropped window [p0, p0 + L) must lie inside the s·(n + kk − 1) interleaved values.
  for (let a = 0; a < 2; a++) if (outPad[a]! > pads[a + 2]!) return null;
  const [kkh, kkw] = [kh / st, kw / st];

  const b = new Builder(s, node.name || node.output![0]!, g);
  const phased = (nchwInput: boolean) => phaseFilters(b, g, wName!, w!.dims, st, nchwInput);
  const [hOut, wOut] = [y.dims[2]!, y.dims[3]!];
  const exact = exactPhases(x!.dims, [hOut, wOut], st, [kkh, kkw], pads);
  if (exact) {
    // One convolution per output phase, each computing exactly its outputs: no border rows to crop.
    const outs = exact.map(({ r, padsOf }) => {
      const filter = (nchwInput: boolean) => {
        const all = phased(nchwInput);
        const key = `${all}|${r}`;
        const piece = g.filters.get(key) ??
          b.node("Slice", [all, b.i64([r * cout]), b.i64([(r + 1) * cout]), b.i64([0])]);
        g.filters.set(key, piece);
        return piece;
      };
      return nchwcConv(b, g, xName!, x!.dims, filter, [kkh, kkw], bName || undefined, {
        pads: padsOf,
        strides: [1, 1],
        dilations: [1, 1],
      });
    });
    const [mh, mw] = [hOut / st, wOut / st];
    const ob = cout / s.block;
    // The phases side by side in whole blocks (Concat on axis 1 of blocked values concatenates blocks),
    // then interleaved by a transpose that moves 16-float blocks.
    const phases = b.node("Concat", outs, { axis: 1 });
    const interleaved = b.node("Reshape", [
      b.node("Transpose", [b.node("Reshape", [phases, b.i64([x!.dims[0]!, st, st, ob, mh, mw, s.block])])], {
        perm: [0, 3, 4, 1, 5, 2, 6],
      }),
      b.i64([x!.dims[0]!, cout, hOut, wOut]),
    ]);
    b.node("ReorderOutput", [interleaved], { channels: cout }, NCHWC_DOMAIN, node.output![0]!);
    g.twins.set(node.output![0]!, interleaved);
    return b.nodes;
  }
  const bias = bName ? b.node("Tile", [bName, b.i64([st * st])]) : undefined;
  const z = nchwcConv(b, g, xName!, x!.dims, phased, [kkh, kkw], bias, {
    pads: [kkh - 1, kkw - 1, kkh - 1, kkw - 1],
    strides: [1, 1],
    dilations: [1, 1],
  });
  // Interleave the phases in the blocked layout (a transpose that moves whole 16-float blocks; onnxruntime's
  // DepthToSpace moves single floats and measured 3× slower), crop, and reorder to NCHW once.
  const [hz, wz] = [x!.dims[2]! + kkh - 1, x!.dims[3]! + kkw - 1];
  const ob = cout / s.block;
  const interleaved = b.node("Reshape", [
    b.node("Transpose", [b.node("Reshape", [z, b.i64([x!.dims[0]!, st, st, ob, hz, wz, s.block])])], {
      perm: [0, 3, 4, 1, 5, 2, 6],
    }),
    b.i64([x!.dims[0]!, ob, st * hz, st * wz, s.block]),
  ]);
  const cropped = b.node("Slice", [
    interleaved,
    b.i64([pads[0]!, pads[1]!]),
    b.i64([pads[0]! + hOut, pads[1]! + wOut]),
    b.i64([2, 3]),
  ]);
  const blocked = b.node("Reshape", [cropped, b.i64([x!.dims[0]!, cout, hOut, wOut])]);
  b.node("ReorderOutput", [blocked], { channels: cout }, NCHWC_DOMAIN, node.output![0]!);
  g.twins.set(node.output![0]!, blocked);
  return b.nodes;
}

/**
 * The per-phase convolutions of a transposed convolution when every output phase has the same length
 * (the output a multiple of the stride): for output phase σ of an axis (outputs o = s·m + σ) the taps
 * phase r = (σ + p0) mod s and the input window starts δ = ⌊(σ + p0)/s⌋ − (kk − 1) rows in, which is a
 * left pad of −start and a right pad that makes exactly L/s outputs. Null when a pad would be negative.
 * Returns the phases σh-major with their filter phase index r = rh·s + rw and Conv pads.
 */
function exactPhases(
  xDims: readonly number[],
  out: readonly [number, number],
  st: number,
  kk: readonly [number, number],
  pads: readonly number[],
): { r: number; padsOf: number[] }[] | null {
  const axis = (a: 0 | 1) => {
    const [n, len] = [xDims[2 + a]!, out[a]];
    if (len % st !== 0) return null;
    const phases = [];
    for (let sigma = 0; sigma < st; sigma++) {
      const r = (sigma + pads[a]!) % st;
      const left = kk[a]! - 1 - Math.floor((sigma + pads[a]!) / st);
      const right = len / st - n - left + kk[a]! - 1;
      if (left < 0 || right < 0) return null;
      phases.push({ r, left, right });
    }
    return phases;
  };
  const [hs, ws] = [axis(0), axis(1)];
  if (!hs || !ws) return null;
  return hs.flatMap((h) =>
    ws.map((w) => ({ r: h.r * st + w.r, padsOf: [h.left, w.left, h.right, w.right] }))
  );
}

function rewriteGraph(graph: GraphProto, outer: Scope): boolean {
  const types = new Map(outer.types);
  collectTypes(graph, types);
  const scope: Scope = { types, taken: outer.taken, block: outer.block };
  const g = new Graph(scope, graph);
  const out: NodeProto[] = [];
  let changed = false;
  for (const node of graph.node ?? []) {
    for (const a of node.attribute ?? []) {
      if (a.g) changed = rewriteGraph(a.g as GraphProto, scope) || changed;
      for (const sub of a.graphs ?? []) changed = rewriteGraph(sub as GraphProto, scope) || changed;
    }
    for (const o of node.output ?? []) g.producers.set(o, node);
    inferType(scope, node);
    const domain = node.domain ?? "";
    const replaced = domain !== "" && domain !== "ai.onnx"
      ? null
      : node.opType === "Conv"
      ? rewriteConv(g, node)
      : node.opType === "ConvTranspose"
      ? rewriteConvTranspose(g, node)
      : null;
    if (replaced) {
      out.push(...replaced);
      changed = true;
    } else {
      // A consumer that needs the NCHW value keeps its ReorderOutput alive; others are pruned below.
      out.push(node);
    }
  }
  if (!changed) return false;
  graph.node = pruneDeadReorders(out, graph);
  graph.initializer = [
    ...(graph.initializer ?? []),
    ...g.newInits.map((i) => onnx.TensorProto.fromObject(i as object)),
  ];
  return true;
}

/** Drops ReorderOutput nodes (ours) whose outputs nothing reads: their consumers took the NCHWc value. */
function pruneDeadReorders(nodes: NodeProto[], graph: GraphProto): NodeProto[] {
  const used = new Set<string>((graph.output ?? []).map((o) => o.name!));
  const addUses = (g: GraphProto) => {
    for (const n of g.node ?? []) {
      for (const i of n.input ?? []) used.add(i);
      for (const a of n.attribute ?? []) {
        if (a.g) addUses(a.g as GraphProto);
        for (const sub of a.graphs ?? []) addUses(sub as GraphProto);
      }
    }
  };
  addUses({ node: nodes });
  return nodes.filter((n) =>
    !(n.domain === NCHWC_DOMAIN && n.opType === "ReorderOutput" && !used.has(n.output![0]!))
  );
}

/**
 * Rewrites the float32 Conv and ConvTranspose nodes with dynamic filters of an ONNX model (main graph and
 * Scan/Loop bodies) into onnxruntime NCHWc kernels for block size `block` (16 with AVX-512, 8 with AVX2).
 * Returns the input bytes unchanged when nothing qualifies.
 */
export function rewriteForNchwc(bytes: Uint8Array, block: number): Uint8Array {
  if (block < 4) return bytes;
  const model = onnx.ModelProto.decode(bytes) as ModelProto;
  const graph = model.graph as GraphProto;
  const taken = new Set<string>();
  collectNames(graph, taken);
  const changed = rewriteGraph(graph, { types: new Map(), taken, block });
  if (!changed) return bytes;
  const imports = model.opsetImport ?? [];
  if (!imports.some((o) => o.domain === NCHWC_DOMAIN)) {
    model.opsetImport = [
      ...imports,
      onnx.OperatorSetIdProto.fromObject({ domain: NCHWC_DOMAIN, version: 1 }),
    ];
  }
  return onnx.ModelProto.encode(model).finish();
}

/**
 * A model that reveals the NCHWc block size of the machine it runs on: ReorderInput pads 4 channels up
 * to one block, so its output `y` has shape [1, block, 1, 1].
 */
export function blockSizeProbeModel(): Uint8Array {
  const vi = (name: string, dims: number[]) => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }, { domain: NCHWC_DOMAIN, version: 1 }],
    graph: {
      name: "nchwc_block_probe",
      node: [{ name: "probe", opType: "ReorderInput", domain: NCHWC_DOMAIN, input: ["x"], output: ["y"] }],
      input: [vi("x", [1, 4, 1, 1])],
      output: [{ name: "y", type: { tensorType: { elemType: FLOAT } } }],
    },
  })).finish();
}
