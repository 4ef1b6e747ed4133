/**
 * A small CNN classifier for 28×28×1 images (10 classes by default), its train step (softmax
 * cross-entropy, Adam) and a baked inference model whose outputs are the logits and the
 * penultimate-layer features, used for the "classifier FID" (a Fréchet distance on these features,
 * since no pretrained Inception weights exist offline).
 *
 * Architecture: Conv(1→c1, k4 s2 p1) → ReLU → Conv(c1→c2, k4 s2 p1) → ReLU → flatten (c2·7·7)
 * → Dense(features) → ReLU → Dense(classes). Strided convolutions replace pooling.
 *
 * @module
 */
import { scope, type Tensor } from "../graph.ts";
import { conv2dLayer, dense } from "../layers.ts";
import { relu } from "../ops_elementwise.ts";
import { flatten } from "../ops_shape.ts";
import { adam } from "../optimizers.ts";
import type { TypedArray } from "../dtype.ts";
import { exportModel } from "../export.ts";
import type { ParamSource } from "../params.ts";
import { buildTrainStep, type TrainStep } from "../train_step.ts";
import { classificationMetrics } from "./mlp.ts";

/** Shape of the CNN classifier. */
export interface CnnConfig {
  /** Channels of the two conv layers (default [32, 64]). */
  channels?: readonly [number, number];
  /** Width of the penultimate (feature) layer (default 128). */
  features?: number;
  /** Classes (default 10). */
  classes?: number;
  /** Image side (default 28; must be divisible by 4). */
  size?: number;
}

/** Logits [N, classes] and penultimate features [N, features] of `x` [N, 1, size, size]. */
export function cnnClassifier(
  ps: ParamSource,
  x: Tensor,
  cfg: CnnConfig = {},
): { logits: Tensor; features: Tensor } {
  const [c1, c2] = cfg.channels ?? [32, 64];
  return scope("/cnn", () => {
    const h1 = relu(conv2dLayer(ps, "conv1", x, c1, 4, { stride: 2, pad: 1 }));
    const h2 = relu(conv2dLayer(ps, "conv2", h1, c2, 4, { stride: 2, pad: 1 }));
    const features = relu(dense(ps, "fc1", flatten(h2), cfg.features ?? 128));
    return { logits: dense(ps, "fc2", features, cfg.classes ?? 10), features };
  });
}

/** Options of {@link cnnClassifierStep}. */
export interface CnnStepConfig extends CnnConfig {
  batch: number;
  /** Default of the `lr` input (default 1e-3). */
  lr?: number;
}

/**
 * Train step of the CNN classifier. Batch: `x` float32 [batch, 1, size, size] (pixels as the pipeline
 * scales them), `y` int32 [batch]. Hyper: `lr`. Metrics: `loss`, `accuracy`.
 */
export function cnnClassifierStep(cfg: CnnStepConfig): TrainStep {
  const size = cfg.size ?? 28;
  return buildTrainStep({
    name: "cnn_classifier",
    batch: {
      x: { dtype: "float32", shape: [cfg.batch, 1, size, size] },
      y: { dtype: "int32", shape: [cfg.batch] },
    },
    hyper: { lr: cfg.lr ?? 1e-3 },
    build(ctx) {
      const { logits } = cnnClassifier(ctx.params, ctx.batch.x!, cfg);
      const m = classificationMetrics(logits, ctx.batch.y!);
      ctx.minimize("cnn", m.loss, adam({ lr: ctx.hyper.lr! }));
      return m;
    },
  });
}

/**
 * The inference model with trained weights baked in: input `x` float32 [batch, 1, size, size],
 * outputs `logits` [batch, classes] and `features` [batch, features].
 * `values` are the trained parameters (e.g. `runner.params("cnn/")`).
 */
export function cnnFeaturesModel(
  cfg: CnnConfig,
  values: Readonly<Record<string, TypedArray>>,
  batch: number,
): Uint8Array {
  const size = cfg.size ?? 28;
  return exportModel({
    name: "cnn_classifier_features",
    inputs: { x: { dtype: "float32", shape: [batch, 1, size, size] } },
    values,
    docString: "CNN classifier: logits and penultimate-layer features (for classifier FID)",
    metadata: { config: JSON.stringify(cfg) },
    build: (ps, { x }) => cnnClassifier(ps, x!, cfg),
  }).bytes;
}
