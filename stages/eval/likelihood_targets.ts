/**
 * Targets whose density is known, read from a shard set's manifest (`source.distribution`), and the
 * quadrature that turns a model's log-density at nodes into exact divergences: the target's entropy
 * H(p) = −∫ p log p, the cross-entropy ∫ p (−log q) (the NLL a infinite test set would give) and
 * KL(p ‖ q) = ∫ p (log p − log q), free of sampling noise.
 *
 * | source | density |
 * |---|---|
 * | `data.synthetic-1d`, gaussian | Σ_k w_k N(x; loc_k, scale_k²) |
 * | `data.synthetic-1d`, student-t | Σ_k w_k t_ν((x − loc_k)/scale_k)/scale_k |
 * | `data.toy-2d`, 8gaussians / 25gaussians | equal-weight isotropic Gaussians at the manifest's centers |
 * | `data.toy-2d`, ring | N(r; 1, σ²)/(2πr) at radius r |
 * | `data.toy-2d`, checkerboard | 1/32 on its squares |
 * | `data.toy-2d`, 2spirals | ½[q(x) + q(−x)], q(x) = ∫ (2t/(3π)²)·Π_d 6[Φ((x_d − c_d(t)/3)/σ) − Φ((x_d − c_d(t)/3 − ⅙)/σ)] dt by Simpson in t |
 *
 * One dimension: composite Simpson on the model's support when it has one, otherwise on t ∈ (−1, 1)
 * through x = c + s·t/(1 − t²), which reaches the polynomial tails of a Student-t. Two dimensions: the
 * trapezoid rule on a grid over the target's box. Every result comes with an error estimate: the
 * difference to the same rule on every other node.
 *
 * @module
 */
import type { Manifest } from "../data/manifest.ts";
import { logGamma, normalCdf } from "../../numerics/special_functions.ts";

/** A 1-D target. */
export interface KnownDensity1d {
  dim: 1;
  /** What it is, in words. */
  describe: string;
  logPdf(x: number): number;
  /** Where its mass is: center and a length scale (for the quadrature map and plots). */
  center: number;
  scale: number;
  /** A range holding all but a negligible share of the mass, for plots and mode counts. */
  range: [number, number];
}

/** A 2-D target. */
export interface KnownDensity2d {
  dim: 2;
  describe: string;
  logPdf(x: number, y: number): number;
  /** [[x0, x1], [y0, y1]] holding all but a negligible share of the mass. */
  box: [[number, number], [number, number]];
}

export type KnownDensity = KnownDensity1d | KnownDensity2d;

/** log Σ exp(terms). */
export function logSumExp(terms: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < terms.length; i++) max = Math.max(max, terms[i]!);
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < terms.length; i++) sum += Math.exp(terms[i]! - max);
  return max + Math.log(sum);
}

/** A 1-D mixture as the synthetic-1d manifest records it. */
export interface Mixture1dSpec {
  family: "gaussian" | "student-t";
  weights: number[];
  locs: number[];
  scales: number[];
  dof?: number;
}

/** The log-density of a 1-D Gaussian or Student-t mixture. */
export function mixtureLogPdf(m: Mixture1dSpec): (x: number) => number {
  const k = m.locs.length;
  const nu = m.dof ?? 3;
  const tConst = logGamma((nu + 1) / 2) - logGamma(nu / 2) - 0.5 * Math.log(nu * Math.PI);
  const base = m.locs.map((_, i) =>
    Math.log(m.weights[i]!) - Math.log(m.scales[i]!) +
    (m.family === "gaussian" ? -0.5 * Math.log(2 * Math.PI) : tConst)
  );
  const terms = new Float64Array(k);
  return (x) => {
    for (let i = 0; i < k; i++) {
      const z = (x - m.locs[i]!) / m.scales[i]!;
      terms[i] = base[i]! +
        (m.family === "gaussian" ? -0.5 * z * z : -0.5 * (nu + 1) * Math.log1p((z * z) / nu));
    }
    return logSumExp(terms);
  };
}

/** The known density of the data a manifest describes, or null when it has none in closed form. */
export function knownDensity(manifest: Pick<Manifest, "source">): KnownDensity | null {
  const source = manifest.source as { kind: string; distribution?: Record<string, unknown> };
  const d = source.distribution;
  if (!d) return null;
  if (source.kind === "data.synthetic-1d") {
    const m = d as unknown as Mixture1dSpec;
    const lo = Math.min(...m.locs), hi = Math.max(...m.locs);
    const smax = Math.max(...m.scales);
    const center = (lo + hi) / 2;
    const tails = m.family === "gaussian" ? 10 * smax : 30 * smax;
    return {
      dim: 1,
      describe: `mixture of ${m.locs.length} ${
        m.family === "gaussian" ? "Gaussians" : `Student-t (ν = ${m.dof})`
      }`,
      logPdf: mixtureLogPdf(m),
      center,
      scale: Math.max((hi - lo) / 2, 4 * smax),
      range: m.family === "gaussian" ? [lo - 6 * smax, hi + 6 * smax] : [lo - tails / 3, hi + tails / 3],
    };
  }
  if (source.kind === "data.toy-2d") {
    const name = d.name as string;
    const noise = d.noise as number;
    if (name === "8gaussians" || name === "25gaussians") {
      const centers = d.centers as number[][];
      const sd = noise / (name === "8gaussians" ? 1.414 : 2.828);
      const logNorm = -Math.log(2 * Math.PI * sd * sd) - Math.log(centers.length);
      const terms = new Float64Array(centers.length);
      const xs = centers.map((c) => c[0]!), ys = centers.map((c) => c[1]!);
      const pad = 8 * sd;
      return {
        dim: 2,
        describe: `${centers.length} Gaussians of std ${Number(sd.toPrecision(3))}`,
        logPdf: (x, y) => {
          for (let i = 0; i < centers.length; i++) {
            terms[i] = logNorm - ((x - xs[i]!) ** 2 + (y - ys[i]!) ** 2) / (2 * sd * sd);
          }
          return logSumExp(terms);
        },
        box: [[Math.min(...xs) - pad, Math.max(...xs) + pad], [Math.min(...ys) - pad, Math.max(...ys) + pad]],
      };
    }
    if (name === "ring") {
      const r0 = 1 + 8 * noise;
      return {
        dim: 2,
        describe: `ring of radius 1, radial std ${noise}`,
        logPdf: (x, y) => {
          const r = Math.hypot(x, y);
          if (r === 0) return -Infinity; // the mass near r = 0 is Φ(−1/σ): nothing
          return -0.5 * ((r - 1) / noise) ** 2 - 0.5 * Math.log(2 * Math.PI * noise * noise) -
            Math.log(2 * Math.PI * r);
        },
        box: [[-r0, r0], [-r0, r0]],
      };
    }
    if (name === "2spirals" && noise > 0) return twoSpirals(noise);
    if (name === "checkerboard") {
      return {
        dim: 2,
        describe: "checkerboard: uniform on 8 of the 2×2 squares of [−4, 4] × [−4, 4]",
        logPdf: (x, y) => {
          const x1 = x / 2, x2 = y / 2;
          if (x1 < -2 || x1 >= 2) return -Infinity;
          const m = ((Math.floor(x1) % 2) + 2) % 2;
          const inside = (x2 >= m && x2 < m + 1) || (x2 >= m - 2 && x2 < m - 1);
          return inside ? -Math.log(32) : -Infinity;
        },
        box: [[-4, 4], [-4, 4]],
      };
    }
  }
  return null;
}

/**
 * FFJORD's two spirals as data.toy-2d draws them: x = ±(c(t) + u)/3 + σε, c(t) = (−t cos t, t sin t),
 * t = 3π√U (density 2t/(3π)² on [0, 3π]), u ~ U(0, ½)², ε ~ N(0, I). Given t, each coordinate is a
 * uniform of width ⅙ convolved with N(0, σ²); the integral over t is composite Simpson on `nodes`
 * intervals (the curve moves ≤ π/3 per unit of t, so 4,096 intervals resolve σ = 0.1 to ~1e-6), skipping
 * nodes whose box lies beyond 9σ; each coordinate's factors are cached per value, which a grid repeats.
 */
function twoSpirals(sigma: number, nodes = 4096): KnownDensity2d {
  const top = 3 * Math.PI;
  const h = top / nodes;
  const cx = new Float64Array(nodes + 1), cy = new Float64Array(nodes + 1), w = new Float64Array(nodes + 1);
  for (let j = 0; j <= nodes; j++) {
    const t = j * h;
    cx[j] = (-Math.cos(t) * t) / 3;
    cy[j] = (Math.sin(t) * t) / 3;
    w[j] = ((h / 3) * (j === 0 || j === nodes ? 1 : j % 2 ? 4 : 2) * 2 * t) / (top * top);
  }
  const reach = 9 * sigma + 1 / 6;
  /** 6[Φ((v − c_j)/σ) − Φ((v − c_j − ⅙)/σ)] for every node j: one coordinate's factor, cached per value (a grid repeats them). */
  const factors = (centers: Float64Array, cache: Map<number, Float64Array>, v: number) => {
    const hit = cache.get(v);
    if (hit) return hit;
    const out = new Float64Array(nodes + 1);
    for (let j = 0; j <= nodes; j++) {
      const d = v - centers[j]!;
      if (Math.abs(d - 1 / 12) <= reach) {
        out[j] = 6 * (normalCdf(d / sigma) - normalCdf((d - 1 / 6) / sigma));
      }
    }
    if (cache.size >= 4096) cache.clear(); // bounded: points off a grid do not accumulate
    cache.set(v, out);
    return out;
  };
  const xs = new Map<number, Float64Array>(), ys = new Map<number, Float64Array>();
  const q = (x: number, y: number) => {
    const fx = factors(cx, xs, x), fy = factors(cy, ys, y);
    let sum = 0;
    for (let j = 0; j <= nodes; j++) sum += w[j]! * fx[j]! * fy[j]!;
    return sum;
  };
  const r = (top + Math.SQRT1_2) / 3 + 8 * sigma;
  return {
    dim: 2,
    describe: `two spirals (FFJORD), noise std ${sigma}`,
    logPdf: (x, y) => Math.log(0.5 * (q(x, y) + q(-x, -y))),
    box: [[-r, r], [-r, r]],
  };
}

/** Nodes and weights of a 1-D rule, plus the weights of the same rule on every other node (error estimate). */
export interface Quadrature1d {
  x: Float64Array;
  w: Float64Array;
  wHalf: Float64Array;
}

/** Composite Simpson weights for `n` (even) intervals of width h on n + 1 nodes; `stride` 2 uses every other node. */
function simpson(n: number, h: number, stride: 1 | 2): Float64Array {
  const w = new Float64Array(n + 1);
  const m = n / stride;
  const hs = h * stride;
  for (let j = 0; j <= m; j++) w[j * stride] = (hs / 3) * (j === 0 || j === m ? 1 : j % 2 ? 4 : 2);
  return w;
}

/**
 * Quadrature nodes for a 1-D target: Simpson on `support` when the model has one, otherwise on
 * t ∈ (−1, 1) mapped by x = center + scale·t/(1 − t²). `intervals` must be a multiple of 4.
 */
export function quadrature1d(
  target: Pick<KnownDensity1d, "center" | "scale">,
  options: { support?: [number, number]; intervals?: number } = {},
): Quadrature1d {
  const n = options.intervals ?? 1 << 14;
  if (n % 4 !== 0) throw new RangeError(`quadrature1d: intervals (${n}) must be a multiple of 4`);
  if (options.support) {
    const [lo, hi] = options.support;
    const h = (hi - lo) / n;
    return {
      x: Float64Array.from({ length: n + 1 }, (_, i) => lo + i * h),
      w: simpson(n, h, 1),
      wHalf: simpson(n, h, 2),
    };
  }
  // The ends t = ±1 are x = ±∞, where the integrand vanishes: keep their weight at zero.
  const h = 2 / n;
  const ws = simpson(n, h, 1), wh = simpson(n, h, 2);
  const x = new Float64Array(n - 1), w = new Float64Array(n - 1), wHalf = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) {
    const t = -1 + i * h;
    const jac = (target.scale * (1 + t * t)) / (1 - t * t) ** 2;
    x[i - 1] = target.center + (target.scale * t) / (1 - t * t);
    w[i - 1] = ws[i]! * jac;
    wHalf[i - 1] = wh[i]! * jac;
  }
  return { x, w, wHalf };
}

/** Entropy, cross-entropy and KL from log p and log q at the nodes of a rule, each with its error estimate. */
export interface Divergences {
  /** H(p) = −∫ p log p, nats. */
  entropy: number;
  /** ∫ p (−log q): the NLL of an infinite sample, H(p) + KL. */
  crossEntropy: number;
  /** KL(p ‖ q) = ∫ p (log p − log q). */
  kl: number;
  /** ∫ p over the nodes: 1 up to the mass outside them and the rule's error. */
  mass: number;
  /** |value − value on every other node| of the KL, the quadrature's error estimate. */
  klError: number;
  entropyError: number;
}

/** Divergences from log-densities at the nodes of `rule` (2-D rules pass flattened nodes). */
export function divergences(
  rule: { w: ArrayLike<number>; wHalf: ArrayLike<number> },
  logp: ArrayLike<number>,
  logq: ArrayLike<number>,
): Divergences {
  const sums = (w: ArrayLike<number>) => {
    let h = 0, ce = 0, kl = 0, mass = 0;
    for (let i = 0; i < logp.length; i++) {
      const wi = w[i]!;
      if (wi === 0 || logp[i] === -Infinity) continue;
      const p = Math.exp(logp[i]!);
      if (p === 0) continue;
      mass += wi * p;
      h -= wi * p * logp[i]!;
      ce -= wi * p * logq[i]!;
      kl += wi * p * (logp[i]! - logq[i]!);
    }
    return { h, ce, kl, mass };
  };
  const full = sums(rule.w), half = sums(rule.wHalf);
  return {
    entropy: full.h,
    crossEntropy: full.ce,
    kl: full.kl,
    mass: full.mass,
    klError: Math.abs(full.kl - half.kl),
    entropyError: Math.abs(full.h - half.h),
  };
}

/** A 2-D trapezoid rule on an n × n grid over `box` (n odd, so that every other node is a rule too). */
export function quadrature2d(box: KnownDensity2d["box"], n = 401): {
  x: Float64Array;
  y: Float64Array;
  w: Float64Array;
  wHalf: Float64Array;
  n: number;
} {
  if (n % 2 === 0) throw new RangeError(`quadrature2d: n (${n}) must be odd`);
  const [[x0, x1], [y0, y1]] = box;
  const hx = (x1 - x0) / (n - 1), hy = (y1 - y0) / (n - 1);
  const trap = (i: number, m: number) => (i === 0 || i === m ? 0.5 : 1);
  const size = n * n;
  const x = new Float64Array(size), y = new Float64Array(size);
  const w = new Float64Array(size), wHalf = new Float64Array(size);
  const m = (n - 1) / 2;
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const k = j * n + i;
      x[k] = x0 + i * hx;
      y[k] = y0 + j * hy;
      w[k] = trap(i, n - 1) * trap(j, n - 1) * hx * hy;
      if (i % 2 === 0 && j % 2 === 0) wHalf[k] = trap(i / 2, m) * trap(j / 2, m) * 4 * hx * hy;
    }
  }
  return { x, y, w, wHalf, n };
}

/**
 * Local maxima of a density tabulated on a uniform grid whose topographic prominence (the rise above
 * the higher of the lowest points between it and any higher ground on either side) is at least
 * `prominence` times the global maximum: its modes, ignoring ripples and shallow shoulders.
 */
export function countModes(values: ArrayLike<number>, prominence = 0.02): number {
  const n = values.length;
  let top = 0;
  for (let i = 0; i < n; i++) top = Math.max(top, values[i]!);
  let modes = 0;
  for (let i = 1; i < n - 1; i++) {
    const v = values[i]!;
    if (!(v > values[i - 1]! && v >= values[i + 1]!)) continue;
    let left = v, right = v;
    for (let j = i - 1; j >= 0 && values[j]! <= v; j--) left = Math.min(left, values[j]!);
    for (let j = i + 1; j < n && values[j]! <= v; j++) right = Math.min(right, values[j]!);
    if (v - Math.max(left, right) >= prominence * top) modes++;
  }
  return modes;
}
