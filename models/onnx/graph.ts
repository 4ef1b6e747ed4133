/**
 * The symbolic tensor IR: immutable, hash-consed nodes with a static dtype and shape.
 *
 * A {@link Tensor} is the output of one op applied to input tensors with attributes. Every op is an
 * {@link OpDef} that holds, side by side, its shape rule (`infer`), its ONNX emission (`emit`) and its
 * vector-Jacobian rule (`vjp`), micrograd/tinygrad style. Ops are registered by the `ops_*.ts` modules.
 *
 * Nodes are hash-consed (tinygrad's `UOp` cache): building the same op on the same inputs with the same
 * attributes in the same layer path returns the existing node, so common subexpressions are shared and a
 * graph built twice is the same object graph. Names come from layer paths ({@link scope}), which makes
 * the emitted ONNX file readable in Netron (`critic/conv1/Conv`, `grad/critic/conv1/ConvTranspose`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { input, scope } from "./graph.ts";
 * import { relu } from "./ops_elementwise.ts";
 * import { gemm } from "./ops_linalg.ts";
 *
 * const x = input("x", "float32", [8, 784]);
 * const W = input("W", "float32", [784, 256]), b = input("b", "float32", [256]);
 * const h = scope("mlp/fc1", () => relu(gemm(x, W, b)));
 * assert.equal(`${h} at ${h.path}`, "float32[8,256] at mlp/fc1");
 * assert.equal(scope("mlp/fc1", () => relu(gemm(x, W, b))), h); // built twice: the same node
 * ```
 *
 * @module
 */
import {
  describe,
  type DType,
  isFloat,
  matchesDType,
  numel,
  toTypedArray,
  type TypedArray,
} from "./dtype.ts";

/** Attribute values of IR nodes (kept JSON-serialisable so they canonicalise into the hash-cons key). */
export type AttrValue = number | string | boolean | readonly number[];
/** Attributes of an IR node. */
export type Attrs = Readonly<Record<string, AttrValue>>;

/** An ONNX attribute as the emitter writes it. */
export type OnnxAttr =
  | { readonly kind: "int"; readonly value: number }
  | { readonly kind: "float"; readonly value: number }
  | { readonly kind: "ints"; readonly value: readonly number[] }
  | { readonly kind: "floats"; readonly value: readonly number[] }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "graph"; readonly value: unknown };

/** Constructors for {@link OnnxAttr}. */
export const attr = {
  i: (value: number): OnnxAttr => ({ kind: "int", value }),
  f: (value: number): OnnxAttr => ({ kind: "float", value }),
  ints: (value: readonly number[]): OnnxAttr => ({ kind: "ints", value }),
  floats: (value: readonly number[]): OnnxAttr => ({ kind: "floats", value }),
  s: (value: string): OnnxAttr => ({ kind: "string", value }),
  graph: (value: unknown): OnnxAttr => ({ kind: "graph", value }),
} as const;

/** What an op's `emit` rule may do: add ONNX nodes and initializers to the graph being written. */
export interface Emitter {
  /** Appends a node; returns its output name (`out`, or a fresh name under the current tensor's path). */
  node(
    opType: string,
    inputs: readonly string[],
    attrs?: Readonly<Record<string, OnnxAttr>>,
    out?: string,
  ): string;
  /** Adds (or reuses) an initializer holding `data` with `dims`; returns its name. */
  constant(data: TypedArray, dtype: DType, dims: readonly number[]): string;
}

/** Shape and dtype of a tensor. */
export interface TensorType {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/**
 * The definition of one IR op: shape rule, emission and gradient rule in one place.
 *
 * - `infer` returns the output type or throws an `Error` whose message says what is wrong; the IR adds
 *   the op name, layer path and input types.
 * - `emit` writes ONNX nodes: `ins` are the input value names, `out` is the name the final node must write.
 * - `vjp` maps the output cotangent `g` to one cotangent per input (`null`: no gradient flows there).
 *   It builds ordinary IR nodes, so gradients are themselves differentiable.
 */
export interface OpDef {
  readonly name: string;
  infer(inputs: readonly Tensor[], attrs: Attrs): TensorType;
  emit(e: Emitter, t: Tensor, ins: readonly string[], out: string): void;
  vjp?: (g: Tensor, t: Tensor) => readonly (Tensor | null)[];
  /**
   * Adds two outputs of this op more cheaply than an Add of them, or returns null when it cannot (e.g. a
   * bilinear op whose two applications share an operand). Reverse mode sums fan-in with it.
   */
  combine?: (a: Tensor, b: Tensor) => Tensor | null;
  /** An alias op emits no node: its value is its first input's value (stop_gradient). */
  readonly alias?: boolean;
}

/** Raised when an op is applied to inputs of the wrong dtype or shape; the message names the culprit. */
export class GraphError extends Error {
  override name = "GraphError";
}

let nextId = 0;
const scopeStack: string[] = [];

/**
 * A node of the IR: the (single) output of `op` applied to `inputs`. Immutable; create tensors with
 * the op builder functions (`add`, `conv2d`, ...), {@link input} and {@link constant}, never with `new`.
 */
export class Tensor implements TensorType {
  /** Creation order, unique per process. Used for map keys, never in emitted names. */
  readonly id: number;
  constructor(
    readonly op: OpDef,
    readonly inputs: readonly Tensor[],
    readonly attrs: Attrs,
    readonly dtype: DType,
    readonly shape: readonly number[],
    /** Layer path where the node was built, e.g. `critic/conv1`. */
    readonly path: string,
    /** Host data of a constant. */
    readonly data?: TypedArray,
  ) {
    this.id = nextId++;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    return numel(this.shape);
  }

  /** `float32[64,1,28,28]`. */
  toString(): string {
    return describe(this.dtype, this.shape);
  }
}

// ---------------------------------------------------------------------------------------------
// Layer paths

/** The current layer path (segments joined by "/"), "" at top level. */
export function currentPath(): string {
  return scopeStack.join("/");
}

/**
 * Runs `fn` with `name` appended to the layer path; every node built inside is named under it.
 * A name starting with "/" replaces the path instead of extending it.
 */
export function scope<T>(name: string, fn: () => T): T {
  const saved = scopeStack.splice(0);
  if (name.startsWith("/")) scopeStack.push(...name.slice(1).split("/").filter((s) => s));
  else scopeStack.push(...saved, ...name.split("/").filter((s) => s));
  try {
    return fn();
  } finally {
    scopeStack.splice(0, scopeStack.length, ...saved);
  }
}

// ---------------------------------------------------------------------------------------------
// Hash-consing: identical (op, inputs, attrs, path) give the identical node.

const cache = new Map<string, WeakRef<Tensor>>();
const registry = new FinalizationRegistry<string>((key) => {
  const ref = cache.get(key);
  if (ref && ref.deref() === undefined) cache.delete(key);
});

function canonical(attrs: Attrs): string {
  return JSON.stringify(Object.keys(attrs).sort().map((k) => [k, attrs[k]]));
}

function intern(key: string, make: () => Tensor): Tensor {
  const hit = cache.get(key)?.deref();
  if (hit) return hit;
  const t = make();
  cache.set(key, new WeakRef(t));
  registry.register(t, key);
  return t;
}

/**
 * Applies `op` to `inputs`: runs its shape rule and returns the (hash-consed) node. Shape-rule errors
 * are rethrown as {@link GraphError} naming the op, the layer path and the input types.
 */
export function apply(op: OpDef, inputs: readonly Tensor[], attrs: Attrs = {}): Tensor {
  const path = currentPath();
  let type: TensorType;
  try {
    type = op.infer(inputs, attrs);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const where = path === "" ? "top level" : `'${path}'`;
    throw new GraphError(
      `${op.name} at ${where}: ${msg} (inputs: ${inputs.map(String).join(", ") || "none"}` +
        `${Object.keys(attrs).length ? `; attrs ${canonical(attrs)}` : ""})`,
    );
  }
  const key = `${op.name}|${path}|${inputs.map((t) => t.id).join(",")}|${canonical(attrs)}`;
  return intern(key, () => new Tensor(op, inputs, attrs, type.dtype, [...type.shape], path));
}

// ---------------------------------------------------------------------------------------------
// Leaves: graph inputs and constants.

/** The op of graph inputs. Its `name` attribute is the ONNX input name. */
export const InputOp: OpDef = {
  name: "Input",
  infer(_inputs, attrs) {
    return { dtype: attrs.dtype as DType, shape: attrs.shape as number[] };
  },
  emit() {
    throw new Error("graph inputs are not emitted as nodes");
  },
};

/** The op of constants (emitted as initializers). */
export const ConstOp: OpDef = {
  name: "Const",
  infer() {
    throw new Error("constants are created by constant()");
  },
  emit() {
    throw new Error("constants are emitted as initializers");
  },
};

function checkShape(shape: readonly number[], what: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new GraphError(`${what}: shape [${shape.join(",")}] must hold non-negative integers`);
    }
  }
}

/**
 * A named graph input (a parameter, an optimizer state slot, a minibatch, a hyperparameter).
 * Two calls with the same name, dtype and shape return the same node.
 */
export function input(name: string, dtype: DType, shape: readonly number[]): Tensor {
  if (name === "") throw new GraphError("input: the name must not be empty");
  checkShape(shape, `input '${name}'`);
  const attrs = { name, dtype, shape: [...shape] };
  return intern(
    `Input|${name}|${dtype}|${shape.join(",")}`,
    () => new Tensor(InputOp, [], attrs, dtype, [...shape], currentPath()),
  );
}

/** True for a graph input node. */
export function isInput(t: Tensor): boolean {
  return t.op === InputOp;
}

/** The ONNX name of a graph input node. */
export function inputName(t: Tensor): string {
  if (t.op !== InputOp) throw new GraphError(`${t} built by ${t.op.name} is not a graph input`);
  return t.attrs.name as string;
}

/** Unnamed constants up to this many elements are deduplicated by value and named by value. */
export const SMALL_CONSTANT = 64;

/**
 * A constant tensor. Unnamed small constants (≤ {@link SMALL_CONSTANT} elements) are shared by value and
 * named by value; named or larger ones (baked weights) are emitted as initializers named `<path>/<name>`.
 */
export function constant(
  data: TypedArray | readonly number[],
  dtype: DType,
  shape: readonly number[],
  name?: string,
): Tensor {
  const label = name ?? "const";
  checkShape(shape, `constant '${label}'`);
  const arr = ArrayBuffer.isView(data) ? data as TypedArray : toTypedArray(dtype, data as readonly number[]);
  if (!matchesDType(arr, dtype)) {
    throw new GraphError(
      `constant '${label}': data is a ${arr.constructor.name}, which cannot hold ${dtype}`,
    );
  }
  if (arr.length !== numel(shape)) {
    throw new GraphError(
      `constant '${label}': ${arr.length} values do not fill shape [${shape.join(",")}] (${
        numel(shape)
      } elements)`,
    );
  }
  if (name === undefined && arr.length <= SMALL_CONSTANT) {
    const values = Array.from(arr as ArrayLike<number | bigint>, (v) => String(v)).join(",");
    return intern(
      `Const|${dtype}|${shape.join(",")}|${values}`,
      () => new Tensor(ConstOp, [], { name: "" }, dtype, [...shape], "", arr),
    );
  }
  // Named and large constants are never deduplicated: comparing contents would cost more than it saves.
  return new Tensor(
    ConstOp,
    [],
    { name: label },
    dtype,
    [...shape],
    currentPath(),
    arr.slice() as TypedArray,
  );
}

/** A scalar constant of `dtype`. */
export function scalar(value: number, dtype: DType): Tensor {
  return constant([value], dtype, []);
}

/** True for a constant node. */
export function isConstant(t: Tensor): boolean {
  return t.op === ConstOp;
}

/** An int64 constant vector (shapes, axes, pads). */
export function int64s(values: readonly number[]): Tensor {
  return constant(values, "int64", [values.length]);
}

/** Accepts a tensor or a plain number; numbers become scalar constants of `like`'s dtype. */
export type TensorLike = Tensor | number;

/** Converts a {@link TensorLike} to a tensor of `like`'s dtype. */
export function lift(x: TensorLike, like: TensorType): Tensor {
  return typeof x === "number" ? scalar(x, like.dtype) : x;
}

// ---------------------------------------------------------------------------------------------
// Helpers for shape rules.

/** Throws unless `t` has a float dtype. */
export function requireFloat(t: Tensor, what = "input"): void {
  if (!isFloat(t.dtype)) throw new Error(`${what} must be float32 or float64, got ${t}`);
}

/** Throws unless all tensors share one dtype; returns it. */
export function sameDType(inputs: readonly Tensor[]): DType {
  const d = inputs[0]!.dtype;
  for (const t of inputs) {
    if (t.dtype !== d) {
      throw new Error(
        `dtypes differ (${inputs.map((x) => x.dtype).join(" vs ")}); cast one side with cast()`,
      );
    }
  }
  return d;
}

/** Normalises a possibly negative axis against `rank`. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new Error(`axis ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

/** Numpy broadcasting of two shapes; throws naming both shapes when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`shapes [${a.join(",")}] and [${b.join(",")}] do not broadcast (dimension ${i})`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Emits `opType` with the inputs in order and no attributes: the emit rule of most ops. */
export function emitAs(opType: string): OpDef["emit"] {
  return (e, _t, ins, out) => {
    e.node(opType, ins, {}, out);
  };
}

/** Depth-first post-order of everything the outputs depend on (iterative: gradient graphs get deep). */
export function topoSort(roots: readonly Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const done = new Set<Tensor>();
  const stack: [Tensor, number][] = [];
  for (const root of roots) {
    if (done.has(root)) continue;
    stack.push([root, 0]);
    const onStack = new Set<Tensor>([root]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [t, i] = top;
      if (i < t.inputs.length) {
        top[1] = i + 1;
        const child = t.inputs[i]!;
        if (!done.has(child) && !onStack.has(child)) {
          onStack.add(child);
          stack.push([child, 0]);
        }
      } else {
        stack.pop();
        onStack.delete(t);
        done.add(t);
        order.push(t);
      }
    }
  }
  return order;
}
