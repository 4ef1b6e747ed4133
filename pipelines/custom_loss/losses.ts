/**
 * The losses of «Keras中自定义复杂的loss函数» (kexue.fm/archives/4493) as graph functions; their
 * gradients come from the ops' own rules (models/onnx) and are checked against finite differences in
 * float64 in losses_test.ts.
 *
 * - ε-smoothed cross-entropy ("mycrossentropy", against over-confidence):
 *   −(1 − ε)·log softmax_y − ε·(1/n)·Σ_i log softmax_i, mean over the batch.
 * - Center loss: cross-entropy + λ·‖f − c_y‖², the class centres c a parameter [classes, dim] (the article
 *   keeps them in an Embedding layer, trained by the same gradient), mean over the batch.
 * - Triplet loss (FAQ retrieval): max(0, m + cos(q, a_wrong) − cos(q, a_right)), mean over the batch.
 *
 * @module
 */
import type { Tensor } from "../../models/onnx/graph.ts";
import { add, div, maximum, mul, neg, sqrt, sub } from "../../models/onnx/ops_elementwise.ts";
import { gather, labels64, oneHot } from "../../models/onnx/ops_index.ts";
import { logSoftmax } from "../../models/onnx/ops_nn.ts";
import { reduceMean, reduceSum } from "../../models/onnx/ops_reduce.ts";

/** Mean ε-smoothed cross-entropy of logits [N, n] against int labels [N]; ε = 0 is plain cross-entropy. */
export function smoothedCrossEntropy(logits: Tensor, labels: Tensor, eps: number): Tensor {
  const n = logits.shape[1]!;
  const logp = logSoftmax(logits, 1);
  const target = oneHot(labels64(labels), n, logits.dtype);
  // −Σ_i w_i log p_i with w = (1 − ε)·onehot + ε/n.
  const w = add(mul(target, 1 - eps), eps / n);
  return neg(reduceMean(reduceSum(mul(w, logp), 1)));
}

/** Mean ‖f − c_y‖² of features [N, dim] against the centres [classes, dim] of their labels [N]. */
export function centerDistance(features: Tensor, labels: Tensor, centres: Tensor): Tensor {
  const c = gather(centres, labels64(labels), 0);
  const d = sub(features, c);
  return reduceMean(reduceSum(mul(d, d), 1));
}

/** Cosine similarity of the rows of a and b, [N, dim] → [N]. */
export function cosine(a: Tensor, b: Tensor): Tensor {
  const dot = reduceSum(mul(a, b), 1);
  const norms = sqrt(mul(reduceSum(mul(a, a), 1), reduceSum(mul(b, b), 1)));
  return div(dot, add(norms, 1e-12));
}

/** Mean max(0, margin + cos(q, wrong) − cos(q, right)). */
export function tripletLoss(q: Tensor, right: Tensor, wrong: Tensor, margin: number): Tensor {
  return reduceMean(maximum(add(sub(cosine(q, wrong), cosine(q, right)), margin), 0));
}
