/**
 * Optimizers as pure `{init, update}` pairs that emit graph ops (optax style).
 *
 * - `init(params)` describes the state slots (name → shape, dtype, initial fill) that the train step
 *   carries as graph inputs/outputs, so a checkpoint is just the param and slot tensors.
 * - `update(grads, state, params)` returns additive `updates` (new param = param + update, see
 *   {@link applyUpdates}) and the new state, as IR tensors.
 *
 * Hyperparameters are numbers (constants) or scalar tensors (e.g. a graph input `lr`, so a training
 * loop can change the learning rate without rebuilding the graph).
 *
 * Formulas follow PyTorch's implementations, so runs can be compared with PyTorch references.
 *
 * @module
 */
import type { FloatDType } from "./dtype.ts";
import { scalar, scope, type Tensor } from "./graph.ts";
import { add, cast, div, maximum, mul, pow, sqrt, sub } from "./ops_elementwise.ts";
import { gemm } from "./ops_linalg.ts";
import { reduceSum } from "./ops_reduce.ts";
import { reshape, transpose } from "./ops_shape.ts";

/** A hyperparameter: a constant, or a scalar tensor such as a graph input. */
export type Hyper = number | Tensor;
/** Named tensors. */
export type TensorMap = Readonly<Record<string, Tensor>>;

/** Shape and dtype of a parameter. */
export interface ParamInfo {
  readonly shape: readonly number[];
  readonly dtype: FloatDType;
}

/** One state slot of an optimizer: a tensor carried between steps, initialised to `fill`. */
export interface SlotSpec {
  readonly shape: readonly number[];
  readonly dtype: FloatDType;
  readonly fill: number;
}

/** An optimizer: two pure functions and explicit state. */
export interface Optimizer {
  readonly name: string;
  init(params: Readonly<Record<string, ParamInfo>>): Record<string, SlotSpec>;
  update(
    grads: TensorMap,
    state: TensorMap,
    params: TensorMap,
  ): { updates: Record<string, Tensor>; state: Record<string, Tensor> };
}

/** `params + updates`, name by name. */
export function applyUpdates(params: TensorMap, updates: TensorMap): Record<string, Tensor> {
  return Object.fromEntries(
    Object.entries(params).map(([k, p]) => {
      const u = updates[k];
      if (!u) throw new Error(`applyUpdates: no update for parameter '${k}'`);
      return [k, add(p, u)];
    }),
  );
}

function hyper(h: Hyper, dtype: FloatDType): Tensor {
  if (typeof h === "number") return scalar(h, dtype);
  if (h.size !== 1) throw new Error(`a hyperparameter tensor must be a scalar, got ${h}`);
  return reshape(cast(h, dtype), []);
}

function dtypeOf(params: Readonly<Record<string, ParamInfo>> | TensorMap): FloatDType {
  const first = Object.values(params)[0];
  return (first?.dtype ?? "float32") as FloatDType;
}

function slots(
  params: Readonly<Record<string, ParamInfo>>,
  prefix: string,
  fill = 0,
): Record<string, SlotSpec> {
  return Object.fromEntries(
    Object.entries(params).map(([k, p]) => [`${prefix}/${k}`, { shape: p.shape, dtype: p.dtype, fill }]),
  );
}

function countSlot(params: Readonly<Record<string, ParamInfo>>): Record<string, SlotSpec> {
  return { count: { shape: [], dtype: dtypeOf(params), fill: 0 } };
}

// ---------------------------------------------------------------------------------------------

/** Options of {@link sgd}. */
export interface SgdOptions {
  lr: Hyper;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/** SGD with optional (Nesterov) momentum and L2 weight decay, as `torch.optim.SGD` (dampening 0). */
export function sgd(o: SgdOptions): Optimizer {
  const mom = o.momentum ?? 0;
  const wd = o.weightDecay ?? 0;
  return {
    name: "sgd",
    init: (params) => (mom > 0 ? slots(params, "momentum") : {}),
    update(grads, state, params) {
      const updates: Record<string, Tensor> = {};
      const next: Record<string, Tensor> = {};
      const lr = hyper(o.lr, dtypeOf(params));
      for (const [k, p] of Object.entries(params)) {
        scope(k, () => {
          let g = grads[k]!;
          if (wd > 0) g = add(g, mul(p, wd));
          let d = g;
          if (mom > 0) {
            const buf = add(mul(state[`momentum/${k}`]!, mom), g);
            next[`momentum/${k}`] = buf;
            d = o.nesterov ? add(g, mul(buf, mom)) : buf;
          }
          updates[k] = mul(d, mul(lr, -1));
        });
      }
      return { updates, state: next };
    },
  };
}

/** Options of {@link adam} and {@link adamw}. */
export interface AdamOptions {
  lr: Hyper;
  b1?: number;
  b2?: number;
  eps?: number;
}

function adamCore(name: string, o: AdamOptions, weightDecay: number): Optimizer {
  const b1 = o.b1 ?? 0.9;
  const b2 = o.b2 ?? 0.999;
  const eps = o.eps ?? 1e-8;
  return {
    name,
    init: (params) => ({ ...countSlot(params), ...slots(params, "mu"), ...slots(params, "nu") }),
    update(grads, state, params) {
      const dtype = dtypeOf(params);
      const lr = hyper(o.lr, dtype);
      const t = add(state.count!, 1);
      // PyTorch: p -= lr/bc1 · m / (√v/√bc2 + eps), rewritten as
      // p -= (lr·√bc2/bc1) · m / (√v + eps·√bc2): the same value with one op less per tensor.
      const sbc2 = sqrt(sub(1, pow(scalar(b2, dtype), t)));
      const stepSize = div(mul(lr, sbc2), sub(1, pow(scalar(b1, dtype), t)));
      const negStep = mul(stepSize, -1);
      const epsHat = mul(sbc2, eps);
      const updates: Record<string, Tensor> = {};
      const next: Record<string, Tensor> = { count: t };
      for (const [k, p] of Object.entries(params)) {
        scope(k, () => {
          const g = grads[k]!;
          const m = add(mul(state[`mu/${k}`]!, b1), mul(g, 1 - b1));
          const v = add(mul(state[`nu/${k}`]!, b2), mul(mul(g, g), 1 - b2));
          next[`mu/${k}`] = m;
          next[`nu/${k}`] = v;
          const u = mul(div(m, add(sqrt(v), epsHat)), negStep);
          // AdamW's decoupled decay: p ← p·(1 − lr·wd) before the Adam step.
          updates[k] = weightDecay > 0 ? sub(u, mul(p, mul(lr, weightDecay))) : u;
        });
      }
      return { updates, state: next };
    },
  };
}

/** Adam (Kingma & Ba), numerically as `torch.optim.Adam`: bias-corrected moments, eps outside the root. */
export function adam(o: AdamOptions): Optimizer {
  return adamCore("adam", o, 0);
}

/** AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, as `torch.optim.AdamW` (default wd 0.01). */
export function adamw(o: AdamOptions & { weightDecay?: number }): Optimizer {
  return adamCore("adamw", o, o.weightDecay ?? 0.01);
}

/** Options of {@link rmsprop}. */
export interface RmspropOptions {
  lr: Hyper;
  alpha?: number;
  eps?: number;
  momentum?: number;
}

/** RMSprop as `torch.optim.RMSprop` (not centered): v = αv + (1−α)g², step g/(√v + eps). */
export function rmsprop(o: RmspropOptions): Optimizer {
  const alpha = o.alpha ?? 0.99;
  const eps = o.eps ?? 1e-8;
  const mom = o.momentum ?? 0;
  return {
    name: "rmsprop",
    init: (params) => ({ ...slots(params, "nu"), ...(mom > 0 ? slots(params, "momentum") : {}) }),
    update(grads, state, params) {
      const lr = hyper(o.lr, dtypeOf(params));
      const updates: Record<string, Tensor> = {};
      const next: Record<string, Tensor> = {};
      for (const k of Object.keys(params)) {
        scope(k, () => {
          const g = grads[k]!;
          const v = add(mul(state[`nu/${k}`]!, alpha), mul(mul(g, g), 1 - alpha));
          next[`nu/${k}`] = v;
          let d = div(g, add(sqrt(v), eps));
          if (mom > 0) {
            d = add(mul(state[`momentum/${k}`]!, mom), d);
            next[`momentum/${k}`] = d;
          }
          updates[k] = mul(d, mul(lr, -1));
        });
      }
      return { updates, state: next };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Muon

/** The official Newton–Schulz quintic coefficients (a, b, c) (KellerJordan/Muon; Su, kexue.fm/archives/10592). */
export const MUON_COEFFS = [3.4445, -4.775, 2.0315] as const;

/**
 * Approximates msign(M) = U·Vᵀ (the orthogonal polar factor) of a 2-D tensor with `steps` quintic
 * Newton–Schulz iterations X ← aX + b(XXᵀ)X + c(XXᵀ)²X, starting from X₀ = M/(‖M‖_F + 1e-7), on the
 * wide orientation (rows ≤ cols) as the reference implementation does.
 */
export function newtonSchulz(
  m: Tensor,
  steps = 5,
  coeffs: readonly [number, number, number] = MUON_COEFFS,
): Tensor {
  if (m.rank !== 2) throw new Error(`newtonSchulz needs a 2-D tensor, got ${m}`);
  const tall = m.shape[0]! > m.shape[1]!;
  let x = tall ? transpose(m) : m;
  x = div(x, add(sqrt(reduceSum(mul(x, x))), 1e-7));
  const [a, b, c] = coeffs;
  for (let i = 0; i < steps; i++) {
    scope(`ns${i}`, () => {
      const A = gemm(x, x, { transB: true });
      const B = add(mul(A, b), mul(gemm(A, A), c));
      x = add(mul(x, a), gemm(B, x));
    });
  }
  return tall ? transpose(x) : x;
}

/** Options of {@link muon} and {@link muonMatrices}. */
export interface MuonOptions {
  /** Learning rate of the matrix parameters (default 0.02), in units of spectral norm per update. */
  lr?: Hyper;
  /** Momentum β (default 0.95): M ← lerp(M, G, 1 − β) = βM + (1 − β)G, as the reference. */
  momentum?: number;
  /** Orthogonalise lerp(G, M, β) = (1 − β)G + βM instead of M (default true). */
  nesterov?: boolean;
  /** Newton–Schulz steps (default 5). */
  nsSteps?: number;
  coeffs?: readonly [number, number, number];
  /** Decoupled weight decay λ of the matrix parameters: W ← W(1 − lr·λ) − lr·msign(M) (default 0). */
  weightDecay?: number;
  /**
   * AdamW for everything that is not a hidden matrix (embeddings, the input layer, the head, gains and
   * biases); default the reference's lr 3e-4, b1 0.9, b2 0.95, eps 1e-10, weight decay 0.
   */
  adam?: AdamOptions & { weightDecay?: number };
  /**
   * Which parameters are hidden matrices (Muon); the rest go to AdamW. Default {@link sequentialHidden}:
   * every parameter of rank ≥ 2 except the first and the last one the model creates (its input layer
   * and its head), the reference's rule for an MLP or a ConvNet. Models with embeddings pass their own.
   */
  hidden?: (name: string, info: ParamInfo, all: Readonly<Record<string, ParamInfo>>) => boolean;
}

/**
 * The factor the reference scales an orthogonalised update by, √max(1, A/B), where A × B are the last
 * two dimensions of the parameter in PyTorch's layout. PyTorch stores a Linear weight as [out, in] and
 * this project's dense `W` as [in, out], so for a rank-2 parameter A/B = out/in = shape[1]/shape[0] (a
 * 512 → 10 head gets 1, not √51.2). Convolution kernels have PyTorch's layout [out, in, kh, kw]; the
 * reference reads the ratio off the 4-D gradient, kh/kw, before flattening it (1 for square kernels).
 */
export function muonScale(shape: readonly number[]): number {
  if (shape.length < 2) throw new Error(`Muon updates matrices, got shape [${shape.join(",")}]`);
  const [a, b] = shape.length === 2 ? [shape[1]!, shape[0]!] : [shape.at(-2)!, shape.at(-1)!];
  return Math.sqrt(Math.max(1, a / b));
}

/**
 * Muon for matrices only (`muon_update` of KellerJordan/Muon, checked against it in
 * muon_reference_test.ts): momentum by lerp, Nesterov by lerp, Newton–Schulz on the matrix (a
 * convolution kernel flattened to [out, in·kh·kw]), the {@link muonScale} factor, decoupled weight decay.
 * Rank-2 parameters are taken as dense [in, out] weights; NS(Wᵀ) = NS(W)ᵀ, so the orientation only
 * matters for the scale. {@link muon} routes the other parameters to AdamW.
 */
export function muonMatrices(o: MuonOptions = {}): Optimizer {
  const beta = o.momentum ?? 0.95;
  const wd = o.weightDecay ?? 0;
  return {
    name: "muon",
    init: (params) => slots(params, "momentum"),
    update(grads, state, params) {
      const lr = hyper(o.lr ?? 0.02, dtypeOf(params));
      const updates: Record<string, Tensor> = {};
      const next: Record<string, Tensor> = {};
      for (const [k, p] of Object.entries(params)) {
        scope(k, () => {
          const g = grads[k]!;
          // momentum.lerp_(grad, 1 − β); update = grad.lerp_(momentum, β) (Nesterov) or momentum.
          const buf = add(mul(state[`momentum/${k}`]!, beta), mul(g, 1 - beta));
          next[`momentum/${k}`] = buf;
          const dir = o.nesterov === false ? buf : add(mul(g, 1 - beta), mul(buf, beta));
          const rows = p.shape[0]!;
          const cols = p.size / rows;
          const ortho = reshape(
            newtonSchulz(reshape(dir, [rows, cols]), o.nsSteps ?? 5, o.coeffs ?? MUON_COEFFS),
            p.shape,
          );
          const scaled = mul(ortho, muonScale(p.shape));
          const step = wd > 0 ? add(scaled, mul(p, wd)) : scaled;
          updates[k] = mul(step, mul(lr, -1));
        });
      }
      return { updates, state: next };
    },
  };
}

/**
 * Routes each parameter to one of several optimizers by label (optax's `multi_transform`). State slots
 * are prefixed with the label. `label` also sees every parameter of the step, in the order the model
 * created them.
 */
export function partition(
  label: (name: string, info: ParamInfo, all: Readonly<Record<string, ParamInfo>>) => string,
  optimizers: Readonly<Record<string, Optimizer>>,
): Optimizer {
  const split = <T>(all: Readonly<Record<string, T>>, infos: Readonly<Record<string, ParamInfo>>) => {
    const groups: Record<string, Record<string, T>> = {};
    for (const [k, v] of Object.entries(all)) {
      const l = label(k, infos[k]!, infos);
      if (!optimizers[l]) {
        throw new Error(`partition: parameter '${k}' got label '${l}', which has no optimizer`);
      }
      (groups[l] ??= {})[k] = v;
    }
    return groups;
  };
  const prefixed = <T>(l: string, rec: Readonly<Record<string, T>>) =>
    Object.fromEntries(Object.entries(rec).map(([k, v]) => [`${l}/${k}`, v]));
  const unprefixed = <T>(l: string, rec: Readonly<Record<string, T>>) =>
    Object.fromEntries(
      Object.entries(rec).filter(([k]) => k.startsWith(`${l}/`)).map(([k, v]) => [k.slice(l.length + 1), v]),
    );
  return {
    name: `partition(${Object.entries(optimizers).map(([l, o]) => `${l}:${o.name}`).join(",")})`,
    init(params) {
      const out: Record<string, SlotSpec> = {};
      for (const [l, group] of Object.entries(split(params, params))) {
        Object.assign(out, prefixed(l, optimizers[l]!.init(group)));
      }
      return out;
    },
    update(grads, state, params) {
      const infos = Object.fromEntries(
        Object.entries(params).map(([k, p]) => [k, { shape: p.shape, dtype: p.dtype as FloatDType }]),
      );
      const updates: Record<string, Tensor> = {};
      const next: Record<string, Tensor> = {};
      for (const [l, group] of Object.entries(split(params, infos))) {
        const sub = Object.fromEntries(Object.keys(group).map((k) => [k, grads[k]!]));
        const r = scope(l, () => optimizers[l]!.update(sub, unprefixed(l, state), group));
        Object.assign(updates, r.updates);
        Object.assign(next, prefixed(l, r.state));
      }
      return { updates, state: next };
    },
  };
}

/**
 * Applies optimizers in sequence, each transforming the previous one's updates (optax's `chain`), e.g.
 * `chain(clipByGlobalNorm(1), adam({ lr }))`. State slots are prefixed with the position: `0/…`, `1/…`.
 */
export function chain(...optimizers: readonly Optimizer[]): Optimizer {
  const prefixed = <T>(i: number, rec: Readonly<Record<string, T>>) =>
    Object.fromEntries(Object.entries(rec).map(([k, v]) => [`${i}/${k}`, v]));
  return {
    name: `chain(${optimizers.map((o) => o.name).join(",")})`,
    init(params) {
      return Object.assign({}, ...optimizers.map((o, i) => prefixed(i, o.init(params))));
    },
    update(grads, state, params) {
      let updates: TensorMap = grads;
      const next: Record<string, Tensor> = {};
      optimizers.forEach((o, i) => {
        const own = Object.fromEntries(
          Object.entries(state).filter(([k]) => k.startsWith(`${i}/`)).map((
            [k, v],
          ) => [k.slice(`${i}/`.length), v]),
        );
        const r = scope(`${i}`, () => o.update(updates, own, params));
        updates = r.updates;
        Object.assign(next, prefixed(i, r.state));
      });
      return { updates: { ...updates }, state: next };
    },
  };
}

/**
 * Scales all gradients down so that their joint L2 norm is at most `maxNorm` (as
 * `torch.nn.utils.clip_grad_norm_`); a stateless transformation to put first in a {@link chain}.
 */
export function clipByGlobalNorm(maxNorm: number): Optimizer {
  return {
    name: "clipByGlobalNorm",
    init: () => ({}),
    update(grads) {
      const entries = Object.entries(grads);
      if (entries.length === 0) return { updates: {}, state: {} };
      const sq = entries.map(([, g]) => reduceSum(mul(g, g)));
      const norm = sqrt(sq.reduce((a, b) => add(a, b)));
      // factor = maxNorm / max(norm, maxNorm): 1 when the norm is within bounds.
      const factor = div(maxNorm, maximum(norm, maxNorm));
      return { updates: Object.fromEntries(entries.map(([k, g]) => [k, mul(g, factor)])), state: {} };
    },
  };
}

/**
 * The reference's split for a sequential model (KellerJordan/Muon README: "use Muon to optimize all
 * the convolutional filters except the first one, and AdamW to optimize everything else"; heads and
 * embeddings to AdamW): a parameter of rank ≥ 2 that is neither the first nor the last of rank ≥ 2 in
 * the order the model created them.
 */
export function sequentialHidden(
  name: string,
  info: ParamInfo,
  all: Readonly<Record<string, ParamInfo>>,
): boolean {
  if (info.shape.length < 2) return false;
  const matrices = Object.keys(all).filter((k) => all[k]!.shape.length >= 2);
  return name !== matrices[0] && name !== matrices.at(-1);
}

/**
 * Muon (Jordan et al. 2024; Su, "Muon优化器赏析", kexue.fm/archives/10592) as the reference's
 * `MuonWithAuxAdam`: {@link muonMatrices} for the hidden matrices (`hidden`), AdamW for the rest.
 * The labels are `muon` and `adam`: slots `opt/<label>/muon/momentum/<param>`, `opt/<label>/adam/…`.
 */
export function muon(o: MuonOptions = {}): Optimizer {
  const hidden = o.hidden ?? sequentialHidden;
  const opt = partition((name, info, all) => (hidden(name, info, all) ? "muon" : "adam"), {
    muon: muonMatrices(o),
    adam: adamw({ lr: 3e-4, b1: 0.9, b2: 0.95, eps: 1e-10, weightDecay: 0, ...o.adam }),
  });
  return { ...opt, name: "muon" };
}
