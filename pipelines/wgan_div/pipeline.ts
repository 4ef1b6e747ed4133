/**
 * «WGAN-div：一个默默无闻的WGAN填坑者» (kexue.fm/archives/6139): WGAN-div with the article's penalty
 * k·E‖∇ₓD‖^p (k = 2, p = 6), a DCGAN-style generator and critic, on MNIST (or Fashion-MNIST).
 *
 * ```
 *   data ─────────┬──────────────► train ──► evaluate ──► report
 *   graph ────────┘                  ▲          ▲
 *   classifier-graph ──► classifier ─┼──────────┘
 *   data ────────────────────────────┘
 * ```
 *
 * @module
 */
import { z } from "zod";
import { definePipeline, use } from "../../engine/pipeline.ts";
import { fashionMnistStage } from "../../stages/data/sources/fashion_mnist.ts";
import { mnistStage } from "../../stages/data/sources/mnist.ts";
import { classifierGraph } from "../../stages/eval/classifier_graph.ts";
import { generatorEval } from "../../stages/eval/generator_eval.ts";
import { train } from "../../stages/train/train.ts";
import { graph } from "./graph.ts";
import { report } from "./report.ts";

/** small: sized for 2 CPU cores in under 10 minutes; full: the article's length, for a GPU. */
const SCALES = {
  // The critic is DCGAN size: with one critic step per generator step (as in the article), a smaller
  // critic stops telling real from fake early and the samples stall (measured: classifier-FID ≈ 300
  // with [32, 64] against ≈ 170 with [64, 128] after 2,000 steps). The generator can be smaller.
  small: {
    gChannels: [64, 32],
    dChannels: [64, 128],
    zDim: 64,
    steps: 2400,
    snapshotEvery: 200,
    classifierSteps: 600,
  },
  full: {
    gChannels: [128, 64],
    dChannels: [64, 128],
    zDim: 100,
    steps: 20000,
    snapshotEvery: 1000,
    classifierSteps: 3000,
  },
} as const;

export const pipeline = definePipeline({
  name: "wgan-div",
  description: "WGAN-div (k=2, p=6) DCGAN on MNIST, judged by classifier-FID against its baselines",
  article: {
    title: "WGAN-div：一个默默无闻的WGAN填坑者",
    url: "https://kexue.fm/archives/6139",
    date: "2018-11-07",
  },
  params: z.object({
    scale: z.enum(["small", "full"]).default("small"),
    dataset: z.enum(["mnist", "fashion-mnist"]).default("mnist"),
  }).strict(),
  stages: (p) => {
    const s = SCALES[p.scale];
    return {
      data: use(p.dataset === "mnist" ? mnistStage : fashionMnistStage),
      graph: use(graph, {
        params: { gChannels: [...s.gChannels], dChannels: [...s.dChannels], zDim: s.zDim },
      }),
      train: use(train, {
        params: {
          steps: s.steps,
          feeds: { x: "images", z_d: "normal", z_g: "normal" },
          hyper: { lr_d: 2e-4, lr_g: 2e-4 },
          transform: { scale: "symmetric", layout: "nchw" },
          snapshotEvery: s.snapshotEvery,
          checkpointEvery: 250,
        },
        inputs: { graph: "graph", data: "data" },
      }),
      "classifier-graph": use(classifierGraph),
      classifier: use(train, {
        params: {
          steps: s.classifierSteps,
          feeds: { x: "images", y: "labels" },
          transform: { scale: "unit", layout: "nchw" },
          snapshotEvery: 0,
          checkpointEvery: 0,
          logEvery: 20,
        },
        inputs: { graph: "classifier-graph", data: "data" },
      }),
      evaluate: use(generatorEval, { inputs: { trained: "train", classifier: "classifier", data: "data" } }),
      report: use(report, {
        inputs: { train: "train", evaluate: "evaluate", classifier: "classifier", data: "data" },
      }),
    };
  },
  report: "report",
  headline: { stage: "evaluate", metric: "final_fid", label: "classifier-FID", lowerIsBetter: true },
});
