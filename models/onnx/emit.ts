/**
 * Emission of IR graphs as ONNX (opset 17, IR version 8) through onnx-proto.
 *
 * The output is byte-deterministic: nodes are written in a depth-first post-order from the outputs in
 * the order given, names come from layer paths (`critic/conv1/Conv`, deduplicated with `_1`, `_2`), and
 * nothing depends on node ids, hash order or time. The pipeline's early cutoff relies on this.
 *
 * Graph outputs are named directly on the node that produces them (no Identity copies, which cost
 * an extra buffer in ORT, onnx-training.md §8.2); an Identity is written only where one value is
 * output twice or an input or constant is output directly.
 *
 * @module
 */
import pkg from "onnx-proto";
import { type DType, ONNX_DTYPE, type TypedArray } from "./dtype.ts";
import {
  type Emitter,
  GraphError,
  inputName,
  isConstant,
  isInput,
  type OnnxAttr,
  type Tensor,
  topoSort,
} from "./graph.ts";

const { onnx } = pkg;

/** The ONNX opset the emitter targets (the official checker in onnx 1.12 supports ≤ 17). */
export const OPSET = 17;
/** The ONNX IR version written into models. */
export const IR_VERSION = 8;

/** Ordered graph outputs: a record (insertion order) or a list of [name, tensor] pairs. */
export type Outputs = Readonly<Record<string, Tensor>> | readonly (readonly [string, Tensor])[];

/** What to emit as one ONNX graph. */
export interface GraphSpec {
  /** Graph name, shown in Netron. */
  name: string;
  outputs: Outputs;
  /** Inputs declared first and in this order (also when unused); other reachable inputs follow in discovery order. */
  inputs?: readonly Tensor[];
  /** Inputs taken from an enclosing graph (Scan/Loop bodies): referenced by name, not declared. */
  outerScope?: readonly Tensor[];
  /** Write value_info (dtype and shape) for intermediate values; default true. */
  valueInfo?: boolean;
  docString?: string;
}

/** Model-level fields. */
export interface ModelOptions {
  producerName?: string;
  docString?: string;
  /** Free-form key/value metadata (e.g. the config a model was built from). */
  metadata?: Readonly<Record<string, string>>;
}

/** An ONNX GraphProto message. */
export type GraphProto = InstanceType<typeof onnx.GraphProto>;
type NodeLike = {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: Record<string, unknown>[];
};

function outputList(outputs: Outputs): (readonly [string, Tensor])[] {
  return Array.isArray(outputs) ? [...outputs] : Object.entries(outputs as Record<string, Tensor>);
}

/** A ValueInfoProto (as a plain object) for a tensor of `dtype` and static `shape`. */
export function valueInfo(name: string, dtype: DType, shape: readonly number[]) {
  return {
    name,
    type: {
      tensorType: { elemType: ONNX_DTYPE[dtype], shape: { dim: shape.map((d) => ({ dimValue: d })) } },
    },
  };
}

function tensorProto(name: string, data: TypedArray, dtype: DType, dims: readonly number[]) {
  // Raw little-endian bytes; every platform ORT runs on here is little-endian.
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return { name, dims: [...dims], dataType: ONNX_DTYPE[dtype], rawData: bytes };
}

function attributeProto(name: string, a: OnnxAttr): Record<string, unknown> {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case "int":
      return { name, type: T.INT, i: a.value };
    case "float":
      return { name, type: T.FLOAT, f: a.value };
    case "ints":
      return { name, type: T.INTS, ints: [...a.value] };
    case "floats":
      return { name, type: T.FLOATS, floats: [...a.value] };
    case "string":
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
    case "graph":
      return { name, type: T.GRAPH, g: a.value };
  }
}

const DTYPE_TAG: Record<DType, string> = {
  float32: "f32",
  float64: "f64",
  int32: "i32",
  int64: "i64",
  uint32: "u32",
  uint64: "u64",
  bool: "b",
};

function constantName(data: TypedArray, dtype: DType): string {
  const values = Array.from(data as ArrayLike<number | bigint>, String);
  const body = values.length <= 6 ? values.join("_") : `${values.slice(0, 3).join("_")}_etc${values.length}`;
  return `c/${DTYPE_TAG[dtype]}/${body}`;
}

/** Emits one ONNX GraphProto (as a plain object) for the given outputs. */
export function emitGraph(spec: GraphSpec): GraphProto {
  const outs = outputList(spec.outputs);
  const outer = new Set(spec.outerScope ?? []);
  const order = topoSort([...(spec.inputs ?? []), ...outs.map(([, t]) => t)]);

  const used = new Set<string>();
  const names = new Map<Tensor, string>();
  const nodes: NodeLike[] = [];
  const initializers: ReturnType<typeof tensorProto>[] = [];
  const initByContent = new Map<string, string>();
  const graphInputs: ReturnType<typeof valueInfo>[] = [];
  const infos: ReturnType<typeof valueInfo>[] = [];

  const fresh = (base: string): string => {
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  };

  // Input names are fixed by the caller: reserve them before any node takes a name.
  const inputsByName = new Map<string, Tensor>();
  for (const t of order) {
    if (!isInput(t)) continue;
    const name = inputName(t);
    const other = inputsByName.get(name);
    if (other && other !== t) {
      throw new GraphError(
        `graph '${spec.name}' has two different inputs named '${name}' (${other} and ${t}); ` +
          `give them distinct names`,
      );
    }
    inputsByName.set(name, t);
    used.add(name);
    names.set(t, name);
  }
  // Output names claim their producer's value unless that value is an input, a constant or claimed twice.
  const claimed = new Map<Tensor, string>();
  const identities: [string, Tensor][] = [];
  for (const [name, t] of outs) {
    if (used.has(name)) {
      throw new GraphError(
        `graph '${spec.name}': output name '${name}' is used twice or is also an input name`,
      );
    }
    used.add(name);
    if (isInput(t) || isConstant(t) || t.op.alias || claimed.has(t)) identities.push([name, t]);
    else claimed.set(t, name);
  }

  let currentPath = "";
  const emitter: Emitter = {
    node(opType, inputs, attrs = {}, out) {
      const output = out ?? fresh(`${currentPath === "" ? "" : currentPath + "/"}${opType}`);
      nodes.push({
        name: output,
        opType,
        input: [...inputs],
        output: [output],
        attribute: Object.keys(attrs).sort().map((k) => attributeProto(k, attrs[k]!)),
      });
      return output;
    },
    constant(data, dtype, dims) {
      const key = `${dtype}|${dims.join(",")}|${
        Array.from(data as ArrayLike<number | bigint>, String).join(",")
      }`;
      const hit = initByContent.get(key);
      if (hit) return hit;
      const name = fresh(constantName(data, dtype));
      initializers.push(tensorProto(name, data, dtype, dims));
      initByContent.set(key, name);
      return name;
    },
  };

  for (const t of order) {
    if (isInput(t)) {
      if (!outer.has(t)) graphInputs.push(valueInfo(names.get(t)!, t.dtype, t.shape));
      continue;
    }
    if (isConstant(t)) {
      const hint = t.attrs.name as string;
      if (hint === "") {
        names.set(t, emitter.constant(t.data!, t.dtype, t.shape));
      } else {
        const name = fresh(t.path === "" ? hint : `${t.path}/${hint}`);
        initializers.push(tensorProto(name, t.data!, t.dtype, t.shape));
        names.set(t, name);
      }
      continue;
    }
    const ins = t.inputs.map((x) => names.get(x)!);
    if (t.op.alias) {
      names.set(t, ins[0]!);
      continue;
    }
    currentPath = t.path;
    const claim = claimed.get(t);
    const out = claim ?? fresh(`${t.path === "" ? "" : t.path + "/"}${t.op.name}`);
    t.op.emit(emitter, t, ins, out);
    names.set(t, out);
    if (!claim && spec.valueInfo !== false) infos.push(valueInfo(out, t.dtype, t.shape));
  }
  currentPath = "";
  for (const [name, t] of identities) emitter.node("Identity", [names.get(t)!], {}, name);

  // Declared inputs first, in the caller's order; the rest in discovery order.
  const declared = (spec.inputs ?? []).filter((t) => !outer.has(t)).map((t) => inputName(t));
  const rank = (n: string) => {
    const i = declared.indexOf(n);
    return i < 0 ? declared.length : i;
  };
  const sortedInputs = graphInputs
    .map((v, i) => ({ v, i }))
    .sort((a, b) => rank(a.v.name) - rank(b.v.name) || a.i - b.i)
    .map((x) => x.v);

  return onnx.GraphProto.fromObject({
    name: spec.name,
    docString: spec.docString ?? "",
    node: nodes,
    initializer: initializers,
    input: sortedInputs,
    output: outs.map(([name, t]) => valueInfo(name, t.dtype, t.shape)),
    valueInfo: infos,
  });
}

/** Wraps a graph into a ModelProto and encodes it. */
export function encodeModel(graph: GraphProto, opts: ModelOptions = {}): Uint8Array {
  const model = onnx.ModelProto.fromObject({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: "", version: OPSET }],
    producerName: opts.producerName ?? "models/onnx",
    producerVersion: "1",
    docString: opts.docString ?? "",
    graph,
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * Emits a complete ONNX model (opset 17, IR 8) computing `spec.outputs` and returns its bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emitModel } from "./emit.ts";
 * import { input } from "./graph.ts";
 * import { mul } from "./ops_elementwise.ts";
 * import { createSession, runSession } from "./session.ts";
 *
 * const x = input("x", "float32", [2, 3]);
 * const bytes = emitModel({ name: "double", outputs: { y: mul(x, 2) } });
 * const session = await createSession(bytes);
 * const { y } = await runSession(session, { x: Float32Array.of(1, 2, 3, 4, 5, 6) });
 * assert.deepEqual(Array.from(y!.data as Float32Array), [2, 4, 6, 8, 10, 12]);
 * await session.release();
 * ```
 */
export function emitModel(spec: GraphSpec & ModelOptions): Uint8Array {
  return encodeModel(emitGraph(spec), spec);
}
