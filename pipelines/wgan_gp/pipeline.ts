/**
 * «互怼的艺术：从零直达WGAN-GP» (kexue.fm/archives/4439): Su's WGAN-GP code (bojone/gan
 * mnist_gangp.py) — MLPs with U(±0.05) init, z ∈ U(−1, 1)¹⁰, Adam(1e-4, β1 = 0.5), 5 critic steps per
 * generator step, his one-sided un-squared penalty — beside the paper's two-sided squared penalty, on
 * the image-generator family with the GAN graph kind (families/gan_graph.ts).
 *
 * @module
 */
import { use } from "../../engine/pipeline.ts";
import { GAN_NETWORK_DEFAULTS, ganFeeds, ganGraph } from "../../families/gan_graph.ts";
import { generatorClaims, imageGeneratorPipeline } from "../../families/image_generator.ts";
import { snapshotGrids } from "../../stages/eval/snapshot_grids.ts";

const VARIANTS = {
  "one-sided": { graph: { loss: "wgan-gp" }, label: "one-sided λ·relu(‖∇D‖ − 1) (Su's code)" },
  "two-sided": { graph: { loss: "wgan-gp-two-sided" }, label: "two-sided λ·(‖∇D‖ − 1)² (Gulrajani et al.)" },
};

/** Su's settings (the graph's own defaults are wgan-div's DCGAN). */
const SU = { network: "mlp", nCritic: 5, lrD: 1e-4, lrG: 1e-4, b1: 0.5, b2: 0.999, batch: 100 };

export const pipeline = imageGeneratorPipeline({
  name: "wgan-gp",
  description: "Su's WGAN-GP MLP GAN (5 critic steps, one-sided penalty) beside the two-sided penalty",
  article: {
    title: "互怼的艺术：从零直达WGAN-GP",
    url: "https://kexue.fm/archives/4439",
    date: "2017-06-08",
  },
  title: "WGAN-GP, Su's MLPs, on {dataset}",
  summary: "The article derives WGAN-GP from scratch: the critic estimates the Wasserstein distance " +
    "E D(x_r) − E D(x_f) under a 1-Lipschitz constraint, which a gradient penalty on interpolates " +
    "x̂ = εx_r + (1 − ε)x_f enforces softly. Su's code trains two small MLPs on MNIST with 5 critic steps " +
    "per generator step and his one-sided, un-squared penalty λ·relu(‖∇D(x̂)‖ − 1), and the article also " +
    "gives the paper's two-sided squared form λ·(‖∇D(x̂)‖ − 1)²; it shows sample grids as training goes on.",
  graph: ganGraph,
  variants: VARIANTS,
  compare: (variants) =>
    Object.fromEntries(variants.map((v) => [
      `grids@${v}`,
      use(snapshotGrids, {
        params: { title: `Samples during training: ${VARIANTS[v as keyof typeof VARIANTS].label}` },
        inputs: { trained: `train@${v}` },
      }),
    ])),
  scales: {
    // 5,000 of the article's 10⁶ iterations, two variants in the ten minutes; fused 10 steps per call.
    small: { graph: { ...SU, fuse: [10] }, steps: 5000, snapshotEvery: 1000 },
    full: { graph: { ...SU, fuse: [10] }, steps: 200000, snapshotEvery: 20000 },
  },
  train: { feeds: ganFeeds(GAN_NETWORK_DEFAULTS.mlp.noise), fuse: 10, logEvery: 50, checkpointEvery: 1000 },
  plots: [
    {
      title: "Wasserstein estimate and gradient penalty",
      metrics: ["wdist", "penalty"],
      subtitle:
        "wdist = mean D(fake) − mean D(real) (the critic pushes D(real) down); means over the 5 critic steps",
    },
    {
      title: "Gradient norm at the interpolates",
      metrics: ["grad_norm"],
      subtitle: "mean ‖∇D(x̂)‖ over x̂ = εx_r + (1 − ε)x_f: the penalty holds it near 1",
    },
  ],
  comparison: {
    rows: [
      {
        quantity: "penalty",
        ours: "{graph@one-sided.loss}",
        reference: "wgan-gp: λ·relu(‖∇D(x̂)‖ − 1), λ = 10",
        source: "article's code",
      },
      {
        quantity: "critic steps per generator step",
        ours: "{graph@one-sided.nCritic}",
        reference: 5,
        source: "article's code",
      },
      {
        quantity: "Adam learning rate, β1",
        ours: "{graph@one-sided.lrD}, {graph@one-sided.b1}",
        reference: "1e-4, 0.5",
        source: "article's code",
      },
      { quantity: "batch", ours: "{graph@one-sided.batch}", reference: 100, source: "article's code" },
      {
        quantity: "iterations",
        ours: "{train@one-sided.steps}",
        reference: 1000000,
        note: "grids shown at 100k–400k",
      },
      { quantity: "data", ours: "{dataset} 28×28", reference: "MNIST 28×28" },
    ],
    note: "The article's code trains for 10⁶ iterations and reports no number, only sample grids. We keep " +
      "its networks, initialisation, noise, optimiser, schedule and penalty, and train 5,000 iterations so " +
      "that both penalties fit in ten minutes on two CPU cores; images are scaled to [−1, 1] and the " +
      "generator's sigmoid to 2σ − 1, the same model up to that affine map. --set scale=full trains 200k.",
  },
  claims: [
    ...generatorClaims("Su's WGAN-GP trains the MLP generator", 0.25, "evaluate@one-sided"),
    {
      id: "two-sided-trains",
      claim:
        "The two-sided squared penalty trains the same generator too: its classifier-FID falls far below the untrained generator's.",
      ours: { stage: "evaluate@two-sided", metric: "final_fid" },
      reference: {
        value: { stage: "evaluate@two-sided", metric: "untrained_fid" },
        source: "the same generator at step 0",
      },
      check: { kind: "below", factor: 0.25 },
    },
    {
      id: "one-vs-two-sided",
      claim:
        "Either penalty will do: the one-sided form ends within 25% of the two-sided form's classifier-FID.",
      ours: { stage: "evaluate@one-sided", metric: "final_fid" },
      reference: {
        value: { stage: "evaluate@two-sided", metric: "final_fid" },
        source: "two-sided penalty, same steps",
      },
      check: { kind: "near", rel: 0.25 },
    },
    {
      id: "lipschitz",
      claim:
        "The penalty keeps the critic about 1-Lipschitz: the mean ‖∇D(x̂)‖ at the interpolates ends near 1.",
      ours: { stage: "train@one-sided", metric: "grad_norm" },
      reference: { value: 1, source: "the constraint ‖∇D‖ ≤ 1, active at the optimum" },
      check: { kind: "near", abs: 0.25 },
    },
    {
      id: "paper-is",
      claim: "WGAN-GP reaches an Inception Score of 7.86 on CIFAR-10 (unsupervised ResNet).",
      ours: { stage: "evaluate@one-sided", metric: "final_fid" },
      reference: { value: 7.86, source: "Gulrajani et al. 2017 (not verified here)" },
      check: { kind: "reported", why: "no Inception weights offline; another model on other data" },
    },
  ],
});
