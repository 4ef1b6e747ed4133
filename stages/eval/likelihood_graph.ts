/**
 * The graph stage of a density model, with what every such stage shares written once (as
 * families/generator_graph.ts does for generators): the params every one has (init seed, fused step
 * counts, the export's batch), saving the train step and its initial weights, the density export that
 * `eval.likelihood` reads (export.onnx + export.json, likelihood_export.ts), and describe.json (model
 * facts and parameter counts for reports). A pipeline supplies its model's params and a `build`.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { defineDensityGraph } from "./likelihood_graph.ts";
 * import { fourierDensityModel, fourierDensityStep } from "../../models/onnx/models/fourier_density.ts";
 *
 * export const graph = defineDensityGraph({
 *   kind: "example.fbdm-graph",
 *   module: import.meta.url,
 *   description: "a Fourier density on [−1, 1]",
 *   params: { freqs: z.number().int().min(2).default(14) },
 *   build: (p, { evalBatch }) => ({
 *     step: fourierDensityStep({ freqs: p.freqs, map: "periodic", batch: 32 }),
 *     model: fourierDensityModel({ freqs: p.freqs, map: "periodic" }, evalBatch),
 *     density: { input: "x", inputShape: [evalBatch, 1], output: "log_prob", paramPrefix: "fbdm/" },
 *     describe: { model: `FBDM with ${p.freqs} coefficients` },
 *   }),
 * });
 * ```
 *
 * @module
 */
import { z } from "zod";
import { defineStage, type StageKind } from "../../engine/stage.ts";
import { parameterCounts } from "../../models/onnx/param_counts.ts";
import type { TrainStep } from "../../models/onnx/train_step.ts";
import type { DensityExport } from "./likelihood_export.ts";

/** The params every density graph stage has, beside the model's own. */
export const densityGraphParams = {
  /** Seed of the initial weights. */
  seed: z.number().int().min(0).default(0),
  /** Fused step counts to build (train.fuse picks one). */
  fuse: z.array(z.number().int().min(2)).default([]),
  /** Records per call of the exported density. */
  evalBatch: z.number().int().min(1).default(1024),
};

/** What a density model's `build` returns. */
export interface DensityGraph {
  step: TrainStep;
  /** The density model with its weights as inputs (export.onnx). */
  model: Uint8Array;
  /** Its description, without the role. */
  density: Omit<DensityExport, "role">;
  /** Facts about the model for reports: `{ model: "…", loss: "…" }`. */
  describe: Record<string, string>;
  /** Further files for later stages (e.g. a flow's sampler.onnx), by name in the output folder. */
  files?: Record<string, Uint8Array | string>;
}

/** What describe.json holds. */
export interface DensityDescription {
  facts: Record<string, string>;
  hyper: Record<string, number>;
  /** Trainable reals, in all and by the first part of their names. */
  parameters: number;
  byGroup: Record<string, number>;
}

/** Declares the graph stage kind of a density model. */
export function defineDensityGraph<S extends z.ZodRawShape>(def: {
  kind: string;
  module: string;
  description: string;
  params: S;
  build(
    params: z.output<z.ZodObject<S>>,
    shared: { evalBatch: number },
  ): Promise<DensityGraph> | DensityGraph;
}): StageKind {
  const schema = z.object({ ...densityGraphParams, ...def.params }).strict();
  return defineStage({
    kind: def.kind,
    module: def.module,
    description: def.description,
    params: schema,
    inputs: [],
    async run(ctx) {
      const p = ctx.params as { seed: number; fuse: number[]; evalBatch: number };
      const { saveTrainStep } = await import("../../models/onnx/saved_step.ts");
      const built = await def.build(ctx.params as never, { evalBatch: p.evalBatch });
      await saveTrainStep(built.step, `${ctx.outDir}/step`, { seed: p.seed, fused: p.fuse });
      await Deno.writeFile(`${ctx.outDir}/export.onnx`, built.model);
      const info: DensityExport = { role: "density", ...built.density };
      await Deno.writeTextFile(`${ctx.outDir}/export.json`, JSON.stringify(info, null, 1));
      for (const [name, content] of Object.entries(built.files ?? {})) {
        if (typeof content === "string") await Deno.writeTextFile(`${ctx.outDir}/${name}`, content);
        else await Deno.writeFile(`${ctx.outDir}/${name}`, content);
      }
      const byGroup = parameterCounts(built.step.params);
      const description: DensityDescription = {
        facts: built.describe,
        hyper: { ...built.step.hyper },
        parameters: Object.values(byGroup).reduce((a, b) => a + b, 0),
        byGroup,
      };
      await Deno.writeTextFile(`${ctx.outDir}/describe.json`, JSON.stringify(description, null, 1));
      ctx.metrics(0, { parameters: description.parameters });
      ctx.log(`${description.parameters.toLocaleString("en")} trainable parameters`);
    },
  }) as unknown as StageKind;
}
