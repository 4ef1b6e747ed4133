/**
 * Mode coverage of 2-D toy samples (the criterion of MEG's `count_modes_toy.py`, Kumar et al. 2019,
 * and of VEEGAN/PacGAN): each sample is assigned to its nearest mode and is **high quality** when it lies
 * within 3σ of it; a mode is **covered** when it holds at least `minShare` of its uniform share of
 * the samples (at least one sample; MEG's count is minShare → 0); and the **KL of the mode histogram**
 * (every sample counted at its nearest mode, so that a handful of lucky samples cannot make it look
 * balanced) from the uniform one, KL(p̂ ‖ U) = Σ p̂_k log(K p̂_k), is 0 for a perfectly balanced generator
 * and log K for one that puts everything in a single mode.
 *
 * | target | modes | σ | distance |
 * |---|---|---|---|
 * | 8gaussians, 25gaussians | the manifest's centers | the noise per axis | ‖x − c‖ to the nearest center |
 * | ring | `arcs` equal angles of the circle r = 1 | the radial noise | |r − 1| |
 * | swissroll | `arcs` equal ranges of t on the curve (t cos t, t sin t)/7.5, t ∈ [1.5π, 4.5π] (t is uniform) | noise/7.5 per axis | to the nearest point of the curve |
 *
 * What exact samples give (the tests check these): high-quality share 1 − e^{−9/2} = 0.98889 for the
 * Gaussians (‖x − c‖/σ is Rayleigh), 2Φ(3) − 1 = 0.99730 for the ring and (up to the curve's curvature)
 * the swiss roll; every mode covered; and 2N·KL ≈ χ²(K − 1) for N samples (the G-test), so
 * KL ≈ (K − 1)/(2N) ± √(2(K − 1))/(2N) from sampling alone ({@link klSamplingFloor}).
 *
 * @module
 */
import { knownDensity } from "./likelihood_targets.ts";

/** The toy distributions with modes or arcs to count. */
export const TOY_MODE_TARGETS = ["8gaussians", "25gaussians", "ring", "swissroll"] as const;
export type ToyModeTarget = typeof TOY_MODE_TARGETS[number];

/** A target's modes: where each point belongs and how far it is from there. */
export interface ToyModes {
  name: ToyModeTarget;
  /** In words, for the report. */
  describe: string;
  /** Number of modes (or arcs) K. */
  modes: number;
  /** The noise scale a high-quality sample is within 3 of. */
  sigma: number;
  /** The nearest mode of (x, y) and the distance to it. */
  locate(x: number, y: number): { mode: number; distance: number };
  /** [[x0, x1], [y0, y1]] holding the target, for plots. */
  box: [[number, number], [number, number]];
  /** The target's density (unnormalised for the swiss roll), for plots. */
  density(x: number, y: number): number;
}

/** The swiss roll's curve at t (in the data's coordinates). */
const rollPoint = (t: number): [number, number] => [(t * Math.cos(t)) / 7.5, (t * Math.sin(t)) / 7.5];
const ROLL_T0 = 1.5 * Math.PI;
const ROLL_T1 = 4.5 * Math.PI;

/**
 * The modes of a `data.toy-2d` distribution as its manifest records it (`source.distribution`: name,
 * noise and, for the mixtures, centers). `arcs` is K for the ring and the swiss roll.
 */
export function toyModes(
  distribution: { name: string; noise: number; centers?: number[][] },
  options: { arcs?: number } = {},
): ToyModes {
  const arcs = options.arcs ?? 16;
  const { name, noise } = distribution;
  if (name === "8gaussians" || name === "25gaussians") {
    const centers = distribution.centers;
    if (!centers?.length) throw new Error(`toyModes: the ${name} manifest records no centers`);
    const target = knownDensity({ source: { kind: "data.toy-2d", distribution } } as never);
    if (target?.dim !== 2) throw new Error(`toyModes: no density for ${name}`);
    const sigma = noise / (name === "8gaussians" ? 1.414 : 2.828);
    return {
      name,
      describe: `${centers.length} Gaussians of std ${Number(sigma.toPrecision(3))} per axis`,
      modes: centers.length,
      sigma,
      locate(x, y) {
        let best = 0, d2 = Infinity;
        for (let k = 0; k < centers.length; k++) {
          const e = (x - centers[k]![0]!) ** 2 + (y - centers[k]![1]!) ** 2;
          if (e < d2) (d2 = e), (best = k);
        }
        return { mode: best, distance: Math.sqrt(d2) };
      },
      box: target.box,
      density: (x, y) => Math.exp(target.logPdf(x, y)),
    };
  }
  if (name === "ring") {
    const target = knownDensity({ source: { kind: "data.toy-2d", distribution } } as never);
    if (target?.dim !== 2) throw new Error("toyModes: no density for the ring");
    return {
      name,
      describe: `ring of radius 1, radial std ${noise}, in ${arcs} arcs of equal angle`,
      modes: arcs,
      sigma: noise,
      locate(x, y) {
        const angle = Math.atan2(y, x) + Math.PI; // [0, 2π]
        return {
          mode: Math.min(arcs - 1, Math.floor((angle / (2 * Math.PI)) * arcs)),
          distance: Math.abs(Math.hypot(x, y) - 1),
        };
      },
      box: target.box,
      density: (x, y) => Math.exp(target.logPdf(x, y)),
    };
  }
  if (name === "swissroll") {
    // The curve as a polyline fine enough (spacing ≈ 0.003) that its error is far below σ ≈ 0.033.
    const n = 4000;
    const ts = Float64Array.from({ length: n + 1 }, (_, i) => ROLL_T0 + ((ROLL_T1 - ROLL_T0) * i) / n);
    const px = new Float64Array(n + 1), py = new Float64Array(n + 1);
    ts.forEach((t, i) => ([px[i], py[i]] = rollPoint(t)));
    const sigma = noise / 7.5;
    const arcOf = (t: number) => Math.min(arcs - 1, Math.floor(((t - ROLL_T0) / (ROLL_T1 - ROLL_T0)) * arcs));
    const coarse = Float64Array.from({ length: 401 }, (_, i) => ROLL_T0 + ((ROLL_T1 - ROLL_T0) * i) / 400);
    const r = 4.5 * Math.PI / 7.5 + 4 * sigma;
    return {
      name,
      describe: `swiss roll, noise std ${
        Number(sigma.toPrecision(3))
      } per axis, in ${arcs} arcs of equal mass`,
      modes: arcs,
      sigma,
      locate(x, y) {
        let best = 0, d2 = Infinity;
        for (let i = 0; i <= n; i++) {
          const e = (x - px[i]!) ** 2 + (y - py[i]!) ** 2;
          if (e < d2) (d2 = e), (best = i);
        }
        // Refine on the two segments beside the nearest vertex.
        let t = ts[best]!;
        for (const j of [best - 1, best + 1]) {
          if (j < 0 || j > n) continue;
          const ax = px[best]!, ay = py[best]!, bx = px[j]! - ax, by = py[j]! - ay;
          const u = Math.max(0, Math.min(1, ((x - ax) * bx + (y - ay) * by) / (bx * bx + by * by)));
          const e = (x - ax - u * bx) ** 2 + (y - ay - u * by) ** 2;
          if (e < d2) (d2 = e), (t = ts[best]! + u * (ts[j]! - ts[best]!));
        }
        return { mode: arcOf(t), distance: Math.sqrt(d2) };
      },
      box: [[-r, r], [-r, r]],
      // Noise of std σ around a point uniform in t: a Gaussian blur of the curve (unnormalised).
      density(x, y) {
        let s = 0;
        for (const t of coarse) {
          const [cx, cy] = rollPoint(t);
          s += Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma * sigma));
        }
        return s;
      },
    };
  }
  throw new Error(
    `toyModes: '${name}' has no modes to count; use one of ${TOY_MODE_TARGETS.join(", ")}`,
  );
}

/** What the coverage of a set of samples comes to. */
export interface ModeStats {
  samples: number;
  /** Share of the samples within 3σ of their nearest mode. */
  highQuality: number;
  /** High-quality samples per mode. */
  counts: number[];
  /** Samples per mode (nearest mode, whatever the distance): the histogram of the KL. */
  assigned: number[];
  /** Modes holding at least max(1, minShare·samples/K) high-quality samples. */
  covered: number;
  modes: number;
  /** KL(p̂ ‖ U) of the samples' mode histogram, in nats; NaN without a finite sample. */
  kl: number;
}

/** Coverage of `points` (interleaved x, y) of a target; a mode counts with `minShare` of its uniform share. */
export function modeStats(
  points: ArrayLike<number>,
  target: ToyModes,
  options: { minShare?: number } = {},
): ModeStats {
  const n = points.length / 2;
  const k = target.modes;
  const counts = new Array<number>(k).fill(0);
  const assigned = new Array<number>(k).fill(0);
  let good = 0, finite = 0;
  for (let i = 0; i < n; i++) {
    const x = points[2 * i]!, y = points[2 * i + 1]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const { mode, distance } = target.locate(x, y);
    assigned[mode]!++;
    finite++;
    if (distance <= 3 * target.sigma) {
      counts[mode]!++;
      good++;
    }
  }
  const least = Math.max(1, (options.minShare ?? 0.1) * (n / k));
  let kl = 0;
  for (const c of assigned) if (c > 0) kl += (c / finite) * Math.log((k * c) / finite);
  return {
    samples: n,
    highQuality: n === 0 ? NaN : good / n,
    counts,
    assigned,
    covered: counts.filter((c) => c >= least).length,
    modes: k,
    kl: finite === 0 ? NaN : kl,
  };
}

/**
 * KL of a perfectly balanced generator's histogram from sampling alone: 2N·KL ≈ χ²(K − 1), so its mean
 * (K − 1)/(2N) and standard deviation √(2(K − 1))/(2N) for N samples in K modes.
 */
export function klSamplingFloor(samples: number, modes: number): { mean: number; sd: number } {
  const m = samples;
  return { mean: (modes - 1) / (2 * m), sd: Math.sqrt(2 * (modes - 1)) / (2 * m) };
}

/** The target's density on an n × n grid over its box (row j = y ascending), for the scatter's underlay. */
export function densityGrid(target: ToyModes, n: number): number[] {
  const [[x0, x1], [y0, y1]] = target.box;
  const out: number[] = [];
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      out.push(target.density(x0 + ((x1 - x0) * (i + 0.5)) / n, y0 + ((y1 - y0) * (j + 0.5)) / n));
    }
  }
  return out;
}
