/**
 * The Gumbel-max trick (kexue.fm/archives/6705 §1): argmaxᵢ (log pᵢ + Gᵢ) with Gᵢ = −log(−log Uᵢ) i.i.d.
 * standard Gumbel is an exact sample of the categorical distribution p; and Pearson's χ² test of a
 * sample's counts against p.
 *
 * @module
 */
import type { Rng } from "../../stages/data/random.ts";
import { chiSquareSurvival } from "../../numerics/special_functions.ts";

/** A standard Gumbel draw −log(−log U), U uniform in (0, 1) (0 is redrawn, 1 cannot occur). */
export function gumbel(rng: Rng): number {
  let u = rng.float();
  while (u === 0) u = rng.float();
  return -Math.log(-Math.log(u));
}

/** Counts of `draws` samples of argmaxᵢ (log pᵢ + noise()). */
export function argmaxCounts(logP: readonly number[], draws: number, noise: () => number): Float64Array {
  const counts = new Float64Array(logP.length);
  for (let t = 0; t < draws; t++) {
    let best = -Infinity, arg = 0;
    for (let i = 0; i < logP.length; i++) {
      const v = logP[i]! + noise();
      if (v > best) (best = v, arg = i);
    }
    counts[arg]!++;
  }
  return counts;
}

export interface ChiSquare {
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
  /** Categories after pooling those with expected count below 5 into one. */
  cells: number;
}

/**
 * Pearson's χ² of `counts` against probabilities `p`. Categories expected fewer than 5 times are pooled
 * into one cell (the usual validity rule for the χ² approximation).
 */
export function chiSquareTest(counts: ArrayLike<number>, p: readonly number[]): ChiSquare {
  const total = Array.from(counts).reduce((a, b) => a + b, 0);
  const observed: number[] = [], expected: number[] = [];
  let pooledO = 0, pooledE = 0;
  for (let i = 0; i < p.length; i++) {
    const e = total * p[i]!;
    if (e < 5) (pooledO += counts[i]!, pooledE += e);
    else (observed.push(counts[i]!), expected.push(e));
  }
  if (pooledE > 0) (observed.push(pooledO), expected.push(pooledE));
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) statistic += (observed[i]! - expected[i]!) ** 2 / expected[i]!;
  const degreesOfFreedom = observed.length - 1;
  return {
    statistic,
    degreesOfFreedom,
    pValue: degreesOfFreedom > 0 ? chiSquareSurvival(statistic, degreesOfFreedom) : 1,
    cells: observed.length,
  };
}
