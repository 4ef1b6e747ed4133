/**
 * The manifest of a shard set: `manifest.json` beside the shards, describing the dataset (features,
 * source, license, the params that produced it) and each split (record count, how the split was
 * defined, and every shard's record count, size and sha256).
 *
 * The manifest is the commit point of a shard set: it is written last, so a folder without one is not
 * a shard set, and readers check every shard against it before returning any of its records.
 *
 * @example
 * ```json
 * {
 *   "format": "arrow-shards/1",
 *   "name": "fashion-mnist",
 *   "description": "Fashion-MNIST: 28×28 grayscale images of 10 clothing classes",
 *   "source": { "kind": "data.fashion-mnist", "origin": "…", "files": [{ "name": "train-images-idx3-ubyte.gz", "bytes": 26421880, "sha256": "…" }] },
 *   "license": "MIT …",
 *   "params": { "dir": "/usr/share/datasets/fashion-mnist", "recordsPerShard": 10000 },
 *   "features": {
 *     "image": { "dtype": "uint8", "shape": [28, 28, 1], "description": "…", "levels": 256, "layout": "hwc" },
 *     "label": { "dtype": "int32", "shape": [], "description": "…", "classes": ["T-shirt/top", "…"] }
 *   },
 *   "input": "image",
 *   "target": "label",
 *   "recordsPerShard": 10000,
 *   "splits": {
 *     "train": { "count": 60000, "definition": { "method": "official" }, "labelCounts": [6000, "…"],
 *                "shards": [{ "file": "train-00000-of-00006.arrow", "count": 10000, "bytes": 7880914, "sha256": "…" }] }
 *   }
 * }
 * ```
 *
 * @module
 */
import { z } from "zod";
import { DataError } from "./data_error.ts";

/** File name of the manifest inside a shard folder. */
export const MANIFEST_FILE = "manifest.json";
/** Format tag written into every manifest; readers refuse other formats. */
export const MANIFEST_FORMAT = "arrow-shards/1";

/** Element types a feature column can hold. */
export type Dtype = "uint8" | "int32" | "float32";

/** The typed array that holds a feature of each dtype. */
export type DtypeArray<D extends Dtype> = D extends "uint8" ? Uint8Array
  : D extends "int32" ? Int32Array
  : Float32Array;

/** Any feature column's values. */
export type FeatureArray = Uint8Array | Int32Array | Float32Array;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lower-case hex digits");

const featureSchema = z.object({
  dtype: z.enum(["uint8", "int32", "float32"]),
  /** Per-record shape; [] for a scalar. Images are [H, W, C]. */
  shape: z.array(z.number().int().positive()),
  description: z.string(),
  /** For quantized uint8 data: values are 0..levels-1 (256 for 8-bit pixels, 17 for sklearn digits). */
  levels: z.number().int().min(2).max(256).optional(),
  /** Memory order of an image's [H, W, C] values. */
  layout: z.literal("hwc").optional(),
  /** Names of the classes of a label, by label value. */
  classes: z.array(z.string()).optional(),
}).strict();

const shardSchema = z.object({
  file: z.string().regex(/^[A-Za-z0-9._-]+\.arrow$/, "expected a plain file name ending in .arrow"),
  count: z.number().int().positive(),
  bytes: z.number().int().positive(),
  sha256: sha256Hex,
}).strict();

const splitSchema = z.object({
  count: z.number().int().positive(),
  /** How the split's records were chosen (e.g. official, or a seeded permutation and its seed). */
  definition: z.record(z.string(), z.unknown()),
  /** Records per label value, for labelled data. */
  labelCounts: z.array(z.number().int().nonnegative()).optional(),
  shards: z.array(shardSchema).min(1),
}).strict();

const sourceFileSchema = z.object({
  name: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: sha256Hex,
}).strict();

/** The zod schema a manifest is validated against when read. */
export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  name: z.string().min(1),
  description: z.string(),
  source: z.looseObject({
    /** The stage kind (or tool) that produced the shards. */
    kind: z.string(),
    /** Where the data comes from, in words (a package, a path, a generator). */
    origin: z.string(),
    /** The source files read, by base name, with their size and sha256. */
    files: z.array(sourceFileSchema).optional(),
  }),
  license: z.string(),
  params: z.unknown(),
  features: z.record(z.string(), featureSchema),
  /** The feature a model reads (batches' `x`). */
  input: z.string(),
  /** The label feature (batches' `y`), if the data is labelled. */
  target: z.string().optional(),
  recordsPerShard: z.number().int().positive(),
  splits: z.record(z.string(), splitSchema),
  notes: z.array(z.string()).optional(),
}).strict();

/** A feature column's declaration. */
export type FeatureSpec = z.infer<typeof featureSchema>;
/** One shard file of a split. */
export type ShardEntry = z.infer<typeof shardSchema>;
/** One split: its count, its definition and its shards. */
export type SplitEntry = z.infer<typeof splitSchema>;
/** A source file read to produce the shards. */
export type SourceFile = z.infer<typeof sourceFileSchema>;
/** The whole manifest. */
export type Manifest = z.infer<typeof manifestSchema>;

/** Number of values per record of a feature (1 for a scalar). */
export function featureSize(feature: Pick<FeatureSpec, "shape">): number {
  return feature.shape.reduce((a, b) => a * b, 1);
}

/** The manifest's bytes: pretty JSON with a final newline. Key order is the order of construction. */
export function serializeManifest(manifest: Manifest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n");
}

/** Validates a parsed manifest: the zod schema plus the cross-references the schema cannot express. */
export function parseManifest(value: unknown, file: string): Manifest {
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new DataError(file, `Cannot use manifest ${file}: ${issues}. Rerun the data stage that wrote it`);
  }
  const m = parsed.data;
  const problems: string[] = [];
  if (!(m.input in m.features)) problems.push(`input '${m.input}' is not a feature`);
  if (m.target !== undefined && m.features[m.target]?.dtype !== "int32") {
    problems.push(`target '${m.target}' is not an int32 feature`);
  }
  const files = new Set<string>();
  for (const [name, split] of Object.entries(m.splits)) {
    const sum = split.shards.reduce((s, x) => s + x.count, 0);
    if (sum !== split.count) {
      problems.push(`split '${name}' counts ${split.count} records but its shards hold ${sum}`);
    }
    for (const shard of split.shards) {
      if (files.has(shard.file)) problems.push(`shard ${shard.file} is listed twice`);
      files.add(shard.file);
    }
  }
  if (problems.length > 0) {
    throw new DataError(
      file,
      `Cannot use manifest ${file}: ${problems.join("; ")}. Rerun the data stage that wrote it`,
    );
  }
  return m;
}

/** Reads and validates `<dir>/manifest.json`. */
export async function readManifest(dir: string): Promise<Manifest> {
  const file = `${dir}/${MANIFEST_FILE}`;
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(
        file,
        `Cannot open shard set ${dir}: it has no ${MANIFEST_FILE}, so it is not a finished shard set. ` +
          `Pass the output folder of a data stage (e.g. ctx.inputs.data)`,
        { cause: error },
      );
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DataError(
      file,
      `Cannot parse manifest ${file}: ${(error as Error).message}. Rerun the data stage`,
      {
        cause: error,
      },
    );
  }
  return parseManifest(json, file);
}
