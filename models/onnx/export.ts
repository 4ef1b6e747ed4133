/**
 * Standalone inference models from model code: the same function that a train step uses, built with
 * the trained weights baked in as initializers (loadable by any ONNX runtime), or with the weights as
 * graph inputs.
 *
 * @module
 */
import type { TypedArray } from "./dtype.ts";
import type { FloatDType } from "./dtype.ts";
import { emitModel } from "./emit.ts";
import { input, type Tensor } from "./graph.ts";
import type { ParamSpec } from "./init.ts";
import { ParamConstants, ParamInputs, type ParamSource } from "./params.ts";
import type { BatchSpec } from "./train_step.ts";

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
 * const { bytes } = exportModel({
 *   name: "generator",
 *   inputs: { z: { dtype: "float32", shape: [64, 100] } },
 *   values: runner.params("generator/"),
 *   build: (ps, { z }) => ({ image: generator(ps, z!, cfg) }),
 * });
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
