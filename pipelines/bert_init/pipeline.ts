/**
 * «模型优化漫谈：BERT的初始标准差为什么是0.02？» (kexue.fm/archives/8747): the standard deviation of
 * BERT's truncated-normal initialisation against Xavier's (numeric half), and what it does to a
 * Transformer (training half): gradient norms per layer at initialisation of Post-Norm against Pre-Norm
 * encoders, and training with and without warmup.
 *
 * ```
 *   init ──────┐
 *   grad-norms ┼──► report
 *   warmup ────┘
 * ```
 *
 * @module
 */
import { use } from "../../engine/pipeline.ts";
import { numericChecksPipeline } from "../../families/numeric_checks.ts";
import { gradNorms } from "./grad_norms.ts";
import { initStd } from "./init_std.ts";
import { warmup } from "./warmup.ts";

const SOURCE = "the article (0.02/1.1368472 ≈ 0.0176; 1/√768 ≈ 0.0361), to the digits of §D2";
/** The article, as the training claims cite it (its address heads the page; in full it is too wide a word here). */
const ARTICLE = "the article";
const g = (metric: string) => ({ stage: "grad-norms", metric });
const w = (metric: string) => ({ stage: "warmup", metric });
const GRAD_DIFFERS = "a 12-layer, 128-wide encoder (ReLU FFN) on random tokens with random targets, 8 " +
  "initialisations; the article argues it for BERT-base (768 wide) without an experiment";
const WARMUP_DIFFERS =
  "a 6-layer, 64-wide encoder reversing 16 random tokens of 32 for 1,000 Adam steps of " +
  "batch 32; the article speaks of BERT pre-training";

export const pipeline = numericChecksPipeline({
  name: "bert-init",
  description:
    "BERT's init std (0.0176) vs Xavier's; Post-Norm vs Pre-Norm gradient norms at init; training with/without warmup",
  article: {
    title: "模型优化漫谈：BERT的初始标准差为什么是0.02？",
    url: "https://kexue.fm/archives/8747",
    date: "2021-11-08",
  },
  title: "BERT's initial standard deviation",
  summary:
    "The article argues that BERT's initializer_range of 0.02 is smaller than it looks: TensorFlow's " +
    "truncated normal redraws values beyond two standard deviations, so the weights' real standard deviation " +
    "is 0.02/1.1368472 ≈ 0.0176, about half of Xavier's 1/√768 ≈ 0.0361 for BERT-base's 768-wide layers; a small " +
    "initialisation keeps each Post-Norm block close to the identity. This pipeline computes both standard " +
    "deviations in closed form (with the normal CDF and density) and by sampling, with the sampling error. " +
    "The article's reason: a Post-Norm block at initialisation is Norm(x + F(x)) ≈ (x + F(x))/√2, so the " +
    "path from a layer to the top is weighted 2^(−l/2) and gradients vanish toward the input, unless a small " +
    "std keeps F small; without warmup such a model's loss drops to a constant and later diverges. We measure " +
    "the gradient norm of every layer of Post-Norm and Pre-Norm encoders at initialisation for three init stds " +
    "and two depths, and train a small encoder with Adam with and without warmup.",
  stages: (p) => ({
    "init": use(initStd, { params: p.scale === "full" ? { samples: 20_000_000 } : {} }),
    "grad-norms": use(gradNorms, { params: p.scale === "full" ? { repeats: 32 } : {} }),
    "warmup": use(warmup, {
      params: p.scale === "full" ? { layers: 12, d: 128, steps: 3000 } : {},
    }),
  }),
  headline: { stage: "init", metric: "truncated", label: "std of BERT's init (0.017593)" },
  highlights: [
    { label: "truncated std", ours: { stage: "init", metric: "truncated" }, digits: 6 },
    { label: "Xavier std", ours: { stage: "init", metric: "xavier" }, digits: 6 },
    { label: "ratio", ours: { stage: "init", metric: "ratio" }, digits: 4, note: "“about half”" },
  ],
  claims: [
    {
      id: "truncated-std",
      claim: "N(0, 0.02²) truncated at ±2σ has standard deviation 0.017593 (closed form).",
      ours: { stage: "init", metric: "truncated" },
      reference: { value: 0.017593, source: SOURCE },
      // Half a unit in the reference's last digit: the closed form itself is exact to ~1e-17.
      check: { kind: "near", abs: 5e-7 },
    },
    {
      id: "truncation-factor",
      claim: "The truncation divides the standard deviation by 1.1368472.",
      ours: { stage: "init", metric: "factor" },
      reference: { value: 1.1368472, source: "the article" },
      check: { kind: "near", abs: 5e-8 },
    },
    {
      id: "truncated-std-sampled",
      claim: "Sampling the truncated normal gives the same standard deviation, within its sampling error.",
      ours: { stage: "init", metric: "truncated_sampled" },
      reference: { value: { stage: "init", metric: "truncated" }, source: "the closed form" },
      check: { kind: "near", sigmas: 4, stderr: { stage: "init", metric: "truncated_se" } },
    },
    {
      id: "xavier-std",
      claim: "Xavier's standard deviation for a 768×768 layer is 1/√768 = 0.036084.",
      ours: { stage: "init", metric: "xavier" },
      reference: { value: 0.036084, source: SOURCE },
      check: { kind: "near", abs: 5e-7 },
    },
    {
      id: "xavier-std-sampled",
      claim: "A 768×768 Xavier-normal matrix has that standard deviation, within its sampling error.",
      ours: { stage: "init", metric: "xavier_sampled" },
      reference: { value: { stage: "init", metric: "xavier" }, source: "the closed form" },
      check: { kind: "near", sigmas: 4, stderr: { stage: "init", metric: "xavier_se" } },
    },
    {
      id: "post-unit-rate",
      claim: "With F(x) as large as x (init std 1/√d), Post-Norm's gradient norm falls toward the input as " +
        "2^(−l/2): a slope of 0.5 in log₂ per layer (within 0.1 and 3 s.e.).",
      ours: g("slope-post-std884-L12"),
      reference: {
        value: 0.5,
        source: `${ARTICLE} argues Norm(x + F) ≈ (x + F)/√2 weights the identity path 2^(−l/2)`,
      },
      check: { kind: "near", abs: 0.1, sigmas: 3, stderr: g("slope-post-std884-L12_se") },
      differs: GRAD_DIFFERS,
    },
    {
      id: "post-xavier-falls",
      claim: "At Xavier's std (0.036) Post-Norm's gradient norms still fall toward the input (slope > 0).",
      ours: g("slope-post-std360-L12"),
      reference: { value: 0, source: "the article (Post-Norm weights the identity path 2^(−l/2))" },
      check: { kind: "above" },
      differs: GRAD_DIFFERS,
    },
    {
      id: "post-bert-falls",
      claim: "…and at BERT's std (0.0176) too.",
      ours: g("slope-post-std176-L12"),
      reference: { value: 0, source: "the article (Post-Norm weights the identity path 2^(−l/2))" },
      check: { kind: "above" },
      differs: GRAD_DIFFERS,
    },
    {
      id: "small-std-helps",
      claim:
        "A smaller init std keeps Post-Norm closer to the identity: the fall is less steep at 0.0176 than at 0.036.",
      ours: g("slope-post-std176-L12"),
      reference: {
        value: g("slope-post-std360-L12"),
        source: `${ARTICLE} argues Norm ≈ divide by √(1 + σ²)`,
      },
      check: { kind: "below" },
      differs: GRAD_DIFFERS,
    },
    {
      id: "pre-flat",
      claim: "Pre-Norm's gradient norms do not fall toward the input (slope ≤ 0.05 per layer, BERT's std).",
      ours: g("slope-pre-std176-L12"),
      reference: {
        value: 0.05,
        source: `${ARTICLE} and Xiong et al. 2020 (Pre-LN gradients well-behaved at init)`,
      },
      check: { kind: "at-most" },
      differs: GRAD_DIFFERS,
    },
    {
      id: "pre-below-post-24",
      claim: "At 24 layers and std 1/√d, Pre-Norm's slope is below Post-Norm's.",
      ours: g("slope-pre-std884-L24"),
      reference: { value: g("slope-post-std884-L24"), source: "the Post-Norm run of the same depth and std" },
      check: { kind: "below" },
      differs: GRAD_DIFFERS,
    },
    {
      id: "post-stalls",
      claim:
        "Post-Norm trained with Adam without warmup stalls: its final loss stays above half of chance (log V).",
      ours: w("final-post"),
      reference: { value: w("chance"), source: `${ARTICLE} says “the loss drops quickly to a constant”` },
      check: { kind: "above", factor: 0.5 },
      differs: WARMUP_DIFFERS,
    },
    {
      id: "post-diverges",
      claim: "…and later diverges (a non-finite loss).",
      ours: w("diverged-post"),
      reference: { value: 1, source: `${ARTICLE} says “then later diverges to NaN”` },
      check: { kind: "at-least" },
      differs: WARMUP_DIFFERS,
    },
    {
      id: "warmup-fixes",
      claim: "With warmup the same Post-Norm model learns the task: final loss below half of chance.",
      ours: w("final-post-warmup"),
      reference: { value: w("chance"), source: "the article (Post-Norm weights the identity path 2^(−l/2))" },
      check: { kind: "below", factor: 0.5 },
      differs: WARMUP_DIFFERS,
    },
    {
      id: "pre-needs-no-warmup",
      claim: "Pre-Norm learns it without warmup: final loss below half of chance.",
      ours: w("final-pre"),
      reference: { value: w("chance"), source: `${ARTICLE} and Xiong et al. 2020` },
      check: { kind: "below", factor: 0.5 },
      differs: WARMUP_DIFFERS,
    },
  ],
});
