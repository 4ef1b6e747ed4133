/**
 * Implicit maximum likelihood estimation (Li & Malik, arXiv:1809.09087) as Su's «非对抗式生成模型GLANN的
 * 简单介绍» (kexue.fm/archives/6394) and his bojone/gan imle.py write it: a generator-only objective with
 * no critic, so it is not an entry of the GAN loss registry (gan_losses.ts pairs a critic loss with a
 * generator loss). Distances are all pairs within the batch (M = N = batch, as imle.py):
 *
 * | loss              | formula                                                                          |
 * | ----------------- | -------------------------------------------------------------------------------- |
 * | {@link imleLoss}  | (1/M) Σ_i min_j d(x_i, G(z_j))                                                   |
 * | {@link repulsionLoss} | (1/M) Σ_i [min_j d(G(z_i), x_j) + relu(m − min_j d(G(z_i), G(z'_j)))], two fake batches |
 *
 * The repulsion variant is Su's: each fake is pulled to its nearest real image and pushed (up to the
 * margin m) from its nearest fake of a second batch, so that fakes do not collapse onto a few reals (the
 * translation's sign is garbled; this is its stated intent). d is the squared distance per value,
 * d(a, b) = ‖a − b‖²/D over the D values of a record, so that m does not depend on the image size.
 *
 * The gradient through min_j is that of the selected pair: min_j d_ij = Σ_j onehot(argmin_j d_ij)·d_ij with
 * the one-hot mask constant (piecewise, the min is the selected term), so reverse mode needs no rule of
 * its own (tested against float64 finite differences in imle_test.ts).
 *
 * @module
 */
import { scope, type Tensor } from "../graph.ts";
import { oneHot } from "../ops_index.ts";
import { add, mul, relu, sub } from "../ops_elementwise.ts";
import { matmul } from "../ops_linalg.ts";
import { argmin, reduceMean, reduceSum } from "../ops_reduce.ts";
import { flatten, reshape, transpose } from "../ops_shape.ts";

/** d(a_i, b_j) = ‖a_i − b_j‖²/D for every pair: [N, M] from records `a` [N, …] and `b` [M, …]. */
export function pairwiseDistances(a: Tensor, b: Tensor): Tensor {
  const fa = flatten(a);
  const fb = flatten(b);
  const d = fa.shape[1]!;
  if (fb.shape[1] !== d) throw new Error(`pairwiseDistances: records of ${d} and ${fb.shape[1]} values`);
  // ‖a‖² + ‖b‖² − 2a·b: one matrix product instead of an [N, M, D] difference.
  const na = reshape(reduceSum(mul(fa, fa), 1), [fa.shape[0]!, 1]);
  const nb = reshape(reduceSum(mul(fb, fb), 1), [1, fb.shape[0]!]);
  return mul(sub(add(na, nb), mul(matmul(fa, transpose(fb)), 2)), 1 / d);
}

/** min_j of `distances` [N, M] along its second axis, [N], with the gradient of the selected entry. */
export function nearest(distances: Tensor): Tensor {
  const pick = oneHot(argmin(distances, 1), distances.shape[1]!, distances.dtype);
  return reduceSum(mul(distances, pick), 1);
}

/** IMLE: the mean over the real records `x` of the distance to the nearest fake `fake`. */
export function imleLoss(x: Tensor, fake: Tensor): Tensor {
  return scope("imle", () => reduceMean(nearest(pairwiseDistances(x, fake))));
}

/** Su's repulsion variant and its two terms (means over the fakes). */
export function repulsionLoss(
  x: Tensor,
  fake: Tensor,
  fake2: Tensor,
  margin: number,
): { loss: Tensor; attract: Tensor; repel: Tensor } {
  return scope("imle_repulsion", () => {
    const attract = reduceMean(nearest(pairwiseDistances(fake, x)));
    const repel = reduceMean(relu(sub(margin, nearest(pairwiseDistances(fake, fake2)))));
    return { loss: add(attract, repel), attract, repel };
  });
}
