/**
 * `vae.graph`: the MLP VAE's train step (models/onnx/models/vae.ts) with its exports: the decoder as a
 * sampler (for eval.generator), and for a Bernoulli decoder the importance weights as a density over
 * binary records (for eval.likelihood: `density` with one draw per call, `iwae` with 50), and the
 * encoder (for vae.latent). Defaults are Su's code: 784 → 256 → 2 → 256 → 784, ReLU, Bernoulli, RMSprop
 * 10⁻³, batch 100, one draw per record.
 *
 * @module
 */
import { z } from "zod";
import { defineLatentGraph } from "../../families/latent_graph.ts";

const positiveInts = z.array(z.number().int().min(1));

export const graph = defineLatentGraph({
  kind: "vae.graph",
  module: import.meta.url,
  description:
    "MLP VAE train step (reparametrised −ELBO, RMSprop), its sampler, importance weights and encoder",
  params: {
    inputDim: z.number().int().min(1).default(784),
    /** Encoder widths; the decoder mirrors them. */
    hidden: positiveInts.min(1).default([256]),
    latent: z.number().int().min(1).default(2),
    activation: z.enum(["relu", "tanh"]).default("relu"),
    /** p(x|z): bernoulli (BCE), gaussian with fixed σ̃ (`sigma`), gaussian-learned (σ(z) ≥ `sigma`). */
    decoder: z.enum(["bernoulli", "gaussian", "gaussian-learned"]).default("bernoulli"),
    /** σ̃ of the fixed Gaussian decoder, or the floor of the learned one. */
    sigma: z.number().positive().default(1),
    /** Reparametrised draws per record and step. */
    samples: z.number().int().min(1).default(1),
    batch: z.number().int().min(1).default(100),
    lr: z.number().positive().default(1e-3),
    /** Records per call of the sampler, the one-draw density and the encoder. */
    evalBatch: z.number().int().min(1).default(1000),
    /** Records and draws per call of the `iwae` export (K = 1,000 takes 20 calls of 50 draws). */
    iwaeBatch: z.number().int().min(1).default(100),
    iwaeDraws: z.number().int().min(1).default(50),
  },
  async build(p) {
    const m = await import("../../models/onnx/models/vae.ts");
    const decoder = p.decoder === "bernoulli"
      ? { kind: "bernoulli" as const }
      : p.decoder === "gaussian"
      ? { kind: "gaussian" as const, sigma: p.sigma }
      : { kind: "gaussian-learned" as const, minSigma: p.sigma };
    const cfg = {
      inputDim: p.inputDim,
      hidden: p.hidden,
      latent: p.latent,
      activation: p.activation,
      decoder,
    };
    const side = Math.round(Math.sqrt(p.inputDim));
    const prefix = "vae/";
    const density = (batch: number, draws: number) => ({
      bytes: m.vaeDensityModel(cfg, batch, draws),
      info: {
        role: "density",
        input: "x",
        inputShape: [batch, p.inputDim],
        output: "log_w",
        paramPrefix: prefix,
        discrete: true,
        noise: { input: "eps", shape: [batch, draws, p.latent], kind: "normal" },
      },
    });
    const widths = [p.inputDim, ...p.hidden, p.latent].join(" → ");
    return {
      step: m.vaeStep({ ...cfg, batch: p.batch, samples: p.samples, lr: p.lr }),
      sampler: {
        bytes: m.vaeSamplerModel(cfg, p.evalBatch),
        info: {
          input: "z",
          inputShape: [p.evalBatch, p.latent],
          noise: "normal",
          output: "image",
          sampleShape: [1, side, side],
          range: [0, 1],
          paramPrefix: prefix,
        },
      },
      exports: {
        ...(p.decoder === "bernoulli"
          ? { density: density(p.evalBatch, 1), iwae: density(p.iwaeBatch, p.iwaeDraws) }
          : {}),
        encoder: {
          bytes: m.vaeEncoderModel(cfg, p.evalBatch),
          info: {
            role: "encoder",
            input: "x",
            inputShape: [p.evalBatch, p.inputDim],
            outputs: { mu: "mu", logvar: "logvar", recon: "recon" },
            latent: p.latent,
            paramPrefix: prefix,
          },
        },
      },
      describe: {
        encoder: `${widths} (μ and log σ²), ${p.activation}`,
        decoder: `${[p.latent, ...[...p.hidden].reverse(), p.inputDim].join(" → ")}, ${
          p.decoder === "bernoulli"
            ? "Bernoulli (sigmoid, BCE)"
            : p.decoder === "gaussian"
            ? `Gaussian, fixed σ̃ = ${p.sigma} (MSE / 2σ̃²)`
            : `Gaussian, learned σ(z) ≥ ${p.sigma}`
        }`,
        loss: `−ELBO = −E_q log p(x|z) + KL(q(z|x) ‖ N(0, I)), ${p.samples} reparametrised draw${
          p.samples > 1 ? "s" : ""
        } per record`,
        optimiser: `RMSprop (ρ = 0.9, ε = 10⁻⁷), lr ${p.lr}, batch ${p.batch}`,
      },
    };
  },
});
