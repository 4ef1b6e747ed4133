/**
 * `data.idx`: any MNIST-format dataset from four IDX files (gzip-compressed or not), e.g. a user's own
 * download of the original MNIST (train-images-idx3-ubyte.gz, …) with its official 60k/10k split.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../../engine/stage.ts";
import { readIdxImages } from "../idx.ts";
import { recordsPerShardParam, writeImageDataset } from "./_image_dataset.ts";

/** The params of `data.idx`. */
export const idxParams = z.object({
  trainImages: z.string().min(1).describe("path of the training images file (IDX, magic 0x00000803)"),
  trainLabels: z.string().min(1).describe("path of the training labels file (IDX, magic 0x00000801)"),
  testImages: z.string().min(1).describe("path of the test images file"),
  testLabels: z.string().min(1).describe("path of the test labels file"),
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/).default("idx").describe("dataset name in the manifest"),
  classes: z.array(z.string()).min(2).optional().describe("class names by label (default: the label values)"),
  license: z.string().default("unknown: set the license param").describe(
    "license of the data, for the manifest",
  ),
  recordsPerShard: recordsPerShardParam,
}).strict();

/** The files `data.idx` reads, whose contents are part of its cache key (externalFiles). */
export function idxFiles(
  p: { trainImages: string; trainLabels: string; testImages: string; testLabels: string },
) {
  return [p.trainImages, p.trainLabels, p.testImages, p.testLabels];
}

/** `data.idx` stage kind. */
export const idxStage = defineStage({
  kind: "data.idx",
  module: import.meta.url,
  description: "An MNIST-format dataset from four IDX files (train/test images and labels)",
  params: idxParams,
  externalFiles: idxFiles,
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const missingHint = "Check the params trainImages, trainLabels, testImages and testLabels";
    const [train, test] = await Promise.all([
      readIdxImages({ images: p.trainImages, labels: p.trainLabels }, { missingHint }),
      readIdxImages({ images: p.testImages, labels: p.testLabels }, { missingHint }),
    ]);
    if (train.shape.join() !== test.shape.join()) {
      throw new Error(
        `Cannot combine ${p.trainImages} (${
          train.shape.slice(0, 2).join("×")
        } images) with ${p.testImages} ` +
          `(${test.shape.slice(0, 2).join("×")}): train and test images must have one size`,
      );
    }
    let maxLabel = 0;
    for (const labels of [train.labels, test.labels]) {
      for (const v of labels) maxLabel = Math.max(maxLabel, v);
    }
    const classes = p.classes ?? Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
    if (maxLabel >= classes.length) {
      throw new Error(
        `Cannot name the classes of ${p.trainLabels}/${p.testLabels}: label ${maxLabel} occurs but the param ` +
          `classes lists ${classes.length} names; list one name per label value`,
      );
    }
    const part = (d: typeof train) => ({
      count: d.count,
      images: d.images,
      labels: d.labels,
      index: Int32Array.from({ length: d.count }, (_, i) => i),
      definition: { method: "given files", files: d.files.map((f) => f.name) },
    });
    await writeImageDataset(ctx, {
      name: p.name,
      description: `${train.shape[0]}×${train.shape[1]} grayscale images from IDX files`,
      source: { kind: "data.idx", origin: "user-supplied IDX files", files: [...train.files, ...test.files] },
      license: p.license,
      shape: train.shape,
      levels: 256,
      classes,
      indexDescription: "position in the split's IDX file",
      splits: { train: part(train), test: part(test) },
    });
  },
});
