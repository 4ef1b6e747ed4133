/**
 * A reaction network stated once, for both of its readings: the stochastic simulation (Gillespie's
 * direct method, gillespie.ts) and the chemical master equation (its generator on a truncated state
 * space, used by pipelines/master_equation).
 *
 * A state is the vector of species counts x. Reaction r fires with propensity a_r(x) and changes the
 * state by ν_r = right_r − left_r. Propensity follows the article's code: rate × the count of every
 * species on the left side (mass action for zeroth- and first-order reactions, which is all these
 * models have; a reaction consuming two of one species would need the combinatorial x(x−1)/2).
 * The master equation is dP(x)/dt = Σ_r a_r(x − ν_r) P(x − ν_r) − Σ_r a_r(x) P(x).
 *
 * @module
 */
import type { Rng } from "../../stages/data/random.ts";

/** A reaction: a rate and the stoichiometry of its two sides, one count per species. */
export interface Reaction {
  name: string;
  rate: number;
  /** Count of each species consumed. */
  left: readonly number[];
  /** Count of each species produced. */
  right: readonly number[];
}

/** Species names and reactions. */
export interface Network {
  species: readonly string[];
  reactions: readonly Reaction[];
}

/** a_r(x): rate × the count of each species on the left side. */
export function propensity(reaction: Reaction, x: ArrayLike<number>): number {
  let a = reaction.rate;
  for (let s = 0; s < reaction.left.length; s++) if (reaction.left[s]! > 0) a *= x[s]!;
  return a;
}

/** Fills `out` with every reaction's propensity at `x` and returns their sum. */
export function propensities(
  reactions: readonly Reaction[],
  x: ArrayLike<number>,
  out: Float64Array,
): number {
  let total = 0;
  for (let r = 0; r < reactions.length; r++) total += out[r] = propensity(reactions[r]!, x);
  return total;
}

/** The waiting time to the next reaction: Exp(total). */
export function waitingTime(total: number, rng: Rng): number {
  return -Math.log(1 - rng.float()) / total;
}

/** Which reaction fires: index r with probability a_r / total (one uniform draw). */
export function pickReaction(a: Float64Array, count: number, total: number, rng: Rng): number {
  let pick = rng.float() * total;
  let r = 0;
  while (r < count - 1 && pick >= a[r]!) pick -= a[r++]!;
  return r;
}

/** x ← x + ν_r. */
export function fire(reaction: Reaction, x: number[] | Int32Array): void {
  for (let s = 0; s < x.length; s++) x[s]! += reaction.right[s]! - reaction.left[s]!;
}

/** States at given times of one trajectory from `start`, by the direct method. */
export function statesAt(
  network: Network,
  start: readonly number[],
  times: readonly number[],
  rng: Rng,
): Int32Array[] {
  const x = Int32Array.from(start);
  const a = new Float64Array(network.reactions.length);
  const out: Int32Array[] = [];
  let t = 0;
  let next = 0;
  while (next < times.length) {
    const total = propensities(network.reactions, x, a);
    const tau = total > 0 ? waitingTime(total, rng) : Infinity;
    // The state x holds on [t, t + tau): record it at every sampling time inside.
    while (next < times.length && times[next]! < t + tau) out[next++] = x.slice();
    if (next === times.length) break;
    t += tau;
    fire(network.reactions[pickReaction(a, network.reactions.length, total, rng)]!, x);
  }
  return out;
}

/** A truncated state space: counts 0..max[s] per species, states numbered x_0 + (max_0 + 1)(x_1 + …). */
export interface Box {
  max: readonly number[];
}

/** Number of states in the box. */
export function boxSize(box: Box): number {
  return box.max.reduce((n, m) => n * (m + 1), 1);
}

/** The counts of state `index`. */
export function stateOf(box: Box, index: number): number[] {
  const x: number[] = [];
  for (const m of box.max) {
    x.push(index % (m + 1));
    index = Math.floor(index / (m + 1));
  }
  return x;
}

/** The index of counts `x`, or −1 outside the box. */
export function indexOf(box: Box, x: readonly number[]): number {
  let index = 0, stride = 1;
  for (let s = 0; s < box.max.length; s++) {
    if (x[s]! < 0 || x[s]! > box.max[s]!) return -1;
    index += x[s]! * stride;
    stride *= box.max[s]! + 1;
  }
  return index;
}

/**
 * The master equation's generator on the box, column by column: from state j, rate to each state i
 * inside the box, and the total rate out of the box (`leak`), which a finite-state projection sends to
 * an absorbing sink so that its mass bounds the truncation error (Munsky & Khammash 2006). With
 * `reflecting`, transitions out of the box are dropped instead (for stationary distributions).
 */
export interface Generator {
  size: number;
  /** Transitions j → to[k] at rate[k] for k in start[j]..start[j + 1]. */
  start: Int32Array;
  to: Int32Array;
  rate: Float64Array;
  /** Total exit rate of each state (into the box and out of it). */
  exit: Float64Array;
  /** Rate from each state out of the box. */
  leak: Float64Array;
}

export function generator(network: Network, box: Box, options: { reflecting?: boolean } = {}): Generator {
  const size = boxSize(box);
  const to: number[] = [], rate: number[] = [];
  const start = new Int32Array(size + 1);
  const exit = new Float64Array(size), leak = new Float64Array(size);
  for (let j = 0; j < size; j++) {
    start[j] = to.length;
    const x = stateOf(box, j);
    for (const reaction of network.reactions) {
      const a = propensity(reaction, x);
      if (a === 0) continue;
      const y = x.map((v, s) => v + reaction.right[s]! - reaction.left[s]!);
      const i = indexOf(box, y);
      if (i >= 0) {
        to.push(i);
        rate.push(a);
        exit[j]! += a;
      } else if (!options.reflecting) {
        leak[j]! += a;
        exit[j]! += a;
      }
    }
  }
  start[size] = to.length;
  return { size, start, to: Int32Array.from(to), rate: Float64Array.from(rate), exit, leak };
}
