/**
 * Neural-network ops: softmax and log-softmax (primitives with their own gradient rules), layer norm
 * and batch norm with batch statistics (compositions, so they are twice differentiable for free), and
 * softmax cross-entropy.
 *
 * @module
 */
import { apply, attr, normAxis, type OpDef, requireFloat, sameDType, scalar, type Tensor } from "./graph.ts";
import { add, div, exp, mul, neg, sqrt, sub } from "./ops_elementwise.ts";
import { type Axes, reduceMean, reduceSum } from "./ops_reduce.ts";
import { labels64, oneHot } from "./ops_index.ts";
import { expand, reshape } from "./ops_shape.ts";

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
 * `(x − mean)/√(var + eps)·gamma + beta` per channel with given statistics (ONNX BatchNormalization in
 * inference form: one pass over x). Its VJP is the whole batch-norm backward for the batch statistics of
 * x: `batchNorm` passes `mean` and `var` computed from x, so `dx` below is the total derivative (through
 * the statistics too) and the statistics get no cotangent of their own. The rule is written in IR ops,
 * so it differentiates again (the statistics are functions of x there).
 */
const BatchNormOp: OpDef = {
  name: "BatchNormalization",
  infer(inputs) {
    const [x, ...perChannel] = inputs as [Tensor, Tensor, Tensor, Tensor, Tensor];
    const dtype = sameDType(inputs);
    requireFloat(x);
    for (const p of perChannel) {
      if (p.rank !== 1 || p.shape[0] !== x.shape[1]) {
        throw new Error(`per-channel inputs must be [${x.shape[1]}]`);
      }
    }
    return { dtype, shape: x.shape };
  },
  emit: (e, t, ins, out) =>
    void e.node("BatchNormalization", ins, { epsilon: attr.f(t.attrs.eps as number) }, out),
  vjp(g, t) {
    const [x, gamma, , mean, variance] = t.inputs as [Tensor, Tensor, Tensor, Tensor, Tensor];
    const axes = x.rank === 4 ? [0, 2, 3] : [0];
    const n = axes.reduce((a, i) => a * x.shape[i]!, 1);
    const perChannel = (v: Tensor) => reshape(v, x.rank === 4 ? [1, x.shape[1]!, 1, 1] : [1, x.shape[1]!]);
    const inv = div(1, sqrt(add(variance, t.attrs.eps as number)));
    const xhat = mul(sub(x, perChannel(mean)), perChannel(inv));
    const dbeta = reduceSum(g, axes);
    const dgamma = reduceSum(mul(g, xhat), axes);
    // dx = γ/σ · (g − mean(g) − x̂·mean(g·x̂)): the mean and variance paths folded in.
    const centred = sub(sub(g, perChannel(div(dbeta, n))), mul(xhat, perChannel(div(dgamma, n))));
    return [mul(centred, perChannel(mul(gamma, inv))), dgamma, dbeta, null, null];
  },
};

/**
 * Batch normalisation with batch statistics (PyTorch train mode, biased variance): over axes [0, 2, 3]
 * for NCHW input, [0] for [N, C]. `gamma` and `beta` are [C]. The statistics are two reductions; the
 * normalisation is one BatchNormalization kernel, and its gradient the compact batch-norm backward,
 * instead of the 7 forward and ~10 backward elementwise passes of the composition.
 */
export function batchNorm(x: Tensor, gamma?: Tensor, beta?: Tensor, eps = 1e-5): Tensor {
  if (x.rank !== 2 && x.rank !== 4) throw new Error(`batchNorm expects [N,C] or [N,C,H,W], got ${x}`);
  const axes = x.rank === 4 ? [0, 2, 3] : [0];
  const c = x.shape[1]!;
  const mean = reduceMean(x, axes, true);
  const xc = sub(x, mean);
  const variance = reduceMean(mul(xc, xc), axes);
  const ones = gamma ?? expand(scalar(1, x.dtype), [c]);
  const zeros = beta ?? expand(scalar(0, x.dtype), [c]);
  return apply(BatchNormOp, [x, ones, zeros, reshape(mean, [c]), variance], { eps: Math.fround(eps) });
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
