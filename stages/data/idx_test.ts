import assert from "node:assert/strict";
import { gzip, idxBytes, withTempDir } from "./_test_util.ts";
import { DataError } from "./data_error.ts";
import { parseIdx, readIdxImages } from "./idx.ts";

const images = Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i);
const labels = Uint8Array.from([7, 8, 9]);

/** Asserts a DataError naming `file` whose message matches every pattern. */
function dataError(file: string, ...patterns: RegExp[]) {
  return (e: unknown) => {
    assert.ok(e instanceof DataError, String(e));
    assert.equal(e.file, file);
    assert.ok(e.message.includes(file), `message names ${file}: ${e.message}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };
}

Deno.test("parseIdx() reads dims and values, and explains bad headers and sizes", () => {
  const parsed = parseIdx(idxBytes([3, 2, 2], images), "a.idx");
  assert.deepEqual(parsed.dims, [3, 2, 2]);
  assert.deepEqual(parsed.data, images);
  const flipped = idxBytes([3, 2, 2], images);
  flipped[0] = 0x1f; // e.g. a gz file read as IDX
  assert.throws(
    () => parseIdx(flipped, "a.idx"),
    dataError("a.idx", /magic number is 0x1f000803, expected 0x00000801/),
  );
  const floats = idxBytes([3], labels);
  floats[2] = 0x0d;
  assert.throws(() => parseIdx(floats, "f.idx"), dataError("f.idx", /values are float32 .*only unsigned/));
  const full = idxBytes([3, 2, 2], images);
  assert.throws(
    () => parseIdx(full.subarray(0, full.length - 1), "t.idx"),
    dataError("t.idx", /declares 3×2×2 = 12 values but it holds 11 \(the file is truncated\)/),
  );
  assert.throws(() => parseIdx(full.subarray(0, 10), "h.idx"), dataError("h.idx", /ends inside its header/));
  const longer = new Uint8Array(full.length + 2);
  longer.set(full);
  assert.throws(() => parseIdx(longer, "x.idx"), dataError("x.idx", /extra bytes follow/));
});

Deno.test("readIdxImages() reads gz and plain files and rejects mismatched or broken pairs", async (t) => {
  await withTempDir(async (dir) => {
    const write = (name: string, bytes: Uint8Array) => Deno.writeFile(`${dir}/${name}`, bytes);
    await write("img.gz", gzip(idxBytes([3, 2, 2], images)));
    await write("lab", idxBytes([3], labels));
    const hint = { missingHint: "Get the files." };
    await t.step("a good pair", async () => {
      const read = await readIdxImages({ images: `${dir}/img.gz`, labels: `${dir}/lab` }, hint);
      assert.equal(read.count, 3);
      assert.deepEqual(read.shape, [2, 2, 1]);
      assert.deepEqual([...read.labels], [7, 8, 9]);
      assert.deepEqual(read.files.map((f) => f.name), ["img.gz", "lab"]);
    });
    await t.step("image and label counts differ", async () => {
      await write("lab2", idxBytes([2], labels.subarray(0, 2)));
      await assert.rejects(
        readIdxImages({ images: `${dir}/img.gz`, labels: `${dir}/lab2` }, hint),
        dataError(`${dir}/lab2`, /\(3 images\) with .*lab2 \(2 labels\): the counts differ/),
      );
    });
    await t.step("swapped paths", async () => {
      await assert.rejects(
        readIdxImages({ images: `${dir}/lab`, labels: `${dir}/img.gz` }, hint),
        dataError(
          `${dir}/lab`,
          /as images: its magic number is 0x00000801, the labels format, .*Did you swap/,
        ),
      );
    });
    await t.step("truncated gz", async () => {
      const gz = await Deno.readFile(`${dir}/img.gz`);
      await write("cut.gz", gz.subarray(0, gz.length - 10));
      await assert.rejects(
        readIdxImages({ images: `${dir}/cut.gz`, labels: `${dir}/lab` }, hint),
        dataError(
          `${dir}/cut.gz`,
          /Cannot decompress .*: the gzip data ends too early \(the file is truncated/,
          /Get the files\./,
        ),
      );
    });
    await t.step("corrupt gz", async () => {
      const gz = await Deno.readFile(`${dir}/img.gz`);
      gz[gz.length - 6] = gz[gz.length - 6]! ^ 0xff; // inside the CRC-32 trailer
      await write("bad.gz", gz);
      await assert.rejects(
        readIdxImages({ images: `${dir}/bad.gz`, labels: `${dir}/lab` }, hint),
        dataError(`${dir}/bad.gz`, /the gzip data is corrupt/),
      );
    });
    await t.step("wrong magic", async () => {
      const bytes = idxBytes([3, 2, 2], images);
      bytes[1] = 0x42;
      await write("magic", bytes);
      await assert.rejects(
        readIdxImages({ images: `${dir}/magic`, labels: `${dir}/lab` }, hint),
        dataError(`${dir}/magic`, /magic number is 0x00420803/),
      );
    });
    await t.step("missing file", async () => {
      await assert.rejects(
        readIdxImages({ images: `${dir}/nope.gz`, labels: `${dir}/lab` }, hint),
        dataError(`${dir}/nope.gz`, /the file does not exist\. Get the files\./),
      );
    });
  });
});

Deno.test("a gzip file whose header claims 10⁹ images is rejected from its first bytes", async () => {
  await withTempDir(async (dir) => {
    // 20 MB of zeros behind the header compress to ~20 KB: a small file that would inflate to its header's
    // claim (784 GB) if it were honest, and to 20 MB as it is.
    const path = `${dir}/bomb.gz`;
    await Deno.writeFile(path, gzip(idxBytes([1e9, 28, 28], new Uint8Array(20e6))));
    await Deno.writeFile(`${dir}/lab`, idxBytes([3], labels));
    await assert.rejects(
      readIdxImages({ images: path, labels: `${dir}/lab` }, { missingHint: "" }),
      dataError(
        path,
        /header declares 1000000000×28×28 = 7\.840e\+11 values \(784 GB\), more than the 4\.29 GB/,
      ),
    );
  });
});

Deno.test("decompression stops at the size the header declares", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/long.gz`;
    await Deno.writeFile(path, gzip(idxBytes([3, 2, 2], new Uint8Array(20e6))));
    await Deno.writeFile(`${dir}/lab`, idxBytes([3], labels));
    await assert.rejects(
      readIdxImages({ images: path, labels: `${dir}/lab` }, { missingHint: "" }),
      dataError(path, /holds more data than its header declares \(28 bytes\)/),
    );
    // A gzip file that ends early is still told as truncated.
    const short = `${dir}/short.gz`;
    await Deno.writeFile(short, gzip(idxBytes([3, 2, 2], images).subarray(0, 20)));
    await assert.rejects(
      readIdxImages({ images: short, labels: `${dir}/lab` }, { missingHint: "" }),
      dataError(short, /declares 3×2×2 = 12 values but it holds 4 \(the file is truncated\)/),
    );
  });
});

Deno.test("an images file with the labels magic is told so, not as 'extra bytes'", async () => {
  await withTempDir(async (dir) => {
    const relabelled = idxBytes([3, 2, 2], images);
    relabelled[3] = 1; // magic 0x00000801: the header now reads as labels [3], the rest as extra bytes
    for (const [name, bytes] of [["img", relabelled], ["img.gz", gzip(relabelled)]] as const) {
      await Deno.writeFile(`${dir}/${name}`, bytes);
      await Deno.writeFile(`${dir}/lab`, idxBytes([3], labels));
      await assert.rejects(
        readIdxImages({ images: `${dir}/${name}`, labels: `${dir}/lab` }, { missingHint: "" }),
        dataError(
          `${dir}/${name}`,
          /as images: its magic number is 0x00000801, the labels format, expected 0x00000803/,
        ),
      );
    }
  });
});

Deno.test("an images file that holds no images is reported against that file", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/img`, idxBytes([0, 28, 28], new Uint8Array(0)));
    await Deno.writeFile(`${dir}/lab`, idxBytes([0], new Uint8Array(0)));
    await assert.rejects(
      readIdxImages({ images: `${dir}/img`, labels: `${dir}/lab` }, { missingHint: "" }),
      dataError(`${dir}/img`, /its header declares 0×28×28, so it holds no images/),
    );
  });
});
