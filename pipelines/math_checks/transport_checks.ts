/**
 * What kexue.fm/archives/6280 derives from the transport LP, as checkable functions: the 1-D optimum in
 * closed form, and the Kantorovich–Rubinstein form of the dual for a metric cost.
 *
 * - On a line, W₁(p, q) = ∫|F − G| dx, with F, G the cumulative distribution functions; on a grid of points
 *   x₀ < … < x_{n−1}, Σᵢ |Fᵢ − Gᵢ|·(x_{i+1} − xᵢ).
 * - For a metric cost C on one set of points, the c-transform f̂ᵢ = minⱼ (Cᵢⱼ − gⱼ) of any dual-optimal g is
 *   1-Lipschitz (a minimum of 1-Lipschitz functions of xᵢ), f̂ ≥ f, and −f̂ ≥ g; so (f̂, −f̂) is feasible and
 *   at least as good, hence optimal: W = ⟨f̂, p − q⟩ with f̂ 1-Lipschitz.
 * - For a cost that is not a metric (‖x − y‖²), duals of the form (f, −f) need fᵢ − fⱼ ≤ Cᵢⱼ, i.e. f is
 *   1-Lipschitz for the shortest-path metric d_C of C (chains of short hops), and the best of them is the
 *   transport cost under d_C ≤ C: strictly below W when the triangle inequality fails.
 *
 * @module
 */
import type { Matrix } from "../../numerics/matrix.ts";

/** Σᵢ |Fᵢ − Gᵢ|·(x_{i+1} − xᵢ): W₁ between weights p and q on the sorted points x. */
export function cdfDistance(x: ArrayLike<number>, p: ArrayLike<number>, q: ArrayLike<number>): number {
  let f = 0, g = 0, w = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    f += p[i]!;
    g += q[i]!;
    w += Math.abs(f - g) * (x[i + 1]! - x[i]!);
  }
  return w;
}

/** f̂ᵢ = minⱼ (Cᵢⱼ − gⱼ). */
export function cTransform(cost: Matrix, g: ArrayLike<number>): Float64Array {
  const out = new Float64Array(cost.rows).fill(Infinity);
  for (let i = 0; i < cost.rows; i++) {
    for (let j = 0; j < cost.cols; j++) out[i] = Math.min(out[i]!, cost.data[i * cost.cols + j]! - g[j]!);
  }
  return out;
}

/** How far f breaks fᵢ − fⱼ ≤ Cᵢⱼ (0 when it is 1-Lipschitz for the cost C on one set of points). */
export function lipschitzViolation(cost: Matrix, f: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < cost.rows; i++) {
    for (let j = 0; j < cost.cols; j++) {
      worst = Math.max(worst, f[i]! - f[j]! - cost.data[i * cost.cols + j]!);
    }
  }
  return worst;
}

/** ⟨f, p − q⟩. */
export function krObjective(f: ArrayLike<number>, p: ArrayLike<number>, q: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < f.length; i++) s += f[i]! * (p[i]! - q[i]!);
  return s;
}

/** The shortest-path metric of a square cost matrix (Floyd–Warshall): d ≤ C, and d = C when C is a metric. */
export function shortestPathMetric(cost: Matrix): Matrix {
  const n = cost.rows;
  const d = Float64Array.from(cost.data);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < n; i++) {
      const dik = d[i * n + k]!;
      for (let j = 0; j < n; j++) if (dik + d[k * n + j]! < d[i * n + j]!) d[i * n + j] = dik + d[k * n + j]!;
    }
  }
  return { rows: n, cols: n, data: d };
}
