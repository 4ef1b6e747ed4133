/**
 * `custom-loss.graph`: an MNIST classifier with a 2-d feature layer (784 → 256 → 64 → 2 → 10: ReLU, then
 * the linear 2-d features the center-loss paper plots, then the softmax head) trained with the loss its
 * params choose (losses.ts): plain cross-entropy, ε-smoothed cross-entropy, or cross-entropy plus λ times
 * the center loss, the centres a [10, 2] parameter. Its export (logits and features, weights as inputs)
 * is what `eval.classifier` judges.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import type { Tensor } from "../../models/onnx/graph.ts";
import type { ParamSource } from "../../models/onnx/params.ts";
import type { FeaturesExport } from "../../stages/train/export_info.ts";
import { optimizerSchema } from "../../stages/train/optimizer_params.ts";

export const graphParams = z.object({
  loss: z.enum(["ce", "smoothed", "center"]).default("ce"),
  /** ε of the smoothed cross-entropy (the article's value is lost with its code; 0.1 is the usual one). */
  eps: z.number().min(0).lt(1).default(0.1),
  /** λ of the center loss (not given in the article). */
  lambda: z.number().min(0).default(0.1),
  hidden: z.array(z.number().int().min(1)).min(1).default([256, 64]),
  batch: z.number().int().min(1).default(128),
  evalBatch: z.number().int().min(1).default(500),
  optimizer: optimizerSchema.default(optimizerSchema.parse({ kind: "adam" })),
  seed: z.number().int().min(0).default(0),
  fuse: z.array(z.number().int().min(2)).default([]),
}).strict();

type GraphParams = z.output<typeof graphParams>;

async function modules() {
  return {
    ...await import("../../models/onnx/graph.ts"),
    ...await import("../../models/onnx/layers.ts"),
    ...await import("../../models/onnx/ops_elementwise.ts"),
  };
}

/** Logits [N, 10] and the 2-d features [N, 2] of flat images x [N, 784]. */
function classifier(m: Awaited<ReturnType<typeof modules>>, ps: ParamSource, x: Tensor, p: GraphParams) {
  return m.scope("/clf", () => {
    let h = x;
    p.hidden.forEach((w, i) => (h = m.relu(m.dense(ps, `fc${i + 1}`, h, w))));
    const features = m.dense(ps, "features", h, 2);
    return { logits: m.dense(ps, "head", features, 10), features };
  });
}

export const graph = defineStage({
  kind: "custom-loss.graph",
  module: import.meta.url,
  description: "MNIST classifier with 2-d features, trained with CE, ε-smoothed CE or CE + center loss",
  params: graphParams,
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const m = await modules();
    const { buildTrainStep } = await import("../../models/onnx/train_step.ts");
    const { saveTrainStep } = await import("../../models/onnx/saved_step.ts");
    const { exportModel } = await import("../../models/onnx/export.ts");
    const { buildOptimizer } = await import("../../models/onnx/optimizer_choice.ts");
    const { inits } = await import("../../models/onnx/init.ts");
    const { argmax, reduceMean } = await import("../../models/onnx/ops_reduce.ts");
    const { labels64 } = await import("../../models/onnx/ops_index.ts");
    const { centerDistance, smoothedCrossEntropy } = await import("./losses.ts");
    const step = buildTrainStep({
      name: `mnist_${p.loss}`,
      batch: { x: { dtype: "float32", shape: [p.batch, 784] }, y: { dtype: "int32", shape: [p.batch] } },
      build(sctx) {
        const { logits, features } = classifier(m, sctx.params, sctx.batch.x!, p);
        const y = sctx.batch.y!;
        const ce = smoothedCrossEntropy(logits, y, 0);
        const accuracy = reduceMean(m.cast(m.equal(argmax(logits, 1), labels64(y)), "float32"));
        let loss = ce;
        const metrics: Record<string, Tensor> = { ce, accuracy };
        if (p.loss === "smoothed") loss = smoothedCrossEntropy(logits, y, p.eps);
        if (p.loss === "center") {
          // Outside clf/: the centres are the loss's, not the classifier's (snapshots keep clf/ only).
          const centres = m.scope("/center", () => sctx.params.param("centres", [10, 2], inits.zeros()));
          metrics.center = centerDistance(features, y, centres);
          loss = m.add(ce, m.mul(metrics.center, p.lambda));
        }
        sctx.minimize("net", loss, buildOptimizer(p.optimizer, sctx.step));
        return { loss, ...metrics };
      },
    });
    await saveTrainStep(step, `${ctx.outDir}/step`, { seed: p.seed, fused: p.fuse });
    const { bytes } = exportModel({
      name: `mnist_${p.loss}`,
      inputs: { x: { dtype: "float32", shape: [p.evalBatch, 784] } },
      docString: "MNIST classifier: logits and its 2-d features",
      build: (ps, { x }) => classifier(m, ps, x!, p),
    });
    await Deno.writeFile(`${ctx.outDir}/export.onnx`, bytes);
    const info: FeaturesExport = {
      role: "features",
      input: "x",
      inputShape: [p.evalBatch, 784],
      inputRange: [0, 1],
      logits: "logits",
      features: "features",
      featureDim: 2,
      classes: 10,
      paramPrefix: "clf/",
    };
    await Deno.writeTextFile(`${ctx.outDir}/export.json`, JSON.stringify(info, null, 1));
  },
});
