/**
 * The report of an image-generator pipeline (families/image_generator.ts): the claims, the headline
 * numbers, the setup (read from the data manifest, the graph's model facts and the training params),
 * classifier-FID and the losses over training (SQL over the stages' Parquet), extra metric plots the
 * pipeline names, samples and their nearest training images, the metric's calibration, the comparison
 * with the article, and what was run. Nothing here is specific to one article: a pipeline passes its
 * summary, plots and comparison rows as params.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import type { GeneratorDescription } from "../../families/generator_graph.ts";
import type { GeneratorEvaluation } from "../eval/generator_eval.ts";
import { comparisonSchema } from "./report_params.ts";
import type { UpstreamRecord } from "../../engine/stage.ts";

/** A plot of training metrics (by name, as the train step reports them). */
export const metricPlotSchema = z.object({
  title: z.string(),
  metrics: z.array(z.string()).min(1),
  subtitle: z.string().optional(),
  caption: z.string().optional(),
}).strict();

/** How the test split was made, in a few words: a string, or the method of a structured definition. */
function splitNote(definition: unknown): string {
  if (typeof definition === "string") return ` (${definition})`;
  if (definition && typeof definition === "object" && "method" in definition) {
    return ` (test split: ${(definition as { method: string }).method})`;
  }
  return "";
}

export const generatorReport = defineStage({
  kind: "report.image-generator",
  module: import.meta.url,
  description: "HTML report of an image generator: claims, training, samples, calibration, comparison",
  params: z.object({
    /** The page title; `{dataset}` becomes the dataset's name. */
    title: z.string().min(1),
    /** The dataset's name as shown, e.g. "Fashion-MNIST". */
    dataset: z.string().min(1),
    /** What the article presents and claims; the report adds what this run reached. */
    summary: z.string().min(1),
    /** Plots of training metrics besides the losses (every `loss_*` metric is plotted anyway). */
    plots: z.array(metricPlotSchema).default([]),
    comparison: comparisonSchema,
    /** The stage name of the training shown (its params and duration are read from the run). */
    trainStage: z.string().default("train"),
    /**
     * Labels of the variants, by variant name, in the order shown: the family names a variant's stages
     * `train@<variant>` and `evaluate@<variant>`, and puts the evaluations in the `variants` group.
     */
    variants: z.record(z.string(), z.string()).default({}),
  }).strict(),
  inputs: ["graph", "train", "evaluate", "classifier", "data"],
  /**
   * `variants`: other generators trained and evaluated beside this one (their `eval.generator`
   * stages, tabled and plotted side by side), and stages that compare them; claims may read any.
   */
  groups: ["variants"],
  readsPipeline: true,
  async run(ctx) {
    const { renderPage } = await import("./page.ts");
    const { callout, facts, figure, figureRow, image, prose, table } = await import("./blocks.ts");
    const { linePlot, seriesFromRows } = await import("./svg_plot.ts");
    const { sqlTable } = await import("./sql_table.ts");
    const { fillTemplate, paramOf } = await import("./from_run.ts");
    const p = ctx.params;
    const read = async (dir: string, file: string) => JSON.parse(await Deno.readTextFile(`${dir}/${file}`));

    const evaluation: GeneratorEvaluation = await read(ctx.inputs.evaluate, "eval.json");
    const model: GeneratorDescription = await read(ctx.inputs.graph, "describe.json");
    const manifest = await read(ctx.inputs.data, "manifest.json");
    const trained = await read(ctx.inputs.train, "train.json");
    const sampler = await read(ctx.inputs.train, "export.json");
    const trainRecord = ctx.upstream.find((u) => u.stage === p.trainStage);
    const hyper = {
      ...model.hyper,
      ...(paramOf(ctx.upstream, `${p.trainStage}.hyper`) as Record<string, number>),
    };
    const dataset = p.dataset;
    const splitCounts = Object.entries(manifest.splits as Record<string, { count: number }>)
      .map(([name, s]) => `${s.count.toLocaleString("en")} ${name}`).join(" / ");
    const { final, reference } = evaluation;
    const minutes = trainRecord ? trainRecord.producedBy.durationMs / 60000 : NaN;
    const steps = trained.steps.toLocaleString("en");
    const en = (n: number) => n.toLocaleString("en");

    // Curves by SQL over the stages' own Parquet files.
    const trainMetrics = { tables: { metrics: `${ctx.inputs.train}/metrics.parquet` } };
    const evalMetrics = { tables: { evaluation: `${ctx.inputs.evaluate}/eval_metrics.parquet` } };
    const losses = await sqlTable(
      "select step, name, value from metrics where name like 'loss_%' order by name, step",
      trainMetrics,
    );
    const fidRows = await sqlTable(
      "select step, 'generator' as name, value from evaluation where name = 'fid' order by step",
      evalMetrics,
    );
    const checkpoints = await sqlTable(
      `select step,
              max(value) filter (where name = 'fid') as fid,
              max(value) filter (where name = 'inception_score') as inception_score,
              max(value) filter (where name = 'classes_covered') as classes,
              max(value) filter (where name = 'kl_uniform') as kl,
              max(value) filter (where name = 'confident') as confident
       from evaluation group by step order by step`,
      evalMetrics,
    );
    const fidSteps = fidRows.map((r) => Number(r.step));
    const fidPlot = linePlot([
      ...seriesFromRows(fidRows, { x: "step", y: "value", by: "name" }),
      { name: "real train vs test (floor)", x: fidSteps, y: fidSteps.map(() => reference.trainVsTest.fid) },
    ], {
      title: "Classifier-FID during training",
      subtitle: `${en(evaluation.samples)} samples vs ${
        en(evaluation.realSamples)
      } test images at each snapshot`,
      xLabel: "step",
      yLabel: "classifier-FID",
      logY: true,
    });
    const logEvery = paramOf(ctx.upstream, `${p.trainStage}.logEvery`);
    const metricPlot = async (names: string[], title: string, subtitle: string) => {
      const rows = await sqlTable(
        `select step, name, value from metrics where name in (${
          names.map((n) => `'${n.replaceAll("'", "''")}'`)
        })
         order by name, step`,
        trainMetrics,
      );
      return linePlot(seriesFromRows(rows, { x: "step", y: "value", by: "name" }), {
        title,
        subtitle,
        xLabel: "step",
        smooth: 10,
      });
    };
    const trainingPlots = [
      // A model trained by one likelihood bound (f-VAE) has no loss_* metrics: its `plots` show it.
      ...(losses.length === 0 ? [] : [
        figure(
          linePlot(seriesFromRows(losses, { x: "step", y: "value", by: "name" }), {
            title: "Losses",
            subtitle: `mean over each ${logEvery}-step window, smoothed over 10 windows`,
            xLabel: "step",
            smooth: 10,
          }),
        ),
      ]),
      ...(await Promise.all(p.plots.map(async (plot) =>
        figure(
          await metricPlot(
            plot.metrics,
            plot.title,
            plot.subtitle ?? `mean over each ${logEvery}-step window`,
          ),
          plot.caption ? { caption: plot.caption } : {},
        )
      ))),
    ];

    const fidNote =
      "FID here is a classifier-FID: the Fréchet distance between Gaussians fitted to the penultimate-layer " +
      `features of a small CNN trained on ${dataset} itself (test accuracy ${
        (100 * evaluation.classifier.testAccuracy).toFixed(1)
      }%), because no pretrained Inception weights are available offline. Its values are not comparable with ` +
      "published Inception FIDs; the calibration rows below give its scale.";
    const budget = `${steps} iterations of batch ${trained.batchSize}`;
    const page = renderPage({
      title: p.title.replaceAll("{dataset}", dataset),
      pipeline: ctx.pipeline,
      article: ctx.about.article,
      summary:
        `${p.summary}\n\nTrained ${steps} steps on ${dataset} on a ${trained.device.toUpperCase()}, the ` +
        `generator reaches a classifier-FID of ${final.fid.toFixed(1)}, from ${
          reference.untrained.fid.toFixed(0)
        } ` +
        `untrained (pure noise scores ${reference.noise.fid.toFixed(0)}, and real training images score ` +
        `${reference.trainVsTest.fid.toFixed(2)} against test images).`,
      claims: ctx.claims,
      highlights: [
        {
          label: "classifier-FID",
          value: final.fid,
          digits: 2,
          note: `untrained ${reference.untrained.fid.toFixed(1)} · floor ${
            reference.trainVsTest.fid.toFixed(2)
          }`,
        },
        {
          label: "classifier IS",
          value: final.inceptionScore,
          digits: 2,
          note: `real images ${reference.trainVsTest.inceptionScore.toFixed(2)}`,
        },
        {
          label: "recognisable",
          value: `${(100 * final.confident).toFixed(0)}%`,
          note: `classifier > 90% sure (real: ${(100 * reference.trainVsTest.confident).toFixed(0)}%); ` +
            `${final.classesCovered} / ${evaluation.classifier.classes} classes`,
        },
        {
          label: "training",
          value: Number.isFinite(minutes) ? `${minutes.toFixed(1)} min` : "—",
          note: `${budget}, ${trained.device.toUpperCase()}`,
        },
      ],
      sections: [
        {
          title: "Setup",
          body: [
            facts({
              data: `${manifest.description}; ${splitCounts}${splitNote(manifest.splits.test?.definition)}`,
              scaling: `pixels to [${sampler.range.join(", ")}], the generator's output range`,
              ...model.facts,
              "learning rates": Object.entries(hyper).map(([k, v]) => `${k} ${v}`).join(", "),
              parameters: Object.entries(model.parameters).map(([g, n]) => `${g} ${en(n)}`).join(", "),
              budget,
            }),
            callout(fidNote, { kind: "warning" }),
          ],
        },
        {
          title: "Training",
          body: [
            figure(fidPlot, {
              caption:
                "Classifier-FID of the generator at each weight snapshot (log scale); the flat line is " +
                "the score of real training images, the best a generator can hope for.",
            }),
            ...trainingPlots,
            table(checkpoints.map((r) => ({ ...r })), {
              columns: [
                { key: "step", label: "step" },
                { key: "fid", label: "classifier-FID", significant: 4 },
                { key: "inception_score", label: "classifier IS", significant: 3 },
                { key: "classes", label: "classes covered" },
                { key: "kl", label: "KL to uniform (nats)", significant: 2 },
                { key: "confident", label: "share > 90% sure", significant: 2 },
              ],
              caption: "Evaluation at each snapshot.",
            }),
          ],
        },
        ...(Object.keys(p.variants).length
          ? [await variantsSection(ctx.groups.variants, p.variants, ctx.upstream)]
          : []),
        ...(await memberSections(ctx.groups.variants)),
        {
          title: "Samples",
          body: [
            figureRow(
              image(await Deno.readFile(`${ctx.inputs.evaluate}/samples.png`), {
                alt: `${dataset} samples from the trained generator`,
                caption:
                  `Samples from the exported model (model.onnx, weights baked in) after ${steps} steps.`,
              }),
              image(await Deno.readFile(`${ctx.inputs.evaluate}/nearest.png`), {
                alt: "Generated samples above their nearest training images",
                caption:
                  `Top: generated. Bottom: the nearest training image of each (pixel L2). Mean distance ` +
                  `${evaluation.nearest.samples.toFixed(2)}, against ${
                    evaluation.nearest.testImages.toFixed(2)
                  } ` +
                  "for real test images: " +
                  (evaluation.nearest.samples > 0.5 * evaluation.nearest.testImages
                    ? "the samples are not copies of training images."
                    : "the samples sit unusually close to training images (memorisation?)."),
              }),
            ),
          ],
        },
        {
          title: "Calibrating the metric",
          body: [
            prose("The same classifier-FID for reference points, so that a number can be read against them."),
            table([
              {
                what: "real training images vs test images (floor)",
                fid: reference.trainVsTest.fid,
                is: reference.trainVsTest.inceptionScore,
                confident: reference.trainVsTest.confident,
              },
              {
                what: `this generator after ${steps} steps`,
                fid: final.fid,
                is: final.inceptionScore,
                confident: final.confident,
              },
              {
                what: "untrained generator (step 0)",
                fid: reference.untrained.fid,
                is: reference.untrained.inceptionScore,
                confident: evaluation.bySteps[0]!.confident,
              },
              {
                what: "uniform noise images",
                fid: reference.noise.fid,
                is: reference.noise.inceptionScore,
                confident: reference.noise.confident,
              },
            ], {
              columns: [
                { key: "what", label: "images compared with the test set" },
                { key: "fid", label: "classifier-FID", significant: 4 },
                { key: "is", label: "classifier IS", significant: 3 },
                { key: "confident", label: "share > 90% sure", significant: 2 },
              ],
            }),
          ],
        },
      ],
      comparison: {
        rows: p.comparison.rows.map((r) => ({
          quantity: r.quantity,
          ours: fillTemplate(r.ours.replaceAll("{dataset}", dataset), ctx.upstream),
          reference: r.reference,
          ...(r.source === undefined ? {} : { source: r.source }),
          ...(r.note === undefined ? {} : { note: r.note }),
          ...(r.digits === undefined ? {} : { digits: r.digits }),
          ...(r.lowerIsBetter === undefined ? {} : { lowerIsBetter: r.lowerIsBetter }),
        })),
        note: p.comparison.note.replaceAll("{dataset}", dataset),
      },
      provenance: {
        upstream: ctx.upstream,
        device: trained.device === "cpu" ? "CPU (onnxruntime)" : "CUDA (onnxruntime)",
        command: `deno task run ${ctx.pipeline}`,
      },
    });
    await Deno.writeTextFile(`${ctx.outDir}/index.html`, page);
  },
});

/**
 * The variants side by side: each evaluation's final scores with its training's length and speed
 * (read from the run), and their classifier-FID over training in one plot.
 */
async function variantsSection(
  members: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
  upstream: readonly UpstreamRecord[],
) {
  const { figure, table } = await import("./blocks.ts");
  const { linePlot } = await import("./svg_plot.ts");
  const rows = [];
  const series = [];
  for (const [variant, label] of Object.entries(labels)) {
    const dir = members[`evaluate@${variant}`];
    if (!dir) throw new Error(`report.image-generator: evaluate@${variant} is not in the variants group`);
    const e: GeneratorEvaluation = JSON.parse(await Deno.readTextFile(`${dir}/eval.json`));
    const train = upstream.find((u) => u.stage === `train@${variant}`);
    rows.push({
      variant: label,
      steps: (train?.params as { steps?: number } | undefined)?.steps ?? null,
      fid: e.final.fid,
      best: Math.min(...e.bySteps.map((s) => s.fid)),
      is: e.final.inceptionScore,
      classes: e.final.classesCovered,
      rate: train?.metrics.steps_per_second ?? null,
      minutes: train ? train.producedBy.durationMs / 60000 : null,
    });
    series.push({ name: label, x: e.bySteps.map((s) => s.step), y: e.bySteps.map((s) => s.fid) });
  }
  return {
    title: "Variants at equal steps",
    body: [
      table(rows, {
        columns: [
          { key: "variant", label: "variant" },
          { key: "steps", label: "steps" },
          { key: "fid", label: "classifier-FID", significant: 4 },
          { key: "best", label: "best over snapshots", significant: 4 },
          { key: "is", label: "classifier IS", significant: 3 },
          { key: "classes", label: "classes covered" },
          { key: "rate", label: "steps/s", significant: 3 },
          { key: "minutes", label: "training (min)", significant: 2 },
        ],
        caption: "Each variant trained with the same data, seed and budget, and evaluated alike. " +
          "Speeds were measured while the stages ran one after another on a shared machine.",
      }),
      figure(
        linePlot(series, {
          title: "Classifier-FID during training, every variant",
          xLabel: "step",
          yLabel: "classifier-FID",
          logY: true,
        }),
      ),
    ],
  };
}

/** The report sections (report.json, stages/report/fragments.ts) the `variants` group's stages wrote. */
async function memberSections(members: Readonly<Record<string, string>>) {
  const { readReportSections, renderFragments } = await import("./fragments.ts");
  const { figureRow } = await import("./blocks.ts");
  const sections = [];
  for (const dir of Object.values(members)) {
    for (const s of await readReportSections(dir)) {
      const body = await renderFragments(dir, s.fragments);
      // Sample grids side by side, as a row of figures.
      const images = s.fragments.every((f) => f.kind === "image");
      sections.push({ title: s.title, body: images ? [figureRow(...body)] : body });
    }
  }
  return sections;
}
