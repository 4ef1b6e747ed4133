/**
 * The graph stage of a latent-variable generative model (a VAE, a categorical VAE, a VQ-VAE's prior),
 * with what every such stage shares written once, as generator_graph.ts and
 * stages/eval/likelihood_graph.ts do for GANs and densities: the params every one has (init seed,
 * fused step counts), saving the train step and its initial weights, the sampler export that
 * `eval.generator` and `eval.sample-grid` read (export.onnx + export.json), any further exports of the
 * same weights under `exports/<name>/` (a density for `eval.likelihood`'s `export` param, an encoder),
 * and describe.json (model facts, default hyperparameters, parameter counts by group).
 *
 * `train.run` snapshots the weights under the sampler's `paramPrefix`; every export must take exactly
 * those weights as inputs, so that one snapshot feeds each.
 *
 * @module
 */
import { z } from "zod";
import { parameterCounts } from "../models/onnx/param_counts.ts";
import { defineStage, type StageKind } from "../engine/stage.ts";
import type { TrainStep } from "../models/onnx/train_step.ts";
import type { SamplerExport } from "../stages/train/export_info.ts";
import type { GeneratorDescription } from "./generator_graph.ts";

/** The params every latent-model graph stage has, beside the model's own. */
export const latentGraphParams = {
  /** Seed of the initial weights. */
  seed: z.number().int().min(0).default(0),
  /** Fused step counts to build (train.fuse picks one). */
  fuse: z.array(z.number().int().min(2)).default([]),
};

/** What a latent model's `build` returns. */
export interface LatentGraph {
  step: TrainStep;
  /** The sampler: noise in, samples out, weights as inputs. */
  sampler: { bytes: Uint8Array; info: Omit<SamplerExport, "role"> };
  /** Further exports of the same weights, by name: model bytes and their description (export.json). */
  exports?: Record<
    string,
    { bytes: Uint8Array; info: { role: string; paramPrefix: string } & Record<string, unknown> }
  >;
  /** Facts about the model for reports: `{ encoder: "…", loss: "…" }`. */
  describe: Record<string, string>;
  /** Further files of the stage's output by name, e.g. data_init.onnx and data_init.json (train.data-init). */
  files?: Record<string, Uint8Array | string>;
}

/** Declares the graph stage kind of a latent-variable model. */
export function defineLatentGraph<S extends z.ZodRawShape>(def: {
  kind: string;
  module: string;
  description: string;
  params: S;
  /**
   * Inputs the graph is built from (default none), e.g. a trained classifier whose frozen weights a
   * perceptual loss bakes in; `build` gets their output folders by name.
   */
  inputs?: readonly string[];
  build(
    params: z.output<z.ZodObject<S>>,
    inputs: Readonly<Record<string, string>>,
  ): Promise<LatentGraph> | LatentGraph;
}): StageKind {
  const schema = z.object({ ...latentGraphParams, ...def.params }).strict();
  return defineStage({
    kind: def.kind,
    module: def.module,
    description: def.description,
    params: schema,
    inputs: [...(def.inputs ?? [])],
    async run(ctx) {
      const p = ctx.params as { seed: number; fuse: number[] };
      const { saveTrainStep } = await import("../models/onnx/saved_step.ts");
      const built = await def.build(ctx.params as never, ctx.inputs as Readonly<Record<string, string>>);
      await saveTrainStep(built.step, `${ctx.outDir}/step`, { seed: p.seed, fused: p.fuse });
      const write = async (dir: string, bytes: Uint8Array, info: unknown) => {
        await Deno.mkdir(dir, { recursive: true });
        await Deno.writeFile(`${dir}/export.onnx`, bytes);
        await Deno.writeTextFile(`${dir}/export.json`, JSON.stringify(info, null, 1));
      };
      await write(ctx.outDir, built.sampler.bytes, { role: "sampler", ...built.sampler.info });
      for (const [name, e] of Object.entries(built.exports ?? {})) {
        if (e.info.paramPrefix !== built.sampler.info.paramPrefix) {
          throw new Error(
            `export '${name}' takes the weights under '${e.info.paramPrefix}', but the snapshots hold those ` +
              `under the sampler's '${built.sampler.info.paramPrefix}'`,
          );
        }
        await write(`${ctx.outDir}/exports/${name}`, e.bytes, e.info);
      }
      for (const [name, data] of Object.entries(built.files ?? {})) {
        if (typeof data === "string") await Deno.writeTextFile(`${ctx.outDir}/${name}`, data);
        else await Deno.writeFile(`${ctx.outDir}/${name}`, data);
      }
      const parameters = parameterCounts(built.step.params, 2);
      const description: GeneratorDescription = {
        facts: built.describe,
        hyper: { ...built.step.hyper },
        parameters,
      };
      await Deno.writeTextFile(`${ctx.outDir}/describe.json`, JSON.stringify(description, null, 1));
      const total = Object.values(parameters).reduce((a, b) => a + b, 0);
      ctx.metrics(0, { parameters: total });
      ctx.log(
        Object.entries(parameters).map(([g, n]) => `${g} ${n.toLocaleString("en")}`).join(", ") +
          " parameters",
      );
    },
  }) as unknown as StageKind;
}
