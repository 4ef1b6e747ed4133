/**
 * The Fréchet distance between two Gaussians fitted to feature vectors: the FID formula, applied here
 * to the penultimate features of a classifier that the pipeline trains itself ("classifier-FID"),
 * because no pretrained Inception weights exist offline.
 *
 *     FD = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½)
 *
 * We use the symmetric form Σ₁^½ Σ₂ Σ₁^½, which is symmetric PSD, so its square root comes from a
 * symmetric eigendecomposition and stays real; the usual sqrtm(Σ₁Σ₂) of a non-symmetric product can
 * return complex parts from rounding. Both have the same trace. Float64 throughout.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifierFid } from "./frechet.ts";
 *
 * // real, generated: N×64 features (row-major) from the classifier's penultimate layer; here N×2
 * const realFeatures = Float64Array.of(0, 0, 1, 0, 0, 1, 1, 1);
 * const generatedFeatures = realFeatures.map((v, i) => (i % 2 === 0 ? v + 3 : v)); // moved by 3 along x
 * const fid = classifierFid(realFeatures, generatedFeatures, 2);
 * assert.ok(Math.abs(fid - 9) < 1e-9); // ‖μ₁ − μ₂‖² = 9; the covariances are equal
 * assert.ok(Math.abs(classifierFid(realFeatures, realFeatures, 2)) < 1e-9);
 * ```
 *
 * @module
 */
import { symmetricEigen } from "../../numerics/sym_eigen.ts";

/** Mean and covariance of a set of feature vectors. */
export interface GaussianStats {
  /** Feature dimension D. */
  dim: number;
  /** Number of vectors the statistics were computed from. */
  count: number;
  /** D values. */
  mean: Float64Array;
  /** D×D row-major, unbiased (divided by N − 1, like `numpy.cov`). */
  cov: Float64Array;
}

/** Mean and unbiased covariance of N feature vectors given as a flat row-major N×D array. */
export function featureStats(features: ArrayLike<number>, dim: number): GaussianStats {
  if (!Number.isInteger(dim) || dim < 1) {
    throw new Error(`Cannot compute feature statistics: dim ${dim} must be a positive integer`);
  }
  const count = features.length / dim;
  if (!Number.isInteger(count)) {
    throw new Error(
      `Cannot compute feature statistics: ${features.length} values is not a whole number of rows of ${dim}`,
    );
  }
  if (count < 2) {
    throw new Error(`Cannot compute a covariance from ${count} feature vector(s): pass at least 2`);
  }
  const mean = new Float64Array(dim);
  for (let r = 0; r < count; r++) for (let j = 0; j < dim; j++) mean[j] = mean[j]! + features[r * dim + j]!;
  for (let j = 0; j < dim; j++) mean[j] = mean[j]! / count;
  // Centre into column-major order, so each covariance entry is one contiguous dot product.
  const centred = new Float64Array(count * dim);
  for (let r = 0; r < count; r++) {
    for (let j = 0; j < dim; j++) {
      const v = features[r * dim + j]!;
      if (!Number.isFinite(v)) {
        throw new Error(
          `Cannot compute feature statistics: feature (${r}, ${j}) is ${v}; check the model's outputs`,
        );
      }
      centred[j * count + r] = v - mean[j]!;
    }
  }
  const cov = new Float64Array(dim * dim);
  const set = (i: number, j: number, v: number) => {
    cov[i * dim + j] = v / (count - 1);
    cov[j * dim + i] = v / (count - 1);
  };
  // 2×2 blocks of (column i, i+1) × (column j, j+1): four products per four loads, about twice as fast
  // as one dot product at a time.
  for (let i = 0; i < dim; i += 2) {
    const a0 = centred.subarray(i * count, (i + 1) * count);
    if (i + 1 === dim) {
      set(i, i, dot(a0, a0));
      break;
    }
    const a1 = centred.subarray((i + 1) * count, (i + 2) * count);
    for (let j = i; j < dim; j += 2) {
      const b0 = centred.subarray(j * count, (j + 1) * count);
      if (j + 1 === dim) {
        set(i, j, dot(a0, b0));
        set(i + 1, j, dot(a1, b0));
        break;
      }
      const b1 = centred.subarray((j + 1) * count, (j + 2) * count);
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let k = 0; k < count; k++) {
        const x0 = a0[k]!, x1 = a1[k]!, y0 = b0[k]!, y1 = b1[k]!;
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      set(i, j, s00);
      set(i, j + 1, s01);
      set(i + 1, j, s10);
      set(i + 1, j + 1, s11);
    }
  }
  return { dim, count, mean, cov };
}

function dot(a: Float64Array, b: Float64Array): number {
  // Four accumulators: fewer dependent adds per cycle, measurably faster in V8.
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const n = a.length - (a.length % 4);
  for (let k = 0; k < n; k += 4) {
    s0 += a[k]! * b[k]!;
    s1 += a[k + 1]! * b[k + 1]!;
    s2 += a[k + 2]! * b[k + 2]!;
    s3 += a[k + 3]! * b[k + 3]!;
  }
  for (let k = n; k < a.length; k++) s0 += a[k]! * b[k]!;
  return (s0 + s1) + (s2 + s3);
}

/**
 * The square root of a symmetric positive semi-definite D×D matrix (row-major): the symmetric PSD S with
 * S·S = A. Eigenvalues within rounding of zero (|λ| ≤ D·ε·λmax) are treated as zero: the square root
 * would amplify their noise (√1e-16 = 1e-8) into the result.
 */
export function sqrtmPsd(a: ArrayLike<number>, dim: number): Float64Array {
  const { values, vectors } = symmetricEigen(symmetrize(a, dim), dim);
  const V = vectors!;
  // S = V diag(√λ) Vᵀ = (V Λ^¼)(V Λ^¼)ᵀ: row dot products of one scaled copy, symmetric by construction.
  const quarter = clampNoise(values).map((v) => Math.sqrt(Math.sqrt(v)));
  const scaled = new Float64Array(dim * dim);
  for (let r = 0; r < dim; r++) {
    for (let c = 0; c < dim; c++) scaled[r * dim + c] = V[r * dim + c]! * quarter[c]!;
  }
  const out = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    const a = scaled.subarray(i * dim, (i + 1) * dim);
    for (let j = i; j < dim; j++) {
      const v = dot(a, scaled.subarray(j * dim, (j + 1) * dim));
      out[i * dim + j] = v;
      out[j * dim + i] = v;
    }
  }
  return out;
}

/**
 * The Fréchet distance between the Gaussians N(μ₁, Σ₁) and N(μ₂, Σ₂). Never negative: rounding below zero
 * is returned as 0.
 */
export function frechetDistance(
  a: Pick<GaussianStats, "mean" | "cov">,
  b: Pick<GaussianStats, "mean" | "cov">,
): number {
  const dim = a.mean.length;
  if (b.mean.length !== dim || a.cov.length !== dim * dim || b.cov.length !== dim * dim) {
    throw new Error(
      `Cannot compute Fréchet distance: dimensions differ (means ${a.mean.length} and ${b.mean.length}, ` +
        `covariances ${a.cov.length} and ${b.cov.length} entries); compare features of the same layer`,
    );
  }
  let meanTerm = 0;
  for (let j = 0; j < dim; j++) meanTerm += (a.mean[j]! - b.mean[j]!) ** 2;
  const rootA = sqrtmPsd(a.cov, dim);
  // M = Σ₁^½ Σ₂ Σ₁^½ is symmetric PSD; tr √M is the sum of the square roots of its eigenvalues.
  const m = symmetrize(matmul(matmul(rootA, symmetrize(b.cov, dim), dim), rootA, dim), dim);
  const { values } = symmetricEigen(m, dim, { vectors: false });
  let traceRoot = 0;
  for (const v of clampNoise(values)) traceRoot += Math.sqrt(v);
  let traces = 0;
  for (let j = 0; j < dim; j++) traces += a.cov[j * dim + j]! + b.cov[j * dim + j]!;
  return Math.max(0, meanTerm + traces - 2 * traceRoot);
}

/**
 * Classifier-FID: the Fréchet distance between Gaussians fitted to two sets of feature vectors (flat
 * row-major N×D arrays; N may differ between the sets).
 */
export function classifierFid(
  realFeatures: ArrayLike<number>,
  generatedFeatures: ArrayLike<number>,
  dim: number,
): number {
  return frechetDistance(featureStats(realFeatures, dim), featureStats(generatedFeatures, dim));
}

/** Eigenvalues of a PSD matrix with rounding noise around zero set to zero. */
function clampNoise(values: Float64Array): Float64Array {
  let top = 0;
  for (const v of values) top = Math.max(top, Math.abs(v));
  const floor = values.length * Number.EPSILON * top;
  return values.map((v) => (v <= floor ? 0 : v));
}

function symmetrize(a: ArrayLike<number>, dim: number): Float64Array {
  if (a.length !== dim * dim) {
    throw new Error(`Cannot use matrix: expected ${dim * dim} values for ${dim}×${dim}, got ${a.length}`);
  }
  const out = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) out[i * dim + j] = 0.5 * (a[i * dim + j]! + a[j * dim + i]!);
  }
  return out;
}

function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  // i-k-j order: the inner loop runs along rows of b and out, which are contiguous.
  for (let i = 0; i < n; i++) {
    const row = out.subarray(i * n, (i + 1) * n);
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]!;
      if (aik === 0) continue;
      const bk = b.subarray(k * n, (k + 1) * n);
      for (let j = 0; j < n; j++) row[j] = row[j]! + aik * bk[j]!;
    }
  }
  return out;
}
