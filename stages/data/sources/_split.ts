/**
 * Deterministic train/test splits for sources without an official one, and record gathering.
 *
 * @module
 */
import { DataError } from "../data_error.ts";
import type { FeatureArray } from "../manifest.ts";
import { mixSeed } from "../random.ts";
import { permutation } from "../shuffle.ts";

const SPLIT_STREAM = 0x5350_4c54; // "SPLT"

/** A split of record indices; each list is in a seeded random order, so shards mix the classes. */
export interface IndexSplit {
  train: Int32Array;
  test: Int32Array;
  /** Recorded in the manifest as the splits' definition. */
  definition: Record<string, unknown>;
}

/** Options of {@linkcode stratifiedSplit}. */
export interface SplitOptions {
  testFraction: number;
  seed: number;
  /** Named in errors. */
  source: string;
}

/**
 * Splits records 0..n-1: walk one seeded permutation of all records; the first round(n_c × testFraction)
 * records of each class c met go to test, the rest to train (without labels, one class). Both lists keep
 * the permutation's order.
 */
export function stratifiedSplit(
  n: number,
  labels: Int32Array | undefined,
  options: SplitOptions,
): IndexSplit {
  const { testFraction, seed } = options;
  let classCount = 1;
  if (labels !== undefined) { for (let i = 0; i < n; i++) classCount = Math.max(classCount, labels[i]! + 1); }
  const perClass = new Array<number>(classCount).fill(0);
  for (let i = 0; i < n; i++) perClass[labels?.[i] ?? 0]!++;
  const quota = perClass.map((c) => Math.round(c * testFraction));
  const testTotal = quota.reduce((a, b) => a + b, 0);
  if (testTotal === 0 || testTotal === n) {
    throw new DataError(
      options.source,
      `Cannot split the ${n} records of ${options.source} with testFraction ${testFraction}: ` +
        `${
          testTotal === 0 ? "test" : "train"
        } would be empty. Choose a testFraction between 0 and 1 that leaves both non-empty`,
    );
  }
  const order = permutation(n, mixSeed(seed, SPLIT_STREAM));
  const train = new Int32Array(n - testTotal);
  const test = new Int32Array(testTotal);
  let a = 0;
  let b = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    const c = labels?.[i] ?? 0;
    if (quota[c]! > 0) {
      quota[c]!--;
      test[b++] = i;
    } else train[a++] = i;
  }
  return {
    train,
    test,
    definition: {
      method: labels === undefined ? "seeded permutation" : "stratified seeded permutation",
      seed,
      testFraction,
      rule: "walk one seeded permutation of all records; the first round(n_class × testFraction) of each " +
        "class go to test, the rest to train; both keep the permutation's order",
    },
  };
}

/** The records `ids` of a record-major column (`size` values per record), in that order. */
export function gatherRecords<T extends FeatureArray>(column: T, size: number, ids: Int32Array): T {
  const out = new (column.constructor as new (n: number) => T)(ids.length * size);
  for (let k = 0; k < ids.length; k++) {
    const s = ids[k]! * size;
    (out as Uint8Array).set((column as Uint8Array).subarray(s, s + size), k * size);
  }
  return out;
}
