/**
 * `data.image-folder`: a folder of PNG images, torchvision ImageFolder style.
 *
 * - `dir/<class>/*.png`: labelled; labels are the class folder names in sorted (code point) order.
 * - `dir/*.png`: unlabelled (no `label` feature).
 *
 * Test data comes from `testDir` (same layout, same classes or a subset) or, without it, from a
 * stratified seeded split of `dir`. All images must have one size; channels are unified (gray, RGB)
 * as the `channels` param says; alpha is dropped. The output also holds `sources.tsv`: one line per
 * image (`path`, `bytes`, `sha256`), and each record's `index` is its line number there.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../../engine/stage.ts";
import { sha256Hex } from "../_hash.ts";
import { DataError } from "../data_error.ts";
import { gatherRecords, stratifiedSplit } from "./_split.ts";
import { type ImageSplit, recordsPerShardParam, writeImageDataset } from "./_image_dataset.ts";

/** The params of `data.image-folder`. */
export const imageFolderParams = z.object({
  dir: z.string().min(1).describe("folder of PNGs, or of class folders of PNGs"),
  testDir: z.string().min(1).optional().describe("test images (same layout); default: split dir"),
  testFraction: z.number().gt(0).lt(1).default(0.2).describe(
    "share of each class put in test (without testDir)",
  ),
  splitSeed: z.number().int().nonnegative().default(0).describe("seed of the split (without testDir)"),
  channels: z.union([z.literal("auto"), z.literal(1), z.literal(3)]).default("auto")
    .describe("auto: the images' own (all must agree); 1: convert to gray (BT.601); 3: convert to RGB"),
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/).default("image-folder").describe(
    "dataset name in the manifest",
  ),
  license: z.string().default("unknown: set the license param").describe("license of the images"),
  recordsPerShard: recordsPerShardParam,
}).strict();

/**
 * The folders `data.image-folder` reads, whose contents (every file under them) are part of its cache
 * key (externalFiles).
 */
export function imageFolderFiles(p: { dir: string; testDir?: string | undefined }): string[] {
  return p.testDir === undefined ? [p.dir] : [p.dir, p.testDir];
}

/** One image file found in a folder. */
interface FoundImage {
  /** Path relative to the scanned folder. */
  relative: string;
  path: string;
  /** Class name, or undefined when unlabelled. */
  className: string | undefined;
}

/** Lists `dir`'s PNGs (directly, or one level down in class folders), sorted. */
async function scanFolder(dir: string, param: string): Promise<{ images: FoundImage[]; skipped: number }> {
  const files: string[] = [];
  const folders: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.startsWith(".")) continue;
      if (entry.isDirectory) folders.push(entry.name);
      else if (entry.isFile) files.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(
        dir,
        `Cannot read image folder ${dir}: it does not exist. Check the param \`${param}\``,
      );
    }
    if (error instanceof Deno.errors.NotADirectory) {
      throw new DataError(
        dir,
        `Cannot read image folder ${dir}: it is a file, not a folder. Point the param \`${param}\` at the ` +
          `folder that holds the PNG files (or their class folders)`,
      );
    }
    throw error;
  }
  const isPng = (name: string) => name.toLowerCase().endsWith(".png");
  const topPngs = files.filter(isPng).sort();
  if (topPngs.length > 0 && folders.length > 0) {
    throw new DataError(
      dir,
      `Cannot read image folder ${dir}: it holds both PNG files (${topPngs[0]}, …) and folders (${
        folders.sort()[0]
      }, …). ` +
        `Put every image in a class folder (labelled) or none (unlabelled)`,
    );
  }
  let skipped = files.length - topPngs.length;
  if (folders.length === 0) {
    return {
      images: topPngs.map((f) => ({ relative: f, path: `${dir}/${f}`, className: undefined })),
      skipped,
    };
  }
  const images: FoundImage[] = [];
  for (const className of folders.sort()) {
    const names: string[] = [];
    for await (const entry of Deno.readDir(`${dir}/${className}`)) {
      if (entry.isFile && !entry.name.startsWith(".") && isPng(entry.name)) names.push(entry.name);
      else skipped++;
    }
    for (const name of names.sort()) {
      images.push({ relative: `${className}/${name}`, path: `${dir}/${className}/${name}`, className });
    }
  }
  return { images, skipped };
}

/** A decoded image as 8-bit values with `channels` interleaved values per pixel. */
interface Pixels {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

type PngModule = typeof import("fast-png");

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Formats that are often saved under a .png name, by their first bytes. */
const OTHER_FORMATS: [string, number[]][] = [
  ["a JPEG image", [0xff, 0xd8, 0xff]],
  ["a GIF image", [0x47, 0x49, 0x46, 0x38]],
  ["a BMP image", [0x42, 0x4d]],
  ["a TIFF image", [0x49, 0x49, 0x2a, 0x00]],
  ["a TIFF image", [0x4d, 0x4d, 0x00, 0x2a]],
  ["a WebP image", [0x52, 0x49, 0x46, 0x46]],
  ["gzip data", [0x1f, 0x8b]],
  ["a zip archive", [0x50, 0x4b, 0x03, 0x04]],
];

const startsWith = (bytes: Uint8Array, prefix: number[]) => prefix.every((b, i) => bytes[i] === b);

/**
 * Why `bytes` are not a decodable PNG, in words a user can act on: not a PNG at all (and what it is),
 * cut short (and where), or damaged inside (the decoder's message).
 */
function pngProblem(bytes: Uint8Array, decoderMessage: string): string {
  if (bytes.length === 0) return "the file is empty";
  if (!startsWith(bytes, PNG_SIGNATURE)) {
    const other = OTHER_FORMATS.find(([, magic]) => startsWith(bytes, magic))?.[0];
    const text = bytes.subarray(0, 64).every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
    const what = other ?? (text ? "text" : "not an image format this reader knows");
    return `it is not a PNG file: its content is ${what}, whatever its name. Convert it to PNG or remove it`;
  }
  // Walk the chunks (length, type, data, CRC) to tell a file cut short from one damaged inside.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let last = "the signature";
  while (at + 8 <= bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + length > bytes.length) break;
    if (type === "IEND") {
      return `its image data is damaged (the decoder says: ${decoderMessage}). Replace the file with a good copy`;
    }
    last = `the ${type} chunk`;
    at += 12 + length;
  }
  return `the file is cut short: it ends after ${last}, at byte ${bytes.length}, before the PNG's end ` +
    `(IEND). Copy or download it again`;
}

/** Decodes a PNG to 8-bit gray or RGB (alpha dropped, palettes expanded, 16-bit rounded to 8). */
function decodePng(png: PngModule, bytes: Uint8Array, path: string): Pixels {
  let decoded;
  try {
    decoded = png.decode(bytes);
  } catch (error) {
    throw new DataError(path, `Cannot decode PNG ${path}: ${pngProblem(bytes, (error as Error).message)}`, {
      cause: error,
    });
  }
  const { width, height } = decoded;
  let data: ArrayLike<number> = decoded.data;
  let channels = decoded.channels;
  let depth: number = decoded.depth;
  if (decoded.palette !== undefined) {
    data = png.convertIndexedToRgb(decoded);
    channels = data.length / (width * height);
    depth = 8;
  }
  if ((depth !== 8 && depth !== 16) || data.length !== width * height * channels) {
    throw new DataError(
      path,
      `Cannot use PNG ${path}: bit depth ${depth} is not supported; save it as 8-bit`,
    );
  }
  const color = channels >= 3 ? 3 : 1; // channels 2 and 4 carry alpha, which is dropped
  const out = new Uint8Array(width * height * color);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < color; c++) {
      const v = data[p * channels + c]!;
      out[p * color + c] = depth === 16 ? Math.round(v / 257) : v;
    }
  }
  return { width, height, channels: color, data: out };
}

/** Converts pixels to `channels` (PIL's "L" rounding for RGB → gray, replication for gray → RGB). */
function convertChannels(pixels: Pixels, channels: 1 | 3): Uint8Array {
  if (pixels.channels === channels) return pixels.data;
  const n = pixels.width * pixels.height;
  const out = new Uint8Array(n * channels);
  const d = pixels.data;
  for (let p = 0; p < n; p++) {
    if (channels === 1) {
      out[p] = (d[3 * p]! * 19595 + d[3 * p + 1]! * 38470 + d[3 * p + 2]! * 7471 + 0x8000) >>> 16;
    } else {
      out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = d[p]!;
    }
  }
  return out;
}

/** `data.image-folder` stage kind. */
export const imageFolderStage = defineStage({
  kind: "data.image-folder",
  module: import.meta.url,
  description: "A folder of PNG images (optionally in class folders) as image shards",
  params: imageFolderParams,
  externalFiles: imageFolderFiles,
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const png = await import("fast-png");
    const scans = [{ dir: p.dir, param: "dir", origin: "train" }];
    if (p.testDir !== undefined) scans.push({ dir: p.testDir, param: "testDir", origin: "test" });
    const found = await Promise.all(scans.map((s) => scanFolder(s.dir, s.param)));
    for (const [i, f] of found.entries()) {
      if (f.images.length === 0) {
        throw new DataError(
          scans[i]!.dir,
          `Cannot read image folder ${scans[i]!.dir}: it holds no PNG images`,
        );
      }
      if (f.skipped > 0) ctx.log(`${scans[i]!.dir}: skipped ${f.skipped} entries that are not PNG files`);
    }
    const labelled = found[0]!.images[0]!.className !== undefined;
    if (found.some((f) => (f.images[0]!.className !== undefined) !== labelled)) {
      throw new DataError(
        p.testDir!,
        `Cannot pair ${p.dir} and ${p.testDir}: one has class folders and the other not`,
      );
    }
    const classes = labelled ? [...new Set(found[0]!.images.map((im) => im.className!))] : undefined;
    const testOnly = found[1]?.images.find((im) => !classes?.includes(im.className!));
    if (labelled && testOnly !== undefined) {
      throw new DataError(
        testOnly.path,
        `Cannot label ${testOnly.path}: its class folder '${testOnly.className}' does not exist in ${p.dir}`,
      );
    }

    // Decode everything, checking one size and channel count for all.
    const all = found.flatMap((f, i) => f.images.map((im) => ({ ...im, origin: scans[i]!.origin })));
    let first: { path: string; width: number; height: number; channels: number } | undefined;
    const decoded: Uint8Array[] = [];
    const listing: string[] = [];
    for (const [k, im] of all.entries()) {
      if (k % 256 === 0) {
        ctx.signal.throwIfAborted();
        ctx.progress({ done: k, total: all.length, text: "images decoded" });
      }
      const bytes = await Deno.readFile(im.path);
      listing.push(`${im.origin}/${im.relative}\t${bytes.length}\t${sha256Hex(bytes)}`);
      const pixels = decodePng(png, bytes, im.path);
      first ??= { path: im.path, ...pixels };
      if (pixels.width !== first.width || pixels.height !== first.height) {
        throw new DataError(
          im.path,
          `Cannot use ${im.path}: it is ${pixels.width}×${pixels.height} but ${first.path} is ` +
            `${first.width}×${first.height}; all images must have one size. Resize or remove it`,
        );
      }
      if (p.channels === "auto" && pixels.channels !== first.channels) {
        throw new DataError(
          im.path,
          `Cannot use ${im.path}: it has ${pixels.channels} color channel(s) but ${first.path} has ` +
            `${first.channels}. Set the param channels to 1 (gray) or 3 (RGB) to convert them`,
        );
      }
      decoded.push(convertChannels(pixels, p.channels === "auto" ? (first.channels as 1 | 3) : p.channels));
    }
    const channels = p.channels === "auto" ? first!.channels : p.channels;
    const size = first!.width * first!.height * channels;
    const images = new Uint8Array(all.length * size);
    decoded.forEach((d, i) => images.set(d, i * size));
    const labels = classes === undefined
      ? undefined
      : Int32Array.from(all, (im) => classes.indexOf(im.className!));

    const part = (ids: Int32Array, definition: Record<string, unknown>): ImageSplit => ({
      count: ids.length,
      images: gatherRecords(images, size, ids),
      ...(labels === undefined ? {} : { labels: gatherRecords(labels, 1, ids) }),
      index: ids,
      definition,
    });
    let splits: Record<string, ImageSplit>;
    if (p.testDir === undefined) {
      const split = stratifiedSplit(all.length, labels, {
        testFraction: p.testFraction,
        seed: p.splitSeed,
        source: p.dir,
      });
      splits = { train: part(split.train, split.definition), test: part(split.test, split.definition) };
    } else {
      const nTrain = found[0]!.images.length;
      const range = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i);
      splits = {
        train: part(range(0, nTrain), { method: "given folder", param: "dir" }),
        test: part(range(nTrain, all.length), { method: "given folder", param: "testDir" }),
      };
    }
    const listingBytes = new TextEncoder().encode(listing.join("\n") + "\n");
    await writeImageDataset(ctx, {
      name: p.name,
      description: `${first!.width}×${first!.height} ${channels === 1 ? "grayscale" : "RGB"} PNG images` +
        (classes === undefined ? "" : ` in ${classes.length} classes`),
      source: {
        kind: "data.image-folder",
        origin: "a folder of PNG images",
        listing: {
          file: "sources.tsv",
          sha256: sha256Hex(listingBytes),
          columns: ["path", "bytes", "sha256"],
        },
      },
      license: p.license,
      shape: [first!.height, first!.width, channels],
      levels: 256,
      ...(classes === undefined ? {} : { classes }),
      indexDescription: "line of the image in sources.tsv (0-based)",
      splits,
      extraFiles: { "sources.tsv": listingBytes },
    });
  },
});
