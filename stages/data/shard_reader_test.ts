import assert from "node:assert/strict";
import { tinyPixel, withTempDir, writeTinyDataset } from "./_test_util.ts";
import { DataError } from "./data_error.ts";
import { openShards } from "./shard_reader.ts";

Deno.test("ShardSet.readAll() returns a split in stored order, transformed, with labels in any format", async () => {
  await withTempDir(async (dir) => {
    await writeTinyDataset(dir, { train: 11, test: 3, recordsPerShard: 4 });
    const data = await openShards(dir);
    assert.deepEqual(data.splits, ["train", "test"]);
    assert.equal(data.count("train"), 11);
    const raw = await data.readAll("test", { transform: { dtype: "uint8" } });
    assert.ok(raw.x instanceof Uint8Array);
    assert.deepEqual(raw.dims, [3, 6]);
    assert.deepEqual([...raw.x.slice(6, 12)], [0, 1, 2, 3, 4, 5].map((j) => tinyPixel(1, j)));
    const byDefault = await data.readAll("test");
    assert.ok(byDefault.x instanceof Float32Array);
    assert.equal(byDefault.x[7], Math.fround(tinyPixel(1, 1) / 255));
    const unit = await data.readAll("train", { transform: { scale: "unit", layout: "nchw" } });
    assert.deepEqual(unit.dims, [11, 1, 2, 3]);
    assert.equal(unit.x[6 * 10 + 5], Math.fround(tinyPixel(10, 5) / 255));
    assert.deepEqual(unit.yDims, [11]);
    const int64 = await data.readAll("test", { labels: "int64" });
    assert.deepEqual([...int64.y!], [0n, 1n, 2n]);
    const onehot = await data.readAll("test", { labels: "onehot" });
    assert.deepEqual(onehot.yDims, [3, 10]);
    assert.deepEqual([...onehot.y!.slice(10, 20)], [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal((await data.readAll("test", { labels: "none" })).y, undefined);
    // The caller owns the arrays: changing them does not change the next read.
    unit.x.fill(7);
    assert.equal((await data.readAll("train", { transform: { scale: "unit" } })).x[0], 0);
    assert.throws(() => data.split("valid"), /Cannot find split 'valid' .* it has 'train', 'test'/);
  });
});

Deno.test("ShardSet.shards() streams the shards of a split in order", async () => {
  await withTempDir(async (dir) => {
    await writeTinyDataset(dir, { train: 10, recordsPerShard: 4 });
    const data = await openShards(dir);
    const seen: number[] = [];
    for await (const shard of data.shards("train")) {
      seen.push(shard.index, shard.columns.label!.length);
    }
    assert.deepEqual(seen, [0, 4, 1, 4, 2, 2]);
  });
});

Deno.test("openShards() rejects a shard whose size or digest does not match the manifest", async (t) => {
  await t.step("flipped byte: sha256 mismatch, found when the shard is read", async () => {
    await withTempDir(async (dir) => {
      await writeTinyDataset(dir, { train: 10, recordsPerShard: 4 });
      const file = `${dir}/train-00001-of-00003.arrow`;
      const bytes = await Deno.readFile(file);
      bytes[bytes.length - 200] = bytes[bytes.length - 200]! ^ 0xff;
      await Deno.writeFile(file, bytes);
      const data = await openShards(dir);
      await assert.rejects(data.readAll("train"), (e) => {
        assert.ok(e instanceof DataError);
        assert.equal(e.file, file);
        assert.match(
          e.message,
          /Cannot read shard .*train-00001-of-00003.arrow: its sha256 is [0-9a-f]{64} but the manifest says/,
        );
        assert.match(e.message, /rerun the data stage/);
        return true;
      });
      await assert.rejects(data.verify(), /sha256/);
      await assert.rejects(data.batches("train", { batchSize: 2 }).next(), /sha256/);
    });
  });
  await t.step("truncated shard: size mismatch, found at open", async () => {
    await withTempDir(async (dir) => {
      await writeTinyDataset(dir, { train: 10, recordsPerShard: 4 });
      const file = `${dir}/train-00002-of-00003.arrow`;
      await Deno.truncate(file, 100);
      await assert.rejects(
        openShards(dir),
        /shard train-00002-of-00003.arrow is 100 bytes but its manifest says \d+/,
      );
    });
  });
  await t.step("missing shard", async () => {
    await withTempDir(async (dir) => {
      await writeTinyDataset(dir, { train: 10, recordsPerShard: 4 });
      await Deno.remove(`${dir}/train-00000-of-00003.arrow`);
      await assert.rejects(
        openShards(dir),
        /shard train-00000-of-00003.arrow listed in its manifest is missing/,
      );
    });
  });
});
