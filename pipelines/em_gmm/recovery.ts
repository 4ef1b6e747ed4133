/**
 * Recovered mixture parameters against the truth: components matched to the true ones, and each
 * parameter's z-score with the standard error of a parametric bootstrap.
 *
 * @module
 */
import type { Gmm } from "./gmm.ts";

/** The permutation `order` with fitted component order[c] ↔ true component c, minimising the total squared distance of the means. */
export function matchComponents(fit: Gmm, truth: Gmm): number[] {
  const k = truth.k, d = truth.d;
  let best: number[] = [], bestCost = Infinity;
  const permute = (prefix: number[], rest: number[]) => {
    if (rest.length === 0) {
      let cost = 0;
      prefix.forEach((f, c) => {
        for (let a = 0; a < d; a++) cost += (fit.means[f * d + a]! - truth.means[c * d + a]!) ** 2;
      });
      if (cost < bestCost) (bestCost = cost, best = prefix);
      return;
    }
    rest.forEach((r, i) => permute([...prefix, r], [...rest.slice(0, i), ...rest.slice(i + 1)]));
  };
  permute([], Array.from({ length: k }, (_, i) => i));
  return best;
}

/** Weights, means and covariance entries (upper triangle) of component `c` of `g`, with names. */
function parametersOf(g: Gmm, c: number, label: number): { name: string; value: number }[] {
  const d = g.d;
  const out = [{ name: `π${label}`, value: g.weights[c]! }];
  for (let a = 0; a < d; a++) out.push({ name: `μ${label}[${a + 1}]`, value: g.means[c * d + a]! });
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      out.push({ name: `Σ${label}[${a + 1}${b + 1}]`, value: g.covs[c * d * d + a * d + b]! });
    }
  }
  return out;
}

/** One row per parameter: truth, estimate, bootstrap standard error and z = (estimate − truth)/s.e. */
export function parameterTable(
  fit: Gmm,
  truth: Gmm,
  order: number[],
  boots: readonly Gmm[],
): { name: string; truth: number; estimate: number; se: number; z: number }[] {
  const rows = [];
  for (let c = 0; c < truth.k; c++) {
    const t = parametersOf(truth, c, c + 1);
    const e = parametersOf(fit, order[c]!, c + 1);
    const samples = boots.map((b) => parametersOf(b, order[c]!, c + 1));
    for (let j = 0; j < t.length; j++) {
      const values = samples.map((s) => s[j]!.value);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const se = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
      rows.push({
        name: t[j]!.name,
        truth: t[j]!.value,
        estimate: e[j]!.value,
        se,
        z: (e[j]!.value - t[j]!.value) / se,
      });
    }
  }
  return rows;
}

/** Φ⁻¹(p): the standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile(${p}): p must be in (0, 1)`);
  const a = [
    -3.969683028665376e1,
    2.209460984245205e2,
    -2.759285104469687e2,
    1.38357751867269e2,
    -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1,
    1.615858368580409e2,
    -1.556989798598866e2,
    6.680131188771972e1,
    -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3,
    -3.223964580411365e-1,
    -2.400758277161838,
    -2.549732539343734,
    4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  let x: number;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - lo) {
    const q = p - 0.5, r = q * q;
    x = (((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  return x;
}
