/**
 * «细水长flow之f-VAEs：Glow与VAEs的联姻» (kexue.fm/archives/5977; Su & Wu, arXiv:1809.05861): the f-VAE, a
 * VAE whose posterior is a conditional flow F(σ₁u + E(x)), against a plain VAE on the same encoder and
 * decoder and a Glow of about the same number of parameters, trained for equal steps on Fashion-MNIST
 * (uniformly dequantised, so that every model's bits/dim bound those of the 8-bit images), on the
 * image-generator family (families/image_generator.ts) with the three models as its variants.
 *
 * ```
 *   data ─► graph@v ─► (init@v) ─► train@v ─┬─► evaluate@v   v: fvae (main), vae, glow   (classifier-FID, T = 1)
 *          (actnorm init: F, Glow)           └─► bpd@v        (test bits/dim: the ELBO, or Glow's exact NLL)
 *   train@fvae ─► evaluate-cool ─► samples-cool            (the f-VAE's samples at T = 0.8)
 *   data ─► classifier-graph ─► classifier ─┘              all ─► report
 * ```
 *
 * @module
 */
import { use } from "../../engine/pipeline.ts";
import { generatorClaims, imageGeneratorPipeline } from "../../families/image_generator.ts";
import { generatorEval } from "../../stages/eval/generator_eval.ts";
import { generatorSections } from "../../stages/eval/generator_sections.ts";
import { likelihood } from "../../stages/eval/likelihood.ts";
import { graph } from "./graph.ts";

/** Dequantised, unit scale, NCHW: the flows' convention, so that bits/dim compare with Glow's. */
const TRANSFORM = { dequantize: true, scale: "unit", layout: "nchw" } as const;

const m = (stage: string, metric: string) => ({ stage, metric });
const bpd = (v: string) => m(`bpd@${v}`, "test_bpd");
const fid = (v: string) => m(`evaluate@${v}`, "final_fid");
const params = (v: string) => m(`graph@${v}`, "parameters");
const EQUAL = "equal steps, batch, data and optimiser";

export const pipeline = imageGeneratorPipeline({
  name: "f-vae",
  description:
    "f-VAE (conditional flow on σ₁u + E(x)) vs a plain VAE and Glow of equal size on Fashion-MNIST: bits/dim and FID",
  article: {
    title: "细水长flow之f-VAEs：Glow与VAEs的联姻",
    url: "https://kexue.fm/archives/5977",
    date: "2018-09-21",
  },
  title: "f-VAEs on {dataset}: a VAE with a conditional flow, against a VAE and Glow of equal size",
  summary:
    "The article writes a VAE's posterior as a flow of a noise u, F_x(u): F_x(u) = σ(x)⊙u + μ(x) is the " +
    "ordinary VAE, F(σu + x) a flow on noisy inputs, and the f-VAE takes F(σ₁u + E(x)) with an encoder E and a " +
    "Glow-like F, so that the loss ‖G(σ₁u + E(x)) − x‖²/2σ₂² + ½‖F(σ₁u + E(x))‖² − log|det ∂_u F| trains encoder, " +
    "decoder G and flow together; sampling is u ~ N(0, I), x = G(F⁻¹(u)). Su's code (CelebA-HQ, 64² and 128²) shows " +
    "samples at temperatures 1 and 0.8 and says that at the same epochs the f-VAE's are better than a VAE's or " +
    "Glow's of similar size; it reports no number. We train the three at about equal parameter counts for equal " +
    "steps on Fashion-MNIST and measure what the article implies: the f-VAE's bound in bits/dim against the VAE's " +
    "(Glow's exact bits/dim beside them) and the classifier-FID of each model's samples.",
  graph,
  dataset: "fashion-mnist",
  transform: TRANSFORM,
  variants: {
    fvae: { graph: { model: "f-vae" }, label: "f-VAE (E, G, conditional flow F)", dataInit: true },
    vae: { graph: { model: "vae" }, label: "VAE (the same E and G, diagonal Gaussian posterior)" },
    // Glow as realnvp-glow's main model: affine coupling and the 1×1 convolution.
    glow: {
      graph: { model: "glow", coupling: "affine", permutation: "conv1x1" },
      label: "Glow (affine coupling, 1×1 conv; no encoder or decoder)",
      dataInit: true,
    },
  },
  scales: {
    // The baselines' widths keep the parameter counts within 1% of the f-VAE's at each scale (the equal-size
    // claims check it): 59,842 / 60,226 / 60,092 small; ≈2.32 M each full.
    small: {
      graph: { hidden: 32, vaeHidden: 37, glowHidden: 54, batch: 32 },
      steps: 300,
      snapshotEvery: 150,
    },
    // Su's F width and depth per level (12 steps of 256 channels; his 4 levels need 3 squeezes of E, which 28²
    // does not allow), E/G of 12 residual steps per level, Adam 10⁻⁴, batch 32, 150 × 1000 steps: for a GPU.
    full: {
      graph: { depth: 12, hidden: 256, residual: 12, vaeHidden: 478, glowHidden: 272, batch: 32, lr: 1e-4 },
      steps: 150_000,
      snapshotEvery: 10_000,
    },
  },
  train: { logEvery: 10 },
  plots: [
    {
      title: "The f-VAE's bound during training",
      metrics: ["bpd"],
      subtitle: "bits/dim of each training batch",
    },
    { title: "σ₁ (posterior noise) and σ₂ (decoder noise)", metrics: ["sigma1", "sigma2"] },
  ],
  compare: (variants) => ({
    ...Object.fromEntries(variants.map((v) => [
      `bpd@${v}`,
      use(likelihood, {
        params: {
          splits: ["test"],
          select: null,
          transform: TRANSFORM,
          export: "density",
          curve: false,
          title: v === "glow"
            ? "Glow's test bits/dim (exact)"
            : `The ${v === "fvae" ? "f-VAE" : "VAE"}'s bound in bits/dim`,
        },
        inputs: { trained: `train@${v}`, data: "data" },
      }),
    ])),
    "evaluate-cool": use(generatorEval, {
      params: { export: "cool" },
      inputs: { trained: "train@fvae", classifier: "classifier", data: "data" },
    }),
    "samples-cool": use(generatorSections, {
      params: { title: "The f-VAE's samples at temperature 0.8", generator: "G(F⁻¹(0.8·u)), u ~ N(0, I)" },
      inputs: { evaluate: "evaluate-cool" },
    }),
  }),
  comparison: {
    rows: [
      {
        quantity: "test bits/dim bound, f-VAE",
        ours: "{bpd@fvae:test_bpd}",
        reference: null,
        digits: 3,
        lowerIsBetter: true,
        source: "the article reports no number",
      },
      { quantity: "test bits/dim bound, VAE", ours: "{bpd@vae:test_bpd}", reference: null, digits: 3 },
      { quantity: "test bits/dim, Glow (exact)", ours: "{bpd@glow:test_bpd}", reference: null, digits: 3 },
      {
        quantity: "classifier-FID, f-VAE (T = 1)",
        ours: "{evaluate@fvae:final_fid}",
        reference: null,
        digits: 1,
      },
      {
        quantity: "classifier-FID, f-VAE (T = 0.8)",
        ours: "{evaluate-cool:final_fid}",
        reference: null,
        digits: 1,
      },
      { quantity: "classifier-FID, VAE", ours: "{evaluate@vae:final_fid}", reference: null, digits: 1 },
      { quantity: "classifier-FID, Glow", ours: "{evaluate@glow:final_fid}", reference: null, digits: 1 },
      {
        quantity: "parameters f-VAE / VAE / Glow",
        ours: "{graph@fvae:parameters} / {graph@vae:parameters} / {graph@glow:parameters}",
        reference: "similar",
        source: "Su: VAE, Glow and f-VAE of similar size",
      },
      {
        quantity: "F: levels × steps, channels",
        ours: "{graph@fvae.levels} × {graph@fvae.depth}, {graph@fvae.hidden}",
        reference: "4 × 12, 256",
        source: "bojone/flow f-VAEs.py (--set scale=full: 2 × 12, 256)",
      },
      {
        quantity: "training steps × batch",
        ours: "{train@fvae.steps} × {graph@fvae.batch}",
        reference: "1000 per epoch × 32",
      },
    ],
    note:
      "Su's code trains on CelebA-HQ at 128² with E/G of 3 × (squeeze + 12 residual steps) and F of 4 levels of 12 " +
      "steps with 256 channels, Adam 10⁻⁴, for about 150 epochs on a GPU, and compares samples by eye. Here the " +
      "images are Fashion-MNIST's 28² (60,000 training, 10,000 test), E/G are 2 × (squeeze + 4 residual steps, " +
      "without Su's batch norm) to a 16×7×7 latent, F is 2 levels of 4 steps (no squeezes: the encoder squeezed), " +
      "and at the default size each model trains 300 steps of 32 images (a sixth of an epoch) on two CPU cores. " +
      "The VAE's decoder width and Glow's coupling width are set so that the three have about equal parameter " +
      "counts. Every model trains on uniformly dequantised pixels x = (v + u)/256, so its −log q or −ELBO plus " +
      "D·ln 256 bounds −log P(v); the f-VAE's and VAE's bits/dim are that bound at one draw per test image (the " +
      "ELBO), Glow's are exact. F's and Glow's actnorms are initialised on 256 training images. " +
      "No snapshot is chosen: each evaluation reports the last. --set scale=full is Su's F (2 levels of 12 steps of 256 " +
      "channels), E/G of 12 residual steps per level, Adam 10⁻⁴, 150,000 steps of 32: for a GPU.",
  },
  claims: [
    {
      id: "fvae-bpd-below-vae",
      claim: "The f-VAE's bound is tighter than the VAE's: fewer bits/dim on the test images.",
      ours: bpd("fvae"),
      reference: { value: bpd("vae"), source: `the VAE on the same E and G, ${EQUAL}` },
      check: { kind: "below" },
      differs:
        "one seed each; the bound's standard error over the 10,000 test images is test_bpd_se (≈0.003)",
    },
    {
      id: "fvae-fid-below-vae",
      claim: "The f-VAE's samples are better than the VAE's at the same training: a lower classifier-FID.",
      ours: fid("fvae"),
      reference: { value: fid("vae"), source: `the VAE's samples, ${EQUAL}` },
      check: { kind: "below" },
      differs:
        "Fashion-MNIST at 28² and a sixth of an epoch, not CelebA-HQ at 150 epochs; judged by the shared classifier",
    },
    {
      id: "fvae-vs-glow",
      claim:
        "Beside them, Glow of about the same size: its exact test bits/dim (context, not a claim of the article).",
      ours: bpd("glow"),
      reference: { value: bpd("fvae"), source: "the f-VAE's bound" },
      check: { kind: "reported", why: "the article compares f-VAE and Glow samples by eye only" },
    },
    {
      id: "equal-size-vae",
      claim: "The VAE has about the f-VAE's number of parameters (within 10%).",
      ours: params("vae"),
      reference: { value: params("fvae"), source: "the f-VAE's parameters" },
      check: { kind: "near", rel: 0.1 },
    },
    {
      id: "equal-size-glow",
      claim: "So has Glow (within 10%).",
      ours: params("glow"),
      reference: { value: params("fvae"), source: "the f-VAE's parameters" },
      check: { kind: "near", rel: 0.1 },
    },
    ...generatorClaims("The f-VAE generates clothes from u ~ N(0, I)", 0.25, "evaluate@fvae"),
  ],
});
