/**
 * `energy-gan.graph`: the energy GAN's train step on 2-D points (models/onnx/models/energy_gan.ts) with
 * its entropy term and optimiser as params, the generator as the sampler export (`export.onnx`, z → point)
 * and the latent Langevin sampler as the further export `exports/langevin/` (it reads G's and U's
 * weights). Defaults: MEG's toy settings (ebm_toy.py: z ∈ R², 5 energy steps per generator step, λ = 0.1,
 * Adam(1e-4, β = (0.5, 0.9))) at a smaller width.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import type { SamplerExport } from "../../stages/train/export_info.ts";

const unit = z.number().min(0).max(1);

export const energyGanGraph = defineStage({
  kind: "energy-gan.graph",
  module: import.meta.url,
  description:
    "Energy-GAN train step on 2-D points (energy U, generator G, an entropy term) and its samplers",
  params: z.object({
    batch: z.number().int().min(2).default(256),
    seed: z.number().int().min(0).default(0),
    fuse: z.array(z.number().int().min(2)).default([]),
    zDim: z.number().int().min(1).default(2),
    /** Hidden width and depth of every MLP (MEG: 512, 3). */
    width: z.number().int().min(1).default(512),
    depth: z.number().int().min(1).default(3),
    nCritic: z.number().int().min(1).max(10).default(5),
    /** λ of the zero-centred penalty λ·E_p‖∇U‖² (MEG's toy: 0.1). */
    penalty: z.number().min(0).default(0.1),
    /** none | encoder (Su's λ₂‖z − E(G(z))‖²) | mi (MEG's DeepInfoMax estimator). */
    entropy: z.enum(["none", "encoder", "mi"]).default("none"),
    /** λ₂ of the encoder term, λ_MI of the estimator. */
    entropyWeight: z.number().positive().default(1),
    optimiser: z.enum(["adam", "rmsprop", "sgd"]).default("adam"),
    b1: unit.default(0.5),
    b2: unit.default(0.9),
    rho: unit.default(0.99),
    momentum: unit.default(0),
    lrD: z.number().positive().default(1e-4),
    lrG: z.number().positive().default(1e-4),
    /** The Langevin export: K steps of size ε, with or without the prior's ‖z‖²/2. */
    langevinSteps: z.number().int().min(1).default(20),
    langevinEps: z.number().positive().default(0.01),
    langevinPrior: z.boolean().default(true),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const { saveTrainStep } = await import("../../models/onnx/saved_step.ts");
    const { parameterCounts } = await import("../../models/onnx/param_counts.ts");
    const { energyGanStep, langevinSampler, toySampler } = await import(
      "../../models/onnx/models/energy_gan.ts"
    );
    const network = { zDim: p.zDim, width: p.width, depth: p.depth };
    const optimiser = p.optimiser === "adam"
      ? { kind: "adam" as const, b1: p.b1, b2: p.b2 }
      : p.optimiser === "rmsprop"
      ? { kind: "rmsprop" as const, rho: p.rho }
      : { kind: "sgd" as const, momentum: p.momentum };
    const step = energyGanStep(p.batch, {
      network,
      penalty: p.penalty,
      nCritic: p.nCritic,
      optimiser,
      lrD: p.lrD,
      lrG: p.lrG,
      entropy: p.entropy === "none" ? { kind: "none" } : { kind: p.entropy, lambda: p.entropyWeight },
    });
    await saveTrainStep(step, `${ctx.outDir}/step`, { seed: p.seed, fused: p.fuse });
    const info = (inputWidth: number): SamplerExport => ({
      role: "sampler",
      input: "z",
      inputShape: [p.batch, inputWidth],
      noise: "normal",
      output: "image",
      sampleShape: [2],
      range: [-3, 3], // the toys' box; the generator is linear at the end, so not a bound
      paramPrefix: "generator/",
    });
    await Deno.writeFile(`${ctx.outDir}/export.onnx`, toySampler(network, p.batch));
    await Deno.writeTextFile(`${ctx.outDir}/export.json`, JSON.stringify(info(p.zDim), null, 1));
    const langevin = `${ctx.outDir}/exports/langevin`;
    await Deno.mkdir(langevin, { recursive: true });
    await Deno.writeFile(
      `${langevin}/export.onnx`,
      langevinSampler(network, p.batch, {
        steps: p.langevinSteps,
        epsilon: p.langevinEps,
        prior: p.langevinPrior,
      }),
    );
    await Deno.writeTextFile(
      `${langevin}/export.json`,
      JSON.stringify(info((1 + p.langevinSteps) * p.zDim), null, 1),
    );
    const parameters = parameterCounts(step.params);
    await Deno.writeTextFile(`${ctx.outDir}/describe.json`, JSON.stringify({ parameters }, null, 1));
    ctx.log(
      Object.entries(parameters).map(([g, n]) => `${g} ${n.toLocaleString("en")} parameters`).join(", "),
    );
  },
});
