/**
 * K-means as the limiting case of EM (kexue.fm/archives/4277): with equal weights and a shared
 * covariance σ²I held fixed, the E-step's responsibilities r_ik ∝ exp(−|x_i − μ_k|²/2σ²) harden into
 * nearest-centre assignments as σ → 0, and the M-step μ_k = Σ_i r_ik x_i / Σ_i r_ik becomes the mean of
 * each centre's members: Lloyd's iteration.
 *
 * @module
 */

/** A run of Lloyd's algorithm. */
export interface KmeansRun {
  centers: Float64Array;
  assignment: Int32Array;
  /** Σ_i |x_i − μ_{a(i)}|² after each assignment step (index 0: from the seeds). */
  objectives: number[];
  /** Iterations until no assignment changed. */
  iterations: number;
}

/** Lloyd's algorithm from `seeds` ([K × d]) until no point changes centre, or `maxIterations`. */
export function kmeans(x: Float64Array, d: number, seeds: Float64Array, maxIterations = 1000): KmeansRun {
  const n = x.length / d, k = seeds.length / d;
  const centers = seeds.slice();
  const assignment = new Int32Array(n).fill(-1);
  const objectives: number[] = [];
  let iterations = 0;
  for (;;) {
    let changed = 0, objective = 0;
    for (let i = 0; i < n; i++) {
      let best = 0, bestDist = Infinity;
      for (let c = 0; c < k; c++) {
        let dist = 0;
        for (let a = 0; a < d; a++) dist += (x[i * d + a]! - centers[c * d + a]!) ** 2;
        if (dist < bestDist) (bestDist = dist, best = c);
      }
      if (assignment[i] !== best) changed++;
      assignment[i] = best;
      objective += bestDist;
    }
    objectives.push(objective);
    if (changed === 0 || iterations >= maxIterations) break;
    iterations++;
    const counts = new Float64Array(k);
    centers.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assignment[i]!;
      counts[c]!++;
      for (let a = 0; a < d; a++) centers[c * d + a]! += x[i * d + a]!;
    }
    for (let c = 0; c < k; c++) {
      // An empty cluster keeps its seed (does not happen from k-means++ seeds on these data).
      if (counts[c] === 0) centers.set(seeds.subarray(c * d, c * d + d), c * d);
      else for (let a = 0; a < d; a++) centers[c * d + a]! /= counts[c]!;
    }
  }
  return { centers, assignment, objectives, iterations };
}

/**
 * EM for a mixture with equal weights and covariance σ²I held fixed (only the means move), from
 * `seeds`, for at most `maxIterations` or until the means move by less than 1e-13 (relative).
 */
export function fixedVarianceEm(
  x: Float64Array,
  d: number,
  seeds: Float64Array,
  sigma: number,
  maxIterations = 1000,
): { centers: Float64Array; iterations: number } {
  const n = x.length / d, k = seeds.length / d;
  let centers = seeds.slice();
  const logits = new Float64Array(k);
  let iterations = 0;
  while (iterations < maxIterations) {
    const sums = new Float64Array(k * d), weights = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) {
        let dist = 0;
        for (let a = 0; a < d; a++) dist += (x[i * d + a]! - centers[c * d + a]!) ** 2;
        logits[c] = -dist / (2 * sigma * sigma);
        max = Math.max(max, logits[c]!);
      }
      let total = 0;
      for (let c = 0; c < k; c++) total += logits[c] = Math.exp(logits[c]! - max);
      for (let c = 0; c < k; c++) {
        const r = logits[c]! / total;
        weights[c]! += r;
        for (let a = 0; a < d; a++) sums[c * d + a]! += r * x[i * d + a]!;
      }
    }
    const next = sums.map((
      s,
      j,
    ) => (weights[Math.floor(j / d)]! > 0 ? s / weights[Math.floor(j / d)]! : centers[j]!));
    iterations++;
    let moved = 0, scale = 0;
    for (let j = 0; j < next.length; j++) {
      (moved = Math.max(moved, Math.abs(next[j]! - centers[j]!)),
        scale = Math.max(scale, Math.abs(next[j]!)));
    }
    centers = next;
    if (moved <= 1e-13 * scale) break;
  }
  return { centers, iterations };
}
