/**
 * Standalone inference models from model code: the same function that a train step uses, built with
 * the trained weights baked in as initializers (loadable by any ONNX runtime), or with the weights as
 * graph inputs.
 *
 * @module
 */
import pkg from "onnx-proto";
import type { TypedArray } from "./dtype.ts";
import type { FloatDType } from "./dtype.ts";
import { emitModel } from "./emit.ts";
import { input, type Tensor } from "./graph.ts";
import type { ParamSpec } from "./init.ts";
import { ParamConstants, ParamInputs, type ParamSource } from "./params.ts";
import type { BatchSpec } from "./train_step.ts";

const { onnx } = pkg;

/** What to export. */
export interface ExportConfig {
  name: string;
  /** Data inputs (the weights are not listed here). */
  inputs: Readonly<Record<string, BatchSpec>>;
  /** Trained weights by parameter name: baked in. Omit to make the weights graph inputs instead. */
  values?: Readonly<Record<string, TypedArray>>;
  dtype?: FloatDType;
  docString?: string;
  /** Stored in the model's metadata_props (e.g. the config it was built from, as JSON). */
  metadata?: Readonly<Record<string, string>>;
  /** Model code: returns the named outputs. */
  build(ps: ParamSource, inputs: Readonly<Record<string, Tensor>>): Readonly<Record<string, Tensor>>;
}

/** The emitted model bytes and the parameters the model code asked for. */
export interface ExportedModel {
  bytes: Uint8Array;
  /** Parameters as graph inputs (empty when the weights are baked in). */
  params: ParamSpec[];
}

/**
 * Builds an inference model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exportModel } from "./export.ts";
 * import { generator, wganDivStep } from "./models/wgan_div.ts";
 * import { TrainRunner } from "./runner.ts";
 * import { createSession, runSession } from "./session.ts";
 *
 * const cfg = { zDim: 8, gChannels: [4, 2], dChannels: [2, 4] } as const; // a tiny WGAN-div
 * const runner = await TrainRunner.create(wganDivStep(4, cfg), { seed: 0 });
 * const { bytes } = exportModel({
 *   name: "generator",
 *   inputs: { z: { dtype: "float32", shape: [4, 8] } },
 *   values: runner.params("generator/"), // the (trained) weights, baked in
 *   build: (ps, { z }) => ({ image: generator(ps, z!, cfg) }),
 * });
 * const session = await createSession(bytes);
 * const { image } = await runSession(session, { z: new Float32Array(4 * 8).fill(0.5) });
 * assert.deepEqual(image!.dims, [4, 1, 28, 28]);
 * await Promise.all([session.release(), runner.release()]);
 * ```
 */
export function exportModel(cfg: ExportConfig): ExportedModel {
  const dtype = cfg.dtype ?? "float32";
  const ps = cfg.values ? new ParamConstants(cfg.values, dtype) : new ParamInputs(dtype);
  const inputs = Object.fromEntries(
    Object.entries(cfg.inputs).map(([n, s]) => [n, input(n, s.dtype, s.shape)]),
  );
  const outputs = cfg.build(ps, inputs);
  const params = ps instanceof ParamInputs ? ps.specs : [];
  const bytes = emitModel({
    name: cfg.name,
    inputs: [...Object.values(inputs), ...params.map((p) => input(p.name, p.dtype, p.shape))],
    outputs,
    ...(cfg.docString ? { docString: cfg.docString } : {}),
    ...(cfg.metadata ? { metadata: cfg.metadata } : {}),
  });
  return { bytes, params };
}

/**
 * Bakes weights into a model exported with its weights as graph inputs: each input named in `values`
 * becomes an initializer holding that value. The result is a standalone model (any ONNX runtime loads
 * it) that computes exactly what the original computed when fed those weights. A training stage uses
 * this to publish its trained model without knowing the model's code.
 */
export function bakeWeights(
  modelBytes: Uint8Array,
  values: Readonly<Record<string, Float32Array | Float64Array>>,
): Uint8Array {
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph!;
  const inputs = graph.input ?? [];
  const missing = Object.keys(values).filter((n) => !inputs.some((i) => i.name === n));
  if (missing.length > 0) {
    throw new Error(
      `Cannot bake weights: the model has no input ${missing.slice(0, 3).join(", ")}` +
        (missing.length > 3 ? ` (and ${missing.length - 3} more)` : ""),
    );
  }
  const baked: InstanceType<typeof onnx.TensorProto>[] = [];
  graph.input = inputs.filter((i) => {
    const value = values[i.name!];
    if (!value) return true;
    const dims = (i.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue));
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== value.length) {
      throw new Error(
        `Cannot bake weight '${i.name}': the model expects [${dims}] (${count} values), got ${value.length}`,
      );
    }
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
    baked.push(onnx.TensorProto.fromObject({
      name: i.name,
      dims,
      dataType: value instanceof Float64Array
        ? onnx.TensorProto.DataType.DOUBLE
        : onnx.TensorProto.DataType.FLOAT,
      rawData: bytes,
    }));
    return false;
  });
  graph.initializer = [...(graph.initializer ?? []), ...baked];
  return onnx.ModelProto.encode(model).finish();
}
