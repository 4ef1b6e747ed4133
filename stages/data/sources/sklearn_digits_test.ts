import assert from "node:assert/strict";
import { requireInstalled } from "../../../tests/_require.ts";
import { gzip, readFolder, runStage, runStageInto, withTempDir } from "../_test_util.ts";
import { openShards } from "../shard_reader.ts";
import { DEBIAN_SKLEARN_DIGITS, parseDigitsCsv, sklearnDigitsStage } from "./sklearn_digits.ts";

const installed = await Deno.stat(DEBIAN_SKLEARN_DIGITS).then(() => true, () => false);

Deno.test({
  name: "data.sklearn-digits writes the 1,797 digits with 17 levels, stratified, byte-identically",
  async fn() {
    requireInstalled(installed, "python3-sklearn", "scikit-learn's 8×8 digits");
    const a = await runStage(sklearnDigitsStage, {});
    const b = await runStage(sklearnDigitsStage, {});
    try {
      const data = await openShards(a.outDir);
      assert.equal(data.count("train") + data.count("test"), 1797);
      assert.equal(data.count("test"), 359);
      assert.equal(data.manifest.features.image!.levels, 17);
      const first =
        "0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0,0";
      for (const split of ["train", "test"]) {
        const index = (await data.loadSplit(split)).index as Int32Array;
        const k = index.indexOf(0);
        if (k < 0) continue;
        const x = await data.readAll(split, { transform: { scale: "levels" } });
        assert.deepEqual([...x.x.subarray(k * 64, k * 64 + 64)], first.split(",").slice(0, 64).map(Number));
        assert.equal(x.y![k], 0);
      }
      assert.deepEqual(await readFolder(a.outDir), await readFolder(b.outDir));
    } finally {
      for (const r of [a, b]) await Deno.remove(r.outDir, { recursive: true });
    }
  },
});

Deno.test("data.sklearn-digits explains a missing file and a malformed line", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      runStageInto(sklearnDigitsStage, { params: { path: `${dir}/digits.csv.gz` }, outDir: dir }),
      /digits.csv.gz: the file does not exist\. Install it with `apt-get install python3-sklearn`, or set the param `path`/,
    );
    const line = (label: number) => [...new Array(64).fill(3), label].join(",");
    await Deno.writeFile(
      `${dir}/d.csv.gz`,
      gzip(new TextEncoder().encode([line(1), line(2), "1,2,3"].join("\n"))),
    );
    await assert.rejects(
      runStageInto(sklearnDigitsStage, { params: { path: `${dir}/d.csv.gz` }, outDir: dir }),
      /Cannot parse line 3 of .*d.csv.gz: expected 64 integers 0..16 and a label 0..9, got 3 values/,
    );
    assert.throws(() => parseDigitsCsv(line(1).replace(/^3/, "17"), "x.csv"), /'17' in column 1/);
  });
});

Deno.test("data.sklearn-digits rejects wrong params, naming the key", () => {
  assert.throws(() => sklearnDigitsStage.params.parse({ testFraction: 0 }), /testFraction/);
  assert.throws(() => sklearnDigitsStage.params.parse({ splitSeed: -1 }), /splitSeed/);
});
