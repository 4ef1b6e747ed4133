/**
 * A normalising flow on images as the three models the pipeline needs (flow_layers.ts gives the
 * layers): the maximum-likelihood train step, the density export (records → log q(x)) and the sampler
 * export (noise → images), all from one {@link ImageFlow}, so that the density that is trained, the one
 * that is evaluated and the one that is sampled are the same function of the same parameters.
 *
 * Data convention: the model sees uniformly dequantised images x = (v + u)/256 in [0, 1] (train.run's
 * transform `{ dequantize: true }`), so −log q(x) + D·ln 256 bounds −log P(v) in nats and bits/dim
 * follow (stages/eval/likelihood_math.ts); the train step reports them per batch as well.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { additiveCoupling, chain, diagonalScaling, gaussianPrior, reverse } from "../flow_layers.ts";
 * import { dense } from "../layers.ts";
 * import { inits } from "../init.ts";
 * import { relu } from "../ops_elementwise.ts";
 * import { flowStep } from "./image_flow.ts";
 *
 * const flow = chain("/toy", [
 *   reverse("rev"),
 *   additiveCoupling("c0", { net: (ps, x, c) => dense(ps, "out", relu(dense(ps, "h", x, 8)), c), split: "evenOdd" }),
 *   diagonalScaling("scale", inits.zeros()),
 * ]);
 * const step = flowStep({ flow, prior: gaussianPrior, record: [4], sampleShape: [1, 2, 2] }, { batch: 8, lr: 1e-3 });
 * assert.deepEqual(step.metrics, ["loss", "nll", "bpd"]);
 * ```
 *
 * @module
 */
import { type Bijection, DataInit, type Prior } from "../flow_layers.ts";
import { exportModel } from "../export.ts";
import type { Tensor } from "../graph.ts";
import { add, cast, clip, equal, logicalNot, mul, neg, sub, where } from "../ops_elementwise.ts";
import { reduceMean, reduceSum } from "../ops_reduce.ts";
import { reshape } from "../ops_shape.ts";
import { adam } from "../optimizers.ts";
import { ParamInputs, type ParamSource } from "../params.ts";
import { input } from "../graph.ts";
import { buildTrainStep, type TrainStep } from "../train_step.ts";

/** A flow with its prior and the shape it reads. */
export interface ImageFlow {
  /** The bijection x → z; its scope is absolute (e.g. "/nice"), which fixes the parameter prefix. */
  flow: Bijection;
  prior: Prior;
  /** Shape of one record as the model reads it: [D] (flat) or [C, H, W]. */
  record: number[];
  /** Shape of one sample image, [C, H, W]. */
  sampleShape: number[];
}

/** The shape of the flow's output z for `batch` records (flat for a multi-scale flow), by tracing it. */
function latentShape(m: ImageFlow, batch: number): number[] {
  return [...m.flow.forward({ ps: new ParamInputs() }, input("x", "float32", [batch, ...m.record])).y.shape];
}

/** Values per record. */
export function recordSize(m: ImageFlow): number {
  return m.record.reduce((a, b) => a * b, 1);
}

/** log q(x) per record [N], in nats, of the dequantised images `x` [N, …record]. */
export function flowLogProb(ps: ParamSource, m: ImageFlow, x: Tensor): Tensor {
  const { y, logdet } = m.flow.forward({ ps }, x);
  return add(m.prior.logProb(y), logdet);
}

/** Options of {@link flowStep}. */
export interface FlowStepOptions {
  batch: number;
  /** Adam's learning rate (graph input `lr`). */
  lr: number;
  /** Adam's β₁, β₂ (Keras' defaults 0.9, 0.999 unless given). */
  b1?: number;
  b2?: number;
  /**
   * Also report `su_loss` = nll − (D/2)·ln 2π = mean ½‖z‖² − log|det| (Gaussian prior only): the
   * loss Su's NICE code prints.
   */
  suLoss?: boolean;
}

/**
 * The maximum-likelihood step: loss = mean −log q(x) over the batch (nats per image). Metrics: `loss`,
 * `nll` (the same, in nats per image) and `bpd`, the batch's bits/dim bound (nll + D ln 256)/(D ln 2).
 */
export function flowStep(m: ImageFlow, o: FlowStepOptions): TrainStep {
  const d = recordSize(m);
  return buildTrainStep({
    name: `${m.flow.name.replace(/^\//, "")}_flow`,
    batch: { x: { dtype: "float32", shape: [o.batch, ...m.record] } },
    hyper: { lr: o.lr },
    build(ctx) {
      const nll = neg(reduceMean(flowLogProb(ctx.params, m, ctx.batch.x!)));
      ctx.minimize("flow", nll, adam({ lr: ctx.hyper.lr!, b1: o.b1 ?? 0.9, b2: o.b2 ?? 0.999 }));
      const bpd = mul(add(nll, d * Math.log(256)), 1 / (d * Math.LN2));
      if (!o.suLoss) return { loss: nll, nll, bpd };
      if (m.prior.name !== "gaussian") throw new Error("su_loss is defined for the Gaussian prior only");
      return { loss: nll, nll, bpd, su_loss: sub(nll, 0.5 * d * Math.log(2 * Math.PI)) };
    },
  });
}

/** The density export: `x` [batch, …record] → `log_prob` [batch], weights as inputs. */
export function flowDensityModel(m: ImageFlow, batch: number): Uint8Array {
  return exportModel({
    name: `${m.flow.name.replace(/^\//, "")}_density`,
    inputs: { x: { dtype: "float32", shape: [batch, ...m.record] } },
    docString: "normalising flow: log-density of each dequantised image in [0, 1]",
    build: (ps, { x }) => ({ log_prob: flowLogProb(ps, m, x!) }),
  }).bytes;
}

/**
 * The sampler export: standard noise `z` [batch, D] (normal, or uniform for a logistic prior) →
 * `image` [batch, …sampleShape] in [−1, 1] (the image-generator convention): the prior's sample
 * scaled by `temperature`, through the inverse flow, clipped to [0, 1] and mapped to [−1, 1]; and
 * `diverged` [batch], the pixels of each sample whose inverse overflowed to NaN (shown black).
 */
export function flowSamplerModel(m: ImageFlow, batch: number, temperature: number): Uint8Array {
  const d = recordSize(m);
  return exportModel({
    name: `${m.flow.name.replace(/^\//, "")}_sampler`,
    inputs: { z: { dtype: "float32", shape: [batch, d] } },
    docString: `normalising flow sampler at temperature ${temperature}: noise → image in [−1, 1]`,
    build: (ps, { z }) => {
      const prior = reshape(mul(m.prior.fromNoise(z!), temperature), latentShape(m, batch));
      const x = m.flow.inverse({ ps }, prior);
      // An inverse that overflowed (an affine coupling dividing by a tiny scale, early in training) gives
      // NaN: such pixels are shown black, and `diverged` counts them per sample for the report.
      const finite = equal(x, x);
      const image = sub(mul(where(finite, clip(x, 0, 1), 0), 2), 1);
      const diverged = reduceSum(reshape(cast(logicalNot(finite), "float32"), [batch, x.size / batch]), [1]);
      return { image: reshape(image, [batch, ...m.sampleShape]), diverged };
    },
  }).bytes;
}

/**
 * The data-dependent init model (actnorm, flow_layers.ts `DataInit`): `x` [batch, …record] → the
 * initial value of each data-initialised parameter, every other parameter an input; null when the
 * flow has no such parameter.
 */
export function flowDataInitModel(
  m: ImageFlow,
  batch: number,
): { bytes: Uint8Array; outputs: string[] } | null {
  const probe = new DataInit();
  m.flow.forward({ ps: new ParamInputs(), init: probe }, input("x", "float32", [batch, ...m.record]));
  const outputs = Object.keys(probe.outputs());
  if (outputs.length === 0) return null;
  const bytes = exportModel({
    name: `${m.flow.name.replace(/^\//, "")}_data_init`,
    inputs: { x: { dtype: "float32", shape: [batch, ...m.record] } },
    docString: "data-dependent initialisation: the initial values of the actnorm parameters on a batch",
    build: (ps, { x }) => {
      const init = new DataInit();
      m.flow.forward({ ps, init }, x!);
      return init.outputs();
    },
  }).bytes;
  return { bytes, outputs };
}
