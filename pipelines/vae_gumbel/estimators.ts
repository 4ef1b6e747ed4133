/**
 * Gradient estimators on toy objectives whose exact gradient is known (article 6705 §2–§4), computed by
 * the project's own autodiff through ONNX graphs, one per-sample gradient per row:
 *
 * - **categorical**: c ~ Categorical(softmax(θ)) over K classes, f(c) = ‖c − t‖² on the one-hot (or
 *   relaxed) c; the exact gradient is ∇θ Σ_i p_i f(e_i) = p ⊙ (F − p·F), F_i = f(e_i). Estimators: the
 *   score function f(c)·∇θ log p(c) at exact Gumbel-max draws (unbiased); Gumbel-softmax
 *   ∇θ f(softmax((θ + g)/τ)) (biased, the bias vanishing and the variance growing as τ → 0); the
 *   straight-through Gumbel estimator (the one-hot forward, the relaxed gradient);
 * - **gaussian**: z ~ N(μ, σ²), f(z) = (z − t)², exact ∂/∂μ = 2(μ − t). Estimators: reparametrised
 *   2(μ + σε − t) and the score function f(z)·(z − μ)/σ².
 *
 * Each estimate comes with the standard errors of its mean, so a bias is judged against its sampling
 * error.
 *
 * @module
 */
import { grad } from "../../models/onnx/autodiff.ts";
import { emitModel } from "../../models/onnx/emit.ts";
import { input, type Tensor } from "../../models/onnx/graph.ts";
import {
  gumbelFromUniform,
  gumbelSoftmax,
  hardOneHot,
  straightThrough,
} from "../../models/onnx/ops_discrete.ts";
import { add, mul, square, stopGradient, sub } from "../../models/onnx/ops_elementwise.ts";
import { logSoftmax } from "../../models/onnx/ops_nn.ts";
import { reduceSum } from "../../models/onnx/ops_reduce.ts";
import { createSession, runSession } from "../../models/onnx/session.ts";
import { constant } from "../../models/onnx/graph.ts";

/** Summary of one estimator: its mean gradient, bias against the exact one, and spread. */
export interface EstimatorStats {
  estimator: string;
  /** Temperature, for the relaxed estimators. */
  tau?: number;
  mean: number[];
  exact: number[];
  /** ‖mean − exact‖. */
  bias: number;
  /** max_i |mean_i − exact_i| / s.e._i: below ~4 for an unbiased estimator. */
  biasZ: number;
  /** Σ_i Var(estimate_i): the trace of the per-sample covariance. */
  variance: number;
  samples: number;
}

/** Mean, bias, its z-score and the variance of per-sample gradients `g` [n, k] against `exact`. */
export function summarize(
  estimator: string,
  g: ArrayLike<number>,
  k: number,
  exact: number[],
  tau?: number,
): EstimatorStats {
  const n = g.length / k;
  const mean = new Array<number>(k).fill(0);
  for (let r = 0; r < n; r++) for (let i = 0; i < k; i++) mean[i]! += g[r * k + i]! / n;
  const variance = new Array<number>(k).fill(0);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < k; i++) variance[i]! += (g[r * k + i]! - mean[i]!) ** 2 / (n - 1);
  }
  const diff = mean.map((m, i) => m - exact[i]!);
  return {
    estimator,
    ...(tau === undefined ? {} : { tau }),
    mean,
    exact,
    bias: Math.hypot(...diff),
    biasZ: Math.max(...diff.map((d, i) => Math.abs(d) / Math.sqrt(variance[i]! / n + 1e-300))),
    variance: variance.reduce((a, b) => a + b, 0),
    samples: n,
  };
}

/** The exact gradient of E_{c ~ softmax(θ)} ‖onehot(c) − t‖² with respect to θ. */
export function exactCategoricalGradient(theta: readonly number[], target: readonly number[]): number[] {
  const m = Math.max(...theta);
  const e = theta.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  const p = e.map((v) => v / s);
  const f = theta.map((_, i) => target.reduce((acc, t, j) => acc + ((j === i ? 1 : 0) - t) ** 2, 0));
  const mean = p.reduce((acc, pi, i) => acc + pi * f[i]!, 0);
  return p.map((pi, i) => pi * (f[i]! - mean));
}

/** Per-row f(c) = ‖c − t‖² for `c` [n, k]. */
function loss(c: Tensor, target: Tensor): Tensor {
  return reduceSum(square(sub(c, target)), 1);
}

/** Per-sample gradients [n, k] of the categorical toy's estimators, from uniforms `u` [n, k]. */
export async function categoricalGradients(
  theta: readonly number[],
  target: readonly number[],
  u: Float32Array,
  taus: readonly number[],
): Promise<{ score: ArrayLike<number>; relaxed: ArrayLike<number>[]; straightThrough: ArrayLike<number>[] }> {
  const k = theta.length;
  const n = u.length / k;
  const th = input("theta", "float32", [n, k]);
  const un = input("u", "float32", [n, k]);
  const tau = input("tau", "float32", []);
  const t = constant(Float32Array.from(target), "float32", [1, k]);
  const g = gumbelFromUniform(un);
  const hard = hardOneHot(add(th, g));
  // Score function: ∇θ [sg(f(c)) · log p(c)] at exact draws c.
  const logp = reduceSum(mul(hard, logSoftmax(th)), 1);
  const [score] = grad(reduceSum(mul(stopGradient(loss(hard, t)), logp)), [th]);
  const soft = gumbelSoftmax(th, g, tau);
  const [relaxed] = grad(reduceSum(loss(soft, t)), [th]);
  const [st] = grad(reduceSum(loss(straightThrough(hard, soft), t)), [th]);
  const session = await createSession(
    emitModel({
      name: "estimators",
      inputs: [th, un, tau],
      outputs: { score: score!, relaxed: relaxed!, st: st! },
    }),
    { intraOpNumThreads: 2 },
  );
  const thetas = new Float32Array(n * k).map((_, i) => theta[i % k]!);
  const out: {
    score: ArrayLike<number>;
    relaxed: ArrayLike<number>[];
    straightThrough: ArrayLike<number>[];
  } = {
    score: [],
    relaxed: [],
    straightThrough: [],
  };
  for (const value of taus) {
    const r = await runSession(session, { theta: thetas, u, tau: Float32Array.of(value) });
    out.score = r.score!.data as Float32Array;
    out.relaxed.push(r.relaxed!.data as Float32Array);
    out.straightThrough.push(r.st!.data as Float32Array);
  }
  await session.release();
  return out;
}

/** Per-sample ∂/∂μ of E (z − t)², z ~ N(μ, σ²): reparametrised and score-function, from normals `eps`. */
export async function gaussianGradients(
  mu: number,
  sigma: number,
  target: number,
  eps: Float32Array,
): Promise<{ reparam: ArrayLike<number>; score: ArrayLike<number> }> {
  const n = eps.length;
  const m = input("mu", "float32", [n]);
  const e = input("eps", "float32", [n]);
  const z = add(m, mul(e, sigma));
  const f = square(sub(z, target));
  const [reparam] = grad(reduceSum(f), [m]);
  // log N(z; μ, σ) up to a constant, with the draw held fixed: −(z − μ)²/(2σ²).
  const zs = stopGradient(z);
  const logq = mul(square(sub(zs, m)), -1 / (2 * sigma * sigma));
  const [score] = grad(reduceSum(mul(stopGradient(f), logq)), [m]);
  const session = await createSession(
    emitModel({ name: "gaussian_estimators", inputs: [m, e], outputs: { reparam: reparam!, score: score! } }),
    { intraOpNumThreads: 2 },
  );
  const r = await runSession(session, { mu: new Float32Array(n).fill(mu), eps });
  await session.release();
  return { reparam: r.reparam!.data as Float32Array, score: r.score!.data as Float32Array };
}
