/**
 * The exact stationary distribution of the model, from its chemical master equation (the subject of
 * the article «从马尔科夫过程到主方程», kexue.fm/archives/4598), truncated to m ≤ M, n ≤ N.
 *
 * Stationarity says that for every state, probability flow out equals flow in:
 *
 *   π(m,n)·[k_m + (k_p + γ_m)·m + γ_p·n]
 *     = k_m·π(m−1,n) + k_p·m·π(m,n−1) + γ_m·(m+1)·π(m+1,n) + γ_p·(n+1)·π(m,n+1)
 *
 * solved by Gauss–Seidel sweeps until the distribution stops changing. Transitions that would leave
 * the box are dropped (reflecting boundary); with M and N ten standard deviations above the means the
 * lost mass is far below double precision.
 *
 * @module
 */
import type { Rates } from "./model.ts";

export interface Stationary {
  /** Marginal distribution of the protein count, index n = 0..N. */
  protein: number[];
  /** Marginal distribution of the mRNA count, index m = 0..M. */
  mrna: number[];
  sweeps: number;
  /** L1 change of the last sweep. */
  residual: number;
}

/** Solves the truncated master equation of the model with `rates`. */
export function stationaryDistribution(
  rates: Rates,
  box: { maxMrna: number; maxProtein: number },
  options: { tolerance?: number; maxSweeps?: number } = {},
): Stationary {
  const { transcription: km, translation: kp, mrnaDecay: gm, proteinDecay: gp } = rates;
  const M = box.maxMrna;
  const N = box.maxProtein;
  const W = N + 1;
  const p = new Float64Array((M + 1) * W).fill(1 / ((M + 1) * W));
  const tolerance = options.tolerance ?? 1e-13;
  const maxSweeps = options.maxSweeps ?? 100_000;
  let sweeps = 0;
  let residual = Infinity;
  while (sweeps < maxSweeps && residual > tolerance) {
    residual = 0;
    for (let m = 0; m <= M; m++) {
      for (let n = 0; n <= N; n++) {
        // Outflow only through transitions that stay inside the box.
        const out = (m < M ? km : 0) + (n < N ? kp * m : 0) + gm * m + gp * n;
        let inflow = 0;
        if (m > 0) inflow += km * p[(m - 1) * W + n]!;
        if (n > 0) inflow += kp * m * p[m * W + n - 1]!;
        if (m < M) inflow += gm * (m + 1) * p[(m + 1) * W + n]!;
        if (n < N) inflow += gp * (n + 1) * p[m * W + n + 1]!;
        const next = inflow / out;
        residual += Math.abs(next - p[m * W + n]!);
        p[m * W + n] = next;
      }
    }
    let total = 0;
    for (const v of p) total += v;
    for (let i = 0; i < p.length; i++) p[i]! /= total;
    sweeps++;
  }
  const protein = new Array<number>(W).fill(0);
  const mrna = new Array<number>(M + 1).fill(0);
  for (let m = 0; m <= M; m++) {
    for (let n = 0; n <= N; n++) (protein[n]! += p[m * W + n]!, mrna[m]! += p[m * W + n]!);
  }
  return { protein, mrna, sweeps, residual };
}
