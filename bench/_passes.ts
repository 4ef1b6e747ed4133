/**
 * Shared machinery of the benchmarks that compare onnxruntime with PyTorch on the same model: timing
 * loops, workers in fresh processes, and passes that alternate ORT and PyTorch processes so that the
 * drift of a shared box hits both sides alike.
 *
 * @module
 */
import process from "node:process";
import { type Cell, fmt } from "./_report.ts";
import type { Rng } from "../models/onnx/mod.ts";

/** One process's measurements (ms by variant). */
export type Pass = Record<string, number>;

/** A clock in milliseconds: process CPU time (`cpu`), which other processes barely disturb, or wall time. */
export const clockOf = (cpu: boolean): () => number =>
  cpu
    ? () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    }
    : () => performance.now();

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Median over rounds of the mean ms per call of `fn`, after `warmup` calls. */
export async function timeIt(
  fn: () => Promise<unknown>,
  o: { warmup: number; rounds: number; calls: number; clock: () => number },
): Promise<number> {
  for (let i = 0; i < o.warmup; i++) await fn();
  const rounds: number[] = [];
  for (let r = 0; r < o.rounds; r++) {
    const t0 = o.clock();
    for (let i = 0; i < o.calls; i++) await fn();
    rounds.push((o.clock() - t0) / o.calls);
  }
  return median(rounds);
}

/** `n` standard normal draws, each mapped by `f`. */
export function randn(n: number, rng: Rng, f: (v: number) => number = (v) => v): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = f(rng.normal());
  return out;
}

/** `k` copies of `a` back to back (a stacked batch for k fused steps). */
export function stack<T extends Float32Array | Int32Array>(a: T, k: number): T {
  const out = new (a.constructor as new (n: number) => T)(a.length * k);
  for (let i = 0; i < k; i++) out.set(a, i * a.length);
  return out;
}

/** Runs `cmd` and parses the last line of its stdout as JSON; names `what` if it fails. */
export async function lastJsonLine(cmd: Deno.Command, what: string): Promise<Pass> {
  const out = await cmd.output();
  if (out.code !== 0) {
    throw new Error(`${what} failed (exit ${out.code}): ${new TextDecoder().decode(out.stderr).slice(-800)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
}

/** This script again in a fresh process with `args` (a worker), its last stdout line as JSON. */
export const workerPass = (script: string | URL, args: string[]): Promise<Pass> =>
  lastJsonLine(
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", new URL(script).pathname, ...args],
      stdout: "piped",
      stderr: "piped",
    }),
    `${new URL(script).pathname.split("/").slice(-2).join("/")} ${args.join(" ")}`,
  );

/** Whether the PyTorch references can run (`/usr/bin/python3 -c 'import torch'` works). */
export function torchAvailable(): boolean {
  try {
    return new Deno.Command("/usr/bin/python3", { args: ["-c", "import torch"], stderr: "null" }).outputSync()
      .code === 0;
  } catch {
    return false;
  }
}

/** bench/torch/`script` with `args`, OpenBLAS pinned as docs/onnx-training.md prescribes. */
export const torchPass = (script: string, args: string[]): Promise<Pass> =>
  lastJsonLine(
    new Deno.Command("/usr/bin/python3", {
      args: [new URL(`./torch/${script}`, import.meta.url).pathname, ...args],
      env: { OPENBLAS_CORETYPE: "Cooperlake", OPENBLAS_NUM_THREADS: "1" },
      stdout: "piped",
      stderr: "piped",
    }),
    `bench/torch/${script}`,
  );

export const loadAverage = (): number => Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);

/** Alternating passes of ORT and PyTorch processes, with the load average at the start of each. */
export interface Series {
  ort: Pass[];
  torch: Pass[];
  loads: number[];
}

/** `passes` alternating fresh processes: `ort()`, then `torch()` when given. */
export async function alternate(
  passes: number,
  ort: () => Promise<Pass>,
  torch?: () => Promise<Pass>,
): Promise<Series> {
  const s: Series = { ort: [], torch: [], loads: [] };
  for (let i = 0; i < passes; i++) {
    s.loads.push(loadAverage());
    s.ort.push(await ort());
    if (torch) s.torch.push(await torch());
  }
  return s;
}

/** "median (min–max)" of one variant over the passes. */
export function stat(passes: readonly Pass[], key: string): { median: number; text: string } | null {
  const v = passes.map((p) => p[key]).filter((x): x is number => x !== undefined);
  if (v.length === 0) return null;
  const m = median(v);
  return {
    median: m,
    text: v.length > 1 ? `${fmt(m)} (${fmt(Math.min(...v))}–${fmt(Math.max(...v))})` : fmt(m),
  };
}

/** A table row: label, ORT, PyTorch, their ratio, the loads. */
export function ratioRow(label: string, s: Series, ortKey: string, torchKey: string): Cell[] {
  const o = stat(s.ort, ortKey);
  const t = stat(s.torch, torchKey);
  return [
    label,
    o?.text,
    t?.text,
    o && t ? Number((o.median / t.median).toFixed(2)) : null,
    s.loads.map((l) => l.toFixed(1)).join(" "),
  ];
}
