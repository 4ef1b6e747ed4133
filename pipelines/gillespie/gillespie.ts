/**
 * Gillespie's direct method, as in the article's code: the waiting time is exponential with the
 * total propensity, and the reaction is picked in proportion to its propensity. Propensity follows the
 * article's rule, rate × the count of every species on the left side (mass action for first-order
 * reactions, which is all this model has).
 *
 * Statistics are accumulated on the fly, both ways the article's histogram could be read:
 * time-weighted (each state weighted by how long it lasted: the stationary distribution) and
 * event-weighted (each state after a jump counted once, as `nums[2000:]` in the article's code).
 *
 * @module
 */
import type { Rng } from "../../stages/data/random.ts";
import { fire, pickReaction, propensities, type Reaction, waitingTime } from "./network.ts";

export interface Occupation {
  /** Time spent with n proteins, index n. */
  proteinTime: number[];
  /** Time spent with m mRNAs, index m. */
  mrnaTime: number[];
  /** Number of jumps landing on n proteins, index n. */
  proteinEvents: number[];
  totalTime: number;
  events: number;
}

export interface SamplePoint {
  t: number;
  m: number;
  n: number;
}

export interface SimulateOptions {
  /** Start state [m, n]. */
  start: [number, number];
  /** Simulated time discarded before statistics start. */
  burnIn?: number;
  /** Stop after this much simulated time of statistics… */
  duration?: number;
  /** …or after this many jumps (counted from the start, as in the article). */
  maxEvents?: number;
  /** Jumps discarded before event-weighted statistics start (the article drops 2000). */
  skipEvents?: number;
  /** Record the path (t, m, n) up to this simulated time (for plots). */
  recordUntil?: number;
}

const add = (hist: number[], index: number, amount: number) => {
  while (hist.length <= index) hist.push(0);
  hist[index]! += amount;
};

/** Simulates one trajectory of the two-species model (mRNA m, protein n). */
export function simulate(
  network: readonly Reaction[],
  rng: Rng,
  options: SimulateOptions,
): { occupation: Occupation; path: SamplePoint[] } {
  const x = [...options.start];
  const burnIn = options.burnIn ?? 0;
  const end = burnIn + (options.duration ?? Infinity);
  const maxEvents = options.maxEvents ?? Infinity;
  const skip = options.skipEvents ?? 0;
  if (!Number.isFinite(end) && !Number.isFinite(maxEvents)) {
    throw new Error("Cannot simulate forever: give duration or maxEvents");
  }
  const occupation: Occupation = {
    proteinTime: [],
    mrnaTime: [],
    proteinEvents: [],
    totalTime: 0,
    events: 0,
  };
  const path: SamplePoint[] = [{ t: 0, m: x[0]!, n: x[1]! }];
  const propensity = new Float64Array(network.length);
  let t = 0;
  for (let event = 0; event < maxEvents; event++) {
    const [m, n] = x as [number, number];
    const total = propensities(network, x, propensity);
    if (total === 0) break; // absorbing state
    const tau = waitingTime(total, rng);
    // The state (m, n) holds from t to t + tau; count the part of that interval inside the window.
    const from = Math.max(t, burnIn);
    const to = Math.min(t + tau, end);
    if (to > from) {
      add(occupation.proteinTime, n, to - from);
      add(occupation.mrnaTime, m, to - from);
      occupation.totalTime += to - from;
    }
    t += tau;
    if (t >= end) break;
    fire(network[pickReaction(propensity, network.length, total, rng)]!, x);
    if (event >= skip && t >= burnIn) {
      add(occupation.proteinEvents, x[1]!, 1);
      occupation.events++;
    }
    if (options.recordUntil !== undefined && t <= options.recordUntil) path.push({ t, m: x[0]!, n: x[1]! });
  }
  return { occupation, path };
}

/** Mean and variance of a distribution given as weights per index. */
export function weightedMoments(
  weights: readonly number[],
): { mean: number; variance: number; total: number } {
  let total = 0;
  let sum = 0;
  for (let i = 0; i < weights.length; i++) (total += weights[i]!, sum += i * weights[i]!);
  const mean = sum / total;
  let sq = 0;
  for (let i = 0; i < weights.length; i++) sq += (i - mean) ** 2 * weights[i]!;
  return { mean, variance: sq / total, total };
}
