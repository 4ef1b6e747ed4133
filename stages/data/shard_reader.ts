/**
 * Opens a shard set written by {@linkcode writeShards}: checks the manifest, the presence and size of
 * every shard at once, and each shard's sha256 the first time its bytes are read (no record of a shard
 * is returned before its digest matched). From there: stream shards, read a whole split, or iterate
 * shuffled, transformed batches for training.
 *
 * @example Training for N steps, with a checkpointable position
 * ```ts
 * import assert from "node:assert/strict";
 * import type { IteratorPosition } from "./batch_iterator.ts";
 * import { openShards } from "./shard_reader.ts";
 * import { writeTinyDataset } from "./_test_util.ts";
 *
 * const dir = await Deno.makeTempDir(); // stands for ctx.inputs.data: here 10 tiny 2×3 images
 * await writeTinyDataset(dir, { train: 10 });
 * const data = await openShards(dir);
 * const transform = { scale: "symmetric", dequantize: true, layout: "nchw" } as const;
 * const options = { batchSize: 4, seed: 0, dropLast: true, transform };
 * const batches = data.batches("train", options), seen: Float32Array[] = [];
 * let saved: IteratorPosition = { epoch: 0, offset: 0 }; // what a checkpoint keeps
 * for (let step = 0; step < 5; step++) {
 *   const { x, dims, y } = await batches.nextBatch(); // Float32Array [4, 1, 2, 3], Int32Array [4]
 *   // … session.run({ x: new ort.Tensor("float32", x, dims), … })
 *   assert.deepEqual([dims, y?.length], [[4, 1, 2, 3], 4]);
 *   seen.push(x as Float32Array);
 *   if (step === 2) saved = batches.position();
 * }
 * const resumed = data.batches("train", { ...options, position: saved }); // after a restart
 * assert.deepEqual((await resumed.nextBatch()).x, seen[3]); // the same batch, noise included
 * await Promise.all([batches.close(), resumed.close()]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @example Evaluation on a whole split
 * ```ts
 * import assert from "node:assert/strict";
 * import { openShards } from "./shard_reader.ts";
 * import { writeTinyDataset } from "./_test_util.ts";
 *
 * const dir = await Deno.makeTempDir(); // stands for ctx.inputs.data: here 5 tiny 2×3 test images
 * await writeTinyDataset(dir, { train: 10, test: 5 });
 * const test = await (await openShards(dir)).readAll("test", { transform: { scale: "unit" } });
 * // test.x: Float32Array of test.count × 6, test.dims = [count, 6], test.y: Int32Array
 * assert.deepEqual([test.x.length, test.dims, test.y?.length], [30, [5, 6], 5]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
import { concatArrays, decodeShard } from "./_arrow.ts";
import { sha256Hex } from "./_hash.ts";
import { BatchIterator, type BatchOptions, formatLabels, type LabelFormat } from "./batch_iterator.ts";
import { DataError } from "./data_error.ts";
import {
  type FeatureArray,
  type FeatureSpec,
  type Manifest,
  readManifest,
  type SplitEntry,
} from "./manifest.ts";
import { mixSeed, Rng } from "./random.ts";
import { compileTransform, type TransformSpec } from "./transforms.ts";

/** Options of {@linkcode openShards}. */
export interface OpenShardsOptions {
  /**
   * `sha256` (default): hash each shard once, the first time it is read (measured ~45 ms per 60 MB).
   * `size`: only compare file sizes with the manifest.
   */
  verify?: "sha256" | "size";
}

/** Options of {@linkcode ShardSet.readAll}. */
export interface ReadAllOptions {
  /** Feature to return as `x` (default: the manifest's input). */
  x?: string;
  /** Transform of `x` (default `{}`: uint8 levels as float32 in [0, 1], flat; float features as stored). */
  transform?: TransformSpec;
  /** Seed of the transform's noise, if it has any (default 0). */
  seed?: number;
  /** Label format of `y` (default int32; "none" to skip). */
  labels?: LabelFormat;
}

/** A whole split, in stored order. */
export interface SplitArrays {
  count: number;
  /** The input feature, transformed; a fresh array the caller owns. */
  x: Float32Array | Uint8Array | Int32Array;
  /** Shape of `x`: [count, …record dims]. */
  dims: number[];
  /** Labels, if the dataset has a target and `labels` is not "none". */
  y?: Int32Array | BigInt64Array | Float32Array;
  /** Shape of `y`. */
  yDims?: number[];
}

/** A decoded shard: its manifest entry and one typed array per feature (views on the file's bytes). */
export interface LoadedShard {
  index: number;
  entry: SplitEntry["shards"][number];
  columns: Record<string, FeatureArray>;
}

/** Opens the shard set in `dir` (the output folder of a data stage). */
export async function openShards(dir: string, options: OpenShardsOptions = {}): Promise<ShardSet> {
  const manifest = await readManifest(dir);
  const checks = Object.values(manifest.splits).flatMap((split) =>
    split.shards.map(async (shard) => {
      const path = `${dir}/${shard.file}`;
      let size: number;
      try {
        size = (await Deno.stat(path)).size;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) {
          throw new DataError(
            path,
            `Cannot open shard set ${dir}: shard ${shard.file} listed in its manifest is missing. ` +
              `The folder is incomplete; rerun the data stage that wrote it`,
          );
        }
        throw error;
      }
      if (size !== shard.bytes) {
        throw new DataError(
          path,
          `Cannot open shard set ${dir}: shard ${shard.file} is ${size} bytes but its manifest says ` +
            `${shard.bytes}. The shard is truncated or was replaced; rerun the data stage that wrote it`,
        );
      }
    })
  );
  await Promise.all(checks);
  return new ShardSet(dir, manifest, options.verify ?? "sha256");
}

/** An open shard set. Create it with {@linkcode openShards}. */
export class ShardSet {
  /** The folder holding the shards and the manifest. */
  readonly dir: string;
  readonly manifest: Manifest;
  readonly #verify: "sha256" | "size";
  readonly #verified = new Set<string>();
  readonly #splitCache = new Map<string, Promise<Record<string, FeatureArray>>>();

  constructor(dir: string, manifest: Manifest, verify: "sha256" | "size") {
    this.dir = dir;
    this.manifest = manifest;
    this.#verify = verify;
  }

  /** Names of the splits, in manifest order (e.g. ["train", "test"]). */
  get splits(): string[] {
    return Object.keys(this.manifest.splits);
  }

  /** The manifest entry of a split; throws naming the available splits when it does not exist. */
  split(name: string): SplitEntry {
    const entry = this.manifest.splits[name];
    if (entry === undefined) {
      throw new DataError(
        this.dir,
        `Cannot find split '${name}' in shard set ${this.dir}: it has ${
          this.splits.map((s) => `'${s}'`).join(", ")
        }`,
      );
    }
    return entry;
  }

  /** Number of records of a split. */
  count(split: string): number {
    return this.split(split).count;
  }

  /** The declaration of a feature; throws naming the available features when it does not exist. */
  feature(name: string): FeatureSpec {
    const spec = this.manifest.features[name];
    if (spec === undefined) {
      throw new DataError(
        this.dir,
        `Cannot find feature '${name}' in shard set ${this.dir}: it has ${
          Object.keys(this.manifest.features).join(", ")
        }`,
      );
    }
    return spec;
  }

  /** Reads, verifies and decodes shard `index` of a split. The columns are views on the file's bytes. */
  async loadShard(split: string, index: number): Promise<LoadedShard> {
    const entry = this.split(split).shards[index];
    if (entry === undefined) {
      throw new RangeError(`Cannot load shard ${index} of split '${split}': no such shard`);
    }
    const path = `${this.dir}/${entry.file}`;
    const bytes = await Deno.readFile(path);
    if (bytes.length !== entry.bytes) {
      throw new DataError(
        path,
        `Cannot read shard ${path}: it is ${bytes.length} bytes but the manifest says ${entry.bytes}. ` +
          `Rerun the data stage that wrote it`,
      );
    }
    if (this.#verify === "sha256" && !this.#verified.has(entry.file)) {
      const digest = sha256Hex(bytes);
      if (digest !== entry.sha256) {
        throw new DataError(
          path,
          `Cannot read shard ${path}: its sha256 is ${digest} but the manifest says ${entry.sha256}. ` +
            `The shard is corrupt; rerun the data stage that wrote it`,
        );
      }
      this.#verified.add(entry.file);
    }
    const columns = await decodeShard(bytes, this.manifest.features, { file: path, count: entry.count });
    return { index, entry, columns };
  }

  /**
   * Streams the shards of a split in manifest order, reading the next shard while the caller works on
   * the current one.
   */
  async *shards(split: string): AsyncGenerator<LoadedShard> {
    const n = this.split(split).shards.length;
    let next: Promise<LoadedShard> | undefined = this.loadShard(split, 0);
    for (let i = 0; i < n; i++) {
      const current: Promise<LoadedShard> = next!;
      next = i + 1 < n ? this.loadShard(split, i + 1) : undefined;
      // A failed read-ahead is reported when its turn comes; until then it must not be "unhandled".
      next?.catch(() => {});
      yield await current;
    }
  }

  /**
   * All columns of a split, shards concatenated in order. Cached: the arrays are shared by every
   * iterator of this set, so treat them as read-only (use {@linkcode readAll} for arrays you own).
   */
  loadSplit(split: string): Promise<Record<string, FeatureArray>> {
    let cached = this.#splitCache.get(split);
    if (cached === undefined) {
      cached = this.#loadShards(split, this.split(split).shards.map((_, i) => i));
      this.#splitCache.set(split, cached);
      cached.catch(() => this.#splitCache.delete(split));
    }
    return cached;
  }

  /** Columns of some shards of a split, concatenated in the given order (a single shard is not copied). */
  async #loadShards(split: string, indices: readonly number[]): Promise<Record<string, FeatureArray>> {
    const shards = await Promise.all(indices.map((i) => this.loadShard(split, i)));
    const out: Record<string, FeatureArray> = {};
    for (const name of Object.keys(this.manifest.features)) {
      const parts = shards.map((s) => s.columns[name]!);
      out[name] = parts.length === 1 ? parts[0]! : concatArrays(parts);
    }
    return out;
  }

  /** Reads and hashes every shard now, so that a corrupt set fails before training starts. */
  async verify(): Promise<void> {
    for (const split of this.splits) {
      for await (const _ of this.shards(split)) {
        // loadShard checks the digest.
      }
    }
  }

  /** Every record of a split in stored order: the input feature (transformed) and the labels. */
  async readAll(split: string, options: ReadAllOptions = {}): Promise<SplitArrays> {
    const xName = options.x ?? this.manifest.input;
    const transform = compileTransform(xName, this.feature(xName), options.transform);
    const columns = await this.loadSplit(split);
    const count = this.count(split);
    const ids = new Int32Array(count);
    for (let i = 0; i < count; i++) ids[i] = i;
    const x = transform.allocate(count);
    const rng = transform.needsNoise ? new Rng(mixSeed(options.seed ?? 0, 0x5245_4144)) : undefined;
    transform.gather(columns[xName]!, ids, { from: 0, to: count, at: 0 }, x, rng);
    const result: SplitArrays = { count, x, dims: transform.dims(count) };
    const target = this.manifest.target;
    const format = options.labels ?? "int32";
    if (target !== undefined && format !== "none") {
      const labels = formatLabels((columns[target] as Int32Array).slice(), {
        format,
        classes: this.#classCount(split),
      });
      result.y = labels.y;
      result.yDims = labels.dims;
    }
    return result;
  }

  /** Number of classes of the target (for one-hot labels). */
  #classCount(split: string): number {
    const target = this.manifest.target;
    if (target === undefined) return 0;
    return this.manifest.features[target]?.classes?.length ?? this.split(split).labelCounts?.length ?? 0;
  }

  /**
   * An iterator of shuffled, transformed batches of a split; infinite unless `epochs` is given. See
   * {@linkcode BatchOptions} for shuffling, transforms, the last partial batch and resuming.
   */
  batches(split: string, options: BatchOptions): BatchIterator {
    const entry = this.split(split);
    const xName = options.x ?? this.manifest.input;
    const target = this.manifest.target;
    return new BatchIterator({
      split,
      count: entry.count,
      shardCounts: entry.shards.map((s) => s.count),
      x: xName,
      transform: compileTransform(xName, this.feature(xName), options.transform),
      target: options.labels === "none" ? undefined : target,
      classes: this.#classCount(split),
      loadAll: () => this.loadSplit(split),
      loadShards: (indices) => this.#loadShards(split, indices),
    }, options);
  }
}
