/**
 * `eval.gen-sections`: an `eval.generator` output as report sections (fragments.ts), so that a
 * pipeline on the numeric-check family (whose report renders its stages' sections) shows the same
 * evaluation as the image-generator family's page: classifier-FID over training against its floor, the
 * samples and their nearest training images, and the calibration of the metric. It computes nothing
 * and records no metrics (claims read `eval.generator`'s own).
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import type { GeneratorEvaluation } from "./generator_eval.ts";

export const generatorSections = defineStage({
  kind: "eval.gen-sections",
  module: import.meta.url,
  description: "Report sections of an image-generator evaluation: classifier-FID, samples, calibration",
  params: z.object({
    /** Section title. */
    title: z.string().min(1).default("Samples and classifier-FID"),
    /** What generated the samples, e.g. "the decoder at z ~ N(0, I)". */
    generator: z.string().min(1).default("the generator"),
    /** The dataset's name as shown. */
    dataset: z.string().min(1).default("MNIST"),
  }).strict(),
  inputs: ["evaluate"],
  async run(ctx) {
    const p = ctx.params;
    const { writeReportSections } = await import("../report/fragments.ts");
    const e: GeneratorEvaluation = JSON.parse(await Deno.readTextFile(`${ctx.inputs.evaluate}/eval.json`));
    for (const file of ["samples.png", "nearest.png"]) {
      await Deno.copyFile(`${ctx.inputs.evaluate}/${file}`, `${ctx.outDir}/${file}`);
    }
    const r = e.reference;
    const steps = e.bySteps.map((s) => s.step);
    const accuracy = (100 * e.classifier.testAccuracy).toFixed(1);
    await writeReportSections(ctx.outDir, [{
      title: p.title,
      fragments: [
        {
          kind: "callout",
          warning: true,
          text:
            "FID here is a classifier-FID: the Fréchet distance between Gaussians fitted to the penultimate-" +
            `layer features of a small CNN trained on ${p.dataset} itself (test accuracy ${accuracy}%), because no ` +
            "pretrained Inception weights are available offline. It is not comparable with published Inception " +
            "FIDs; the calibration table gives its scale.",
        },
        {
          kind: "line",
          series: [
            { name: "samples", x: steps, y: e.bySteps.map((s) => s.fid) },
            { name: "real train vs test (floor)", x: steps, y: steps.map(() => r.trainVsTest.fid) },
          ],
          options: {
            title: "Classifier-FID during training",
            subtitle: `${e.samples.toLocaleString("en")} samples vs ${
              e.realSamples.toLocaleString("en")
            } test images at each snapshot`,
            xLabel: "step",
            yLabel: "classifier-FID",
            logY: true,
            dots: true,
          },
        },
        {
          kind: "image",
          file: "samples.png",
          alt: `samples of ${p.generator}`,
          caption: `Samples of ${p.generator} (the exported model, weights baked in).`,
        },
        {
          kind: "image",
          file: "nearest.png",
          alt: "samples above their nearest training images",
          caption: `Top: samples. Bottom: the nearest training image of each (pixel L2). Mean distance ${
            e.nearest.samples.toFixed(2)
          }, against ${e.nearest.testImages.toFixed(2)} for real test images.`,
        },
        {
          kind: "table",
          rows: [
            {
              images: "real training images vs test images (floor)",
              fid: r.trainVsTest.fid,
              is: r.trainVsTest.inceptionScore,
              confident: r.trainVsTest.confident,
            },
            {
              images: "samples after training",
              fid: e.final.fid,
              is: e.final.inceptionScore,
              confident: e.final.confident,
            },
            {
              images: "untrained (step 0)",
              fid: r.untrained.fid,
              is: r.untrained.inceptionScore,
              confident: e.bySteps[0]!.confident,
            },
            {
              images: "uniform noise images",
              fid: r.noise.fid,
              is: r.noise.inceptionScore,
              confident: r.noise.confident,
            },
          ],
          columns: [
            { key: "images", label: "images compared with the test set" },
            { key: "fid", label: "classifier-FID", significant: 4 },
            { key: "is", label: "classifier IS", significant: 3 },
            { key: "confident", label: "share > 90% sure", significant: 2 },
          ],
          caption:
            `Calibration: the same classifier-FID for reference points; ${e.final.classesCovered} of ${e.classifier.classes} classes covered.`,
        },
      ],
    }]);
  },
});
