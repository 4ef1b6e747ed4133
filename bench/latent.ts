/**
 * Training throughput of the latent-variable and autoregressive models (models/onnx/models: vae,
 * gumbel_vae, vq_vae, nade) at their pipelines' default small configs, next to PyTorch CPU eager on the
 * same model (bench/torch/vae.py, gumbel_vae.py, vq_vae.py, nade.py, with OpenBLAS pinned as
 * docs/onnx-training.md prescribes, when `/usr/bin/python3 -c 'import torch'` works). Target: ORT within
 * 1.2× of PyTorch.
 *
 * Each train step is timed as a host loop (one call per step, as train.run without fusion) and fused K
 * steps per Scan call, K what train.run's `fuse: "auto"` picks at the pipeline's log/snapshot/checkpoint
 * intervals. The passes alternate fresh processes, ORT then PyTorch (`--passes`, default 2); the table
 * shows the median of the processes with their range and the 1-minute load average at each pass.
 *
 * The VQGAN's step (vqgan's default) is timed too, without a PyTorch reference.
 *
 * Run: `deno task bench latent [--only=vae|vae-gumbel|vq-vae|fvsbn|nade|vqgan] [--passes=N] [--no-torch]
 * [--single-thread] [--profile]`. `--single-thread` times process CPU time of one thread in both;
 * `--profile` prints where each host-loop step's kernel time goes instead (bench/_profile.ts).
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  clockOf,
  loadAverage,
  stat,
  timeIt as timeWith,
  torchAvailable as torchWorks,
  torchPass as torchScript,
  workerPass as fresh,
} from "./_passes.ts";
import { type Cell, printLoad, printTable } from "./_report.ts";
import { profileStep } from "./_profile.ts";
import { Rng, TrainRunner } from "../models/onnx/mod.ts";
import type { TrainStep } from "../models/onnx/train_step.ts";
import { vaeStep } from "../models/onnx/models/vae.ts";
import { gumbelVaeStep } from "../models/onnx/models/gumbel_vae.ts";
import { vqVaeStep } from "../models/onnx/models/vq_vae.ts";
import { autoregressiveStep } from "../models/onnx/models/nade.ts";
import { cnnClassifierStep } from "../models/onnx/models/cnn_classifier.ts";
import { vqganStep } from "../models/onnx/models/vqgan.ts";
import { ParamConstants } from "../models/onnx/params.ts";
import { autoFuse } from "../stages/train/train.ts";

const args = parseArgs({
  options: {
    only: { type: "string" },
    passes: { type: "string", default: "2" },
    "no-torch": { type: "boolean" },
    profile: { type: "boolean" },
    "single-thread": { type: "boolean" },
    worker: { type: "string" },
  },
});

const SINGLE = args.values["single-thread"] === true;
const THREADS = SINGLE ? 1 : 2;
const clock = clockOf(SINGLE);

/** A benchmarked model: its step at the pipeline's default, the fused K, calls per round, its reference. */
interface Model {
  label: string;
  step: () => TrainStep;
  batch: number;
  /** Binary inputs (the autoregressive models) or values in [0, 1]. */
  binary?: boolean;
  /** train.run's intervals in the pipeline (for the fused K). */
  intervals: { logEvery: number; checkpointEvery: number; snapshotEvery: number };
  calls: number;
  /** The PyTorch reference (script and its JSON key); none for the VQGAN. */
  torch?: { script: string; key: string };
}

/**
 * The pipelines' default (small) configs: vae's Su model, vae-gumbel and vq-vae at their small scale's
 * channels, nade's two models.
 */
const MODELS: Record<string, Model> = {
  vae: {
    label: "vae: MLP 784-256-2, Bernoulli, RMSprop, batch 100",
    step: () =>
      vaeStep({
        inputDim: 784,
        hidden: [256],
        latent: 2,
        activation: "relu",
        decoder: { kind: "bernoulli" },
        batch: 100,
        samples: 1,
      }),
    batch: 100,
    intervals: { logEvery: 50, checkpointEvery: 1000, snapshotEvery: 1000 },
    calls: 100,
    torch: { script: "vae.py", key: "step" },
  },
  "vae-gumbel": {
    label: "vae-gumbel: conv 16/32, 32×10 Gumbel-softmax, batch 100",
    step: () => gumbelVaeStep({ channels: [16, 32], variables: 32, categories: 10, batch: 100 }),
    batch: 100,
    intervals: { logEvery: 40, checkpointEvery: 400, snapshotEvery: 800 },
    calls: 40,
    torch: { script: "gumbel_vae.py", key: "step" },
  },
  "vq-vae": {
    label: "vq-vae: conv 16/32, 64 codes × 32, MADE 128, batch 64",
    step: () => vqVaeStep({ channels: [16, 32], codes: 64, dim: 32, priorHidden: 128, batch: 64 }),
    batch: 64,
    intervals: { logEvery: 50, checkpointEvery: 500, snapshotEvery: 500 },
    calls: 30,
    torch: { script: "vq_vae.py", key: "step" },
  },
  fvsbn: {
    label: "nade: FVSBN 784, Adam, batch 100",
    step: () => autoregressiveStep({ model: { kind: "fvsbn", dims: 784 }, batch: 100 }),
    batch: 100,
    binary: true,
    intervals: { logEvery: 20, checkpointEvery: 200, snapshotEvery: 500 },
    calls: 50,
    torch: { script: "nade.py", key: "fvsbn" },
  },
  nade: {
    label: "nade: NADE 784, H = 500 (cumsum), Adam, batch 100",
    step: () => autoregressiveStep({ model: { kind: "nade", dims: 784, hidden: 500 }, batch: 100 }),
    batch: 100,
    binary: true,
    intervals: { logEvery: 20, checkpointEvery: 200, snapshotEvery: 200 },
    calls: 1,
    torch: { script: "nade.py", key: "nade" },
  },
  vqgan: {
    label: "vqgan: vq-vae's + PatchGAN 16/32 + perceptual + λ, batch 64",
    step: () => {
      // The frozen classifier at its initial weights: the same graph and arithmetic as trained ones.
      const cnn = Object.fromEntries(
        Object.entries(cnnClassifierStep({ batch: 1 }).initialState(0)).filter(([n]) => n.startsWith("cnn/")),
      ) as Record<string, Float32Array>;
      return vqganStep(
        {
          channels: [16, 32],
          codes: 64,
          dim: 32,
          priorHidden: 128,
          discChannels: [16, 32],
          batch: 64,
          perceptualWeight: 0.1,
          ganWeight: 0.8,
          ganStart: 0,
        },
        { params: new ParamConstants(cnn), channels: [32, 64] },
      );
    },
    batch: 64,
    intervals: { logEvery: 50, checkpointEvery: 500, snapshotEvery: 500 },
    calls: 20,
  },
};

const wanted = args.values.only ? args.values.only.split(",") : Object.keys(MODELS);
for (const name of wanted) {
  if (!MODELS[name]) {
    console.error(`Unknown model '${name}' for --only; models: ${Object.keys(MODELS).join(", ")}`);
    Deno.exit(2);
  }
}

/** Median over rounds of the mean ms per call, after one round of warm-up. */
const timeIt = (fn: () => Promise<unknown>, calls: number, rounds = calls === 1 ? 3 : 5) =>
  timeWith(fn, { warmup: calls, rounds, calls, clock });

function batchOf(m: Model, k = 1): Float32Array {
  const rng = new Rng(0, "bench-latent");
  const x = new Float32Array(k * m.batch * 784);
  for (let i = 0; i < x.length; i++) x[i] = m.binary ? (rng.uniform() < 0.5 ? 1 : 0) : rng.uniform();
  return x;
}

/** One pass of one model in this process: ms per step of the host loop and of the fused K. */
async function workerPass(m: Model): Promise<Record<string, number>> {
  const k = autoFuse(m.intervals);
  const runner = await TrainRunner.create(m.step(), { seed: 0, intraOpNumThreads: THREADS });
  const host = await timeIt(() => runner.step({ x: batchOf(m) }), m.calls);
  const xs = batchOf(m, k);
  // A slow step (NADE's, seconds) gets one round of fused calls after the warm-up one.
  const calls = Math.max(1, Math.round(m.calls / k));
  const fused = (await timeIt(() => runner.steps({ x: xs }, k), calls, m.calls === 1 ? 1 : 5)) / k;
  await runner.release();
  return { host, fused, k };
}

if (args.values.worker) {
  console.log(JSON.stringify(await workerPass(MODELS[args.values.worker]!)));
  Deno.exit(0);
}

if (args.values.profile) {
  console.log(`latent models profile: onnxruntime-node 1.29.0 CPU, ${navigator.hardwareConcurrency} threads`);
  await printLoad("load before");
  for (const name of wanted) {
    const m = MODELS[name]!;
    const x = batchOf(m);
    await profileStep(`${m.label}, host loop`, m.step(), (r) => r.step({ x }), {
      warmup: Math.min(20, m.calls),
      runs: Math.max(3, Math.min(100, m.calls * 2)),
    });
  }
  await printLoad("load after");
  Deno.exit(0);
}

const torchAvailable = () => !args.values["no-torch"] && torchWorks();

const ortPass = (name: string) =>
  fresh(import.meta.url, [`--worker=${name}`, ...(SINGLE ? ["--single-thread"] : [])]);

const torchPass = (script: string) => torchScript(script, [String(THREADS), SINGLE ? "cpu" : "wall"]);

const withTorch = torchAvailable();
console.log(
  `latent models benchmark: onnxruntime-node 1.29.0 CPU, ${THREADS} thread(s), ${
    SINGLE ? "CPU" : "wall"
  } time`,
);
await printLoad("load before");
const rows: Cell[][] = [];
const torchCache = new Map<string, Record<string, number>>();
for (const name of wanted) {
  const m = MODELS[name]!;
  const ort: Record<string, number>[] = [];
  const torch: number[] = [];
  const loads: number[] = [];
  for (let i = 0; i < Number(args.values.passes); i++) {
    loads.push(loadAverage());
    ort.push(await ortPass(name));
    if (withTorch && m.torch) {
      // nade.py times FVSBN and NADE in one process: one run serves both rows of a pass.
      const key = `${m.torch.script}#${i}`;
      if (!torchCache.has(key)) torchCache.set(key, await torchPass(m.torch.script));
      torch.push(torchCache.get(key)![m.torch.key]!);
    }
  }
  const t = stat(torch.map((step) => ({ step })), "step");
  for (const variant of ["host", "fused"] as const) {
    const o = stat(ort, variant);
    rows.push([
      variant === "host" ? m.label : `  Scan K=${ort[0]!.k}`,
      o?.text,
      t?.text,
      o && t ? Number((o.median / t.median).toFixed(2)) : null,
      loads.map((l) => l.toFixed(1)).join(" "),
    ]);
  }
}
printTable(
  `${SINGLE ? "CPU " : ""}ms per train step, ${THREADS} thread(s), pipelines' default small configs ` +
    `(median of ${args.values.passes} fresh processes each, range in brackets; each process a median of rounds)`,
  ["model (host loop; then fused)", "ORT ms", "PyTorch eager ms", "ORT / PyTorch", "load avg per pass"],
  rows,
  withTorch
    ? `PyTorch 1.13 CPU eager, ${THREADS} thread(s), OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1, ` +
      "same model, loss and optimiser (bench/torch/*.py); target ORT / PyTorch ≤ 1.2. Host loop: one call " +
      "per step; Scan: K steps per call as train.run's fuse 'auto' at the pipeline's intervals."
    : "PyTorch not available (/usr/bin/python3 -c 'import torch' failed or --no-torch): ORT numbers only.",
);
await printLoad("load after");
