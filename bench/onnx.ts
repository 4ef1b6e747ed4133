/**
 * Benchmark of the ONNX train-step graphs (models/onnx) against PyTorch CPU eager on the same models:
 *
 * (a) MLP 784-256-256-10, batch 128, softmax cross-entropy, Adam;
 * (b) the WGAN-div DCGAN step (G 760k / D 139k parameters), batch 64, critic step with the second-order
 *     gradient penalty then the generator step.
 *
 * Each is timed forward-only, as a host-loop train step (outputs fed back as inputs, noise from the
 * host) and as K steps fused in one Scan call (in-graph noise), next to PyTorch eager (bench/torch/*.py,
 * run back to back when `/usr/bin/python3 -c 'import torch'` works, with OpenBLAS pinned as
 * docs/onnx-training.md prescribes). Numbers are medians of rounds after warm-up; the machine's load is
 * printed before and after, since the box is shared.
 *
 * Run: `deno run -A bench/onnx.ts [--only mlp|gan] [--no-torch]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type Cell, printLoad, printTable } from "./_report.ts";
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

const args = parseArgs({ options: { only: { type: "string" }, "no-torch": { type: "boolean" } } });

/** Median over rounds of the mean ms per call. */
async function timeIt(fn: () => Promise<unknown>, o: { warmup: number; rounds: number; calls: number }) {
  for (let i = 0; i < o.warmup; i++) await fn();
  const rounds: number[] = [];
  for (let r = 0; r < o.rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < o.calls; i++) await fn();
    rounds.push((performance.now() - t0) / o.calls);
  }
  rounds.sort((a, b) => a - b);
  return rounds[Math.floor(rounds.length / 2)]!;
}

function randn(n: number, rng: Rng, f: (v: number) => number = (v) => v): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = f(rng.normal());
  return out;
}

function torchAvailable(): boolean {
  if (args.values["no-torch"]) return false;
  try {
    return new Deno.Command("/usr/bin/python3", { args: ["-c", "import torch"], stderr: "null" }).outputSync()
      .code === 0;
  } catch {
    return false;
  }
}

async function torch(script: string, batch: number): Promise<Record<string, number> | null> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [new URL(`./torch/${script}`, import.meta.url).pathname, String(batch)],
    env: { OPENBLAS_CORETYPE: "Cooperlake", OPENBLAS_NUM_THREADS: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    console.error(`bench/torch/${script} failed: ${new TextDecoder().decode(out.stderr).slice(-500)}`);
    return null;
  }
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
}

const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a === null || a === undefined || b === null || b === undefined ? null : Number((a / b).toFixed(2));

// ---------------------------------------------------------------------------------------------

/** One pass of ORT measurements (ms per step by variant). */
type Pass = Record<string, number>;

async function benchMlp(): Promise<Pass> {
  const B = 128;
  const K = 32;
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
  const fwdSession = await createSession(fwd.bytes);
  const state = step.initialState(0);
  const feeds = {
    x: toOrt("float32", x, [B, 784]),
    y: toOrt("int32", y, [B]),
    ...Object.fromEntries(fwd.params.map((p) => [p.name, toOrt("float32", state[p.name]!, p.shape)])),
  };
  const forward = await timeIt(() => fwdSession.run(feeds), { warmup: 100, rounds: 7, calls: 100 });
  await fwdSession.release();

  const runner = await TrainRunner.create(step, { seed: 0 });
  const host = await timeIt(() => runner.step({ x, y }), { warmup: 100, rounds: 7, calls: 60 });
  const xs = new Float32Array(K * B * 784);
  const ys = new Int32Array(K * B);
  for (let k = 0; k < K; k++) {
    xs.set(x, k * B * 784);
    ys.set(y, k * B);
  }
  const fused = (await timeIt(() => runner.steps({ x: xs, y: ys }, K), { warmup: 3, rounds: 7, calls: 4 })) /
    K;
  await runner.release();
  return { forward, host, fused };
}

async function benchGan(): Promise<Pass> {
  const B = 64;
  const K = 4;
  const cfg = wganDivConfig({});
  const rng = new Rng(1, "bench");
  const x = randn(B * 784, rng, Math.tanh);

  const fwd = exportModel({
    name: "wgan_forward",
    inputs: { x: { dtype: "float32", shape: [B, 1, 28, 28] }, z: { dtype: "float32", shape: [B, cfg.zDim] } },
    build: (ps, i) => ({ score: reduceMean(critic(ps, concat([i.x!, generator(ps, i.z!, cfg)], 0), cfg)) }),
  });
  const step = wganDivStep(B, cfg);
  const state = step.initialState(0);
  const fwdSession = await createSession(fwd.bytes);
  const forward = await timeIt(
    () =>
      fwdSession.run({
        x: toOrt("float32", x, [B, 1, 28, 28]),
        z: toOrt("float32", randn(B * cfg.zDim, rng), [B, cfg.zDim]),
        ...Object.fromEntries(fwd.params.map((p) => [p.name, toOrt("float32", state[p.name]!, p.shape)])),
      }),
    { warmup: 3, rounds: 7, calls: 3 },
  );
  await fwdSession.release();

  const runner = await TrainRunner.create(step, { seed: 0 });
  const host = await timeIt(
    () => runner.step({ x, z_d: randn(B * cfg.zDim, rng), z_g: randn(B * cfg.zDim, rng) }),
    { warmup: 2, rounds: 7, calls: 2 },
  );
  await runner.release();

  const fusedRunner = await TrainRunner.create(wganDivStep(B, { ...cfg, noise: "graph" }), { seed: 0 });
  const xs = new Float32Array(K * B * 784);
  for (let k = 0; k < K; k++) xs.set(x, k * B * 784);
  const fused = (await timeIt(() => fusedRunner.steps({ x: xs }, K), { warmup: 1, rounds: 3, calls: 1 })) / K;
  await fusedRunner.release();
  return { forward, host, fused };
}

/**
 * The box is shared and its speed drifts by ±25% over minutes, so ORT and PyTorch are measured in two
 * interleaved passes (ORT, torch, ORT, torch) and each number is the better of its two passes; the
 * spread column shows how far the passes differed.
 */
async function measure(
  ortPass: () => Promise<Pass>,
  script: string,
  batch: number,
  withTorch: boolean,
): Promise<{ ort: Pass; torch: Pass | null; spread: Pass }> {
  const o1 = await ortPass();
  const t1 = withTorch ? await torch(script, batch) : null;
  const o2 = await ortPass();
  const t2 = withTorch ? await torch(script, batch) : null;
  const best = (a: Pass, b: Pass) =>
    Object.fromEntries(Object.keys(a).map((k) => [k, Math.min(a[k]!, b[k]!)]));
  const spread = Object.fromEntries(
    Object.keys(o1).map((k) => [k, Math.abs(o1[k]! - o2[k]!) / Math.min(o1[k]!, o2[k]!)]),
  );
  return { ort: best(o1, o2), torch: t1 && t2 ? best(t1, t2) : t1 ?? t2, spread };
}

const pct = (v: number | undefined) => (v === undefined ? null : `${(100 * v).toFixed(0)}%`);

const withTorch = torchAvailable();
console.log(`models/onnx benchmark: onnxruntime-node 1.29.0 CPU, ${navigator.hardwareConcurrency} threads`);
await printLoad("load before");
const rows: Cell[][] = [];
if (args.values.only !== "gan") {
  const { ort, torch: t, spread } = await measure(benchMlp, "mlp.py", 128, withTorch);
  rows.push(
    [
      "MLP 784-256-256-10 forward (logits + loss)",
      ort.forward,
      t?.forward,
      ratio(ort.forward, t?.forward),
      pct(spread.forward),
    ],
    [
      "MLP train step (Adam), host loop",
      ort.host,
      t?.step_adam,
      ratio(ort.host, t?.step_adam),
      pct(spread.host),
    ],
    [
      "MLP train step (Adam), Scan K=32",
      ort.fused,
      t?.step_adam,
      ratio(ort.fused, t?.step_adam),
      pct(spread.fused),
    ],
    [
      "  vs torch Adam(foreach=True)",
      null,
      t?.step_adam_foreach,
      ratio(ort.host, t?.step_adam_foreach),
      null,
    ],
  );
}
if (args.values.only !== "mlp") {
  const { ort, torch: t, spread } = await measure(benchGan, "wgan_div.py", 64, withTorch);
  rows.push(
    [
      "WGAN-div forward (G, then D on real+fake)",
      ort.forward,
      t?.forward,
      ratio(ort.forward, t?.forward),
      pct(spread.forward),
    ],
    ["WGAN-div train step, host loop", ort.host, t?.step, ratio(ort.host, t?.step), pct(spread.host)],
    ["WGAN-div train step, Scan K=4", ort.fused, t?.step, ratio(ort.fused, t?.step), pct(spread.fused)],
  );
}
printTable(
  "ms per step: MLP batch 128, WGAN-div DCGAN size batch 64 (best of 2 interleaved passes, each a median of rounds)",
  ["variant", "ORT ms", "PyTorch eager ms", "ORT / PyTorch", "ORT pass spread"],
  rows,
  withTorch
    ? "PyTorch 1.13 CPU eager, 2 threads, OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1; MLP reference: " +
      "torch Adam default (single-tensor). Host loop: outputs fed back as inputs, host noise; Scan: in-graph noise."
    : "PyTorch not available (/usr/bin/python3 -c 'import torch' failed or --no-torch): ORT numbers only.",
);
await printLoad("load after");
