/**
 * `vqgan.graph`: the small VQGAN's train step (models/onnx/models/vqgan.ts: the VQ-VAE of vq-vae.graph
 * with its MADE prior, a PatchGAN hinge discriminator, the frozen classifier's perceptual term and the
 * adaptive GAN weight λ at the decoder's last layer) and the VQ-VAE's exports (sampler, `uniform`,
 * `recon`), which serve it unchanged. Input `classifier`: a trained `eval.classifier-graph` (train.run
 * output), whose convolution weights the perceptual term bakes in as constants.
 *
 * @module
 */
import { z } from "zod";
import { defineLatentGraph } from "../../families/latent_graph.ts";

const channels = z.tuple([z.number().int().min(1), z.number().int().min(1)]);

export const graph = defineLatentGraph({
  kind: "vqgan.graph",
  module: import.meta.url,
  description:
    "VQGAN train step: VQ-VAE + PatchGAN hinge + classifier perceptual term, adaptive λ in the graph",
  inputs: ["classifier"],
  params: {
    channels: channels.default([32, 64]),
    codes: z.number().int().min(2).default(64),
    dim: z.number().int().min(1).default(32),
    priorHidden: z.number().int().min(48).default(128),
    beta: z.number().min(0).default(1),
    gamma: z.number().min(0).default(0.25),
    discChannels: channels.default([32, 64]),
    /** Weight p of the perceptual term in L_rec. */
    perceptualWeight: z.number().min(0).default(0.1),
    /** The fixed factor w of the adaptive GAN term (taming's disc_weight); 0 leaves the GAN out. */
    ganWeight: z.number().min(0).default(0.8),
    /** The step from which the discriminator trains and the GAN term counts (taming's disc_start). */
    ganStart: z.number().int().min(0).default(500),
    batch: z.number().int().min(1).default(64),
    lr: z.number().positive().default(1e-3),
    lrD: z.number().positive().default(4e-4),
    evalBatch: z.number().int().min(1).default(500),
  },
  async build(p, inputs) {
    const { vqganStep } = await import("../../models/onnx/models/vqgan.ts");
    const { ParamConstants } = await import("../../models/onnx/params.ts");
    const { decodeSafetensors } = await import("../../models/onnx/safetensors.ts");
    const path = `${inputs.classifier}/final.safetensors`;
    let tensors;
    try {
      tensors = decodeSafetensors(await Deno.readFile(path), path).tensors;
    } catch (error) {
      throw new Error(
        `input 'classifier' (${inputs.classifier}) has no trained weights (${(error as Error).message}): ` +
          "train an eval.classifier-graph with train.run",
      );
    }
    const cnn = Object.fromEntries(
      Object.entries(tensors).filter(([n]) => n.startsWith("cnn/")).map((
        [n, t],
      ) => [n, t.data as Float32Array]),
    );
    const bias = (layer: string) => {
      const b = cnn[`cnn/${layer}/b`];
      if (!b) throw new Error(`${path} has no cnn/${layer}/b: not a cnn_classifier's weights`);
      return b.length;
    };
    const net = { params: new ParamConstants(cnn), channels: [bias("conv1"), bias("conv2")] as const };
    const cfg = { channels: p.channels, codes: p.codes, dim: p.dim, priorHidden: p.priorHidden };
    const { vqVaeExports } = await import("../vq_vae/exports.ts");
    const { sampler, exports } = vqVaeExports(cfg, p.evalBatch);
    return {
      step: vqganStep({
        ...cfg,
        discChannels: p.discChannels,
        batch: p.batch,
        lr: p.lr,
        lrD: p.lrD,
        beta: p.beta,
        gamma: p.gamma,
        perceptualWeight: p.perceptualWeight,
        ganWeight: p.ganWeight,
        ganStart: p.ganStart,
      }, net),
      sampler,
      exports,
      describe: {
        autoencoder: `the VQ-VAE of vq-vae.graph: channels ${p.channels.join("/")}, ${p.codes} codes of ` +
          `dimension ${p.dim}, a 7×7 grid, straight-through`,
        discriminator: `PatchGAN: conv 4×4/2 (${p.discChannels[0]}) → LeakyReLU 0.2 → conv 4×4/2 (${
          p.discChannels[1]
        }) → LeakyReLU 0.2 → conv 3×3 (1): a logit per 7×7 patch; hinge loss; Adam ${p.lrD}, β (0.5, 0.9)`,
        perceptual:
          `the frozen evaluation classifier's conv1 and conv2 activations (${net.channels.join("/")} ` +
          "channels), unit-normalised per position, squared distance (LPIPS without learned weights)",
        loss:
          `MSE + ${p.perceptualWeight}·perceptual + ${p.beta}·‖sg[z] − z_q‖² + ${p.gamma}·‖z − sg[z_q]‖² + ` +
          `[step ≥ ${p.ganStart}]·${p.ganWeight}·λ·mean D(x̂), λ = ‖∇_{G_L} L_rec‖ / (‖∇_{G_L} L_GAN‖ + 10⁻⁶) ` +
          "at the decoder's last ConvT weight, clipped to [0, 10⁴], stop-gradient",
        prior: `MADE over the 49 indices, ${p.priorHidden} hidden, trained beside (as vq-vae)`,
        optimiser: `Adam, lr ${p.lr}, batch ${p.batch}`,
      },
    };
  },
});
