/**
 * What image sources share: their features (image, label, index), their params, and writing them.
 *
 * @module
 */
import { z } from "zod";
import type { FeatureSpec, Manifest } from "../manifest.ts";
import { writeShards } from "../shard_writer.ts";
import type { StageContext } from "../../../engine/stage.ts";

/** The shard-size param every data stage takes. */
export const recordsPerShardParam = z.number().int().min(1).max(1_000_000).default(10_000)
  .describe("maximum records per shard file");

/** One split of an image dataset, records in the order to store. */
export interface ImageSplit {
  count: number;
  /** count × H × W × C levels. */
  images: Uint8Array;
  /** Class ids, when the data is labelled. */
  labels?: Int32Array;
  /** Position of each record in the source, to trace a record back to its origin. */
  index: Int32Array;
  definition: Record<string, unknown>;
}

/** The dataset-level description of an image dataset. */
export interface ImageDataset {
  name: string;
  description: string;
  source: Manifest["source"];
  license: string;
  /** [H, W, C]. */
  shape: [number, number, number];
  /** Number of levels of a pixel (256 for 8-bit). */
  levels: number;
  /** Class names by label (omit for unlabelled data). */
  classes?: string[];
  indexDescription: string;
  notes?: string[];
  splits: Record<string, ImageSplit>;
  /** Other files of the shard set, e.g. a listing of the source files. */
  extraFiles?: Record<string, Uint8Array>;
}

/** Writes an image dataset's splits as shards into the stage's output folder. */
export async function writeImageDataset(
  ctx: Pick<StageContext<{ recordsPerShard: number }>, "outDir" | "params" | "progress">,
  dataset: ImageDataset,
): Promise<Manifest> {
  const { splits, extraFiles } = dataset;
  const [h, w, c] = dataset.shape;
  const features: Record<string, FeatureSpec> = {
    image: {
      dtype: "uint8",
      shape: dataset.shape,
      description: `${h}×${w} ${
        c === 1 ? "grayscale" : c === 3 ? "RGB" : `${c}-channel`
      } image, row-major H×W×C`,
      levels: dataset.levels,
      layout: "hwc",
    },
  };
  if (dataset.classes !== undefined) {
    features.label = { dtype: "int32", shape: [], description: "class id", classes: dataset.classes };
  }
  features.index = { dtype: "int32", shape: [], description: dataset.indexDescription };
  return await writeShards(ctx.outDir, {
    name: dataset.name,
    description: dataset.description,
    source: dataset.source,
    license: dataset.license,
    params: ctx.params,
    features,
    input: "image",
    ...(dataset.classes === undefined ? {} : { target: "label" }),
    ...(dataset.notes === undefined ? {} : { notes: dataset.notes }),
    splits: Object.fromEntries(
      Object.entries(splits).map(([name, s]) => [name, {
        count: s.count,
        columns: { image: s.images, ...(s.labels === undefined ? {} : { label: s.labels }), index: s.index },
        definition: s.definition,
      }]),
    ),
  }, {
    recordsPerShard: ctx.params.recordsPerShard,
    onProgress: (done, total) => ctx.progress({ done, total, text: "shards written" }),
    ...(extraFiles === undefined ? {} : { extraFiles }),
  });
}
