/**
 * «WGAN-div：一个默默无闻的WGAN填坑者» (kexue.fm/archives/6139): WGAN-div with the article's penalty
 * k·E‖∇ₓD‖^p (k = 2, p = 6), a DCGAN-style generator and critic, on MNIST (or Fashion-MNIST), on the
 * image-generator family (families/image_generator.ts) with the GAN family's graph kind
 * (families/gan_graph.ts): loss `wgan-div`, the dcgan28 network, one critic step per generator step.
 * Its train step is that of models/onnx/models/wgan_div.ts bit for bit (tested in gan_step_test.ts).
 *
 * @module
 */
import { ganFeeds, ganGraph } from "../../families/gan_graph.ts";
import { generatorClaims, imageGeneratorPipeline } from "../../families/image_generator.ts";
import { GAN_LOSS_DEFAULTS } from "../../models/onnx/models/gan_config.ts";

/** The article's loss and penalty (k = 2, p = 6), named so that the report can print them. */
const { k, p } = GAN_LOSS_DEFAULTS["wgan-div"];
const WGAN_DIV = { loss: "wgan-div", k, p } as const;

export const pipeline = imageGeneratorPipeline({
  name: "wgan-div",
  description: "WGAN-div (k=2, p=6) DCGAN on MNIST, judged by classifier-FID against its baselines",
  article: {
    title: "WGAN-div：一个默默无闻的WGAN填坑者",
    url: "https://kexue.fm/archives/6139",
    date: "2018-11-07",
  },
  title: "WGAN-div on {dataset}",
  summary: "The article presents WGAN-div (Wu et al., ECCV 2018): instead of constraining the critic to be " +
    "1-Lipschitz, penalise k·E‖∇ₓD(x)‖^p on samples from almost any distribution (here, as in the article's " +
    "code, the real and the fake samples), with k = 2 and p = 6 working best.",
  graph: ganGraph,
  scales: {
    // The critic stays DCGAN size: with one critic step per generator step (as in the article), a smaller
    // critic stops telling real from fake early and the samples stall (measured: classifier-FID ≈ 300
    // with [32, 64] against ≈ 170 with [64, 128] after 2,000 steps). The generator can be smaller.
    small: { graph: { ...WGAN_DIV, gChannels: [64, 32], zDim: 64 }, steps: 2400, snapshotEvery: 200 },
    full: { graph: WGAN_DIV, steps: 20000, snapshotEvery: 1000 },
  },
  train: { feeds: ganFeeds("normal") },
  plots: [{
    title: "Wasserstein estimate and gradient penalty",
    metrics: ["wdist", "penalty"],
    subtitle: "wdist = mean D(fake) − mean D(real); penalty = (k/2)·mean(‖∇D‖^p) over real and fake",
  }],
  comparison: {
    rows: [
      {
        quantity: "penalty k, p",
        ours: "k = {graph.k}, p = {graph.p}",
        reference: "k = 2, p = 6",
        source: "article; best in the paper's grid",
      },
      {
        quantity: "samples for the penalty",
        ours: "real and fake",
        reference: "real and fake",
        source: "article's code",
      },
      {
        quantity: "iterations",
        ours: "{train.steps}",
        reference: 20000,
        note: "samples shown in the article after 20k",
      },
      {
        quantity: "data",
        ours: "{dataset} 28×28",
        reference: "CelebA-HQ 128×128",
        note: "different data and resolution",
      },
    ],
    note:
      "The article trains a 5-layer DCGAN with batch norm on CelebA-HQ at 128×128 for 20k iterations on a " +
      "GPU and shows samples; it reports no number. We keep its loss, penalty (k = 2, p = 6 on real and fake " +
      "samples) and optimiser, and shrink the rest to 28×28 {dataset} and a 2-layer generator and critic so " +
      "that it trains on two CPU cores in minutes; --set scale=full trains a DCGAN-size model for 20k iterations.",
  },
  claims: [
    ...generatorClaims("WGAN-div trains the generator without a Lipschitz constraint"),
    {
      id: "paper-fid",
      claim: "k = 2, p = 6 gives the paper's best FID (CIFAR-10, CelebA, LSUN).",
      ours: { stage: "evaluate", metric: "final_fid" },
      reference: { source: "Wu et al. 2018, Inception FID" },
      check: {
        kind: "reported",
        why: "no Inception weights offline; ours is a classifier-FID on other data",
      },
    },
  ],
});
