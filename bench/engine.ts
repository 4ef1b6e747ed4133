/**
 * Engine benchmark: wall time of a fully cached run, the number that decides whether iterating feels
 * instant. Measured as the user types it (`deno task run …`, a fresh process each time) on:
 *
 * - the gillespie pipeline (4 stages): target under 0.3 s; DVC needs about 3 s for 6 stages and
 *   Snakemake 2.45 s for a dry run (docs/pipelines.md);
 * - a synthetic 200-stage pipeline: target under 1 s.
 *
 * @module
 */
import { fmt, printLoad, printTable } from "./_report.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const REPEATS = 10;

async function timed(args: string[], env: Record<string, string>): Promise<number> {
  const t = performance.now();
  const { code, stderr } = await new Deno.Command(args[0]!, {
    args: args.slice(1),
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`${args.join(" ")} failed: ${new TextDecoder().decode(stderr)}`);
  return performance.now() - t;
}

function stats(ms: number[]): { median: number; min: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
}

/** A pipeline of `n` stages: a chain of layers, each stage reading one or two stages of the layer before. */
async function syntheticPipeline(dir: string, n: number): Promise<string> {
  const engine = new URL("../engine/", import.meta.url).href;
  await Deno.writeTextFile(
    `${dir}/stages.ts`,
    `import { z } from "zod";
import { defineStage } from "${engine}stage.ts";
export const step = defineStage({
  kind: "synthetic.step",
  module: import.meta.url,
  description: "writes its index and the sum of its inputs",
  params: z.object({ index: z.number().int() }).strict(),
  inputs: ["a", "b"],
  async run(ctx) {
    let sum = ctx.params.index;
    for (const dir of [ctx.inputs.a, ctx.inputs.b]) if (dir) sum += Number(await Deno.readTextFile(dir + "/value.txt"));
    await Deno.writeTextFile(ctx.outDir + "/value.txt", String(sum % 1000003));
  },
});
export const root = defineStage({
  kind: "synthetic.root",
  module: import.meta.url,
  description: "a constant",
  params: z.object({}).strict(),
  inputs: [],
  async run(ctx) { await Deno.writeTextFile(ctx.outDir + "/value.txt", "1"); },
});
`,
  );
  const width = 10;
  const lines = [`  s0: use(root),`];
  for (let i = 1; i < n; i++) {
    const a = Math.max(0, i - width);
    const b = Math.max(0, i - width - 1 - (i % 3));
    lines.push(`  s${i}: use(step, { params: { index: ${i} }, inputs: { a: "s${a}", b: "s${b}" } }),`);
  }
  await Deno.writeTextFile(
    `${dir}/pipeline.ts`,
    `import { z } from "zod";
import { definePipeline, use } from "${engine}pipeline.ts";
import { root, step } from "./stages.ts";
export const pipeline = definePipeline({
  name: "synthetic",
  description: "${n} small stages",
  article: { title: "none", url: "https://example.org" },
  params: z.object({}).strict(),
  stages: () => ({
${lines.join("\n")}
  }),
});
`,
  );
  return `${dir}/pipeline.ts`;
}

await printLoad();
const tmp = await Deno.makeTempDir({ prefix: "bench-engine-" });
const env = { REPRO_DATA_DIR: `${tmp}/data`, REPRO_REPORTS_DIR: `${tmp}/reports` };
const deno = Deno.execPath();
const rows: (string | number)[][] = [];

// gillespie: fill the cache once, then time cached runs.
const first = await timed([deno, "task", "run", "gillespie"], env);
const task: number[] = [];
const direct: number[] = [];
for (let i = 0; i < REPEATS; i++) {
  task.push(await timed([deno, "task", "run", "gillespie"], env));
  direct.push(await timed([deno, "run", "-A", "--quiet", "engine/cli.ts", "run", "gillespie"], env));
}
const bare: number[] = [];
await Deno.writeTextFile(`${tmp}/empty.ts`, "");
for (let i = 0; i < REPEATS; i++) bare.push(await timed([deno, "run", "--quiet", `${tmp}/empty.ts`], {}));

const s = stats(task);
rows.push(["gillespie (4 stages), deno task run, all cached", s.median, s.min, s.max, 300]);
const d = stats(direct);
rows.push([
  "gillespie, deno run engine/cli.ts (no task runner)",
  d.median,
  d.min,
  d.max,
  null as unknown as number,
]);

// 200 stages.
await Deno.mkdir(`${tmp}/synthetic`);
const synthetic = await syntheticPipeline(`${tmp}/synthetic`, 200);
const firstSynthetic = await timed([deno, "task", "run", "--file", synthetic], env);
const syn: number[] = [];
for (let i = 0; i < REPEATS; i++) syn.push(await timed([deno, "task", "run", "--file", synthetic], env));
const y = stats(syn);
rows.push(["synthetic 200 stages, deno task run, all cached", y.median, y.min, y.max, 1000]);
const b = stats(bare);
rows.push(["(reference) deno run of an empty file", b.median, b.min, b.max, null as unknown as number]);

printTable(
  `Cached run wall time, ms (${REPEATS} runs each, fresh process per run)`,
  ["case", "median", "min", "max", "target"],
  rows,
  `First (uncached) runs: gillespie ${fmt(first / 1000)} s, synthetic 200 stages ${
    fmt(firstSynthetic / 1000)
  } s. ` +
    "References from docs/pipelines.md: DVC no-op repro of 6 stages ≈ 3 s; Snakemake dry run of 220 rules 2.45 s; Bazel null build ≈ 0.5 s.",
);
await Deno.remove(tmp, { recursive: true });
