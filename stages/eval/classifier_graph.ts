/**
 * The graph of the evaluation classifier: a small CNN trained on the same dataset as the generator it
 * judges (no pretrained Inception weights exist offline), exported as a feature extractor whose
 * penultimate layer gives the "classifier-FID". Train it with `train.run`; every pipeline that uses the
 * same dataset and params shares one cached classifier.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import type { FeaturesExport } from "../train/export_info.ts";

export const classifierGraph = defineStage({
  kind: "eval.classifier-graph",
  module: import.meta.url,
  description: "CNN classifier train step and its feature extractor (for classifier-FID)",
  params: z.object({
    batch: z.number().int().min(1).default(128),
    /** Batch of the exported feature extractor. */
    evalBatch: z.number().int().min(1).default(250),
    channels: z.tuple([z.number().int().min(1), z.number().int().min(1)]).default([32, 64]),
    features: z.number().int().min(2).default(128),
    classes: z.number().int().min(2).default(10),
    lr: z.number().positive().default(1e-3),
    seed: z.number().int().min(0).default(0),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const { cnnClassifier, cnnClassifierStep } = await import("../../models/onnx/models/cnn_classifier.ts");
    const { saveTrainStep } = await import("../../models/onnx/saved_step.ts");
    const { exportModel } = await import("../../models/onnx/export.ts");
    const cfg = { channels: p.channels, features: p.features, classes: p.classes };
    await saveTrainStep(cnnClassifierStep({ ...cfg, batch: p.batch, lr: p.lr }), `${ctx.outDir}/step`, {
      seed: p.seed,
    });
    // The feature extractor with its weights as inputs; train.run bakes the trained ones in.
    const { bytes } = exportModel({
      name: "cnn_classifier_features",
      inputs: { x: { dtype: "float32", shape: [p.evalBatch, 1, 28, 28] } },
      docString: "CNN classifier: logits and penultimate-layer features (for classifier-FID)",
      metadata: { config: JSON.stringify(cfg) },
      build: (ps, { x }) => cnnClassifier(ps, x!, cfg),
    });
    await Deno.writeFile(`${ctx.outDir}/export.onnx`, bytes);
    const info: FeaturesExport = {
      role: "features",
      input: "x",
      inputShape: [p.evalBatch, 1, 28, 28],
      inputRange: [0, 1],
      logits: "logits",
      features: "features",
      featureDim: p.features,
      classes: p.classes,
      paramPrefix: "cnn/",
    };
    await Deno.writeTextFile(`${ctx.outDir}/export.json`, JSON.stringify(info, null, 1));
  },
});
