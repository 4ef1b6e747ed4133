/**
 * A zero-dependency PNG encoder (8-bit gray or RGB) and an image-grid composer for sample grids:
 * N images in NCHW float layout → one grid with gutters, optional coloured borders per image (to mark
 * e.g. generated vs nearest-training images) and integer upscaling so that 28×28 digits are visible.
 *
 * Deflate comes from the Web `CompressionStream("deflate")` (zlib format, which PNG requires). Hash the
 * pixels, not the PNG bytes, when you need a content digest: deflate output may change across versions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { imageGridPng, pngSize } from "./png.ts";
 *
 * const samples = Float32Array.from({ length: 4 * 28 * 28 }, (_, i) => Math.sin(i)); // 4 images, NCHW, in [-1, 1]
 * const png = await imageGridPng(samples, { channels: 1, height: 28, width: 28, range: [-1, 1], scale: 2 });
 * assert.deepEqual(pngSize(png), { width: 2 * 56 + 3 * 2, height: 2 * 56 + 3 * 2 }); // 2 × 2 cells, 2 px gutters
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/samples.png`, png);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

/** An 8-bit raster, row-major, channels interleaved. */
export interface RasterImage {
  width: number;
  height: number;
  /** 1 = gray, 3 = RGB. */
  channels: 1 | 3;
  /** `width * height * channels` bytes. */
  pixels: Uint8Array;
}

/** A colour as "#rgb", "#rrggbb" or an [r, g, b] triple of 0–255 integers. */
export type Color = string | readonly [number, number, number];

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

async function deflate(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Encodes an 8-bit gray or RGB raster as PNG bytes. */
export async function encodePng(image: RasterImage): Promise<Uint8Array> {
  const { width, height, channels, pixels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(
      `Cannot encode PNG of size ${width}×${height}: width and height must be positive integers`,
    );
  }
  if (channels !== 1 && channels !== 3) {
    throw new Error(`Cannot encode PNG with ${channels} channels: use 1 (gray) or 3 (RGB)`);
  }
  const rowBytes = width * channels;
  if (pixels.length !== rowBytes * height) {
    throw new Error(
      `Cannot encode PNG: expected ${
        rowBytes * height
      } pixel bytes for ${width}×${height}×${channels}, got ${pixels.length}`,
    );
  }
  // Each scanline is a filter byte (0 = none) followed by the row; deflate does the rest well enough.
  const raw = new Uint8Array((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    raw.set(pixels.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header[8] = 8; // bit depth
  header[9] = channels === 1 ? 0 : 2; // colour type: gray or truecolour
  const parts = [
    new Uint8Array(SIGNATURE),
    chunk("IHDR", header),
    chunk("IDAT", await deflate(raw)),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Reads width and height from PNG bytes (the IHDR chunk). */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const isPng = png.length >= 24 && SIGNATURE.every((b, i) => png[i] === b);
  if (!isPng) throw new Error("Cannot read PNG size: the bytes do not start with a PNG signature");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Layout and colours of an image grid. */
export interface ImageGridOptions {
  /** Channels per image: 1 (gray) or 3 (RGB). */
  channels: 1 | 3;
  /** Height and width of one image, in pixels. */
  height: number;
  width: number;
  /** Value range that maps to black..white, e.g. [-1, 1] for tanh outputs or [0, 1]. Values outside are clipped. */
  range: readonly [number, number];
  /** Images per row; default ceil(sqrt(N)). */
  columns?: number;
  /** Integer upscaling factor (nearest neighbour); default 1. */
  scale?: number;
  /** Space between cells, in output pixels; default 2. */
  gutter?: number;
  /** Colour of gutters and empty cells; default white. */
  background?: Color;
  /** One border colour per image (null = no border), e.g. to mark generated vs training images. */
  borders?: readonly (Color | null)[];
  /** Border width in output pixels when `borders` is given; default 2. */
  borderWidth?: number;
}

/**
 * Composes N images (a flat NCHW array) into one grid raster. NaN pixels are drawn black. The output is
 * gray when the images are gray and no colour is needed, RGB otherwise.
 */
export function composeImageGrid(images: ArrayLike<number>, options: ImageGridOptions): RasterImage {
  const { channels, height: h, width: w, range } = options;
  if (channels !== 1 && channels !== 3) {
    throw new Error(`Cannot compose image grid with ${channels} channels: use 1 (gray) or 3 (RGB)`);
  }
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new Error(
      `Cannot compose image grid of ${h}×${w} images: height and width must be positive integers`,
    );
  }
  const perImage = channels * h * w;
  const count = images.length / perImage;
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(
      `Cannot compose image grid: ${images.length} values is not a whole number of ${channels}×${h}×${w} images`,
    );
  }
  const [lo, hi] = range;
  if (!(hi > lo)) throw new Error(`Cannot compose image grid: range [${lo}, ${hi}] must have hi > lo`);
  const scale = positiveInteger(options.scale ?? 1, "scale");
  const gutter = nonNegativeInteger(options.gutter ?? 2, "gutter");
  const columns = positiveInteger(options.columns ?? Math.ceil(Math.sqrt(count)), "columns");
  const rows = Math.ceil(count / columns);
  const borders = options.borders;
  if (borders && borders.length !== count) {
    throw new Error(`Cannot compose image grid: ${borders.length} border colours given for ${count} images`);
  }
  const borderWidth = borders ? nonNegativeInteger(options.borderWidth ?? 2, "borderWidth") : 0;
  const background = parseColor(options.background ?? "#ffffff");
  const borderColors = borders?.map((c) => (c === null ? null : parseColor(c)));
  const colorful = channels === 3 || !isGray(background) || (borderColors ?? []).some((c) => c && !isGray(c));
  const outChannels = colorful ? 3 : 1;

  const cellW = w * scale + 2 * borderWidth;
  const cellH = h * scale + 2 * borderWidth;
  const width = columns * cellW + (columns + 1) * gutter;
  const height = rows * cellH + (rows + 1) * gutter;
  const pixels = new Uint8Array(width * height * outChannels);
  fillRect(pixels, width, outChannels, { x: 0, y: 0, w: width, h: height }, background);

  const toByte = 255 / (hi - lo);
  for (let n = 0; n < count; n++) {
    const x0 = gutter + (n % columns) * (cellW + gutter);
    const y0 = gutter + Math.floor(n / columns) * (cellH + gutter);
    const border = borderColors?.[n];
    if (border) fillRect(pixels, width, outChannels, { x: x0, y: y0, w: cellW, h: cellH }, border);
    const base = n * perImage;
    for (let y = 0; y < h * scale; y++) {
      const sy = Math.floor(y / scale);
      let out = ((y0 + borderWidth + y) * width + x0 + borderWidth) * outChannels;
      for (let x = 0; x < w * scale; x++) {
        const sx = Math.floor(x / scale);
        for (let c = 0; c < outChannels; c++) {
          const value = images[base + (channels === 1 ? 0 : c) * h * w + sy * w + sx]!;
          const byte = Math.round((value - lo) * toByte);
          // NaN compares false everywhere and lands on 0 (black).
          pixels[out++] = byte > 255 ? 255 : byte > 0 ? byte : 0;
        }
      }
    }
  }
  return { width, height, channels: outChannels, pixels };
}

/** `composeImageGrid` followed by `encodePng`. */
export function imageGridPng(images: ArrayLike<number>, options: ImageGridOptions): Promise<Uint8Array> {
  return encodePng(composeImageGrid(images, options));
}

type Rgb = readonly [number, number, number];

function parseColor(color: Color): Rgb {
  if (typeof color !== "string") {
    if (color.length === 3 && color.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) return color;
    throw new Error(`Cannot use colour [${color.join(", ")}]: give three integers in 0..255`);
  }
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(color);
  if (short) return [0, 1, 2].map((i) => parseInt(short[i + 1]!.repeat(2), 16)) as unknown as Rgb;
  const long = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (long) return [0, 1, 2].map((i) => parseInt(long[i + 1]!, 16)) as unknown as Rgb;
  throw new Error(`Cannot use colour '${color}': write it as "#rgb", "#rrggbb" or [r, g, b]`);
}

function isGray(c: Rgb): boolean {
  return c[0] === c[1] && c[1] === c[2];
}

function fillRect(
  pixels: Uint8Array,
  stride: number,
  channels: number,
  rect: { x: number; y: number; w: number; h: number },
  color: Rgb,
): void {
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    let out = (y * stride + rect.x) * channels;
    for (let x = 0; x < rect.w; x++) {
      if (channels === 1) pixels[out++] = color[0];
      else {
        pixels[out++] = color[0];
        pixels[out++] = color[1];
        pixels[out++] = color[2];
      }
    }
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`Cannot compose image grid: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function nonNegativeInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`Cannot compose image grid: ${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}
