/**
 * MLP classifier (e.g. 784-256-256-10 on MNIST) and its train step: softmax cross-entropy, any
 * optimizer (Adam by default), metrics `loss` and `accuracy`.
 *
 * @module
 */
import { scope, type Tensor } from "../graph.ts";
import { dense } from "../layers.ts";
import { cast, equal, relu, tanh } from "../ops_elementwise.ts";
import { labels64 } from "../ops_index.ts";
import { softmaxCrossEntropy } from "../ops_nn.ts";
import { argmax, reduceMean } from "../ops_reduce.ts";
import { adam, type Hyper, type Optimizer } from "../optimizers.ts";
import type { ParamSource } from "../params.ts";
import { buildTrainStep, type TrainStep } from "../train_step.ts";

/** Shape of an MLP. */
export interface MlpConfig {
  /** Input features (784 for flattened MNIST). */
  inputDim: number;
  /** Hidden layer widths, e.g. [256, 256]. */
  hidden: readonly number[];
  /** Output classes. */
  classes: number;
  /** Hidden activation (default relu). */
  activation?: "relu" | "tanh";
}

/** MLP logits for `x` [N, inputDim]; parameters `<name>/fc<i>/W|b` (`name` is an absolute scope). */
export function mlp(ps: ParamSource, x: Tensor, cfg: MlpConfig, name = "mlp"): Tensor {
  const act = cfg.activation === "tanh" ? tanh : relu;
  return scope(`/${name}`, () => {
    let h = x;
    cfg.hidden.forEach((w, i) => (h = act(dense(ps, `fc${i + 1}`, h, w))));
    return dense(ps, `fc${cfg.hidden.length + 1}`, h, cfg.classes);
  });
}

/** Softmax cross-entropy loss and accuracy of logits against int labels. */
export function classificationMetrics(logits: Tensor, labels: Tensor): { loss: Tensor; accuracy: Tensor } {
  return scope("loss", () => {
    const y = labels64(labels);
    return {
      loss: softmaxCrossEntropy(logits, y),
      accuracy: reduceMean(cast(equal(argmax(logits, 1), y), logits.dtype)),
    };
  });
}

/** Options of {@link mlpClassifierStep}. */
export interface MlpStepConfig extends MlpConfig {
  batch: number;
  /** Learning rate default (a graph input named `lr`); default 1e-3. */
  lr?: number;
  /** Optimizer from the `lr` input; default Adam. */
  optimizer?: (lr: Hyper) => Optimizer;
}

/**
 * Train step of an MLP classifier. Batch: `x` float32 [batch, inputDim], `y` int32 [batch].
 * Hyper: `lr`. Metrics: `loss`, `accuracy` (before the update).
 */
export function mlpClassifierStep(cfg: MlpStepConfig): TrainStep {
  return buildTrainStep({
    name: "mlp_classifier",
    batch: {
      x: { dtype: "float32", shape: [cfg.batch, cfg.inputDim] },
      y: { dtype: "int32", shape: [cfg.batch] },
    },
    hyper: { lr: cfg.lr ?? 1e-3 },
    build(ctx) {
      const logits = mlp(ctx.params, ctx.batch.x!, cfg);
      const m = classificationMetrics(logits, ctx.batch.y!);
      const opt = (cfg.optimizer ?? ((lr) => adam({ lr })))(ctx.hyper.lr!);
      ctx.minimize("mlp", m.loss, opt);
      return m;
    },
  });
}
