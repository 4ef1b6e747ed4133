/**
 * Benchmark of the ONNX train-step graphs (models/onnx) against PyTorch CPU eager on the same models:
 *
 * (a) MLP 784-256-256-10, batch 128, softmax cross-entropy, Adam;
 * (b) the WGAN-div DCGAN step (G 760k / D 139k parameters), batch 64, critic step with the second-order
 *     gradient penalty then the generator step.
 *
 * Each is timed forward-only, as a host-loop train step (outputs fed back as inputs) and as K steps fused
 * in one Scan call, both fed host noise as train.run feeds them, next to PyTorch eager (bench/torch/*.py,
 * with OpenBLAS pinned as docs/onnx-training.md prescribes, when `/usr/bin/python3 -c 'import torch'`
 * works).
 *
 * The box is shared and its speed drifts by ±25% within minutes, so the measurements alternate fresh
 * processes: ORT, PyTorch, ORT, PyTorch, … (`--passes`, default 3 of each). Each process reports the
 * median of its rounds after warm-up; the table shows the median of the processes with their range, the
 * ratio of the medians, and the 1-minute load average at the start of each pass.
 *
 * Run: `deno task bench onnx [--only=mlp|gan] [--passes=N] [--no-torch] [--single-thread] [--profile]`.
 * `--single-thread` runs both with one thread and times process CPU time instead of wall time: the amount
 * of work per step, which other processes on the shared box barely disturb (wall time with 2 threads
 * can move by 2× when another process runs). `--profile` runs onnxruntime's profiler on the train steps
 * instead and prints where their kernel time goes, by part of the step (forward, grad, grad/grad,
 * optimizer), by op type and by layer path (models/onnx/profile.ts).
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  alternate,
  clockOf,
  type Pass,
  randn,
  ratioRow as row,
  stack,
  timeIt as timeWith,
  torchAvailable as torchWorks,
  torchPass as torchScript,
  workerPass,
} from "./_passes.ts";
import { type Cell, printLoad, printTable } from "./_report.ts";
import { profileStep } from "./_profile.ts";
import {
  concat,
  createSession,
  critic,
  exportModel,
  generator,
  mlp,
  mlpClassifierStep,
  reduceMean,
  Rng,
  softmaxCrossEntropy,
  toOrt,
  TrainRunner,
  wganDivConfig,
  wganDivStep,
} from "../models/onnx/mod.ts";
import { AUTO_FUSE_MAX, autoFuse } from "../stages/train/train.ts";

const args = parseArgs({
  options: {
    only: { type: "string" },
    passes: { type: "string", default: "3" },
    "no-torch": { type: "boolean" },
    profile: { type: "boolean" },
    "single-thread": { type: "boolean" },
    worker: { type: "string" },
  },
});

/**
 * The fused step counts measured: what train.run's `fuse: "auto"` runs, at most AUTO_FUSE_MAX for the MLP
 * and K = 5 for the wgan-div pipeline's default intervals (log 10, checkpoints 250, snapshots 200).
 */
const MLP_K = AUTO_FUSE_MAX;
const GAN_K = autoFuse({ logEvery: 10, checkpointEvery: 250, snapshotEvery: 200 });

const SINGLE = args.values["single-thread"] === true;
/** Threads of both runtimes (PyTorch's reference setting is 2, onnx-training.md §1). */
const THREADS = SINGLE ? 1 : 2;
/** onnxruntime session options of every measured session. */
const SESSION = { intraOpNumThreads: THREADS };
/** Milliseconds: process CPU time with --single-thread, else wall time. */
const clock = clockOf(SINGLE);
const timeIt = (fn: () => Promise<unknown>, o: { warmup: number; rounds: number; calls: number }) =>
  timeWith(fn, { ...o, clock });

// ---------------------------------------------------------------------------------------------
// ORT measurements (run in a fresh worker process per pass)

async function benchMlp(): Promise<Pass> {
  const B = 128;
  const cfg = { inputDim: 784, hidden: [256, 256], classes: 10, batch: B };
  const rng = new Rng(0, "bench");
  const x = randn(B * 784, rng);
  const y = Int32Array.from({ length: B }, () => Math.floor(rng.uniform() * 10));
  const step = mlpClassifierStep(cfg);

  // Forward only: logits and loss, weights as inputs (zero-copy), as in the train step.
  const fwd = exportModel({
    name: "mlp_forward",
    inputs: { x: { dtype: "float32", shape: [B, 784] }, y: { dtype: "int32", shape: [B] } },
    build: (ps, i) => {
      const logits = mlp(ps, i.x!, cfg);
      return { logits, loss: softmaxCrossEntropy(logits, i.y!) };
    },
  });
  const fwdSession = await createSession(fwd.bytes, SESSION);
  const state = step.initialState(0);
  const feeds = {
    x: toOrt("float32", x, [B, 784]),
    y: toOrt("int32", y, [B]),
    ...Object.fromEntries(fwd.params.map((p) => [p.name, toOrt("float32", state[p.name]!, p.shape)])),
  };
  const forward = await timeIt(() => fwdSession.run(feeds), { warmup: 100, rounds: 7, calls: 100 });
  await fwdSession.release();

  const runner = await TrainRunner.create(step, { seed: 0, ...SESSION });
  const host = await timeIt(() => runner.step({ x, y }), { warmup: 100, rounds: 7, calls: 60 });
  const [xs, ys] = [stack(x, MLP_K), stack(y, MLP_K)];
  const fused =
    (await timeIt(() => runner.steps({ x: xs, y: ys }, MLP_K), { warmup: 3, rounds: 7, calls: 4 })) /
    MLP_K;
  await runner.release();
  return { forward, host, fused };
}

async function benchGan(): Promise<Pass> {
  const B = 64;
  const cfg = wganDivConfig({});
  const rng = new Rng(1, "bench");
  const x = randn(B * 784, rng, Math.tanh);
  const z = () => randn(B * cfg.zDim, rng);

  const fwd = exportModel({
    name: "wgan_forward",
    inputs: { x: { dtype: "float32", shape: [B, 1, 28, 28] }, z: { dtype: "float32", shape: [B, cfg.zDim] } },
    build: (ps, i) => ({ score: reduceMean(critic(ps, concat([i.x!, generator(ps, i.z!, cfg)], 0), cfg)) }),
  });
  const step = wganDivStep(B, cfg);
  const state = step.initialState(0);
  const fwdSession = await createSession(fwd.bytes, SESSION);
  const forward = await timeIt(
    () =>
      fwdSession.run({
        x: toOrt("float32", x, [B, 1, 28, 28]),
        z: toOrt("float32", z(), [B, cfg.zDim]),
        ...Object.fromEntries(fwd.params.map((p) => [p.name, toOrt("float32", state[p.name]!, p.shape)])),
      }),
    { warmup: 3, rounds: 7, calls: 3 },
  );
  await fwdSession.release();

  const runner = await TrainRunner.create(step, { seed: 0, ...SESSION });
  const host = await timeIt(() => runner.step({ x, z_d: z(), z_g: z() }), { warmup: 2, rounds: 7, calls: 2 });
  const xs = stack(x, GAN_K);
  const fused = (await timeIt(
    () => runner.steps({ x: xs, z_d: stack(z(), GAN_K), z_g: stack(z(), GAN_K) }, GAN_K),
    { warmup: 1, rounds: 5, calls: 1 },
  )) / GAN_K;
  await runner.release();
  return { forward, host, fused };
}

if (args.values.worker) {
  const pass = args.values.worker === "mlp" ? await benchMlp() : await benchGan();
  console.log(JSON.stringify(pass));
  Deno.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Passes in fresh processes

const torchAvailable = () => !args.values["no-torch"] && torchWorks();

const ortPass = (model: "mlp" | "gan") =>
  workerPass(import.meta.url, [`--worker=${model}`, ...(SINGLE ? ["--single-thread"] : [])]);

const torchPass = (script: string, batch: number) =>
  torchScript(script, [String(batch), String(THREADS), SINGLE ? "cpu" : "wall"]);

/** `passes` alternating fresh processes of ORT and PyTorch. */
const measure = (model: "mlp" | "gan", script: string, batch: number, withTorch: boolean) =>
  alternate(
    Number(args.values.passes),
    () => ortPass(model),
    withTorch ? () => torchPass(script, batch) : undefined,
  );

// ---------------------------------------------------------------------------------------------
// --profile: where the kernel time of each train step goes

async function profileAll(): Promise<void> {
  if (args.values.only !== "gan") {
    const B = 128;
    const rng = new Rng(0, "bench");
    const x = randn(B * 784, rng);
    const y = Int32Array.from({ length: B }, () => Math.floor(rng.uniform() * 10));
    const step = mlpClassifierStep({ inputDim: 784, hidden: [256, 256], classes: 10, batch: B });
    await profileStep(
      "MLP 784-256-256-10 train step (Adam), host loop, batch 128",
      step,
      (r) => r.step({ x, y }),
      {
        warmup: 50,
        runs: 200,
      },
    );
  }
  if (args.values.only !== "mlp") {
    const B = 64;
    const cfg = wganDivConfig({});
    const rng = new Rng(1, "bench");
    const x = randn(B * 784, rng, Math.tanh);
    const z = () => randn(B * cfg.zDim, rng);
    await profileStep(
      "WGAN-div train step, host loop, batch 64",
      wganDivStep(B, cfg),
      (r) => r.step({ x, z_d: z(), z_g: z() }),
      { warmup: 3, runs: 10, top: 20 },
    );
  }
}

// ---------------------------------------------------------------------------------------------

if (args.values.profile) {
  console.log(`models/onnx profile: onnxruntime-node 1.29.0 CPU, ${navigator.hardwareConcurrency} threads`);
  await printLoad("load before");
  await profileAll();
  await printLoad("load after");
  Deno.exit(0);
}

const withTorch = torchAvailable();
console.log(
  `models/onnx benchmark: onnxruntime-node 1.29.0 CPU, ${THREADS} thread(s), ${SINGLE ? "CPU" : "wall"} time`,
);
await printLoad("load before");
const rows: Cell[][] = [];
if (args.values.only !== "gan") {
  const s = await measure("mlp", "mlp.py", 128, withTorch);
  rows.push(
    row("MLP 784-256-256-10 forward (logits + loss)", s, "forward", "forward"),
    row("MLP train step (Adam), host loop", s, "host", "step_adam"),
    row(`MLP train step (Adam), Scan K=${MLP_K}`, s, "fused", "step_adam"),
    row("  vs torch Adam(foreach=True), host loop", s, "host", "step_adam_foreach"),
    row(`  vs torch Adam(foreach=True), Scan K=${MLP_K}`, s, "fused", "step_adam_foreach"),
  );
}
if (args.values.only !== "mlp") {
  const s = await measure("gan", "wgan_div.py", 64, withTorch);
  rows.push(
    row("WGAN-div forward (G, then D on real+fake)", s, "forward", "forward"),
    row("WGAN-div train step, host loop", s, "host", "step"),
    row(`WGAN-div train step, Scan K=${GAN_K}`, s, "fused", "step"),
  );
}
printTable(
  `${SINGLE ? "CPU " : ""}ms per step, ${THREADS} thread(s): MLP batch 128, WGAN-div DCGAN size batch 64 ` +
    `(median of ${args.values.passes} fresh processes each, range in brackets; each process a median of rounds)`,
  ["variant", "ORT ms", "PyTorch eager ms", "ORT / PyTorch", "load avg per pass"],
  rows,
  withTorch
    ? `PyTorch 1.13 CPU eager, ${THREADS} thread(s), OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1; ` +
      "MLP reference: " +
      "torch Adam default (single-tensor) unless noted. Host loop: outputs fed back as inputs; Scan: K steps " +
      "per call; both with host noise, as train.run feeds them."
    : "PyTorch not available (/usr/bin/python3 -c 'import torch' failed or --no-torch): ORT numbers only.",
);
await printLoad("load after");
