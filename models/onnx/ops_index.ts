/**
 * Indexing: `gather` along an axis (with a scatter-add gradient), `gatherND`/`scatterNDAdd` (each the
 * other's gradient, so embeddings are twice differentiable), and `oneHot`.
 *
 * @module
 */
import {
  apply,
  attr,
  constant,
  emitAs,
  GraphError,
  normAxis,
  type OpDef,
  sameDType,
  type Tensor,
} from "./graph.ts";
import { cast, equal } from "./ops_elementwise.ts";
import { full, reshape, transpose, unsqueeze } from "./ops_shape.ts";
import type { DType } from "./dtype.ts";

function requireIndex(t: Tensor): void {
  if (t.dtype !== "int64" && t.dtype !== "int32") throw new Error(`indices must be int64 or int32, got ${t}`);
}

const GatherOp: OpDef = {
  name: "Gather",
  infer(inputs, attrs) {
    const [data, idx] = inputs as [Tensor, Tensor];
    requireIndex(idx);
    const axis = normAxis(attrs.axis as number, data.rank);
    return {
      dtype: data.dtype,
      shape: [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)],
    };
  },
  emit: (e, t, ins, out) => void e.node("Gather", ins, { axis: attr.i(t.attrs.axis as number) }, out),
  vjp(g, t) {
    const [data, idx] = t.inputs as [Tensor, Tensor];
    const axis = t.attrs.axis as number;
    const r = idx.rank;
    // Bring the index axes to the front, scatter-add into [dim, ...rest], then move `dim` back to `axis`.
    const front = [
      ...Array.from({ length: r }, (_, i) => axis + i),
      ...Array.from({ length: axis }, (_, i) => i),
      ...Array.from({ length: g.rank - axis - r }, (_, i) => axis + r + i),
    ];
    const rest = [...data.shape.slice(0, axis), ...data.shape.slice(axis + 1)];
    const zeros = full([data.shape[axis]!, ...rest], 0, g.dtype);
    const scattered = scatterNDAdd(zeros, unsqueeze(idx, idx.rank), transpose(g, front));
    const back = [
      ...Array.from({ length: axis }, (_, i) => i + 1),
      0,
      ...rest.slice(axis).map((_, i) => axis + 1 + i),
    ];
    return [transpose(scattered, back), null];
  },
};

/** `data` indexed along `axis` by integer `indices` (ONNX Gather); the gradient scatter-adds. */
export function gather(data: Tensor, indices: Tensor, axis = 0): Tensor {
  return apply(GatherOp, [data, indices], { axis: normAxis(axis, data.rank) });
}

function ndShape(data: Tensor, idx: Tensor): number[] {
  const k = idx.shape[idx.rank - 1]!;
  if (k > data.rank) throw new Error(`index tuples of length ${k} exceed the data rank ${data.rank}`);
  return [...idx.shape.slice(0, -1), ...data.shape.slice(k)];
}

const GatherNDOp: OpDef = {
  name: "GatherND",
  infer(inputs) {
    const [data, idx] = inputs as [Tensor, Tensor];
    requireIndex(idx);
    return { dtype: data.dtype, shape: ndShape(data, idx) };
  },
  emit: emitAs("GatherND"),
  vjp(g, t) {
    const [data, idx] = t.inputs as [Tensor, Tensor];
    return [scatterNDAdd(full(data.shape, 0, g.dtype), idx, g), null];
  },
};

const ScatterNDAddOp: OpDef = {
  name: "ScatterNDAdd",
  infer(inputs) {
    const [data, idx, updates] = inputs as [Tensor, Tensor, Tensor];
    requireIndex(idx);
    sameDType([data, updates]);
    const want = ndShape(data, idx);
    if (want.length !== updates.rank || want.some((d, i) => d !== updates.shape[i])) {
      throw new Error(`updates must be [${want.join(",")}], got ${updates}`);
    }
    return { dtype: data.dtype, shape: data.shape };
  },
  emit: (e, _t, ins, out) => void e.node("ScatterND", ins, { reduction: attr.s("add") }, out),
  vjp: (g, t) => [g, null, gatherND(g, t.inputs[1]!)],
};

/** ONNX GatherND (batch_dims 0): `indices[..., k]` index the first k axes of `data`. */
export function gatherND(data: Tensor, indices: Tensor): Tensor {
  return apply(GatherNDOp, [data, indices]);
}

/** `data` plus `updates` added at `indices` (ONNX ScatterND with reduction "add"; repeats accumulate). */
export function scatterNDAdd(data: Tensor, indices: Tensor, updates: Tensor): Tensor {
  return apply(ScatterNDAddOp, [data, indices, updates]);
}

/** One-hot encoding of integer `indices` into a trailing axis of size `depth` (no gradient). */
export function oneHot(indices: Tensor, depth: number, dtype: DType = "float32"): Tensor {
  if (indices.dtype !== "int64" && indices.dtype !== "int32") {
    throw new GraphError(`oneHot: indices must be int64 or int32, got ${indices}`);
  }
  const classes = constant(Array.from({ length: depth }, (_, i) => i), indices.dtype, [depth]);
  return cast(equal(unsqueeze(indices, indices.rank), classes), dtype);
}

/** Flattens integer labels to [N] int64 (accepts int32 labels, as Arrow shards store them). */
export function labels64(labels: Tensor): Tensor {
  return reshape(cast(labels, "int64"), [labels.size]);
}
