/**
 * `vae.compare`: the vae pipeline's tables and plots across stages — the bounds on the 50-d model's test
 * log-likelihood by the number of importance draws K, the decoders side by side (KL, reconstruction,
 * active units, each unit's activity), and one against five draws per training step.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import type { LatentSummary } from "./latent.ts";

/** A decoder's name as the report shows it, from its graph stage's params. */
export function decoderLabel(p: { decoder: string; sigma: number }): string {
  return p.decoder === "bernoulli"
    ? "Bernoulli (BCE)"
    : p.decoder === "gaussian"
    ? `Gaussian, σ̃ = ${p.sigma}`
    : `Gaussian, learned σ ≥ ${p.sigma}`;
}

export const compare = defineStage({
  kind: "vae.compare",
  module: import.meta.url,
  description: "The VAE's bounds by K, its decoders side by side, one against five draws per step",
  params: z.object({}).strict(),
  inputs: [],
  groups: ["bounds", "decoders", "steps", "trainings"],
  async run(ctx) {
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    type Likelihood = import("../../stages/eval/likelihood.ts").LikelihoodResult;
    type Fragment = import("../../stages/report/fragments.ts").Fragment;
    const read = async <T>(dir: string, file: string): Promise<T> =>
      JSON.parse(await Deno.readTextFile(`${dir}/${file}`));
    const graphOf = (stage: string) => {
      const variant = stage.split("@")[1];
      const g = ctx.upstream.find((u) => u.stage === `graph@${variant}`);
      if (!g) throw new Error(`${stage}: no graph@${variant} upstream`);
      return g.params as { decoder: string; sigma: number; samples: number; latent: number };
    };

    // ---- the bounds by K ----
    const bounds: { stage: string; k: number; nll: number; se: number; bpd: number | null }[] = [];
    for (const [stage, dir] of Object.entries(ctx.groups.bounds)) {
      const r = await read<Likelihood>(dir, "likelihood.json");
      const test = r.final.test!;
      bounds.push({ stage, k: r.importance ?? 1, nll: test.nll, se: test.nllSe, bpd: test.bpd });
    }
    bounds.sort((a, b) => a.k - b.k);
    const boundFragments: Fragment[] = bounds.length === 0 ? [] : [
      {
        kind: "prose",
        text:
          "Each record's bound is log (1/K) Σ_k p(x, z_k)/q(z_k|x) with z_k ~ q(z|x): K = 1 is the ELBO, and " +
          "the bound rises toward log p(x) as K grows (Burda et al. 2016). The NLL below is its negative, averaged " +
          "over the binarised test digits, at the last snapshot of training.",
      },
      {
        kind: "table",
        rows: bounds.map((b) => ({
          K: b.k,
          "−bound (nats)": b.nll,
          "± s.e.": b.se,
          "bits/dim": b.bpd,
          "gain over K = 1": bounds[0]!.nll - b.nll,
        })),
        columns: [
          "K",
          { key: "−bound (nats)", digits: 2 },
          { key: "± s.e.", digits: 2 },
          { key: "bits/dim", digits: 4 },
          { key: "gain over K = 1", digits: 2 },
        ],
        caption:
          "The test NLL bound by the number of importance draws K (the standard error is over records; the " +
          "differences between K are far more precise, since every K sees the same records).",
      },
      {
        kind: "line",
        series: [{ name: "−IWAE-K", x: bounds.map((b) => b.k), y: bounds.map((b) => b.nll) }],
        options: {
          title: "The bound tightens with K",
          xLabel: "K",
          yLabel: "test NLL bound (nats)",
          logX: true,
          dots: true,
        },
      },
    ];

    // ---- the decoders ----
    const decoders = [];
    for (const [stage, dir] of Object.entries(ctx.groups.decoders)) {
      const s = await read<LatentSummary>(dir, "latent.json");
      decoders.push({ label: decoderLabel(graphOf(stage)), ...s });
    }
    const decoderFragments: Fragment[] = decoders.length === 0 ? [] : [
      {
        kind: "prose",
        text:
          "The same VAE (784 → 256 → 16-d latent → 256 → 784) trained on grayscale digits with each decoder. A " +
          "Gaussian decoder with fixed σ̃ weighs the squared error by 1/(2σ̃²): the larger σ̃, the cheaper a poor " +
          "reconstruction against the KL, so the encoder keeps less information and more units fall back to the " +
          "prior (active: the variance of E[z_u|x] over test digits above 0.01).",
      },
      {
        kind: "table",
        rows: decoders.map((d) => ({
          decoder: d.label,
          "KL (nats)": d.kl,
          "MSE per pixel": d.mse,
          "PSNR (dB)": d.psnr,
          "active units": `${d.activeUnits} of ${d.latent}`,
        })),
        columns: [
          "decoder",
          { key: "KL (nats)", digits: 2 },
          { key: "MSE per pixel", digits: 4 },
          { key: "PSNR (dB)", digits: 2 },
          "active units",
        ],
        caption:
          "On the 2,000 test digits: KL(q(z|x) ‖ N(0, I)) per record, and the error of the decoder's mean at z = μ(x).",
      },
      {
        kind: "line",
        series: decoders.map((d) => ({
          name: d.label,
          x: d.activity.map((_, i) => i + 1),
          y: d.activity.map((a) => Math.max(a, 1e-6)),
        })),
        options: {
          title: "Activity of each latent unit",
          subtitle: "Cov_x(E[z_u|x]), units sorted; below 0.01 a unit is inactive (collapsed to the prior)",
          xLabel: "unit (sorted)",
          yLabel: "activity",
          logY: true,
          dots: true,
        },
      },
    ];

    // ---- draws per step ----
    const steps = [];
    for (const [stage, dir] of Object.entries(ctx.groups.steps)) {
      const r = await read<Likelihood>(dir, "likelihood.json");
      const test = r.final.test!;
      steps.push({ samples: graphOf(stage).samples, nll: test.nll, se: test.nllSe });
    }
    const stepFragments: Fragment[] = steps.length === 0 ? [] : [{
      kind: "table",
      rows: steps.map((s) => ({ "draws per step": s.samples, "test −ELBO (nats)": s.nll, "± s.e.": s.se })),
      columns: ["draws per step", { key: "test −ELBO (nats)", digits: 2 }, { key: "± s.e.", digits: 2 }],
      caption:
        "The 50-d VAE trained for the same number of steps with one or five reparametrised draws per record " +
        "(the article: one suffices, since every record is seen again in later epochs).",
    }];

    // ---- training curves ----
    const { readMetricsParquet } = await import("../../stages/train/metrics_file.ts");
    const curves = [];
    for (const [stage, dir] of Object.entries(ctx.groups.trainings)) {
      const rows = (await readMetricsParquet(`${dir}/metrics.parquet`)).filter((r) => r.name === "loss");
      curves.push({
        name: stage.split("@")[1] ?? stage,
        x: rows.map((r) => r.step),
        y: rows.map((r) => r.value),
      });
    }
    const trainingFragments: Fragment[] = curves.length === 0 ? [] : [{
      kind: "line",
      series: curves,
      options: {
        title: "Training loss (−ELBO per record, nats)",
        subtitle:
          "mean over each logged window of the training batches; su on grayscale digits (BCE), the others binarised",
        xLabel: "step",
        yLabel: "−ELBO (nats)",
      },
    }];

    const sections = [
      { title: "Training", fragments: trainingFragments },
      { title: "The likelihood bound by K", fragments: boundFragments },
      { title: "The decoder's variance and posterior collapse", fragments: decoderFragments },
      { title: "One draw per step", fragments: stepFragments },
    ].filter((s) => s.fragments.length > 0);
    await writeReportSections(ctx.outDir, sections);
    if (bounds.length > 1) ctx.metrics(0, { iwae_gain: bounds[0]!.nll - bounds.at(-1)!.nll });
  },
});
