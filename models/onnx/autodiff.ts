/**
 * Reverse-mode automatic differentiation on the IR (tinygrad's `compute_gradient` loop shape).
 *
 * `grad(y, xs)` walks the reverse topological order of `y`'s graph restricted to the nodes that
 * depend on some `x`, calls each op's `vjp` rule (defined beside the op), and sums fan-in. The result is
 * ordinary IR nodes, named under `grad/<layer path>`, so gradients can be differentiated again
 * (gradient penalties need second order).
 *
 * @module
 */
import { describe, isFloat } from "./dtype.ts";
import { GraphError, scalar, scope, type Tensor, topoSort } from "./graph.ts";
import { add } from "./ops_elementwise.ts";
import { expand } from "./ops_shape.ts";

/**
 * Gradients of `y` with respect to each of `xs`, as symbolic tensors of the xs' shapes.
 *
 * `y` must be a scalar (one element) unless a cotangent `seed` of `y`'s shape is given. An `x` that `y`
 * does not depend on gets a zero gradient. Only the part of the graph between `xs` and `y` is
 * differentiated.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { grad } from "./autodiff.ts";
 * import { input, type Tensor } from "./graph.ts";
 * import { square } from "./ops_elementwise.ts";
 * import { gemm } from "./ops_linalg.ts";
 * import { reduceSum } from "./ops_reduce.ts";
 * import { evaluate } from "./testing.ts";
 *
 * const x = input("x", "float64", [1, 2]), W = input("W", "float64", [2, 1]), b = input("b", "float64", [1]);
 * const critic = (x: Tensor) => gemm(x, W, b);
 * const loss = reduceSum(critic(x));
 * const [dW, db] = grad(loss, [W, b]);
 * const penalty = reduceSum(square(grad(reduceSum(critic(x)), [x])[0]!)); // differentiable again
 * const [dPenalty] = grad(penalty, [W]);
 * const feeds = { x: Float64Array.of(1, 2), W: Float64Array.of(3, 4), b: Float64Array.of(0) };
 * const out = await evaluate({ loss, dW: dW!, db: db!, penalty, dPenalty: dPenalty! }, feeds);
 * assert.deepEqual([...out.dW!, ...out.db!], [1, 2, 1]); // ∂(x·W + b)/∂W = xᵀ, ∂/∂b = 1
 * assert.deepEqual([...out.penalty!, ...out.dPenalty!], [25, 6, 8]); // ‖W‖² and its gradient 2W
 * ```
 */
export function grad(y: Tensor, xs: readonly Tensor[], seed?: Tensor): Tensor[] {
  if (!isFloat(y.dtype)) throw new GraphError(`grad: y must be a float tensor, got ${y}`);
  for (const x of xs) {
    if (!isFloat(x.dtype)) {
      throw new GraphError(`grad: cannot differentiate with respect to the ${x.dtype} tensor ${x}`);
    }
  }
  if (seed) {
    if (seed.dtype !== y.dtype || seed.shape.join() !== y.shape.join()) {
      throw new GraphError(`grad: the seed cotangent must be ${describe(y.dtype, y.shape)}, got ${seed}`);
    }
  } else if (y.size !== 1) {
    throw new GraphError(
      `grad: y is ${y}, not a scalar; reduce it first (e.g. reduceSum) or pass a seed cotangent`,
    );
  }

  const order = topoSort([y]);
  const targets = new Set(xs);
  // onPath: the node depends on some x (so a gradient must flow into it).
  const onPath = new Set<Tensor>();
  for (const t of order) {
    if (!isFloat(t.dtype)) continue;
    if (targets.has(t) || t.inputs.some((i) => onPath.has(i))) onPath.add(t);
  }

  const grads = new Map<Tensor, Tensor>();
  if (onPath.has(y)) grads.set(y, seed ?? expand(scalar(1, y.dtype), y.shape));

  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k]!;
    const g = grads.get(t);
    if (!g || t.inputs.length === 0 || !t.inputs.some((i) => onPath.has(i))) continue;
    const rule = t.op.vjp;
    if (!rule) {
      throw new GraphError(
        `grad: ${t.op.name} at '${t.path}' has no gradient rule, but ${t} lies between y and xs; ` +
          `wrap its input in stopGradient() or add a vjp to the op`,
      );
    }
    const contributions = scope(`/grad/${t.path}`, () => rule(g, t));
    if (contributions.length !== t.inputs.length) {
      throw new GraphError(
        `grad: the vjp of ${t.op.name} returned ${contributions.length} cotangents for ${t.inputs.length} inputs`,
      );
    }
    t.inputs.forEach((input, i) => {
      const c = contributions[i];
      if (!c || !onPath.has(input)) return;
      if (c.shape.join() !== input.shape.join() || c.dtype !== input.dtype) {
        throw new GraphError(
          `grad: the vjp of ${t.op.name} at '${t.path}' returned ${c} for input ${i}, which is ${input}`,
        );
      }
      const prev = grads.get(input);
      grads.set(input, prev ? scope(`/grad/${input.path}`, () => accumulate(prev, c)) : c);
    });
  }
  return xs.map((x) => grads.get(x) ?? expand(scalar(0, x.dtype), x.shape));
}

/** `a + b` for two cotangents of one value; ops with a `combine` rule merge two of their outputs into one. */
function accumulate(a: Tensor, b: Tensor): Tensor {
  return (a.op === b.op ? a.op.combine?.(a, b) : null) ?? add(a, b);
}

/** Gradients as a record keyed like `xs`. */
export function gradMap(
  y: Tensor,
  xs: Readonly<Record<string, Tensor>>,
  seed?: Tensor,
): Record<string, Tensor> {
  const names = Object.keys(xs);
  const gs = grad(y, names.map((n) => xs[n]!), seed);
  return Object.fromEntries(names.map((n, i) => [n, gs[i]!]));
}
