/**
 * Gradient ascent on the same Gaussian-mixture log-likelihood that EM climbs (gmm.ts), to set the two
 * side by side as «梯度下降和EM算法：系出同源，一脉相承» (kexue.fm/archives/4277) does: both are
 * iterations on ℓ(θ); EM's is a majorise–maximise step that keeps the constraints by construction,
 * gradient ascent's a first-order step that needs an unconstrained parametrisation and a step size.
 *
 * Parameters θ: mixture logits α (π = softmax α), means μ_k, and each covariance's Cholesky factor L_k
 * with log-diagonal. With responsibilities r_ik, N_k = Σ_i r_ik, δ_ik = x_i − μ_k:
 *
 *   ∂ℓ/∂α_k = N_k − n·π_k,   ∂ℓ/∂μ_k = Σ_k⁻¹ Σ_i r_ik δ_ik,
 *   ∂ℓ/∂Σ_k = G_k = ½(Σ_k⁻¹ M_k Σ_k⁻¹ − N_k Σ_k⁻¹) with M_k = Σ_i r_ik δ_ik δ_ikᵀ,
 *   ∂ℓ/∂L_k = 2 G_k L_k (lower triangle), and ∂/∂log L_aa = (2 G_k L_k)_aa · L_aa.
 *
 * The step size comes from a backtracking (Armijo) line search on the mean log-likelihood.
 *
 * @module
 */
import { eStep, type Gmm } from "./gmm.ts";

const triangle = (d: number) => (d * (d + 1)) / 2;

/** θ = [α (K), μ (K·d), packed lower Cholesky factors with log-diagonal (K·d(d+1)/2)]. */
export function packGmm(g: Gmm): Float64Array {
  const { k, d } = g;
  const theta = new Float64Array(k + k * d + k * triangle(d));
  for (let c = 0; c < k; c++) theta[c] = Math.log(g.weights[c]!);
  theta.set(g.means, k);
  let o = k + k * d;
  for (let c = 0; c < k; c++) {
    const l = choleskyOf(g.covs, d, c * d * d);
    for (let a = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) {
        theta[o++] = a === b ? Math.log(l[a * d + a]!) : l[a * d + b]!;
      }
    }
  }
  return theta;
}

function choleskyOf(covs: Float64Array, d: number, offset: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = covs[offset + i * d + j]!;
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      l[i * d + j] = i === j ? Math.sqrt(s) : s / l[j * d + j]!;
    }
  }
  return l;
}

/** The factors L_k ([K × d × d]) of θ. */
function factorsOf(theta: Float64Array, k: number, d: number): Float64Array {
  const ls = new Float64Array(k * d * d);
  let o = k + k * d;
  for (let c = 0; c < k; c++) {
    for (let a = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) ls[c * d * d + a * d + b] = a === b ? Math.exp(theta[o++]!) : theta[o++]!;
    }
  }
  return ls;
}

/** The mixture that θ describes. */
export function unpackGmm(theta: Float64Array, k: number, d: number): Gmm {
  let max = -Infinity;
  for (let c = 0; c < k; c++) max = Math.max(max, theta[c]!);
  const weights = Float64Array.from({ length: k }, (_, c) => Math.exp(theta[c]! - max));
  const total = weights.reduce((a, b) => a + b, 0);
  for (let c = 0; c < k; c++) weights[c]! /= total;
  const ls = factorsOf(theta, k, d);
  const covs = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++) {
    const o = c * d * d;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        let s = 0;
        for (let j = 0; j <= Math.min(a, b); j++) s += ls[o + a * d + j]! * ls[o + b * d + j]!;
        covs[o + a * d + b] = s;
      }
    }
  }
  return { k, d, weights, means: theta.slice(k, k + k * d), covs };
}

/** Inverse of the SPD matrix L·Lᵀ from its factor. */
function inverseFromFactor(l: Float64Array, d: number, offset: number): Float64Array {
  // L⁻¹ by forward substitution, then Σ⁻¹ = L⁻ᵀ L⁻¹.
  const li = new Float64Array(d * d);
  for (let col = 0; col < d; col++) {
    for (let a = 0; a < d; a++) {
      let s = a === col ? 1 : 0;
      for (let b = 0; b < a; b++) s -= l[offset + a * d + b]! * li[b * d + col]!;
      li[a * d + col] = s / l[offset + a * d + a]!;
    }
  }
  const inv = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < d; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += li[j * d + a]! * li[j * d + b]!;
      inv[a * d + b] = s;
    }
  }
  return inv;
}

/** ℓ(θ) and ∂ℓ/∂θ (sums over the points). */
export function logLikelihoodGradient(
  x: Float64Array,
  theta: Float64Array,
  k: number,
  d: number,
): { logLikelihood: number; gradient: Float64Array } {
  const g = unpackGmm(theta, k, d);
  const n = x.length / d;
  const { resp, logLikelihood } = eStep(x, g);
  const grad = new Float64Array(theta.length);
  const ls = factorsOf(theta, k, d);
  let o = k + k * d;
  for (let c = 0; c < k; c++) {
    let nk = 0;
    const s1 = new Float64Array(d);
    const m = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      const r = resp[i * k + c]!;
      nk += r;
      for (let a = 0; a < d; a++) {
        const da = x[i * d + a]! - g.means[c * d + a]!;
        s1[a]! += r * da;
        for (let b = 0; b <= a; b++) m[a * d + b]! += r * da * (x[i * d + b]! - g.means[c * d + b]!);
      }
    }
    for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) m[b * d + a] = m[a * d + b]!;
    grad[c] = nk - n * g.weights[c]!;
    const inv = inverseFromFactor(ls, d, c * d * d);
    for (let a = 0; a < d; a++) {
      let s = 0;
      for (let b = 0; b < d; b++) s += inv[a * d + b]! * s1[b]!;
      grad[k + c * d + a] = s;
    }
    // G = ½(Σ⁻¹ M Σ⁻¹ − N Σ⁻¹); ∂ℓ/∂L = 2 G L.
    const im = new Float64Array(d * d);
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += inv[a * d + j]! * m[j * d + b]!;
        im[a * d + b] = s;
      }
    }
    const gmat = new Float64Array(d * d);
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += im[a * d + j]! * inv[j * d + b]!;
        gmat[a * d + b] = 0.5 * (s - nk * inv[a * d + b]!);
      }
    }
    const lo = c * d * d;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) {
        let s = 0;
        for (let j = b; j < d; j++) s += gmat[a * d + j]! * ls[lo + j * d + b]!;
        grad[o++] = 2 * s * (a === b ? ls[lo + a * d + a]! : 1);
      }
    }
  }
  return { logLikelihood, gradient: grad };
}

/** A run of gradient ascent. */
export interface AscentRun {
  gmm: Gmm;
  /** The log-likelihood after each accepted step (index 0: the start). */
  logLikelihoods: number[];
  iterations: number;
  /** Likelihood evaluations, line-search trials included. */
  evaluations: number;
  /** Whether it reached `target` (when given). */
  reached: boolean;
}

/**
 * Gradient ascent on ℓ/n from `start`, with a backtracking line search (Armijo constant 10⁻⁴, the trial
 * step doubling after each accepted step), until ℓ ≥ target (when given), a step gains less than
 * 10⁻¹⁵·|ℓ|, or `maxIterations` steps.
 */
export function gradientAscent(
  x: Float64Array,
  start: Gmm,
  options: { maxIterations?: number; target?: number } = {},
): AscentRun {
  const { k, d } = start;
  const n = x.length / d;
  const maxIterations = options.maxIterations ?? 100_000;
  let theta = packGmm(start);
  let { logLikelihood: ll, gradient } = logLikelihoodGradient(x, theta, k, d);
  const trace = [ll];
  let step = 1;
  let evaluations = 1;
  let iterations = 0;
  const reachedTarget = () => options.target !== undefined && ll >= options.target;
  while (iterations < maxIterations && !reachedTarget()) {
    let sq = 0;
    for (const v of gradient) sq += (v / n) ** 2;
    let accepted = false;
    for (let tries = 0; tries < 60; tries++) {
      const next = theta.map((v, i) => v + (step * gradient[i]!) / n);
      let trial: ReturnType<typeof logLikelihoodGradient>;
      try {
        trial = logLikelihoodGradient(x, next, k, d);
      } catch {
        step /= 2;
        continue;
      }
      evaluations++;
      if (Number.isFinite(trial.logLikelihood) && trial.logLikelihood / n >= ll / n + 1e-4 * step * sq) {
        const gain = trial.logLikelihood - ll;
        theta = next;
        ll = trial.logLikelihood;
        gradient = trial.gradient;
        trace.push(ll);
        iterations++;
        step *= 2;
        accepted = true;
        if (gain <= 1e-15 * Math.abs(ll)) return done();
        break;
      }
      step /= 2;
    }
    if (!accepted) break;
  }
  return done();

  function done(): AscentRun {
    return {
      gmm: unpackGmm(theta, k, d),
      logLikelihoods: trace,
      iterations,
      evaluations,
      reached: reachedTarget(),
    };
  }
}
