/**
 * EM for a Gaussian mixture as «从最大似然到EM算法：一致的理解方式» (kexue.fm/archives/5239) derives it:
 * alternating minimisation of KL(p̃(X)p̃(Y|X) ‖ p_θ(X, Y)) over the posterior and the parameters.
 *
 * - E-step: p̃(Y = k | x_i) = π_k N(x_i; μ_k, Σ_k) / Σ_j π_j N(x_i; μ_j, Σ_j), the posterior
 *   (responsibilities r_ik), computed in log space;
 * - M-step: weighted maximum likelihood, π_k = Σ_i r_ik / n, μ_k = Σ_i r_ik x_i / Σ_i r_ik,
 *   Σ_k = Σ_i r_ik (x_i − μ_k)(x_i − μ_k)ᵀ / Σ_i r_ik (no regularisation: EM as derived).
 *
 * Also: the log-likelihood with its gradient (for gradient ascent on the same likelihood, gmm_gradient.ts),
 * sampling, and k-means++ seeding. Data are row-major Float64Array [n × d]; d is small (≤ a few tens),
 * so covariances go through a plain Cholesky factorisation.
 *
 * @module
 */
import type { Rng } from "../../stages/data/random.ts";

/** A mixture of K Gaussians in d dimensions. */
export interface Gmm {
  k: number;
  d: number;
  weights: Float64Array;
  /** [K × d] */
  means: Float64Array;
  /** [K × d × d], symmetric positive definite. */
  covs: Float64Array;
}

/** Lower Cholesky factor of the d × d matrix at `a[offset…]`, or null when it is not positive definite. */
export function cholesky(a: ArrayLike<number>, d: number, offset = 0): Float64Array | null {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[offset + i * d + j]!;
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      if (i === j) {
        if (!(s > 0)) return null;
        l[i * d + i] = Math.sqrt(s);
      } else l[i * d + j] = s / l[j * d + j]!;
    }
  }
  return l;
}

/** Per component: the Cholesky factor and log N's constant −½(d log 2π + log|Σ|). */
function factorize(g: Gmm): { chol: Float64Array[]; logNorm: Float64Array } {
  const chol: Float64Array[] = [];
  const logNorm = new Float64Array(g.k);
  for (let c = 0; c < g.k; c++) {
    const l = cholesky(g.covs, g.d, c * g.d * g.d);
    if (!l) {
      throw new Error(
        `GMM component ${c}: its covariance is not positive definite (the component collapsed onto too few points); ` +
          `start from another initialisation or use fewer components`,
      );
    }
    let logDet = 0;
    for (let i = 0; i < g.d; i++) logDet += 2 * Math.log(l[i * g.d + i]!);
    chol.push(l);
    logNorm[c] = -0.5 * (g.d * Math.log(2 * Math.PI) + logDet);
  }
  return { chol, logNorm };
}

/** log π_k N(x_i; μ_k, Σ_k) for every point and component: [n × K]. */
export function logJoint(x: Float64Array, g: Gmm): Float64Array {
  const n = x.length / g.d;
  const { k, d } = g;
  const { chol, logNorm } = factorize(g);
  const out = new Float64Array(n * k);
  const z = new Float64Array(d);
  for (let c = 0; c < k; c++) {
    const l = chol[c]!;
    const base = Math.log(g.weights[c]!) + logNorm[c]!;
    for (let i = 0; i < n; i++) {
      // z = L⁻¹(x − μ): forward substitution; the Mahalanobis distance is |z|².
      let q = 0;
      for (let a = 0; a < d; a++) {
        let s = x[i * d + a]! - g.means[c * d + a]!;
        for (let b = 0; b < a; b++) s -= l[a * d + b]! * z[b]!;
        z[a] = s / l[a * d + a]!;
        q += z[a]! * z[a]!;
      }
      out[i * k + c] = base - 0.5 * q;
    }
  }
  return out;
}

/**
 * E-step: responsibilities [n × K] and the log-likelihood Σ_i w_i log Σ_k π_k N(x_i; μ_k, Σ_k), where
 * point i counts `weights[i]` times (grouped data; default once).
 */
export function eStep(
  x: Float64Array,
  g: Gmm,
  weights?: Float64Array,
): { resp: Float64Array; logLikelihood: number } {
  const joint = logJoint(x, g);
  const n = x.length / g.d;
  const k = g.k;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, joint[i * k + c]!);
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp(joint[i * k + c]! - max);
    const lse = max + Math.log(s);
    total += weights ? weights[i]! * lse : lse;
    for (let c = 0; c < k; c++) joint[i * k + c] = Math.exp(joint[i * k + c]! - lse);
  }
  return { resp: joint, logLikelihood: total };
}

/** The log-likelihood of `x` under `g` (sum over points, each counted `counts[i]` times). */
export function logLikelihood(x: Float64Array, g: Gmm, counts?: Float64Array): number {
  return eStep(x, g, counts).logLikelihood;
}

/**
 * M-step: the weighted maximum-likelihood parameters for responsibilities `resp`, point i counted
 * `counts[i]` times (default once).
 */
export function mStep(x: Float64Array, d: number, resp: Float64Array, k: number, counts?: Float64Array): Gmm {
  const n = x.length / d;
  const weights = new Float64Array(k);
  const means = new Float64Array(k * d);
  const covs = new Float64Array(k * d * d);
  let total = 0;
  for (let i = 0; i < n; i++) total += counts ? counts[i]! : 1;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const r = counts ? counts[i]! * resp[i * k + c]! : resp[i * k + c]!;
      weights[c]! += r;
      for (let a = 0; a < d; a++) means[c * d + a]! += r * x[i * d + a]!;
    }
  }
  for (let c = 0; c < k; c++) for (let a = 0; a < d; a++) means[c * d + a]! /= weights[c]!;
  const dev = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const r = counts ? counts[i]! * resp[i * k + c]! : resp[i * k + c]!;
      for (let a = 0; a < d; a++) dev[a] = x[i * d + a]! - means[c * d + a]!;
      const o = c * d * d;
      for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) covs[o + a * d + b]! += r * dev[a]! * dev[b]!;
    }
  }
  for (let c = 0; c < k; c++) {
    const o = c * d * d;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) {
        const v = covs[o + a * d + b]! / weights[c]!;
        covs[o + a * d + b] = v;
        covs[o + b * d + a] = v;
      }
    }
    weights[c]! /= total;
  }
  return { k, d, weights, means, covs };
}

/** A run of EM: the parameters after each M-step and the log-likelihood before it. */
export interface EmRun {
  gmm: Gmm;
  /** logLikelihoods[t]: the log-likelihood of the parameters after t M-steps (t = 0: the start). */
  logLikelihoods: number[];
  iterations: number;
  converged: boolean;
}

/**
 * EM from `start` until the log-likelihood rises by less than `tolerance`·|ℓ| in one iteration, or
 * `maxIterations` M-steps. `logLikelihoods` has one entry per parameter set visited. `counts`: point i
 * stands for counts[i] equal points (EM on grouped data).
 */
export function em(
  x: Float64Array,
  start: Gmm,
  options: { maxIterations?: number; tolerance?: number; counts?: Float64Array } = {},
): EmRun {
  const maxIterations = options.maxIterations ?? 1000;
  const tolerance = options.tolerance ?? 1e-12;
  const counts = options.counts;
  let g = start;
  let { resp, logLikelihood: ll } = eStep(x, g, counts);
  const trace = [ll];
  let converged = false;
  let t = 0;
  while (t < maxIterations) {
    g = mStep(x, start.d, resp, start.k, counts);
    t++;
    const next = eStep(x, g, counts);
    resp = next.resp;
    trace.push(next.logLikelihood);
    const gain = next.logLikelihood - ll;
    ll = next.logLikelihood;
    if (Math.abs(gain) <= tolerance * Math.abs(ll)) {
      converged = true;
      break;
    }
  }
  return { gmm: g, logLikelihoods: trace, iterations: t, converged };
}

/** The largest relative decrease of a log-likelihood trace, max_t (ℓ_t − ℓ_{t+1})/|ℓ_t| (≤ 0 if it never falls). */
export function largestDecrease(trace: readonly number[]): number {
  let worst = -Infinity;
  for (let t = 0; t + 1 < trace.length; t++) {
    worst = Math.max(worst, (trace[t]! - trace[t + 1]!) / Math.abs(trace[t]!));
  }
  return worst;
}

/** `n` samples of `g` (row-major [n × d]) and the component of each. */
export function sampleGmm(g: Gmm, n: number, rng: Rng): { x: Float64Array; component: Int32Array } {
  const { k, d } = g;
  const chol = factorize(g).chol;
  const x = new Float64Array(n * d);
  const component = new Int32Array(n);
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    let u = rng.float();
    let c = 0;
    while (c < k - 1 && u >= g.weights[c]!) u -= g.weights[c++]!;
    component[i] = c;
    for (let a = 0; a < d; a++) z[a] = rng.normal();
    const l = chol[c]!;
    for (let a = 0; a < d; a++) {
      let s = g.means[c * d + a]!;
      for (let b = 0; b <= a; b++) s += l[a * d + b]! * z[b]!;
      x[i * d + a] = s;
    }
  }
  return { x, component };
}

/** Mean and covariance of the data: [d] and [d × d]. */
export function dataMoments(x: Float64Array, d: number): { mean: Float64Array; cov: Float64Array } {
  const n = x.length / d;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) mean[a]! += x[i * d + a]! / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        cov[a * d + b]! += (x[i * d + a]! - mean[a]!) * (x[i * d + b]! - mean[b]!) / n;
      }
    }
  }
  return { mean, cov };
}

/** k-means++ seeds: the first a random point, each next drawn ∝ squared distance to the nearest seed. */
export function kmeansPlusPlus(x: Float64Array, d: number, k: number, rng: Rng): Float64Array {
  const n = x.length / d;
  const seeds = new Float64Array(k * d);
  const first = rng.below(n);
  seeds.set(x.subarray(first * d, first * d + d), 0);
  const nearest = new Float64Array(n).fill(Infinity);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      let dist = 0;
      for (let a = 0; a < d; a++) dist += (x[i * d + a]! - seeds[(c - 1) * d + a]!) ** 2;
      nearest[i] = Math.min(nearest[i]!, dist);
      total += nearest[i]!;
    }
    let u = rng.float() * total;
    let pick = 0;
    while (pick < n - 1 && u >= nearest[pick]!) u -= nearest[pick++]!;
    seeds.set(x.subarray(pick * d, pick * d + d), c * d);
  }
  return seeds;
}

/** The start EM and the baselines share: k-means++ means, equal weights, the data's covariance for each. */
export function initialGmm(x: Float64Array, d: number, k: number, rng: Rng): Gmm {
  const { cov } = dataMoments(x, d);
  const covs = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++) covs.set(cov, c * d * d);
  return { k, d, weights: new Float64Array(k).fill(1 / k), means: kmeansPlusPlus(x, d, k, rng), covs };
}

/** Trainable reals of a K-component mixture in d dimensions: (K − 1) + K·d + K·d(d + 1)/2. */
export function gmmParameterCount(k: number, d: number): number {
  return k - 1 + k * d + (k * d * (d + 1)) / 2;
}
