/**
 * Shared by the benchmarks' `--profile` modes (bench/onnx.ts, bench/latent.ts): onnxruntime's profiler on
 * a train step, its kernel time printed by part of the step, by op type and by layer path
 * (models/onnx/profile.ts).
 *
 * @module
 */
import { loadAverage } from "./_passes.ts";
import { type Cell, fmt, printTable } from "./_report.ts";
import { type ProfileRow, readProfile, summarizeProfile, TrainRunner } from "../models/onnx/mod.ts";
import type { TrainStepGraph } from "../models/onnx/train_step.ts";

/**
 * Profiles `runs` calls of a train step (after `warmup` calls) with onnxruntime's profiler and prints
 * its kernel time by part of the step, by op type and by layer path.
 */
export async function profileStep(
  title: string,
  step: TrainStepGraph,
  call: (runner: TrainRunner) => Promise<unknown>,
  o: { warmup: number; runs: number; top?: number },
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ort-profile-" });
  try {
    const runner = await TrainRunner.create(step, { seed: 0, profileFilePrefix: `${dir}/profile` });
    for (let i = 0; i < o.warmup + o.runs; i++) await call(runner);
    runner.endProfiling();
    await runner.release();
    const files = [...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`).filter((f) =>
      f.endsWith(".json")
    );
    if (files.length !== 1) throw new Error(`expected one profile file in ${dir}, found ${files.length}`);
    const s = summarizeProfile(await readProfile(files[0]!), { skipRuns: o.warmup });
    const top = o.top ?? 14;
    const rows = (list: readonly ProfileRow[], n: number): Cell[][] => {
      const shown = list.slice(0, n).map((
        r,
      ): Cell[] => [r.key, r.ms, `${(100 * r.share).toFixed(1)}%`, r.calls]);
      const rest = list.slice(n);
      if (rest.length > 0) {
        const ms = rest.reduce((a, r) => a + r.ms, 0);
        const share = rest.reduce((a, r) => a + r.share, 0);
        const calls = rest.reduce((a, r) => a + r.calls, 0);
        shown.push([`(${rest.length} more)`, ms, `${(100 * share).toFixed(1)}%`, calls]);
      }
      return shown;
    };
    console.log(
      `\n## ${title}: ${s.runs} profiled runs, ${fmt(s.runMs)} ms per run, ${
        fmt(s.kernelMs)
      } ms of kernels ` +
        `(load average ${loadAverage().toFixed(2)})`,
    );
    printTable(
      "by part of the step (layer path prefix)",
      ["part", "ms", "share", "kernels"],
      rows(s.byPart, 8),
    );
    printTable("by op type", ["op", "ms", "share", "kernels"], rows(s.byOp, top));
    printTable("by layer path", ["layer path", "ms", "share", "kernels"], rows(s.byPath, top));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
