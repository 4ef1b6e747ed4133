/**
 * The graph stage of an image generator, with what every such stage shares written once: the params
 * that the family sets (batch, image shape, init seed, fused step counts), saving the train step and
 * its initial weights, the sampler export that evaluation reads (export.onnx + export.json), and the
 * model facts the report shows (describe.json). A pipeline supplies its model's own params (their
 * defaults are the model's single statement of them) and a `build` function.
 *
 * Emission is deterministic, so an edit to model code that leaves the graph unchanged leaves training
 * cached (early cutoff).
 *
 * @module
 */
import { z } from "zod";
import { parameterCounts } from "../models/onnx/param_counts.ts";
import { defineStage, type StageKind } from "../engine/stage.ts";
import type { TrainStep } from "../models/onnx/train_step.ts";
import type { SamplerExport } from "../stages/train/export_info.ts";

/** The params the family adds to a generator graph stage's own. */
export const generatorGraphParams = {
  /** Images per training step. */
  batch: z.number().int().min(2).default(64),
  /** [C, H, W] of the images: the dataset's, set by the family. */
  image: z.tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)]).default([
    1,
    28,
    28,
  ]),
  /** Seed of the initial weights. */
  seed: z.number().int().min(0).default(0),
  /** Fused step counts to build (train.fuse picks one). */
  fuse: z.array(z.number().int().min(2)).default([]),
};

export type GeneratorGraphShape = { batch: number; image: readonly [number, number, number] };

/** The family's params, resolved. */
type CommonParams = GeneratorGraphShape & { seed: number; fuse: number[] };

/** What a generator's `build` returns. */
export interface GeneratorGraph {
  /** The train step: batch input `x` takes real images in the sampler's range. */
  step: TrainStep;
  /** The generator as a model whose weights are inputs (noise `z` [batch, zDim] → `image`). */
  sampler: Uint8Array;
  zDim: number;
  noise?: "normal" | "uniform";
  /** Prefix of the generator's parameter names, e.g. "generator/". */
  paramPrefix: string;
  /** Sample from carried state `<weightsFrom><param>` (e.g. "ema/") instead of the parameters. */
  weightsFrom?: string;
  /** Facts about the model for the report's setup list: `{ generator: "z → …", loss: "…" }`. */
  describe: Record<string, string>;
}

/** What the graph stage writes for the report (describe.json). */
export interface GeneratorDescription {
  facts: Record<string, string>;
  /** The graph's default hyperparameters (train.hyper overrides them). */
  hyper: Record<string, number>;
  /** Parameter counts by the first part of their names ("generator", "critic"). */
  parameters: Record<string, number>;
}

type Shape = z.ZodRawShape;

/** Declares the graph stage kind of an image generator. */
export function defineGeneratorGraph<S extends Shape>(def: {
  kind: string;
  module: string;
  description: string;
  /** The model's own params, with its defaults (the article's settings). */
  params: S;
  build(
    params: z.output<z.ZodObject<S>>,
    shape: GeneratorGraphShape,
  ): Promise<GeneratorGraph> | GeneratorGraph;
}): StageKind {
  const schema = z.object({ ...generatorGraphParams, ...def.params }).strict();
  return defineStage({
    kind: def.kind,
    module: def.module,
    description: def.description,
    params: schema,
    inputs: [],
    async run(ctx) {
      const p = ctx.params as CommonParams;
      const { saveTrainStep } = await import("../models/onnx/saved_step.ts");
      const built = await def.build(p as never, { batch: p.batch, image: p.image });
      await saveTrainStep(built.step, `${ctx.outDir}/step`, { seed: p.seed, fused: p.fuse });
      await Deno.writeFile(`${ctx.outDir}/export.onnx`, built.sampler);
      const sampler: SamplerExport = {
        role: "sampler",
        input: "z",
        inputShape: [p.batch, built.zDim],
        noise: built.noise ?? "normal",
        output: "image",
        sampleShape: [...p.image],
        range: [-1, 1],
        paramPrefix: built.paramPrefix,
        ...(built.weightsFrom ? { weightsFrom: built.weightsFrom } : {}),
      };
      await Deno.writeTextFile(`${ctx.outDir}/export.json`, JSON.stringify(sampler, null, 1));
      const parameters = parameterCounts(built.step.params);
      const description: GeneratorDescription = {
        facts: built.describe,
        hyper: { ...built.step.hyper },
        parameters,
      };
      await Deno.writeTextFile(`${ctx.outDir}/describe.json`, JSON.stringify(description, null, 1));
      ctx.log(
        Object.entries(parameters).map(([g, n]) => `${g} ${n.toLocaleString("en")} parameters`).join(", "),
      );
    },
  }) as unknown as StageKind;
}
