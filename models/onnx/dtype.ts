/**
 * Element types of the tensor IR, their ONNX codes and typed arrays, and the dtype-capability table of
 * onnxruntime 1.29 CPU (docs/onnx-training.md §5).
 *
 * Policy: production graphs run in float32. Gradient tests run in float64 wherever ORT has float64
 * kernels; for the ops in {@link F32_ONLY_OPS} the emitter lowers a float64 node to a composition of
 * f64-capable ops, so that a whole model can be built in float64 and checked by finite differences.
 *
 * @module
 */

/** Element type of a tensor. */
export type DType = "float32" | "float64" | "int32" | "int64" | "uint32" | "uint64" | "bool";

/** A floating-point element type (the only ones that carry gradients). */
export type FloatDType = "float32" | "float64";

/** The typed array that holds a tensor of each dtype on the host. */
export type TypedArray =
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | Uint32Array
  | BigUint64Array
  | Uint8Array;

/** TensorProto.DataType codes. */
export const ONNX_DTYPE: Readonly<Record<DType, number>> = {
  float32: 1,
  float64: 11,
  int32: 6,
  int64: 7,
  uint32: 12,
  uint64: 13,
  bool: 9,
};

/** True for float32 and float64. */
export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === "float32" || dtype === "float64";
}

/** Allocates a zero-filled typed array of `n` elements of `dtype`. */
export function allocArray(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(n);
    case "float64":
      return new Float64Array(n);
    case "int32":
      return new Int32Array(n);
    case "int64":
      return new BigInt64Array(n);
    case "uint32":
      return new Uint32Array(n);
    case "uint64":
      return new BigUint64Array(n);
    case "bool":
      return new Uint8Array(n);
  }
}

/** Copies plain numbers into a typed array of `dtype` (int64 through BigInt, bool as 0/1). */
export function toTypedArray(dtype: DType, values: ArrayLike<number>): TypedArray {
  const out = allocArray(dtype, values.length);
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    for (let i = 0; i < values.length; i++) out[i] = BigInt(Math.trunc(values[i]!));
  } else {
    for (let i = 0; i < values.length; i++) out[i] = values[i]!;
  }
  return out;
}

/** Checks that `data` is the typed array that holds `dtype`. */
export function matchesDType(data: TypedArray, dtype: DType): boolean {
  switch (dtype) {
    case "float32":
      return data instanceof Float32Array;
    case "float64":
      return data instanceof Float64Array;
    case "int32":
      return data instanceof Int32Array;
    case "int64":
      return data instanceof BigInt64Array;
    case "uint32":
      return data instanceof Uint32Array;
    case "uint64":
      return data instanceof BigUint64Array;
    case "bool":
      return data instanceof Uint8Array;
  }
}

/**
 * ONNX op types that ORT 1.29 CPU implements for float32 but not float64 (measured, onnx-training.md §5).
 * The emitter lowers these for float64 graphs; see `ops_conv.ts` and `ops_elementwise.ts`.
 */
export const F32_ONLY_OPS: ReadonlySet<string> = new Set([
  "Conv",
  "ConvTranspose",
  "Softplus",
  "Elu",
  "Erf",
  "AveragePool",
  "InstanceNormalization",
  "Resize",
]);

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Formats `float32[64,1,28,28]` for error messages. */
export function describe(dtype: DType, shape: readonly number[]): string {
  return `${dtype}[${shape.join(",")}]`;
}
