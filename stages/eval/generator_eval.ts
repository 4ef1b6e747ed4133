/**
 * Evaluates an image generator trained by `train.run` without any downloaded weights, with a
 * classifier trained on the same dataset (`eval.classifier-graph` + `train.run`):
 *
 * - classifier-FID: the Fréchet distance between Gaussians fitted to the classifier's penultimate
 *   features of real test images and of generated ones (float64, symmetric matrix square root);
 * - classifier inception score, class coverage (KL of the predicted-class histogram from uniform), and
 *   the share of samples the classifier assigns to a class with probability above 0.9 ("recognisable",
 *   next to the same share for real test images);
 * - all of these at every weight snapshot, so the report can plot them over training;
 * - reference points that calibrate the scale: real training images against test images (the floor a
 *   perfect generator would reach), the untrained generator (the snapshot at step 0) and pure noise;
 * - a grid of samples from the exported standalone model, and samples beside their nearest training
 *   images (pixel L2) to show whether the generator copies its data.
 *
 * Output: eval.json, eval_metrics.parquet (step, name, value), samples.png, nearest.png.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

/** Scores of the generator at one snapshot. */
export interface SnapshotScores {
  step: number;
  fid: number;
  inceptionScore: number;
  classesCovered: number;
  klFromUniform: number;
  /** Share of samples the classifier assigns to one class with probability above 0.9: "recognisable". */
  confident: number;
}

export interface GeneratorEvaluation {
  classifier: { testAccuracy: number; featureDim: number; classes: number };
  samples: number;
  realSamples: number;
  /** Metrics of each snapshot, by training step. */
  bySteps: SnapshotScores[];
  final: SnapshotScores;
  reference: {
    /** Real training images vs real test images: what a perfect generator would score. */
    trainVsTest: { fid: number; inceptionScore: number; confident: number };
    /** The generator at step 0, before training. */
    untrained: { fid: number; inceptionScore: number };
    /** Uniform noise images. */
    noise: { fid: number; inceptionScore: number; confident: number };
  };
  /** Mean pixel L2 distance of the shown samples to their nearest training image, and of test images to theirs. */
  nearest: { samples: number; testImages: number };
}

const snapshotStep = (name: string) => Number(/step-(\d+)\.safetensors$/.exec(name)?.[1]);

export const generatorEval = defineStage({
  kind: "eval.generator",
  module: import.meta.url,
  description: "Classifier-FID, inception score and coverage over training, with calibration baselines",
  params: z.object({
    /** Generated samples per evaluation. */
    samples: z.number().int().min(100).default(2000),
    /** Real test images compared against (at most the split's size). */
    realSamples: z.number().int().min(100).default(2000),
    seed: z.number().int().min(0).default(0),
    /** Samples in the grid. */
    grid: z.number().int().min(1).default(64),
    /** Samples shown beside their nearest training image. */
    nearest: z.number().int().min(1).default(10),
    testSplit: z.string().default("test"),
    trainSplit: z.string().default("train"),
    /**
     * Read the sampler from the trained output's further export `exports/<export>/` (e.g. a VQ-VAE's
     * decoder at uniformly random codes) instead of its main one; the pictures then come from that
     * export at the last snapshot's weights.
     */
    export: z.string().min(1).optional(),
  }).strict(),
  inputs: ["trained", "classifier", "data"],
  async run(ctx) {
    const p = ctx.params;
    const { createSession, runSession } = await import("../../models/onnx/session.ts");
    const { decodeSafetensors, tensorsToState } = await import("../../models/onnx/safetensors.ts");
    const { openShards } = await import("../data/shard_reader.ts");
    const { mixSeed, Rng } = await import("../data/random.ts");
    const { readExport } = await import("../train/export_info.ts");
    const { fillNoise } = await import("../train/noise.ts");
    const { writeMetricsParquet } = await import("../train/metrics_file.ts");
    const { classifierFid } = await import("./frechet.ts");
    const { classCoverage, inceptionScore, predictedClasses } = await import("./scores.ts");
    const { nearestNeighbors } = await import("./nearest.ts");
    const { imageGridPng } = await import("../report/png.ts");

    const exportDir = p.export === undefined
      ? ctx.inputs.trained
      : `${ctx.inputs.trained}/exports/${p.export}`;
    const sampler = await readExport(exportDir);
    const classifier = await readExport(ctx.inputs.classifier);
    if (sampler?.role !== "sampler") {
      throw new Error(
        `Input 'trained' (${exportDir}) has no sampler export: train a generator graph`,
      );
    }
    if (classifier?.role !== "features") {
      throw new Error(
        `Input 'classifier' (${ctx.inputs.classifier}) has no features export: train eval.classifier-graph`,
      );
    }
    const [, channels, height, width] = classifier.inputShape as [number, number, number, number];
    const pixels = channels * height * width;
    if (sampler.sampleShape.reduce((a, b) => a * b, 1) !== pixels) {
      throw new Error(
        `The generator makes [${sampler.sampleShape}] samples but the classifier reads [${
          classifier.inputShape.slice(1)
        }]`,
      );
    }

    // ---- the classifier ----
    const threads = { intraOpNumThreads: ctx.threads };
    const classifierSession = await createSession(
      await Deno.readFile(`${ctx.inputs.classifier}/model.onnx`),
      threads,
    );
    const evalBatch = classifier.inputShape[0]!;
    const [lo, hi] = classifier.inputRange;
    /** Features and class probabilities of `n` images given in `range` (NCHW, flat). */
    const judge = async (images: Float32Array, range: readonly [number, number]) => {
      const n = images.length / pixels;
      const features = new Float32Array(n * classifier.featureDim);
      const probs = new Float64Array(n * classifier.classes);
      const scale = (hi - lo) / (range[1] - range[0]);
      const x = new Float32Array(evalBatch * pixels);
      for (let start = 0; start < n; start += evalBatch) {
        const count = Math.min(evalBatch, n - start);
        x.fill(lo);
        for (let i = 0; i < count * pixels; i++) x[i] = lo + (images[start * pixels + i]! - range[0]) * scale;
        const out = await runSession(classifierSession, { [classifier.input]: x });
        features.set(
          (out[classifier.features]!.data as Float32Array).subarray(0, count * classifier.featureDim),
          start * classifier.featureDim,
        );
        const logits = out[classifier.logits]!.data as Float32Array;
        for (let r = 0; r < count; r++) {
          const row = logits.subarray(r * classifier.classes, (r + 1) * classifier.classes);
          const max = Math.max(...row);
          let sum = 0;
          for (let c = 0; c < classifier.classes; c++) sum += Math.exp(row[c]! - max);
          for (let c = 0; c < classifier.classes; c++) {
            probs[(start + r) * classifier.classes + c] = Math.exp(row[c]! - max) / sum;
          }
        }
      }
      return { features, probs };
    };
    const scoresOf = (real: Float32Array, judged: { features: Float32Array; probs: Float64Array }) => {
      const coverage = classCoverage(predictedClasses(judged.probs, classifier.classes), classifier.classes);
      let confident = 0;
      for (let r = 0; r < judged.probs.length / classifier.classes; r++) {
        const row = judged.probs.subarray(r * classifier.classes, (r + 1) * classifier.classes);
        if (Math.max(...row) > 0.9) confident++;
      }
      return {
        fid: classifierFid(real, judged.features, classifier.featureDim),
        inceptionScore: inceptionScore(judged.probs, classifier.classes).score,
        classesCovered: coverage.covered,
        klFromUniform: coverage.klFromUniform,
        confident: confident / (judged.probs.length / classifier.classes),
      };
    };

    // ---- real images ----
    const shards = await openShards(ctx.inputs.data);
    const unit = { transform: { scale: "unit" as const, layout: "nchw" as const } };
    const test = await shards.readAll(p.testSplit, unit);
    const trainSet = await shards.readAll(p.trainSplit, unit);
    const realCount = Math.min(p.realSamples, test.count);
    const testImages = (test.x as Float32Array).subarray(0, realCount * pixels);
    const real = await judge(testImages, [0, 1]);
    const predicted = predictedClasses(real.probs, classifier.classes);
    let correct = 0;
    for (let i = 0; i < realCount; i++) if (predicted[i] === test.y![i]) correct++;
    const testAccuracy = correct / realCount;
    ctx.log(`classifier accuracy on ${realCount} test images: ${(100 * testAccuracy).toFixed(2)}%`);

    // A seeded subset of training images, as many as the test images compared against.
    const rng = new Rng(mixSeed(p.seed, 7));
    const pick = new Float32Array(realCount * pixels);
    for (let i = 0; i < realCount; i++) {
      const j = rng.below(trainSet.count);
      pick.set((trainSet.x as Float32Array).subarray(j * pixels, (j + 1) * pixels), i * pixels);
    }
    const trainVsTest = scoresOf(real.features, await judge(pick, [0, 1]));
    const noiseImages = new Float32Array(p.samples * pixels);
    for (let i = 0; i < noiseImages.length; i++) noiseImages[i] = rng.float();
    const noise = scoresOf(real.features, await judge(noiseImages, [0, 1]));

    // ---- the generator at every snapshot ----
    const samplerSession = await createSession(
      await Deno.readFile(`${exportDir}/export.onnx`),
      threads,
    );
    const genBatch = sampler.inputShape[0]!;
    const zSize = sampler.inputShape.reduce((a, b) => a * b, 1);
    /** `count` samples of the sampler fed `feeds` (its weights, or none for the baked model), same z every time. */
    const generate = async (
      session: typeof samplerSession,
      weights: Record<string, Float32Array>,
      count: number,
    ) => {
      const out = new Float32Array(count * pixels);
      const z = new Float32Array(zSize);
      for (let b = 0; b * genBatch < count; b++) {
        fillNoise(z, sampler.noise, p.seed, b, 0);
        const result = await runSession(session, { ...weights, [sampler.input]: z });
        const images = result[sampler.output]!.data as Float32Array;
        const take = Math.min(genBatch, count - b * genBatch);
        out.set(images.subarray(0, take * pixels), b * genBatch * pixels);
      }
      return out;
    };
    const snapshotDir = `${ctx.inputs.trained}/snapshots`;
    const files = [...Deno.readDirSync(snapshotDir)].map((e) => e.name).filter((n) =>
      n.endsWith(".safetensors")
    )
      .sort((a, b) => snapshotStep(a) - snapshotStep(b));
    if (files.length === 0) {
      throw new Error(`No snapshots in ${snapshotDir}: train with train.snapshotEvery > 0`);
    }
    const bySteps: GeneratorEvaluation["bySteps"] = [];
    let lastWeights: Record<string, Float32Array> = {};
    const rows: { step: number; name: string; value: number }[] = [];
    for (const [i, file] of files.entries()) {
      ctx.signal.throwIfAborted();
      const step = snapshotStep(file);
      const path = `${snapshotDir}/${file}`;
      const weights = tensorsToState(decodeSafetensors(await Deno.readFile(path), path).tensors) as Record<
        string,
        Float32Array
      >;
      lastWeights = weights;
      const s = scoresOf(
        real.features,
        await judge(await generate(samplerSession, weights, p.samples), sampler.range),
      );
      bySteps.push({ step, ...s });
      const values = {
        fid: s.fid,
        inception_score: s.inceptionScore,
        classes_covered: s.classesCovered,
        kl_uniform: s.klFromUniform,
        confident: s.confident,
      };
      for (const [name, value] of Object.entries(values)) rows.push({ step, name, value });
      ctx.metrics(step, values);
      ctx.progress({
        done: i + 1,
        total: files.length,
        text: `step ${step}: classifier-FID ${s.fid.toFixed(2)}`,
      });
    }

    // ---- pictures from the standalone model ----
    const shown = p.export === undefined
      ? await generate(
        await createSession(await Deno.readFile(`${ctx.inputs.trained}/model.onnx`), threads),
        {},
        Math.max(p.grid, p.nearest),
      )
      : await generate(samplerSession, lastWeights, Math.max(p.grid, p.nearest));
    const gridOptions = { channels: channels as 1 | 3, height, width, scale: 2, gutter: 2 };
    await Deno.writeFile(
      `${ctx.outDir}/samples.png`,
      await imageGridPng(shown.subarray(0, p.grid * pixels), { ...gridOptions, range: sampler.range }),
    );
    // Nearest training images, measured on the [0, 1] scale the data is stored in.
    const toUnit = (v: number) => (v - sampler.range[0]) / (sampler.range[1] - sampler.range[0]);
    const queries = shown.subarray(0, p.nearest * pixels).map(toUnit);
    const trainPixels = trainSet.x as Float32Array;
    const near = nearestNeighbors(queries, trainPixels, pixels);
    const testNear = nearestNeighbors(testImages.subarray(0, p.nearest * pixels), trainPixels, pixels);
    const pairs = new Float32Array(2 * p.nearest * pixels);
    pairs.set(queries, 0);
    for (let i = 0; i < p.nearest; i++) {
      const j = near.index[i]!;
      pairs.set(trainPixels.subarray(j * pixels, (j + 1) * pixels), (p.nearest + i) * pixels);
    }
    await Deno.writeFile(
      `${ctx.outDir}/nearest.png`,
      await imageGridPng(pairs, { ...gridOptions, range: [0, 1], columns: p.nearest }),
    );
    const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;

    const last = bySteps.at(-1)!;
    const untrained = bySteps[0]!;
    const evaluation: GeneratorEvaluation = {
      classifier: { testAccuracy, featureDim: classifier.featureDim, classes: classifier.classes },
      samples: p.samples,
      realSamples: realCount,
      bySteps,
      final: last,
      reference: {
        trainVsTest: {
          fid: trainVsTest.fid,
          inceptionScore: trainVsTest.inceptionScore,
          confident: trainVsTest.confident,
        },
        untrained: { fid: untrained.fid, inceptionScore: untrained.inceptionScore },
        noise: { fid: noise.fid, inceptionScore: noise.inceptionScore, confident: noise.confident },
      },
      nearest: { samples: mean(near.distance), testImages: mean(testNear.distance) },
    };
    ctx.metrics(last.step, {
      final_fid: last.fid,
      untrained_fid: untrained.fid,
      noise_fid: noise.fid,
      train_vs_test_fid: trainVsTest.fid,
      classifier_accuracy: testAccuracy,
      classes: classifier.classes,
      nearest_samples: evaluation.nearest.samples,
      nearest_test: evaluation.nearest.testImages,
    });
    writeMetricsParquet(`${ctx.outDir}/eval_metrics.parquet`, rows);
    await Deno.writeTextFile(`${ctx.outDir}/eval.json`, JSON.stringify(evaluation, null, 1));
  },
});
