import assert from "node:assert/strict";
import { epochPermutation, epochWindows, permutation } from "./shuffle.ts";

function isPermutation(order: ArrayLike<number>, n: number): boolean {
  const seen = new Uint8Array(n);
  for (let i = 0; i < order.length; i++) seen[order[i]!]!++;
  return order.length === n && seen.every((c) => c === 1);
}

Deno.test("epochPermutation() depends only on (seed, epoch) and each epoch is a permutation", () => {
  const a = epochPermutation(1000, 5, 3);
  assert.deepEqual(a, epochPermutation(1000, 5, 3));
  assert.notDeepEqual(a, epochPermutation(1000, 5, 4));
  assert.notDeepEqual(a, epochPermutation(1000, 6, 3));
  for (let epoch = 0; epoch < 5; epoch++) assert.ok(isPermutation(epochPermutation(1000, 5, epoch), 1000));
  // Pinned: the order of every training run depends on it.
  assert.deepEqual([...epochPermutation(10, 0, 0)], [7, 5, 8, 4, 1, 2, 3, 6, 9, 0]);
  assert.deepEqual([...epochPermutation(10, 0, 1)], [9, 6, 1, 7, 2, 8, 0, 4, 3, 5]);
});

Deno.test("permutation() is uniform enough: each value visits each position about equally", () => {
  const n = 5;
  const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const trials = 20_000;
  for (let s = 0; s < trials; s++) {
    const p = permutation(n, s);
    for (let i = 0; i < n; i++) counts[i]![p[i]!]!++;
  }
  for (const row of counts) for (const c of row) assert.ok(Math.abs(c / trials - 1 / n) < 0.015, `${c}`);
});

Deno.test("epochWindows() covers every shard once, in windows of the given size", () => {
  const counts = [4, 4, 4, 4, 3];
  const windows = epochWindows(counts, { seed: 1, epoch: 2, window: 2 });
  assert.deepEqual(windows.map((w) => w.shards.length), [2, 2, 1]);
  assert.deepEqual(windows.flatMap((w) => w.shards).sort(), [0, 1, 2, 3, 4]);
  assert.deepEqual(windows.map((w) => w.start), [
    0,
    windows[0]!.count,
    windows[0]!.count + windows[1]!.count,
  ]);
  assert.equal(windows.reduce((s, w) => s + w.count, 0), 19);
  assert.deepEqual(windows, epochWindows(counts, { seed: 1, epoch: 2, window: 2 }));
  // A window of all shards keeps the manifest order: the global shuffle.
  assert.deepEqual(epochWindows(counts, { seed: 1, epoch: 2, window: 9 })[0]!.shards, [0, 1, 2, 3, 4]);
  assert.throws(() => epochWindows(counts, { seed: 1, epoch: 0, window: 0 }), /window of 0 shards/);
});
