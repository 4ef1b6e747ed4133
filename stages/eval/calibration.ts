/**
 * What a classifier's predictions say beyond accuracy, from its logits: the mean softmax cross-entropy,
 * the expected calibration error with its reliability diagram, the confidence it gives to inputs of no
 * class, and how tightly its features cluster by class. Plain float64 host code, for `eval.classifier`.
 *
 * - ECE (Naeini et al. 2015; Guo et al. 2017): predictions binned by confidence c = max softmax into
 *   `bins` equal-width bins of (0, 1]; ECE = Σ_b (n_b/N)·|acc_b − conf_b|. 0 for a calibrated classifier,
 *   and biased upward by sampling noise (≈ √(2/(πN)) per unit of spread when N is small per bin).
 * - Feature ratio: the mean Euclidean distance of a feature to its class centre over the mean distance
 *   between two class centres. It does not change when all features are scaled, so a loss cannot lower it
 *   by shrinking the features (center loss's trivial solution).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { calibration } from "./calibration.ts";
 *
 * // Two predictions at confidence 0.9, one right and one wrong: accuracy 0.5 in that bin, ECE 0.4.
 * const logits = Float64Array.of(Math.log(9), 0, Math.log(9), 0);
 * const c = calibration(logits, Int32Array.of(0, 1), 2, 10);
 * assert.ok(Math.abs(c.ece - 0.4) < 1e-12 && c.accuracy === 0.5);
 * ```
 *
 * @module
 */

/** One bin of a reliability diagram. */
export interface ReliabilityBin {
  /** Upper edge of the bin. */
  upper: number;
  count: number;
  /** Mean confidence and accuracy of the predictions in the bin (NaN when empty). */
  confidence: number;
  accuracy: number;
}

export interface Calibration {
  accuracy: number;
  /** Mean −log softmax of the true class. */
  loss: number;
  ece: number;
  /** Mean max-softmax. */
  confidence: number;
  bins: ReliabilityBin[];
}

/** Softmax probabilities of row-major logits [N, classes], in float64. */
export function softmaxRows(logits: ArrayLike<number>, classes: number): Float64Array {
  const n = logits.length / classes;
  const out = new Float64Array(logits.length);
  for (let r = 0; r < n; r++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[r * classes + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += out[r * classes + c] = Math.exp(logits[r * classes + c]! - max);
    for (let c = 0; c < classes; c++) out[r * classes + c]! /= sum;
  }
  return out;
}

/** Accuracy, cross-entropy, ECE and the reliability diagram of logits [N, classes] against labels. */
export function calibration(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
  bins = 15,
): Calibration {
  const n = labels.length;
  if (logits.length !== n * classes) {
    throw new Error(`calibration: ${logits.length} logits for ${n} labels of ${classes} classes`);
  }
  const p = softmaxRows(logits, classes);
  const count = new Float64Array(bins), conf = new Float64Array(bins), hit = new Float64Array(bins);
  let correct = 0, loss = 0, meanConf = 0;
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (p[r * classes + c]! > p[r * classes + best]!) best = c;
    const c = p[r * classes + best]!;
    const right = best === labels[r] ? 1 : 0;
    correct += right;
    loss -= Math.log(Math.max(p[r * classes + labels[r]!]!, 1e-300));
    meanConf += c;
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(c * bins) - 1));
    count[b]! += 1;
    conf[b]! += c;
    hit[b]! += right;
  }
  let ece = 0;
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const k = count[b]!;
    if (k > 0) ece += (k / n) * Math.abs(hit[b]! / k - conf[b]! / k);
    out.push({
      upper: (b + 1) / bins,
      count: k,
      confidence: k ? conf[b]! / k : NaN,
      accuracy: k ? hit[b]! / k : NaN,
    });
  }
  return { accuracy: correct / n, loss: loss / n, ece, confidence: meanConf / n, bins: out };
}

/** Mean max-softmax of logits [N, classes]: how sure the classifier is, e.g. on noise. */
export function meanConfidence(logits: ArrayLike<number>, classes: number): number {
  const p = softmaxRows(logits, classes);
  let s = 0;
  const n = logits.length / classes;
  for (let r = 0; r < n; r++) {
    let m = 0;
    for (let c = 0; c < classes; c++) m = Math.max(m, p[r * classes + c]!);
    s += m;
  }
  return s / n;
}

/** Class centres, the mean distance to one's centre, the mean distance between centres, and their ratio. */
export function featureRatio(
  features: ArrayLike<number>,
  labels: ArrayLike<number>,
  dim: number,
  classes: number,
): { intra: number; inter: number; ratio: number; centres: Float64Array } {
  const n = labels.length;
  const centres = new Float64Array(classes * dim);
  const counts = new Float64Array(classes);
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    counts[y]! += 1;
    for (let d = 0; d < dim; d++) centres[y * dim + d]! += features[i * dim + d]!;
  }
  for (let y = 0; y < classes; y++) for (let d = 0; d < dim; d++) centres[y * dim + d]! /= counts[y]! || 1;
  const dist = (a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += (a[i * dim + d]! - b[j * dim + d]!) ** 2;
    return Math.sqrt(s);
  };
  let intra = 0;
  for (let i = 0; i < n; i++) intra += dist(features, i, centres, labels[i]!);
  intra /= n;
  const present = [...counts.keys()].filter((y) => counts[y]! > 0);
  let inter = 0, pairs = 0;
  for (const a of present) {
    for (const b of present) {
      if (b <= a) continue;
      inter += dist(centres, a, centres, b);
      pairs++;
    }
  }
  inter /= pairs || 1;
  return { intra, inter, ratio: intra / inter, centres };
}

/** The first step whose value reaches `target` (≥, or ≤ with `below`), linearly interpolated; null if none. */
export function stepsToReach(
  steps: readonly number[],
  values: readonly number[],
  target: number,
  below = false,
): number | null {
  const reached = (v: number) => (below ? v <= target : v >= target);
  for (let i = 0; i < values.length; i++) {
    if (!reached(values[i]!)) continue;
    if (i === 0) return steps[0]!;
    const [s0, s1, v0, v1] = [steps[i - 1]!, steps[i]!, values[i - 1]!, values[i]!];
    return v1 === v0 ? s1 : s0 + ((target - v0) / (v1 - v0)) * (s1 - s0);
  }
  return null;
}
