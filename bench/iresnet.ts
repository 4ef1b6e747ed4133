/**
 * i-ResNet train-step throughput (models/onnx/models/iresnet.ts at the iresnet pipeline's default size:
 * 6 blocks of 2 → 64 → 64 → 2, batch 256, the 5-term Hutchinson series trained through second order,
 * one power iteration per step on the carried vectors, Adam), onnxruntime's host-loop step and the
 * Scan-fused K = 5 step that train.run runs (log every 50), next to PyTorch 1.13 CPU eager on the same
 * model (bench/torch/iresnet.py, OpenBLAS pinned) when `/usr/bin/python3 -c 'import torch'` works.
 * Target: within 1.2× of PyTorch.
 *
 * Run: `deno task bench iresnet [--single-thread] [--passes=N]`. Each pass is a fresh process per runtime,
 * alternating; `--single-thread` runs both on one thread and times process CPU time, which the shared
 * machine disturbs far less than wall time.
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { fmt, printLoad, printTable } from "./_report.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    passes: { type: "string", default: "3" },
    "single-thread": { type: "boolean" },
    worker: { type: "boolean" },
  },
});
const SINGLE = args.values["single-thread"] === true;
const THREADS = SINGLE ? 1 : 2;
const SIZE = { blocks: 6, hidden: 64, batch: 256, terms: 5 };
const K = 5;

const clock = SINGLE
  ? () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
  : () => performance.now();

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function timeIt(fn: () => Promise<unknown>, o: { warmup: number; rounds: number; calls: number }) {
  for (let i = 0; i < o.warmup; i++) await fn();
  const rounds: number[] = [];
  for (let r = 0; r < o.rounds; r++) {
    const t0 = clock();
    for (let i = 0; i < o.calls; i++) await fn();
    rounds.push((clock() - t0) / o.calls);
  }
  return median(rounds);
}

/** One ORT pass: ms per step of the host loop and of the fused step. */
async function worker(): Promise<Record<string, number>> {
  const { IRESNET_TOY, iresnetStep } = await import("../models/onnx/models/iresnet.ts");
  const { TrainRunner } = await import("../models/onnx/runner.ts");
  const { Rng } = await import("../models/onnx/init.ts");
  const step = iresnetStep(
    { ...IRESNET_TOY, blocks: SIZE.blocks, hidden: [SIZE.hidden, SIZE.hidden], seriesTerms: SIZE.terms },
    { batch: SIZE.batch, lr: 1e-3 },
  );
  const runner = await TrainRunner.create(step, { seed: 0, intraOpNumThreads: THREADS });
  const rng = new Rng(0, "bench");
  const x = Float32Array.from({ length: SIZE.batch * 2 }, () => rng.normal());
  const xk = new Float32Array(x.length * K);
  for (let i = 0; i < K; i++) xk.set(x, i * x.length);
  const host = await timeIt(() => runner.step({ x }), { warmup: 10, rounds: 5, calls: 20 });
  const fused = (await timeIt(() => runner.steps({ x: xk }, K), { warmup: 2, rounds: 5, calls: 4 })) / K;
  await runner.release();
  return { host, fused };
}

if (args.values.worker) {
  console.log(JSON.stringify(await worker()));
  Deno.exit(0);
}

async function lastJsonLine(cmd: Deno.Command, what: string): Promise<Record<string, number>> {
  const out = await cmd.output();
  if (out.code !== 0) {
    throw new Error(`${what} failed (exit ${out.code}): ${new TextDecoder().decode(out.stderr).slice(-800)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
}

const torchAvailable = (() => {
  try {
    return new Deno.Command("/usr/bin/python3", { args: ["-c", "import torch"], stderr: "null" }).outputSync()
      .code === 0;
  } catch {
    return false;
  }
})();

await printLoad("machine load before");
const ort: Record<string, number>[] = [], torch: number[] = [];
const passes = Number(args.values.passes);
for (let i = 0; i < passes; i++) {
  ort.push(
    await lastJsonLine(
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--quiet",
          new URL(import.meta.url).pathname,
          "--worker",
          ...(SINGLE ? ["--single-thread"] : []),
        ],
        stdout: "piped",
        stderr: "piped",
      }),
      "bench/iresnet.ts --worker",
    ),
  );
  if (torchAvailable) {
    const r = await lastJsonLine(
      new Deno.Command("/usr/bin/python3", {
        args: [
          new URL("./torch/iresnet.py", import.meta.url).pathname,
          ...[SIZE.blocks, SIZE.hidden, SIZE.batch, SIZE.terms].map(String),
          String(THREADS),
          SINGLE ? "cpu" : "wall",
        ],
        env: { OPENBLAS_CORETYPE: "Cooperlake", OPENBLAS_NUM_THREADS: "1" },
        stdout: "piped",
        stderr: "piped",
      }),
      "bench/torch/iresnet.py",
    );
    torch.push(r.step!);
  }
}
await printLoad("machine load after");
const t = torchAvailable ? median(torch) : null;
const row = (name: string, ms: number[]) => {
  const m = median(ms);
  return [name, m, 1000 / m, t ? 1000 / t : null, t ? m / t : null, ms.map((v) => fmt(v)).join(", ")];
};
printTable(
  `i-ResNet train step (${SIZE.blocks} blocks × ${SIZE.hidden}, batch ${SIZE.batch}, ${SIZE.terms}-term series, ` +
    `second order), ${THREADS} thread(s), ${
      SINGLE ? "process CPU time" : "wall time"
    }, median of ${passes} passes`,
  ["variant", "ms/step", "steps/s", "PyTorch steps/s", "ORT / PyTorch time", "passes (ms)"],
  [
    row("ORT host loop", ort.map((o) => o.host!)),
    row(`ORT Scan K = ${K} (train.run)`, ort.map((o) => o.fused!)),
    ...(t ? [["PyTorch eager", t, 1000 / t, 1000 / t, 1, torch.map((v) => fmt(v)).join(", ")]] : []),
  ],
  torchAvailable
    ? "PyTorch 1.13 CPU eager (bench/torch/iresnet.py), OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1. Target: ORT / PyTorch ≤ 1.2."
    : "PyTorch not available (/usr/bin/python3 -c 'import torch' failed): ORT numbers only.",
);
