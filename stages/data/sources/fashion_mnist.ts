/**
 * `data.fashion-mnist`: Fashion-MNIST's official 60,000/10,000 split from its IDX files, by default
 * where the Debian package `dataset-fashion-mnist` installs them.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../../engine/stage.ts";
import { DataError } from "../data_error.ts";
import { readIdxImages } from "../idx.ts";
import { recordsPerShardParam, writeImageDataset } from "./_image_dataset.ts";

/** Where `apt-get install dataset-fashion-mnist` puts the files. */
export const DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/** Class names by label, from the dataset's README. */
export const FASHION_MNIST_CLASSES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

/** The params of `data.fashion-mnist`. */
export const fashionMnistParams = z.object({
  dir: z.string().min(1).default(DEBIAN_FASHION_MNIST_DIR)
    .describe("folder holding {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]"),
  recordsPerShard: recordsPerShardParam,
}).strict();

/** The four IDX files, without their .gz suffix. */
const FILES = [
  "train-images-idx3-ubyte",
  "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
];

const MISSING_HINT = `Install the files with \`apt-get install dataset-fashion-mnist\` (they go to ` +
  `${DEBIAN_FASHION_MNIST_DIR}), or set the param \`dir\` to a folder holding train-images-idx3-ubyte.gz, ` +
  `train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz`;

function missingFiles(dir: string, missing: string[]): DataError {
  return new DataError(
    dir,
    `Cannot find Fashion-MNIST in ${dir}: ${missing.join(", ")} ${
      missing.length === 1 ? "is" : "are"
    } missing. ` +
      MISSING_HINT,
  );
}

/**
 * The files `data.fashion-mnist` reads, whose contents are part of its cache key (externalFiles): the
 * four IDX files in `dir`, each the .gz name if present, else the uncompressed one (as `run` picks).
 */
export function fashionMnistFiles(params: { dir: string }): string[] {
  const exists = (path: string) => {
    try {
      return (Deno.statSync(path), true);
    } catch {
      return false;
    }
  };
  const paths = FILES.map((base) => [`${params.dir}/${base}.gz`, `${params.dir}/${base}`].find(exists));
  const missing = FILES.filter((_, i) => paths[i] === undefined).map((base) => `${base}.gz`);
  if (missing.length > 0) throw missingFiles(params.dir, missing);
  return paths as string[];
}

/** The path of one of the four files in `dir`: the .gz name if present, else the uncompressed one. */
async function locate(dir: string, base: string): Promise<string | undefined> {
  for (const name of [`${base}.gz`, base]) {
    try {
      await Deno.stat(`${dir}/${name}`);
      return `${dir}/${name}`;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return undefined;
}

/** The size of a Fashion-MNIST image in the official files, [H, W, C]; the stage reads it from them. */
export const FASHION_MNIST_IMAGE_SHAPE: readonly [number, number, number] = [28, 28, 1];

/** `data.fashion-mnist` stage kind. */
export const fashionMnistStage = defineStage({
  kind: "data.fashion-mnist",
  module: import.meta.url,
  description: "Fashion-MNIST (Zalando), official 60k/10k split, from IDX files",
  params: fashionMnistParams,
  externalFiles: fashionMnistFiles,
  inputs: [],
  async run(ctx) {
    const { dir } = ctx.params;
    const missingHint = MISSING_HINT;
    const paths = await Promise.all(FILES.map((base) => locate(dir, base)));
    const missing = FILES.filter((_, i) => paths[i] === undefined).map((base) => `${base}.gz`);
    if (missing.length > 0) throw missingFiles(dir, missing);
    ctx.progress({ done: 0, total: 2, text: "reading IDX files" });
    const [train, test] = await Promise.all([
      readIdxImages({ images: paths[0]!, labels: paths[1]! }, { missingHint }),
      readIdxImages({ images: paths[2]!, labels: paths[3]! }, { missingHint }),
    ]);
    if (train!.shape.join() !== test!.shape.join()) {
      throw new Error(
        `Cannot combine Fashion-MNIST splits of different image sizes: ${train!.shape} and ${test!.shape}`,
      );
    }
    ctx.log(`fashion-mnist: ${train!.count} train, ${test!.count} test images from ${dir}`);
    const part = (d: typeof train) => ({
      count: d!.count,
      images: d!.images,
      labels: d!.labels,
      index: Int32Array.from({ length: d!.count }, (_, i) => i),
      definition: { method: "official", files: d!.files.map((f) => f.name) },
    });
    await writeImageDataset(ctx, {
      name: "fashion-mnist",
      description: "Fashion-MNIST: 28×28 grayscale images of 10 clothing classes (Zalando Research)",
      source: {
        kind: "data.fashion-mnist",
        origin:
          "IDX files of github.com/zalandoresearch/fashion-mnist (Debian package dataset-fashion-mnist)",
        files: [...train!.files, ...test!.files],
      },
      license: "MIT (Zalando SE)",
      shape: train!.shape,
      levels: 256,
      classes: FASHION_MNIST_CLASSES,
      indexDescription: "position in the official IDX file of the split",
      splits: { train: part(train), test: part(test) },
    });
  },
});
