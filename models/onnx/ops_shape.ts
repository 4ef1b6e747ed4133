/**
 * Shape ops: reshape, expand (broadcast_to), transpose, concat, slice (any step), pad, and the helpers
 * built from them (flatten, squeeze, unsqueeze, flip). All shapes are static; shape vectors are emitted
 * as int64 initializers.
 *
 * @module
 */
import { numel } from "./dtype.ts";
import {
  apply,
  attr,
  broadcastShapes,
  normAxis,
  type OpDef,
  sameDType,
  scalar,
  type Tensor,
} from "./graph.ts";
import { sumToShape } from "./ops_reduce.ts";

function i64(e: Parameters<OpDef["emit"]>[0], values: readonly number[]): string {
  return e.constant(BigInt64Array.from(values, BigInt), "int64", [values.length]);
}

const same = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

// ---------------------------------------------------------------------------------------------
// Reshape

const ReshapeOp: OpDef = {
  name: "Reshape",
  infer(inputs, attrs) {
    const shape = attrs.shape as number[];
    if (numel(shape) !== inputs[0]!.size) {
      throw new Error(`cannot reshape ${inputs[0]} to [${shape.join(",")}]: element counts differ`);
    }
    return { dtype: inputs[0]!.dtype, shape };
  },
  emit: (e, t, ins, out) => void e.node("Reshape", [ins[0]!, i64(e, t.shape)], {}, out),
  vjp: (g, t) => [reshape(g, t.inputs[0]!.shape)],
};

/** Reshapes to `shape`; one entry may be −1 (inferred). Returns `x` when the shape is unchanged. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  const holes = shape.length - known.length;
  let resolved = [...shape];
  if (holes > 1) throw new Error(`reshape of ${x}: at most one −1 allowed in [${shape.join(",")}]`);
  if (holes === 1) {
    const rest = numel(known);
    if (rest === 0 || x.size % rest !== 0) {
      throw new Error(`reshape of ${x}: cannot infer the −1 in [${shape.join(",")}]`);
    }
    resolved = shape.map((d) => (d === -1 ? x.size / rest : d));
  }
  if (same(resolved, x.shape)) return x;
  return apply(ReshapeOp, [x], { shape: resolved });
}

/** Flattens to 2-D: dimensions before `axis` and from `axis` on. */
export function flatten(x: Tensor, axis = 1): Tensor {
  return reshape(x, [numel(x.shape.slice(0, axis)), numel(x.shape.slice(axis))]);
}

/** Inserts size-1 axes at `axes` (positions in the output). */
export function unsqueeze(x: Tensor, axes: number | readonly number[]): Tensor {
  const list = (typeof axes === "number" ? [axes] : axes).map((a) => normAxis(a, x.rank + 1));
  const out = [...x.shape];
  for (const a of [...list].sort((p, q) => p - q)) out.splice(a, 0, 1);
  return reshape(x, out);
}

/** Removes size-1 axes (all of them when `axes` is omitted). */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  const list = axes === undefined
    ? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))
    : (typeof axes === "number" ? [axes] : axes).map((a) => normAxis(a, x.rank));
  for (const a of list) {
    if (x.shape[a] !== 1) throw new Error(`squeeze of ${x}: axis ${a} has size ${x.shape[a]}, not 1`);
  }
  return reshape(x, x.shape.filter((_, i) => !list.includes(i)));
}

// ---------------------------------------------------------------------------------------------
// Expand

const ExpandOp: OpDef = {
  name: "Expand",
  infer(inputs, attrs) {
    const shape = attrs.shape as number[];
    const b = broadcastShapes(inputs[0]!.shape, shape);
    if (!same(b, shape)) throw new Error(`cannot broadcast ${inputs[0]} to [${shape.join(",")}]`);
    return { dtype: inputs[0]!.dtype, shape };
  },
  emit: (e, t, ins, out) => void e.node("Expand", [ins[0]!, i64(e, t.shape)], {}, out),
  vjp: (g, t) => [sumToShape(g, t.inputs[0]!)],
};

/** Broadcasts `x` to `shape` (numpy rules). Returns `x` when the shape is unchanged. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (same(x.shape, shape)) return x;
  return apply(ExpandOp, [x], { shape: [...shape] });
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: readonly number[], value: number, dtype: Tensor["dtype"]): Tensor {
  return expand(scalar(value, dtype), shape);
}

// ---------------------------------------------------------------------------------------------
// Transpose

const TransposeOp: OpDef = {
  name: "Transpose",
  infer(inputs, attrs) {
    const x = inputs[0]!;
    const perm = attrs.perm as number[];
    const sorted = [...perm].sort((a, b) => a - b);
    if (perm.length !== x.rank || sorted.some((p, i) => p !== i)) {
      throw new Error(`perm [${perm.join(",")}] is not a permutation of the ${x.rank} axes`);
    }
    return { dtype: x.dtype, shape: perm.map((p) => x.shape[p]!) };
  },
  emit: (e, t, ins, out) => void e.node("Transpose", ins, { perm: attr.ints(t.attrs.perm as number[]) }, out),
  vjp(g, t) {
    const perm = t.attrs.perm as number[];
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [transpose(g, inv)];
  },
};

/** Permutes axes (reverses them when `perm` is omitted). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  if (p.every((v, i) => v === i)) return x;
  return apply(TransposeOp, [x], { perm: [...p] });
}

// ---------------------------------------------------------------------------------------------
// Concat

const ConcatOp: OpDef = {
  name: "Concat",
  infer(inputs, attrs) {
    const axis = attrs.axis as number;
    const dtype = sameDType(inputs);
    const first = inputs[0]!;
    let total = 0;
    for (const t of inputs) {
      if (t.rank !== first.rank || t.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
        throw new Error(`shapes differ outside axis ${axis}: ${inputs.map(String).join(", ")}`);
      }
      total += t.shape[axis]!;
    }
    return { dtype, shape: first.shape.map((d, i) => (i === axis ? total : d)) };
  },
  emit: (e, t, ins, out) => void e.node("Concat", ins, { axis: attr.i(t.attrs.axis as number) }, out),
  vjp(g, t) {
    const axis = t.attrs.axis as number;
    let offset = 0;
    return t.inputs.map((x) => {
      const n = x.shape[axis]!;
      const piece = slice(g, [offset], [offset + n], [axis]);
      offset += n;
      return piece;
    });
  },
};

/** Concatenates along `axis`. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error("concat of no tensors");
  if (xs.length === 1) return xs[0]!;
  return apply(ConcatOp, xs, { axis: normAxis(axis, xs[0]!.rank) });
}

// ---------------------------------------------------------------------------------------------
// Slice: attributes are resolved per axis to (start, end, step) with numpy semantics; for a negative
// step `end` may be −1, meaning "through index 0".

const SliceOp: OpDef = {
  name: "Slice",
  infer(inputs, attrs) {
    const x = inputs[0]!;
    const [starts, ends, steps] = [attrs.starts, attrs.ends, attrs.steps] as number[][];
    const shape = x.shape.map((_, i) => {
      const [s, e, k] = [starts![i]!, ends![i]!, steps![i]!];
      return Math.max(0, k > 0 ? Math.ceil((e - s) / k) : Math.ceil((s - e) / -k));
    });
    return { dtype: x.dtype, shape };
  },
  emit(e, t, ins, out) {
    const x = t.inputs[0]!;
    const [starts, ends, steps] = [t.attrs.starts, t.attrs.ends, t.attrs.steps] as number[][];
    const axes: number[] = [];
    x.shape.forEach((d, i) => {
      if (!(starts![i] === 0 && ends![i] === d && steps![i] === 1)) axes.push(i);
    });
    // For negative steps ONNX clamps ends to [−1, dim−1] after adding dim, so −dim−1 means "through 0".
    const onnxEnd = (i: number) => (ends![i]! < 0 ? -x.shape[i]! - 1 : ends![i]!);
    e.node(
      "Slice",
      [
        ins[0]!,
        i64(e, axes.map((i) => starts![i]!)),
        i64(e, axes.map(onnxEnd)),
        i64(e, axes),
        i64(e, axes.map((i) => steps![i]!)),
      ],
      {},
      out,
    );
  },
  vjp(g, t) {
    const x = t.inputs[0]!;
    const [starts, ends, steps] = [t.attrs.starts, t.attrs.ends, t.attrs.steps] as number[][];
    let grad = g;
    for (let axis = 0; axis < x.rank; axis++) {
      grad = unsliceAxis(grad, axis, x.shape[axis]!, starts![axis]!, ends![axis]!, steps![axis]!);
    }
    return [grad];
  },
};

/** Scatters the gradient of a one-axis slice back into an axis of length `dim` (zeros elsewhere). */
function unsliceAxis(g: Tensor, axis: number, dim: number, start: number, end: number, step: number): Tensor {
  const n = g.shape[axis]!;
  if (step === 1) {
    return padAxis(g, axis, start, dim - end);
  }
  if (step < 0) {
    // The slice picked start, start+step, ...: the same elements as an ascending slice, reversed.
    const lowest = start + (n - 1) * step;
    return unsliceAxis(flip(g, [axis]), axis, dim, lowest, start + 1, -step);
  }
  // Positive step > 1: interleave step−1 zeros after each element, then place at `start`.
  const shape = [...g.shape];
  const spread = reshape(
    padAxis(reshape(g, [...shape.slice(0, axis + 1), 1, ...shape.slice(axis + 1)]), axis + 1, 0, step - 1),
    [...shape.slice(0, axis), n * step, ...shape.slice(axis + 1)],
  );
  const used = (n - 1) * step + 1;
  const trimmed = slice(spread, [0], [used], [axis]);
  return padAxis(trimmed, axis, start, dim - start - used);
}

function padAxis(x: Tensor, axis: number, before: number, after: number): Tensor {
  if (before === 0 && after === 0) return x;
  const pads = new Array(2 * x.rank).fill(0);
  pads[axis] = before;
  pads[x.rank + axis] = after;
  return pad(x, pads);
}

/**
 * Slices like numpy/ONNX: for each listed axis, `starts[i]:ends[i]:steps[i]` (negative indices count
 * from the end; out-of-range values are clamped). Unlisted axes are kept whole.
 */
export function slice(
  x: Tensor,
  starts: readonly number[],
  ends: readonly number[],
  axes?: readonly number[],
  steps?: readonly number[],
): Tensor {
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(a, x.rank));
  const s = x.shape.map(() => 0);
  const e = [...x.shape];
  const k = x.shape.map(() => 1);
  ax.forEach((a, i) => {
    const dim = x.shape[a]!;
    const step = steps?.[i] ?? 1;
    if (step === 0 || !Number.isInteger(step)) {
      throw new Error(`slice of ${x}: step must be a nonzero integer`);
    }
    let start = starts[i]!;
    let end = ends[i]!;
    if (start < 0) start += dim;
    if (end < 0 && end > -Infinity) end += dim;
    if (step > 0) {
      start = Math.min(Math.max(start, 0), dim);
      end = Math.min(Math.max(end, 0), dim);
    } else {
      start = Math.min(Math.max(start, -1), dim - 1);
      end = Math.min(Math.max(end, -1), dim - 1);
    }
    s[a] = start;
    e[a] = end;
    k[a] = step;
  });
  if (s.every((v) => v === 0) && e.every((v, i) => v === x.shape[i]) && k.every((v) => v === 1)) return x;
  return apply(SliceOp, [x], { starts: s, ends: e, steps: k });
}

/** Reverses the order of elements along `axes`. */
export function flip(x: Tensor, axes: readonly number[]): Tensor {
  return slice(x, axes.map(() => -1), axes.map(() => -Infinity), axes, axes.map(() => -1));
}

// ---------------------------------------------------------------------------------------------
// Pad (constant mode)

const PadOp: OpDef = {
  name: "Pad",
  infer(inputs, attrs) {
    const x = inputs[0]!;
    const pads = attrs.pads as number[];
    if (pads.length !== 2 * x.rank || pads.some((p) => p < 0 || !Number.isInteger(p))) {
      throw new Error(
        `pads [${pads.join(",")}] must be ${2 * x.rank} non-negative integers (begins, then ends)`,
      );
    }
    return { dtype: x.dtype, shape: x.shape.map((d, i) => d + pads[i]! + pads[x.rank + i]!) };
  },
  emit(e, t, ins, out) {
    const value = e.constant(
      t.dtype === "float64"
        ? new Float64Array([t.attrs.value as number])
        : new Float32Array([t.attrs.value as number]),
      t.dtype === "float64" ? "float64" : "float32",
      [],
    );
    e.node("Pad", [ins[0]!, i64(e, t.attrs.pads as number[]), value], { mode: attr.s("constant") }, out);
  },
  vjp(g, t) {
    const x = t.inputs[0]!;
    const pads = t.attrs.pads as number[];
    return [slice(g, x.shape.map((_, i) => pads[i]!), x.shape.map((d, i) => pads[i]! + d))];
  },
};

/** Pads with a constant: `pads` lists the begin padding of every axis, then the end padding (ONNX order). */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  if (x.dtype !== "float32" && x.dtype !== "float64") throw new Error(`pad supports float tensors, got ${x}`);
  if (pads.every((p) => p === 0)) return x;
  return apply(PadOp, [x], { pads: [...pads], value });
}
