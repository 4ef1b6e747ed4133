/**
 * The training runner: holds the carried tensors (parameters, optimizer state, step counter) between
 * calls of a train-step graph, feeds minibatches, and returns metrics.
 *
 * The state is plain named typed arrays: {@link TrainRunner.state} returns copies that a caller can
 * write to a checkpoint, and {@link TrainRunner.setState} restores them exactly, in this or a fresh
 * runner, so a resumed run continues bit-identically on CPU.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mlpClassifierStep } from "./models/mlp.ts";
 * import { TrainRunner } from "./runner.ts";
 *
 * const trainStep = mlpClassifierStep({ inputDim: 2, hidden: [8], classes: 2, batch: 4, lr: 0.05 });
 * const x = Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1), y = Int32Array.of(0, 1, 1, 0); // XOR, one batch
 * const runner = await TrainRunner.create(trainStep, { seed: 0 });
 * const first = await runner.step({ x, y }); // one step: { loss, accuracy }
 * const x8 = Float32Array.from({ length: 64 }, (_, i) => x[i % 8]!); // 8 batches stacked
 * const y8 = Int32Array.from({ length: 32 }, (_, i) => y[i % 4]!);
 * const ms = await runner.steps({ x: x8, y: y8 }, 8); // 8 fused steps
 * assert.ok(ms.loss![7]! < first.loss!);
 * const checkpoint = runner.state(); // named typed arrays, ready to write to a file
 * const resumed = await TrainRunner.create(trainStep, { seed: 0, state: checkpoint });
 * assert.deepEqual(await resumed.step({ x, y }), await runner.step({ x, y })); // continues bit-identically
 * await Promise.all([runner.release(), resumed.release()]);
 * ```
 *
 * @module
 */
import type * as ort from "onnxruntime-node";
import type { TypedArray } from "./dtype.ts";
import { numel } from "./dtype.ts";
import { createSession, dtypeOf, type SessionOptions, toOrt } from "./session.ts";
import type { TrainStepGraph } from "./train_step.ts";

/** Options of {@link TrainRunner.create}. */
export interface RunnerOptions extends SessionOptions {
  /** Seed of the parameter initialisation and of the in-graph RNG (default 0). */
  seed?: number;
  /** Start from this state (e.g. a checkpoint) instead of a fresh initialisation. */
  state?: Readonly<Record<string, TypedArray>>;
}

/** Carried float tensors. */
export type StateArrays = Record<string, Float32Array | Float64Array>;

/** Runs a train step (built here, or loaded from disk), keeping its state between calls. */
export class TrainRunner {
  /** The in-graph RNG seed fed to every call (int32). */
  seed: number;
  readonly #step: TrainStepGraph;
  readonly #opts: SessionOptions;
  #state: StateArrays;
  #host: ort.InferenceSession | null = null;
  readonly #fused = new Map<number, ort.InferenceSession>();

  private constructor(step: TrainStepGraph, state: StateArrays, seed: number, opts: SessionOptions) {
    this.#step = step;
    this.#state = state;
    this.seed = seed;
    this.#opts = opts;
  }

  /** Opens the host-loop session and initialises (or restores) the state. */
  static async create(step: TrainStepGraph, opts: RunnerOptions = {}): Promise<TrainRunner> {
    const seed = opts.seed ?? 0;
    const { seed: _s, state: _st, ...sessionOpts } = opts;
    const runner = new TrainRunner(step, step.initialState(seed), seed, sessionOpts);
    if (opts.state) runner.setState(opts.state);
    runner.#host = await createSession(step.hostModel(), sessionOpts);
    return runner;
  }

  /** The train step this runner executes. */
  get trainStep(): TrainStepGraph {
    return this.#step;
  }

  /** Number of steps taken so far (the carried `step` counter). */
  get stepCount(): number {
    return this.#state.step![0]!;
  }

  #feeds(
    batch: Readonly<Record<string, TypedArray>>,
    k: number | null,
    hyper: Readonly<Record<string, number>>,
  ) {
    const step = this.#step;
    const feeds: Record<string, ort.Tensor> = {};
    for (const spec of step.carried) {
      feeds[spec.name] = toOrt(spec.dtype, this.#state[spec.name]!, spec.shape);
    }
    for (const [name, spec] of Object.entries(step.batch)) {
      const data = batch[name];
      if (!data) {
        throw new Error(
          `${step.name}: the batch lacks '${name}' (expected ${spec.dtype}[${spec.shape.join(",")}])`,
        );
      }
      const dims = k === null ? spec.shape : [k, ...spec.shape];
      if (dtypeOf(data) !== spec.dtype || data.length !== numel(dims)) {
        throw new Error(
          `${step.name}: batch '${name}' must be ${spec.dtype}[${dims.join(",")}] (${numel(dims)} values), ` +
            `got a ${data.constructor.name} of ${data.length}`,
        );
      }
      feeds[name] = toOrt(spec.dtype, data, dims);
    }
    for (const name of Object.keys(batch)) {
      if (!(name in step.batch)) throw new Error(`${step.name}: unknown batch input '${name}'`);
    }
    for (const [name, dflt] of Object.entries(step.hyper)) {
      const v = hyper[name] ?? dflt;
      const arr = step.dtype === "float64" ? new Float64Array([v]) : new Float32Array([v]);
      feeds[name] = toOrt(step.dtype, arr, []);
    }
    for (const name of Object.keys(hyper)) {
      if (!(name in step.hyper)) throw new Error(`${step.name}: unknown hyperparameter '${name}'`);
    }
    feeds.seed = toOrt("int32", new Int32Array([this.seed]), []);
    return feeds;
  }

  #absorb(out: ort.InferenceSession.OnnxValueMapType): void {
    for (const spec of this.#step.carried) {
      this.#state[spec.name] = out[`next/${spec.name}`]!.data as Float32Array | Float64Array;
    }
  }

  /** Takes one step on a minibatch; `hyper` overrides hyperparameter defaults. Returns the metrics. */
  async step(
    batch: Readonly<Record<string, TypedArray>>,
    hyper: Readonly<Record<string, number>> = {},
  ): Promise<Record<string, number>> {
    const out = await this.#host!.run(this.#feeds(batch, null, hyper));
    this.#absorb(out);
    return Object.fromEntries(this.#step.metrics.map((m) => [m, Number(out[m]!.data[0])]));
  }

  /**
   * Takes `k` steps in one call (Scan); each batch array holds `k` minibatches back to back.
   * Returns each metric per step. The fused session for `k` is compiled on first use.
   */
  async steps(
    batch: Readonly<Record<string, TypedArray>>,
    k: number,
    hyper: Readonly<Record<string, number>> = {},
  ): Promise<Record<string, Float32Array | Float64Array>> {
    let session = this.#fused.get(k);
    if (!session) {
      session = await createSession(this.#step.fusedModel(k), this.#opts);
      this.#fused.set(k, session);
    }
    const out = await session.run(this.#feeds(batch, k, hyper));
    this.#absorb(out);
    return Object.fromEntries(this.#step.metrics.map((m) => [m, out[m]!.data as Float32Array]));
  }

  /** Copies of every carried tensor (parameters, optimizer slots, `step`), by name: a checkpoint. */
  state(): StateArrays {
    return Object.fromEntries(Object.entries(this.#state).map(([k, v]) => [k, v.slice()]));
  }

  /** Copies of the parameters whose names start with `prefix` (all by default). */
  params(prefix = ""): StateArrays {
    const out: StateArrays = {};
    for (const p of this.#step.params) {
      if (p.name.startsWith(prefix)) out[p.name] = this.#state[p.name]!.slice();
    }
    return out;
  }

  /**
   * Replaces carried tensors (all or some) with copies of `state`, e.g. from a checkpoint. Unknown names
   * and wrong sizes are errors.
   */
  setState(state: Readonly<Record<string, TypedArray>>): void {
    const specs = new Map(this.#step.carried.map((s) => [s.name, s]));
    for (const [name, data] of Object.entries(state)) {
      const spec = specs.get(name);
      if (!spec) {
        throw new Error(`${this.#step.name}: setState got '${name}', which is not carried by this step`);
      }
      if (data.length !== numel(spec.shape) || dtypeOf(data) !== spec.dtype) {
        throw new Error(
          `${this.#step.name}: setState '${name}' must be ${spec.dtype}[${spec.shape.join(",")}], got a ` +
            `${data.constructor.name} of ${data.length}`,
        );
      }
      this.#state[name] = data.slice() as Float32Array | Float64Array;
    }
  }

  /**
   * Ends profiling on every open session (opened with `profileFilePrefix`), so that each writes its
   * profile file.
   */
  endProfiling(): void {
    this.#host?.endProfiling();
    for (const s of this.#fused.values()) s.endProfiling();
  }

  /** Releases the sessions. */
  async release(): Promise<void> {
    await this.#host?.release();
    for (const s of this.#fused.values()) await s.release();
    this.#host = null;
    this.#fused.clear();
  }
}
