/**
 * `vae.latent`: what a trained VAE's encoder does with held-out records — the posterior-collapse measure
 * of Burda et al. (2016), active units A_u = Cov_x(E_q[z_u]) > 0.01, the mean KL(q(z|x) ‖ N(0, I)) per
 * record, and the reconstruction error of the decoder's mean at z = μ(x) (MSE per value and PSNR on the
 * [0, 1] scale). For a 2-d latent, the article's two figures: the test digits' μ(x) coloured by class,
 * and the decoder's means on the 15×15 grid z = (Φ⁻¹(u), Φ⁻¹(v)), u, v ∈ linspace(0.05, 0.95).
 *
 * Input `trained`: a `train.run` output of `vae.graph` (its `exports/encoder` and, for the grid, the
 * baked sampler model.onnx); `data`: its shard set. The records are transformed as in training; with
 * noise (dynamic binarisation) they are drawn with the seed `eval.likelihood` uses for its first split,
 * so both see the same binarised test set.
 *
 * Metrics: `active_units`, `latent`, `kl`, `mse`, `psnr`. Output: latent.json, report.json, grid.png.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import { transformSchema } from "../../stages/data/transforms.ts";

/** What latent.json holds. */
export interface LatentSummary {
  split: string;
  records: number;
  latent: number;
  activeUnits: number;
  /** Cov_x(E_q[z_u]) per unit, sorted in decreasing order. */
  activity: number[];
  kl: number;
  mse: number;
  psnr: number;
}

/** The standard normal quantile Φ⁻¹(p), by bisection on Φ (to 1e-12; for a few grid points). */
export function normalQuantile(p: number, cdf: (x: number) => number): number {
  let lo = -40, hi = 40;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Active units: the variance over records of each unit's posterior mean, and how many exceed `threshold`. */
export function activeUnits(
  mu: Float32Array,
  latent: number,
  threshold = 0.01,
): { count: number; activity: number[] } {
  const n = mu.length / latent;
  const activity: number[] = [];
  for (let u = 0; u < latent; u++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += mu[i * latent + u]!;
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (mu[i * latent + u]! - mean) ** 2;
    activity.push(v / (n - 1));
  }
  activity.sort((a, b) => b - a);
  return { count: activity.filter((a) => a > threshold).length, activity };
}

export const latentStage = defineStage({
  kind: "vae.latent",
  module: import.meta.url,
  description: "VAE encoder on held-out data: active units, KL, reconstruction; the 2-d latent's figures",
  params: z.object({
    split: z.string().min(1).default("test"),
    /** The training transform (flat layout; binarisation as in training). */
    transform: transformSchema.default({}),
    /** Seed of the transform's noise: eval.likelihood's `seed` (its first split uses the same draws). */
    seed: z.number().int().min(0).default(0),
    /** Records of the scatter plot (2-d latents). */
    scatter: z.number().int().min(10).default(2000),
    /** Points per side of the decoded grid (2-d latents). */
    grid: z.number().int().min(2).default(15),
    /** Title of this stage's report section; "none" writes none. */
    title: z.string().min(1).default("The latent space"),
  }).strict(),
  inputs: ["trained", "data"],
  async run(ctx) {
    const p = ctx.params;
    const { createSession, runSession } = await import("../../models/onnx/session.ts");
    const { decodeSafetensors, tensorsToState } = await import("../../models/onnx/safetensors.ts");
    const { openShards } = await import("../../stages/data/shard_reader.ts");
    const { mixSeed } = await import("../../stages/data/random.ts");
    const { normalCdf } = await import("../../numerics/special_functions.ts");

    const dir = `${ctx.inputs.trained}/exports/encoder`;
    let info: { inputShape: number[]; latent: number; paramPrefix: string };
    try {
      info = JSON.parse(await Deno.readTextFile(`${dir}/export.json`));
    } catch (error) {
      throw new Error(
        `input 'trained' (${ctx.inputs.trained}) has no encoder export (${(error as Error).message}): ` +
          `train a vae.graph`,
      );
    }
    const [batch, dims] = info.inputShape as [number, number];
    const latent = info.latent;
    const finalPath = `${ctx.inputs.trained}/final.safetensors`;
    const all = tensorsToState(decodeSafetensors(await Deno.readFile(finalPath), finalPath).tensors);
    const weights = Object.fromEntries(
      Object.entries(all).filter(([n]) => n.startsWith(info.paramPrefix)),
    ) as Record<string, Float32Array>;

    const shards = await openShards(ctx.inputs.data);
    const data = await shards.readAll(p.split, { transform: p.transform, seed: mixSeed(p.seed, 0) });
    const x = data.x as Float32Array;
    if (x.length !== data.count * dims) {
      throw new Error(`The encoder reads ${dims} values per record; the data gives [${data.dims}]`);
    }
    const session = await createSession(await Deno.readFile(`${dir}/export.onnx`), {
      intraOpNumThreads: ctx.threads,
    });
    const mu = new Float32Array(data.count * latent);
    let klSum = 0, sq = 0;
    const input = new Float32Array(batch * dims);
    for (let start = 0; start < data.count; start += batch) {
      const take = Math.min(batch, data.count - start);
      input.fill(0).set(x.subarray(start * dims, (start + take) * dims));
      const out = await runSession(session, { ...weights, x: input });
      const m = out.mu!.data as Float32Array, lv = out.logvar!.data as Float32Array;
      const recon = out.recon!.data as Float32Array;
      mu.set(m.subarray(0, take * latent), start * latent);
      for (let i = 0; i < take * latent; i++) klSum += 0.5 * (m[i]! ** 2 + Math.exp(lv[i]!) - lv[i]! - 1);
      for (let i = 0; i < take * dims; i++) sq += (recon[i]! - input[i]!) ** 2;
    }
    await session.release();
    const active = activeUnits(mu, latent);
    const mse = sq / (data.count * dims);
    const summary: LatentSummary = {
      split: p.split,
      records: data.count,
      latent,
      activeUnits: active.count,
      activity: active.activity,
      kl: klSum / data.count,
      mse,
      psnr: 10 * Math.log10(1 / mse),
    };
    ctx.metrics(0, {
      active_units: summary.activeUnits,
      latent,
      kl: summary.kl,
      mse: summary.mse,
      psnr: summary.psnr,
    });
    await Deno.writeTextFile(`${ctx.outDir}/latent.json`, JSON.stringify(summary));

    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    type Fragment = import("../../stages/report/fragments.ts").Fragment;
    const fragments: Fragment[] = [{
      kind: "facts",
      facts: {
        "records": `${data.count.toLocaleString("en")} (${p.split} split)`,
        "active units (Cov_x E[z_u] > 0.01)": `${summary.activeUnits} of ${latent}`,
        "KL(q(z|x) ‖ N(0, I)) per record": `${summary.kl.toFixed(2)} nats`,
        "reconstruction MSE per pixel (z = μ)": `${summary.mse.toFixed(4)} (PSNR ${
          summary.psnr.toFixed(2)
        } dB)`,
      },
    }];
    if (latent === 2) {
      const labels = data.y as Int32Array;
      const classes = new Map<number, { x: number[]; y: number[] }>();
      for (let i = 0; i < Math.min(p.scatter, data.count); i++) {
        const c = labels[i]!;
        if (!classes.has(c)) classes.set(c, { x: [], y: [] });
        classes.get(c)!.x.push(mu[2 * i]!);
        classes.get(c)!.y.push(mu[2 * i + 1]!);
      }
      const groups = [...classes].sort(([a], [b]) => a - b).map(([c, g]) => ({ name: String(c), ...g }));
      fragments.push({
        kind: "scatter",
        groups,
        options: { title: "Test digits in the latent space", xLabel: "μ₁(x)", yLabel: "μ₂(x)", radius: 1.5 },
        caption: `The encoder's mean μ(x) of ${
          Math.min(p.scatter, data.count).toLocaleString("en")
        } test digits, coloured by their class (the article's first figure).`,
      });
      // The decoder's means on the grid (Φ⁻¹(u_i), Φ⁻¹(u_j)), top row first as in the article's code.
      const sampler = JSON.parse(await Deno.readTextFile(`${ctx.inputs.trained}/export.json`));
      const model = await createSession(await Deno.readFile(`${ctx.inputs.trained}/model.onnx`), {
        intraOpNumThreads: ctx.threads,
      });
      const n = p.grid;
      const q = Array.from({ length: n }, (_, i) => normalQuantile(0.05 + (0.9 * i) / (n - 1), normalCdf));
      const points = new Float32Array(n * n * 2);
      for (let r = 0; r < n; r++) {
        for (let c = 0; c < n; c++) {
          points[2 * (r * n + c)] = q[c]!;
          points[2 * (r * n + c) + 1] = q[n - 1 - r]!;
        }
      }
      const genBatch = sampler.inputShape[0] as number;
      const images = new Float32Array(n * n * dims);
      const zs = new Float32Array(genBatch * 2);
      for (let start = 0; start < n * n; start += genBatch) {
        const take = Math.min(genBatch, n * n - start);
        zs.fill(0).set(points.subarray(2 * start, 2 * (start + take)));
        const out = (await runSession(model, { z: zs })).image!.data as Float32Array;
        images.set(out.subarray(0, take * dims), start * dims);
      }
      await model.release();
      const { imageGridPng } = await import("../../stages/report/png.ts");
      const side = Math.round(Math.sqrt(dims));
      await Deno.writeFile(
        `${ctx.outDir}/grid.png`,
        await imageGridPng(images, {
          channels: 1,
          height: side,
          width: side,
          range: [0, 1],
          columns: n,
          gutter: 0,
        }),
      );
      fragments.push({
        kind: "image",
        file: "grid.png",
        alt: `decoded ${n}×${n} grid of the 2-d latent space`,
        caption: `The decoder's mean image at z = (Φ⁻¹(u), Φ⁻¹(v)) for u, v in linspace(0.05, 0.95, ${n}): ` +
          "equal steps of prior probability mass (the article's second figure).",
        width: 2 * n * side,
      });
    }
    if (p.title !== "none") await writeReportSections(ctx.outDir, [{ title: p.title, fragments }]);
  },
});
