/**
 * Ops for models with discrete structure: the cumulative sum (NADE's hidden pre-activations
 * a_i = c + Σ_{j<i} W_{:,j} x_j in O(D·H) instead of a masked matmul's O(D²·H)), Gumbel noise and the
 * Gumbel-softmax relaxation, the straight-through estimator and nearest-code vector quantisation.
 *
 * Only `cumsum` is a primitive (with its gradient rule beside its forward); the rest are compositions
 * of existing ops, so their gradients come from those ops' rules.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { grad } from "./autodiff.ts";
 * import { input } from "./graph.ts";
 * import { cumsum } from "./ops_discrete.ts";
 * import { mul } from "./ops_elementwise.ts";
 * import { reduceSum } from "./ops_reduce.ts";
 * import { evaluate } from "./testing.ts";
 *
 * const x = input("x", "float32", [4]);
 * const y = cumsum(x, 0, { exclusive: true }); // [0, x0, x0 + x1, x0 + x1 + x2]
 * const [dx] = grad(reduceSum(mul(y, y)), [x]);
 * const out = await evaluate({ y, dx: dx! }, { x: Float32Array.of(1, 2, 3, 4) });
 * assert.deepEqual([...out.y!], [0, 1, 3, 6]);
 * assert.deepEqual([...out.dx!], [2 * (1 + 3 + 6), 2 * (3 + 6), 2 * 6, 0]); // Σ_{i>j} 2y_i
 * ```
 *
 * @module
 */
import { apply, attr, normAxis, type OpDef, requireFloat, type Tensor, type TensorLike } from "./graph.ts";
import { add, clip, div, log, mul, neg, stopGradient, sub } from "./ops_elementwise.ts";
import { oneHot } from "./ops_index.ts";
import { matmul } from "./ops_linalg.ts";
import { softmax } from "./ops_nn.ts";
import { argmax, argmin, reduceSum } from "./ops_reduce.ts";
import { transpose } from "./ops_shape.ts";

/** Options of {@link cumsum}. */
export interface CumSumOptions {
  /** Sum the elements before each position only (y_i = Σ_{j<i} x_j); default false (j ≤ i). */
  exclusive?: boolean;
  /** Sum from the end (y_i = Σ_{j≥i} x_j); default false. */
  reverse?: boolean;
}

const CumSumOp: OpDef = {
  name: "CumSum",
  infer(inputs, attrs) {
    const x = inputs[0]!;
    requireFloat(x);
    normAxis(attrs.axis as number, x.rank);
    return { dtype: x.dtype, shape: x.shape };
  },
  emit(e, t, ins, out) {
    const axis = e.constant(BigInt64Array.of(BigInt(t.attrs.axis as number)), "int64", []);
    e.node("CumSum", [ins[0]!, axis], {
      exclusive: attr.i(t.attrs.exclusive ? 1 : 0),
      reverse: attr.i(t.attrs.reverse ? 1 : 0),
    }, out);
  },
  // y_i = Σ_{j ≤ i} x_j gives ∂L/∂x_j = Σ_{i ≥ j} g_i: the same sum run the other way (an exclusive
  // sum stays exclusive: j < i turns into i > j).
  vjp: (g, t) => [
    apply(CumSumOp, [g], {
      axis: t.attrs.axis as number,
      exclusive: t.attrs.exclusive as boolean,
      reverse: !(t.attrs.reverse as boolean),
    }),
  ],
};

/** Cumulative sum along `axis` (ONNX CumSum). */
export function cumsum(x: Tensor, axis = -1, opts: CumSumOptions = {}): Tensor {
  return apply(CumSumOp, [x], {
    axis: normAxis(axis, x.rank),
    exclusive: opts.exclusive ?? false,
    reverse: opts.reverse ?? false,
  });
}

/**
 * Gumbel(0, 1) draws −log(−log u) from uniforms `u` in (0, 1) (e.g. `ctx.rng.uniform(shape)`). The
 * uniforms are clipped to [2⁻²⁴, 1 − 2⁻²⁴] first: the in-graph generator's largest value, 1 − 2⁻²⁵,
 * rounds to 1 in float32, and u = 1 would give an infinite draw (a NaN in the softmax after it).
 */
export function gumbelFromUniform(u: Tensor): Tensor {
  return neg(log(neg(log(clip(u, 2 ** -24, 1 - 2 ** -24)))));
}

/**
 * The Gumbel-softmax (Concrete) relaxation of a categorical sample: softmax((logits + g)/τ) along
 * `axis`, with Gumbel noise `g`. As τ → 0 it approaches the one-hot Gumbel-max sample
 * onehot(argmax(logits + g)), which is an exact draw from softmax(logits).
 */
export function gumbelSoftmax(logits: Tensor, gumbel: Tensor, tau: TensorLike, axis = -1): Tensor {
  return softmax(div(add(logits, gumbel), tau), axis);
}

/** One-hot of the largest entry along the last axis (no gradient). */
export function hardOneHot(x: Tensor): Tensor {
  return oneHot(argmax(x, -1), x.shape.at(-1)!, x.dtype);
}

/**
 * The straight-through estimator: the value of `hard`, the gradient of `soft`
 * (soft + stopGradient(hard − soft)).
 */
export function straightThrough(hard: Tensor, soft: Tensor): Tensor {
  return add(soft, stopGradient(sub(hard, soft)));
}

/** What {@link vectorQuantize} returns. */
export interface Quantized {
  /** Index of the nearest code of each row (int64 [N]). */
  index: Tensor;
  /** One-hot of the index, [N, K] (a constant: no gradient). */
  onehot: Tensor;
  /** The nearest codes, onehot · codebook [N, D]: gradients reach the codebook rows that were chosen. */
  codes: Tensor;
}

/**
 * Nearest-code quantisation of the rows of `z` [N, D] against `codebook` [K, D] in squared Euclidean
 * distance (‖z‖² − 2 z·e + ‖e‖², whose argmin ignores the ‖z‖² term). The VQ-VAE's straight-through
 * estimator is `straightThrough(codes, z)`.
 */
export function vectorQuantize(z: Tensor, codebook: Tensor): Quantized {
  const e = stopGradient(codebook);
  const scores = sub(reduceSum(mul(e, e), 1), mul(matmul(stopGradient(z), transpose(e)), 2));
  const index = argmin(scores, 1);
  const onehot = oneHot(index, codebook.shape[0]!, z.dtype);
  return { index, onehot, codes: matmul(onehot, codebook) };
}
