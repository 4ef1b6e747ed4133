/**
 * The image-generator family: a pipeline that supplies its train-step graph (a generator graph stage,
 * generator_graph.ts), its params per scale and its claims gets everything else:
 *
 * ```
 *   data ─────────┬──────────────► train ──► evaluate ──► report
 *   graph ────────┘                  ▲          ▲
 *   classifier-graph ──► classifier ─┼──────────┘
 *   data ────────────────────────────┘
 * ```
 *
 * the dataset (`--set dataset=mnist|fashion-mnist`), training (`train.run`), the shared classifier
 * (cached once per dataset for every pipeline), evaluation (`eval.generator`: classifier-FID, IS,
 * coverage over training, with their calibration) and the report (`report.image-generator`).
 *
 * @module
 */
import { z } from "zod";
import type { ClaimDef } from "../engine/claims.ts";
import {
  type Article,
  definePipeline,
  type PipelineDef,
  type StageUse,
  use,
  VARIANT_SEPARATOR,
} from "../engine/pipeline.ts";
import type { StageKind } from "../engine/stage.ts";
import type { TransformSpec } from "../stages/data/transforms.ts";
import { classifierGraph } from "../stages/eval/classifier_graph.ts";
import { generatorEval } from "../stages/eval/generator_eval.ts";
import { generatorReport } from "../stages/report/generator_report.ts";
import { dataInit } from "../stages/train/data_init.ts";
import { train, type TrainParams } from "../stages/train/train.ts";
import { IMAGE_DATASET_NAMES, IMAGE_DATASETS } from "./datasets.ts";

type ReportParams = z.input<typeof generatorReport.params>;

/** What changes with `--set scale=…`: the graph's params, the training length and snapshot interval. */
export interface GeneratorScale {
  /** Graph params that differ from the graph stage's defaults at this scale. */
  graph?: Record<string, unknown>;
  steps: number;
  snapshotEvery: number;
}

/** What an image-generator pipeline states; the family supplies the rest. */
export interface ImageGeneratorSpec {
  name: string;
  description: string;
  article: Article;
  /** Report title; `{dataset}` becomes the dataset's name. */
  title: string;
  /** What the article presents and claims, in a paragraph: the report adds what this run reached. */
  summary: string;
  /** The graph stage (defineGeneratorGraph). */
  graph: StageKind;
  /** small: sized for two CPU cores in minutes; full: the article's size, for a GPU. */
  scales: { small: GeneratorScale; full: GeneratorScale };
  /**
   * train.run params that hold at every scale: how each batch input is fed (`x` is always the
   * images), hyperparameters, checkpointing.
   */
  train?: Partial<Omit<TrainParams, "steps" | "snapshotEvery" | "transform">>;
  /**
   * How training sees the images; default [−1, 1] NCHW (the generators end in tanh). A density model
   * (f-VAE) trains on uniformly dequantised images so that its bits/dim are a bound.
   */
  transform?: TransformSpec;
  /** Default dataset; default mnist. */
  dataset?: keyof typeof IMAGE_DATASETS;
  /** Graph params that depend on the dataset (e.g. the training set's size), merged into every variant's. */
  datasetGraph?: Partial<Record<keyof typeof IMAGE_DATASETS, Record<string, unknown>>>;
  /** Plots of the train step's metrics besides the losses. */
  plots?: ReportParams["plots"];
  comparison: ReportParams["comparison"];
  /**
   * Variants of the graph trained, evaluated and shown side by side at equal steps: graph params
   * that differ from the scale's, and a label. The first is the one the report shows in full. With
   * variants every stage of a variant is named `<stage>@<variant>` (`train@qp-l1`), so that
   * `--set train.steps=…` reaches them all and `--set train@qp-l1.steps=…` one.
   */
  variants?: Readonly<Record<string, GeneratorVariant>>;
  /** Stages that compare the variants (their names given), e.g. a timing; claims may read them. */
  compare?: (variants: readonly string[]) => Record<string, StageUse>;
  /**
   * Claims; they may read `evaluate` (final_fid, untrained_fid, noise_fid, classes_covered, …), or
   * with variants `evaluate@<variant>`, and the `compare` stages.
   */
  claims: readonly ClaimDef[];
}

/** A variant of an image generator's graph (ImageGeneratorSpec.variants). */
export interface GeneratorVariant {
  /** Graph params that differ from the scale's. */
  graph: Record<string, unknown>;
  /** As shown in the report, e.g. "GAN-QP-L1 (λ = 10)". */
  label: string;
  /** train.run params of this variant over the spec's (`feeds` merged), e.g. another graph's noise inputs. */
  train?: Partial<Omit<TrainParams, "steps" | "snapshotEvery" | "transform">>;
  /**
   * The graph has data-initialised parameters (actnorm; its stage writes data_init.onnx): an `init@<variant>`
   * stage (train.data-init) runs between graph and train.
   */
  dataInit?: boolean;
}

/**
 * The claims every image generator is held to, judged on `evaluate`'s metrics: its classifier-FID
 * far below (under `factor` times) the untrained generator's and uniform noise's, every class of the
 * data covered, and samples that are not copies of training images. `trains` opens the first claim
 * with the article's own words, e.g. "WGAN-div trains a generator without a Lipschitz constraint";
 * `evaluate` names the `eval.generator` stage judged (`evaluate@qp-l2` for a variant; the image-flow
 * family calls it "fid").
 */
export function generatorClaims(trains: string, factor = 0.25, evaluate = "evaluate"): ClaimDef[] {
  const ours = { stage: evaluate, metric: "final_fid" };
  const metric = (m: string) => ({ stage: evaluate, metric: m });
  return [
    {
      id: "fid-below-untrained",
      claim: `${trains}: its classifier-FID falls far below the untrained generator's.`,
      ours,
      reference: { value: metric("untrained_fid"), source: "the same generator at step 0" },
      check: { kind: "below", factor },
    },
    {
      id: "fid-below-noise",
      claim: "The trained generator's samples are far closer to the data than uniform noise images.",
      ours,
      reference: { value: metric("noise_fid"), source: "uniform noise images" },
      check: { kind: "below", factor },
    },
    {
      id: "all-classes",
      claim: "The generator covers every class of the data (no mode collapse).",
      ours: metric("classes_covered"),
      reference: { value: metric("classes"), source: "the dataset's classes" },
      check: { kind: "at-least" },
    },
    {
      id: "not-memorised",
      claim: "The samples are new images, not copies of training images.",
      ours: metric("nearest_samples"),
      reference: {
        value: metric("nearest_test"),
        source: "pixel distance of real test images to their nearest training image",
      },
      check: { kind: "above", factor: 0.5 },
    },
  ];
}

/** Training steps of the shared evaluation classifier, per scale. */
const CLASSIFIER_STEPS = { small: 600, full: 3000 } as const;

/**
 * The shared evaluation classifier, `classifier-graph` and `classifier` trained on stage `data`: the
 * same params in every pipeline of a scale, so one cached classifier serves them all.
 */
export function classifierStages(scale: "small" | "full"): Record<string, StageUse> {
  return {
    "classifier-graph": use(classifierGraph),
    classifier: use(train, {
      params: {
        steps: CLASSIFIER_STEPS[scale],
        feeds: { x: "images", y: "labels" },
        transform: { scale: "unit", layout: "nchw" },
        snapshotEvery: 0,
        checkpointEvery: 0,
        logEvery: 20,
      },
      inputs: { graph: "classifier-graph", data: "data" },
    }),
  };
}

/** An image-generator pipeline from its spec. */
export function imageGeneratorPipeline(spec: ImageGeneratorSpec): PipelineDef {
  return definePipeline({
    name: spec.name,
    description: spec.description,
    article: spec.article,
    params: z.object({
      scale: z.enum(["small", "full"]).default("small"),
      dataset: z.enum(IMAGE_DATASET_NAMES).default(spec.dataset ?? "mnist"),
    }).strict(),
    stages: (p) => {
      const scale = spec.scales[p.scale];
      const dataset = IMAGE_DATASETS[p.dataset];
      const variantNames = Object.keys(spec.variants ?? {});
      /** A variant's copy of a stage, or the stage itself without variants. */
      const at = (
        stage: string,
        v?: string,
      ) => (v === undefined ? stage : `${stage}${VARIANT_SEPARATOR}${v}`);
      // The generators end in tanh: real images go to the same range (unless the spec says otherwise).
      const transform = spec.transform ?? { scale: "symmetric", layout: "nchw" };
      const initialised = (v?: string) => v !== undefined && spec.variants![v]!.dataInit === true;
      const trainedGenerator = (v?: string): Record<string, StageUse> => ({
        [at("graph", v)]: use(spec.graph, {
          params: {
            ...scale.graph,
            ...spec.datasetGraph?.[p.dataset],
            ...(v === undefined ? {} : spec.variants![v]!.graph),
            image: [...dataset.shape],
          },
        }),
        ...(initialised(v)
          ? {
            [at("init", v)]: use(dataInit, {
              params: { transform },
              inputs: { graph: at("graph", v), data: "data" },
            }),
          }
          : {}),
        [at("train", v)]: use(train, {
          params: {
            checkpointEvery: 250,
            ...spec.train,
            ...(v === undefined ? {} : spec.variants![v]!.train),
            steps: scale.steps,
            snapshotEvery: scale.snapshotEvery,
            feeds: {
              x: "images",
              ...spec.train?.feeds,
              ...(v === undefined ? {} : spec.variants![v]!.train?.feeds),
            },
            transform,
          },
          inputs: { graph: at(initialised(v) ? "init" : "graph", v), data: "data" },
        }),
      });
      const evaluation = (v?: string): Record<string, StageUse> => ({
        [at("evaluate", v)]: use(generatorEval, {
          inputs: { trained: at("train", v), classifier: "classifier", data: "data" },
        }),
      });
      const main = variantNames[0];
      const each = (f: (v?: string) => Record<string, StageUse>) =>
        variantNames.length
          ? Object.assign({}, ...variantNames.map((v) => f(v))) as Record<string, StageUse>
          : f();
      const compare = spec.compare?.(variantNames) ?? {};
      return {
        data: use(dataset.stage),
        ...each(trainedGenerator),
        ...classifierStages(p.scale),
        ...each(evaluation),
        ...compare,
        report: use(generatorReport, {
          params: {
            title: spec.title,
            dataset: dataset.label,
            summary: spec.summary,
            ...(spec.plots ? { plots: spec.plots } : {}),
            comparison: spec.comparison,
            ...(main === undefined ? {} : {
              trainStage: at("train", main),
              variants: Object.fromEntries(variantNames.map((v) => [v, spec.variants![v]!.label])),
            }),
          },
          inputs: {
            graph: at("graph", main),
            train: at("train", main),
            evaluate: at("evaluate", main),
            classifier: "classifier",
            data: "data",
          },
          groups: {
            variants: [...variantNames.map((v) => at("evaluate", v)), ...Object.keys(compare)],
          },
        }),
      };
    },
    report: "report",
    headline: {
      stage: spec.variants ? `evaluate${VARIANT_SEPARATOR}${Object.keys(spec.variants)[0]}` : "evaluate",
      metric: "final_fid",
      label: "classifier-FID",
      lowerIsBetter: true,
    },
    claims: spec.claims,
  });
}
