/**
 * The largest singular value by power iteration, as spectral normalisation computes it (Miyato et al.
 * 2018; kexue.fm/6311): v ← Aᵀu/‖Aᵀu‖, u ← Av/‖Av‖, σ ≈ ‖Av‖ = uᵀAv. Each iteration costs two
 * matrix–vector products; the estimate never exceeds σ₁ and its error shrinks by (σ₂/σ₁)⁴ per
 * iteration once the start vector's σ₁ component dominates. Pass the previous `u` as `start` to
 * continue an estimate while the matrix changes slowly (one iteration per training step).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows } from "./matrix.ts";
 * import { largestSingularValue } from "./power_iteration.ts";
 *
 * const a = fromRows([[3, 0], [4, 5]]); // σ₁ = √45
 * const { sigma, u } = largestSingularValue(a);
 * assert.ok(Math.abs(sigma - Math.sqrt(45)) < 1e-12);
 * const warm = largestSingularValue(a, { start: u, iterations: 1 }); // one step from the previous u
 * assert.ok(warm.iterations === 1 && Math.abs(warm.sigma - Math.sqrt(45)) < 1e-12);
 * ```
 *
 * @module
 */
import { Rng } from "../stages/data/random.ts";
import { assertFinite, type Matrix, matvec, matvecTransposed } from "./matrix.ts";

export interface PowerIterationOptions {
  /** The most iterations to run (default 1000). */
  iterations?: number;
  /** Stop once the estimate changes by at most this relative amount (default 1e-13; 0: run them all). */
  tolerance?: number;
  /** The starting left vector u (length rows); default a random unit vector from `seed`. */
  start?: ArrayLike<number>;
  /** Seed of the default random start (default 0). */
  seed?: number;
}

export interface PowerIterationResult {
  /** The estimate of σ₁ = ‖A‖₂ after the last iteration. */
  sigma: number;
  /** Unit left and right vectors with A·v = σ·u. */
  u: Float64Array;
  v: Float64Array;
  iterations: number;
  /** Whether the tolerance was met (false when the iteration budget ran out first). */
  converged: boolean;
  /** The estimate after each iteration. */
  history: Float64Array;
}

function normalise(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  const norm = Math.sqrt(s);
  if (norm > 0) { for (let i = 0; i < x.length; i++) x[i] = x[i]! / norm; }
  return norm;
}

/** Estimates the largest singular value of `a` and its singular vectors. */
export function largestSingularValue(a: Matrix, options: PowerIterationOptions = {}): PowerIterationResult {
  assertFinite(a, "estimate the spectral norm of");
  const maxIterations = options.iterations ?? 1000;
  const tolerance = options.tolerance ?? 1e-13;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new RangeError(
      `Cannot run power iteration: iterations = ${maxIterations} must be a positive integer`,
    );
  }
  let u: Float64Array;
  if (options.start) {
    if (options.start.length !== a.rows) {
      throw new RangeError(
        `Cannot run power iteration: the start vector has ${options.start.length} entries, the matrix ${a.rows} rows`,
      );
    }
    u = Float64Array.from(options.start);
  } else {
    const rng = new Rng(options.seed ?? 0);
    u = Float64Array.from({ length: a.rows }, () => rng.normal());
  }
  if (normalise(u) === 0) throw new RangeError("Cannot run power iteration from a zero start vector");
  let v: Float64Array = new Float64Array(a.cols);
  const history = new Float64Array(maxIterations);
  let sigma = 0;
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    v = matvecTransposed(a, u);
    if (normalise(v) === 0) {
      // u is orthogonal to A's range (or A = 0): nothing to iterate on.
      converged = true;
      sigma = 0;
      break;
    }
    u = matvec(a, v);
    const next = normalise(u);
    history[iterations++] = next;
    const change = Math.abs(next - sigma);
    sigma = next;
    if (iterations > 1 && change <= tolerance * sigma) {
      converged = true;
      break;
    }
  }
  return { sigma, u, v, iterations, converged, history: history.slice(0, iterations) };
}
