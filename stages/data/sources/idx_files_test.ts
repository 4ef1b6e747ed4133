import assert from "node:assert/strict";
import { gzip, idxBytes, readFolder, runStage, runStageInto, withTempDir } from "../_test_util.ts";
import { openShards } from "../shard_reader.ts";
import { idxStage } from "./idx_files.ts";

/** Writes train (4 images) and test (2 images) IDX files of 3×2 images; returns the params. */
async function fixture(dir: string, options: { testShape?: [number, number] } = {}) {
  const [th, tw] = options.testShape ?? [3, 2];
  await Deno.writeFile(
    `${dir}/tr-img.gz`,
    gzip(idxBytes([4, 3, 2], Uint8Array.from({ length: 24 }, (_, i) => i))),
  );
  await Deno.writeFile(`${dir}/tr-lab`, idxBytes([4], Uint8Array.from([1, 0, 2, 1])));
  await Deno.writeFile(`${dir}/te-img`, idxBytes([2, th, tw], new Uint8Array(2 * th * tw).fill(200)));
  await Deno.writeFile(`${dir}/te-lab.gz`, gzip(idxBytes([2], Uint8Array.from([2, 2]))));
  return {
    trainImages: `${dir}/tr-img.gz`,
    trainLabels: `${dir}/tr-lab`,
    testImages: `${dir}/te-img`,
    testLabels: `${dir}/te-lab.gz`,
  };
}

Deno.test("data.idx reads four IDX files (gz or not) into train and test shards", async () => {
  await withTempDir(async (dir) => {
    const paths = await fixture(dir);
    const { outDir } = await runStage(idxStage, {
      params: { ...paths, name: "mine", classes: ["zero", "one", "two"], license: "CC0-1.0" },
    });
    const data = await openShards(outDir);
    assert.equal(data.manifest.name, "mine");
    assert.equal(data.manifest.license, "CC0-1.0");
    assert.deepEqual(data.manifest.features.image!.shape, [3, 2, 1]);
    assert.deepEqual(data.manifest.features.label!.classes, ["zero", "one", "two"]);
    const train = await data.readAll("train", { transform: { dtype: "uint8" } });
    assert.deepEqual([...train.x], Array.from({ length: 24 }, (_, i) => i));
    assert.deepEqual([...train.y!], [1, 0, 2, 1]);
    assert.deepEqual(data.manifest.splits.test!.labelCounts, [0, 0, 2]);
    assert.deepEqual(data.manifest.source.files!.map((f) => [f.name, f.bytes]), [
      ["tr-img.gz", (await Deno.stat(paths.trainImages)).size],
      ["tr-lab", 8 + 4],
      ["te-img", 16 + 12],
      ["te-lab.gz", (await Deno.stat(paths.testLabels)).size],
    ]);
    // Default class names are the label values.
    const plain = await runStage(idxStage, { params: paths });
    assert.deepEqual((await openShards(plain.outDir)).manifest.features.label!.classes, ["0", "1", "2"]);
    for (const d of [outDir, plain.outDir]) await Deno.remove(d, { recursive: true });
  });
});

Deno.test("data.idx rejects inconsistent files and params, and publishes nothing", async (t) => {
  await t.step("train and test image sizes differ", async () => {
    await withTempDir(async (dir) => {
      const paths = await fixture(dir, { testShape: [2, 2] });
      await Deno.mkdir(`${dir}/out`);
      await assert.rejects(
        runStageInto(idxStage, { params: paths, outDir: `${dir}/out` }),
        /tr-img.gz \(3×2 images\) with .*te-img \(2×2\): train and test images must have one size/,
      );
      assert.equal((await readFolder(`${dir}/out`)).size, 0);
    });
  });
  await t.step("too few class names", async () => {
    await withTempDir(async (dir) => {
      const paths = await fixture(dir);
      await assert.rejects(
        runStageInto(idxStage, { params: { ...paths, classes: ["a", "b"] }, outDir: dir }),
        /label 2 occurs but the param classes lists 2 names/,
      );
    });
  });
  await t.step("missing and unknown params are named", () => {
    assert.throws(
      () => idxStage.params.parse({ trainImages: "a", trainLabels: "b", testImages: "c" }),
      /testLabels/,
    );
    assert.throws(
      () =>
        idxStage.params.parse({
          trainImages: "a",
          trainLabels: "b",
          testImages: "c",
          testLabels: "d",
          labels: 1,
        }),
      /labels/,
    );
  });
});
