/**
 * Normalising-flow layers: invertible maps with their log-determinants and exact inverses, built from
 * the IR's existing ops (and `permute` of flow_ops.ts), for NICE, RealNVP, Glow and f-VAE.
 *
 * A layer is a {@link Bijection}: `forward(fc, x)` returns `y` and the per-sample log |det ∂y/∂x|
 * (shape [N]); `inverse(fc, y)` returns `x` exactly (up to rounding; no iteration). Both open the
 * layer's scope, so they read the same parameters `<scope>/<name>/…` from `fc.ps`. Inputs are
 * [N, D] vectors or [N, C, H, W] images; every layer acts on axis 1 (features or channels).
 *
 * | layer | map | log-det |
 * |---|---|---|
 * | `reverse`, `shuffle` | a fixed permutation of axis 1 (reversal; seeded random) | 0 |
 * | `additiveCoupling` | y₁ = x₁, y₂ = x₂ ± m(x₁) (halves or even/odd split) | 0 |
 * | `affineCoupling` | y₂ = (x₂ + t(x₁))·σ(s(x₁) + 2), as Glow's code | Σ log σ(s + 2) |
 * | `actnorm` | y = (x + b)·e^{logs} per channel, data-dependent init | H·W·Σ logs |
 * | `squeeze` | [C, H, W] → [4C, H/2, W/2] (space to depth) | 0 |
 * | `invertibleConv1x1` | y = W x per pixel, W = P·L·(U + diag(sign·e^{logs})) | H·W·Σ logs |
 * | `splitPrior` | ε = (x₂ − μ(x₁))·e^{−logs(x₁)}, a zero-initialised conv prior | −Σ logs |
 * | `factorOut` | (x₁, ε) of `splitPrior`; `rest` continues on x₁; output flat [N, D] | split's + rest's |
 * | `diagonalScaling` | y = x·e^{s} (NICE's last layer) | H·W·Σ s |
 * | `expRankOne` | y = exp(u vᵀ) x = x + u (vᵀx)(e^{a} − 1)/a, a = ⟨u, v⟩ | a |
 *
 * Priors (`gaussianPrior`, `logisticPrior`) give log p(z) per sample and map standard noise to z.
 *
 * Data-dependent initialisation: with `fc.init` set (a {@link DataInit}), `actnorm` computes its
 * bias and log-scale from the batch it sees (so that its output has zero mean and unit variance per
 * channel), uses them, and records them under their parameter names instead of reading parameters. A
 * model built that way over one batch is the "init model" whose outputs become the initial values of
 * those parameters (families/image_flow.ts writes them into the train step's initial state, so they
 * reach training, snapshots and every export).
 *
 * Parameters that must start at seeded non-trivial values (the 1×1 convolution's LU factors of a
 * random orthogonal matrix) are written as constant + trainable offset, the offset starting at zero:
 * the same function of the same trainable values under Adam (which sees only gradients), with no
 * custom initialiser.
 *
 * @module
 */
import { lu, luFactors } from "../../numerics/lu.ts";
import { randomOrthogonal } from "../../numerics/random_orthogonal.ts";
import { Rng as DataRng } from "../../stages/data/random.ts";
import type { FloatDType } from "./dtype.ts";
import { invertPermutation, permute } from "./flow_ops.ts";
import { constant, scope, type Tensor } from "./graph.ts";
import { type Init, inits, Rng } from "./init.ts";
import { conv2d } from "./ops_conv.ts";
import {
  abs,
  add,
  div,
  exp,
  less,
  log,
  mul,
  neg,
  softplus,
  sqrt,
  square,
  sub,
  where,
} from "./ops_elementwise.ts";
import { matmul } from "./ops_linalg.ts";
import { reduceMean, reduceSum } from "./ops_reduce.ts";
import { concat, expand, flip, reshape, slice, transpose, unsqueeze } from "./ops_shape.ts";
import { paramName, type ParamSource } from "./params.ts";

// ---------------------------------------------------------------------------------------------
// The layer interface

/** Collects the data-dependent initial values of parameters while an init model is built. */
export class DataInit {
  readonly #values = new Map<string, Tensor>();

  /** Records `value` as the initial value of the parameter `name` (its full name). */
  record(name: string, value: Tensor): void {
    if (this.#values.has(name)) throw new Error(`DataInit: '${name}' was recorded twice`);
    this.#values.set(name, value);
  }

  /** The recorded values by parameter name: the init model's outputs. */
  outputs(): Record<string, Tensor> {
    return Object.fromEntries(this.#values);
  }
}

/** Carried state of a train step (power-iteration vectors), absent in exported models. */
export interface FlowCarry {
  carry(name: string, shape: readonly number[], fill?: number): Tensor;
  setCarry(name: string, value: Tensor): void;
}

/** What a layer reads besides its input. */
export interface FlowContext {
  readonly ps: ParamSource;
  /** Set while building the data-dependent init model (actnorm records instead of reading). */
  readonly init?: DataInit;
  /** Carried training state; layers that keep some (i-ResNet's spectral norms) use it when present. */
  readonly state?: FlowCarry;
}

/** A forward pass: the output and log |det ∂y/∂x| per sample, [N]. */
export interface FlowResult {
  y: Tensor;
  logdet: Tensor;
}

/** An invertible layer. */
export interface Bijection {
  readonly name: string;
  forward(fc: FlowContext, x: Tensor): FlowResult;
  inverse(fc: FlowContext, y: Tensor): Tensor;
}

/** Per-sample sum over every axis but the first: [N, …] → [N]. */
export function perSample(t: Tensor): Tensor {
  return t.rank === 1 ? t : reduceSum(t, Array.from({ length: t.rank - 1 }, (_, i) => i + 1));
}

/** A zero log-determinant for a batch like `x`. */
export function zeroLogdet(x: Tensor): Tensor {
  return expand(constant([0], x.dtype, []), [x.shape[0]!]);
}

/** Pixels per channel: the product of the axes after the channel axis (1 for vectors). */
function spatialSize(x: Tensor): number {
  return x.shape.slice(2).reduce((a, b) => a * b, 1);
}

/** [1, C, 1, 1] (or [1, C]) so that a per-channel vector broadcasts over `x`. */
function perChannel(v: Tensor, x: Tensor): Tensor {
  return reshape(v, [1, x.shape[1]!, ...x.shape.slice(2).map(() => 1)]);
}

/** The layers applied in order; the inverse runs them backwards. */
export function chain(name: string, layers: readonly Bijection[]): Bijection {
  return {
    name,
    forward: (fc, x) =>
      scope(name, () => {
        let y = x;
        let logdet: Tensor | undefined;
        for (const layer of layers) {
          const r = layer.forward(fc, y);
          y = r.y;
          logdet = logdet ? add(logdet, r.logdet) : r.logdet;
        }
        return { y, logdet: logdet ?? zeroLogdet(x) };
      }),
    inverse: (fc, y) =>
      scope(name, () => {
        let x = y;
        for (const layer of [...layers].reverse()) x = layer.inverse(fc, x);
        return x;
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Splits and permutations

/** How a coupling splits axis 1: first and second half, or even and odd positions (NICE). */
export type SplitMode = "halves" | "evenOdd";

/** Splits axis 1 of `x` into two equal parts. */
export function splitParts(x: Tensor, mode: SplitMode): [Tensor, Tensor] {
  const n = x.shape[1]!;
  if (n % 2 !== 0) throw new Error(`cannot split axis 1 of ${x} in two: it has odd size ${n}`);
  if (mode === "halves") return [slice(x, [0], [n / 2], [1]), slice(x, [n / 2], [n], [1])];
  return [slice(x, [0], [n], [1], [2]), slice(x, [1], [n], [1], [2])];
}

/** The inverse of {@link splitParts}. */
export function mergeParts(a: Tensor, b: Tensor, mode: SplitMode): Tensor {
  if (mode === "halves") return concat([a, b], 1);
  const pairs = concat([unsqueeze(a, 2), unsqueeze(b, 2)], 2); // [N, n/2, 2, …]
  return reshape(pairs, [a.shape[0]!, 2 * a.shape[1]!, ...a.shape.slice(2)]);
}

/** Reverses the order of axis 1 (NICE's and RealNVP's alternation). */
export function reverse(name: string): Bijection {
  return {
    name,
    forward: (_fc, x) => scope(name, () => ({ y: flip(x, [1]), logdet: zeroLogdet(x) })),
    inverse: (_fc, y) => scope(name, () => flip(y, [1])),
  };
}

/** A fixed random permutation of axis 1 of size `size`, drawn from `seed` (Glow's "shuffle"). */
export function shuffle(name: string, size: number, seed: number): Bijection {
  const perm = Array.from(new Rng(seed, `shuffle/${name}`).permutation(size));
  const inv = invertPermutation(perm);
  return {
    name,
    forward: (_fc, x) => scope(name, () => ({ y: permute(x, perm, 1), logdet: zeroLogdet(x) })),
    inverse: (_fc, y) => scope(name, () => permute(y, inv, 1)),
  };
}

// ---------------------------------------------------------------------------------------------
// Couplings

/**
 * The network of a coupling: from the kept part x₁ to `channels` outputs along axis 1 (the other
 * axes as x₁'s). Called in the scope `<coupling>/net` in both directions, so both share its weights.
 */
export type CouplingNet = (ps: ParamSource, x1: Tensor, channels: number) => Tensor;

/**
 * Additive coupling: y₁ = x₁, y₂ = x₂ + sign·m(x₁). `sign: -1` is Su's NICE code, whose encoder
 * subtracts so that the generator adds the (ReLU, non-negative) m.
 */
export function additiveCoupling(
  name: string,
  o: { net: CouplingNet; split?: SplitMode; sign?: 1 | -1 },
): Bijection {
  const mode = o.split ?? "halves";
  const sign = o.sign ?? 1;
  const shift = (fc: FlowContext, x1: Tensor, c: number) => scope("net", () => o.net(fc.ps, x1, c));
  return {
    name,
    forward: (fc, x) =>
      scope(name, () => {
        const [x1, x2] = splitParts(x, mode);
        const m = shift(fc, x1, x2.shape[1]!);
        return { y: mergeParts(x1, sign > 0 ? add(x2, m) : sub(x2, m), mode), logdet: zeroLogdet(x) };
      }),
    inverse: (fc, y) =>
      scope(name, () => {
        const [y1, y2] = splitParts(y, mode);
        const m = shift(fc, y1, y2.shape[1]!);
        return mergeParts(y1, sign > 0 ? sub(y2, m) : add(y2, m), mode);
      }),
  };
}

/**
 * Affine coupling as Glow's code writes it: h = NN(x₁); shift = h[:, 0::2]; scale = σ(h[:, 1::2] + 2);
 * y₂ = (x₂ + shift)·scale, so log |det| = Σ log scale (the +2 starts the scale near 0.88, close to
 * the identity, and σ keeps it in (0, 1), which keeps training stable).
 */
export function affineCoupling(name: string, o: { net: CouplingNet; split?: SplitMode }): Bijection {
  const mode = o.split ?? "halves";
  const params = (fc: FlowContext, x1: Tensor, c: number) =>
    scope("net", () => {
      const h = o.net(fc.ps, x1, 2 * c);
      const shift = slice(h, [0], [2 * c], [1], [2]);
      const a = add(slice(h, [1], [2 * c], [1], [2]), 2);
      return { shift, a };
    });
  return {
    name,
    forward: (fc, x) =>
      scope(name, () => {
        const [x1, x2] = splitParts(x, mode);
        const { shift, a } = params(fc, x1, x2.shape[1]!);
        // log σ(a) = −softplus(−a): no underflow for very negative a.
        const logScale = neg(softplus(neg(a)));
        const y2 = mul(add(x2, shift), exp(logScale));
        return { y: mergeParts(x1, y2, mode), logdet: perSample(logScale) };
      }),
    inverse: (fc, y) =>
      scope(name, () => {
        const [y1, y2] = splitParts(y, mode);
        const { shift, a } = params(fc, y1, y2.shape[1]!);
        const logScale = neg(softplus(neg(a)));
        return mergeParts(y1, sub(mul(y2, exp(neg(logScale))), shift), mode);
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Actnorm, scaling

/**
 * Actnorm (Glow): y = (x + b)·e^{logs} per channel, log |det| = H·W·Σ logs. Data-dependent
 * initialisation: b = −mean, logs = −log(std + 1e-6) of the first batch per channel.
 */
export function actnorm(name: string): Bijection {
  const values = (fc: FlowContext, x: Tensor) => {
    const c = x.shape[1]!;
    if (fc.init) {
      const axes = [0, ...x.shape.slice(2).map((_, i) => i + 2)];
      const mean = reduceMean(x, axes, true);
      const std = sqrt(reduceMean(square(sub(x, mean)), axes, true));
      const b = neg(mean);
      const logs = neg(log(add(std, 1e-6)));
      fc.init.record(paramName("bias"), reshape(b, [c]));
      fc.init.record(paramName("logs"), reshape(logs, [c]));
      return { b, logs, sum: reduceSum(logs) };
    }
    const bias = fc.ps.param("bias", [c], inits.zeros());
    const logs = fc.ps.param("logs", [c], inits.zeros());
    return { b: perChannel(bias, x), logs: perChannel(logs, x), sum: reduceSum(logs) };
  };
  return {
    name,
    forward: (fc, x) =>
      scope(name, () => {
        const { b, logs, sum } = values(fc, x);
        const logdet = expand(mul(sum, spatialSize(x)), [x.shape[0]!]);
        return { y: mul(add(x, b), exp(logs)), logdet };
      }),
    inverse: (fc, y) =>
      scope(name, () => {
        const { b, logs } = values(fc, y);
        return sub(mul(y, exp(neg(logs))), b);
      }),
  };
}

/** NICE's diagonal scaling z = x·e^{s} (log |det| = Σ s), `s` per feature drawn from `init`. */
export function diagonalScaling(name: string, init: Init): Bijection {
  const s = (fc: FlowContext, x: Tensor) => fc.ps.param("s", [x.shape[1]!], init);
  return {
    name,
    forward: (fc, x) =>
      scope(name, () => {
        const v = s(fc, x);
        const logdet = expand(mul(reduceSum(v), spatialSize(x)), [x.shape[0]!]);
        return { y: mul(x, exp(perChannel(v, x))), logdet };
      }),
    inverse: (fc, y) => scope(name, () => mul(y, exp(neg(perChannel(s(fc, y), y))))),
  };
}

// ---------------------------------------------------------------------------------------------
// Squeeze

/** Space to depth: [N, C, H, W] → [N, 4C, H/2, W/2], channel c·4 + 2·dy + dx (Glow's squeeze2d). */
export function squeeze(name: string): Bijection {
  return {
    name,
    forward: (_fc, x) =>
      scope(name, () => {
        const [n, c, h, w] = x.shape as [number, number, number, number];
        if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`squeeze needs even height and width, got ${x}`);
        const t = transpose(reshape(x, [n, c, h / 2, 2, w / 2, 2]), [0, 1, 3, 5, 2, 4]);
        return { y: reshape(t, [n, 4 * c, h / 2, w / 2]), logdet: zeroLogdet(x) };
      }),
    inverse: (_fc, y) =>
      scope(name, () => {
        const [n, c4, h2, w2] = y.shape as [number, number, number, number];
        const t = transpose(reshape(y, [n, c4 / 4, 2, 2, h2, w2]), [0, 1, 4, 2, 5, 3]);
        return reshape(t, [n, c4 / 4, 2 * h2, 2 * w2]);
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Invertible 1×1 convolution in LU form

/** The seeded LU factors of a random orthogonal c×c matrix Q = P·L·U (numerics/lu.ts, SciPy's convention). */
export function orthogonalLuFactors(c: number, seed: number) {
  const q = randomOrthogonal(c, new DataRng(seed));
  const { p, l, u } = luFactors(lu(q));
  const s = Array.from({ length: c }, (_, i) => u.data[i * c + i]!);
  return {
    q: q.data,
    p: p.data,
    lower: l.data.map((v, k) => (Math.floor(k / c) > k % c ? v : 0)),
    upper: u.data.map((v, k) => (Math.floor(k / c) < k % c ? v : 0)),
    sign: s.map(Math.sign),
    logs: s.map((v) => Math.log(Math.abs(v))),
  };
}

/** (I + N)⁻¹ for a nilpotent N (strictly triangular, c×c): Π (I + (−N)^{2^j}), exact in ⌈log₂ c⌉ products. */
function nilpotentInverse(n: Tensor, eye: Tensor): Tensor {
  const c = n.shape[0]!;
  let result = sub(eye, n);
  let power = n;
  for (let k = 2; k < c; k *= 2) {
    power = matmul(power, power);
    result = matmul(result, add(eye, power));
  }
  return result;
}

/**
 * Glow's invertible 1×1 convolution in LU form: W = P·L·(U + diag(sign(s)·e^{logs})) with P and the
 * signs fixed, L unit lower and U strictly upper triangular; log |det| = H·W·Σ logs. Initialised at
 * a seeded random orthogonal matrix (its LU factors are constants, the trainable L, U and logs start
 * as zero offsets from them). The inverse is built in the graph: W⁻¹ = U'⁻¹·L⁻¹·Pᵀ, each triangular
 * inverse an exact product of ⌈log₂ c⌉ matrix products (the strict parts are nilpotent).
 * Works on images (per pixel) and on [N, C] vectors.
 */
export function invertibleConv1x1(name: string, channels: number, seed: number): Bijection {
  const f = orthogonalLuFactors(channels, seed);
  const c = channels;
  const weights = (fc: FlowContext) => {
    const dt: FloatDType = fc.ps.dtype;
    const k = (data: ArrayLike<number>, shape: number[], label: string) =>
      constant(dt === "float64" ? Float64Array.from(data) : Float32Array.from(data), dt, shape, label);
    const eye = k(Array.from({ length: c * c }, (_, i) => (i % (c + 1) === 0 ? 1 : 0)), [c, c], "eye");
    const lowerMask = k(f.lower.map((_, i) => (Math.floor(i / c) > i % c ? 1 : 0)), [c, c], "lower_mask");
    const upperMask = k(f.upper.map((_, i) => (Math.floor(i / c) < i % c ? 1 : 0)), [c, c], "upper_mask");
    const lStrict = mul(
      add(k(f.lower, [c, c], "lower0"), fc.ps.param("lower", [c, c], inits.zeros())),
      lowerMask,
    );
    const uStrict = mul(
      add(k(f.upper, [c, c], "upper0"), fc.ps.param("upper", [c, c], inits.zeros())),
      upperMask,
    );
    const logs = add(k(f.logs, [c], "logs0"), fc.ps.param("logs", [c], inits.zeros()));
    const sign = k(f.sign, [c], "sign");
    const p = k(f.p, [c, c], "perm");
    return { eye, lStrict, uStrict, logs, sign, p };
  };
  const apply1x1 = (x: Tensor, w: Tensor) =>
    x.rank === 2 ? matmul(x, transpose(w)) : conv2d(x, reshape(w, [c, c, 1, 1]));
  return {
    name,
    forward: (fc, x) =>
      scope(name, () => {
        const { eye, lStrict, uStrict, logs, sign, p } = weights(fc);
        const diag = mul(eye, unsqueeze(mul(sign, exp(logs)), 0));
        const w = matmul(p, matmul(add(eye, lStrict), add(uStrict, diag)));
        const logdet = expand(mul(reduceSum(logs), spatialSize(x)), [x.shape[0]!]);
        return { y: apply1x1(x, w), logdet };
      }),
    inverse: (fc, y) =>
      scope(name, () => {
        const { eye, lStrict, uStrict, logs, sign, p } = weights(fc);
        const dInv = mul(sign, exp(neg(logs))); // diag(sign·e^{logs})⁻¹
        // U' = D + U_s = D·(I + D⁻¹U_s), so U'⁻¹ = (I + D⁻¹U_s)⁻¹·D⁻¹.
        const m = mul(unsqueeze(dInv, 1), uStrict);
        const uInv = mul(nilpotentInverse(m, eye), unsqueeze(dInv, 0));
        const lInv = nilpotentInverse(lStrict, eye);
        const wInv = matmul(uInv, matmul(lInv, transpose(p)));
        return apply1x1(y, wInv);
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Multi-scale split with a learned conditional prior

/**
 * The multi-scale split of Glow with its learned prior: x = (x₁, x₂) by channel halves; a zero-
 * initialised 3×3 convolution of x₁ gives (μ, logs) (interleaved channels, as split2d_prior), and
 * the layer maps x₂ to ε = (x₂ − μ)·e^{−logs}, log |det| = −Σ logs, so that ε is standard normal
 * under the model. Its output is (x₁, ε); the model factors ε out. At initialisation μ = 0 and
 * logs = 0: the prior is N(0, I).
 */
export function splitPrior(name: string): Bijection {
  const prior = (fc: FlowContext, x1: Tensor) =>
    scope("prior", () => {
      const c = x1.shape[1]!;
      const w = fc.ps.param("W", [2 * c, c, 3, 3], inits.zeros());
      const b = fc.ps.param("b", [2 * c], inits.zeros());
      const h = conv2d(x1, w, b, { pad: 1 });
      return { mean: slice(h, [0], [2 * c], [1], [2]), logs: slice(h, [1], [2 * c], [1], [2]) };
    });
  return {
    name,
    forward: (fc, x) =>
      scope(name, () => {
        const [x1, x2] = splitParts(x, "halves");
        const { mean, logs } = prior(fc, x1);
        const eps = mul(sub(x2, mean), exp(neg(logs)));
        return { y: concat([x1, eps], 1), logdet: neg(perSample(logs)) };
      }),
    inverse: (fc, y) =>
      scope(name, () => {
        const [y1, eps] = splitParts(y, "halves");
        const { mean, logs } = prior(fc, y1);
        return concat([y1, add(mul(eps, exp(logs)), mean)], 1);
      }),
  };
}

/**
 * Glow's multi-scale architecture: the split prior (`splitPrior`) factors half of the channels out as
 * standard noise ε, and `rest` continues on the other half x₁. The output is flat, [N, D]:
 * rest(x₁) flattened, then ε flattened, so that the prior reads every dimension once. `restOut` is the
 * shape of rest's output per sample ([C′, H′, W′]), which the inverse needs to unflatten it.
 */
export function factorOut(name: string, rest: Bijection, restOut: readonly number[]): Bijection {
  const split = splitPrior("split");
  const flat = (t: Tensor) => reshape(t, [t.shape[0]!, t.size / t.shape[0]!]);
  return {
    name,
    forward: (fc, x) =>
      scope(name, () => {
        const s = split.forward(fc, x);
        const [x1, eps] = splitParts(s.y, "halves");
        const r = rest.forward(fc, x1);
        return { y: concat([flat(r.y), flat(eps)], 1), logdet: add(s.logdet, r.logdet) };
      }),
    inverse: (fc, y) =>
      scope(name, () => {
        const n = y.shape[0]!;
        const kept = restOut.reduce((a, b) => a * b, 1);
        const d = y.shape[1]!;
        const x1 = rest.inverse(fc, reshape(slice(y, [0], [kept], [1]), [n, ...restOut]));
        const eps = reshape(slice(y, [kept], [d], [1]), x1.shape);
        return split.inverse(fc, concat([x1, eps], 1));
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// The exp-rank-1 dense layer (kexue.fm/archives/6407)

/** Σ_{k≥0} a^k/(k+1)! = (e^a − 1)/a, by its Taylor series where |a| < 0.1 (no cancellation, no 0/0). */
function expm1OverX(a: Tensor): Tensor {
  const small = less(abs(a), 0.1);
  let taylor: Tensor = constant([1 / 5040], a.dtype, []);
  for (const c of [1 / 720, 1 / 120, 1 / 24, 1 / 6, 1 / 2, 1]) taylor = add(mul(taylor, a), c);
  const safe = where(small, 1, a); // the branch not taken must stay finite, gradient included
  return where(small, taylor, div(sub(exp(safe), 1), safe));
}

/**
 * y = exp(u vᵀ) x = x + u·(vᵀx)·(e^{a} − 1)/a with a = ⟨u, v⟩: an explicitly invertible dense map on
 * [N, D] vectors (Su, 6407), det = e^{a}, inverse x = y − u·(vᵀy)·(1 − e^{−a})/a. `u`, `v` start at
 * N(0, std²).
 */
export function expRankOne(name: string, std = 0.1): Bijection {
  const uv = (fc: FlowContext, x: Tensor) => {
    const d = x.shape[1]!;
    const u = fc.ps.param("u", [1, d], inits.normal(std));
    const v = fc.ps.param("v", [1, d], inits.normal(std));
    return { u, v, a: reduceSum(mul(u, v)) };
  };
  const apply = (x: Tensor, u: Tensor, v: Tensor, phi: Tensor) =>
    add(x, mul(mul(u, reduceSum(mul(x, v), [1], true)), phi));
  return {
    name,
    forward: (fc, x) =>
      scope(name, () => {
        if (x.rank !== 2) throw new Error(`expRankOne takes [N, D] vectors, got ${x}`);
        const { u, v, a } = uv(fc, x);
        return { y: apply(x, u, v, expm1OverX(a)), logdet: expand(a, [x.shape[0]!]) };
      }),
    inverse: (fc, y) =>
      scope(name, () => {
        const { u, v, a } = uv(fc, y);
        // exp(−u vᵀ): the same map with −a, i.e. x = y − u·(vᵀy)·(1 − e^{−a})/a.
        return apply(y, neg(u), v, expm1OverX(neg(a)));
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Priors

/** A base distribution: log p(z) per sample, and z from standard noise of its kind. */
export interface Prior {
  readonly name: "gaussian" | "logistic";
  /** The noise a sampler is fed: N(0, 1) or U(0, 1). */
  readonly noise: "normal" | "uniform";
  logProb(z: Tensor): Tensor;
  fromNoise(e: Tensor): Tensor;
}

/** N(0, I): log p(z) = −½‖z‖² − (D/2) log 2π. */
export const gaussianPrior: Prior = {
  name: "gaussian",
  noise: "normal",
  logProb: (z) => {
    const d = z.shape.slice(1).reduce((a, b) => a * b, 1);
    return sub(mul(perSample(square(z)), -0.5), 0.5 * d * Math.log(2 * Math.PI));
  },
  fromNoise: (e) => e,
};

/** The standard logistic per dimension (NICE's MNIST prior): log p(z) = −Σ (softplus(z) + softplus(−z)). */
export const logisticPrior: Prior = {
  name: "logistic",
  noise: "uniform",
  logProb: (z) => neg(perSample(add(softplus(z), softplus(neg(z))))),
  // The inverse CDF: z = log u − log(1 − u).
  fromNoise: (u) => sub(log(u), log(sub(1, u))),
};

/** The prior by name. */
export function priorOf(name: "gaussian" | "logistic"): Prior {
  return name === "gaussian" ? gaussianPrior : logisticPrior;
}
