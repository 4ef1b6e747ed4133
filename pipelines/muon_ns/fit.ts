/**
 * The article's coefficient fit (kexue.fm/archives/10592): g(x) = x + κx(x² − x₁²)(x² − x₂²) iterated T
 * times, loss = mean over the singular values σ of (g^(T)(σ) − 1)², minimised over w = (κ, x₁, x₂) from
 * (1, 0.9, 1.1) by full-batch gradient descent with momentum as in its JAX code: u ← 0.9·u + ∇loss(w),
 * w ← w − 0.01·u, for 100,000 steps. Here in float64 with the gradient derived by hand (the chain rule
 * through the T steps, backwards), checked against finite differences in fit_test.ts.
 *
 * Per step and value: g = x + κ·x·pa·pb with pa = x² − x₁², pb = x² − x₂²;
 *   ∂g/∂κ = x·pa·pb,  ∂g/∂(x₁²) = −κ·x·pb,  ∂g/∂(x₂²) = −κ·x·pa,  ∂g/∂x = 1 + κ(pa·pb + 2x²(pa + pb)).
 *
 * @module
 */
import type { NsRoots } from "../../numerics/newton_schulz.ts";

/** Reusable buffers for `lossAndGradient` on `count` values and T steps. */
export interface FitBuffers {
  /** xs[t] holds every value after t steps (t = 0…T). */
  xs: Float64Array[];
  /** The adjoint ∂loss/∂x of every value at the current step. */
  adjoint: Float64Array;
}

export function fitBuffers(count: number, steps: number): FitBuffers {
  return {
    xs: Array.from({ length: steps + 1 }, () => new Float64Array(count)),
    adjoint: new Float64Array(count),
  };
}

/**
 * mean (g^(T)(σ) − 1)² over `sigmas`, and its gradient with respect to (κ, x₁, x₂) in `grad`. Each step
 * is one pass over the values (forward), then one per step backwards: loops the JIT keeps in registers.
 */
export function lossAndGradient(
  w: Float64Array,
  sigmas: Float64Array,
  steps: number,
  grad: Float64Array,
  buffers: FitBuffers = fitBuffers(sigmas.length, steps),
): number {
  const kappa = w[0]!, x1 = w[1]!, x2 = w[2]!;
  const p = x1 * x1, q = x2 * x2;
  const n = sigmas.length;
  const { xs, adjoint } = buffers;
  xs[0]!.set(sigmas);
  for (let t = 0; t < steps; t++) {
    const from = xs[t]!, to = xs[t + 1]!;
    for (let i = 0; i < n; i++) {
      const x = from[i]!, x2i = x * x;
      to[i] = x + kappa * x * (x2i - p) * (x2i - q);
    }
  }
  let loss = 0;
  const last = xs[steps]!;
  for (let i = 0; i < n; i++) {
    const r = last[i]! - 1;
    loss += r * r;
    adjoint[i] = 2 * r;
  }
  let gKappa = 0, gP = 0, gQ = 0;
  for (let t = steps - 1; t >= 0; t--) {
    const from = xs[t]!;
    for (let i = 0; i < n; i++) {
      const x = from[i]!, x2i = x * x, pa = x2i - p, pb = x2i - q, d = adjoint[i]!, dx = d * x;
      gKappa += dx * pa * pb;
      gP += dx * pb;
      gQ += dx * pa;
      adjoint[i] = d * (1 + kappa * (pa * pb + 2 * x2i * (pa + pb)));
    }
  }
  grad[0] = gKappa / n;
  grad[1] = (-kappa * gP * 2 * x1) / n;
  grad[2] = (-kappa * gQ * 2 * x2) / n;
  return loss / n;
}

export interface FitOptions {
  steps: number;
  learningRate: number;
  momentum: number;
  init: NsRoots;
  /**
   * Keep descending past `steps`, up to this many steps in all, while the loss still fell by more than
   * `tolerance` (relative) over the last tenth of the steps run: the same run continued, reported apart.
   */
  extend?: { maxSteps: number; tolerance: number };
  /** Record the loss every this many steps (and at the end). */
  every?: number;
  /** Called with the step number every `every` steps. */
  onProgress?: (step: number, loss: number) => void;
}

export interface FitPoint {
  roots: NsRoots;
  loss: number;
  steps: number;
}

export interface FitResult extends FitPoint {
  /** [step, loss] every `every` steps, and at the end. */
  history: [number, number][];
  /** Where the continued run ended, when the loss was still falling at `steps`. */
  extended?: FitPoint;
}

/** g depends on x₁², x₂² only and is symmetric in them: x₁ ≤ x₂, both positive, as the article reports. */
function point(w: Float64Array, loss: number, steps: number): FitPoint {
  const [x1, x2] = [Math.abs(w[1]!), Math.abs(w[2]!)].sort((a, b) => a - b) as [number, number];
  return { roots: { kappa: w[0]!, x1, x2 }, loss, steps };
}

/** Fits (κ, x₁, x₂) to `sigmas` for T = `nsSteps` by the article's momentum descent. */
export function fitRoots(sigmas: Float64Array, nsSteps: number, options: FitOptions): FitResult {
  const w = Float64Array.of(options.init.kappa, options.init.x1, options.init.x2);
  const u = new Float64Array(3), g = new Float64Array(3);
  const buffers = fitBuffers(sigmas.length, nsSteps);
  const every = options.every ?? 1000;
  const history: [number, number][] = [];
  const tenth = Math.max(1, Math.floor(options.steps / 10));
  let end = options.steps;
  let before = NaN; // the loss a tenth of the steps before `end`
  let main: FitPoint | null = null;
  for (let step = 0;; step++) {
    const loss = lossAndGradient(w, sigmas, nsSteps, g, buffers);
    if (!Number.isFinite(loss)) {
      throw new Error(
        `The coefficient fit diverged at step ${step} (loss ${loss}, κ = ${w[0]}, x₁ = ${w[1]}, x₂ = ${
          w[2]
        }): ` +
          "lower the learning rate",
      );
    }
    if (step === end - tenth) before = loss;
    if (step === end) {
      if (!main) main = point(w, loss, step);
      const fell = (before - loss) / loss;
      if (!(options.extend && fell > options.extend.tolerance && step < options.extend.maxSteps)) break;
      before = loss;
      end = Math.min(options.extend.maxSteps, step + tenth);
    }
    if (step % every === 0) {
      history.push([step, loss]);
      options.onProgress?.(step, loss);
    }
    for (let j = 0; j < 3; j++) {
      u[j] = options.momentum * u[j]! + g[j]!;
      w[j] = w[j]! - options.learningRate * u[j]!;
    }
  }
  const last = point(w, lossAndGradient(w, sigmas, nsSteps, g, buffers), end);
  history.push([end, last.loss]);
  return { ...main!, history, ...(end > options.steps ? { extended: last } : {}) };
}
