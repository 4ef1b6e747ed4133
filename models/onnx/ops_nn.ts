/**
 * Neural-network ops: softmax and log-softmax (primitives with their own gradient rules), layer norm
 * and batch norm with batch statistics (compositions, so they are twice differentiable for free), and
 * softmax cross-entropy.
 *
 * @module
 */
import { apply, attr, normAxis, type OpDef, requireFloat, type Tensor } from "./graph.ts";
import { add, div, exp, mul, neg, sqrt, sub } from "./ops_elementwise.ts";
import { type Axes, reduceMean, reduceSum } from "./ops_reduce.ts";
import { labels64, oneHot } from "./ops_index.ts";
import { reshape } from "./ops_shape.ts";

function softmaxLike(name: string, vjp: NonNullable<OpDef["vjp"]>): OpDef {
  return {
    name,
    infer(inputs, attrs) {
      requireFloat(inputs[0]!);
      normAxis(attrs.axis as number, inputs[0]!.rank);
      return { dtype: inputs[0]!.dtype, shape: inputs[0]!.shape };
    },
    emit: (e, t, ins, out) => void e.node(name, ins, { axis: attr.i(t.attrs.axis as number) }, out),
    vjp,
  };
}

const SoftmaxOp = softmaxLike("Softmax", (g, t) => {
  const axis = t.attrs.axis as number;
  return [mul(t, sub(g, reduceSum(mul(g, t), axis, true)))];
});
const LogSoftmaxOp = softmaxLike("LogSoftmax", (g, t) => {
  const axis = t.attrs.axis as number;
  return [sub(g, mul(exp(t), reduceSum(g, axis, true)))];
});

/** Softmax along `axis` (default last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return apply(SoftmaxOp, [x], { axis: normAxis(axis, x.rank) });
}
/** Log-softmax along `axis` (default last). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return apply(LogSoftmaxOp, [x], { axis: normAxis(axis, x.rank) });
}

/** Normalises `x` to zero mean, unit (biased) variance over `axes`. */
function normalize(x: Tensor, axes: Axes, eps: number): Tensor {
  const xc = sub(x, reduceMean(x, axes, true));
  const variance = reduceMean(mul(xc, xc), axes, true);
  return div(xc, sqrt(add(variance, eps)));
}

/**
 * Layer normalisation over the trailing `axes` (default the last), then `* gamma + beta` when given
 * (both broadcast against the normalised shape).
 */
export function layerNorm(x: Tensor, gamma?: Tensor, beta?: Tensor, axes: Axes = -1, eps = 1e-5): Tensor {
  let y = normalize(x, axes, eps);
  if (gamma) y = mul(y, gamma);
  if (beta) y = add(y, beta);
  return y;
}

/**
 * Batch normalisation with batch statistics (PyTorch train mode, biased variance): over axes [0, 2, 3]
 * for NCHW input, [0] for [N, C]. `gamma` and `beta` are [C].
 */
export function batchNorm(x: Tensor, gamma?: Tensor, beta?: Tensor, eps = 1e-5): Tensor {
  if (x.rank !== 2 && x.rank !== 4) throw new Error(`batchNorm expects [N,C] or [N,C,H,W], got ${x}`);
  const axes = x.rank === 4 ? [0, 2, 3] : [0];
  const perChannel = x.rank === 4 ? [1, x.shape[1]!, 1, 1] : [1, x.shape[1]!];
  let y = normalize(x, axes, eps);
  if (gamma) y = mul(y, reshape(gamma, perChannel));
  if (beta) y = add(y, reshape(beta, perChannel));
  return y;
}

/**
 * Mean softmax cross-entropy of `logits` [N, C] against integer `labels` [N] (int64 or int32).
 * Returns a scalar.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  if (logits.rank !== 2) throw new Error(`softmaxCrossEntropy expects logits [N,C], got ${logits}`);
  const onehot = oneHot(labels64(labels), logits.shape[1]!, logits.dtype);
  return neg(reduceMean(reduceSum(mul(onehot, logSoftmax(logits)), 1)));
}
