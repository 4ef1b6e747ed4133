/**
 * `vq-vae.recon`: what a trained VQ-VAE does with held-out images, at every snapshot: the reconstruction
 * error (MSE per pixel on the [0, 1] scale, PSNR = 10·log₁₀(1/MSE) of the split's mean MSE) and the
 * codebook's use, the perplexity exp(H) of the code frequencies over all 49 positions of all images
 * (K when every code is used equally, 1 when one code takes all) with the number of codes used at all.
 * The last snapshot's originals and reconstructions go to the report.
 *
 * Input `trained`: a `train.run` output of `vq-vae.graph` (its `exports/recon`); `data`: its shard set.
 *
 * Metrics: `psnr`, `mse`, `perplexity`, `codes_used`, `codes` (at the last step), and `psnr_curve`,
 * `perplexity_curve` per snapshot. Output: recon.json, recon.png.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

/** Perplexity exp(−Σ p log p) of `counts`, and how many are non-zero. */
export function codePerplexity(counts: ArrayLike<number>): { perplexity: number; used: number } {
  let total = 0, used = 0;
  for (let i = 0; i < counts.length; i++) {
    total += counts[i]!;
    if (counts[i]! > 0) used++;
  }
  let h = 0;
  for (let i = 0; i < counts.length; i++) {
    const p = counts[i]! / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return { perplexity: Math.exp(h), used };
}

const snapshotStep = (name: string) => Number(/step-(\d+)\.safetensors$/.exec(name)?.[1]);

export const reconStage = defineStage({
  kind: "vq-vae.recon",
  module: import.meta.url,
  description: "VQ-VAE on held-out images at every snapshot: reconstruction PSNR and codebook perplexity",
  params: z.object({
    split: z.string().min(1).default("test"),
    /** Images evaluated (the first of the split). */
    records: z.number().int().min(1).default(2000),
    /** Originals and reconstructions shown. */
    shown: z.number().int().min(1).default(16),
    /** Title of this stage's report section; "none" writes none. */
    title: z.string().min(1).default("Reconstructions"),
  }).strict(),
  inputs: ["trained", "data"],
  async run(ctx) {
    const p = ctx.params;
    const { createSession, runSession } = await import("../../models/onnx/session.ts");
    const { decodeSafetensors, tensorsToState } = await import("../../models/onnx/safetensors.ts");
    const { openShards } = await import("../../stages/data/shard_reader.ts");

    const dir = `${ctx.inputs.trained}/exports/recon`;
    let info: { inputShape: number[]; codes: number; positions: number; paramPrefix: string };
    try {
      info = JSON.parse(await Deno.readTextFile(`${dir}/export.json`));
    } catch (error) {
      throw new Error(
        `input 'trained' (${ctx.inputs.trained}) has no recon export (${(error as Error).message}): ` +
          "train a vq-vae.graph",
      );
    }
    const [batch, dims] = info.inputShape as [number, number];
    const shards = await openShards(ctx.inputs.data);
    const data = await shards.readAll(p.split, { transform: { layout: "flat" } });
    const count = Math.min(p.records, data.count);
    const x = (data.x as Float32Array).subarray(0, count * dims);
    const session = await createSession(await Deno.readFile(`${dir}/export.onnx`), {
      intraOpNumThreads: ctx.threads,
    });
    const snapshotDir = `${ctx.inputs.trained}/snapshots`;
    const files = [...Deno.readDirSync(snapshotDir)].map((e) => e.name)
      .filter((n) => n.endsWith(".safetensors")).sort((a, b) => snapshotStep(a) - snapshotStep(b));
    if (files.length === 0) {
      throw new Error(`No snapshots in ${snapshotDir}: train with train.snapshotEvery > 0`);
    }

    const rows: { step: number; psnr: number; mse: number; perplexity: number; used: number }[] = [];
    const recon = new Float32Array(count * dims);
    for (const file of files) {
      ctx.signal.throwIfAborted();
      const step = snapshotStep(file);
      const path = `${snapshotDir}/${file}`;
      const weights = tensorsToState(decodeSafetensors(await Deno.readFile(path), path).tensors) as Record<
        string,
        Float32Array
      >;
      const counts = new Float64Array(info.codes);
      const input = new Float32Array(batch * dims);
      let sq = 0;
      for (let start = 0; start < count; start += batch) {
        const take = Math.min(batch, count - start);
        input.fill(0).set(x.subarray(start * dims, (start + take) * dims));
        const out = await runSession(session, { ...weights, x: input });
        const r = out.recon!.data as Float32Array;
        const index = out.index!.data as Float32Array;
        recon.set(r.subarray(0, take * dims), start * dims);
        for (let i = 0; i < take * dims; i++) sq += (r[i]! - input[i]!) ** 2;
        for (let i = 0; i < take * info.positions; i++) counts[index[i]!]!++;
      }
      const mse = sq / (count * dims);
      const use = codePerplexity(counts);
      rows.push({ step, psnr: 10 * Math.log10(1 / mse), mse, perplexity: use.perplexity, used: use.used });
      ctx.metrics(step, { psnr_curve: rows.at(-1)!.psnr, perplexity_curve: use.perplexity });
    }
    await session.release();
    const last = rows.at(-1)!;
    ctx.metrics(last.step, {
      psnr: last.psnr,
      mse: last.mse,
      perplexity: last.perplexity,
      codes_used: last.used,
      codes: info.codes,
    });
    await Deno.writeTextFile(
      `${ctx.outDir}/recon.json`,
      JSON.stringify({ split: p.split, records: count, rows }),
    );
    if (p.title === "none") return;

    const { imageGridPng } = await import("../../stages/report/png.ts");
    const shown = Math.min(p.shown, count);
    const pairs = new Float32Array(2 * shown * dims);
    pairs.set(x.subarray(0, shown * dims), 0);
    pairs.set(recon.subarray(0, shown * dims), shown * dims);
    await Deno.writeFile(
      `${ctx.outDir}/recon.png`,
      await imageGridPng(pairs, {
        channels: 1,
        height: 28,
        width: 28,
        range: [0, 1],
        columns: shown,
        scale: 2,
        gutter: 2,
      }),
    );
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    await writeReportSections(ctx.outDir, [{
      title: p.title,
      fragments: [
        {
          kind: "facts",
          facts: {
            "images": `${count.toLocaleString("en")} (${p.split} split)`,
            "reconstruction MSE per pixel": `${last.mse.toFixed(4)} (PSNR ${last.psnr.toFixed(2)} dB)`,
            "codebook perplexity": `${last.perplexity.toFixed(1)} of ${info.codes} (${last.used} codes used)`,
          },
        },
        {
          kind: "image",
          file: "recon.png",
          alt: "test images above their reconstructions",
          caption:
            `Top: ${shown} ${p.split} images; bottom: their reconstructions through the 7×7 code grid ` +
            `at step ${last.step}.`,
          width: shown * 60,
        },
        {
          kind: "line",
          series: [{ name: "PSNR (dB)", x: rows.map((r) => r.step), y: rows.map((r) => r.psnr) }],
          options: {
            title: "Reconstruction PSNR over training",
            xLabel: "step",
            yLabel: "PSNR (dB)",
            dots: true,
          },
        },
      ],
    }]);
  },
});
