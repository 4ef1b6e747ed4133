import assert from "node:assert/strict";
import { decode } from "fast-png";
import { composeImageGrid, encodePng, imageGridPng, pngSize } from "./png.ts";

function pseudoRandomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

Deno.test("encodePng() round-trips gray and RGB rasters through fast-png", async (t) => {
  for (const channels of [1, 3] as const) {
    await t.step(`${channels} channel(s), odd size`, async () => {
      const width = 37, height = 11;
      const pixels = pseudoRandomBytes(width * height * channels, channels);
      const png = await encodePng({ width, height, channels, pixels });
      const decoded = decode(png);
      assert.equal(decoded.width, width);
      assert.equal(decoded.height, height);
      assert.equal(decoded.channels, channels);
      assert.equal(decoded.depth, 8);
      assert.deepEqual(new Uint8Array(decoded.data), pixels);
      assert.deepEqual(pngSize(png), { width, height });
    });
  }
});

Deno.test("encodePng() is byte-deterministic", async () => {
  const image = { width: 16, height: 16, channels: 1 as const, pixels: pseudoRandomBytes(256, 7) };
  assert.deepEqual(await encodePng(image), await encodePng(image));
});

Deno.test("encodePng() names the wrong pixel count", async () => {
  await assert.rejects(
    () => encodePng({ width: 4, height: 4, channels: 3, pixels: new Uint8Array(16) }),
    /expected 48 pixel bytes for 4×4×3, got 16/,
  );
});

Deno.test("composeImageGrid() places gray images with gutters and maps the value range", () => {
  // Two 2×2 images in [-1, 1]: -1 → 0, 1 → 255, 0 → 128 (127.5 rounds up); out-of-range values clip.
  const images = new Float32Array([-1, 0, 1, 5, /* image 2 */ -3, 1, NaN, 0]);
  const grid = composeImageGrid(images, { channels: 1, height: 2, width: 2, range: [-1, 1], gutter: 1 });
  assert.equal(grid.channels, 1);
  assert.equal(grid.width, 2 * 2 + 3);
  assert.equal(grid.height, 2 + 2);
  const W = 255;
  // deno-fmt-ignore
  assert.deepEqual([...grid.pixels], [
    W, W, W, W, W, W, W,
    W, 0, 128, W, 0, 255, W,
    W, 255, 255, W, 0, 128, W,
    W, W, W, W, W, W, W,
  ]);
});

Deno.test("composeImageGrid() upscales by an integer factor and fills empty cells", () => {
  const images = new Float64Array([0, 1, 1, 0, /* */ 1, 1, 1, 1, /* */ 0, 0, 0, 0]);
  const grid = composeImageGrid(images, {
    channels: 1,
    height: 2,
    width: 2,
    range: [0, 1],
    scale: 2,
    gutter: 0,
    columns: 2,
    background: "#808080",
  });
  assert.equal(grid.width, 8);
  assert.equal(grid.height, 8);
  const row = (y: number) => [...grid.pixels.subarray(y * 8, y * 8 + 8)];
  assert.deepEqual(row(0), [0, 0, 255, 255, 255, 255, 255, 255]);
  assert.deepEqual(row(1), [0, 0, 255, 255, 255, 255, 255, 255]);
  assert.deepEqual(row(2), [255, 255, 0, 0, 255, 255, 255, 255]);
  assert.deepEqual(row(4), [0, 0, 0, 0, 128, 128, 128, 128]); // third image, then an empty cell
});

Deno.test("composeImageGrid() draws coloured borders and interleaves RGB channels", async (t) => {
  await t.step("gray images with a red border become RGB", () => {
    const images = new Float32Array([1, 1]); // two 1×1 white images
    const grid = composeImageGrid(images, {
      channels: 1,
      height: 1,
      width: 1,
      range: [0, 1],
      gutter: 1,
      borders: ["#f00", null],
      borderWidth: 1,
    });
    assert.equal(grid.channels, 3);
    assert.equal(grid.width, 1 + 3 + 1 + 3 + 1);
    assert.equal(grid.height, 5);
    const px = (
      x: number,
      y: number,
    ) => [...grid.pixels.subarray((y * grid.width + x) * 3, (y * grid.width + x) * 3 + 3)];
    assert.deepEqual(px(1, 1), [255, 0, 0]); // border of image 1
    assert.deepEqual(px(2, 2), [255, 255, 255]); // image 1 itself
    assert.deepEqual(px(5, 1), [255, 255, 255]); // image 2 has no border: background
    assert.deepEqual(px(0, 0), [255, 255, 255]);
  });
  await t.step("NCHW planes become interleaved pixels", () => {
    // One 1×2 RGB image: R plane [0, 1], G plane [1, 0], B plane [0.5, 0.5].
    const grid = composeImageGrid(new Float32Array([0, 1, 1, 0, 0.5, 0.5]), {
      channels: 3,
      height: 1,
      width: 2,
      range: [0, 1],
      gutter: 0,
    });
    assert.deepEqual([...grid.pixels], [0, 255, 128, 255, 0, 128]);
  });
  await t.step("imageGridPng() decodes to the composed raster", async () => {
    const images = new Float32Array(6 * 28 * 28).map((_, i) => Math.sin(i / 7));
    const options = { channels: 1 as const, height: 28, width: 28, range: [-1, 1] as const, scale: 2 };
    const decoded = decode(
      await imageGridPng(images, { ...options, borders: ["#1f77b4", null, null, "#d62728", null, null] }),
    );
    const grid = composeImageGrid(images, {
      ...options,
      borders: ["#1f77b4", null, null, "#d62728", null, null],
    });
    assert.equal(decoded.width, grid.width);
    assert.equal(decoded.height, grid.height);
    assert.equal(decoded.channels, 3);
    assert.deepEqual(new Uint8Array(decoded.data), grid.pixels);
  });
});

Deno.test("composeImageGrid() rejects inputs that do not fit, naming the problem", () => {
  assert.throws(
    () => composeImageGrid(new Float32Array(10), { channels: 1, height: 2, width: 2, range: [0, 1] }),
    /10 values is not a whole number of 1×2×2 images/,
  );
  assert.throws(
    () => composeImageGrid(new Float32Array(4), { channels: 1, height: 2, width: 2, range: [1, 1] }),
    /range \[1, 1\] must have hi > lo/,
  );
  assert.throws(
    () =>
      composeImageGrid(new Float32Array(4), { channels: 1, height: 2, width: 2, range: [0, 1], scale: 1.5 }),
    /scale must be a positive integer, got 1.5/,
  );
  assert.throws(
    () =>
      composeImageGrid(new Float32Array(4), {
        channels: 1,
        height: 2,
        width: 2,
        range: [0, 1],
        borders: ["red"],
      }),
    /Cannot use colour 'red'/,
  );
});
