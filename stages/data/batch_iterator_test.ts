import assert from "node:assert/strict";
import { tinyPixel, withTempDir, writeTinyDataset } from "./_test_util.ts";
import type { Batch, BatchOptions } from "./batch_iterator.ts";
import { openShards, type ShardSet } from "./shard_reader.ts";
import { epochPermutation } from "./shuffle.ts";

async function take(data: ShardSet, options: BatchOptions, n: number): Promise<Batch[]> {
  const it = data.batches("train", options);
  const out: Batch[] = [];
  for (let i = 0; i < n; i++) out.push(await it.nextBatch());
  await it.close();
  return out;
}

/** The record indices of each epoch, from consecutive batches. */
function epochsOf(batches: Batch[]): Map<number, number[]> {
  const epochs = new Map<number, number[]>();
  for (const b of batches) {
    const list = epochs.get(b.epoch) ?? [];
    list.push(...b.indices);
    epochs.set(b.epoch, list);
  }
  return epochs;
}

const sorted = (n: number) => Array.from({ length: n }, (_, i) => i);

Deno.test("batches() shuffles each epoch into a permutation that depends only on (seed, epoch)", async () => {
  await withTempDir(async (dir) => {
    await writeTinyDataset(dir, { train: 23, recordsPerShard: 5 });
    const data = await openShards(dir);
    const batches = await take(data, { batchSize: 4, seed: 11, transform: { scale: "levels" } }, 18);
    const epochs = epochsOf(batches);
    // 23 records in batches of 4: 5 full batches and a partial one of 3 per epoch.
    assert.deepEqual(batches.slice(0, 6).map((b) => b.size), [4, 4, 4, 4, 4, 3]);
    assert.deepEqual(batches.slice(0, 7).map((b) => [b.epoch, b.offset]), [
      [0, 0],
      [0, 4],
      [0, 8],
      [0, 12],
      [0, 16],
      [0, 20],
      [1, 0],
    ]);
    for (const e of [0, 1, 2]) {
      assert.deepEqual([...epochs.get(e)!].sort((a, b) => a - b), sorted(23));
      assert.deepEqual(epochs.get(e), [...epochPermutation(23, 11, e)]);
    }
    assert.notDeepEqual(epochs.get(0), epochs.get(1));
    // Values and labels are those of the records named by `indices`.
    for (const b of batches) {
      b.indices.forEach((id, k) => {
        assert.equal((b.y as Int32Array)[k], id % 10);
        assert.deepEqual([...b.x.slice(k * 6, k * 6 + 6)], sorted(6).map((j) => tinyPixel(id, j)));
      });
    }
    // Same seed: same batches; another seed: another order.
    const again = await take(data, { batchSize: 4, seed: 11, transform: { scale: "levels" } }, 18);
    assert.deepEqual(again.map((b) => [...b.indices]), batches.map((b) => [...b.indices]));
    const other = await take(data, { batchSize: 4, seed: 12 }, 6);
    assert.notDeepEqual(epochsOf(other).get(0), epochs.get(0));
  });
});

Deno.test("batches() keeps or drops the last partial batch", async () => {
  await withTempDir(async (dir) => {
    await writeTinyDataset(dir, { train: 10, recordsPerShard: 4 });
    const data = await openShards(dir);
    const kept = await take(data, { batchSize: 4 }, 6);
    assert.deepEqual(kept.map((b) => b.size), [4, 4, 2, 4, 4, 2]);
    assert.deepEqual(kept[2]!.dims, [2, 6]);
    const dropped = await take(data, { batchSize: 4, dropLast: true }, 4);
    assert.deepEqual(dropped.map((b) => [b.epoch, b.size]), [[0, 4], [0, 4], [1, 4], [1, 4]]);
    assert.equal(data.batches("train", { batchSize: 4, dropLast: true }).batchesPerEpoch, 2);
    assert.equal(data.batches("train", { batchSize: 4 }).batchesPerEpoch, 3);
    assert.throws(
      () => data.batches("train", { batchSize: 11, dropLast: true }),
      /exceeds its 10 records and dropLast/,
    );
  });
});

Deno.test("batches() resumes from a saved position exactly as an uninterrupted run, noise included", async (t) => {
  await withTempDir(async (dir) => {
    await writeTinyDataset(dir, { train: 23, recordsPerShard: 5 });
    const data = await openShards(dir);
    const variants: [string, BatchOptions][] = [
      ["global shuffle, dequantized, partial batches", {
        batchSize: 4,
        seed: 3,
        transform: { dequantize: true, scale: "symmetric" },
      }],
      ["windowed shuffle, dynamic binarization, dropLast", {
        batchSize: 3,
        seed: 4,
        shuffleWindow: 2,
        dropLast: true,
        transform: { binarize: "dynamic" },
      }],
    ];
    for (const [name, options] of variants) {
      await t.step(name, async () => {
        const full = await take(data, options, 20);
        for (const cut of [1, 5, 6, 7, 13]) {
          const first = data.batches("train", options);
          for (let i = 0; i < cut; i++) await first.nextBatch();
          const saved = JSON.parse(JSON.stringify(first.position()));
          await first.close();
          const rest = await take(data, { ...options, position: saved }, 20 - cut);
          assert.deepEqual(rest.map((b) => [...b.x]), full.slice(cut).map((b) => [...b.x]), `cut at ${cut}`);
          assert.deepEqual(rest.map((b) => [...b.indices]), full.slice(cut).map((b) => [...b.indices]));
        }
      });
    }
    // A position at the end of an epoch is reported as the start of the next.
    const it = data.batches("train", { batchSize: 5, dropLast: true });
    for (let i = 0; i < 4; i++) await it.nextBatch();
    assert.deepEqual(it.position(), { epoch: 1, offset: 0 });
    await it.close();
    assert.throws(
      () => data.batches("train", { batchSize: 2, position: { epoch: 0, offset: 24 } }),
      /position/,
    );
  });
});

Deno.test("batches() with a shuffle window mixes only the shards of one window at a time", async () => {
  await withTempDir(async (dir) => {
    await writeTinyDataset(dir, { train: 20, recordsPerShard: 4 }); // 5 shards of 4
    const data = await openShards(dir);
    const batches = await take(data, { batchSize: 4, seed: 2, shuffleWindow: 2 }, 15);
    const epochs = epochsOf(batches);
    for (const e of [0, 1, 2]) {
      const order = epochs.get(e)!;
      assert.deepEqual([...order].sort((a, b) => a - b), sorted(20));
      // Windows of 2 shards (8 records), then 1 shard: the first 8 come from two shards only.
      assert.equal(new Set(order.slice(0, 8).map((i) => Math.floor(i / 4))).size, 2);
      assert.equal(new Set(order.slice(16).map((i) => Math.floor(i / 4))).size, 1);
    }
    assert.notDeepEqual(epochs.get(0), epochs.get(1));
  });
});

Deno.test("batches() stops after `epochs`, serves the stored order without shuffle, and prefetches transparently", async () => {
  await withTempDir(async (dir) => {
    await writeTinyDataset(dir, { train: 10, recordsPerShard: 3 });
    const data = await openShards(dir);
    const seen: number[] = [];
    for await (const b of data.batches("train", { batchSize: 4, shuffle: false, epochs: 2 })) {
      seen.push(...b.indices);
    }
    assert.deepEqual(seen, [...sorted(10), ...sorted(10)]);
    const it = data.batches("train", { batchSize: 4, epochs: 1 });
    for (let i = 0; i < 3; i++) await it.nextBatch();
    await assert.rejects(it.nextBatch(), /all 1 epochs were read/);
    // A consumer that awaits other work between batches gets the same batches as one without prefetch.
    const slow: number[][] = [];
    const ahead = data.batches("train", { batchSize: 3, seed: 5, transform: { dequantize: true } });
    for (let i = 0; i < 8; i++) {
      slow.push([...(await ahead.nextBatch()).x]);
      await new Promise((r) => setTimeout(r, 1));
    }
    await ahead.close();
    const plain = await take(data, {
      batchSize: 3,
      seed: 5,
      transform: { dequantize: true },
      prefetch: false,
    }, 8);
    assert.deepEqual(slow, plain.map((b) => [...b.x]));
  });
});
