/**
 * «模型优化漫谈：BERT的初始标准差为什么是0.02？» (kexue.fm/archives/8747), its numeric half: the
 * standard deviation of BERT's truncated-normal initialisation against Xavier's.
 *
 * ```
 *   init ──► report
 * ```
 *
 * The article's other half (gradient norms per layer of Post-Norm vs Pre-Norm Transformers at init, warmup)
 * trains models; its stages join `stages` below, beside `init`, and its claims beside these.
 *
 * @module
 */
import { use } from "../../engine/pipeline.ts";
import { numericChecksPipeline } from "../../families/numeric_checks.ts";
import { initStd } from "./init_std.ts";

const SOURCE = "kexue.fm/archives/8747 (0.02/1.1368472 ≈ 0.0176; 1/√768 ≈ 0.0361), to the digits of §D2";

export const pipeline = numericChecksPipeline({
  name: "bert-init",
  description: "BERT's truncated-normal init std (0.0176) vs Xavier's 1/√768, exactly and by sampling",
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
    "deviations in closed form (with the normal CDF and density) and by sampling, with the sampling error.",
  stages: (p) => ({
    "init": use(initStd, { params: p.scale === "full" ? { samples: 20_000_000 } : {} }),
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
      reference: { value: 1.1368472, source: "kexue.fm/archives/8747" },
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
  ],
});
