/**
 * Train-step graphs: one ONNX graph whose inputs are the parameters, the optimizer state, a minibatch,
 * hyperparameters and the RNG seed, and whose outputs are the updated parameters and state plus the
 * metrics. The host loop feeds outputs back as inputs ({@link TrainRunner} in runner.ts).
 *
 * A step is described by a `build(ctx)` function that computes losses from `ctx.params`, `ctx.batch`
 * and `ctx.rng`, and calls `ctx.minimize(label, loss, optimizer, select)` once or several times. After
 * a `minimize`, `ctx.params` returns the updated values, so a GAN's generator step can go through the
 * freshly updated critic within the same graph.
 *
 * The same build function also yields a fused graph that runs K steps in one call through an ONNX Scan
 * over K stacked minibatches (per-step metrics come out as [K] vectors), which saves the per-call copy
 * of the whole state (onnx-training.md §3).
 *
 * Graph interface (both forms):
 * - inputs: every carried tensor by name (parameters by layer path such as `critic/conv1/W`, optimizer
 *   slots as `opt/<label>/<slot>/<param>`, the step counter `step`), the batch tensors by name ([K, ...]
 *   when fused), the hyperparameters by name (float scalars), and `seed` (int32 scalar);
 * - outputs: `next/<carried name>` for every carried tensor, then the metrics by name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mlp } from "./models/mlp.ts";
 * import { softmaxCrossEntropy } from "./ops_nn.ts";
 * import { adam } from "./optimizers.ts";
 * import { buildTrainStep } from "./train_step.ts";
 *
 * const ts = buildTrainStep({
 *   name: "mlp",
 *   batch: { x: { dtype: "float32", shape: [128, 784] }, y: { dtype: "int32", shape: [128] } },
 *   hyper: { lr: 1e-3 },
 *   build(ctx) {
 *     const logits = mlp(ctx.params, ctx.batch.x!, { inputDim: 784, hidden: [256, 256], classes: 10 });
 *     const loss = softmaxCrossEntropy(logits, ctx.batch.y!);
 *     ctx.minimize("mlp", loss, adam({ lr: ctx.hyper.lr! }));
 *     return { loss };
 *   },
 * });
 * assert.deepEqual(ts.params.map((p) => p.name).slice(0, 2), ["mlp/fc1/W", "mlp/fc1/b"]);
 * assert.ok(ts.carried.some((c) => c.name === "opt/mlp/mu/mlp/fc1/W")); // Adam's first moment of fc1/W
 * assert.deepEqual(ts.metrics, ["loss"]);
 * ```
 *
 * @module
 */
import { gradMap } from "./autodiff.ts";
import type { DType, FloatDType } from "./dtype.ts";
import { emitGraph, encodeModel } from "./emit.ts";
import { fuseSteps } from "./fuse_steps.ts";
import { GraphError, input, scope, type Tensor } from "./graph.ts";
import { initParam, type ParamSpec } from "./init.ts";
import { add } from "./ops_elementwise.ts";
import { reshape } from "./ops_shape.ts";
import { applyUpdates, type Optimizer, type SlotSpec } from "./optimizers.ts";
import { checkSameShape, paramName, type ParamSource } from "./params.ts";
import { GraphRng } from "./rng.ts";

/** A minibatch input of one step. */
export interface BatchSpec {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** Which parameters a `minimize` updates: a name prefix, a list of names, or a predicate. */
export type ParamSelector = string | readonly string[] | ((name: string) => boolean);

/** What `build` receives. */
export interface StepContext {
  /** Current parameter values (updated ones after a `minimize`). Model code takes this as its source. */
  readonly params: ParamSource;
  /** This step's minibatch tensors. */
  readonly batch: Readonly<Record<string, Tensor>>;
  /** Scalar hyperparameter inputs (float), e.g. learning rates. */
  readonly hyper: Readonly<Record<string, Tensor>>;
  /** The step counter (float scalar): 0 on the first step. */
  readonly step: Tensor;
  /** In-graph noise keyed by (seed, step). */
  readonly rng: GraphRng;
  /** The current values of the parameters that `select` picks, by name. */
  paramsOf(select: ParamSelector): Record<string, Tensor>;
  /**
   * Takes one optimizer step on `loss` for the selected parameters (default: all registered so far).
   * Optimizer state lives in carried slots `opt/<label>/...`; calling again with the same label
   * continues the same state.
   */
  minimize(label: string, loss: Tensor, opt: Optimizer, select?: ParamSelector): void;
  /** Extra carried state (not trained by gradients), e.g. an EMA: declare it, then {@link setCarry}. */
  carry(name: string, shape: readonly number[], fill?: number): Tensor;
  /** Sets the next value of a carried tensor declared with {@link carry}. */
  setCarry(name: string, value: Tensor): void;
}

/** Describes a train step. */
export interface TrainStepConfig {
  name: string;
  /** Parameter dtype (default float32). */
  dtype?: FloatDType;
  batch: Readonly<Record<string, BatchSpec>>;
  /** Scalar float hyperparameters with their default values (graph inputs, changeable per call). */
  hyper?: Readonly<Record<string, number>>;
  /** Builds the step; returns scalar metrics by name. */
  build(ctx: StepContext): Readonly<Record<string, Tensor>>;
}

/** A carried tensor that is not a parameter: an optimizer slot, the step counter, or user state. */
export interface CarriedSpec extends SlotSpec {
  readonly name: string;
}

interface Carried {
  spec: ParamSpec | CarriedSpec;
  isParam: boolean;
  input: Tensor;
  current: Tensor;
}

interface Trace {
  carried: Map<string, Carried>;
  batch: Record<string, Tensor>;
  hyper: Record<string, Tensor>;
  seed: Tensor;
  metrics: [string, Tensor][];
}

const selects = (select: ParamSelector | undefined, name: string) =>
  select === undefined
    ? true
    : typeof select === "string"
    ? name.startsWith(select)
    : typeof select === "function"
    ? select(name)
    : select.includes(name);

/** Runs `build` once: carried inputs, batch inputs and hyperparameters are graph inputs named as they are. */
function trace(cfg: TrainStepConfig): Trace {
  const dtype = cfg.dtype ?? "float32";
  const carried = new Map<string, Carried>();
  const declare = (spec: ParamSpec | CarriedSpec, isParam: boolean): Carried => {
    const t = input(spec.name, spec.dtype, spec.shape);
    const c = { spec, isParam, input: t, current: t };
    carried.set(spec.name, c);
    return c;
  };
  const seed = input("seed", "int32", []);
  const stepSlot = declare({ name: "step", shape: [], dtype, fill: 0 }, false);
  const batch = Object.fromEntries(
    Object.entries(cfg.batch).map(([n, b]) => [n, input(n, b.dtype, b.shape)]),
  );
  const hyper = Object.fromEntries(Object.keys(cfg.hyper ?? {}).map((n) => [n, input(n, dtype, [])]));

  const params: ParamSource = {
    dtype,
    param(name, shape, init) {
      const full = paramName(name);
      const c = carried.get(full);
      if (c) {
        if (!c.isParam) throw new GraphError(`'${full}' is a carried state slot, not a parameter`);
        checkSameShape(c.spec as ParamSpec, shape);
        return c.current;
      }
      return declare({ name: full, shape: [...shape], dtype, init }, true).current;
    },
  };
  const paramsOf = (select: ParamSelector | undefined) => {
    const out: Record<string, Tensor> = {};
    for (const [n, c] of carried) if (c.isParam && selects(select, n)) out[n] = c.current;
    return out;
  };

  const ctx: StepContext = {
    params,
    batch,
    hyper,
    step: stepSlot.input,
    rng: new GraphRng(seed, stepSlot.input, dtype),
    paramsOf,
    minimize(label, loss, opt, select) {
      const chosen = paramsOf(select);
      const names = Object.keys(chosen);
      if (names.length === 0) {
        const all = [...carried.values()].filter((c) => c.isParam).map((c) => c.spec.name);
        throw new GraphError(
          `minimize('${label}'): no parameter matches the selector; parameters so far: ${
            all.join(", ") || "none"
          }`,
        );
      }
      if (loss.size !== 1) {
        throw new GraphError(`minimize('${label}'): the loss must be a scalar, got ${loss}`);
      }
      const grads = gradMap(reshape(loss, []), chosen);
      const infos = Object.fromEntries(names.map((n) => [n, { shape: chosen[n]!.shape, dtype }]));
      const slotSpecs = opt.init(infos);
      const state: Record<string, Tensor> = {};
      for (const [key, s] of Object.entries(slotSpecs)) {
        const full = `opt/${label}/${key}`;
        state[key] = (carried.get(full) ?? declare({ name: full, ...s }, false)).current;
      }
      scope(`/opt/${label}`, () => {
        const r = opt.update(grads, state, chosen);
        const next = applyUpdates(chosen, r.updates);
        for (const n of names) carried.get(n)!.current = next[n]!;
        for (const [key, v] of Object.entries(r.state)) {
          const c = carried.get(`opt/${label}/${key}`);
          if (!c) {
            throw new GraphError(
              `optimizer ${opt.name} returned state '${key}' that its init did not declare`,
            );
          }
          c.current = v;
        }
      });
    },
    carry(name, shape, fill = 0) {
      const c = carried.get(name) ?? declare({ name, shape: [...shape], dtype, fill }, false);
      return c.current;
    },
    setCarry(name, value) {
      const c = carried.get(name);
      if (!c || c.isParam) throw new GraphError(`setCarry('${name}'): declare it with carry() first`);
      if (value.shape.join() !== c.spec.shape.join()) {
        throw new GraphError(
          `setCarry('${name}'): value ${value} does not match [${c.spec.shape.join(",")}]`,
        );
      }
      c.current = value;
    },
  };

  const metrics = Object.entries(cfg.build(ctx)).map(([n, t]): [string, Tensor] => {
    if (t.size !== 1) throw new GraphError(`metric '${n}' must be a scalar, got ${t}`);
    return [n, reshape(t, [])];
  });
  stepSlot.current = scope("step", () => add(stepSlot.input, 1));
  return { carried, batch, hyper, seed, metrics };
}

/**
 * What a runner needs of a train step: its interface and its ONNX models. A {@link TrainStep} built
 * in this process is one; so is a step loaded from disk (saved_step.ts), which lets a training stage
 * run a graph built by another stage.
 */
export interface TrainStepGraph {
  readonly name: string;
  readonly dtype: FloatDType;
  readonly batch: Readonly<Record<string, BatchSpec>>;
  readonly hyper: Readonly<Record<string, number>>;
  readonly params: readonly { readonly name: string; readonly shape: readonly number[] }[];
  readonly carried: readonly {
    readonly name: string;
    readonly shape: readonly number[];
    readonly dtype: FloatDType;
  }[];
  readonly metrics: readonly string[];
  hostModel(): Uint8Array;
  fusedModel(k: number): Uint8Array;
  initialState(seed: number): Record<string, Float32Array | Float64Array>;
}

/** A built train step: its specs and its host-loop and fused ONNX models. */
export class TrainStep implements TrainStepGraph {
  readonly name: string;
  readonly dtype: FloatDType;
  readonly batch: Readonly<Record<string, BatchSpec>>;
  readonly hyper: Readonly<Record<string, number>>;
  /** Trainable parameters in order of first use. */
  readonly params: readonly ParamSpec[];
  /** Every carried tensor (parameters, optimizer slots, `step`, user state) in graph order. */
  readonly carried: readonly (ParamSpec | CarriedSpec)[];
  /** Metric names, in output order. */
  readonly metrics: readonly string[];
  #host?: Uint8Array;
  readonly #fused = new Map<number, Uint8Array>();

  constructor(cfg: TrainStepConfig) {
    this.name = cfg.name;
    this.dtype = cfg.dtype ?? "float32";
    this.batch = cfg.batch;
    this.hyper = cfg.hyper ?? {};
    const t = trace(cfg);
    this.carried = [...t.carried.values()].map((c) => c.spec);
    this.params = [...t.carried.values()].filter((c) => c.isParam).map((c) => c.spec as ParamSpec);
    this.metrics = t.metrics.map(([n]) => n);
    this.#host = encodeModel(
      emitGraph({
        name: cfg.name,
        inputs: [
          ...[...t.carried.values()].map((c) => c.input),
          ...Object.values(t.batch),
          ...Object.values(t.hyper),
          t.seed,
        ],
        outputs: [
          ...[...t.carried.values()].map((c): [string, Tensor] => [`next/${c.spec.name}`, c.current]),
          ...t.metrics,
        ],
        docString: `Train step '${cfg.name}': carried tensors in, next/<name> out, metrics ${
          this.metrics.join(", ")
        }`,
      }),
      { docString: "Built by models/onnx/train_step.ts" },
    );
  }

  /** The host-loop model: one step per call. */
  hostModel(): Uint8Array {
    return this.#host!;
  }

  /** The fused model: `k` steps per call through a Scan over batch tensors stacked as [k, ...] (fuse_steps.ts). */
  fusedModel(k: number): Uint8Array {
    const hit = this.#fused.get(k);
    if (hit) return hit;
    const bytes = fuseSteps(this.hostModel(), k, this);
    this.#fused.set(k, bytes);
    return bytes;
  }

  /**
   * Initial values of every carried tensor: parameters from their initialisers with streams keyed by
   * (seed, name) (see init.ts), optimizer slots and `step` from their fill values.
   */
  initialState(seed: number): Record<string, Float32Array | Float64Array> {
    const out: Record<string, Float32Array | Float64Array> = {};
    for (const spec of this.carried) {
      if ("init" in spec) out[spec.name] = initParam(spec, seed);
      else {
        const n = spec.shape.reduce((a, b) => a * b, 1);
        const arr = spec.dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
        out[spec.name] = arr.fill(spec.fill);
      }
    }
    return out;
  }
}

/** Builds a train step (and its host-loop ONNX model) from a config. */
export function buildTrainStep(cfg: TrainStepConfig): TrainStep {
  return new TrainStep(cfg);
}
