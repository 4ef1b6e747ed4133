/**
 * The Fourier basis density model (FBDM; De la Fuente, Singh & Ballé 2024, kexue.fm/archives/10007),
 * in real arithmetic, as google/codex's `codex/ems/fourier.py`:
 *
 * - coefficients a_k = r_k + i·s_k, k = 0..F−1 (F = `freqs`, codex's `num_freqs`), initialised N(0, 10⁻⁶);
 * - their autocorrelation c_n = Σ_k a_{k+n}·conj(a_k), n = 0..F−1, so that the Fourier series
 *   f(x) = |Σ_k a_k e^{−iπkx}|² is non-negative (Re c_n = Σ r_{k+n}r_k + s_{k+n}s_k,
 *   Im c_n = Σ s_{k+n}r_k − r_{k+n}s_k);
 * - the density of period 2: p(x) = ½ + Σ_{n≥1} [Re c_n·cos(nπx) − Im c_n·sin(nπx)] / c_0 on [−1, 1]
 *   (codex `periodic_prob`), and −log max(p, 10⁻²⁰) as the loss (codex `neg_log_prob`);
 * - `map: "tanh"`: the real line through x = tanh((y − offset)/σ), σ = softplus(scale), so
 *   q(y) = p(x)·(1 − x²)/σ (codex `RealMappedFourierEntropyModelBase`; offset 0 and scale 1 at start);
 * - the smoothness penalty γ·∫₋₁¹ |p′(x)|² dx = γ·π²·Σ_{n≥1} n²|c_n|²/c_0² of the article (its
 *   γ∫|f′|² for the normalised density, so that it does not depend on the arbitrary scale of a).
 *
 * The sums over the autocorrelation's diagonals are one matmul with a constant 0/1 matrix, so the whole
 * model is ordinary ops with their gradient rules (no complex numbers).
 *
 * @module
 */
import { constant, scope, type Tensor } from "../graph.ts";
import { inits } from "../init.ts";
import { add, cos, div, log, maximum, mul, neg, sin, softplus, sub, tanh } from "../ops_elementwise.ts";
import { matmul } from "../ops_linalg.ts";
import { reduceMean } from "../ops_reduce.ts";
import { reshape, slice } from "../ops_shape.ts";
import { adam } from "../optimizers.ts";
import type { ParamSource } from "../params.ts";
import { buildTrainStep, type TrainStep } from "../train_step.ts";
import { exportModel } from "../export.ts";

/** The model's shape. */
export interface FourierDensityConfig {
  /** Number of complex coefficients a_0..a_{F−1} (codex `num_freqs`; highest frequency F − 1). */
  freqs: number;
  /** periodic: a density on [−1, 1] (period 2), as the codex demo; tanh: mapped to the real line. */
  map: "periodic" | "tanh";
  /** Std of the coefficients' initialisation (codex `init_scale`, 10⁻³). */
  initScale?: number;
}

/** Trainable reals of a model: 2F coefficients, plus offset and scale for the tanh map. */
export function fourierParameterCount(cfg: FourierDensityConfig): number {
  return 2 * cfg.freqs + (cfg.map === "tanh" ? 2 : 0);
}

/** D[(i·F + j), n] = 1 when i − j = n: a [1, F²] row times D sums the n-th lower diagonal. */
function diagonalSums(f: number, dtype: "float32" | "float64"): Tensor {
  const d = dtype === "float64" ? new Float64Array(f * f * f) : new Float32Array(f * f * f);
  for (let i = 0; i < f; i++) for (let j = 0; j <= i; j++) d[(i * f + j) * f + (i - j)] = 1;
  return constant(d, dtype, [f * f, f], "diagonal_sums");
}

/** Re c and Im c, each [1, F], from the parameters (autocorrelation in real arithmetic). */
export function autocorrelation(ps: ParamSource, cfg: FourierDensityConfig): { re: Tensor; im: Tensor } {
  const f = cfg.freqs;
  const init = inits.normal(cfg.initScale ?? 1e-3);
  const r = ps.param("real", [f], init);
  const s = ps.param("imag", [f], init);
  const outer = (a: Tensor, b: Tensor) => mul(reshape(a, [f, 1]), reshape(b, [1, f])); // [i, j] = a_i b_j
  const d = diagonalSums(f, ps.dtype);
  const flat = (t: Tensor) => reshape(t, [1, f * f]);
  return {
    re: matmul(flat(add(outer(r, r), outer(s, s))), d),
    im: matmul(flat(sub(outer(s, r), outer(r, s))), d),
  };
}

/** What the model gives for a batch. */
export interface FourierDensityOutputs {
  /** log q of each record, [B]. */
  logProb: Tensor;
  /** ∫₋₁¹ |p′|², the smoothness of the periodic density (scalar). */
  roughness: Tensor;
}

/** The model on `x` [B, 1] (or [B]). */
export function fourierDensity(ps: ParamSource, x: Tensor, cfg: FourierDensityConfig): FourierDensityOutputs {
  return scope("/fbdm", () => {
    const f = cfg.freqs;
    const b = x.shape[0]!;
    const dtype = ps.dtype;
    const { re, im } = autocorrelation(ps, cfg);
    const c0 = slice(re, [0], [1], [1]); // [1, 1]
    const reAc = reshape(slice(re, [1], [f], [1]), [f - 1, 1]);
    const imAc = reshape(slice(im, [1], [f], [1]), [f - 1, 1]);
    const n = Array.from({ length: f - 1 }, (_, i) => i + 1);
    const y = reshape(x, [b, 1]);
    let u = y;
    let logJacobian: Tensor | null = null;
    if (cfg.map === "tanh") {
      const offset = ps.param("offset", [1], inits.zeros());
      const sigma = softplus(ps.param("scale", [1], inits.ones()));
      u = tanh(div(sub(y, offset), sigma));
      // log[(1 − u²)/σ]; 1 − u² is floored like the density so that log stays finite in float32.
      logJacobian = sub(log(maximum(sub(1, mul(u, u)), 1e-30)), log(sigma));
    }
    const angles = mul(u, constant(n.map((k) => Math.PI * k), dtype, [1, f - 1])); // [B, F−1]
    const series = sub(matmul(cos(angles), reAc), matmul(sin(angles), imAc)); // [B, 1]
    const p = add(div(series, c0), 0.5);
    let logProb = log(maximum(p, 1e-20));
    if (logJacobian) logProb = add(logProb, logJacobian);
    const n2 = constant(n.map((k) => Math.PI ** 2 * k * k), dtype, [f - 1, 1]);
    const power = add(mul(reAc, reAc), mul(imAc, imAc));
    const roughness = reshape(div(matmul(reshape(power, [1, f - 1]), n2), mul(c0, c0)), []);
    return { logProb: reshape(logProb, [b]), roughness };
  });
}

/** Options of {@link fourierDensityStep}. */
export interface FourierDensityStepConfig extends FourierDensityConfig {
  batch: number;
  /** Adam's learning rate (a graph input `lr`); the demo's 10⁻³. */
  lr?: number;
  /** Weight of the smoothness penalty (a graph input `gamma`); the demo has none (0). */
  gamma?: number;
}

/**
 * Train step: batch `x` float32 [batch, 1]; hyper `lr`, `gamma`; loss = mean NLL + γ·roughness with
 * Adam. Metrics: `loss`, `nll` (the batch's mean −log q, before the update), `roughness`.
 */
export function fourierDensityStep(cfg: FourierDensityStepConfig): TrainStep {
  return buildTrainStep({
    name: `fbdm_${cfg.map}_f${cfg.freqs}`,
    batch: { x: { dtype: "float32", shape: [cfg.batch, 1] } },
    hyper: { lr: cfg.lr ?? 1e-3, gamma: cfg.gamma ?? 0 },
    build(ctx) {
      const { logProb, roughness } = fourierDensity(ctx.params, ctx.batch.x!, cfg);
      const nll = neg(reduceMean(logProb));
      const loss = add(nll, mul(ctx.hyper.gamma!, roughness));
      ctx.minimize("fbdm", loss, adam({ lr: ctx.hyper.lr! }));
      return { loss, nll, roughness };
    },
  });
}

/** The model as a density export: `x` [batch, 1] → `log_prob` [batch], weights as inputs. */
export function fourierDensityModel(cfg: FourierDensityConfig, batch: number): Uint8Array {
  return exportModel({
    name: "fbdm_density",
    inputs: { x: { dtype: "float32", shape: [batch, 1] } },
    docString: "Fourier basis density model: log-density of each record",
    metadata: { config: JSON.stringify(cfg) },
    build: (ps, { x }) => ({ log_prob: fourierDensity(ps, x!, cfg).logProb }),
  }).bytes;
}

/** The density of the model with parameter values `v` at `x`, in float64 on the host (for tests). */
export function fourierDensityHost(
  v: {
    real: ArrayLike<number>;
    imag: ArrayLike<number>;
    offset?: number | undefined;
    scale?: number | undefined;
  },
  cfg: FourierDensityConfig,
  x: number,
): number {
  const f = cfg.freqs;
  const re = new Float64Array(f);
  const im = new Float64Array(f);
  for (let n = 0; n < f; n++) {
    for (let k = 0; k + n < f; k++) {
      re[n]! += v.real[k + n]! * v.real[k]! + v.imag[k + n]! * v.imag[k]!;
      im[n]! += v.imag[k + n]! * v.real[k]! - v.real[k + n]! * v.imag[k]!;
    }
  }
  let u = x;
  let jac = 1;
  if (cfg.map === "tanh") {
    const sigma = Math.log1p(Math.exp(v.scale ?? 1));
    u = Math.tanh((x - (v.offset ?? 0)) / sigma);
    jac = (1 - u * u) / sigma;
  }
  let s = 0;
  for (let n = 1; n < f; n++) s += re[n]! * Math.cos(n * Math.PI * u) - im[n]! * Math.sin(n * Math.PI * u);
  return (0.5 + s / re[0]!) * jac;
}
