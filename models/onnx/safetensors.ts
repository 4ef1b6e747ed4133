/**
 * Named tensors in the safetensors format (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length, a JSON header `{name: {dtype, shape, data_offsets}}`, then the raw
 * little-endian data. Used for initial states, checkpoints and trained weights, so that they open in
 * Python (`safetensors.numpy.load_file`) as well.
 *
 * Writing is deterministic: tensors in name order, no timestamps, so equal tensors give equal bytes.
 *
 * @module
 */
import type { TypedArray } from "./dtype.ts";

const CODES = { float32: "F32", float64: "F64", int32: "I32", int64: "I64", uint8: "U8" } as const;

export type SafeTensor = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface NamedTensor {
  data: SafeTensor;
  shape: readonly number[];
}

function code(data: SafeTensor): string {
  if (data instanceof Float32Array) return CODES.float32;
  if (data instanceof Float64Array) return CODES.float64;
  if (data instanceof Int32Array) return CODES.int32;
  if (data instanceof BigInt64Array) return CODES.int64;
  return CODES.uint8;
}

/** Encodes tensors (and optional string metadata) as a safetensors file. */
export function encodeSafetensors(
  tensors: Readonly<Record<string, NamedTensor>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const { data, shape } = tensors[name]!;
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length) {
      throw new Error(
        `Cannot save tensor '${name}': shape [${shape}] holds ${count} values, the data has ${data.length}`,
      );
    }
    header[name] = { dtype: code(data), shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + json.length) % 8)) % 8); // the format pads the header with spaces
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const { data } = tensors[name]!;
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out;
}

/** Decodes a safetensors file. Errors name the file (`source`) and what is wrong with it. */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = "tensor file",
): { tensors: Record<string, NamedTensor>; metadata: Record<string, string> } {
  const bad = (why: string) =>
    new Error(`Cannot read ${source}: ${why}; the file is truncated or not a safetensors file`);
  if (bytes.length < 8) throw bad("it is shorter than its 8-byte header length");
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  if (8 + headerLength > bytes.length) throw bad(`its header claims ${headerLength} bytes`);
  let header: Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>
  >;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw bad("its header is not JSON");
  }
  const base = 8 + headerLength;
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: [begin, end] } = entry as {
      dtype: string;
      shape: number[];
      data_offsets: [number, number];
    };
    if (base + end > bytes.length) throw bad(`tensor '${name}' extends past the end`);
    // Copy into an aligned buffer: a Float32Array view needs a 4-byte aligned offset.
    const raw = bytes.slice(base + begin, base + end).buffer;
    const data = dtype === "F32"
      ? new Float32Array(raw)
      : dtype === "F64"
      ? new Float64Array(raw)
      : dtype === "I32"
      ? new Int32Array(raw)
      : dtype === "I64"
      ? new BigInt64Array(raw)
      : dtype === "U8"
      ? new Uint8Array(raw)
      : null;
    if (!data) throw bad(`tensor '${name}' has unsupported dtype ${dtype}`);
    if (data.length !== shape.reduce((a, b) => a * b, 1)) {
      throw bad(`tensor '${name}' does not match its shape`);
    }
    tensors[name] = { data, shape };
  }
  return { tensors, metadata: (header.__metadata__ as Record<string, string> | undefined) ?? {} };
}

/** Writes float state (e.g. `runner.state()`) with shapes from `shapes`, or flat when unknown. */
export function stateToTensors(
  state: Readonly<Record<string, TypedArray>>,
  shapes: Readonly<Record<string, readonly number[]>> = {},
): Record<string, NamedTensor> {
  return Object.fromEntries(
    Object.entries(state).map((
      [name, data],
    ) => [name, { data: data as SafeTensor, shape: shapes[name] ?? [data.length] }]),
  );
}

/** The flat typed arrays of decoded tensors, by name. */
export function tensorsToState(tensors: Readonly<Record<string, NamedTensor>>): Record<string, SafeTensor> {
  return Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, t.data]));
}
