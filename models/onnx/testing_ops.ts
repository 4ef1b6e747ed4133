/**
 * A graph that uses every op (forward and gradient), for the ONNX-checker test.
 *
 * @module
 */
import { grad } from "./autodiff.ts";
import type { FloatDType } from "./dtype.ts";
import { emitModel } from "./emit.ts";
import { constant, input, scope, type Tensor } from "./graph.ts";
import { conv2d, convTranspose2d } from "./ops_conv.ts";
import * as E from "./ops_elementwise.ts";
import { gather, gatherND, oneHot, scatterNDAdd } from "./ops_index.ts";
import { gemm, matmul } from "./ops_linalg.ts";
import { batchNorm, layerNorm, logSoftmax, softmax, softmaxCrossEntropy } from "./ops_nn.ts";
import { argmax, argmin, logsumexp, reduceMax, reduceMean, reduceSum } from "./ops_reduce.ts";
import { concat, expand, flatten, flip, pad, reshape, slice, transpose } from "./ops_shape.ts";
import { GraphRng } from "./rng.ts";
import { cumsum, gumbelFromUniform, gumbelSoftmax, vectorQuantize } from "./ops_discrete.ts";

/** Every op applied to one input, reduced to a scalar, with its first- and second-order gradients. */
export function allOpsModel(dtype: FloatDType): Uint8Array {
  const x = input("x", dtype, [2, 3, 4, 4]);
  const w = input("w", dtype, [3, 3, 3, 3]);
  const terms: Tensor[] = [];
  const add = (name: string, t: Tensor) => terms.push(scope(name, () => reduceSum(t)));
  const pos = E.add(E.square(x), 0.5);
  const unary = [E.neg, E.exp, E.abs, E.tanh, E.sigmoid, E.softplus, E.relu, E.sin, E.cos, E.sign];
  unary.forEach((f, i) => add(`unary${i}`, f(x)));
  add("log", E.log(pos));
  add("sqrt", E.sqrt(pos));
  add("pow", E.pow(pos, x));
  add("leaky", E.leakyRelu(x, 0.2));
  add("elu", E.elu(x));
  add("minmax", E.add(E.maximum(x, 0.1), E.minimum(x, E.neg(x))));
  add("clip", E.clip(x, -0.5, 0.5));
  add("div", E.div(x, pos));
  const cond = E.logicalOr(
    E.less(x, 0),
    E.logicalAnd(E.greaterEqual(x, 1), E.logicalNot(E.logicalOr(E.lessEqual(x, 1.5), E.equal(x, 2)))),
  );
  add("where", E.where(cond, x, E.mul(x, 2)));
  add("stop", E.mul(E.stopGradient(x), x));
  add("reduceMean", reduceMean(x, [1, 2]));
  add("reduceMax", reduceMax(x, -1, true));
  add("logsumexp", logsumexp(x, 0));
  add("arg", E.mul(E.cast(E.add(argmax(x, 1), argmin(x, 1)), dtype), 1));
  const y = conv2d(x, w, undefined, { stride: 2, pad: 1 });
  add("conv", y);
  add("deconv", convTranspose2d(y, w, undefined, { stride: 2, pad: 1 }));
  const f = flatten(x);
  add(
    "linalg",
    E.add(
      reduceSum(gemm(f, f, { transB: true })),
      reduceSum(matmul(reshape(x, [2, 3, 16]), reshape(x, [2, 16, 3]))),
    ),
  );
  add("shape", E.add(reduceSum(transpose(x, [0, 2, 3, 1])), reduceSum(concat([x, flip(x, [3])], 1))));
  add(
    "slice",
    E.add(reduceSum(slice(x, [1, 0], [4, 4], [2, 3], [2, 1])), reduceSum(pad(x, [0, 0, 1, 1, 0, 0, 1, 1]))),
  );
  add("expand", expand(reshape(x, [2, 3, 4, 4, 1]), [2, 3, 4, 4, 2]));
  const idx = constant([1, 0, 1], "int64", [3]);
  add(
    "gather",
    E.add(reduceSum(gather(x, idx, 1)), reduceSum(gatherND(x, constant([0, 1, 1, 2], "int64", [2, 2])))),
  );
  add(
    "scatter",
    scatterNDAdd(x, constant([1, 0], "int64", [1, 2]), reshape(slice(x, [0, 0], [1, 1], [0, 1]), [1, 4, 4])),
  );
  add("softmax", E.add(softmax(f), logSoftmax(f, 0)));
  add("norms", E.add(reduceSum(layerNorm(f)), reduceSum(batchNorm(x))));
  add("xent", softmaxCrossEntropy(reshape(slice(f, [0], [4], [1]), [2, 4]), constant([1, 3], "int64", [2])));
  add("onehot", oneHot(constant([2, 0], "int32", [2]), 3, dtype));
  const rng = new GraphRng(input("seed", "int32", []), input("step", dtype, []), dtype);
  add("rng", E.mul(rng.normal([2, 3]), rng.uniform([3])));
  add("cumsum", E.add(cumsum(x, 1, { exclusive: true }), cumsum(x, 3, { reverse: true })));
  add("gumbel", gumbelSoftmax(f, gumbelFromUniform(E.sigmoid(f)), 0.5));
  add("quantize", vectorQuantize(reshape(x, [8, 12]), reshape(slice(f, [0], [1], [0]), [4, 12])).codes);
  const total = terms.reduce((a, b) => E.add(a, b));
  const [gx, gw] = grad(total, [x, w]);
  const [ggw] = grad(reduceSum(E.square(gx!)), [w]);
  return emitModel({ name: `all_ops_${dtype}`, outputs: { total, gx: gx!, gw: gw!, ggw: ggw! } });
}
