/**
 * `eval.classifier`: a classifier trained by `train.run` judged on held-out data at every weight
 * snapshot: accuracy, cross-entropy, expected calibration error (15 bins) and mean confidence; the
 * confidence it gives to uniform-noise inputs (inputs of no class); the intra/inter-class distance ratio
 * of its features; and the steps it took to reach a target accuracy. Shared by the optimiser studies
 * (`muon`) and the loss studies (`custom-loss`); the formulas are in calibration.ts.
 *
 * The graph stage exports the classifier with its weights as inputs (export.json, role "features": the
 * `logits` and `features` outputs, e.g. stages/eval/classifier_graph.ts); the data are transformed with
 * `transform`, which must be the training's.
 *
 * Metrics, per snapshot step: `test-accuracy`, `test-loss`, `ece`, `confidence`, `noise-confidence`,
 * `feature-ratio` (hyphens: the claims table breaks long names there); at the end `steps-to-target` (when the target was reached) and the final snapshot's
 * values again (the claims read the last value). Output: classifier.json ({@link ClassifierEvaluation}).
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import { transformSchema } from "../data/transforms.ts";
import type { ReliabilityBin } from "./calibration.ts";

/** The numbers of one snapshot. */
export interface SnapshotQuality {
  step: number;
  accuracy: number;
  loss: number;
  ece: number;
  confidence: number;
  /** Mean max-softmax on uniform-noise inputs (null when `noise` is 0). */
  noiseConfidence: number | null;
  featureRatio: number;
}

/** What `eval.classifier` writes to classifier.json. */
export interface ClassifierEvaluation {
  split: string;
  records: number;
  bySteps: SnapshotQuality[];
  final: SnapshotQuality;
  /** The final snapshot's reliability diagram. */
  reliability: ReliabilityBin[];
  target: number | null;
  /** First step (interpolated between snapshots) at which the accuracy reached `target`; null if never. */
  stepsToTarget: number | null;
  /** Up to `scatter` test features per class of the final snapshot (2-D features only), by class. */
  scatter: { label: number; x: number[]; y: number[] }[];
}

const snapshotStep = (name: string) => Number(/step-(\d+)\.safetensors$/.exec(name)?.[1]);

export const classifierEval = defineStage({
  kind: "eval.classifier",
  module: import.meta.url,
  description:
    "Test accuracy, loss, calibration (ECE), confidence on noise and feature clustering per snapshot",
  params: z.object({
    split: z.string().default("test"),
    /** The training's transform of the inputs (train.transform). */
    transform: transformSchema.default({ scale: "unit", layout: "flat" }),
    /** Equal-width confidence bins of the ECE. */
    bins: z.number().int().min(2).default(15),
    /** Accuracy whose first crossing is reported as steps_to_target (null: none). */
    target: z.number().gt(0).lt(1).nullable().default(null),
    /** Uniform-noise inputs (on the transform's scale) to measure confidence on (0: none). */
    noise: z.number().int().min(0).default(1000),
    /** Features per class kept for a scatter plot when they are 2-D (0: none). */
    scatter: z.number().int().min(0).default(0),
    seed: z.number().int().min(0).default(0),
    /** The report section's title; "none" writes no section (e.g. for the variants of a sweep). */
    title: z.string().default("Classifier on held-out data"),
  }).strict(),
  inputs: ["trained", "data"],
  async run(ctx) {
    const p = ctx.params;
    const { createSession, runSession } = await import("../../models/onnx/session.ts");
    const { decodeSafetensors, tensorsToState } = await import("../../models/onnx/safetensors.ts");
    const { openShards } = await import("../data/shard_reader.ts");
    const { mixSeed, Rng } = await import("../data/random.ts");
    const { readExport } = await import("../train/export_info.ts");
    const { calibration, featureRatio, meanConfidence, stepsToReach } = await import("./calibration.ts");

    const info = await readExport(ctx.inputs.trained);
    if (info?.role !== "features") {
      throw new Error(
        `Input 'trained' (${ctx.inputs.trained}) has no classifier export (export.json with role "features"): ` +
          `train a classifier graph`,
      );
    }
    const shards = await openShards(ctx.inputs.data);
    const data = await shards.readAll(p.split, { transform: p.transform, labels: "int32" });
    const recordSize = info.inputShape.slice(1).reduce((a, b) => a * b, 1);
    if (data.x.length !== data.count * recordSize) {
      throw new Error(
        `The classifier reads [${info.inputShape.slice(1)}] per record but split '${p.split}' gives [${
          data.dims.slice(1)
        }] with transform ${JSON.stringify(p.transform)}: use the training's transform`,
      );
    }
    const labels = data.y as Int32Array;
    const x = data.x as Float32Array;
    const [lo, hi] = p.transform.scale === "symmetric" ? [-1, 1] : [0, 1];
    const rng = new Rng(mixSeed(p.seed, 0x4e4f_4953));
    const noise = Float32Array.from({ length: p.noise * recordSize }, () => lo + (hi - lo) * rng.float());

    const session = await createSession(await Deno.readFile(`${ctx.inputs.trained}/export.onnx`), {
      intraOpNumThreads: ctx.threads,
    });
    const batch = info.inputShape[0]!;
    const { classes, featureDim } = info;
    /** Logits and features of `n` records, in the export's batches (the last one padded). */
    const apply = async (weights: Record<string, Float32Array>, inputs: Float32Array) => {
      const n = inputs.length / recordSize;
      const logits = new Float32Array(n * classes), features = new Float32Array(n * featureDim);
      const buf = new Float32Array(batch * recordSize);
      for (let start = 0; start < n; start += batch) {
        const count = Math.min(batch, n - start);
        buf.fill(0);
        buf.set(inputs.subarray(start * recordSize, (start + count) * recordSize));
        const out = await runSession(session, { ...weights, [info.input]: buf });
        logits.set((out[info.logits]!.data as Float32Array).subarray(0, count * classes), start * classes);
        features.set(
          (out[info.features]!.data as Float32Array).subarray(0, count * featureDim),
          start * featureDim,
        );
      }
      return { logits, features };
    };

    const dir = `${ctx.inputs.trained}/snapshots`;
    const files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".safetensors"))
      .sort((a, b) => snapshotStep(a) - snapshotStep(b));
    if (files.length === 0) throw new Error(`No snapshots in ${dir}: train with train.snapshotEvery > 0`);
    const bySteps: SnapshotQuality[] = [];
    let last: { cal: ReturnType<typeof calibration>; features: Float32Array } | undefined;
    for (const [i, file] of files.entries()) {
      ctx.signal.throwIfAborted();
      const step = snapshotStep(file);
      const path = `${dir}/${file}`;
      const weights = tensorsToState(decodeSafetensors(await Deno.readFile(path), path).tensors) as Record<
        string,
        Float32Array
      >;
      const out = await apply(weights, x);
      const cal = calibration(out.logits, labels, classes, p.bins);
      const ratio = featureRatio(out.features, labels, featureDim, classes).ratio;
      const noiseConfidence = p.noise > 0
        ? meanConfidence((await apply(weights, noise)).logits, classes)
        : null;
      const q: SnapshotQuality = {
        step,
        accuracy: cal.accuracy,
        loss: cal.loss,
        ece: cal.ece,
        confidence: cal.confidence,
        noiseConfidence,
        featureRatio: ratio,
      };
      bySteps.push(q);
      ctx.metrics(step, metricsOf(q));
      last = { cal, features: out.features };
      ctx.progress({
        done: i + 1,
        total: files.length,
        text: `step ${step}: accuracy ${(100 * cal.accuracy).toFixed(2)}%`,
      });
    }
    await session.release();
    const final = bySteps.at(-1)!;
    const stepsToTarget = p.target === null
      ? null
      : stepsToReach(bySteps.map((q) => q.step), bySteps.map((q) => q.accuracy), p.target);
    ctx.metrics(final.step, {
      ...metricsOf(final),
      ...(stepsToTarget === null ? {} : { "steps-to-target": stepsToTarget }),
    });
    const scatter: ClassifierEvaluation["scatter"] = [];
    if (featureDim === 2 && p.scatter > 0) {
      for (let c = 0; c < classes; c++) {
        const xs: number[] = [], ys: number[] = [];
        for (let r = 0; r < data.count && xs.length < p.scatter; r++) {
          if (labels[r] !== c) continue;
          xs.push(last!.features[2 * r]!);
          ys.push(last!.features[2 * r + 1]!);
        }
        scatter.push({ label: c, x: xs, y: ys });
      }
    }
    const result: ClassifierEvaluation = {
      split: p.split,
      records: data.count,
      bySteps,
      final,
      reliability: last!.cal.bins,
      target: p.target,
      stepsToTarget,
      scatter,
    };
    await Deno.writeTextFile(`${ctx.outDir}/classifier.json`, JSON.stringify(result, null, 1));
    if (p.title !== "none") {
      const { writeReportSections } = await import("../report/fragments.ts");
      await writeReportSections(ctx.outDir, [{ title: p.title, fragments: classifierFragments(result) }]);
    }
  },
});

function metricsOf(q: SnapshotQuality): Record<string, number> {
  return {
    "test-accuracy": q.accuracy,
    "test-loss": q.loss,
    ece: q.ece,
    confidence: q.confidence,
    "feature-ratio": q.featureRatio,
    ...(q.noiseConfidence === null ? {} : { "noise-confidence": q.noiseConfidence }),
  };
}

/** The report fragments of one evaluation: curves over training, the reliability diagram, the features. */
export function classifierFragments(r: ClassifierEvaluation): import("../report/fragments.ts").Fragment[] {
  const steps = r.bySteps.map((q) => q.step);
  const used = r.reliability.filter((b) => b.count > 0);
  const f = r.final;
  const fragments: import("../report/fragments.ts").Fragment[] = [
    {
      kind: "table",
      rows: [{
        step: f.step,
        accuracy: f.accuracy,
        "loss (nats)": f.loss,
        ECE: f.ece,
        confidence: f.confidence,
        "confidence on noise": f.noiseConfidence,
        "intra/inter distance": f.featureRatio,
        ...(r.target === null ? {} : { [`steps to ${r.target}`]: r.stepsToTarget }),
      }],
      caption: `The final snapshot on the ${r.records.toLocaleString("en")} records of split '${r.split}'.`,
    },
    {
      kind: "line",
      series: [
        { name: "accuracy", x: steps, y: r.bySteps.map((q) => q.accuracy) },
        { name: "ECE", x: steps, y: r.bySteps.map((q) => q.ece) },
        { name: "mean confidence", x: steps, y: r.bySteps.map((q) => q.confidence) },
      ],
      options: { title: "Over training", xLabel: "step", dots: true },
    },
    {
      kind: "line",
      series: [
        { name: "calibrated", x: [0, 1], y: [0, 1] },
        { name: "accuracy in the bin", x: used.map((b) => b.confidence), y: used.map((b) => b.accuracy) },
      ],
      options: {
        title: "Reliability diagram",
        subtitle: `${r.reliability.length} equal-width bins of confidence, final snapshot; ECE ${
          f.ece.toFixed(4)
        }`,
        xLabel: "confidence",
        yLabel: "accuracy",
        dots: true,
      },
    },
  ];
  if (r.scatter.length > 0) {
    fragments.push({
      kind: "scatter",
      groups: r.scatter.map((g) => ({ name: `class ${g.label}`, x: g.x, y: g.y })),
      options: {
        title: "The 2-D features by class",
        subtitle: "test records, final snapshot",
        equalAxes: true,
      },
    });
  }
  return fragments;
}
