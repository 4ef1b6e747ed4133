/**
 * Sample grids of a generator at several of its training snapshots (`eval.snapshot-grids`), the same
 * noise for every snapshot, as articles show their samples after 100k, 200k, … iterations. Reads a
 * `train.run` output whose graph wrote a sampler export (export.onnx with the weights as inputs).
 * Writes grid-NNNNNN.png per snapshot and report.json (stages/report/fragments.ts) with them, for the
 * report of the pipeline.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import { readExport } from "../train/export_info.ts";

const snapshotStep = (name: string) => Number(/step-(\d+)\.safetensors$/.exec(name)?.[1]);

export const snapshotGrids = defineStage({
  kind: "eval.snapshot-grids",
  module: import.meta.url,
  description: "Sample grids of a generator at several training snapshots, the same noise for each",
  params: z.object({
    /** Snapshot steps to show (default: at most 6, evenly spread, the last included). */
    steps: z.array(z.number().int().min(0)).optional(),
    /** Images per grid. */
    samples: z.number().int().min(1).max(400).default(49),
    seed: z.number().int().min(0).default(1),
    /** Section title in the report. */
    title: z.string().default("Samples during training"),
  }).strict(),
  inputs: ["trained"],
  async run(ctx) {
    const { createSession, runSession } = await import("../../models/onnx/session.ts");
    const { decodeSafetensors, tensorsToState } = await import("../../models/onnx/safetensors.ts");
    const { imageGridPng } = await import("../report/png.ts");
    const { writeReportSections } = await import("../report/fragments.ts");
    const { fillNoise } = await import("../train/noise.ts");
    const p = ctx.params;
    const sampler = await readExport(ctx.inputs.trained);
    if (sampler?.role !== "sampler") {
      throw new Error(
        `Input 'trained' (${ctx.inputs.trained}) has no sampler export: train a generator graph`,
      );
    }
    const dir = `${ctx.inputs.trained}/snapshots`;
    const all = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".safetensors"))
      .map(snapshotStep).sort((a, b) => a - b);
    if (all.length === 0) throw new Error(`No snapshots in ${dir}: train with train.snapshotEvery > 0`);
    const pick = p.steps ?? spread(all, 6);
    for (const s of pick) {
      if (!all.includes(s)) {
        throw new Error(`eval.snapshot-grids: no snapshot at step ${s} (there are ${all})`);
      }
    }
    const [channels, height, width] = sampler.sampleShape as [number, number, number];
    const pixels = channels * height * width;
    const batch = sampler.inputShape[0]!;
    const zSize = sampler.inputShape.reduce((a, b) => a * b, 1);
    const session = await createSession(await Deno.readFile(`${ctx.inputs.trained}/export.onnx`), {
      intraOpNumThreads: ctx.threads,
    });
    const images = [];
    try {
      for (const step of pick) {
        const path = `${dir}/step-${String(step).padStart(6, "0")}.safetensors`;
        const weights = tensorsToState(decodeSafetensors(await Deno.readFile(path), path).tensors);
        const out = new Float32Array(p.samples * pixels);
        const z = new Float32Array(zSize);
        for (let b = 0; b * batch < p.samples; b++) {
          fillNoise(z, sampler.noise, p.seed, b, 0);
          const result = await runSession(session, { ...weights, [sampler.input]: z });
          const take = Math.min(batch, p.samples - b * batch);
          out.set(
            (result[sampler.output]!.data as Float32Array).subarray(0, take * pixels),
            b * batch * pixels,
          );
        }
        const file = `grid-${String(step).padStart(6, "0")}.png`;
        await Deno.writeFile(
          `${ctx.outDir}/${file}`,
          await imageGridPng(out, {
            channels: channels as 1 | 3,
            height,
            width,
            scale: 1,
            gutter: 1,
            range: sampler.range,
          }),
        );
        images.push({
          kind: "image" as const,
          file,
          alt: `samples at step ${step}`,
          caption: `step ${step}`,
        });
      }
    } finally {
      await session.release();
    }
    await writeReportSections(ctx.outDir, [{ title: p.title, fragments: images }]);
  },
});

/** At most `n` of `steps`, evenly spread, first and last included. */
function spread(steps: number[], n: number): number[] {
  if (steps.length <= n) return steps;
  return [
    ...new Set(Array.from({ length: n }, (_, i) => steps[Math.round(i * (steps.length - 1) / (n - 1))]!)),
  ];
}
