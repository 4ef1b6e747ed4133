/**
 * `muon.graph`: the train step of a Fashion-MNIST classifier (the MLP 784-512-512-10 of §D1, or the
 * small CNN of models/onnx/models/cnn_classifier.ts) with the optimizer its params choose
 * (stages/train/optimizer_params.ts: AdamW, or Muon on the hidden matrices and AdamW on the rest), and
 * its export for `eval.classifier` (logits and the penultimate features, weights as inputs).
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
  model: z.enum(["mlp", "cnn"]).default("mlp"),
  /** The MLP's hidden widths. */
  hidden: z.array(z.number().int().min(1)).min(1).default([512, 512]),
  /** The CNN's two conv widths and its feature width. */
  channels: z.tuple([z.number().int().min(1), z.number().int().min(1)]).default([32, 64]),
  features: z.number().int().min(2).default(128),
  batch: z.number().int().min(1).default(128),
  /** Batch of the export that eval.classifier runs. */
  evalBatch: z.number().int().min(1).default(500),
  optimizer: optimizerSchema.default(optimizerSchema.parse({})),
  seed: z.number().int().min(0).default(0),
  /** Fused step counts to build (train.fuse must be one of them, or 1). */
  fuse: z.array(z.number().int().min(2)).default([]),
}).strict();

export type GraphParams = z.output<typeof graphParams>;

/** The model code a graph needs, imported inside `run` (loading the pipeline stays light). */
async function modelModules() {
  return {
    ...await import("../../models/onnx/graph.ts"),
    ...await import("../../models/onnx/layers.ts"),
    ...await import("../../models/onnx/ops_elementwise.ts"),
    ...await import("../../models/onnx/models/cnn_classifier.ts"),
  };
}

/** Logits and penultimate features of the classifier the params describe; `x` is [N, 784] or [N, 1, 28, 28]. */
function classifier(
  m: Awaited<ReturnType<typeof modelModules>>,
  ps: ParamSource,
  x: Tensor,
  p: GraphParams,
): { logits: Tensor; features: Tensor } {
  if (p.model === "cnn") return m.cnnClassifier(ps, x, { channels: p.channels, features: p.features });
  // The names of models/onnx/models/mlp.ts (mlp/fc1 … fc3), the last hidden layer as the features.
  return m.scope("/mlp", () => {
    let h = x;
    p.hidden.forEach((w, i) => (h = m.relu(m.dense(ps, `fc${i + 1}`, h, w))));
    return { logits: m.dense(ps, `fc${p.hidden.length + 1}`, h, 10), features: h };
  });
}

/** The input shape of one record: flat pixels for the MLP, [1, 28, 28] for the CNN. */
export const recordShape = (p: GraphParams): number[] => (p.model === "mlp" ? [784] : [1, 28, 28]);

/** How train.run and eval.classifier must feed the images to the model the params describe. */
export const transformOf = (model: "mlp" | "cnn") =>
  ({ scale: "unit", layout: model === "mlp" ? "flat" : "nchw" }) as const;

export const graph = defineStage({
  kind: "muon.graph",
  module: import.meta.url,
  description: "Fashion-MNIST classifier train step (MLP or CNN) with AdamW or Muon, and its export",
  params: graphParams,
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const m = await modelModules();
    const { buildTrainStep } = await import("../../models/onnx/train_step.ts");
    const { classificationMetrics } = await import("../../models/onnx/models/mlp.ts");
    const { saveTrainStep } = await import("../../models/onnx/saved_step.ts");
    const { exportModel } = await import("../../models/onnx/export.ts");
    const { buildOptimizer, describeOptimizer } = await import("../../models/onnx/optimizer_choice.ts");
    const { muonScale } = await import("../../models/onnx/optimizers.ts");
    const shape = recordShape(p);
    const step = buildTrainStep({
      name: `fashion_${p.model}_${p.optimizer.kind}`,
      batch: { x: { dtype: "float32", shape: [p.batch, ...shape] }, y: { dtype: "int32", shape: [p.batch] } },
      build(sctx) {
        const { logits } = classifier(m, sctx.params, sctx.batch.x!, p);
        const metrics = classificationMetrics(logits, sctx.batch.y!);
        sctx.minimize("net", metrics.loss, buildOptimizer(p.optimizer, sctx.step));
        return metrics;
      },
    });
    await saveTrainStep(step, `${ctx.outDir}/step`, { seed: p.seed, fused: p.fuse });
    const prefix = p.model === "mlp" ? "mlp/" : "cnn/";
    const { bytes } = exportModel({
      name: `fashion_${p.model}`,
      inputs: { x: { dtype: "float32", shape: [p.evalBatch, ...shape] } },
      docString: `Fashion-MNIST ${p.model}: logits and penultimate features`,
      build: (ps, { x }) => classifier(m, ps, x!, p),
    });
    await Deno.writeFile(`${ctx.outDir}/export.onnx`, bytes);
    const info: FeaturesExport = {
      role: "features",
      input: "x",
      inputShape: [p.evalBatch, ...shape],
      inputRange: [0, 1],
      logits: "logits",
      features: "features",
      featureDim: p.model === "mlp" ? p.hidden.at(-1)! : p.features,
      classes: 10,
      paramPrefix: prefix,
    };
    await Deno.writeTextFile(`${ctx.outDir}/export.json`, JSON.stringify(info, null, 1));
    // Which optimizer updates which parameter, and Muon's scale for it: what the report's note lists.
    const slots = step.carried.map((c) => c.name);
    const routing = step.params.map((q) => ({
      name: q.name,
      shape: q.shape,
      optimizer: slots.some((s) => s.endsWith(`/muon/momentum/${q.name}`))
        ? "muon"
        : p.optimizer.kind === "muon"
        ? "adamw"
        : p.optimizer.kind,
      scale: q.shape.length >= 2 ? muonScale(q.shape) : null,
    }));
    const parameters = step.params.reduce((s, q) => s + q.shape.reduce((a, b) => a * b, 1), 0);
    await Deno.writeTextFile(
      `${ctx.outDir}/describe.json`,
      JSON.stringify({ optimizer: describeOptimizer(p.optimizer), parameters, routing }, null, 1),
    );
    ctx.metrics(0, { parameters });
  },
});
