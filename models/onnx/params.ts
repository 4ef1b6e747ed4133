/**
 * Parameter sources: where a model's weights come from when its graph is built.
 *
 * Model code asks for `ps.param("W", shape, init)` inside a layer scope and gets the tensor for
 * `<layer path>/W`. The same model code then serves three purposes:
 * - {@link ParamInputs}: weights are graph inputs (training graphs; the specs are recorded for init);
 * - {@link ParamConstants}: weights are baked in as initializers (exported inference models);
 * - the train-step context's source, which returns updated values after an optimizer step.
 *
 * @module
 */
import type { FloatDType, TypedArray } from "./dtype.ts";
import { constant, currentPath, GraphError, input, type Tensor } from "./graph.ts";
import type { Init, ParamSpec } from "./init.ts";

/** Supplies parameter tensors to model code. */
export interface ParamSource {
  /** Element type of the parameters. */
  readonly dtype: FloatDType;
  /** The parameter `<current layer path>/<name>` of `shape`, initialised by `init` when it is trainable. */
  param(name: string, shape: readonly number[], init: Init): Tensor;
}

/** The full name of a parameter requested as `name` in the current layer path. */
export function paramName(name: string): string {
  const path = currentPath();
  return path === "" ? name : `${path}/${name}`;
}

/** Checks a repeated request for a parameter against its first one. */
export function checkSameShape(spec: ParamSpec, shape: readonly number[]): void {
  if (spec.shape.join() !== shape.join()) {
    throw new GraphError(
      `parameter '${spec.name}' was created as [${spec.shape.join(",")}] and is now requested as ` +
        `[${shape.join(",")}]; two layers share a name (give each layer its own scope)`,
    );
  }
}

/** Parameters as named graph inputs; records their specs in order of first use. */
export class ParamInputs implements ParamSource {
  readonly #specs = new Map<string, ParamSpec>();
  constructor(readonly dtype: FloatDType = "float32") {}

  param(name: string, shape: readonly number[], init: Init): Tensor {
    const full = paramName(name);
    const prev = this.#specs.get(full);
    if (prev) checkSameShape(prev, shape);
    else this.#specs.set(full, { name: full, shape: [...shape], dtype: this.dtype, init });
    return input(full, this.dtype, shape);
  }

  /** Specs of every parameter requested so far, in order of first use. */
  get specs(): ParamSpec[] {
    return [...this.#specs.values()];
  }

  /** The input tensors, keyed by parameter name. */
  tensors(): Record<string, Tensor> {
    return Object.fromEntries(this.specs.map((s) => [s.name, input(s.name, s.dtype, s.shape)]));
  }
}

/** Parameters baked in as constants (initializers named by their layer path), for exported models. */
export class ParamConstants implements ParamSource {
  constructor(
    readonly values: Readonly<Record<string, TypedArray>>,
    readonly dtype: FloatDType = "float32",
  ) {}

  param(name: string, shape: readonly number[]): Tensor {
    const full = paramName(name);
    const data = this.values[full];
    if (!data) {
      const known = Object.keys(this.values);
      throw new GraphError(
        `no value for parameter '${full}'; the values hold ${known.length} parameters` +
          (known.length ? ` (e.g. ${known.slice(0, 4).join(", ")})` : "") + `; pass the trained state`,
      );
    }
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) {
      throw new GraphError(
        `parameter '${full}' has ${data.length} values, but the layer needs [${shape.join(",")}]`,
      );
    }
    const arr = this.dtype === "float64"
      ? Float64Array.from(data as Float64Array)
      : Float32Array.from(data as Float32Array);
    return constant(arr, this.dtype, shape, name);
  }
}
