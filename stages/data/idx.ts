/**
 * The IDX format of MNIST and Fashion-MNIST: a 4-byte magic number (0, 0, type, number of dimensions),
 * the dimensions as big-endian uint32, then the values. Only unsigned bytes (type 0x08) are used by
 * image datasets, so only those are read.
 *
 * @module
 */
import { DataError } from "./data_error.ts";
import { readSourceFile, type SourceBytes } from "./_source_file.ts";
import type { SourceFile } from "./manifest.ts";

/** A parsed IDX array of unsigned bytes. */
export interface IdxArray {
  dims: number[];
  /** The values (a view on the file's bytes). */
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = {
  0x08: "unsigned byte",
  0x09: "signed byte",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};

/** What an IDX file is read as: images have 3 dimensions (count × height × width), labels 1. */
export type IdxRole = "images" | "labels";

const ROLE_MAGIC: Record<IdxRole, number> = { images: 0x00000803, labels: 0x00000801 };

/**
 * The largest IDX file this reader accepts (4 GiB of values, over 5 million 28×28 images): more does not
 * fit one array, and a header that claims more is damaged or not IDX.
 */
export const MAX_IDX_BYTES = 2 ** 32;

const hex = (n: number) => "0x" + n.toString(16).padStart(8, "0");

/**
 * Checks the header at the start of `bytes` (which may hold only the first bytes of the file) and
 * returns the dims and the file's total size, or null while the header is not complete. Throws a
 * DataError for a wrong magic number, a role mismatch (`as`), or a size no file can have.
 */
export function idxHeader(
  bytes: Uint8Array,
  file: string,
  as?: IdxRole,
): { dims: number[]; headerBytes: number; totalBytes: number } | null {
  if (bytes.length < 4) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = bytes[2]!;
  const rank = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || !(type in TYPE_NAMES) || rank === 0) {
    throw new DataError(
      file,
      `Cannot parse ${file} as IDX: its magic number is ${hex(magic)}, expected 0x00000801 (labels) or ` +
        `0x00000803 (images). Check that it is an MNIST-format file (images-idx3 / labels-idx1)`,
    );
  }
  if (type !== 0x08) {
    throw new DataError(
      file,
      `Cannot read ${file}: its IDX values are ${TYPE_NAMES[type]} (magic ${hex(magic)}); only unsigned ` +
        `bytes (0x08) are supported, as in MNIST-format image and label files`,
    );
  }
  if (as !== undefined && magic !== ROLE_MAGIC[as]) {
    const other: IdxRole = as === "images" ? "labels" : "images";
    const what = magic === ROLE_MAGIC[other] ? `, the ${other} format` : ` (${rank} dimensions)`;
    throw new DataError(
      file,
      `Cannot use ${file} as ${as}: its magic number is ${hex(magic)}${what}, expected ` +
        `${hex(ROLE_MAGIC[as])} (${as === "images" ? "count × height × width" : "one label per image"}). ` +
        `Did you swap the images and labels paths?`,
    );
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) return null;
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const values = dims.reduce((a, b) => a * b, 1);
  if (values > MAX_IDX_BYTES) {
    throw new DataError(
      file,
      `Cannot read ${file}: its header declares ${dims.join("×")} = ${values.toExponential(3)} values ` +
        `(${formatBytes(values)}), more than the ${formatBytes(MAX_IDX_BYTES)} an IDX file may hold here, ` +
        `so the header is damaged or the file is not IDX. Download or install the file again`,
    );
  }
  return { dims, headerBytes, totalBytes: headerBytes + values };
}

function formatBytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toPrecision(3)} GB` : `${(n / 1e6).toPrecision(3)} MB`;
}

/** Parses IDX bytes (already decompressed). `file` names the source in errors; `as` checks its role. */
export function parseIdx(bytes: Uint8Array, file: string, as?: IdxRole): IdxArray {
  if (bytes.length < 4) {
    throw new DataError(
      file,
      `Cannot parse ${file} as IDX: it has ${bytes.length} bytes, fewer than a header`,
    );
  }
  const header = idxHeader(bytes, file, as);
  if (header === null) {
    throw new DataError(file, `Cannot parse ${file} as IDX: the file ends inside its header (truncated)`);
  }
  const { dims, headerBytes } = header;
  const expected = header.totalBytes - headerBytes;
  const actual = bytes.length - headerBytes;
  if (actual !== expected) {
    throw new DataError(
      file,
      `Cannot read ${file}: its header declares ${
        dims.join("×")
      } = ${expected} values but it holds ${actual}` +
        (actual < expected ? " (the file is truncated)" : " (extra bytes follow the data)") +
        `. Download or install the file again`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/**
 * Reads an IDX file (gzip-compressed or not) as `as`. Its header is checked from the first decompressed
 * bytes, and decompression stops at the size the header declares: a damaged header or a gzip bomb never
 * inflates more than that.
 */
export async function readIdxFile(
  path: string,
  as: IdxRole,
  options: ReadIdxImagesOptions,
): Promise<SourceBytes> {
  return await readSourceFile(path, {
    ...options,
    sizeFromHead: (head) => idxHeader(head, path, as)?.totalBytes ?? null,
  });
}

/** A pair of IDX files: images [N, H, W] and labels [N]. */
export interface IdxImages {
  count: number;
  /** [H, W, 1]. */
  shape: [number, number, number];
  /** N × H × W levels. */
  images: Uint8Array;
  labels: Int32Array;
  /** Manifest entries of the two files. */
  files: [SourceFile, SourceFile];
}

/** Options of {@linkcode readIdxImages}. */
export interface ReadIdxImagesOptions {
  /** Appended to the message when a file is missing: how to get it. */
  missingHint: string;
}

/** Reads an images file and a labels file (each gzip-compressed or not) and checks that they match. */
export async function readIdxImages(
  paths: { images: string; labels: string },
  options: ReadIdxImagesOptions,
): Promise<IdxImages> {
  // Both are read at once; the images file's problem is told first, whichever failed first.
  const settled = await Promise.allSettled([
    readIdxFile(paths.images, "images", options),
    readIdxFile(paths.labels, "labels", options),
  ]);
  const roles = [[paths.images, "images"], [paths.labels, "labels"]] as const;
  const [[imageFile, images], [labelFile, labels]] = settled.map((r, i) => {
    if (r.status === "rejected") throw r.reason;
    return [r.value, parseIdx(r.value.data, roles[i]![0], roles[i]![1])] as const;
  }) as [readonly [SourceBytes, IdxArray], readonly [SourceBytes, IdxArray]];
  if (images.dims.length !== 3) {
    throw new DataError(
      paths.images,
      `Cannot use ${paths.images} as images: it has ${images.dims.length} dimensions (${
        images.dims.join("×")
      }), ` +
        `expected 3 (count × height × width). Did you swap the images and labels paths?`,
    );
  }
  if (labels.dims.length !== 1) {
    throw new DataError(
      paths.labels,
      `Cannot use ${paths.labels} as labels: it has ${labels.dims.length} dimensions (${
        labels.dims.join("×")
      }), ` +
        `expected 1. Did you swap the images and labels paths?`,
    );
  }
  const [count, h, w] = images.dims as [number, number, number];
  if (count === 0 || h === 0 || w === 0) {
    throw new DataError(
      paths.images,
      `Cannot use ${paths.images}: its header declares ${images.dims.join("×")}, so it holds no images. ` +
        `Download or install the file again, or point the params at the right file`,
    );
  }
  if (labels.dims[0] !== count) {
    throw new DataError(
      paths.labels,
      `Cannot pair ${paths.images} (${count} images) with ${paths.labels} (${labels.dims[0]} labels): ` +
        `the counts differ. Use the labels file that belongs to these images`,
    );
  }
  return {
    count,
    shape: [h, w, 1],
    images: images.data,
    labels: Int32Array.from(labels.data),
    files: [imageFile!.entry, labelFile!.entry],
  };
}
