/**
 * Discrete optimal transport as a linear programme (the transportation problem of kexue.fm/6280):
 *
 *     min ⟨Γ, C⟩  over Γ ≥ 0 with Γ·1 = p and Γᵀ·1 = q,
 *
 * and its dual max ⟨f, p⟩ + ⟨g, q⟩ subject to fᵢ + gⱼ ≤ Cᵢⱼ, both from one `linprog` solve. One of the
 * n + m marginal constraints is redundant (both sum to the total mass), so the potentials are unique
 * only up to f + t, g − t; the solver fixes that freedom at an arbitrary row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows } from "./matrix.ts";
 * import { optimalTransport } from "./optimal_transport.ts";
 *
 * // Move mass 1 from point 0 to point 2 of the line, at cost |i − j|.
 * const r = optimalTransport([1, 0, 0], [0, 0, 1], fromRows([[0, 1, 2], [1, 0, 1], [2, 1, 0]]));
 * assert.ok(Math.abs(r.cost - 2) < 1e-12 && Math.abs(r.dualCost - 2) < 1e-12); // strong duality
 * assert.ok(Math.abs(r.plan.data[0 * 3 + 2]! - 1) < 1e-12); // Γ₀₂ = 1: all of it goes straight there
 * ```
 *
 * @module
 */
import { linprog } from "./linprog.ts";
import { type Matrix, matrix } from "./matrix.ts";

export interface TransportPlan {
  /** The optimal transport cost ⟨Γ, C⟩. */
  cost: number;
  /** Γ, n×m: the mass moved from source i to target j. */
  plan: Matrix;
  /** Source potentials (n) and target potentials (m) with fᵢ + gⱼ ≤ Cᵢⱼ. */
  f: Float64Array;
  g: Float64Array;
  /** ⟨f, p⟩ + ⟨g, q⟩, equal to `cost` by strong duality. */
  dualCost: number;
  iterations: number;
}

/**
 * Solves the transport problem between the weights p (n sources) and q (m targets), which must be
 * non-negative with equal sums, for the n×m cost matrix C.
 */
export function optimalTransport(p: ArrayLike<number>, q: ArrayLike<number>, cost: Matrix): TransportPlan {
  const n = p.length, m = q.length;
  if (cost.rows !== n || cost.cols !== m) {
    throw new RangeError(
      `Cannot solve the transport problem: the cost matrix is ${cost.rows}×${cost.cols}, expected ${n}×${m}`,
    );
  }
  let sumP = 0, sumQ = 0;
  for (const [name, w] of [["p", p], ["q", q]] as const) {
    for (let i = 0; i < w.length; i++) {
      if (!(w[i]! >= 0) || !Number.isFinite(w[i]!)) {
        throw new RangeError(
          `Cannot solve the transport problem: ${name}[${i}] = ${w[i]} is not a finite weight ≥ 0`,
        );
      }
    }
  }
  for (let i = 0; i < n; i++) sumP += p[i]!;
  for (let j = 0; j < m; j++) sumQ += q[j]!;
  if (Math.abs(sumP - sumQ) > 1e-12 * Math.max(sumP, sumQ, 1)) {
    throw new RangeError(
      `Cannot solve the transport problem: p sums to ${sumP} but q to ${sumQ}; normalise both to the same mass`,
    );
  }
  // Variable Γᵢⱼ is column i·m + j; rows 0…n−1 are the source sums, rows n…n+m−1 the target sums.
  const aEq = matrix(n + m, n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      aEq.data[i * n * m + i * m + j] = 1;
      aEq.data[(n + j) * n * m + i * m + j] = 1;
    }
  }
  const bEq = new Float64Array(n + m);
  bEq.set(Float64Array.from(p), 0);
  bEq.set(Float64Array.from(q), n);
  const result = linprog({ c: cost.data, aEq, bEq });
  if (result.status !== "optimal") {
    // Cannot happen for valid weights (the product plan p·qᵀ/Σp is feasible and the cost is bounded below).
    throw new Error(`The transport problem did not solve: ${result.message}`);
  }
  const f = result.eqMarginals.slice(0, n);
  const g = result.eqMarginals.slice(n);
  return {
    cost: result.fun,
    plan: matrix(n, m, result.x),
    f,
    g,
    dualCost: result.dualObjective,
    iterations: result.iterations,
  };
}
