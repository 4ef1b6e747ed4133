/**
 * Reductions over axes (sum, mean, max, logsumexp), argmax/argmin, and {@link sumToShape}, which sums a
 * broadcast gradient back to its operand's shape.
 *
 * Opset 17 detail: ReduceSum takes its axes as an input, ReduceMean/ReduceMax as an attribute.
 *
 * @module
 */
import { apply, attr, normAxis, type OpDef, requireFloat, type Tensor } from "./graph.ts";
import { add, cast, div, equal, exp, log, mask, mul, stopGradient, sub } from "./ops_elementwise.ts";
import { expand, reshape } from "./ops_shape.ts";

/** Axes argument: one axis, several, or all (undefined). */
export type Axes = number | readonly number[] | undefined;

function resolveAxes(axes: Axes, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === "number" ? [axes] : axes;
  const out = [...new Set(list.map((a) => normAxis(a, rank)))].sort((a, b) => a - b);
  return out;
}

function reducedShape(shape: readonly number[], axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

function reduceInfer(inputs: readonly Tensor[], attrs: Record<string, unknown>) {
  const x = inputs[0]!;
  const axes = attrs.axes as number[];
  for (const a of axes) normAxis(a, x.rank);
  return { dtype: x.dtype, shape: reducedShape(x.shape, axes, attrs.keepdims as boolean) };
}

/** The gradient of a reduction, broadcast back over the reduced axes. */
function unreduce(g: Tensor, t: Tensor): Tensor {
  const x = t.inputs[0]!;
  const kept = reducedShape(x.shape, t.attrs.axes as number[], true);
  return expand(reshape(g, kept), x.shape);
}

function count(t: Tensor): number {
  const x = t.inputs[0]!;
  return (t.attrs.axes as number[]).reduce((n, a) => n * x.shape[a]!, 1);
}

const ReduceSumOp: OpDef = {
  name: "ReduceSum",
  infer: reduceInfer,
  emit(e, t, ins, out) {
    const axes = e.constant(BigInt64Array.from(t.attrs.axes as number[], BigInt), "int64", [
      (t.attrs.axes as number[]).length,
    ]);
    e.node("ReduceSum", [ins[0]!, axes], { keepdims: attr.i(t.attrs.keepdims ? 1 : 0) }, out);
  },
  vjp: (g, t) => [unreduce(g, t)],
};

function reduceWithAttr(name: string, vjp: OpDef["vjp"]): OpDef {
  return {
    name,
    infer(inputs, attrs) {
      requireFloat(inputs[0]!);
      return reduceInfer(inputs, attrs);
    },
    emit(e, t, ins, out) {
      e.node(name, ins, {
        axes: attr.ints(t.attrs.axes as number[]),
        keepdims: attr.i(t.attrs.keepdims ? 1 : 0),
      }, out);
    },
    ...(vjp ? { vjp } : {}),
  };
}

const ReduceMeanOp = reduceWithAttr("ReduceMean", (g, t) => [div(unreduce(g, t), count(t))]);
const ReduceMaxOp = reduceWithAttr("ReduceMax", (g, t) => {
  const x = t.inputs[0]!;
  const kept = reducedShape(x.shape, t.attrs.axes as number[], true);
  // Ties share the gradient equally.
  const m = stopGradient(mask(equal(x, reshape(t, kept)), g.dtype));
  const n = reduceSum(m, t.attrs.axes as number[], true);
  return [div(mul(unreduce(g, t), m), n)];
});

function reduce(op: OpDef, x: Tensor, axes: Axes, keepdims: boolean): Tensor {
  const list = resolveAxes(axes, x.rank);
  if (list.length === 0) return x;
  return apply(op, [x], { axes: list, keepdims });
}

/** Sum over `axes` (all when omitted). */
export function reduceSum(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  if (x.dtype === "bool") throw new Error("reduceSum of a bool tensor; cast it to a number type first");
  return reduce(ReduceSumOp, x, axes, keepdims);
}
/** Mean over `axes` (all when omitted). */
export function reduceMean(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  return reduce(ReduceMeanOp, x, axes, keepdims);
}
/** Maximum over `axes` (all when omitted); ties share the gradient. */
export function reduceMax(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  return reduce(ReduceMaxOp, x, axes, keepdims);
}
/** Numerically stable `log(sum(exp(x)))` over `axes`. */
export function logsumexp(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  // Shifting by the (constant) max keeps exp() in range; the shift cancels in value and gradient.
  const m = stopGradient(reduceMax(x, axes, true));
  const s = add(log(reduceSum(exp(sub(x, m)), axes, true)), m);
  const list = resolveAxes(axes, x.rank);
  return keepdims ? s : reshape(s, reducedShape(x.shape, list, false));
}

/**
 * Sums `g` down to `like`'s shape: the reverse of numpy broadcasting. Leading axes that `like` lacks and
 * axes where `like` has size 1 are summed.
 */
export function sumToShape(g: Tensor, like: { readonly shape: readonly number[] }): Tensor {
  const target = like.shape;
  if (g.shape.length === target.length && g.shape.every((d, i) => d === target[i])) return g;
  const lead = g.rank - target.length;
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    if (i < lead || (target[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  return reshape(reduceSum(g, axes, true), target);
}

function argInfer(inputs: readonly Tensor[], attrs: Record<string, unknown>) {
  const x = inputs[0]!;
  const axis = normAxis(attrs.axis as number, x.rank);
  return { dtype: "int64" as const, shape: reducedShape(x.shape, [axis], attrs.keepdims as boolean) };
}

function argOp(name: string): OpDef {
  return {
    name,
    infer: argInfer,
    emit(e, t, ins, out) {
      e.node(
        name,
        ins,
        { axis: attr.i(t.attrs.axis as number), keepdims: attr.i(t.attrs.keepdims ? 1 : 0) },
        out,
      );
    },
  };
}
const ArgMaxOp = argOp("ArgMax");
const ArgMinOp = argOp("ArgMin");

/** Index (int64) of the maximum along `axis`. */
export function argmax(x: Tensor, axis = -1, keepdims = false): Tensor {
  return apply(ArgMaxOp, [x], { axis: normAxis(axis, x.rank), keepdims });
}
/** Index (int64) of the minimum along `axis`. */
export function argmin(x: Tensor, axis = -1, keepdims = false): Tensor {
  return apply(ArgMinOp, [x], { axis: normAxis(axis, x.rank), keepdims });
}

/** Mean of a 0/1 comparison, e.g. accuracy: `meanOf(equal(argmax(logits), labels))`. */
export function meanOf(cond: Tensor, dtype: "float32" | "float64" = "float32"): Tensor {
  return reduceMean(cast(cond, dtype));
}
