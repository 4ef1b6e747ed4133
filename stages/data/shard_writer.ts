/**
 * Writes a dataset as TFRecord-style shards: per split, Arrow IPC files of at most `recordsPerShard`
 * records each (`train-00000-of-00006.arrow`, …), plus `manifest.json`.
 *
 * Features are columns, like a columnar tf.Example: an image is a FixedSizeList<uint8>[H·W·C] with its
 * shape in the manifest and in the field metadata, a label an int32, a 2-D point a
 * FixedSizeList<float32>[2]. The same dataset and options give byte-identical files: no timestamps, no
 * paths of the machine, records in the order given.
 *
 * Everything is validated before the first byte is written. The manifest is written last (to a temporary
 * name, then renamed), so a folder is a valid shard set only once every shard is complete; if writing
 * fails, the files written so far are removed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openShards } from "./shard_reader.ts";
 * import { writeShards } from "./shard_writer.ts";
 *
 * const outDir = await Deno.makeTempDir(); // a data stage writes into its ctx.outDir
 * const points = Float32Array.of(0, 0, 1, 0, 0, 1);
 * const manifest = await writeShards(outDir, {
 *   name: "toy", description: "three points", source: { kind: "data.toy-2d", origin: "seeded generator" },
 *   license: "CC0-1.0", params: { seed: 0 },
 *   features: { x: { dtype: "float32", shape: [2], description: "point" } }, input: "x",
 *   splits: { train: { count: 3, columns: { x: points }, definition: { method: "generated" } } },
 * }, { recordsPerShard: 10_000 });
 * assert.equal(manifest.splits.train?.shards[0]?.file, "train-00000-of-00001.arrow");
 * assert.deepEqual((await (await openShards(outDir)).readAll("train")).x, points);
 * await Deno.remove(outDir, { recursive: true });
 * ```
 *
 * @module
 */
import { encodeShard } from "./_arrow.ts";
import { sha256Hex } from "./_hash.ts";
import { DataError } from "./data_error.ts";
import {
  type FeatureArray,
  featureSize,
  type FeatureSpec,
  type Manifest,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  manifestSchema,
  parseManifest,
  serializeManifest,
  type ShardEntry,
  type SplitEntry,
} from "./manifest.ts";

/** The records of one split, column by column, in the order they are to be stored. */
export interface SplitColumns {
  count: number;
  /** One typed array per feature, `count × size(feature)` values long. */
  columns: Readonly<Record<string, FeatureArray>>;
  /** How the split was defined, recorded in the manifest (e.g. `{ method: "official" }`). */
  definition: Record<string, unknown>;
}

/** A dataset to write: everything of the manifest except what the writer computes, plus the data. */
export interface DatasetToWrite {
  name: string;
  description: string;
  source: Manifest["source"];
  license: string;
  /** The params that produced the data, recorded as given. */
  params: unknown;
  features: Readonly<Record<string, FeatureSpec>>;
  input: string;
  target?: string;
  notes?: string[];
  splits: Readonly<Record<string, SplitColumns>>;
}

/** Options of {@linkcode writeShards}. */
export interface WriteShardsOptions {
  /** Maximum records per shard file. */
  recordsPerShard: number;
  /** Called after each shard is written. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Other files of the shard set (e.g. a listing of source files), written with the shards, before the
   * manifest. Names must be plain file names.
   */
  extraFiles?: Readonly<Record<string, Uint8Array>>;
}

const dtypeArray = { uint8: Uint8Array, int32: Int32Array, float32: Float32Array } as const;

/** The file name of shard `index` of `total`, TFRecord style. */
export function shardFileName(split: string, index: number, total: number): string {
  return `${split}-${String(index).padStart(5, "0")}-of-${String(total).padStart(5, "0")}.arrow`;
}

/** Checks the data against its declaration; returns the label counts of each split (if labelled). */
function validate(dir: string, dataset: DatasetToWrite, recordsPerShard: number): Map<string, number[]> {
  const where = `Cannot write shards of '${dataset.name}' to ${dir}`;
  const fail = (problem: string): never => {
    throw new DataError(dir, `${where}: ${problem}`);
  };
  if (!Number.isInteger(recordsPerShard) || recordsPerShard < 1) {
    fail(`recordsPerShard is ${recordsPerShard}; use an integer ≥ 1`);
  }
  const featureNames = Object.keys(dataset.features);
  if (featureNames.length === 0) fail("the dataset declares no features");
  for (const [name, spec] of Object.entries(dataset.features)) {
    if (!/^[a-z][a-z0-9_]*$/.test(name)) fail(`feature name '${name}' is not lower_snake_case`);
    if (spec.classes !== undefined && spec.dtype !== "int32") {
      fail(`feature '${name}' has classes but is not int32`);
    }
    if (spec.levels !== undefined && spec.dtype !== "uint8") {
      fail(`feature '${name}' has levels but is not uint8`);
    }
  }
  if (!(dataset.input in dataset.features)) fail(`input '${dataset.input}' is not a feature`);
  if (dataset.target !== undefined && dataset.features[dataset.target]?.dtype !== "int32") {
    fail(`target '${dataset.target}' is not an int32 feature`);
  }
  const splitNames = Object.keys(dataset.splits);
  if (splitNames.length === 0) fail("the dataset has no splits");
  const labelCounts = new Map<string, number[]>();
  for (const [split, data] of Object.entries(dataset.splits)) {
    if (!/^[a-z][a-z0-9_]*$/.test(split)) fail(`split name '${split}' is not lower_snake_case`);
    if (!Number.isInteger(data.count) || data.count < 1) fail(`split '${split}' has ${data.count} records`);
    const extra = Object.keys(data.columns).filter((c) => !(c in dataset.features));
    if (extra.length > 0) {
      fail(`split '${split}' has columns ${extra.join(", ")} that are not declared features`);
    }
    for (const [name, spec] of Object.entries(dataset.features)) {
      const column = data.columns[name];
      const expectedLength = data.count * featureSize(spec);
      if (column === undefined) fail(`split '${split}' lacks feature '${name}'`);
      if (!(column instanceof dtypeArray[spec.dtype])) {
        fail(`split '${split}' feature '${name}' is a ${column!.constructor.name}, declared ${spec.dtype}`);
      }
      if (column!.length !== expectedLength) {
        fail(
          `split '${split}' feature '${name}' has ${column!.length} values; ` +
            `${data.count} records × ${featureSize(spec)} = ${expectedLength} expected`,
        );
      }
      checkValues(spec, column!, (problem) => fail(`split '${split}' feature '${name}': ${problem}`));
    }
    if (dataset.target !== undefined) {
      const labels = data.columns[dataset.target] as Int32Array;
      const spec = dataset.features[dataset.target]!;
      let max = -1;
      for (let i = 0; i < labels.length; i++) max = Math.max(max, labels[i]!);
      const counts = new Array<number>(Math.max(max + 1, spec.classes?.length ?? 0)).fill(0);
      for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
      labelCounts.set(split, counts);
    }
  }
  return labelCounts;
}

/** Rejects values outside a feature's declared range: levels of uint8, class ids, non-finite floats. */
function checkValues(spec: FeatureSpec, column: FeatureArray, fail: (problem: string) => void): void {
  if (spec.dtype === "uint8" && spec.levels !== undefined && spec.levels < 256) {
    let max = 0;
    for (let i = 0; i < column.length; i++) if (column[i]! > max) max = column[i]!;
    if (max >= spec.levels) fail(`value ${max} is outside its ${spec.levels} levels`);
  } else if (spec.dtype === "int32") {
    const limit = spec.classes?.length ?? 2 ** 31;
    for (let i = 0; i < column.length; i++) {
      const v = column[i]!;
      if (v < 0 || v >= limit) {
        return fail(`record ${i} has label ${v}, outside 0..${limit - 1}`);
      }
    }
  } else if (spec.dtype === "float32") {
    for (let i = 0; i < column.length; i++) {
      if (!Number.isFinite(column[i]!)) return fail(`value ${i} is ${column[i]}`);
    }
  }
}

/** Makes sure `dir` exists and is empty, so that no file of another shard set is mixed in. */
async function prepareFolder(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for await (const entry of Deno.readDir(dir)) {
    throw new DataError(
      dir,
      `Cannot write shards to ${dir}: the folder is not empty (it holds ${entry.name}). ` +
        `Use an empty or new folder`,
    );
  }
}

/**
 * Validates `dataset`, writes its shards and manifest into `dir` (created if missing; must be empty) and
 * returns the manifest. Throws {@linkcode DataError} before writing anything when the data does not
 * match its declaration; removes what it wrote when writing fails.
 */
export async function writeShards(
  dir: string,
  dataset: DatasetToWrite,
  options: WriteShardsOptions,
): Promise<Manifest> {
  const { recordsPerShard } = options;
  const labelCounts = validate(dir, dataset, recordsPerShard);
  await prepareFolder(dir);

  const plan = Object.entries(dataset.splits).map(([split, data]) => {
    const total = Math.ceil(data.count / recordsPerShard);
    return { split, data, total };
  });
  const totalShards = plan.reduce((s, p) => s + p.total, 0);
  const written: string[] = [];
  try {
    let done = 0;
    const splits: Record<string, SplitEntry> = {};
    for (const { split, data, total } of plan) {
      const shards: ShardEntry[] = [];
      const writes: Promise<void>[] = [];
      for (let i = 0; i < total; i++) {
        const start = i * recordsPerShard;
        const end = Math.min(data.count, start + recordsPerShard);
        const file = shardFileName(split, i, total);
        const bytes = await encodeShard({
          features: dataset.features,
          columns: data.columns,
          start,
          end,
          metadata: { format: MANIFEST_FORMAT, dataset: dataset.name, split, shard: file },
        });
        shards.push({ file, count: end - start, bytes: bytes.length, sha256: sha256Hex(bytes) });
        written.push(file);
        // File writes run in the background while the next shard is encoded.
        writes.push(
          Deno.writeFile(`${dir}/${file}`, bytes).then(() => options.onProgress?.(++done, totalShards)),
        );
      }
      // Wait for every write (not just the first failure) so that cleanup sees no write in flight.
      const failed = (await Promise.allSettled(writes)).find((r) => r.status === "rejected");
      if (failed) throw failed.reason;
      const counts = labelCounts.get(split);
      splits[split] = {
        count: data.count,
        definition: data.definition,
        ...(counts === undefined ? {} : { labelCounts: counts }),
        shards,
      };
    }
    for (const [name, bytes] of Object.entries(options.extraFiles ?? {})) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name === MANIFEST_FILE || name.endsWith(".arrow")) {
        throw new DataError(
          dir,
          `Cannot write extra file '${name}' to ${dir}: use a plain name that is no shard or manifest`,
        );
      }
      written.push(name);
      await Deno.writeFile(`${dir}/${name}`, bytes);
    }
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      name: dataset.name,
      description: dataset.description,
      source: dataset.source,
      license: dataset.license,
      params: dataset.params,
      features: { ...dataset.features },
      input: dataset.input,
      ...(dataset.target === undefined ? {} : { target: dataset.target }),
      recordsPerShard,
      splits,
      ...(dataset.notes === undefined ? {} : { notes: dataset.notes }),
    };
    // The manifest must be valid for readers; check it with the same code they use.
    parseManifest(manifestSchema.parse(JSON.parse(JSON.stringify(manifest))), `${dir}/${MANIFEST_FILE}`);
    const tmp = `${dir}/.${MANIFEST_FILE}.partial`;
    written.push(`.${MANIFEST_FILE}.partial`);
    await Deno.writeFile(tmp, serializeManifest(manifest));
    await Deno.rename(tmp, `${dir}/${MANIFEST_FILE}`);
    return manifest;
  } catch (error) {
    await Promise.allSettled(written.map((file) => Deno.remove(`${dir}/${file}`)));
    throw error;
  }
}
