/**
 * VQGAN (Esser, Rombach & Ommer 2021, «Taming Transformers for High-Resolution Image Synthesis», as read in
 * the seed-002 post «VQGAN 论文与源码解读»), small: vq-vae's VQ-VAE on Fashion-MNIST (a 7×7 grid of 64
 * codes) trained three ways at equal steps: alone, with the frozen evaluation classifier's features as a
 * perceptual term, and with that term plus a PatchGAN hinge discriminator weighted by the adaptive λ at
 * the decoder's last layer (the VQGAN). Judged by the reconstruction classifier-FID of test images.
 *
 * ```
 *   data ─┬─► graph@vq-vae ─► train@vq-vae ─┬─► recon@vq-vae       (PSNR, perplexity, pictures)
 *         │                                 └─► fid@vq-vae         (reconstruction classifier-FID)
 *         ├─► classifier-graph ─► classifier ─┬─► graph@vqgan ─► train@vqgan ─► recon@vqgan, fid@vqgan (λ)
 *         │                                   └─► graph@percept ─► train@percept ─► recon@…, fid@…
 * ```
 *
 * @module
 */
import { z } from "zod";
import { use, variants } from "../../engine/pipeline.ts";
import { classifierStages } from "../../families/image_generator.ts";
import { numericChecksPipeline } from "../../families/numeric_checks.ts";
import { fashionMnistStage } from "../../stages/data/sources/fashion_mnist.ts";
import { train } from "../../stages/train/train.ts";
import { graph as vqVaeGraph } from "../vq_vae/graph.ts";
import { reconStage } from "../vq_vae/recon.ts";
import { graph as vqganGraph } from "./graph.ts";
import { reconFidStage } from "./recon_fid.ts";

/**
 * What changes with the scale: small as vq-vae's small (half the channels, 1,500 steps), the GAN from
 * step 500 (a third of the training, as taming starts its discriminator once reconstructions form).
 */
const SCALES = {
  small: { channels: [16, 32], steps: 1500, snapshotEvery: 500, ganStart: 500 },
  full: { channels: [32, 64], steps: 10_000, snapshotEvery: 2500, ganStart: 3000 },
} as const;

/** Taming's `disc_weight` in its configs: the fixed factor of the adaptive GAN term. */
const TAMING_DISC_WEIGHT = 0.8;

const VARIANTS = {
  "vq-vae": { gan: false, ganWeight: 0, label: "VQ-VAE" },
  percept: { gan: true, ganWeight: 0, label: "VQ-VAE + perceptual" },
  vqgan: { gan: true, ganWeight: TAMING_DISC_WEIGHT, label: "VQGAN" },
};

const f = (stage: string, metric: string) => ({ stage, metric });

export const pipeline = numericChecksPipeline({
  name: "vqgan",
  description:
    "VQGAN, small: a VQ-VAE + PatchGAN hinge + classifier perceptual term with adaptive λ, vs VQ-VAE (recon FID)",
  article: {
    title: "VQGAN 论文与源码解读 (Taming Transformers for High-Resolution Image Synthesis)",
    url: "https://arxiv.org/abs/2012.09841",
    date: "2020-12-17",
  },
  title: "VQGAN: a VQ-VAE with a perceptual and an adaptively weighted adversarial reconstruction loss",
  summary:
    "The post reads the VQGAN paper and code: a VQ-VAE whose reconstruction loss is made perceptual (LPIPS on " +
    "VGG features instead of pixels alone) and adversarial (a PatchGAN discriminator judging each patch, hinge " +
    "loss), with the adversarial term weighted by λ = ‖∇_{G_L} L_rec‖ / (‖∇_{G_L} L_GAN‖ + δ), the ratio of " +
    "the two losses' gradient norms at the decoder's last layer, so that neither dominates; the discriminator " +
    "starts late in training. The paper's point is that these codes reconstruct sharply enough for a " +
    "transformer prior over them to generate high-resolution images, with FIDs far below a plain VQ-VAE's. " +
    "No VGG exists offline, so the perceptual term uses the convolution layers of the classifier every image " +
    "pipeline here trains on the same data (frozen), and the measure is the reconstruction classifier-FID: " +
    "the Fréchet distance between that classifier's penultimate features (not in the loss) of test images " +
    "and of their reconstructions. We train vq-vae's model on Fashion-MNIST alone, with the perceptual term, " +
    "and with both terms (VQGAN), at equal steps, and compare.",
  params: z.object({ scale: z.enum(["small", "full"]).default("small") }).strict(),
  stages: (p) => {
    const s = SCALES[p.scale];
    return {
      data: use(fashionMnistStage),
      ...classifierStages(p.scale),
      ...variants(VARIANTS, (v, at) => ({
        graph: v.gan
          ? use(vqganGraph, {
            params: { channels: [...s.channels], ganWeight: v.ganWeight, ganStart: s.ganStart },
            inputs: { classifier: "classifier" },
          })
          : use(vqVaeGraph, { params: { channels: [...s.channels] } }),
        train: use(train, {
          params: {
            steps: s.steps,
            feeds: { x: "images" },
            transform: { layout: "flat" },
            logEvery: 50,
            snapshotEvery: s.snapshotEvery,
            checkpointEvery: 500,
          },
          inputs: { graph: at("graph"), data: "data" },
        }),
        recon: use(reconStage, {
          params: { title: `${v.label}: reconstructions` },
          inputs: { trained: at("train"), data: "data" },
        }),
        fid: use(reconFidStage, {
          params: { title: `${v.label}: reconstruction FID` },
          inputs: { trained: at("train"), classifier: "classifier", data: "data" },
        }),
      })),
    };
  },
  headline: {
    stage: "fid@vqgan",
    metric: "recon_fid",
    label: "VQGAN reconstruction classifier-FID",
    lowerIsBetter: true,
  },
  claims: [
    {
      id: "recon-fid-below-vqvae",
      claim:
        "The perceptual and adversarial terms make the VQ-VAE's reconstructions closer to the data: the VQGAN's " +
        "reconstruction classifier-FID on test images is below the plain VQ-VAE's at equal steps.",
      ours: f("fid@vqgan", "recon_fid"),
      reference: { value: f("fid@vq-vae", "recon_fid"), source: "the same VQ-VAE and steps, MSE loss only" },
      check: { kind: "below" },
    },
    {
      id: "gan-term-helps",
      claim:
        "The adversarial term itself helps (our ablation): the VQGAN's reconstruction classifier-FID is below " +
        "that of the VQ-VAE with the perceptual term alone.",
      ours: f("fid@vqgan", "recon_fid"),
      reference: {
        value: f("fid@percept", "recon_fid"),
        source: "the same model and steps without the GAN term (w = 0)",
      },
      check: { kind: "below" },
    },
    {
      id: "perplexity",
      claim: "The VQGAN's codebook stays in use: the perplexity of the test codes is above half of K = 64.",
      ours: f("recon@vqgan", "perplexity"),
      reference: { value: 32, source: "K/2 (vq-vae's bar)" },
      check: { kind: "at-least" },
    },
  ],
  highlights: [
    { label: "reconstruction FID (VQGAN)", ours: f("fid@vqgan", "recon_fid"), digits: 2 },
    { label: "reconstruction FID (VQ-VAE + perceptual)", ours: f("fid@percept", "recon_fid"), digits: 2 },
    { label: "reconstruction FID (VQ-VAE)", ours: f("fid@vq-vae", "recon_fid"), digits: 2 },
    { label: "test PSNR (VQGAN)", ours: f("recon@vqgan", "psnr"), digits: 2, note: "dB" },
    { label: "test PSNR (VQ-VAE)", ours: f("recon@vq-vae", "psnr"), digits: 2, note: "dB" },
    { label: "codebook perplexity (VQGAN)", ours: f("recon@vqgan", "perplexity"), digits: 1, note: "of 64" },
    { label: "adaptive λ (median)", ours: f("fid@vqgan", "lambda_median"), digits: 3 },
  ],
  comparison: {
    rows: [
      {
        quantity: "perceptual net",
        ours: "the classifier's conv1, conv2",
        reference: "VGG-16 (LPIPS)",
        source: "taming",
      },
      {
        quantity: "discriminator",
        ours: "PatchGAN, 2 convs, no norm",
        reference: "PatchGAN, 3 convs, BN",
        source: "taming",
      },
      { quantity: "GAN loss", ours: "hinge", reference: "hinge", source: "taming" },
      {
        quantity: "GAN weight",
        ours: "λ × {graph@vqgan.ganWeight}",
        reference: "λ × 0.8",
        source: "paper eq. 7; configs",
      },
      {
        quantity: "GAN start",
        ours: "step {graph@vqgan.ganStart} of {train@vqgan.steps}",
        reference: "10,000+ steps",
        source: "taming configs",
      },
      { quantity: "pixel term", ours: "MSE", reference: "L1", source: "taming" },
    ],
    note:
      "Fashion-MNIST 28×28 (the official 60,000/10,000 split) instead of 256×256 faces and ImageNet; no VGG and " +
      "no transformer prior. The perceptual term reads the classifier's conv layers while the FID reads its " +
      "penultimate layer; both are the same trained network, so a lower reconstruction FID partly reflects " +
      "matching that network's features: the perceptual-only variant separates what the GAN term adds. The " +
      "paper gives FIDs of generated images only, not of reconstructions at this size. Every number is taken " +
      "at the last step; none is chosen on the test split.",
  },
});
