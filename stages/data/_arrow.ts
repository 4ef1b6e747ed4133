/**
 * Encoding and decoding of one shard: an Arrow IPC file holding one record batch whose columns are the
 * dataset's features (a scalar feature is a primitive column, any other a FixedSizeList of its
 * flattened shape). apache-arrow is imported on first use (it costs ~85 ms), so that modules which only
 * declare stages stay cheap to load.
 *
 * @module
 */
import type * as ArrowModule from "apache-arrow";
import { DataError } from "./data_error.ts";
import { type FeatureArray, featureSize, type FeatureSpec } from "./manifest.ts";

type Arrow = typeof ArrowModule;

let arrowModule: Promise<Arrow> | undefined;

/** apache-arrow, imported once. */
export function loadArrow(): Promise<Arrow> {
  arrowModule ??= import("apache-arrow");
  return arrowModule;
}

function primitiveType(arrow: Arrow, dtype: FeatureSpec["dtype"]): ArrowModule.DataType {
  switch (dtype) {
    case "uint8":
      return new arrow.Uint8();
    case "int32":
      return new arrow.Int32();
    case "float32":
      return new arrow.Float32();
  }
}

/** The Arrow field of a feature. The field metadata repeats the feature spec so a shard describes itself. */
function featureField(arrow: Arrow, name: string, spec: FeatureSpec): ArrowModule.Field {
  const item = primitiveType(arrow, spec.dtype);
  const type = spec.shape.length === 0
    ? item
    : new arrow.FixedSizeList(featureSize(spec), new arrow.Field("item", item, false));
  return new arrow.Field(name, type, false, new Map([["feature", JSON.stringify(spec)]]));
}

function flatData(arrow: Arrow, dtype: FeatureSpec["dtype"], values: FeatureArray): ArrowModule.Data {
  const length = values.length;
  switch (dtype) {
    case "uint8":
      return arrow.makeData({ type: new arrow.Uint8(), length, data: values as Uint8Array });
    case "int32":
      return arrow.makeData({ type: new arrow.Int32(), length, data: values as Int32Array });
    case "float32":
      return arrow.makeData({ type: new arrow.Float32(), length, data: values as Float32Array });
  }
}

/** What {@linkcode encodeShard} needs. */
export interface EncodeShardInput {
  features: Readonly<Record<string, FeatureSpec>>;
  /** Full split columns; the shard holds records [start, end). */
  columns: Readonly<Record<string, FeatureArray>>;
  start: number;
  end: number;
  /** Schema-level key/values (dataset, split, shard name). */
  metadata: Readonly<Record<string, string>>;
}

/** Encodes records [start, end) of the columns as an Arrow IPC file (zero-copy views of the columns). */
export async function encodeShard(input: EncodeShardInput): Promise<Uint8Array> {
  const arrow = await loadArrow();
  const { features, columns, start, end } = input;
  const n = end - start;
  const fields = Object.entries(features).map(([name, spec]) => featureField(arrow, name, spec));
  const schema = new arrow.Schema(fields, new Map(Object.entries(input.metadata)));
  const children = fields.map((field) => {
    const spec = features[field.name]!;
    const size = featureSize(spec);
    const values = columns[field.name]!.subarray(start * size, end * size);
    const flat = flatData(arrow, spec.dtype, values);
    if (spec.shape.length === 0) return flat;
    return arrow.makeData({ type: field.type as ArrowModule.FixedSizeList, length: n, child: flat });
  });
  const struct = arrow.makeData({ type: new arrow.Struct(fields), length: n, children });
  const writer = new arrow.RecordBatchFileWriter();
  writer.reset(undefined, schema);
  writer.write(new arrow.RecordBatch(schema, struct));
  writer.finish();
  return writer.toUint8Array(true);
}

/**
 * Decodes a shard into one typed array per feature. The arrays are views on `bytes` (no copy) whenever
 * the IPC buffers are aligned, which they are for files read whole.
 */
export async function decodeShard(
  bytes: Uint8Array,
  features: Readonly<Record<string, FeatureSpec>>,
  expected: { file: string; count: number },
): Promise<Record<string, FeatureArray>> {
  const arrow = await loadArrow();
  const { file, count } = expected;
  let batches: ArrowModule.RecordBatch[];
  try {
    batches = [...arrow.RecordBatchReader.from(bytes)];
  } catch (error) {
    throw new DataError(
      file,
      `Cannot decode shard ${file} as an Arrow IPC file: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const rows = batches.reduce((s, b) => s + b.numRows, 0);
  if (rows !== count) {
    throw new DataError(
      file,
      `Cannot use shard ${file}: it holds ${rows} records but the manifest says ${count}`,
    );
  }
  const out: Record<string, FeatureArray> = {};
  for (const [name, spec] of Object.entries(features)) {
    const parts: FeatureArray[] = [];
    for (const batch of batches) {
      const column = batch.getChild(name);
      if (!column) {
        throw new DataError(
          file,
          `Cannot use shard ${file}: it has no column '${name}' that the manifest declares`,
        );
      }
      for (const data of column.data) {
        const leaf = spec.shape.length === 0 ? data : data.children[0];
        const values = leaf?.values as FeatureArray | undefined;
        const size = featureSize(spec);
        const ok = values !== undefined && values.constructor === arrayTypeOf(spec.dtype) &&
          (spec.shape.length === 0 || (data.type as ArrowModule.FixedSizeList).listSize === size);
        if (!ok) {
          throw new DataError(
            file,
            `Cannot use shard ${file}: column '${name}' is ${String(data.type)}, the manifest declares ` +
              `${spec.dtype}${JSON.stringify(spec.shape)}`,
          );
        }
        // Offsets are 0 in files we write; honour them anyway (in items for the leaf, in lists above it).
        const from = spec.shape.length === 0 ? data.offset : leaf!.offset + data.offset * size;
        if (from + data.length * size > values.length) {
          throw new DataError(
            file,
            `Cannot use shard ${file}: column '${name}' is shorter than its record count`,
          );
        }
        parts.push(values.subarray(from, from + data.length * size));
      }
    }
    out[name] = parts.length === 1 ? parts[0]! : concatArrays(parts);
  }
  return out;
}

/** The typed array constructor of a dtype. */
export function arrayTypeOf(dtype: FeatureSpec["dtype"]) {
  switch (dtype) {
    case "uint8":
      return Uint8Array;
    case "int32":
      return Int32Array;
    case "float32":
      return Float32Array;
  }
}

/** Concatenates arrays of one type. */
export function concatArrays<T extends FeatureArray>(parts: readonly T[]): T {
  const total = parts.reduce((s, p) => s + p.length, 0);
  const first = parts[0];
  if (first === undefined) throw new RangeError("Cannot concatenate zero arrays");
  const out = new (first.constructor as new (n: number) => T)(total);
  let at = 0;
  for (const p of parts) {
    (out as Uint8Array).set(p as Uint8Array, at);
    at += p.length;
  }
  return out;
}
