/**
 * Autoregressive models of binary vectors, p(x) = Π_i p(x_i | x_<i) with Bernoulli conditionals (the
 * seed-002 notes on autoregressive models; Larochelle & Murray 2011):
 *
 * - **FVSBN** (fully visible sigmoid belief net): x̂_i = σ(b_i + Σ_{j<i} W_ji x_j), W [D, D] under a
 *   strictly upper-triangular mask, D² parameters;
 * - **NADE**: h_i = σ(c + W_{:,<i} x_<i), x̂_i = σ(b_i + V_i · h_i), with W [D, H] shared by every
 *   position, O(D·H) parameters. The pre-activations c + Σ_{j<i} x_j W_j of all positions at once are
 *   an exclusive cumulative sum over positions of x_j W_j ([N, D, H]; ops_discrete's `cumsum`), O(D·H)
 *   per record instead of the masked matmul's O(D²·H).
 *
 * Exports (each takes every parameter): {@link autoregressiveDensityModel}, x → `log_prob` (the exact
 * log-likelihood of binary records, nats); {@link autoregressiveSamplerModel}, uniform noise [B, D] →
 * samples drawn position by position (the loop unrolled: each position adds its value's row to a running
 * pre-activation, as at training).
 *
 * @module
 */
import { constant, scope, type Tensor } from "../graph.ts";
import { inits } from "../init.ts";
import { cumsum } from "../ops_discrete.ts";
import { add, cast, less, mul, sigmoid, softplus, sub } from "../ops_elementwise.ts";
import { matmul } from "../ops_linalg.ts";
import { reduceMean, reduceSum } from "../ops_reduce.ts";
import { concat, expand, reshape, slice, transpose } from "../ops_shape.ts";
import { adam } from "../optimizers.ts";
import type { ParamSource } from "../params.ts";
import { exportModel } from "../export.ts";
import { buildTrainStep, type TrainStep } from "../train_step.ts";

/** Which model, over how many binary values. */
export type AutoregressiveConfig =
  | { kind: "fvsbn"; dims: number }
  | { kind: "nade"; dims: number; hidden: number };

export interface AutoregressiveStepConfig {
  model: AutoregressiveConfig;
  batch: number;
  lr?: number;
}

/** FVSBN's mask: M_ji = 1 when j < i (input j feeds output i). */
export function fvsbnMask(d: number): Float32Array {
  const m = new Float32Array(d * d);
  for (let j = 0; j < d; j++) for (let i = j + 1; i < d; i++) m[j * d + i] = 1;
  return m;
}

interface Weights {
  /** FVSBN: masked W [D, D]; NADE: W [D, H]. */
  w: Tensor;
  /** NADE: c [H]. */
  c?: Tensor;
  /** NADE: V [D, H]. */
  v?: Tensor;
  /** b [D]. */
  b: Tensor;
}

function weights(ps: ParamSource, cfg: AutoregressiveConfig): Weights {
  const d = cfg.dims;
  return scope(`/ar/${cfg.kind}`, () => {
    if (cfg.kind === "fvsbn") {
      const raw = ps.param("W", [d, d], inits.zeros());
      const m = fvsbnMask(d);
      const mask = constant(ps.dtype === "float64" ? Float64Array.from(m) : m, ps.dtype, [d, d]);
      return { w: mul(raw, mask), b: ps.param("b", [d], inits.zeros()) };
    }
    const h = cfg.hidden;
    return {
      w: ps.param("W", [d, h], inits.uniform(-1 / Math.sqrt(d), 1 / Math.sqrt(d))),
      c: ps.param("c", [h], inits.zeros()),
      v: ps.param("V", [d, h], inits.uniform(-1 / Math.sqrt(h), 1 / Math.sqrt(h))),
      b: ps.param("b", [d], inits.zeros()),
    };
  });
}

/** The conditionals' logits [N, D] of binary records `x` [N, D]. */
export function autoregressiveLogits(ps: ParamSource, x: Tensor, cfg: AutoregressiveConfig): Tensor {
  const p = weights(ps, cfg);
  if (cfg.kind === "fvsbn") return add(matmul(x, p.w), p.b);
  const [n, d] = x.shape as [number, number];
  const h = cfg.hidden;
  // x_j W_j for every position j, then the exclusive sum over positions: a_i = Σ_{j<i} x_j W_j.
  const terms = mul(reshape(x, [n, d, 1]), reshape(p.w, [1, d, h]));
  const hidden = sigmoid(add(cumsum(terms, 1, { exclusive: true }), p.c!));
  return add(reduceSum(mul(hidden, reshape(p.v!, [1, d, h])), 2), p.b);
}

/** log p(x) [N] of binary `x` under Bernoulli `logits`: Σ_i x_i l_i − softplus(l_i). */
function logLikelihood(x: Tensor, logits: Tensor): Tensor {
  return reduceSum(sub(mul(x, logits), softplus(logits)), 1);
}

/** The train step: batch `x` [batch, D] binary; hyper `lr` (Adam). Metric `nll`: nats per record. */
export function autoregressiveStep(cfg: AutoregressiveStepConfig): TrainStep {
  const d = cfg.model.dims;
  return buildTrainStep({
    name: cfg.model.kind,
    batch: { x: { dtype: "float32", shape: [cfg.batch, d] } },
    hyper: { lr: cfg.lr ?? 1e-3 },
    build(ctx) {
      const x = ctx.batch.x!;
      const nll = mul(reduceMean(logLikelihood(x, autoregressiveLogits(ctx.params, x, cfg.model))), -1);
      ctx.minimize("ar", nll, adam({ lr: ctx.hyper.lr! }));
      return { nll };
    },
  });
}

/** The density: `x` [batch, D] (binary) → `log_prob` [batch], exact. */
export function autoregressiveDensityModel(cfg: AutoregressiveConfig, batch: number): Uint8Array {
  return exportModel({
    name: `${cfg.kind}_density`,
    inputs: { x: { dtype: "float32", shape: [batch, cfg.dims] } },
    docString: `${cfg.kind}: the exact log-likelihood of binary records`,
    metadata: { config: JSON.stringify(cfg) },
    build: (ps, { x }) => ({ log_prob: logLikelihood(x!, autoregressiveLogits(ps, x!, cfg)) }),
  }).bytes;
}

/**
 * The sampler: `z` [batch, D] uniform in (−1, 1) → `image` [batch, 1, side, side], x_i = 1 when
 * (z_i + 1)/2 < p(x_i = 1 | x_<i), position by position. FVSBN's running logits gain x_i·W_i,: after
 * position i; NADE's running pre-activation gains x_i·W_i.
 */
export function autoregressiveSamplerModel(cfg: AutoregressiveConfig, batch: number): Uint8Array {
  const d = cfg.dims;
  const side = Math.round(Math.sqrt(d));
  return exportModel({
    name: `${cfg.kind}_sampler`,
    inputs: { z: { dtype: "float32", shape: [batch, d] } },
    docString: `${cfg.kind}: samples drawn position by position (the loop unrolled)`,
    metadata: { config: JSON.stringify(cfg) },
    build: (ps, { z }) => {
      const p = weights(ps, cfg);
      const u = mul(add(z!, 1), 0.5);
      const width = cfg.kind === "fvsbn" ? d : cfg.hidden;
      // FVSBN: the logits of every position so far; NADE: the hidden pre-activation.
      let running = expand(reshape(cfg.kind === "fvsbn" ? p.b : p.c!, [1, width]), [batch, width]);
      const values: Tensor[] = [];
      for (let i = 0; i < d; i++) {
        const logit = cfg.kind === "fvsbn" ? slice(running, [i], [i + 1], [1]) : add(
          matmul(sigmoid(running), transpose(slice(p.v!, [i], [i + 1], [0]))),
          slice(p.b, [i], [i + 1], [0]),
        );
        const value = cast(less(slice(u, [i], [i + 1], [1]), sigmoid(logit)), "float32");
        values.push(value);
        if (i < d - 1) running = add(running, matmul(value, slice(p.w, [i], [i + 1], [0])));
      }
      return { image: reshape(concat(values, 1), [batch, 1, side, side]) };
    },
  }).bytes;
}
