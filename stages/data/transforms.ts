/**
 * Per-record transforms applied while batching: scaling, uniform dequantization, binarization and
 * layout. A transform is plain data (a zod schema, so a training stage can take it as a param) compiled
 * once into a kernel that gathers records into a batch buffer.
 *
 * For a quantized uint8 feature with L levels (L = 256 for 8-bit pixels, M = L − 1), value v becomes:
 *
 * | spec | unit (default), in [0, 1] | symmetric, in [−1, 1] | levels |
 * |---|---|---|---|
 * | plain | v / M | 2v / M − 1 | v |
 * | `dequantize: true` (u ~ U[0, 1), 16-bit) | (v + u) / L | 2(v + u) / L − 1 | v + u |
 * | `addNoise: w` (u as above) | v / M + w·u | 2v / M − 1 + w·u | v + w·u |
 * | `binarize: "fixed"` (b = v / M > threshold) | b | 2b − 1 | b |
 * | `binarize: "dynamic"` (b ~ Bernoulli(v / M)) | b | 2b − 1 | b |
 *
 * Dequantized values are multiples of 2^-16 of a level, so with L = 256 they are exact float32 numbers
 * and always stay inside their bin: floor(x · 256) = v (unit). Note the convention: the noise spans a
 * whole bin of width 1/L (as for flows' bits/dim), whereas some reference code adds U(0, 1/256) after
 * scaling to [−1, 1], i.e. half a bin: `{ scale: "symmetric", addNoise: 1 / 256 }` reproduces that;
 * reports must state which is used (docs/experiments.md §3).
 *
 * Noise (dequantization, dynamic binarization) is drawn from an {@linkcode Rng} that the batch iterator
 * seeds from (seed, epoch, position in the epoch), so a resumed run draws the same noise.
 *
 * Layouts: images are stored [H, W, C] per record. `flat` gives [B, H·W·C] in that order; `nhwc` gives
 * [B, H, W, C]; `nchw` transposes to [B, C, H, W] (for C = 1 the bytes are the same as `flat`).
 *
 * @module
 */
import { z } from "zod";
import type { FeatureArray, FeatureSpec } from "./manifest.ts";
import type { Rng } from "./random.ts";

/** Params of a transform; all optional. Embed it in a stage's params as `transform: transformSchema`. */
export const transformSchema = z.object({
  /** Output element type: float32 (default) or uint8 (raw levels, no scaling). */
  dtype: z.enum(["float32", "uint8"]).optional(),
  /** unit: [0, 1] (default); symmetric: [−1, 1]; levels: the stored values as floats. */
  scale: z.enum(["unit", "symmetric", "levels"]).optional(),
  /** Add uniform noise of one quantization bin (seeded). */
  dequantize: z.boolean().optional(),
  /** Add U(0, addNoise) after scaling (seeded): the reference code's convention, e.g. 1/256 on [−1, 1]. */
  addNoise: z.number().positive().optional(),
  /** none (default); fixed: v / M > threshold; dynamic: Bernoulli(v / M), seeded. */
  binarize: z.enum(["none", "fixed", "dynamic"]).optional(),
  /** Threshold of fixed binarization, on the [0, 1] scale (default 0.5). */
  threshold: z.number().min(0).max(1).optional(),
  /** flat (default): [B, D]; nchw: [B, C, H, W]; nhwc: [B, H, W, C]. */
  layout: z.enum(["flat", "nchw", "nhwc"]).optional(),
}).strict();

/** A transform as written in params. */
export type TransformSpec = z.input<typeof transformSchema>;

/** A compiled transform of one feature. */
export interface RecordTransform {
  /** Element type of the output. */
  readonly dtype: "float32" | "uint8" | "int32";
  /** Values per record. */
  readonly recordSize: number;
  /** Whether `gather` needs an Rng. */
  readonly needsNoise: boolean;
  /** Shape of a batch of `batch` records. */
  dims(batch: number): number[];
  /** Allocates an output buffer for `records` records. */
  allocate(records: number): Float32Array | Uint8Array | Int32Array;
  /**
   * Transforms records `ids[from]`, …, `ids[to − 1]` of `src` (record-major) into `out`, starting at
   * record `at` of `out`.
   */
  gather(
    src: FeatureArray,
    ids: ArrayLike<number>,
    range: { from: number; to: number; at: number },
    out: FeatureArray,
    rng: Rng | undefined,
  ): void;
}

/** Output dims of a record of `feature` in `layout`. */
function recordDims(feature: FeatureSpec, layout: "flat" | "nchw" | "nhwc", name: string): number[] {
  const size = feature.shape.reduce((a, b) => a * b, 1);
  if (layout === "flat") return [size];
  if (feature.shape.length !== 3) {
    throw new RangeError(
      `Cannot use layout '${layout}' for feature '${name}' of shape ${JSON.stringify(feature.shape)}: ` +
        `it needs an image shape [H, W, C]; use layout 'flat'`,
    );
  }
  const [h, w, c] = feature.shape as [number, number, number];
  return layout === "nhwc" ? [h, w, c] : [c, h, w];
}

/** For NCHW with C > 1: position in the stored [H, W, C] record of each output value. */
function chwSourceIndex(shape: readonly number[]): Int32Array {
  const [h, w, c] = shape as [number, number, number];
  const map = new Int32Array(h * w * c);
  let j = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) map[j++] = (y * w + x) * c + ch;
  }
  return map;
}

/**
 * Compiles `spec` for a feature. Throws a RangeError naming the option when it does not apply to the
 * feature (e.g. scaling a float32 feature, dequantizing and binarizing at once).
 */
export function compileTransform(
  name: string,
  feature: FeatureSpec,
  spec: TransformSpec = {},
): RecordTransform {
  const parsed = transformSchema.parse(spec);
  const layout = parsed.layout ?? "flat";
  const dims = recordDims(feature, layout, name);
  const recordSize = feature.shape.reduce((a, b) => a * b, 1);
  const map = layout === "nchw" && feature.shape[2] !== 1 ? chwSourceIndex(feature.shape) : undefined;
  const base = {
    recordSize,
    dims: (batch: number) => [batch, ...dims],
  };

  const valueOptions = (["scale", "dequantize", "addNoise", "binarize", "threshold"] as const).filter((k) =>
    parsed[k] !== undefined
  );
  if (feature.dtype !== "uint8") {
    if (valueOptions.length > 0 || (parsed.dtype !== undefined && parsed.dtype !== feature.dtype)) {
      throw new RangeError(
        `Cannot apply ${
          [...valueOptions, ...(parsed.dtype ? ["dtype"] : [])].join(", ")
        } to feature '${name}': ` +
          `it is ${feature.dtype}, and value transforms apply to quantized uint8 features only`,
      );
    }
    const dtype = feature.dtype;
    return {
      ...base,
      dtype,
      needsNoise: false,
      allocate: (
        n,
      ) => (dtype === "int32" ? new Int32Array(n * recordSize) : new Float32Array(n * recordSize)),
      gather: (src, ids, range, out) => copyRecords(src, ids, range, out, recordSize, map),
    };
  }

  if (parsed.dtype === "uint8") {
    if (valueOptions.length > 0) {
      throw new RangeError(
        `Cannot apply ${valueOptions.join(", ")} to feature '${name}' with dtype 'uint8': ` +
          `uint8 output is the raw levels; use dtype 'float32'`,
      );
    }
    return {
      ...base,
      dtype: "uint8",
      needsNoise: false,
      allocate: (n) => new Uint8Array(n * recordSize),
      gather: (src, ids, range, out) => copyRecords(src, ids, range, out, recordSize, map),
    };
  }

  const levels = feature.levels ?? 256;
  const maxLevel = levels - 1;
  const scale = parsed.scale ?? "unit";
  const binarize = parsed.binarize ?? "none";
  const dequantize = parsed.dequantize ?? false;
  const addNoise = parsed.addNoise;
  const noises = [
    dequantize && "dequantize",
    addNoise !== undefined && "addNoise",
    binarize !== "none" && "binarize",
  ]
    .filter((x) => x !== false);
  if (noises.length > 1) {
    throw new RangeError(`Cannot use ${noises.join(" and ")} together for feature '${name}': choose one`);
  }
  if (parsed.threshold !== undefined && binarize !== "fixed") {
    throw new RangeError(`Cannot use threshold for feature '${name}' without binarize: 'fixed'`);
  }
  const [lo, hi] = scale === "symmetric" ? [-1, 1] : [0, 1];
  const float = {
    ...base,
    dtype: "float32" as const,
    allocate: (n: number) => new Float32Array(n * recordSize),
  };

  // The plain scaling of each level, in float64 (stored to float32 once, after any noise is added).
  const plain = (v: number) =>
    scale === "unit" ? v / maxLevel : scale === "symmetric" ? (2 * v - maxLevel) / maxLevel : v;

  if (dequantize || addNoise !== undefined || binarize === "dynamic") {
    // Dequantize: x = (v·65536 + u16) · a + b, an integer below 2^24 times a power of two when L = 256,
    // so exact. Dynamic binarization: P(u16 · M < v · 65536) = ⌈v · 65536 / M⌉ / 65536 = v / M up to
    // 2^-16; v = M always gives 1, v = 0 never.
    const a = scale === "levels" ? 1 / 65536 : (scale === "symmetric" ? 2 : 1) / (levels * 65536);
    const b = scale === "symmetric" ? -1 : 0;
    const kernel: NoiseKernel = dequantize
      ? { kind: "dequantize", a, b }
      : addNoise !== undefined
      ? { kind: "add", base: Float64Array.from({ length: 256 }, (_, v) => plain(v)), w: addNoise / 65536 }
      : { kind: "binarize", maxLevel, lo, hi };
    return {
      ...float,
      needsNoise: true,
      gather: (src, ids, range, out, rng) =>
        noisyRecords(src as Uint8Array, ids, range, out as Float32Array, {
          size: recordSize,
          map,
          rng: requireRng(rng, name),
          kernel,
        }),
    };
  }
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) {
    if (binarize === "fixed") {
      lut[v] = v / maxLevel > (parsed.threshold ?? 0.5) ? hi : lo;
    } else lut[v] = plain(v);
  }
  return {
    ...float,
    needsNoise: false,
    gather: (src, ids, range, out) =>
      lutRecords(src as Uint8Array, ids, range, out as Float32Array, { size: recordSize, map, lut }),
  };
}

function requireRng(rng: Rng | undefined, name: string): Rng {
  if (rng === undefined) {
    throw new Error(`Cannot transform feature '${name}' without a seeded Rng for its noise`);
  }
  return rng;
}

/** Copies records unchanged (or transposed by `map`). */
function copyRecords(
  src: FeatureArray,
  ids: ArrayLike<number>,
  range: { from: number; to: number; at: number },
  out: FeatureArray,
  size: number,
  map: Int32Array | undefined,
): void {
  let o = range.at * size;
  for (let k = range.from; k < range.to; k++) {
    const s = ids[k]! * size;
    if (map === undefined) {
      (out as Uint8Array).set((src as Uint8Array).subarray(s, s + size), o);
      o += size;
    } else {
      for (let j = 0; j < size; j++) out[o++] = src[s + map[j]!]!;
    }
  }
}

/** Whether this machine stores the low byte of a Uint32 first (the word-at-a-time kernel assumes it). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * The hot path: a 256-entry lookup table per value. When records are whole 32-bit words (size and offset
 * multiples of 4, as 28×28 images are), it loads four values per read: measured ~25 % faster than byte
 * loads (~2.2 GB/s of float32 output on one core here).
 */
function lutRecords(
  src: Uint8Array,
  ids: ArrayLike<number>,
  range: { from: number; to: number; at: number },
  out: Float32Array,
  options: { size: number; map: Int32Array | undefined; lut: Float32Array },
): void {
  const { size, map, lut } = options;
  let o = range.at * size;
  if (map === undefined && LITTLE_ENDIAN && size % 4 === 0 && src.byteOffset % 4 === 0) {
    const words = new Uint32Array(src.buffer, src.byteOffset, src.length >>> 2);
    const size4 = size >>> 2;
    for (let k = range.from; k < range.to; k++) {
      const s = ids[k]! * size4;
      for (let j = 0; j < size4; j++) {
        const w = words[s + j]!;
        out[o] = lut[w & 255]!;
        out[o + 1] = lut[(w >>> 8) & 255]!;
        out[o + 2] = lut[(w >>> 16) & 255]!;
        out[o + 3] = lut[w >>> 24]!;
        o += 4;
      }
    }
    return;
  }
  for (let k = range.from; k < range.to; k++) {
    const s = ids[k]! * size;
    if (map === undefined) {
      for (let j = 0; j < size; j++) out[o + j] = lut[src[s + j]!]!;
    } else {
      for (let j = 0; j < size; j++) out[o + j] = lut[src[s + map[j]!]!]!;
    }
    o += size;
  }
}

type NoiseKernel =
  | { kind: "dequantize"; a: number; b: number }
  | { kind: "add"; base: Float64Array; w: number }
  | { kind: "binarize"; maxLevel: number; lo: number; hi: number };

/**
 * Values that need noise: one 16-bit uniform per value, in output order, taken as the low then the high
 * half of consecutive `rng.uint32()` draws (drawn in bulk with `fillUint32`).
 */
function noisyRecords(
  src: Uint8Array,
  ids: ArrayLike<number>,
  range: { from: number; to: number; at: number },
  out: Float32Array,
  options: { size: number; map: Int32Array | undefined; rng: Rng; kernel: NoiseKernel },
): void {
  const { size, map, rng, kernel } = options;
  const count = (range.to - range.from) * size;
  const draws = new Uint32Array((count + 1) >>> 1);
  rng.fillUint32(draws);
  let o = range.at * size;
  if (map === undefined && size % 2 === 0) {
    // Records of even size use whole draws: read both halves of each draw in place (~40 % faster).
    let n = 0;
    for (let k = range.from; k < range.to; k++) {
      const s = ids[k]! * size;
      if (kernel.kind === "dequantize") {
        const { a, b } = kernel;
        for (let j = 0; j < size; j += 2) {
          const w = draws[n++]!;
          out[o + j] = (src[s + j]! * 65536 + (w & 0xffff)) * a + b;
          out[o + j + 1] = (src[s + j + 1]! * 65536 + (w >>> 16)) * a + b;
        }
      } else if (kernel.kind === "add") {
        const { base, w: width } = kernel;
        for (let j = 0; j < size; j += 2) {
          const w = draws[n++]!;
          out[o + j] = base[src[s + j]!]! + (w & 0xffff) * width;
          out[o + j + 1] = base[src[s + j + 1]!]! + (w >>> 16) * width;
        }
      } else {
        const { maxLevel, lo, hi } = kernel;
        for (let j = 0; j < size; j += 2) {
          const w = draws[n++]!;
          out[o + j] = (w & 0xffff) * maxLevel < src[s + j]! * 65536 ? hi : lo;
          out[o + j + 1] = (w >>> 16) * maxLevel < src[s + j + 1]! * 65536 ? hi : lo;
        }
      }
      o += size;
    }
    return;
  }
  // The general case: the same 16-bit values in the same order, unpacked first.
  const noise = new Uint16Array(draws.length * 2);
  for (let i = 0; i < draws.length; i++) {
    const w = draws[i]!;
    noise[2 * i] = w & 0xffff;
    noise[2 * i + 1] = w >>> 16;
  }
  let n = 0;
  for (let k = range.from; k < range.to; k++) {
    const s = ids[k]! * size;
    for (let j = 0; j < size; j++) {
      const v = src[s + (map === undefined ? j : map[j]!)]!;
      const u = noise[n++]!;
      if (kernel.kind === "dequantize") out[o + j] = (v * 65536 + u) * kernel.a + kernel.b;
      else if (kernel.kind === "add") out[o + j] = kernel.base[v]! + u * kernel.w;
      else out[o + j] = u * kernel.maxLevel < v * 65536 ? kernel.hi : kernel.lo;
    }
    o += size;
  }
}
