/**
 * The GPU check: does onnxruntime's CUDA provider train what the CPU trains, and how fast?
 *
 * For the two train steps of bench/onnx.ts, the MLP 784-256-256-10 (batch 128, Adam) and the WGAN-div
 * DCGAN step (batch 64: critic step with the second-order gradient penalty, then the generator step),
 * it takes `--steps` (20) steps on CPU and on CUDA from the same initial weights on the same batches
 * and host noise, and checks that every loss agrees within float32 tolerance: per step
 * |cuda − cpu| ≤ rtol·|cpu| + atol·scale, rtol = 1e-3, atol = 1e-4, scale = the mean |loss| over the
 * steps (wdist and loss_d cross zero). That leaves room for what legitimately differs between the two
 * (reduction order in cuBLAS against MLAS, cuDNN's convolution algorithms, 20 Adam steps compounding
 * it) and none for a wrong kernel, which is off by far more. TF32, which cuBLAS and cuDNN use by
 * default on Ampere and newer and onnxruntime-node cannot turn off, rounds inputs to 10 mantissa bits:
 * gpu_check.sh runs this check with NVIDIA_TF32_OVERRIDE=0 (plain float32), and times once more with
 * TF32 allowed. It prints ms per step on CPU and on CUDA beside PyTorch on the same models
 * (bench/gpu_check_torch.py).
 *
 * Exit codes: 0 the losses agree; 1 they do not; 2 bad usage; 3 no usable GPU (the CPU half ran and is
 * printed, with what is missing).
 *
 * Run: `bash bench/gpu_check.sh BUNDLE` on the GPU machine (it installs everything from the bundle that
 * bench/gpu_pack.ts makes); here, `deno run -A bench/gpu_check.ts --cpu-only` runs the CPU half.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  CudaUnavailableError,
  type ExecutionProvider,
  mlpClassifierStep,
  Rng,
  TrainRunner,
  type TrainStepGraph,
  type TypedArray,
  wganDivConfig,
  wganDivStep,
} from "../models/onnx/mod.ts";

/** The tolerance of a loss on CUDA against the same loss on CPU (see the module doc). */
export const TOLERANCE = { rtol: 1e-3, atol: 1e-4 } as const;

/** Each metric's value per step. */
export type Trajectory = Record<string, number[]>;

export interface MetricComparison {
  metric: string;
  /** The largest |other − ref| over the steps, and where. */
  maxAbs: number;
  worstStep: number;
  /** The bound at that step. */
  bound: number;
  ok: boolean;
}

/** Compares two trajectories of the same metrics step by step. */
export function compareTrajectories(
  ref: Trajectory,
  other: Trajectory,
  tol: { rtol: number; atol: number } = TOLERANCE,
): MetricComparison[] {
  return Object.entries(ref).map(([metric, a]) => {
    const b = other[metric] ?? [];
    const scale = a.reduce((s, v) => s + Math.abs(v), 0) / Math.max(1, a.length);
    let worst = { maxAbs: 0, worstStep: 0, bound: 0, ok: b.length === a.length };
    let worstRatio = -1;
    a.forEach((v, i) => {
      const d = Math.abs((b[i] ?? NaN) - v);
      const bound = tol.rtol * Math.abs(v) + tol.atol * scale;
      const ratio = !Number.isFinite(d) ? Infinity : bound > 0 ? d / bound : d === 0 ? 0 : Infinity;
      if (!(ratio <= 1)) worst.ok = false;
      if (ratio > worstRatio) {
        worstRatio = ratio;
        worst = { ...worst, maxAbs: d, worstStep: i, bound };
      }
    });
    return { metric, ...worst };
  });
}

interface ModelCase {
  name: string;
  /** The key of bench/gpu_check_torch.py's output for the same model. */
  torch: string;
  step: TrainStepGraph;
  batch(i: number): Record<string, TypedArray>;
}

function randn(n: number, rng: Rng, f: (v: number) => number = (v) => v): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = f(rng.normal());
  return out;
}

/** The two models, with batches that are a pure function of the step index (the same for both providers). */
export function modelCases(options: { mlpBatch?: number; ganBatch?: number } = {}): ModelCase[] {
  const B = options.mlpBatch ?? 128;
  const G = options.ganBatch ?? 64;
  const gan = wganDivConfig({});
  const memo = <T>(make: (i: number) => T) => {
    const cache = new Map<number, T>();
    return (i: number) => cache.get(i) ?? (cache.set(i, make(i)), cache.get(i)!);
  };
  return [
    {
      name: `MLP 784-256-256-10, batch ${B}, Adam`,
      torch: "mlp",
      step: mlpClassifierStep({ inputDim: 784, hidden: [256, 256], classes: 10, batch: B }),
      batch: memo((i) => {
        const rng = new Rng(1000 + i, "gpu-check-mlp");
        return {
          x: randn(B * 784, rng),
          y: Int32Array.from({ length: B }, () => Math.floor(rng.uniform() * 10)),
        };
      }),
    },
    {
      name: `WGAN-div DCGAN step, batch ${G}`,
      torch: "wgan_div",
      step: wganDivStep(G, gan),
      batch: memo((i) => {
        const rng = new Rng(2000 + i, "gpu-check-gan");
        return {
          x: randn(G * 784, rng, Math.tanh),
          z_d: randn(G * gan.zDim, rng),
          z_g: randn(G * gan.zDim, rng),
        };
      }),
    },
  ];
}

/** `steps` steps on `provider` from seed 0, then the median ms per step over `timing` more steps. */
export async function trajectory(
  c: ModelCase,
  provider: ExecutionProvider,
  steps: number,
  timing: number,
): Promise<{ losses: Trajectory; msPerStep: number }> {
  const runner = await TrainRunner.create(c.step, { seed: 0, executionProviders: [provider] });
  try {
    const losses: Trajectory = {};
    for (let i = 0; i < steps; i++) {
      const m = await runner.step(c.batch(i));
      for (const [k, v] of Object.entries(m)) (losses[k] ??= []).push(v);
    }
    const rounds: number[] = [];
    for (let r = 0; r < 3 && timing > 0; r++) {
      const t0 = performance.now();
      for (let i = 0; i < timing; i++) await runner.step(c.batch(i % steps));
      rounds.push((performance.now() - t0) / timing);
    }
    rounds.sort((a, b) => a - b);
    return { losses, msPerStep: rounds[Math.floor(rounds.length / 2)] ?? NaN };
  } finally {
    await runner.release();
  }
}

/** Why this machine cannot run CUDA sessions, or null when it has an NVIDIA GPU to try. */
export function noGpuReason(): string | null {
  try {
    const out = new Deno.Command("nvidia-smi", { args: ["-L"], stdout: "piped", stderr: "piped" })
      .outputSync();
    const text = new TextDecoder().decode(out.stdout).trim();
    if (!out.success || !/^GPU \d+:/m.test(text)) {
      return `nvidia-smi lists no GPU (${
        new TextDecoder().decode(out.stderr).trim() || text || `exit ${out.code}`
      })`;
    }
    return null;
  } catch {
    return "nvidia-smi is not installed (no NVIDIA driver)";
  }
}

/** ms per step of the same models in PyTorch (bench/gpu_check_torch.py), or why there are none. */
async function torchTimes(python: string, device: string): Promise<Record<string, number> | string> {
  try {
    const out = await new Deno.Command(python, {
      args: [new URL("./gpu_check_torch.py", import.meta.url).pathname, "--device", device],
      env: { OPENBLAS_CORETYPE: "Cooperlake", OPENBLAS_NUM_THREADS: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      return new TextDecoder().decode(out.stderr).trim().split("\n").at(-1) ?? `exit ${out.code}`;
    }
    return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
  } catch (error) {
    return `${python} cannot run: ${(error as Error).message}`;
  }
}

const f = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined || !Number.isFinite(v) ? "—" : Number(v.toPrecision(digits)).toString();

function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => "| " + r.map((c, i) => c.padEnd(w[i]!)).join(" | ") + " |";
  return [line(header), "|" + w.map((x) => "-".repeat(x + 2)).join("|") + "|", ...rows.map(line)].join("\n");
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        "cpu-only": { type: "boolean" },
        steps: { type: "string", default: "20" },
        timing: { type: "string", default: "20" },
        python: { type: "string", default: "python3" },
        "no-torch": { type: "boolean" },
        "no-judge": { type: "boolean" },
        json: { type: "string" },
        label: { type: "string", default: "" },
      },
    }).values;
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return 2;
  }
  const steps = Number(args.steps), timing = Number(args.timing);
  if (!(Number.isInteger(steps) && steps >= 2 && Number.isInteger(timing) && timing >= 0)) {
    console.error("error: --steps takes a whole number ≥ 2 and --timing one ≥ 0");
    return 2;
  }
  const cpuOnly = Boolean(args["cpu-only"]);
  const tf32 = Deno.env.get("NVIDIA_TF32_OVERRIDE") === "0" ? "off (NVIDIA_TF32_OVERRIDE=0)" : "allowed";
  console.log(
    `GPU check${args.label ? ` (${args.label})` : ""}: ${steps} steps per model on CPU${
      cpuOnly ? "" : ` and CUDA (TF32 ${tf32})`
    }, ${navigator.hardwareConcurrency} CPU threads`,
  );
  const noGpu = cpuOnly ? null : noGpuReason();
  const results = [];
  let failed = false;
  let cudaProblem: string | null = noGpu;
  for (const c of modelCases()) {
    const cpu = await trajectory(c, "cpu", steps, timing);
    // The CPU half's own check: a second CPU run is bit-identical (deterministic for a fixed thread count).
    const again = cpuOnly ? await trajectory(c, "cpu", steps, 0) : null;
    let cuda: Awaited<ReturnType<typeof trajectory>> | null = null;
    if (!cpuOnly && !cudaProblem) {
      try {
        cuda = await trajectory(c, "cuda", steps, timing);
      } catch (error) {
        if (!(error instanceof CudaUnavailableError)) throw error;
        cudaProblem = error.message;
      }
    }
    const comparison = compareTrajectories(
      cpu.losses,
      cuda?.losses ?? again?.losses ?? cpu.losses,
      cuda ? TOLERANCE : { rtol: 0, atol: 0 },
    );
    if ((cuda || again) && !args["no-judge"] && comparison.some((m) => !m.ok)) failed = true;
    results.push({
      name: c.name,
      torch: c.torch,
      cpu,
      cuda,
      comparison,
      against: cuda ? "cuda" : again ? "cpu again" : null,
    });
  }
  const torch = args["no-torch"]
    ? "not run (--no-torch)"
    : cudaProblem
    ? "not run (no usable GPU)"
    : await torchTimes(args.python!, cpuOnly ? "cpu" : "cuda");
  const torchDevice = cpuOnly ? "CPU" : "CUDA";
  console.log(
    "\n" + table(
      ["model", "ORT CPU ms/step", "ORT CUDA ms/step", `PyTorch ${torchDevice} ms/step`, "CPU / CUDA"],
      results.map((r) => [
        r.name,
        f(r.cpu.msPerStep),
        f(r.cuda?.msPerStep),
        typeof torch === "string" ? "—" : f(torch[r.torch]),
        r.cuda ? `${f(r.cpu.msPerStep / r.cuda.msPerStep, 2)}×` : "—",
      ]),
    ),
  );
  if (typeof torch === "string") console.log(`PyTorch: ${torch}`);
  for (const r of results) {
    if (!r.against) continue;
    console.log(`\n${r.name}: losses over ${steps} steps, ${r.against} against CPU`);
    console.log(table(
      ["metric", "first CPU", "last CPU", "max |Δ|", "at step", "bound there", "verdict"],
      r.comparison.map((m) => [
        m.metric,
        f(r.cpu.losses[m.metric]![0], 6),
        f(r.cpu.losses[m.metric]!.at(-1), 6),
        f(m.maxAbs),
        String(m.worstStep + 1),
        f(m.bound),
        args["no-judge"] ? (m.ok ? "(within)" : "(beyond)") : m.ok ? "ok" : "MISMATCH",
      ]),
    ));
  }
  if (args.json) {
    await Deno.writeTextFile(
      args.json,
      JSON.stringify({ label: args.label, tf32, steps, results, torch, cudaProblem }, null, 1),
    );
  }
  if (failed) {
    console.error(
      `\nFAILED: ${cpuOnly ? "two CPU runs differ" : "CUDA's losses differ from CPU's beyond the tolerance"}`,
    );
    return 1;
  }
  if (cudaProblem) {
    console.error(
      `\nNo usable NVIDIA GPU: ${cudaProblem}. The CPU half ran (above); run the check on a machine with an ` +
        `NVIDIA GPU and a CUDA 13 driver (bash bench/gpu_check.sh BUNDLE; see README "A GPU check").`,
    );
    return 3;
  }
  console.log(
    cpuOnly ? "\nok: the CPU half ran; two CPU runs are bit-identical" : "\nok: CUDA's losses match CPU's",
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main());
