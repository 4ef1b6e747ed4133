/**
 * The record order of each epoch: a pure function of (seed, epoch), so that a resumed training run sees
 * exactly the order an uninterrupted one would have seen.
 *
 * Two ways to shuffle, as tf.data offers them:
 * - global (the default): one Fisher–Yates permutation of all records of the split;
 * - windowed: the shard order is permuted, consecutive shards are grouped into windows of `window`
 *   shards, and the records of each window are permuted. Only one window (plus the next, prefetched)
 *   needs to be in memory. Each epoch is still a permutation of all records.
 *
 * @module
 */
import { mixSeed, Rng } from "./random.ts";

/** Stream ids keep the shard-order draws and the record draws of one (seed, epoch) independent. */
const SHARD_ORDER_STREAM = 0x5348_4152; // "SHAR"

/** A uniformly random permutation of 0..n-1 (Fisher–Yates) drawn from `new Rng(seed)`. */
export function permutation(n: number, seed: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const rng = new Rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** The seed of window `index` of `epoch`: the global shuffle is window 0 of a single window. */
export function windowSeed(seed: number, epoch: number, index: number): number {
  return mixSeed(seed, epoch, index);
}

/** The order of the records of a split of `n` records in `epoch` under a global shuffle. */
export function epochPermutation(n: number, seed: number, epoch: number): Int32Array {
  return permutation(n, windowSeed(seed, epoch, 0));
}

/** One shuffle window of an epoch: a run of shards whose records are permuted together. */
export interface ShuffleWindow {
  /** Shard indices (into the split's shard list), in the order their records are concatenated. */
  shards: number[];
  /** Position in the epoch of the window's first record. */
  start: number;
  /** Number of records in the window. */
  count: number;
  /** Seed of the permutation of the window's records. */
  seed: number;
}

/** Options of {@linkcode epochWindows}. */
export interface EpochWindowsOptions {
  seed: number;
  epoch: number;
  /** Shards per window; a value ≥ the number of shards means one global window. */
  window: number;
}

/** Splits an epoch into shuffle windows. With one window the shards keep their manifest order. */
export function epochWindows(shardCounts: readonly number[], options: EpochWindowsOptions): ShuffleWindow[] {
  const { seed, epoch, window } = options;
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(`Cannot shuffle with a window of ${window} shards: use an integer ≥ 1`);
  }
  const n = shardCounts.length;
  const shardOrder = window >= n
    ? Array.from({ length: n }, (_, i) => i)
    : Array.from(permutation(n, mixSeed(seed, epoch, SHARD_ORDER_STREAM)));
  const windows: ShuffleWindow[] = [];
  let start = 0;
  for (let w = 0; w * window < n; w++) {
    const shards = shardOrder.slice(w * window, (w + 1) * window);
    const count = shards.reduce((sum, s) => sum + shardCounts[s]!, 0);
    windows.push({ shards, start, count, seed: windowSeed(seed, epoch, w) });
    start += count;
  }
  return windows;
}
