/**
 * wgan-div benchmark: the default run from an empty store, as `deno task run wgan-div` (target: at
 * most 10 minutes on this 2-core machine, data prep included), with the wall time of each stage and
 * the training throughput, read back through `deno task query` like a user would.
 *
 * @module
 */
import { denoOutput, fmt, printLoad, printTable } from "./_report.ts";

const tmp = await Deno.makeTempDir({ prefix: "bench-wgan-div-" });
const env = { NO_COLOR: "1", REPRO_DATA_DIR: `${tmp}/data`, REPRO_REPORTS_DIR: `${tmp}/reports` };

async function query<T>(sql: string): Promise<T[]> {
  return JSON.parse(await denoOutput(["task", "--quiet", "query", "--json", sql], env)) as T[];
}

await printLoad("machine load before");
const started = performance.now();
await denoOutput(["task", "--quiet", "run", "wgan-div"], env);
const wall = (performance.now() - started) / 1000;
await printLoad("machine load after");

const stages = await query<{ stage: string; status: string; duration_ms: number }>(
  "select stage, status, duration_ms from stages order by started_at",
);
const rates = await query<{ stage: string; value: number; steps: number }>(
  "select stage, value, step as steps from metrics where name = 'steps_per_second' order by stage",
);
const fid = await query<{ name: string; value: number }>(
  "select name, value from metrics where stage = 'evaluate' and name in ('final_fid', 'untrained_fid', 'noise_fid', 'train_vs_test_fid', 'classifier_accuracy') order by name",
);

printTable(
  "Default wgan-div run from an empty store: wall time per stage",
  ["stage", "status", "seconds", "share"],
  [
    ...stages.map((
      s,
    ) => [s.stage, s.status, s.duration_ms / 1000, `${fmt((100 * s.duration_ms) / 1000 / wall, 2)}%`]),
    [
      "(whole command, incl. startup)",
      "",
      wall,
      wall <= 600 ? "within the 10 min target" : "OVER the 10 min target",
    ],
  ],
);
printTable(
  "Training throughput",
  ["stage", "steps", "steps/s", "ms/step"],
  rates.map((r) => [r.stage, r.steps, r.value, 1000 / r.value]),
);
printTable("Evaluation", ["metric", "value"], fid.map((f) => [f.name, f.value]));
await Deno.remove(tmp, { recursive: true });
