/**
 * A train step on disk, so that one pipeline stage builds the graph and another trains it.
 *
 * ```
 * <dir>/signature.json          name, dtype, batch/hyper specs, carried tensors, params, metrics, fused ks
 * <dir>/train_step.onnx         one step per call
 * <dir>/train_step.k<K>.onnx    K fused steps per call (Scan), for each K asked for (any other K is
 *                               derived from train_step.onnx on load, fuse_steps.ts)
 * <dir>/init.safetensors        the initial state (parameters from the seed, zeroed optimizer state)
 * ```
 *
 * Building the graph as its own stage gives early cutoff: an edit to model code that leaves the
 * emitted bytes unchanged (emission is deterministic) leaves the training stage cached.
 *
 * @module
 */
import type { FloatDType } from "./dtype.ts";
import { fuseSteps } from "./fuse_steps.ts";
import { decodeSafetensors, encodeSafetensors, stateToTensors } from "./safetensors.ts";
import type { BatchSpec, TrainStepGraph } from "./train_step.ts";

interface Signature {
  name: string;
  dtype: FloatDType;
  batch: Record<string, BatchSpec>;
  hyper: Record<string, number>;
  carried: { name: string; shape: number[]; dtype: FloatDType }[];
  params: { name: string; shape: number[] }[];
  metrics: string[];
  fused: number[];
  seed: number;
}

/** Writes `step` into `dir`: its models (host loop and each fused K) and its initial state for `seed`. */
export async function saveTrainStep(
  step: TrainStepGraph,
  dir: string,
  options: { seed: number; fused?: readonly number[] },
): Promise<void> {
  const fused = [...new Set(options.fused ?? [])].sort((a, b) => a - b);
  const signature: Signature = {
    name: step.name,
    dtype: step.dtype,
    batch: { ...step.batch },
    hyper: { ...step.hyper },
    carried: step.carried.map((c) => ({ name: c.name, shape: [...c.shape], dtype: c.dtype })),
    params: step.params.map((p) => ({ name: p.name, shape: [...p.shape] })),
    metrics: [...step.metrics],
    fused,
    seed: options.seed,
  };
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/signature.json`, JSON.stringify(signature, null, 1));
  await Deno.writeFile(`${dir}/train_step.onnx`, step.hostModel());
  for (const k of fused) await Deno.writeFile(`${dir}/train_step.k${k}.onnx`, step.fusedModel(k));
  const shapes = Object.fromEntries(signature.carried.map((c) => [c.name, c.shape]));
  await Deno.writeFile(
    `${dir}/init.safetensors`,
    encodeSafetensors(stateToTensors(step.initialState(options.seed), shapes)),
  );
}

/** A train step read back from `dir`, ready for `TrainRunner.create(step, { seed: step.seed })`. */
export class SavedTrainStep implements TrainStepGraph {
  readonly name: string;
  readonly dtype: FloatDType;
  readonly batch: Readonly<Record<string, BatchSpec>>;
  readonly hyper: Readonly<Record<string, number>>;
  readonly params: readonly { name: string; shape: number[] }[];
  readonly carried: readonly { name: string; shape: number[]; dtype: FloatDType }[];
  readonly metrics: readonly string[];
  /** The fused step counts that have a model on disk (others are derived from the host model). */
  readonly fused: readonly number[];
  /** The seed the initial state was drawn with (also feeds the in-graph RNG). */
  readonly seed: number;
  readonly #dir: string;

  private constructor(dir: string, s: Signature) {
    this.#dir = dir;
    this.name = s.name;
    this.dtype = s.dtype;
    this.batch = s.batch;
    this.hyper = s.hyper;
    this.params = s.params;
    this.carried = s.carried;
    this.metrics = s.metrics;
    this.fused = s.fused;
    this.seed = s.seed;
  }

  static async load(dir: string): Promise<SavedTrainStep> {
    let signature: Signature;
    try {
      signature = JSON.parse(await Deno.readTextFile(`${dir}/signature.json`));
    } catch (error) {
      throw new Error(
        `Cannot load the train step in ${dir}: signature.json is missing or unreadable (${
          (error as Error).message
        })`,
      );
    }
    return new SavedTrainStep(dir, signature);
  }

  hostModel(): Uint8Array {
    return Deno.readFileSync(`${this.#dir}/train_step.onnx`);
  }

  /** The model of `k` fused steps: the one the graph stage wrote, else derived from the host model. */
  fusedModel(k: number): Uint8Array {
    if (this.fused.includes(k)) return Deno.readFileSync(`${this.#dir}/train_step.k${k}.onnx`);
    return fuseSteps(this.hostModel(), k, this);
  }

  initialState(seed: number): Record<string, Float32Array | Float64Array> {
    if (seed !== this.seed) {
      throw new Error(`${this.name}: the saved initial state was drawn with seed ${this.seed}, not ${seed}`);
    }
    const path = `${this.#dir}/init.safetensors`;
    const { tensors } = decodeSafetensors(Deno.readFileSync(path), path);
    return Object.fromEntries(
      Object.entries(tensors).map(([n, t]) => [n, t.data as Float32Array | Float64Array]),
    );
  }
}
