/**
 * `deno task bench flows`: training throughput of the normalising flows' default (small) models, ours
 * (onnxruntime, 2 threads) beside PyTorch CPU eager on the same model (bench/torch/nice.py, glow.py,
 * fvae.py, OpenBLAS pinned as docs/onnx-training.md prescribes):
 *
 * - nice: 4 additive couplings of 5 × 200 ReLU layers on 784 values, batch 128, Adam (pipelines/nice, small);
 * - realnvp-glow: Glow L = 2, K = 4, 32 channels, affine coupling, LU 1×1 conv, batch 32 (small);
 * - f-vae: the f-VAE of pipelines/f_vae at its small size (E/G 2 × (squeeze + 4 residual steps), F L = 2,
 *   K = 4, 32 channels, additive, shuffle), batch 32.
 *
 * Ours is timed as train.run steps them: one host call per step, and K = 10 steps fused in one Scan call.
 * The machine is shared, so ours and PyTorch alternate over `--passes` (default 2) and the table shows the
 * median of the passes with the load average at the start of each. `--profile` prints instead where the
 * kernel time of each of our steps goes, by op type and by layer path (models/onnx/profile.ts).
 *
 * `--single-thread` runs both on one thread and times process CPU time instead of wall time: the work per
 * step, which the other processes of the shared machine barely disturb (2-thread wall time can move by 4×:
 * PyTorch's OpenMP threads wait on each other when the cores are oversubscribed).
 *
 * Run: `deno task bench flows [--passes=N] [--no-torch] [--single-thread] [--profile]`
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { type Cell, fmt, printLoad, printTable } from "./_report.ts";
import { fvaeStep } from "../models/onnx/models/f_vae.ts";
import { glowModel } from "../models/onnx/models/glow.ts";
import { flowStep } from "../models/onnx/models/image_flow.ts";
import { niceModel } from "../models/onnx/models/nice.ts";
import { type ProfileRow, readProfile, summarizeProfile } from "../models/onnx/profile.ts";
import { TrainRunner } from "../models/onnx/runner.ts";
import type { TrainStepGraph } from "../models/onnx/train_step.ts";
import { Rng } from "../stages/data/random.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    passes: { type: "string", default: "2" },
    "no-torch": { type: "boolean" },
    "single-thread": { type: "boolean" },
    profile: { type: "boolean" },
  },
});

const SINGLE = args.values["single-thread"] === true;
const THREADS = SINGLE ? 1 : 2;
/** Wall time, or with --single-thread this process's CPU time (user + system), in ms. */
const clock =
  () => (SINGLE ? (process.cpuUsage().user + process.cpuUsage().system) / 1000 : performance.now());
const IMAGE = [1, 28, 28] as const;
const FUSED = 10;

/** The three default models, as their pipelines' small scale builds them. */
const MODELS: Record<string, { step: () => TrainStepGraph; batch: number; shape: number[]; script: string }> =
  {
    nice: {
      step: () =>
        flowStep(niceModel({ couplings: 4, depth: 5, hidden: 200, prior: "gaussian" }, IMAGE), {
          batch: 128,
          lr: 3e-3,
        }),
      batch: 128,
      shape: [784],
      script: "nice.py",
    },
    "realnvp-glow": {
      step: () =>
        flowStep(
          glowModel(
            { levels: 2, depth: 4, hidden: 32, coupling: "affine", permutation: "conv1x1", seed: 0 },
            IMAGE,
          ),
          { batch: 32, lr: 1e-3 },
        ),
      batch: 32,
      shape: [...IMAGE],
      script: "glow.py",
    },
    "f-vae": {
      step: () =>
        fvaeStep({
          image: IMAGE,
          squeezes: 2,
          residual: 4,
          residualHidden: 0,
          flow: { levels: 2, depth: 4, hidden: 32, coupling: "additive", permutation: "shuffle", seed: 0 },
          sigma1: 0.5,
          sigma2: 0.3,
        }, { batch: 32, lr: 1e-3 }),
      batch: 32,
      shape: [...IMAGE],
      script: "fvae.py",
    },
  };

const loadAverage = () => Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

function batchOf(name: string, steps: number): Float32Array {
  const m = MODELS[name]!;
  const rng = new Rng(0);
  return Float32Array.from(
    { length: steps * m.batch * m.shape.reduce((a, b) => a * b, 1) },
    () => rng.float(),
  );
}

/** Median ms per step over rounds after warm-up: host calls and fused ×FUSED. */
async function ours(name: string): Promise<{ host: number; fused: number }> {
  const runner = await TrainRunner.create(MODELS[name]!.step(), { seed: 0, intraOpNumThreads: THREADS });
  const one = batchOf(name, 1);
  const many = batchOf(name, FUSED);
  const rounds = async (fn: () => Promise<unknown>, perCall: number) => {
    for (let i = 0; i < 2; i++) await fn();
    const r: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = clock();
      await fn();
      r.push((clock() - t0) / perCall);
    }
    return median(r);
  };
  const host = await rounds(async () => {
    for (let i = 0; i < 4; i++) await runner.step({ x: one });
  }, 4);
  const fused = await rounds(() => runner.steps({ x: many }, FUSED), FUSED);
  await runner.release();
  return { host, fused };
}

async function torch(script: string): Promise<number | null> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [new URL(`./torch/${script}`, import.meta.url).pathname, ...(SINGLE ? ["--single-thread"] : [])],
    env: { OPENBLAS_CORETYPE: "Cooperlake", OPENBLAS_NUM_THREADS: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    console.error(`bench/torch/${script} failed: ${new TextDecoder().decode(out.stderr).slice(-400)}`);
    return null;
  }
  const line = new TextDecoder().decode(out.stdout).trim().split("\n").pop()!;
  return Object.values(JSON.parse(line) as Record<string, number>)[0]!;
}

async function profile(name: string): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ort-profile-flows-" });
  try {
    const runner = await TrainRunner.create(MODELS[name]!.step(), {
      seed: 0,
      intraOpNumThreads: THREADS,
      profileFilePrefix: `${dir}/profile`,
    });
    const x = batchOf(name, 1);
    const warmup = 3, runs = 10;
    for (let i = 0; i < warmup + runs; i++) await runner.step({ x });
    runner.endProfiling();
    await runner.release();
    const file = [...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`).find((f) => f.endsWith(".json"))!;
    const s = summarizeProfile(await readProfile(file), { skipRuns: warmup });
    const rows = (list: readonly ProfileRow[]): Cell[][] =>
      list.slice(0, 10).map((r) => [r.key, r.ms, `${(100 * r.share).toFixed(1)}%`, r.calls]);
    console.log(
      `\n## ${name}: ${s.runs} profiled steps, ${fmt(s.runMs)} ms per step, ${
        fmt(s.kernelMs)
      } ms of kernels ` +
        `(load average ${loadAverage().toFixed(2)})`,
    );
    printTable("by op type", ["op", "ms", "share", "kernels"], rows(s.byOp));
    printTable("by layer path", ["layer path", "ms", "share", "kernels"], rows(s.byPath));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

await printLoad("before");
if (args.values.profile) {
  for (const name of Object.keys(MODELS)) await profile(name);
} else {
  const passes = Number(args.values.passes);
  const rows: Cell[][] = [];
  for (const [name, m] of Object.entries(MODELS)) {
    const host: number[] = [], fused: number[] = [], ref: number[] = [], loads: number[] = [];
    for (let i = 0; i < passes; i++) {
      loads.push(loadAverage());
      const o = await ours(name);
      host.push(o.host);
      fused.push(o.fused);
      if (!args.values["no-torch"]) {
        const t = await torch(m.script);
        if (t !== null) ref.push(t);
      }
    }
    const t = ref.length ? median(ref) : null;
    rows.push([
      name,
      median(host),
      median(fused),
      t,
      t ? Number((median(host) / t).toFixed(2)) : null,
      t ? Number((median(fused) / t).toFixed(2)) : null,
      loads.map((l) => l.toFixed(1)).join(" "),
    ]);
  }
  printTable(
    `Flows: one maximum-likelihood train step of each pipeline's default model (${
      SINGLE ? "CPU ms per step, one thread each" : "ms per step, 2 threads"
    }, median of passes)`,
    [
      "model",
      "ours host",
      `ours fused ×${FUSED}`,
      "PyTorch eager",
      "host / PyTorch",
      "fused / PyTorch",
      "load",
    ],
    rows,
    "Target: ours within 1.2× of PyTorch. `--profile` shows where our step's time goes.",
  );
}
await printLoad("after");
