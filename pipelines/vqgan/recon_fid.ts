/**
 * `vqgan.recon-fid`: the reconstruction classifier-FID of a trained VQ-VAE or VQGAN at every snapshot:
 * the Fréchet distance between the classifier's features of held-out images and of their
 * reconstructions (the same images through the code grid), so 0 for perfect reconstructions and, unlike
 * PSNR, sensitive to blur. When the training logged the adaptive weight `lambda` (vqgan.graph), its
 * trajectory over the steps where the GAN term is on goes to the report too.
 *
 * Inputs: `trained`, a train.run output with a `recon` export (vq-vae.graph, vqgan.graph); `classifier`,
 * a trained eval.classifier-graph; `data`, the shard set.
 *
 * Metrics: `recon_fid` (last snapshot), `recon_fid_curve` per snapshot, `real_halves_fid` (for scale: the
 * FID between two disjoint halves of the real images, what two independent samples of the data differ by at
 * half this many images; the reconstructions are paired with their images, so they can fall below it), and
 * with λ:
 * `lambda_median`, `lambda_first`, `lambda_last` (logged means over the steps with the GAN on).
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

const snapshotStep = (name: string) => Number(/step-(\d+)\.safetensors$/.exec(name)?.[1]);

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export const reconFidStage = defineStage({
  kind: "vqgan.recon-fid",
  module: import.meta.url,
  description: "Classifier-FID of held-out images' reconstructions against the images, per snapshot; λ",
  params: z.object({
    split: z.string().min(1).default("test"),
    /** Images reconstructed (the first of the split). */
    records: z.number().int().min(100).default(2000),
    /** Title of this stage's report section; "none" writes none. */
    title: z.string().min(1).default("Reconstruction classifier-FID"),
  }).strict(),
  inputs: ["trained", "classifier", "data"],
  async run(ctx) {
    const p = ctx.params;
    const { createSession, runSession } = await import("../../models/onnx/session.ts");
    const { decodeSafetensors, tensorsToState } = await import("../../models/onnx/safetensors.ts");
    const { openShards } = await import("../../stages/data/shard_reader.ts");
    const { readExport } = await import("../../stages/train/export_info.ts");
    const { readMetricsParquet } = await import("../../stages/train/metrics_file.ts");
    const { classifierFid } = await import("../../stages/eval/frechet.ts");

    const reconDir = `${ctx.inputs.trained}/exports/recon`;
    const recon = await readExport(reconDir) as { role: string; inputShape: number[] } | null;
    if (recon?.role !== "recon") {
      throw new Error(
        `input 'trained' (${ctx.inputs.trained}) has no recon export: train a vq-vae or vqgan graph`,
      );
    }
    const classifier = await readExport(ctx.inputs.classifier);
    if (classifier?.role !== "features") {
      throw new Error(
        `input 'classifier' (${ctx.inputs.classifier}) has no features export: train eval.classifier-graph`,
      );
    }
    const threads = { intraOpNumThreads: ctx.threads };
    const features = await createSession(await Deno.readFile(`${ctx.inputs.classifier}/model.onnx`), threads);
    const featureBatch = classifier.inputShape[0]!;
    const dims = 784;
    /** Classifier features of `n` images in [0, 1] (flat, 784 each). */
    const featuresOf = async (images: Float32Array) => {
      const n = images.length / dims;
      const out = new Float32Array(n * classifier.featureDim);
      const x = new Float32Array(featureBatch * dims);
      for (let start = 0; start < n; start += featureBatch) {
        const count = Math.min(featureBatch, n - start);
        x.fill(0).set(images.subarray(start * dims, (start + count) * dims));
        const f = (await runSession(features, { [classifier.input]: x }))[classifier.features]!
          .data as Float32Array;
        out.set(f.subarray(0, count * classifier.featureDim), start * classifier.featureDim);
      }
      return out;
    };

    const shards = await openShards(ctx.inputs.data);
    const data = await shards.readAll(p.split, { transform: { layout: "flat" } });
    const count = Math.min(p.records, data.count);
    const images = (data.x as Float32Array).subarray(0, count * dims);
    const real = await featuresOf(images);
    const half = Math.floor(count / 2) * classifier.featureDim;
    const halves = classifierFid(
      real.subarray(0, half),
      real.subarray(half, 2 * half),
      classifier.featureDim,
    );

    const session = await createSession(await Deno.readFile(`${reconDir}/export.onnx`), threads);
    const batch = recon.inputShape[0]!;
    const snapshotDir = `${ctx.inputs.trained}/snapshots`;
    const files = [...Deno.readDirSync(snapshotDir)].map((e) => e.name)
      .filter((n) => n.endsWith(".safetensors")).sort((a, b) => snapshotStep(a) - snapshotStep(b));
    if (files.length === 0) {
      throw new Error(`No snapshots in ${snapshotDir}: train with train.snapshotEvery > 0`);
    }
    const rows: { step: number; fid: number }[] = [];
    const out = new Float32Array(count * dims);
    const input = new Float32Array(batch * dims);
    for (const file of files) {
      ctx.signal.throwIfAborted();
      const path = `${snapshotDir}/${file}`;
      const weights = tensorsToState(decodeSafetensors(await Deno.readFile(path), path).tensors);
      for (let start = 0; start < count; start += batch) {
        const take = Math.min(batch, count - start);
        input.fill(0).set(images.subarray(start * dims, (start + take) * dims));
        const r = (await runSession(session, { ...weights, x: input })).recon!.data as Float32Array;
        out.set(r.subarray(0, take * dims), start * dims);
      }
      const fid = classifierFid(real, await featuresOf(out), classifier.featureDim);
      rows.push({ step: snapshotStep(file), fid });
      ctx.metrics(snapshotStep(file), { recon_fid_curve: fid });
    }
    await session.release();
    await features.release();
    const last = rows.at(-1)!;
    ctx.metrics(last.step, { recon_fid: last.fid, real_halves_fid: halves });

    // The adaptive weight's trajectory, where the training logged it (over the steps with the GAN on).
    const metrics = await readMetricsParquet(`${ctx.inputs.trained}/metrics.parquet`).catch(() => []);
    const on = new Map(metrics.filter((m) => m.name === "gan_on").map((m) => [m.step, m.value]));
    const lambda = metrics.filter((m) => m.name === "lambda" && (on.get(m.step) ?? 0) === 1);
    if (lambda.length > 0) {
      ctx.metrics(last.step, {
        lambda_median: median(lambda.map((m) => m.value)),
        lambda_first: lambda[0]!.value,
        lambda_last: lambda.at(-1)!.value,
      });
    }

    if (p.title === "none") return;
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    await writeReportSections(ctx.outDir, [{
      title: p.title,
      fragments: [
        {
          kind: "facts",
          facts: {
            "images": `${count.toLocaleString("en")} (${p.split} split) and their reconstructions`,
            "reconstruction classifier-FID": `${last.fid.toFixed(2)} at step ${last.step}`,
            "for scale: FID between two halves of the real images": halves.toFixed(2),
            ...(lambda.length > 0
              ? {
                "adaptive λ (median of the logged means with the GAN on)": median(lambda.map((m) => m.value))
                  .toPrecision(3),
              }
              : {}),
          },
        },
        {
          kind: "line",
          series: [{ name: "reconstruction FID", x: rows.map((r) => r.step), y: rows.map((r) => r.fid) }],
          options: {
            title: "Reconstruction classifier-FID over training",
            xLabel: "step",
            yLabel: "FID",
            dots: true,
          },
        },
        ...(lambda.length > 0
          ? [{
            kind: "line" as const,
            series: [{ name: "λ", x: lambda.map((m) => m.step), y: lambda.map((m) => m.value) }],
            options: {
              title: "The adaptive weight λ = ‖∇L_rec‖ / (‖∇L_GAN‖ + δ) at the decoder's last layer",
              xLabel: "step",
              yLabel: "λ",
              logY: true,
            },
          }]
          : []),
      ],
    }]);
  },
});
