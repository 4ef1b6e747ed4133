/**
 * `data.sklearn-digits`: scikit-learn's 8×8 handwritten digits (1,797 images, pixels 0..16, 10 classes),
 * from the csv.gz that the Debian package python3-sklearn ships, split by a stratified seeded
 * permutation.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../../engine/stage.ts";
import { readSourceFile } from "../_source_file.ts";
import { DataError } from "../data_error.ts";
import { gatherRecords, stratifiedSplit } from "./_split.ts";
import { recordsPerShardParam, writeImageDataset } from "./_image_dataset.ts";

/** Where `apt-get install python3-sklearn` puts the file. */
export const DEBIAN_SKLEARN_DIGITS = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";

/** The params of `data.sklearn-digits`. */
export const sklearnDigitsParams = z.object({
  path: z.string().min(1).default(DEBIAN_SKLEARN_DIGITS).describe(
    "digits.csv.gz: 64 pixels (0..16) then the label",
  ),
  testFraction: z.number().gt(0).lt(1).default(0.2).describe("share of each digit's records put in test"),
  splitSeed: z.number().int().nonnegative().default(0).describe("seed of the split's permutation"),
  recordsPerShard: recordsPerShardParam,
}).strict();

const MISSING_HINT =
  "Install it with `apt-get install python3-sklearn`, or set the param `path` to a copy of " +
  "scikit-learn's sklearn/datasets/data/digits.csv.gz";

/** The file `data.sklearn-digits` reads, whose content is part of its cache key (externalFiles). */
export function sklearnDigitsFiles(params: { path: string }): string[] {
  try {
    Deno.statSync(params.path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    // The error `run` would give, with its install hint.
    throw new DataError(params.path, `Cannot read ${params.path}: the file does not exist. ${MISSING_HINT}`);
  }
  return [params.path];
}

/** Parses the csv: one image per line, 64 integers 0..16 then the label 0..9. */
export function parseDigitsCsv(
  text: string,
  path: string,
): { images: Uint8Array; labels: Int32Array; count: number } {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const images = new Uint8Array(lines.length * 64);
  const labels = new Int32Array(lines.length);
  for (const [i, line] of lines.entries()) {
    const values = line.split(",").map((v) => Number(v));
    const bad = values.findIndex((v, j) => !Number.isInteger(v) || v < 0 || v > (j === 64 ? 9 : 16));
    if (values.length !== 65 || bad >= 0) {
      throw new DataError(
        path,
        `Cannot parse line ${i + 1} of ${path}: expected 64 integers 0..16 and a label 0..9, got ` +
          (values.length !== 65
            ? `${values.length} values`
            : `'${line.split(",")[bad]}' in column ${bad + 1}`) +
          `. Reinstall python3-sklearn or point the param path at an intact digits.csv.gz`,
      );
    }
    images.set(values.slice(0, 64), i * 64);
    labels[i] = values[64]!;
  }
  return { images, labels, count: lines.length };
}

/** `data.sklearn-digits` stage kind. */
export const sklearnDigitsStage = defineStage({
  kind: "data.sklearn-digits",
  module: import.meta.url,
  description: "scikit-learn's 8×8 digits (1,797 images, 17 gray levels), stratified seeded split",
  params: sklearnDigitsParams,
  externalFiles: sklearnDigitsFiles,
  inputs: [],
  async run(ctx) {
    const { path } = ctx.params;
    const file = await readSourceFile(path, { missingHint: MISSING_HINT });
    const { images, labels, count } = parseDigitsCsv(new TextDecoder().decode(file.data), path);
    const split = stratifiedSplit(count, labels, {
      testFraction: ctx.params.testFraction,
      seed: ctx.params.splitSeed,
      source: path,
    });
    const part = (ids: Int32Array) => ({
      count: ids.length,
      images: gatherRecords(images, 64, ids),
      labels: gatherRecords(labels, 1, ids),
      index: ids,
      definition: split.definition,
    });
    await writeImageDataset(ctx, {
      name: "sklearn-digits",
      description: "Optical recognition of handwritten digits (UCI), 8×8 images of 17 gray levels (0..16)",
      source: {
        kind: "data.sklearn-digits",
        origin:
          "scikit-learn's digits.csv.gz (Debian python3-sklearn): the UCI test set by E. Alpaydin, 1998",
        files: [file.entry],
      },
      license:
        "UCI Optical Recognition of Handwritten Digits: CC BY 4.0; shipped with scikit-learn (BSD-3-Clause)",
      shape: [8, 8, 1],
      levels: 17,
      classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
      indexDescription: "line of the image in digits.csv.gz (0-based)",
      notes: ["Pixels take 17 levels (0..16): scaling divides by 16, dequantization noise spans 1/17."],
      splits: { train: part(split.train), test: part(split.test) },
    });
  },
});
