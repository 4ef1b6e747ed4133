import assert from "node:assert/strict";
import { readFolder, tinyPixel, withTempDir, writeTinyDataset } from "./_test_util.ts";
import { DataError } from "./data_error.ts";
import { readManifest } from "./manifest.ts";
import { openShards } from "./shard_reader.ts";
import { type DatasetToWrite, shardFileName, writeShards } from "./shard_writer.ts";

Deno.test("writeShards() writes TFRecord-style shards of at most N records and a manifest", async () => {
  await withTempDir(async (dir) => {
    const manifest = await writeTinyDataset(dir, { train: 10, test: 3, recordsPerShard: 4 });
    const files = [...(await readFolder(dir)).keys()];
    assert.deepEqual(files, [
      "manifest.json",
      "test-00000-of-00001.arrow",
      "train-00000-of-00003.arrow",
      "train-00001-of-00003.arrow",
      "train-00002-of-00003.arrow",
    ]);
    assert.deepEqual(manifest.splits.train!.shards.map((s) => s.count), [4, 4, 2]);
    assert.deepEqual(manifest.splits.train!.labelCounts, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    assert.deepEqual(await readManifest(dir), manifest);
    assert.equal(manifest.format, "arrow-shards/1");
    assert.deepEqual(manifest.params, { train: 10 });
    const data = await openShards(dir);
    const all = await data.readAll("train", { transform: { dtype: "uint8" } });
    assert.deepEqual([...all.x.slice(6 * 9, 6 * 10)], [0, 1, 2, 3, 4, 5].map((j) => tinyPixel(9, j)));
    assert.deepEqual([...all.y!], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
  assert.equal(shardFileName("train", 12, 345), "train-00012-of-00345.arrow");
});

Deno.test("writeShards() output is byte-identical across runs", async () => {
  await withTempDir(async (dir) => {
    await writeTinyDataset(`${dir}/a`, { train: 9, test: 2, recordsPerShard: 4 });
    await writeTinyDataset(`${dir}/b`, { train: 9, test: 2, recordsPerShard: 4 });
    assert.deepEqual(await readFolder(`${dir}/a`), await readFolder(`${dir}/b`));
  });
});

function dataset(overrides: Partial<DatasetToWrite> = {}): DatasetToWrite {
  return {
    name: "t",
    description: "",
    source: { kind: "test", origin: "test" },
    license: "CC0-1.0",
    params: {},
    features: {
      x: { dtype: "float32", shape: [2], description: "" },
      label: { dtype: "int32", shape: [], description: "", classes: ["a", "b"] },
    },
    input: "x",
    target: "label",
    splits: {
      train: {
        count: 2,
        columns: { x: Float32Array.from([1, 2, 3, 4]), label: Int32Array.from([0, 1]) },
        definition: {},
      },
    },
    ...overrides,
  };
}

Deno.test("writeShards() rejects data that does not match its declaration and writes nothing", async (t) => {
  const cases: [string, Partial<DatasetToWrite>, RegExp][] = [
    ["short column", {
      splits: {
        train: { count: 2, columns: { x: new Float32Array(3), label: new Int32Array(2) }, definition: {} },
      },
    }, /feature 'x' has 3 values; 2 records × 2 = 4 expected/],
    ["wrong type", {
      splits: {
        train: { count: 2, columns: { x: new Uint8Array(4), label: new Int32Array(2) }, definition: {} },
      },
    }, /feature 'x' is a Uint8Array, declared float32/],
    ["missing column", {
      splits: { train: { count: 2, columns: { x: new Float32Array(4) }, definition: {} } },
    }, /lacks feature 'label'/],
    ["label out of range", {
      splits: {
        train: {
          count: 2,
          columns: { x: new Float32Array(4), label: Int32Array.from([0, 2]) },
          definition: {},
        },
      },
    }, /record 1 has label 2, outside 0..1/],
    ["NaN", {
      splits: {
        train: {
          count: 2,
          columns: { x: Float32Array.from([0, NaN, 0, 0]), label: new Int32Array(2) },
          definition: {},
        },
      },
    }, /value 1 is NaN/],
    ["unknown input", { input: "y" }, /input 'y' is not a feature/],
    ["no splits", { splits: {} }, /no splits/],
  ];
  for (const [name, overrides, message] of cases) {
    await t.step(name, async () => {
      await withTempDir(async (dir) => {
        await assert.rejects(writeShards(`${dir}/out`, dataset(overrides), { recordsPerShard: 10 }), (e) => {
          assert.ok(e instanceof DataError);
          assert.match(e.message, /^Cannot write shards of 't' to .*\/out: /);
          assert.match(e.message, message);
          return true;
        });
        await assert.rejects(Deno.stat(`${dir}/out`), Deno.errors.NotFound);
      });
    });
  }
  await t.step("levels", async () => {
    await withTempDir(async (dir) => {
      const d = dataset({
        features: { x: { dtype: "uint8", shape: [2], description: "", levels: 17 } },
        input: "x",
        splits: { train: { count: 1, columns: { x: Uint8Array.from([3, 17]) }, definition: {} } },
      });
      delete d.target;
      await assert.rejects(writeShards(dir, d, { recordsPerShard: 10 }), /value 17 is outside its 17 levels/);
    });
  });
});

Deno.test("writeShards() refuses a folder that is not empty", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/old.txt`, "x");
    await assert.rejects(
      writeShards(dir, dataset(), { recordsPerShard: 10 }),
      /folder is not empty \(it holds old.txt\)/,
    );
  });
});

Deno.test("writeShards() removes what it wrote when writing fails", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      writeShards(dir, dataset(), { recordsPerShard: 1, extraFiles: { "manifest.json": new Uint8Array(1) } }),
      /Cannot write extra file 'manifest.json'/,
    );
    assert.deepEqual([...(await readFolder(dir)).keys()], []);
  });
});
