import assert from "node:assert/strict";
import { encode } from "fast-png";
import { readFolder, runStage, runStageInto, withTempDir } from "../_test_util.ts";
import { DataError } from "../data_error.ts";
import { openShards } from "../shard_reader.ts";
import { imageFolderStage } from "./image_folder.ts";

/** Writes a w×h PNG whose every value is `value` (gray, gray+alpha, RGB or RGBA by `channels`). */
async function png(
  path: string,
  options: { w?: number; h?: number; channels?: number; value: number; depth?: 8 | 16 },
) {
  const { w = 3, h = 2, channels = 1, depth = 8 } = options;
  const data = depth === 16 ? new Uint16Array(w * h * channels) : new Uint8Array(w * h * channels);
  data.fill(options.value);
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeFile(path, encode({ width: w, height: h, data, channels, depth }));
}

/** Class folders: dog (3 images), cat (5 images), plus files that are not images. */
async function classFolder(dir: string) {
  for (let i = 0; i < 5; i++) await png(`${dir}/cat/c${i}.png`, { value: 10 + i });
  for (let i = 0; i < 3; i++) await png(`${dir}/dog/d${i}.png`, { value: 100 + i });
  await Deno.writeTextFile(`${dir}/cat/notes.txt`, "not an image");
  await Deno.writeTextFile(`${dir}/dog/.hidden.png`, "skipped");
}

Deno.test("data.image-folder labels class folders in sorted order and splits them stratified", async () => {
  await withTempDir(async (dir) => {
    await classFolder(dir);
    const params = { dir, testFraction: 0.4, license: "CC0-1.0" };
    const a = await runStage(imageFolderStage, { params });
    const b = await runStage(imageFolderStage, { params });
    const data = await openShards(a.outDir);
    assert.deepEqual(data.manifest.features.label!.classes, ["cat", "dog"]);
    assert.deepEqual(data.manifest.features.image!.shape, [2, 3, 1]);
    assert.deepEqual(data.manifest.splits.test!.labelCounts, [2, 1]); // round(5 · 0.4), round(3 · 0.4)
    assert.deepEqual(data.manifest.splits.train!.labelCounts, [3, 2]);
    const listing = (await Deno.readTextFile(`${a.outDir}/sources.tsv`)).trim().split("\n").map((l) =>
      l.split("\t")[0]
    );
    assert.deepEqual(listing, [
      ...[0, 1, 2, 3, 4].map((i) => `train/cat/c${i}.png`),
      ...[0, 1, 2].map((i) => `train/dog/d${i}.png`),
    ]);
    // Every record's pixels are those of the file its index points at.
    for (const split of ["train", "test"]) {
      const all = await data.readAll(split, { transform: { dtype: "uint8" } });
      const index = (await data.loadSplit(split)).index as Int32Array;
      index.forEach((line, k) => {
        const file = listing[line]!;
        const value = Number(file.match(/(\d)\.png$/)![1]) + (file.includes("/cat/") ? 10 : 100);
        assert.deepEqual([...all.x.subarray(k * 6, k * 6 + 6)], new Array(6).fill(value));
        assert.equal(all.y![k], file.includes("/cat/") ? 0 : 1);
      });
    }
    assert.deepEqual(await readFolder(a.outDir), await readFolder(b.outDir));
    for (const r of [a, b]) await Deno.remove(r.outDir, { recursive: true });
  });
});

Deno.test("data.image-folder reads flat folders unlabelled and a given test folder", async () => {
  await withTempDir(async (dir) => {
    for (let i = 0; i < 4; i++) await png(`${dir}/flat/${i}.png`, { value: i, channels: 3, w: 2, h: 2 });
    await png(`${dir}/flat-test/x.png`, { value: 77, channels: 3, w: 2, h: 2 });
    const { outDir } = await runStage(imageFolderStage, {
      params: { dir: `${dir}/flat`, testDir: `${dir}/flat-test` },
    });
    const data = await openShards(outDir);
    assert.equal(data.manifest.target, undefined);
    assert.deepEqual(Object.keys(data.manifest.features), ["image", "index"]);
    assert.deepEqual(data.manifest.features.image!.shape, [2, 2, 3]);
    assert.equal(data.count("train"), 4);
    assert.deepEqual(
      [...(await data.readAll("test", { transform: { dtype: "uint8" } })).x],
      new Array(12).fill(77),
    );
    await Deno.remove(outDir, { recursive: true });
  });
});

Deno.test("data.image-folder unifies channels on request: RGB to gray (BT.601), alpha dropped, 16-bit rounded", async () => {
  await withTempDir(async (dir) => {
    await png(`${dir}/a/rgb.png`, { value: 0, channels: 3 });
    const rgb = new Uint8Array(3 * 2 * 3);
    for (let p = 0; p < 6; p++) rgb.set([200, 100, 50], 3 * p);
    await Deno.writeFile(
      `${dir}/a/rgb.png`,
      encode({ width: 3, height: 2, data: rgb, channels: 3, depth: 8 }),
    );
    await png(`${dir}/a/gray-alpha.png`, { value: 90, channels: 2 });
    await png(`${dir}/a/deep.png`, { value: 65535, channels: 1, depth: 16 });
    const { outDir } = await runStage(imageFolderStage, {
      params: { dir: `${dir}/a`, channels: 1, testFraction: 0.34 },
    });
    const data = await openShards(outDir);
    const x = new Map<number, number>();
    for (const split of ["train", "test"]) {
      const all = await data.readAll(split, { transform: { dtype: "uint8" } });
      ((await data.loadSplit(split)).index as Int32Array).forEach((line, k) => x.set(line, all.x[k * 6]!));
    }
    // Sorted files: deep.png, gray-alpha.png, rgb.png. Gray = (200·19595 + 100·38470 + 50·7471 + 2^15) >> 16 = 124.
    assert.deepEqual([x.get(0), x.get(1), x.get(2)], [255, 90, 124]);
    await Deno.remove(outDir, { recursive: true });
  });
});

Deno.test("data.image-folder rejects mixed sizes, mixed channels and broken PNGs by file, publishing nothing", async (t) => {
  const cases: [string, (dir: string) => Promise<void>, string, RegExp][] = [
    [
      "mixed sizes",
      async (dir) => {
        await png(`${dir}/in/a/1.png`, { value: 1 });
        await png(`${dir}/in/b/2.png`, { value: 1, w: 4 });
      },
      "in/b/2.png",
      /it is 4×2 but .*in\/a\/1.png is 3×2; all images must have one size/,
    ],
    [
      "mixed channels",
      async (dir) => {
        await png(`${dir}/in/1.png`, { value: 1 });
        await png(`${dir}/in/2.png`, { value: 1, channels: 3 });
      },
      "in/2.png",
      /has 3 color channel\(s\) but .*1.png has 1\. Set the param channels/,
    ],
    [
      "corrupt PNG",
      async (dir) => {
        await png(`${dir}/in/1.png`, { value: 1 });
        await Deno.writeFile(`${dir}/in/2.png`, new TextEncoder().encode("not a png at all"));
      },
      "in/2.png",
      /Cannot decode PNG .*2.png/,
    ],
    [
      "files and folders mixed",
      async (dir) => {
        await png(`${dir}/in/1.png`, { value: 1 });
        await png(`${dir}/in/sub/2.png`, { value: 1 });
      },
      "in",
      /holds both PNG files .* and folders/,
    ],
  ];
  for (const [name, make, file, message] of cases) {
    await t.step(name, async () => {
      await withTempDir(async (dir) => {
        await make(dir);
        await Deno.mkdir(`${dir}/out`);
        await assert.rejects(
          runStageInto(imageFolderStage, { params: { dir: `${dir}/in` }, outDir: `${dir}/out` }),
          (e) => {
            assert.ok(e instanceof DataError);
            assert.equal(e.file, `${dir}/${file}`);
            assert.match(e.message, message);
            return true;
          },
        );
        assert.equal((await readFolder(`${dir}/out`)).size, 0);
      });
    });
  }
  await t.step("missing folder names the param", async () => {
    await assert.rejects(
      runStageInto(imageFolderStage, { params: { dir: "/nonexistent/x" }, outDir: "/nonexistent" }),
      /does not exist\. Check the param `dir`/,
    );
  });
});

Deno.test("data.image-folder rejects wrong params, naming the key", () => {
  assert.throws(() => imageFolderStage.params.parse({ dir: "/x", channels: 2 }), /channels/);
  assert.throws(() => imageFolderStage.params.parse({}), /dir/);
  assert.throws(() => imageFolderStage.params.parse({ dir: "/x", test_dir: "/y" }), /test_dir/);
});

Deno.test("data.image-folder says what is wrong with a bad PNG: another format, cut short, or damaged inside", async (t) => {
  const good = encode({
    width: 16,
    height: 16,
    data: new Uint8Array(256).map((_, i) => i),
    channels: 1,
    depth: 8,
  });
  const damaged = good.slice();
  damaged[45] = damaged[45]! ^ 0xff; // inside the compressed image data
  const cases: [string, Uint8Array, RegExp][] = [
    [
      "a JPEG named .png",
      Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46]),
      /it is not a PNG file: its content is a JPEG image, whatever its name\. Convert it to PNG or remove it/,
    ],
    [
      "a text file",
      new TextEncoder().encode("not a png at all"),
      /it is not a PNG file: its content is text/,
    ],
    ["an empty file", new Uint8Array(0), /the file is empty/],
    [
      "cut short",
      good.subarray(0, good.length / 2),
      /the file is cut short: it ends after the IHDR chunk, at byte 170, before the PNG's end \(IEND\)\. Copy or download it again/,
    ],
    [
      "damaged inside",
      damaged,
      /its image data is damaged \(the decoder says: .*\)\. Replace the file with a good copy/,
    ],
  ];
  for (const [name, bytes, message] of cases) {
    await t.step(name, async () => {
      await withTempDir(async (dir) => {
        await png(`${dir}/in/1.png`, { value: 1 });
        await Deno.writeFile(`${dir}/in/2.png`, bytes);
        await assert.rejects(
          runStageInto(imageFolderStage, { params: { dir: `${dir}/in` }, outDir: `${dir}/out` }),
          (e) => {
            assert.ok(e instanceof DataError, String(e));
            assert.equal(e.file, `${dir}/in/2.png`);
            assert.match(e.message, new RegExp(`^Cannot decode PNG ${dir}/in/2\\.png: `));
            assert.match(e.message, message);
            return true;
          },
        );
      });
    });
  }
});

Deno.test("data.image-folder with `dir` pointing at a file says so and names the param", async () => {
  await withTempDir(async (dir) => {
    await png(`${dir}/one.png`, { value: 1 });
    await assert.rejects(
      runStageInto(imageFolderStage, { params: { dir: `${dir}/one.png` }, outDir: `${dir}/out` }),
      (e) => {
        assert.ok(e instanceof DataError, String(e));
        assert.equal(e.file, `${dir}/one.png`);
        assert.match(e.message, /it is a file, not a folder\. Point the param `dir` at the folder/);
        return true;
      },
    );
  });
});
