/**
 * «VQ-VAE的简明介绍：量子化自编码器» (kexue.fm/archives/6760): a VQ-VAE on Fashion-MNIST (28×28 → a 7×7 grid
 * of K = 64 codes of dimension 32, the loss of Su's code with β = 1, γ = 0.25) trained with and without
 * the straight-through estimator, its reconstructions and codebook use on the test split, and samples
 * from a MADE prior over the 49 code indices (trained beside it) judged by the shared classifier against
 * the same decoder at uniformly random codes.
 *
 * ```
 *   data ─┬─► graph@st ─► train@st ─┬─► recon@st                    (PSNR, perplexity, by snapshot)
 *         │                         ├─► evaluate ─► samples          (the prior's samples)
 *         │                         └─► evaluate-uniform ─► samples-uniform   (uniformly random codes)
 *         ├─► graph@no-st ─► train@no-st ─► recon@no-st             (the ablation)
 *         └─► classifier-graph ─► classifier
 * ```
 *
 * @module
 */
import { z } from "zod";
import { use, variants } from "../../engine/pipeline.ts";
import { classifierStages, generatorClaims } from "../../families/image_generator.ts";
import { numericChecksPipeline } from "../../families/numeric_checks.ts";
import { fashionMnistStage } from "../../stages/data/sources/fashion_mnist.ts";
import { generatorEval } from "../../stages/eval/generator_eval.ts";
import { generatorSections } from "../../stages/eval/generator_sections.ts";
import { train } from "../../stages/train/train.ts";
import { graph } from "./graph.ts";
import { reconStage } from "./recon.ts";

/** What changes with the scale: small halves the channels and trains for two CPU cores. */
const SCALES = {
  small: { channels: [16, 32], steps: 1500, snapshotEvery: 500 },
  full: { channels: [32, 64], steps: 10_000, snapshotEvery: 2500 },
} as const;

const VARIANTS = {
  st: { straightThrough: true, title: "Reconstructions with the straight-through estimator" },
  "no-st": { straightThrough: false, title: "Reconstructions without it (the ablation)" },
};

const f = (stage: string, metric: string) => ({ stage, metric });
const FASHION = "Fashion-MNIST";

export const pipeline = numericChecksPipeline({
  name: "vq-vae",
  description:
    "VQ-VAE on Fashion-MNIST (7×7 grid of 64 codes): straight-through vs none, codebook use, a MADE prior's samples",
  article: {
    title: "VQ-VAE的简明介绍：量子化自编码器",
    url: "https://kexue.fm/archives/6760",
    date: "2019-06-24",
  },
  title: "VQ-VAE: a quantised autoencoder, the straight-through estimator and an autoregressive prior",
  summary:
    "The article explains the VQ-VAE of van den Oord et al. (2017): the encoder's output vectors are " +
    "replaced by their nearest codes of a learned codebook, so an image becomes a grid of code indices; the " +
    "argmin has no gradient, so the decoder's gradient is copied to the encoder by the straight-through " +
    "estimator z + sg[z_q − z], and two more terms pull the codes to the encoder's vectors (β) and the vectors " +
    "to their codes (γ < β). Generating new images needs a prior over the grid of indices, an autoregressive " +
    "model such as PixelCNN (Su used an attention model). Su's code trains on 128×128 faces with 64 codes " +
    "(β = 1, γ = 0.25) and shows reconstructions with almost no distortion. We train the same loss on " +
    "Fashion-MNIST with a 7×7 grid of 64 codes, with and without the straight-through estimator, measure the " +
    "reconstructions and the codebook's use on the test split, and sample from a MADE prior over the 49 " +
    "indices trained beside the VQ-VAE, judged by a classifier trained on the same images.",
  params: z.object({ scale: z.enum(["small", "full"]).default("small") }).strict(),
  stages: (p) => ({
    data: use(fashionMnistStage),
    ...variants(VARIANTS, (v, at) => ({
      graph: use(graph, {
        params: { channels: [...SCALES[p.scale].channels], straightThrough: v.straightThrough },
      }),
      train: use(train, {
        params: {
          steps: SCALES[p.scale].steps,
          feeds: { x: "images" },
          transform: { layout: "flat" },
          logEvery: 50,
          snapshotEvery: SCALES[p.scale].snapshotEvery,
          checkpointEvery: 500,
        },
        inputs: { graph: at("graph"), data: "data" },
      }),
      recon: use(reconStage, { params: { title: v.title }, inputs: { trained: at("train"), data: "data" } }),
    })),
    ...classifierStages(p.scale),
    evaluate: use(generatorEval, {
      inputs: { trained: "train@st", classifier: "classifier", data: "data" },
    }),
    samples: use(generatorSections, {
      params: {
        title: "Samples from the prior",
        generator: "the decoder at 7×7 code grids drawn from the MADE prior",
        dataset: FASHION,
      },
      inputs: { evaluate: "evaluate" },
    }),
    "evaluate-uniform": use(generatorEval, {
      params: { export: "uniform" },
      inputs: { trained: "train@st", classifier: "classifier", data: "data" },
    }),
    "samples-uniform": use(generatorSections, {
      params: {
        title: "The same decoder at uniformly random codes",
        generator: "the decoder at uniformly random 7×7 code grids (no prior)",
        dataset: FASHION,
      },
      inputs: { evaluate: "evaluate-uniform" },
    }),
  }),
  headline: { stage: "recon@st", metric: "psnr", label: "test reconstruction PSNR (dB)" },
  claims: [
    ...generatorClaims("The VQ-VAE with its prior generates Fashion-MNIST images"),
    {
      id: "prior-beats-uniform",
      claim:
        "The autoregressive prior is what makes the codes into images: its samples' classifier-FID far below the " +
        "same decoder's at uniformly random codes.",
      ours: f("evaluate", "final_fid"),
      reference: {
        value: f("evaluate-uniform", "final_fid"),
        source: "the same decoder, codes drawn uniformly",
      },
      check: { kind: "below", factor: 0.5 },
    },
    {
      id: "st-trains",
      claim:
        "The straight-through estimator is what makes the VQ-VAE train: without it (the decoder reading z_q, " +
        "whose gradient stops at the codebook) the test reconstructions are worse.",
      ours: f("recon@st", "psnr"),
      reference: {
        value: f("recon@no-st", "psnr"),
        source: "the same VQ-VAE and steps without straight-through",
      },
      check: { kind: "above" },
    },
    {
      id: "st-trains-far",
      claim: "…by far: the mean squared error without it is more than twice the error with it.",
      ours: f("recon@no-st", "mse"),
      reference: { value: f("recon@st", "mse"), source: "the test MSE with straight-through" },
      check: { kind: "above", factor: 2 },
    },
    {
      id: "perplexity",
      claim: "The codebook is used: the perplexity of the test codes is above half of K = 64.",
      ours: f("recon@st", "perplexity"),
      reference: { value: 32, source: "K/2 (the issue's bar; the article gives none)" },
      check: { kind: "at-least" },
    },
  ],
  highlights: [
    { label: "test PSNR (straight-through)", ours: f("recon@st", "psnr"), digits: 2, note: "dB" },
    { label: "test PSNR (no straight-through)", ours: f("recon@no-st", "psnr"), digits: 2, note: "dB" },
    { label: "codebook perplexity", ours: f("recon@st", "perplexity"), digits: 1, note: "of 64" },
    { label: "classifier-FID (prior samples)", ours: f("evaluate", "final_fid"), digits: 1 },
  ],
  comparison: {
    rows: [
      {
        quantity: "codes × dimension",
        ours: "{graph@st.codes} × {graph@st.dim}",
        reference: "64 × 128",
        source: "bojone/vae vq_vae_keras.py",
      },
      {
        quantity: "code grid",
        ours: "7 × 7 (28×28 images)",
        reference: "32 × 32 (128×128 faces)",
        source: "Su's code",
      },
      {
        quantity: "β, γ",
        ours: "{graph@st.beta}, {graph@st.gamma}",
        reference: "1, 0.25",
        source: "Su's code",
      },
      {
        quantity: "prior",
        ours: "MADE, {graph@st.priorHidden} hidden",
        reference: "PixelAtt (attention)",
        source: "the article",
        note: "trained beside the VQ-VAE",
      },
      { quantity: "steps × batch", ours: "{train@st.steps} × {graph@st.batch}", reference: "not stated" },
    ],
    note:
      "The data is Fashion-MNIST (the Debian package dataset-fashion-mnist: the official 60,000/10,000 split), " +
      "pixels in [0, 1], not Su's CelebA-HQ faces in [−1, 1]; the decoder ends in a sigmoid and the reconstruction " +
      "term is the mean squared error as in his code. The article reports no number, only pictures. The prior is a " +
      "MADE trained on each batch's code indices in the same step as the VQ-VAE (so it follows the codes as they " +
      "change) rather than a PixelCNN or attention model trained afterwards. Every number is taken at the last " +
      "step; none is chosen on the test split.",
  },
});
