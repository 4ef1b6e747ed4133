/**
 * Scores of a generator computed from a classifier's predictions on its samples: the (classifier)
 * inception score and class coverage. With no pretrained Inception network offline, the classifier is
 * one the pipeline trains on the same dataset; reports must say so. Logs are natural (nats).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classCoverage, inceptionScore, predictedClasses } from "./scores.ts";
 *
 * // probs: N×10 softmax outputs of the pipeline's classifier on N generated images; here 20 confident
 * // predictions spread evenly over the classes, and 20 of a generator that collapsed to class 0
 * const probs = Float64Array.from({ length: 200 }, (_, i) => (Math.floor(i / 10) % 10 === i % 10 ? 1 : 0));
 * const collapsed = probs.map((_, i) => (i % 10 === 0 ? 1 : 0));
 * const { score } = inceptionScore(probs, 10); // 1 (one class or no confidence) .. 10
 * const coverage = classCoverage(predictedClasses(probs, 10), 10);
 * coverage.covered; // classes predicted at least once
 * coverage.klFromUniform; // 0 when every class is equally frequent, ln 10 when only one appears
 * assert.ok(Math.abs(score - 10) < 1e-9 && coverage.covered === 10 && coverage.klFromUniform === 0);
 * const one = classCoverage(predictedClasses(collapsed, 10), 10);
 * assert.ok(Math.abs(inceptionScore(collapsed, 10).score - 1) < 1e-9 && one.covered === 1);
 * assert.ok(Math.abs(one.klFromUniform - Math.log(10)) < 1e-9);
 * ```
 *
 * @module
 */

/** The inception score overall and, when split, per split. */
export interface InceptionScore {
  /** Mean of the per-split scores (the score of the whole set when `splits` is 1). */
  score: number;
  /** Population standard deviation over splits (0 for one split), as in the original implementation. */
  std: number;
  /** Score of each split. */
  splits: number[];
}

/**
 * Inception score exp(E_x KL(p(y|x) ‖ p(y))) from N×K class probabilities (flat row-major softmax
 * outputs), with p(y) the mean prediction. It is 1 when every prediction is the same and K when the
 * predictions are confident and spread evenly over the K classes.
 */
export function inceptionScore(
  probs: ArrayLike<number>,
  classes: number,
  options: { splits?: number } = {},
): InceptionScore {
  const count = checkProbabilities(probs, classes);
  const splitCount = options.splits ?? 1;
  if (!Number.isInteger(splitCount) || splitCount < 1 || splitCount > count) {
    throw new Error(
      `Cannot split ${count} predictions into ${splitCount} parts: use an integer in 1..${count}`,
    );
  }
  const splits: number[] = [];
  for (let s = 0; s < splitCount; s++) {
    const start = Math.floor((s * count) / splitCount);
    const end = Math.floor(((s + 1) * count) / splitCount);
    splits.push(Math.exp(meanKlFromMarginal(probs, classes, start, end)));
  }
  const score = splits.reduce((a, b) => a + b, 0) / splitCount;
  const std = Math.sqrt(splits.reduce((a, b) => a + (b - score) ** 2, 0) / splitCount);
  return { score, std, splits };
}

function meanKlFromMarginal(probs: ArrayLike<number>, classes: number, start: number, end: number): number {
  const marginal = new Float64Array(classes);
  for (let r = start; r < end; r++) {
    for (let k = 0; k < classes; k++) marginal[k] = marginal[k]! + probs[r * classes + k]!;
  }
  for (let k = 0; k < classes; k++) marginal[k] = marginal[k]! / (end - start);
  let sum = 0;
  for (let r = start; r < end; r++) {
    for (let k = 0; k < classes; k++) {
      const p = probs[r * classes + k]!;
      // 0 · log 0 = 0; and p > 0 implies marginal > 0.
      if (p > 0) sum += p * Math.log(p / marginal[k]!);
    }
  }
  return sum / (end - start);
}

function checkProbabilities(probs: ArrayLike<number>, classes: number): number {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new Error(`Cannot score ${classes} classes: use a positive integer`);
  }
  const count = probs.length / classes;
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(
      `Cannot score predictions: ${probs.length} values is not a whole number of rows of ${classes} classes`,
    );
  }
  for (let r = 0; r < count; r++) {
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      const p = probs[r * classes + k]!;
      if (!(p >= 0)) {
        throw new Error(
          `Cannot score predictions: row ${r} has probability ${p}; pass softmax outputs, not logits`,
        );
      }
      sum += p;
    }
    if (Math.abs(sum - 1) > 1e-3) {
      throw new Error(
        `Cannot score predictions: row ${r} sums to ${sum}, not 1; pass softmax outputs, not logits`,
      );
    }
  }
  return count;
}

/** The most probable class of each row of N×K probabilities (or logits); ties go to the lower index. */
export function predictedClasses(probs: ArrayLike<number>, classes: number): Int32Array {
  const count = probs.length / classes;
  if (!Number.isInteger(count)) {
    throw new Error(
      `Cannot take argmax: ${probs.length} values is not a whole number of rows of ${classes} classes`,
    );
  }
  const out = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (probs[r * classes + k]! > probs[r * classes + best]!) best = k;
    out[r] = best;
  }
  return out;
}

/** How the predicted classes of generated samples spread over the K classes. */
export interface ClassCoverage {
  classes: number;
  /** Samples predicted as each class. */
  counts: number[];
  /** counts / N. */
  histogram: number[];
  /** KL(histogram ‖ uniform) in nats: 0 when balanced, ln K when a single class is predicted. */
  klFromUniform: number;
  /** Classes with at least `minCount` samples. */
  covered: number;
}

/** Class coverage of predicted labels (integers in 0..K-1), e.g. from `predictedClasses`. */
export function classCoverage(
  labels: ArrayLike<number>,
  classes: number,
  options: { minCount?: number } = {},
): ClassCoverage {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new Error(`Cannot count ${classes} classes: use a positive integer`);
  }
  if (labels.length === 0) {
    throw new Error("Cannot measure class coverage of no samples: pass at least one label");
  }
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new Error(
        `Cannot count label ${label} at index ${i}: labels must be integers in 0..${classes - 1}`,
      );
    }
    counts[label]!++;
  }
  const n = labels.length;
  const histogram = counts.map((c) => c / n);
  let klFromUniform = 0;
  for (const h of histogram) if (h > 0) klFromUniform += h * Math.log(h * classes);
  const minCount = options.minCount ?? 1;
  const covered = counts.filter((c) => c >= minCount).length;
  return { classes, counts, histogram, klFromUniform, covered };
}
