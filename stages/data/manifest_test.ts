import assert from "node:assert/strict";
import { withTempDir, writeTinyDataset } from "./_test_util.ts";
import { DataError } from "./data_error.ts";
import { parseManifest, readManifest } from "./manifest.ts";

Deno.test("readManifest() explains a folder without a manifest", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(readManifest(dir), (e) => {
      assert.ok(e instanceof DataError);
      assert.equal(e.file, `${dir}/manifest.json`);
      assert.match(e.message, /has no manifest.json, so it is not a finished shard set/);
      return true;
    });
  });
});

Deno.test("parseManifest() names the invalid key and the broken cross-references", async () => {
  await withTempDir(async (dir) => {
    const good = await writeTinyDataset(dir, { train: 5 });
    const json = () => JSON.parse(JSON.stringify(good));
    const bad = json();
    bad.splits.train.shards[0].sha256 = "xyz";
    assert.throws(
      () => parseManifest(bad, "m.json"),
      /Cannot use manifest m.json: splits.train.shards.0.sha256: expected 64/,
    );
    const wrongCount = json();
    wrongCount.splits.train.count = 6;
    assert.throws(
      () => parseManifest(wrongCount, "m.json"),
      /split 'train' counts 6 records but its shards hold 5/,
    );
    const other = json();
    other.format = "tfrecord";
    assert.throws(() => parseManifest(other, "m.json"), /format/);
    await Deno.writeTextFile(`${dir}/manifest.json`, "{ not json");
    await assert.rejects(readManifest(dir), /Cannot parse manifest .*manifest.json/);
  });
});
