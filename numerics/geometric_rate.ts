/**
 * The rate of a geometrically falling error, fitted: exp of the least-squares slope of ln e_k against k
 * (power iteration's error per iteration, a series' per term).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitGeometricRate } from "./geometric_rate.ts";
 *
 * const ks = [1, 2, 3, 4];
 * assert.ok(Math.abs(fitGeometricRate(ks, ks.map((k) => 5 * 0.3 ** k)) - 0.3) < 1e-15);
 * ```
 *
 * @module
 */

/** exp(slope of ln e against k); NaN with fewer than two points. */
export function fitGeometricRate(ks: readonly number[], errors: readonly number[]): number {
  if (ks.length < 2) return NaN;
  const ys = errors.map(Math.log);
  const mk = ks.reduce((s, k) => s + k, 0) / ks.length;
  const my = ys.reduce((s, y) => s + y, 0) / ys.length;
  let num = 0, den = 0;
  for (let i = 0; i < ks.length; i++) {
    num += (ks[i]! - mk) * (ys[i]! - my);
    den += (ks[i]! - mk) ** 2;
  }
  return Math.exp(num / den);
}
