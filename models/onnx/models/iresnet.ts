/**
 * The invertible residual network (Behrmann et al. 2019; kexue.fm/archives/6482) on flat records, as
 * the official code (jhjacobsen/invertible-resnet) builds its blocks, with fully connected layers:
 *
 * - a block is y = x + g(x), g = Dense → ELU → Dense → ELU → Dense (dim → h₁ → h₂ → dim), each weight
 *   spectrally normalised the official way (`spectral_norm_fc.py`): W ← W / max(1, σ̂/c), c = 0.9, so
 *   ‖W‖₂ ≤ c and Lip(g) ≤ c³ (ELU is 1-Lipschitz). σ̂ = ‖W u′‖ comes from power iteration whose unit
 *   vector u is **carried training state** (`ctx.carry`, `sn/<layer>/u`): each step runs
 *   `powerIterations` iterations from the previous step's u on the current W (no gradient through u),
 *   and the gradient flows through W only, as PyTorch's spectral norm does. Exported models have no
 *   carried state: they run `exportPowerIterations` iterations from the same start vector (ones/√n).
 * - an actnorm (flow_layers.ts, zero-initialised: the data here are standardised) before each block,
 *   as the official density model.
 * - log |det(I + J_g)| = Tr ln(I + J_g) = Σ_{k≥1} (−1)^{k+1}/k · Tr(J_gᵏ), truncated at n terms and
 *   each trace estimated by Hutchinson's vᵀ J_gᵏ v, v ~ N(0, I): the row vectors vᵀJ_gᵏ come from k
 *   repeated vector–Jacobian products (`grad(g(x), [x], w)`), which are ordinary IR nodes, so the
 *   training loss differentiates through them (second order), as `power_series_matrix_logarithm_trace`
 *   with `create_graph=True`. `probes: "trace"` sums over v = e₁ … e_D instead: the exact trace, no
 *   Hutchinson noise (the truncation alone). For dim = 2, `logdet: "exact"` gives log |det(I + J_g)|
 *   from the 2×2 Jacobian (two vector–Jacobian products): the density export uses it, so that test
 *   NLLs are exact.
 * - the inverse by the fixed point x_{k+1} = y − g(x_k), x₀ = y (Banach: ‖x_k − x‖ ≤
 *   Lip^k/(1 − Lip)·‖x₁ − x₀‖), `inverseIterations` steps per block (the official code's 100).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IRESNET_TOY, iresnetStep } from "./iresnet.ts";
 *
 * const step = iresnetStep({ ...IRESNET_TOY, blocks: 2, hidden: [8, 8] }, { batch: 16, lr: 1e-3 });
 * assert.ok(step.carried.some((c) => c.name === "sn/iresnet/block0/g/fc1/u")); // power-iteration state
 * assert.deepEqual(step.metrics, ["loss", "nll"]);
 * ```
 *
 * @module
 */
import { grad } from "../autodiff.ts";
import { exportModel } from "../export.ts";
import {
  actnorm,
  type Bijection,
  chain,
  type FlowContext,
  gaussianPrior,
  perSample,
} from "../flow_layers.ts";
import { constant, scope, type Tensor } from "../graph.ts";
import { inits } from "../init.ts";
import {
  abs,
  add,
  div,
  elu,
  log,
  maximum,
  mul,
  neg,
  sqrt,
  square,
  stopGradient,
  sub,
} from "../ops_elementwise.ts";
import { matmul } from "../ops_linalg.ts";
import { reduceMean, reduceSum } from "../ops_reduce.ts";
import { expand, reshape, unsqueeze } from "../ops_shape.ts";
import { adam } from "../optimizers.ts";
import { paramName } from "../params.ts";
import { GraphRng } from "../rng.ts";
import { buildTrainStep, type TrainStep } from "../train_step.ts";

/** The model's shape and its estimator's settings. */
export interface IResNetConfig {
  /** Values per record. */
  dim: number;
  blocks: number;
  /** Widths of g's two hidden layers. */
  hidden: [number, number];
  /** Spectral-normalisation coefficient c (official default 0.9). */
  coeff: number;
  /** Actnorm before each block. */
  actnorm: boolean;
  /** Terms n of the training log-determinant's power series (official density default 5). */
  seriesTerms: number;
  /** Power iterations per training step, from the carried u (official 1 for density). */
  powerIterations: number;
  /** Power iterations of exported models, from the start vector. */
  exportPowerIterations: number;
  /** Fixed-point iterations per block of the inverse (official 100). */
  inverseIterations: number;
}

/** The toy density model: the sizes of experiments.md §A5's CPU reproduction, with the official estimator settings. */
export const IRESNET_TOY: IResNetConfig = {
  dim: 2,
  blocks: 10,
  hidden: [128, 128],
  coeff: 0.9,
  actnorm: true,
  seriesTerms: 5,
  powerIterations: 1,
  exportPowerIterations: 50,
  inverseIterations: 100,
};

/** How a forward pass computes each block's log |det(I + J_g)|. */
export type LogdetMode =
  | { kind: "exact" }
  | {
    kind: "series";
    terms: number;
    /** The Hutchinson vector of block i ([N, dim]), or "trace": Σ over the unit vectors (the exact trace). */
    probes: ((block: number) => Tensor) | "trace";
  };

/** What i-ResNet code reads: the parameters, the carried state when training, and the log-det rule. */
export interface IResNetContext extends FlowContext {
  readonly logdet: LogdetMode;
}

/** Trainable reals: per block the three layers' weights and biases, plus 2·dim per actnorm. */
export function iresnetParameterCount(c: IResNetConfig): number {
  const [h1, h2] = c.hidden;
  const g = c.dim * h1 + h1 + h1 * h2 + h2 + h2 * c.dim + c.dim;
  return c.blocks * (g + (c.actnorm ? 2 * c.dim : 0));
}

const unit = (t: Tensor) => div(t, sqrt(add(reduceSum(square(t)), 1e-24)));

/**
 * W / max(1, σ̂/c) for W [in, out] (x·W), σ̂ = ‖W u′‖ with u′ after the power iterations from the
 * carried u (training) or from ones/√out (exports). u and v carry no gradient.
 */
export function spectralNormalise(fc: FlowContext, w: Tensor, c: IResNetConfig): Tensor {
  // Without carried state the result is a pure function of w: build it once (a sampler calls g hundreds of times).
  const key = `${c.coeff}|${c.exportPowerIterations}`;
  if (!fc.state) {
    const hit = exportNormalised.get(w)?.get(key);
    if (hit) return hit;
  }
  const [fanIn, fanOut] = w.shape as [number, number];
  const stateName = `sn/${paramName("u")}`;
  const start = 1 / Math.sqrt(fanOut);
  let u = fc.state
    ? fc.state.carry(stateName, [fanOut], start)
    : expand(constant([start], w.dtype, [1]), [fanOut]); // a scalar: one node however often it is built;
  const wFixed = stopGradient(w);
  const iterations = fc.state ? c.powerIterations : c.exportPowerIterations;
  for (let i = 0; i < iterations; i++) {
    const v = unit(matmul(wFixed, reshape(u, [fanOut, 1]))); // [in, 1]
    u = reshape(unit(matmul(reshape(v, [1, fanIn]), wFixed)), [fanOut]);
  }
  if (fc.state) fc.state.setCarry(stateName, u);
  const sigma = sqrt(reduceSum(square(matmul(w, reshape(stopGradient(u), [fanOut, 1])))));
  const normalised = div(w, maximum(div(sigma, c.coeff), 1));
  if (!fc.state) {
    const byKey = exportNormalised.get(w) ?? new Map<string, Tensor>();
    exportNormalised.set(w, byKey.set(key, normalised));
  }
  return normalised;
}

/** Export-mode results of {@link spectralNormalise} by weight tensor (IR tensors are interned and immutable). */
const exportNormalised = new WeakMap<Tensor, Map<string, Tensor>>();

/** A spectrally normalised dense layer x·Ŵ + b, PyTorch's default initialisation. */
function snDense(fc: FlowContext, name: string, x: Tensor, out: number, c: IResNetConfig): Tensor {
  const fanIn = x.shape[1]!;
  return scope(name, () => {
    const w = fc.ps.param("W", [fanIn, out], inits.torchDefault(fanIn));
    const b = fc.ps.param("b", [out], inits.torchDefault(fanIn));
    return add(matmul(x, spectralNormalise(fc, w, c)), b);
  });
}

/** The residual branch g(x) = Dense(ELU(Dense(ELU(Dense(x))))). Call inside the block's scope. */
export function residual(fc: FlowContext, x: Tensor, c: IResNetConfig): Tensor {
  return scope("g", () => {
    const h1 = elu(snDense(fc, "fc1", x, c.hidden[0], c));
    const h2 = elu(snDense(fc, "fc2", h1, c.hidden[1], c));
    return snDense(fc, "fc3", h2, c.dim, c);
  });
}

/**
 * The terms (−1)^{k+1}/k · vᵀ J_gᵏ v, k = 1..n, per sample [N] each, by repeated vector–Jacobian
 * products from the probe v (the row vector vᵀJᵏ is the VJP of vᵀJ^{k−1}).
 */
export function powerSeriesTerms(gx: Tensor, x: Tensor, probe: Tensor, terms: number): Tensor[] {
  let w = probe;
  const out: Tensor[] = [];
  for (let k = 1; k <= terms; k++) {
    w = grad(gx, [x], w)[0]!; // vᵀ J^k
    out.push(mul(perSample(mul(w, probe)), (k % 2 ? 1 : -1) / k));
  }
  return out;
}

/** Σ_{k=1..n} (−1)^{k+1}/k · vᵀ J_gᵏ v per sample: the truncated series with probe v. */
export function powerSeriesLogdet(gx: Tensor, x: Tensor, probe: Tensor, terms: number): Tensor {
  return powerSeriesTerms(gx, x, probe, terms).reduce((a, b) => add(a, b));
}

/** Unit vectors e_i broadcast to a batch like `x`. */
export function unitProbe(x: Tensor, i: number): Tensor {
  const d = x.shape[1]!;
  const e = new Array<number>(d).fill(0);
  e[i] = 1;
  return expand(constant(e, x.dtype, [1, d]), x.shape);
}

/** log |det(I + J_g)| of a 2-D block from its Jacobian's rows (two vector–Jacobian products). */
export function exactLogdet2d(gx: Tensor, x: Tensor): Tensor {
  if (x.shape[1] !== 2) throw new Error(`exactLogdet2d: records must be 2-D, got ${x}`);
  const n = x.shape[0]!;
  const row = (i: number) => grad(gx, [x], unitProbe(x, i))[0]!; // e_iᵀ J
  const col = (t: Tensor, j: number) => reshape(matmul(t, constVec(x, j)), [n]);
  const r0 = row(0), r1 = row(1);
  const det = sub(mul(add(col(r0, 0), 1), add(col(r1, 1), 1)), mul(col(r0, 1), col(r1, 0)));
  return log(abs(det));
}

/** A [dim, 1] selector of coordinate j. */
function constVec(x: Tensor, j: number): Tensor {
  const d = x.shape[1]!;
  const e = new Array<number>(d).fill(0);
  e[j] = 1;
  return constant(e, x.dtype, [d, 1]);
}

/** One invertible residual block as a layer: forward with the context's log-det rule, inverse by fixed point. */
export function iresnetBlock(name: string, index: number, c: IResNetConfig): Bijection {
  return {
    name,
    forward: (fc, x) =>
      scope(name, () => {
        const gx = residual(fc, x, c);
        const mode = (fc as IResNetContext).logdet ?? { kind: "exact" };
        let logdet: Tensor;
        if (mode.kind === "exact") logdet = exactLogdet2d(gx, x);
        else if (mode.probes === "trace") {
          let sum: Tensor | undefined;
          for (let i = 0; i < c.dim; i++) {
            const t = powerSeriesLogdet(gx, x, unitProbe(x, i), mode.terms);
            sum = sum ? add(sum, t) : t;
          }
          logdet = sum!;
        } else logdet = powerSeriesLogdet(gx, x, mode.probes(index), mode.terms);
        return { y: add(x, gx), logdet };
      }),
    inverse: (fc, y) => scope(name, () => fixedPointInverse(fc, y, c, c.inverseIterations).at(-1)!),
  };
}

/** The iterates x₁ … x_K of x_{k+1} = y − g(x_k) from x₀ = y. Call inside the block's scope. */
export function fixedPointInverse(
  fc: FlowContext,
  y: Tensor,
  c: IResNetConfig,
  iterations: number,
): Tensor[] {
  const out: Tensor[] = [];
  let x = y;
  for (let k = 0; k < iterations; k++) {
    x = sub(y, residual(fc, x, c));
    out.push(x);
  }
  return out;
}

/** The flow x → z: [actnorm → block] × blocks, scope `/iresnet`. */
export function iresnetFlow(c: IResNetConfig): Bijection {
  const layers: Bijection[] = [];
  for (let i = 0; i < c.blocks; i++) {
    if (c.actnorm) layers.push(actnorm(`actnorm${i}`));
    layers.push(iresnetBlock(`block${i}`, i, c));
  }
  return chain("/iresnet", layers);
}

/** log q(x) per record [N] under a standard normal prior, with the context's log-det rule. */
export function iresnetLogProb(fc: IResNetContext, x: Tensor, c: IResNetConfig): Tensor {
  const { y, logdet } = iresnetFlow(c).forward(fc, x);
  return add(gaussianPrior.logProb(y), logdet);
}

/**
 * The maximum-likelihood step: loss = mean −log q(x), each block's log-det the n-term series with one
 * fresh Hutchinson vector per block and step; Adam. Metrics `loss` and `nll` (the same estimate).
 */
export function iresnetStep(c: IResNetConfig, o: { batch: number; lr: number }): TrainStep {
  return buildTrainStep({
    name: "iresnet",
    batch: { x: { dtype: "float32", shape: [o.batch, c.dim] } },
    hyper: { lr: o.lr },
    build(ctx) {
      const probes = Array.from({ length: c.blocks }, () => ctx.rng.normal([o.batch, c.dim]));
      const fc: IResNetContext = {
        ps: ctx.params,
        state: ctx,
        logdet: { kind: "series", terms: c.seriesTerms, probes: (i) => probes[i]! },
      };
      const nll = neg(reduceMean(iresnetLogProb(fc, ctx.batch.x!, c)));
      ctx.minimize("flow", nll, adam({ lr: ctx.hyper.lr! }));
      return { loss: nll, nll };
    },
  });
}

/** The density export: `x` [batch, 2] → `log_prob` [batch] with the exact 2×2 log-determinants; weights as inputs. */
export function iresnetDensityModel(c: IResNetConfig, batch: number): Uint8Array {
  return exportModel({
    name: "iresnet_density",
    inputs: { x: { dtype: "float32", shape: [batch, c.dim] } },
    docString: "i-ResNet: exact log-density of each 2-D record (2×2 Jacobian determinants)",
    build: (ps, { x }) => ({ log_prob: iresnetLogProb({ ps, logdet: { kind: "exact" } }, x!, c) }),
  }).bytes;
}

/**
 * The density export for records of any size (MNIST: 784): each block's log-det by the `terms`-term
 * series, Hutchinson's estimate averaged over `probes` draws per record from the in-graph RNG at a fixed
 * seed (the same draws at every call). An estimate: unbiased for the truncated series, whose truncation
 * error the paper bounds by d·Σ_{k>n} Lip^k/k per block.
 */
export function iresnetSeriesDensityModel(
  c: IResNetConfig,
  batch: number,
  o: { terms: number; probes: number },
): Uint8Array {
  return exportModel({
    name: "iresnet_density_series",
    inputs: { x: { dtype: "float32", shape: [batch, c.dim] } },
    docString: `i-ResNet: log-density estimate, ${o.terms}-term series, ${o.probes} probes per record`,
    build: (ps, { x }) => {
      const rng = new GraphRng(constant([0], "int32", []), constant([0], "float32", []));
      const rows = batch * o.probes;
      const xs = reshape(expand(unsqueeze(x!, 1), [batch, o.probes, c.dim]), [rows, c.dim]);
      const draws = Array.from({ length: c.blocks }, () => rng.normal([rows, c.dim]));
      const fc: IResNetContext = { ps, logdet: { kind: "series", terms: o.terms, probes: (i) => draws[i]! } };
      return { log_prob: reduceMean(reshape(iresnetLogProb(fc, xs, c), [batch, o.probes]), [1]) };
    },
  }).bytes;
}

/** The sampler export: `z` [batch, dim] ~ N(0, I) → `x` [batch, dim] through the fixed-point inverse. */
export function iresnetSamplerModel(c: IResNetConfig, batch: number): Uint8Array {
  return exportModel({
    name: "iresnet_sampler",
    inputs: { z: { dtype: "float32", shape: [batch, c.dim] } },
    docString: `i-ResNet sampler: noise through ${c.inverseIterations} fixed-point iterations per block`,
    build: (ps, { z }) => ({ x: iresnetFlow(c).inverse({ ps }, z!) }),
  }).bytes;
}
