import assert from "node:assert/strict";
import { requireInstalled } from "../../../tests/_require.ts";
import { gzip, idxBytes, readFolder, runStage, runStageInto, withTempDir } from "../_test_util.ts";
import { DataError } from "../data_error.ts";
import { openShards } from "../shard_reader.ts";
import { DEBIAN_FASHION_MNIST_DIR, fashionMnistStage } from "./fashion_mnist.ts";

const installed = await Deno.stat(`${DEBIAN_FASHION_MNIST_DIR}/train-images-idx3-ubyte.gz`).then(
  () => true,
  () => false,
);

Deno.test({
  name: "data.fashion-mnist writes the official 60,000/10,000 split, byte-identically across runs",
  async fn() {
    requireInstalled(installed, "dataset-fashion-mnist", "the Fashion-MNIST IDX files");
    const a = await runStage(fashionMnistStage, {});
    const b = await runStage(fashionMnistStage, {});
    try {
      const data = await openShards(a.outDir);
      assert.equal(data.count("train"), 60_000);
      assert.equal(data.count("test"), 10_000);
      assert.deepEqual(data.manifest.splits.train!.labelCounts, new Array(10).fill(6000));
      assert.equal(data.manifest.splits.train!.shards.length, 6);
      assert.equal(data.manifest.features.label!.classes![9], "Ankle boot");
      assert.deepEqual(data.manifest.source.files!.map((f) => f.name), [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
      ]);
      const test = await data.readAll("test", { transform: { dtype: "uint8" } });
      assert.deepEqual([...test.y!.subarray(0, 5)], [9, 2, 1, 1, 6]); // the t10k file's first labels
      assert.deepEqual(await readFolder(a.outDir), await readFolder(b.outDir));
    } finally {
      for (const r of [a, b]) await Deno.remove(r.outDir, { recursive: true });
    }
  },
});

/** A tiny Fashion-MNIST-like folder: 5 train and 2 test images of 2×2. */
async function writeFixture(dir: string): Promise<void> {
  const write = (name: string, dims: number[], data: Uint8Array) =>
    Deno.writeFile(`${dir}/${name}`, gzip(idxBytes(dims, data)));
  await write("train-images-idx3-ubyte.gz", [5, 2, 2], Uint8Array.from({ length: 20 }, (_, i) => i * 10));
  await write("train-labels-idx1-ubyte.gz", [5], Uint8Array.from([0, 1, 2, 3, 9]));
  await write("t10k-images-idx3-ubyte.gz", [2, 2, 2], Uint8Array.from({ length: 8 }, (_, i) => 255 - i));
  await write("t10k-labels-idx1-ubyte.gz", [2], Uint8Array.from([4, 5]));
}

Deno.test("data.fashion-mnist reads a folder given as `dir`", async () => {
  await withTempDir(async (dir) => {
    await writeFixture(dir);
    const { outDir } = await runStage(fashionMnistStage, { params: { dir } });
    const data = await openShards(outDir);
    const train = await data.readAll("train", { transform: { scale: "levels" } });
    assert.deepEqual(train.dims, [5, 4]);
    assert.deepEqual([...train.x.subarray(16)], [160, 170, 180, 190]);
    assert.deepEqual([...train.y!], [0, 1, 2, 3, 9]);
    assert.deepEqual([...(await data.readAll("test")).y!], [4, 5]);
    await Deno.remove(outDir, { recursive: true });
  });
});

Deno.test("data.fashion-mnist explains missing and broken files and publishes nothing", async (t) => {
  await t.step("missing files: says how to get them", async () => {
    await withTempDir(async (dir) => {
      await assert.rejects(
        runStageInto(fashionMnistStage, { params: { dir: `${dir}/none` }, outDir: dir }),
        (e) => {
          assert.ok(e instanceof DataError);
          assert.equal(e.file, `${dir}/none`);
          assert.match(
            e.message,
            /Cannot find Fashion-MNIST in .*\/none: train-images-idx3-ubyte.gz, .*, t10k-labels-idx1-ubyte.gz are missing/,
          );
          assert.match(e.message, /apt-get install dataset-fashion-mnist/);
          assert.match(e.message, /set the param `dir`/);
          return true;
        },
      );
    });
  });
  const broken: [string, (dir: string) => Promise<void>, RegExp][] = [
    ["truncated gz", async (dir) => {
      const f = `${dir}/train-images-idx3-ubyte.gz`;
      const bytes = await Deno.readFile(f);
      await Deno.writeFile(f, bytes.subarray(0, bytes.length - 12));
    }, /train-images-idx3-ubyte.gz: the gzip data ends too early/],
    ["wrong magic", async (dir) => {
      const bytes = idxBytes([2], Uint8Array.from([4, 5]));
      bytes.set([0x01, 0x08, 0x00, 0x00]); // the magic written little-endian
      await Deno.writeFile(`${dir}/t10k-labels-idx1-ubyte.gz`, gzip(bytes));
    }, /t10k-labels-idx1-ubyte.gz as IDX: its magic number is 0x01080000, expected 0x00000801/],
    ["counts differ", async (dir) => {
      await Deno.writeFile(
        `${dir}/t10k-labels-idx1-ubyte.gz`,
        gzip(idxBytes([3], Uint8Array.from([4, 5, 6]))),
      );
    }, /\(2 images\) with .*t10k-labels-idx1-ubyte.gz \(3 labels\): the counts differ/],
  ];
  for (const [name, breakIt, message] of broken) {
    await t.step(name, async () => {
      await withTempDir(async (dir) => {
        await writeFixture(dir);
        await breakIt(dir);
        await Deno.mkdir(`${dir}/out`);
        await assert.rejects(
          runStageInto(fashionMnistStage, { params: { dir }, outDir: `${dir}/out` }),
          message,
        );
        assert.deepEqual([...(await readFolder(`${dir}/out`)).keys()], []);
      });
    });
  }
});

Deno.test("data.fashion-mnist rejects wrong params, naming the key", () => {
  assert.throws(() => fashionMnistStage.params.parse({ dir: "" }), /dir/);
  assert.throws(() => fashionMnistStage.params.parse({ directory: "/x" }), /directory/);
});
