/**
 * `eval.flow-sampler`: turns a trained normalising flow (a `train.run` output whose graph wrote a
 * density export and, beside it, `sampler.onnx` + `sampler.json`: the same parameters run backwards)
 * into what the shared image-generator evaluation reads, and draws the sample grids at several
 * temperatures.
 *
 * - Output `export.json` / `export.onnx`: the sampler (noise → image in [−1, 1], weights as inputs),
 *   `snapshots/`: the training's snapshots (the sampler reads the same parameters), and `model.onnx`:
 *   the sampler with the weights of the snapshot `eval.likelihood` reported baked in. So
 *   `eval.generator` scores every snapshot and shows samples of the reported one, unchanged.
 * - `samples-t<T>.png`: a grid of samples at each temperature T (the prior's noise scaled by T; the
 *   sampler's own temperature is the article's), and report sections showing them.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import type { SamplerExport } from "../train/export_info.ts";

/** What a flow's graph stage writes as sampler.json. */
export interface FlowSamplerInfo {
  sampler: SamplerExport;
  /** The temperature built into sampler.onnx: its noise is scaled by this before the inverse flow. */
  temperature: number;
}

export const flowSampler = defineStage({
  kind: "eval.flow-sampler",
  module: import.meta.url,
  description: "A flow's sampler for eval.generator, with sample grids at several temperatures",
  params: z.object({
    /** Temperatures of the grids. */
    temperatures: z.array(z.number().positive().max(2)).min(1).default([0.7, 0.8, 0.9, 1]),
    /** Samples per grid (a square number fills it). */
    grid: z.number().int().min(1).default(100),
    seed: z.number().int().min(0).default(0),
    /** Title of the report section; "none" writes none. */
    title: z.string().min(1).default("Samples by temperature"),
  }).strict(),
  inputs: ["trained", "graph", "likelihood"],
  async run(ctx) {
    const p = ctx.params;
    const { createSession, runSession } = await import("../../models/onnx/session.ts");
    const { bakeWeights } = await import("../../models/onnx/export.ts");
    const { decodeSafetensors, tensorsToState } = await import("../../models/onnx/safetensors.ts");
    const { fillNoise } = await import("../train/noise.ts");
    const { imageGridPng } = await import("../report/png.ts");
    const { writeReportSections } = await import("../report/fragments.ts");

    let info: FlowSamplerInfo;
    try {
      info = JSON.parse(await Deno.readTextFile(`${ctx.inputs.graph}/sampler.json`));
    } catch (error) {
      throw new Error(
        `Input 'graph' (${ctx.inputs.graph}) has no readable sampler.json (${(error as Error).message}): ` +
          `a flow's graph stage writes its sampler beside the density export (families/image_flow.ts)`,
      );
    }
    const sampler = info.sampler;
    const selected: { selectedStep: number; selectedBy: string } = JSON.parse(
      await Deno.readTextFile(`${ctx.inputs.likelihood}/likelihood.json`),
    );
    const samplerBytes = await Deno.readFile(`${ctx.inputs.graph}/sampler.onnx`);
    const snapshots = `${ctx.inputs.trained}/snapshots`;
    await Deno.mkdir(`${ctx.outDir}/snapshots`);
    for await (const e of Deno.readDir(snapshots)) {
      await Deno.copyFile(`${snapshots}/${e.name}`, `${ctx.outDir}/snapshots/${e.name}`);
    }
    const file = `${snapshots}/step-${String(selected.selectedStep).padStart(6, "0")}.safetensors`;
    const weights = tensorsToState(decodeSafetensors(await Deno.readFile(file), file).tensors) as Record<
      string,
      Float32Array
    >;
    const baked = bakeWeights(samplerBytes, weights);
    await Deno.writeFile(`${ctx.outDir}/model.onnx`, baked);
    await Deno.writeFile(`${ctx.outDir}/export.onnx`, samplerBytes);
    await Deno.writeTextFile(`${ctx.outDir}/export.json`, JSON.stringify(sampler, null, 1));

    // ---- grids by temperature: the sampler's noise scaled by T / T₀ ----
    const session = await createSession(baked, { intraOpNumThreads: ctx.threads });
    const batch = sampler.inputShape[0]!;
    const zSize = sampler.inputShape.reduce((a, b) => a * b, 1);
    const pixels = sampler.sampleShape.reduce((a, b) => a * b, 1);
    const [channels, height, width] = sampler.sampleShape as [1 | 3, number, number];
    // Uniform noise (a logistic prior) is not scaled linearly: only the built-in temperature applies.
    const temperatures = sampler.noise === "normal" ? p.temperatures : [info.temperature];
    const figures = [];
    for (const t of temperatures) {
      const images = new Float32Array(p.grid * pixels);
      let diverged = 0;
      const z = new Float32Array(zSize);
      for (let b = 0; b * batch < p.grid; b++) {
        fillNoise(z, sampler.noise, p.seed, b, 0);
        for (let i = 0; i < z.length; i++) z[i] = z[i]! * (t / info.temperature);
        const result = await runSession(session, { [sampler.input]: z });
        const out = result[sampler.output]!.data as Float32Array;
        const take = Math.min(batch, p.grid - b * batch);
        images.set(out.subarray(0, take * pixels), b * batch * pixels);
        const bad = result.diverged?.data as Float32Array | undefined;
        for (let i = 0; i < take; i++) if (bad && bad[i]! > 0) diverged++;
      }
      const name = `samples-t${t}.png`;
      await Deno.writeFile(
        `${ctx.outDir}/${name}`,
        await imageGridPng(images, { channels, height, width, range: sampler.range, scale: 2, gutter: 2 }),
      );
      figures.push({
        kind: "image" as const,
        file: name,
        alt: `samples at temperature ${t}`,
        caption: `T = ${t}`,
      });
    }
    if (p.title !== "none") {
      await writeReportSections(ctx.outDir, [{
        title: p.title,
        fragments: [
          {
            kind: "prose",
            text: `${p.grid} samples per grid from the weights of step ${selected.selectedStep} ` +
              `(${selected.selectedBy}): z ~ N(0, T²I) through the inverse flow, clipped to [0, 1]. ` +
              `Lower temperatures trade diversity for cleaner digits (the article samples at T = ${info.temperature}).`,
          },
          ...figures,
        ],
      }]);
    }
    ctx.log(`grids at T = ${temperatures.join(", ")} from the snapshot of step ${selected.selectedStep}`);
  },
});
