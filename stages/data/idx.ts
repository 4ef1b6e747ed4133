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

/** Parses IDX bytes (already decompressed). `file` names the source in errors. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const hex = (n: number) => "0x" + n.toString(16).padStart(8, "0");
  if (bytes.length < 4) {
    throw new DataError(
      file,
      `Cannot parse ${file} as IDX: it has ${bytes.length} bytes, fewer than a header`,
    );
  }
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
  const header = 4 + 4 * rank;
  if (bytes.length < header) {
    throw new DataError(file, `Cannot parse ${file} as IDX: the file ends inside its header (truncated)`);
  }
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - header;
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
  return { dims, data: bytes.subarray(header) };
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
  const [imageFile, labelFile]: SourceBytes[] = await Promise.all([
    readSourceFile(paths.images, options),
    readSourceFile(paths.labels, options),
  ]);
  const images = parseIdx(imageFile!.data, paths.images);
  const labels = parseIdx(labelFile!.data, paths.labels);
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
