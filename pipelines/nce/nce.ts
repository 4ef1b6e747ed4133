/**
 * Noise-contrastive estimation («"噪声对比估计"杂谈：曲径通幽之妙», kexue.fm/archives/5617) of the
 * unnormalised density p̃(x) = exp(G(x; a, b)), G = −a·x² − b·x⁴, with a learned normaliser.
 *
 * Data x_1..x_n come from p = p̃/Z, noise y_1..y_m (m = k·n) from a known q. A classifier tells them
 * apart with p(1 | x) = σ(h(x)), h(x) = G(x; a, b) − c − log(k·q(x)), trained by minimising
 *
 *   −Σ_i log σ(h(x_i)) − Σ_j log σ(−h(y_j)).
 *
 * At the optimum (n → ∞) G − c = log p, so c estimates log Z. In the article's notation (k = 1, uniform
 * noise U), p(1 | x) = σ(G − γ) with γ = c + log k + log U, i.e. γ − log U(x) − log k = c plays log Z.
 * h is linear in θ = (a, b, c) (features −x², −x⁴, −1, offset −log kq), so this is a logistic
 * regression: the loss is convex and Newton's method finds its minimum exactly.
 *
 * Standard errors: the sandwich H⁻¹ V H⁻¹ of the two independent samples (H the Hessian, V the sum of
 * each sample's covariance of per-point scores), the asymptotic covariance of the estimator.
 *
 * @module
 */
import type { Rng } from "../../stages/data/random.ts";

/** The true parameters of the article's toy: p̃(x) = exp(−a x² − b x⁴). */
export interface Quartic {
  a: number;
  b: number;
}

/** A noise distribution: its sampler and log-density. */
export interface Noise {
  describe: string;
  sample(rng: Rng): number;
  logDensity(x: number): number;
}

export function uniformNoise(half: number): Noise {
  return {
    describe: `U(−${half}, ${half})`,
    sample: (rng) => rng.uniform(-half, half),
    logDensity: (x) => (Math.abs(x) <= half ? -Math.log(2 * half) : -Infinity),
  };
}

export function gaussianNoise(mean: number, sd: number): Noise {
  return {
    describe: `N(${mean}, ${sd}²)`,
    sample: (rng) => mean + sd * rng.normal(),
    logDensity: (x) => -0.5 * ((x - mean) / sd) ** 2 - Math.log(sd) - 0.5 * Math.log(2 * Math.PI),
  };
}

/**
 * Exact samples of p ∝ exp(−a x² − b x⁴) (a > 0, b ≥ 0) by rejection from N(0, 1/(2a)), whose density
 * is ∝ exp(−a x²) ≥ p̃: accept with probability exp(−b x⁴).
 */
export function sampleQuartic(q: Quartic, n: number, rng: Rng): Float64Array {
  const sd = Math.sqrt(1 / (2 * q.a));
  const out = new Float64Array(n);
  for (let i = 0; i < n;) {
    const x = sd * rng.normal();
    if (rng.float() < Math.exp(-q.b * x ** 4)) out[i++] = x;
  }
  return out;
}

/** log Z = log ∫ exp(−a x² − b x⁴) dx by composite Simpson on [−L, L] where the integrand is below 1e-300. */
export function logNormalizer(q: Quartic, intervals = 20_000): number {
  let half = 1;
  while (-q.a * half * half - q.b * half ** 4 > -700) half *= 1.5;
  const h = (2 * half) / intervals;
  let s = 0;
  for (let i = 0; i <= intervals; i++) {
    const x = -half + i * h;
    const w = i === 0 || i === intervals ? 1 : i % 2 ? 4 : 2;
    s += w * Math.exp(-q.a * x * x - q.b * x ** 4);
  }
  return Math.log((s * h) / 3);
}

/** An NCE fit: θ = (a, b, c), its asymptotic covariance, and the Newton iterations it took. */
export interface NceFit {
  a: number;
  b: number;
  /** The learned normaliser c, the estimate of log Z. */
  c: number;
  /** Asymptotic standard errors of a, b, c. */
  se: [number, number, number];
  cov: number[][];
  iterations: number;
  loss: number;
}

const features = (x: number): [number, number, number] => [-x * x, -(x ** 4), -1];

function solve3(m: number[][], v: number[]): number[] {
  // Gaussian elimination with partial pivoting on a 3 × 3 system.
  const a = m.map((row, i) => [...row, v[i]!]);
  for (let col = 0; col < 3; col++) {
    let pivot = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    for (let r = col + 1; r < 3; r++) {
      const f = a[r]![col]! / a[col]![col]!;
      for (let j = col; j < 4; j++) a[r]![j]! -= f * a[col]![j]!;
    }
  }
  const x = [0, 0, 0];
  for (let r = 2; r >= 0; r--) {
    let s = a[r]![3]!;
    for (let j = r + 1; j < 3; j++) s -= a[r]![j]! * x[j]!;
    x[r] = s / a[r]![r]!;
  }
  return x;
}

function inverse3(m: number[][]): number[][] {
  const cols = [0, 1, 2].map((j) => solve3(m, [0, 1, 2].map((i) => (i === j ? 1 : 0))));
  return [0, 1, 2].map((i) => [0, 1, 2].map((j) => cols[j]![i]!));
}

/** log σ(t), stably. */
const logSigmoid = (t: number) => (t >= 0 ? -Math.log1p(Math.exp(-t)) : t - Math.log1p(Math.exp(t)));
const sigmoid = (t: number) => (t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t)));

/**
 * Fits θ by Newton's method on the NCE loss from θ = (1, 1, 0)·… (any start: the loss is convex), until
 * the step is below 1e-12 (relative), and computes the sandwich covariance.
 */
export function fitNce(data: Float64Array, noise: Float64Array, q: Noise, k: number): NceFit {
  const offData = Float64Array.from(data, (x) => -Math.log(k) - q.logDensity(x));
  const offNoise = Float64Array.from(noise, (x) => -Math.log(k) - q.logDensity(x));
  let theta = [0.5, 0.5, 0];
  let iterations = 0;
  /** Loss, gradient and Hessian at θ, in one pass with scalar accumulators (the hot loop). */
  const pass = (th: number[]) => {
    const [ta, tb, tc] = th as [number, number, number];
    let loss = 0, g0 = 0, g1 = 0, g2 = 0;
    let h00 = 0, h01 = 0, h02 = 0, h11 = 0, h12 = 0, h22 = 0;
    const visit = (xs: Float64Array, off: Float64Array, label: 1 | 0) => {
      for (let i = 0; i < xs.length; i++) {
        const x2 = xs[i]! * xs[i]!;
        const f0 = -x2, f1 = -x2 * x2, f2 = -1;
        const h = ta * f0 + tb * f1 + tc * f2 + off[i]!;
        const sg = sigmoid(h);
        loss -= label ? logSigmoid(h) : logSigmoid(-h);
        const r = sg - label; // ∂loss/∂h
        const w = sg * (1 - sg);
        g0 += r * f0, g1 += r * f1, g2 += r * f2;
        h00 += w * f0 * f0, h01 += w * f0 * f1, h02 += w * f0 * f2;
        h11 += w * f1 * f1, h12 += w * f1 * f2, h22 += w * f2 * f2;
      }
    };
    visit(data, offData, 1);
    visit(noise, offNoise, 0);
    return { grad: [g0, g1, g2], hess: [[h00, h01, h02], [h01, h11, h12], [h02, h12, h22]], loss };
  };
  let state = pass(theta);
  for (; iterations < 100; iterations++) {
    const step = solve3(state.hess, state.grad);
    // Damped Newton: halve the step until the loss does not rise (the loss is convex, so this ends).
    let t = 1;
    let next = theta.map((v, i) => v - step[i]!);
    let trial = pass(next);
    while (!(trial.loss <= state.loss) && t > 1e-10) {
      t /= 2;
      next = theta.map((v, i) => v - t * step[i]!);
      trial = pass(next);
    }
    const moved = Math.max(...step.map((s, i) => Math.abs(t * s) / (1 + Math.abs(theta[i]!))));
    theta = next;
    state = trial;
    if (moved < 1e-12) break;
  }
  // Sandwich: V = Σ over each sample of its size times the covariance of its per-point scores.
  const scoreCov = (xs: Float64Array, off: Float64Array, label: 1 | 0) => {
    const sum = [0, 0, 0], sq = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
    for (let i = 0; i < xs.length; i++) {
      const f = features(xs[i]!);
      const h = theta[0]! * f[0] + theta[1]! * f[1] + theta[2]! * f[2] + off[i]!;
      const r = sigmoid(h) - label;
      for (let p = 0; p < 3; p++) {
        sum[p]! += r * f[p]!;
        for (let q = 0; q < 3; q++) sq[p]![q]! += r * f[p]! * r * f[q]!;
      }
    }
    const n = xs.length;
    return [0, 1, 2].map((p) => [0, 1, 2].map((q) => sq[p]![q]! - (sum[p]! * sum[q]!) / n));
  };
  const vd = scoreCov(data, offData, 1), vn = scoreCov(noise, offNoise, 0);
  const v = [0, 1, 2].map((i) => [0, 1, 2].map((j) => vd[i]![j]! + vn[i]![j]!));
  const hi = inverse3(state.hess);
  const cov = [0, 1, 2].map((i) =>
    [0, 1, 2].map((j) => {
      let s = 0;
      for (let p = 0; p < 3; p++) for (let r = 0; r < 3; r++) s += hi[i]![p]! * v[p]![r]! * hi[r]![j]!;
      return s;
    })
  );
  return {
    a: theta[0]!,
    b: theta[1]!,
    c: theta[2]!,
    se: [Math.sqrt(cov[0]![0]!), Math.sqrt(cov[1]![1]!), Math.sqrt(cov[2]![2]!)],
    cov,
    iterations,
    loss: state.loss,
  };
}

/**
 * Asymptotic standard errors of the maximum-likelihood estimates of (a, b) from n samples: the inverse
 * Fisher information of the exponential family, whose sufficient statistics are (−x², −x⁴), so
 * I = Cov_p(x², x⁴), by quadrature. NCE's errors approach these as k → ∞.
 */
export function mleStandardErrors(q: Quartic, n: number, intervals = 20_000): [number, number] {
  const logZ = logNormalizer(q, intervals);
  const half = 6;
  const h = (2 * half) / intervals;
  const m = [0, 0, 0, 0, 0];
  for (let i = 0; i <= intervals; i++) {
    const x = -half + i * h;
    const w = ((i === 0 || i === intervals ? 1 : i % 2 ? 4 : 2) * h) / 3;
    const p = Math.exp(-q.a * x * x - q.b * x ** 4 - logZ);
    const x2 = x * x;
    m[0]! += w * p * x2;
    m[1]! += w * p * x2 * x2;
    m[2]! += w * p * x2 * x2 * x2;
    m[3]! += w * p * x2 * x2 * x2 * x2;
  }
  const c11 = m[1]! - m[0]! ** 2, c12 = m[2]! - m[0]! * m[1]!, c22 = m[3]! - m[1]! ** 2;
  const det = c11 * c22 - c12 * c12;
  return [Math.sqrt(c22 / det / n), Math.sqrt(c11 / det / n)];
}
