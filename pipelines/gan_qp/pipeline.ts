/**
 * «不用L约束又不会梯度消失的GAN» (GAN-QP, kexue.fm/archives/6163): GAN-QP-L1 and -L2 against WGAN-GP,
 * WGAN-div and the hinge loss on the same DCGAN at equal steps, and GAN-QP's robustness to λ, on the
 * image-generator family with the GAN graph kind (families/gan_graph.ts).
 *
 * @module
 */
import { use } from "../../engine/pipeline.ts";
import { ganFeeds, ganGraph } from "../../families/gan_graph.ts";
import { ganTiming } from "../../families/gan_timing.ts";
import { generatorClaims, imageGeneratorPipeline } from "../../families/image_generator.ts";

/** Every loss on the same DCGAN, optimiser and 2 : 1 schedule; the first is the one shown in full. */
const VARIANTS = {
  "qp-l2": { graph: { loss: "qp-l2" }, label: "GAN-QP-L2 (λ = 10)" },
  "qp-l1": { graph: { loss: "qp-l1" }, label: "GAN-QP-L1 (λ = 10)" },
  "wgan-gp": { graph: { loss: "wgan-gp-two-sided" }, label: "WGAN-GP (λ = 10, two-sided)" },
  "wgan-div": { graph: { loss: "wgan-div" }, label: "WGAN-div (k = 2, p = 6)" },
  hinge: { graph: { loss: "hinge" }, label: "hinge" },
  "qp-lam1": { graph: { loss: "qp-l2", lambda: 1 }, label: "GAN-QP-L2 (λ = 1)" },
  "qp-lam100": { graph: { loss: "qp-l2", lambda: 100 }, label: "GAN-QP-L2 (λ = 100)" },
};

const fid = (variant: string) => ({ stage: `evaluate@${variant}`, metric: "final_fid" });

export const pipeline = imageGeneratorPipeline({
  name: "gan-qp",
  description: "GAN-QP-L1/L2 against WGAN-GP, WGAN-div and hinge on one DCGAN at equal steps; λ-robustness",
  article: {
    title: "不用L约束又不会梯度消失的GAN",
    url: "https://kexue.fm/archives/6163",
    date: "2018-11-20",
  },
  title: "GAN-QP against WGAN-GP, WGAN-div and hinge on {dataset}",
  summary:
    "The article (Su, arXiv:1811.07296) proposes GAN-QP: a critic objective E[Δ − Δ²/(2λ·d(x_r, x_f))] " +
    "with Δ = T(x_r) − T(x_f), whose optimum satisfies |Δ| ≤ λ·d automatically, so that neither a Lipschitz " +
    "constraint nor a gradient penalty is needed and the generator's gradient does not vanish. Its table " +
    "reports a better FID than WGAN-GP on CelebA-HQ 128² (44.7 against 55.5) at two thirds of WGAN-GP's time " +
    "per iteration, and the text says λ is only a scale, so the method is robust to it. Here every loss " +
    "trains the same DCGAN with the same optimiser, data, seed and number of steps.",
  graph: ganGraph,
  variants: VARIANTS,
  compare: (variants) => ({
    timing: use(ganTiming, {
      params: { ratio: "wgan-gp/qp-l2" },
      groups: {
        graphs: variants.filter((v) => v in VARIANTS && !v.startsWith("qp-lam")).map((v) => `graph@${v}`),
      },
    }),
  }),
  scales: {
    // Seven trainings share the ten minutes: a half-width DCGAN (the article's is 128² and 5 layers deep).
    small: {
      graph: { nCritic: 2, gChannels: [32, 16], dChannels: [32, 64], zDim: 64 },
      steps: 600,
      snapshotEvery: 200,
    },
    full: { graph: { nCritic: 2 }, steps: 20000, snapshotEvery: 1000 },
  },
  train: { feeds: ganFeeds("normal") },
  plots: [{
    title: "GAN-QP's critic: Δ and its quadratic term",
    metrics: ["wdist", "penalty"],
    subtitle: "wdist = mean D(fake) − mean D(real) = −mean Δ; penalty = mean Δ²/(2λd)",
  }],
  comparison: {
    rows: [
      {
        quantity: "GAN-QP-L2 FID",
        ours: "{evaluate@qp-l2:final_fid}",
        reference: 44.7,
        source: "article, CelebA-HQ 128², Inception FID",
        note: "ours: classifier-FID",
      },
      {
        quantity: "GAN-QP-L1 FID",
        ours: "{evaluate@qp-l1:final_fid}",
        reference: 45.0,
        source: "article",
        note: "ours: classifier-FID",
      },
      {
        quantity: "WGAN-GP FID",
        ours: "{evaluate@wgan-gp:final_fid}",
        reference: 55.5,
        source: "article",
        note: "ours: classifier-FID",
      },
      {
        quantity: "time per iteration, WGAN-GP / GAN-QP",
        ours: "{timing:time_ratio}",
        reference: 1.5,
        source: "article's speed row",
        digits: 2,
      },
      {
        quantity: "critic steps per generator step",
        ours: "{graph@qp-l2.nCritic}",
        reference: 2,
        source: "article's code",
      },
      {
        quantity: "iterations",
        ours: "{train@qp-l2.steps}",
        reference: null,
        note: "the article trains until its FID stops improving",
      },
      {
        quantity: "data",
        ours: "{dataset} 28×28",
        reference: "CelebA-HQ 128×128",
        note: "different data and resolution",
      },
    ],
    note: "The article's FIDs are Inception FIDs on CelebA-HQ at 128² after long GPU training; ours are " +
      "classifier-FIDs on 28×28 {dataset} after minutes on two CPU cores, so only the orderings and the " +
      "ratios compare. Every loss here runs 2 critic steps per generator step (GAN-QP's schedule), so that " +
      "the time ratio is the gradient penalty's overhead, as in the article's speed row.",
  },
  claims: [
    ...generatorClaims("GAN-QP trains the generator without a Lipschitz constraint", 0.25, "evaluate@qp-l2"),
    {
      id: "qp-l2-vs-wgan-gp",
      claim: "GAN-QP-L2 reaches a classifier-FID no worse than WGAN-GP's at equal steps.",
      ours: fid("qp-l2"),
      reference: {
        value: fid("wgan-gp"),
        source: "WGAN-GP on the same DCGAN, same steps (article: 44.7 vs 55.5)",
      },
      check: { kind: "at-most" },
    },
    {
      id: "qp-l1-vs-wgan-gp",
      claim: "GAN-QP-L1 reaches a classifier-FID no worse than WGAN-GP's at equal steps.",
      ours: fid("qp-l1"),
      reference: {
        value: fid("wgan-gp"),
        source: "WGAN-GP on the same DCGAN, same steps (article: 45.0 vs 55.5)",
      },
      check: { kind: "at-most" },
    },
    {
      id: "lambda-1",
      claim: "λ is only a scale: GAN-QP-L2 with λ = 1 ends within 25% of λ = 10's classifier-FID.",
      ours: fid("qp-lam1"),
      reference: { value: fid("qp-l2"), source: "GAN-QP-L2 with λ = 10, same steps" },
      check: { kind: "near", rel: 0.25 },
    },
    {
      id: "lambda-100",
      claim: "λ is only a scale: GAN-QP-L2 with λ = 100 ends within 25% of λ = 10's classifier-FID.",
      ours: fid("qp-lam100"),
      reference: { value: fid("qp-l2"), source: "GAN-QP-L2 with λ = 10, same steps" },
      check: { kind: "near", rel: 0.25 },
    },
    {
      id: "time-ratio",
      claim: "An iteration of WGAN-GP takes about 1.5 times as long as one of GAN-QP (its gradient penalty).",
      ours: { stage: "timing", metric: "time_ratio" },
      reference: { value: 1.5, source: "article's speed row (1.5× against 1×)" },
      check: { kind: "near", rel: 0.2 },
    },
    {
      id: "paper-fid",
      claim: "GAN-QP-L1/L2 reach FID 45.0 / 44.7 against WGAN-GP's 55.5 on CelebA-HQ 128².",
      ours: fid("qp-l2"),
      reference: { value: 44.7, source: "article's table, Inception FID" },
      check: {
        kind: "reported",
        why: "no Inception weights offline; ours is a classifier-FID on other data",
      },
    },
  ],
});
