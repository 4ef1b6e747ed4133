/**
 * Datasets as TFRecord-style Arrow shards: the data stage kinds, the shard writer and reader, the
 * batch iterator with its transforms, and the seeded randomness they share.
 *
 * A training stage reads the output folder of a data stage:
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { openShards } from "../data/mod.ts";
 * import { writeTinyDataset } from "./_test_util.ts";
 *
 * const dir = await Deno.makeTempDir(); // stands for ctx.inputs.data: here 10 tiny 2×3 images
 * await writeTinyDataset(dir, { train: 10 });
 * const data = await openShards(dir);
 * const it = data.batches("train", { batchSize: 4, seed: 0, dropLast: true, transform: { scale: "symmetric" } });
 * const { x, dims, y } = await it.nextBatch();
 * assert.deepEqual([x.length, dims, y?.length], [24, [4, 6], 4]);
 * await it.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export * from "./batch_iterator.ts";
export * from "./data_error.ts";
export * from "./idx.ts";
export * from "./manifest.ts";
export * from "./random.ts";
export * from "./shard_reader.ts";
export * from "./shard_writer.ts";
export * from "./shuffle.ts";
export * from "./stage_kinds.ts";
export * from "./transforms.ts";
export * from "./sources/fashion_mnist.ts";
export * from "./sources/idx_files.ts";
export * from "./sources/image_folder.ts";
export * from "./sources/mnist.ts";
export * from "./sources/sklearn_digits.ts";
export * from "./sources/synthetic_1d.ts";
export * from "./sources/toy_2d.ts";
