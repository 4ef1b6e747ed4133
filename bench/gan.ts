/**
 * Benchmark of the GAN family's losses (models/onnx/models/gan_losses.ts) on one DCGAN: the time of one
 * iteration, a critic step and then a generator step through the updated critic, for every loss of the
 * registry on the WGAN-div network at DCGAN size (G 760k / D 139k parameters, batch 64), as a host-loop
 * step and as K fused steps in one Scan call, next to PyTorch CPU eager on the same model and formulas
 * (bench/torch/gan_losses.py; wgan-div's reference is bench/torch/wgan_div.py) where it exists.
 *
 * Passes alternate fresh processes, ORT then PyTorch, as bench/onnx.ts does.
 *
 * Run: `deno task bench gan [--losses=wgan-gp,qp-l2] [--passes=N] [--no-torch] [--single-thread]`.
 * `--single-thread` times process CPU time with one thread on both sides: the work per step, which
 * other processes on a shared box barely disturb.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { GAN_NETWORK_DEFAULTS } from "../families/gan_graph.ts";
import { GAN_LOSSES, ganLoss, type GanLossName } from "../models/onnx/models/gan_config.ts";
import { Rng, TrainRunner } from "../models/onnx/mod.ts";
import { autoFuse } from "../stages/train/train.ts";
import {
  alternate,
  clockOf,
  randn,
  ratioRow,
  stack,
  timeIt,
  torchAvailable,
  torchPass,
  workerPass,
} from "./_passes.ts";
import { type Cell, printLoad, printTable } from "./_report.ts";

const args = parseArgs({
  options: {
    losses: { type: "string" },
    passes: { type: "string", default: "3" },
    "no-torch": { type: "boolean" },
    "single-thread": { type: "boolean" },
    worker: { type: "string" },
  },
});

const B = 64;
const SINGLE = args.values["single-thread"] === true;
const THREADS = SINGLE ? 1 : 2;
/** The fused step count train.run's `fuse: "auto"` picks at the GAN pipelines' default intervals. */
const K = autoFuse({ logEvery: 10, checkpointEvery: 250, snapshotEvery: 200 });
/** The PyTorch reference script of each loss that has one. */
const TORCH: Partial<Record<GanLossName, string[]>> = {
  "wgan-div": ["wgan_div.py"],
  "wgan-gp": ["gan_losses.py", "wgan-gp"],
  "wgan-gp-two-sided": ["gan_losses.py", "wgan-gp-two-sided"],
  "qp-l1": ["gan_losses.py", "qp-l1"],
  "qp-l2": ["gan_losses.py", "qp-l2"],
  hinge: ["gan_losses.py", "hinge"],
};

/** ms per iteration of `loss` (host loop and fused), in this process. */
async function measureLoss(name: GanLossName) {
  const { ganStep, realBlocks } = await import("../models/onnx/models/gan_step.ts");
  const d = GAN_NETWORK_DEFAULTS.dcgan28;
  const cfg = {
    loss: ganLoss(name),
    network: {
      kind: "dcgan28" as const,
      zDim: d.zDim,
      gChannels: d.gChannels,
      dChannels: d.dChannels,
      gBatchNorm: d.gBatchNorm,
      dBatchNorm: d.dBatchNorm,
      initStd: d.initStd,
    },
    image: [1, 28, 28] as const,
    nCritic: 1,
    optimiser: { kind: "adam" as const, b1: d.b1, b2: d.b2 },
    lrD: d.lrD,
    lrG: d.lrG,
    ema: 0,
  };
  const rng = new Rng(1, "bench");
  const x = randn(realBlocks(cfg) * B * 784, rng, Math.tanh);
  const z = () => randn(B * d.zDim, rng);
  const clock = clockOf(SINGLE);
  const runner = await TrainRunner.create(ganStep(B, cfg), { seed: 0, intraOpNumThreads: THREADS });
  const host = await timeIt(() => runner.step({ x, z_d: z(), z_g: z() }), {
    warmup: 2,
    rounds: 5,
    calls: 2,
    clock,
  });
  const xs = stack(x, K);
  const fused = (await timeIt(
    () => runner.steps({ x: xs, z_d: stack(z(), K), z_g: stack(z(), K) }, K),
    { warmup: 1, rounds: 3, calls: 1, clock },
  )) / K;
  await runner.release();
  return { host, fused };
}

if (args.values.worker) {
  console.log(JSON.stringify(await measureLoss(args.values.worker as GanLossName)));
  Deno.exit(0);
}

const losses = (args.values.losses?.split(",") ?? GAN_LOSSES) as GanLossName[];
const unknown = losses.filter((l) => !(GAN_LOSSES as readonly string[]).includes(l));
if (unknown.length) {
  console.error(`Unknown loss ${unknown.join(", ")}; losses: ${GAN_LOSSES.join(", ")}`);
  Deno.exit(2);
}
const withTorch = !args.values["no-torch"] && torchAvailable();
console.log(
  `GAN losses on the WGAN-div DCGAN, batch ${B}: onnxruntime-node 1.29.0 CPU, ${THREADS} thread(s), ` +
    `${SINGLE ? "process CPU" : "wall"} time`,
);
await printLoad("load before");
const rows: Cell[][] = [];
for (const loss of losses) {
  const torch = TORCH[loss];
  const s = await alternate(
    Number(args.values.passes),
    () => workerPass(import.meta.url, [`--worker=${loss}`, ...(SINGLE ? ["--single-thread"] : [])]),
    withTorch && torch
      ? () => torchPass(torch[0]!, [...torch.slice(1), String(B), String(THREADS), SINGLE ? "cpu" : "wall"])
      : undefined,
  );
  rows.push(
    ratioRow(`${loss}, host loop`, s, "host", "step"),
    ratioRow(`${loss}, Scan K=${K}`, s, "fused", "step"),
  );
}
printTable(
  `${SINGLE ? "CPU " : ""}ms per iteration (critic step + generator step), ${THREADS} thread(s) ` +
    `(median of ${args.values.passes} fresh processes each, range in brackets)`,
  ["loss, mode", "ORT ms", "PyTorch eager ms", "ORT / PyTorch", "load avg per pass"],
  rows,
  withTorch
    ? `PyTorch 1.13 CPU eager, ${THREADS} thread(s), OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1, ` +
      "the same networks, formulas and passes (bench/torch/gan_losses.py); losses without a reference show ORT only."
    : "PyTorch not available (or --no-torch): ORT numbers only.",
);
await printLoad("load after");
