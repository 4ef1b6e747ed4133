/**
 * The chemical master equation dP/dt = Q P on a truncated state space (pipelines/gillespie/network.ts
 * builds Q from the reactions), solved over time by uniformization, with a bound on every error.
 *
 * - **Finite-state projection** (Munsky & Khammash 2006): transitions out of the box go to an absorbing
 *   sink, so the box's probabilities never exceed the true ones and P_true(box) ≥ Σ P_fsp.
 * - **Uniformization** (Jensen 1953): with Λ ≥ every exit rate, e^{Qt} = Σ_j Pois(j; Λt)·(I + Q/Λ)^j,
 *   a sum of non-negative terms; cutting it where the Poisson tail is below 10⁻¹⁵ drops mass only.
 *
 * Together: 0 ≤ P_true(x) − P(x) on the box, and ‖P_true − P‖₁ ≤ 2·(1 − Σ_x P(x)) over all states
 * (the deficit bounds both the mass outside the box and the mass missing inside it), up to rounding.
 *
 * @module
 */
import type { Generator } from "../gillespie/network.ts";

/** P at each of `times` (ascending, ≥ 0) from P(0) = `start`, with the deficit 1 − Σ P at each. */
export function solveMasterEquation(
  g: Generator,
  start: Float64Array,
  times: readonly number[],
  options: { tailTolerance?: number; onProgress?: (done: number, total: number) => void } = {},
): { distributions: Float64Array[]; deficit: number[]; steps: number } {
  const eps = options.tailTolerance ?? 1e-15;
  let lambda = 0;
  for (let j = 0; j < g.size; j++) lambda = Math.max(lambda, g.exit[j]!);
  lambda = lambda > 0 ? lambda * (1 + 1e-9) : 1;
  // The uniformized chain I + Q/Λ: its diagonal and its off-diagonal rates over Λ.
  const diag = Float64Array.from(g.exit, (e) => 1 - e / lambda);
  const jump = Float64Array.from(g.rate, (r) => r / lambda);
  let p = start.slice();
  let t = 0;
  let steps = 0;
  const distributions: Float64Array[] = [];
  const deficit: number[] = [];
  let v = new Float64Array(g.size), w = new Float64Array(g.size);
  const { start: from, to } = g;
  for (const target of times) {
    // Chunks of Λ·δ ≤ 100, so that e^{−Λδ} does not underflow.
    while (target - t > 0) {
      const delta = Math.min(target - t, 100 / lambda);
      const mean = lambda * delta;
      const out = new Float64Array(g.size);
      v.set(p);
      let weight = Math.exp(-mean);
      for (let j = 0; j < g.size; j++) out[j] = weight * v[j]!;
      // Past the mode the weights fall at least geometrically: the rest of the series is below
      // weight·r/(1 − r), r = mean/(n + 1), which stops the sum (1 − Σ weights is lost to rounding).
      for (let n = 1;; n++) {
        for (let j = 0; j < g.size; j++) w[j] = v[j]! * diag[j]!;
        for (let j = 0; j < g.size; j++) {
          const vj = v[j]!;
          if (vj === 0) continue;
          for (let k = from[j]!; k < from[j + 1]!; k++) w[to[k]!]! += vj * jump[k]!;
        }
        [v, w] = [w, v];
        weight *= mean / n;
        for (let j = 0; j < g.size; j++) out[j]! += weight * v[j]!;
        steps++;
        const r = mean / (n + 1);
        if (r < 1 && (weight * r) / (1 - r) < eps) break;
      }
      p = out;
      t += delta;
      options.onProgress?.(t, times.at(-1)!);
    }
    distributions.push(p.slice());
    deficit.push(1 - p.reduce((a, b) => a + b, 0));
  }
  return { distributions, deficit, steps };
}

/** The Poisson(λ) probabilities of 0..n. */
export function poissonPmf(lambda: number, n: number): Float64Array {
  const out = new Float64Array(n + 1);
  if (lambda === 0) {
    out[0] = 1;
    return out;
  }
  for (let k = 0; k <= n; k++) {
    let logFactorial = 0;
    for (let j = 2; j <= k; j++) logFactorial += Math.log(j);
    out[k] = Math.exp(k * Math.log(lambda) - lambda - logFactorial);
  }
  return out;
}

/** Marginal of species `s` of a distribution on the box with `max` counts per species. */
export function marginal(p: Float64Array, max: readonly number[], s: number): Float64Array {
  const out = new Float64Array(max[s]! + 1);
  let stride = 1;
  for (let i = 0; i < s; i++) stride *= max[i]! + 1;
  for (let j = 0; j < p.length; j++) out[Math.floor(j / stride) % (max[s]! + 1)]! += p[j]!;
  return out;
}

/** Total-variation distance ½ Σ |a − b| (missing entries count as 0). */
export function totalVariation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) s += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return s / 2;
}

/**
 * The stationary distribution of a generator built with `reflecting: true` (no mass leaves the box),
 * by Gauss–Seidel sweeps of π_i = Σ_j Q_ij π_j / exit_i, renormalised after each sweep, until a sweep
 * changes π by less than `tolerance` in L1.
 */
export function stationaryGaussSeidel(
  g: Generator,
  options: { tolerance?: number; maxSweeps?: number } = {},
): { p: Float64Array; sweeps: number; residual: number } {
  const tolerance = options.tolerance ?? 1e-13;
  const maxSweeps = options.maxSweeps ?? 100_000;
  // Inflow lists: for each state i, the states j → i and their rates (the generator's rows).
  const count = new Int32Array(g.size + 1);
  for (const i of g.to) count[i + 1]!++;
  for (let i = 0; i < g.size; i++) count[i + 1]! += count[i]!;
  const fromState = new Int32Array(g.to.length), rate = new Float64Array(g.to.length);
  const fill = count.slice();
  for (let j = 0; j < g.size; j++) {
    for (let k = g.start[j]!; k < g.start[j + 1]!; k++) {
      const at = fill[g.to[k]!]!++;
      fromState[at] = j;
      rate[at] = g.rate[k]!;
    }
  }
  const p = new Float64Array(g.size).fill(1 / g.size);
  let residual = Infinity, sweeps = 0;
  while (sweeps < maxSweeps && residual > tolerance) {
    residual = 0;
    for (let i = 0; i < g.size; i++) {
      let inflow = 0;
      for (let k = count[i]!; k < count[i + 1]!; k++) inflow += rate[k]! * p[fromState[k]!]!;
      const next = g.exit[i]! > 0 ? inflow / g.exit[i]! : p[i]!;
      residual += Math.abs(next - p[i]!);
      p[i] = next;
    }
    const total = p.reduce((a, b) => a + b, 0);
    for (let i = 0; i < g.size; i++) p[i]! /= total;
    sweeps++;
  }
  return { p, sweeps, residual };
}
