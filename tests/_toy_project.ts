/**
 * A throwaway project for engine tests: a small pipeline whose modules live in a temp folder, so that
 * tests can edit imported code, corrupt outputs and kill runs without touching the repository.
 *
 * ```
 *   source ──► double ──► total
 *      └─────► count
 *   reader                          (only with --set external=true)
 * ```
 *
 * `double` lives in its own module, which imports lib.ts (edit it to test code-change detection); `double.label` changes its key but
 * not its output (to test early cutoff); `double.fail` makes it throw; `source.sleepMs` makes source
 * slow and write a `started` marker to $TOY_MARKER (to kill it mid-stage); `count.offset` changes
 * only count. `reader` lives in its own module and copies the external file `external/input.txt`, which
 * it declares with `externalFiles` (edit it to test that a source file's content is in the key);
 * $TOY_READER_SLEEP_MS makes it slow and write a `started` marker to $TOY_MARKER. (Its params cannot be
 * --set: the engine routes --set by the stage names of the default pipeline params, which lack it.)
 *
 * @module
 */

const ENGINE = new URL("../engine/", import.meta.url).href;
export { CLI, cli, type CliResult } from "./_cli.ts";

const LIB = `export function transform(x: number): number {
  return x * 2;
}
`;

const STAGES = `import { z } from "zod";
import { defineStage } from "${ENGINE}stage.ts";

export const source = defineStage({
  kind: "toy.source",
  module: import.meta.url,
  description: "numbers 0..n-1 shifted by seed",
  params: z.object({ n: z.number().int().min(1).default(5), seed: z.number().int().default(0), sleepMs: z.number().default(0) }).strict(),
  inputs: [],
  async run(ctx) {
    if (ctx.params.sleepMs > 0) {
      await Deno.writeTextFile(Deno.env.get("TOY_MARKER") ?? "/dev/null", "started");
      for (let t = 0; t < ctx.params.sleepMs; t += 20) {
        await new Promise((r) => setTimeout(r, 20));
        ctx.signal.throwIfAborted();
      }
    }
    const xs = Array.from({ length: ctx.params.n }, (_, i) => i + ctx.params.seed);
    await Deno.writeTextFile(ctx.outDir + "/numbers.json", JSON.stringify(xs));
  },
});

export const total = defineStage({
  kind: "toy.total",
  module: import.meta.url,
  description: "sums",
  params: z.object({}).strict(),
  inputs: ["doubled"],
  async run(ctx) {
    const xs: number[] = JSON.parse(await Deno.readTextFile(ctx.inputs.doubled + "/nested/doubled.json"));
    const sum = xs.reduce((a, b) => a + b, 0);
    xs.forEach((x, i) => ctx.metrics(i, { value: x, running: xs.slice(0, i + 1).reduce((a, b) => a + b, 0) }));
    await Deno.writeTextFile(ctx.outDir + "/sum.txt", String(sum));
  },
});

export const count = defineStage({
  kind: "toy.count",
  module: import.meta.url,
  description: "counts",
  params: z.object({ offset: z.number().int().default(0) }).strict(),
  inputs: ["numbers"],
  async run(ctx) {
    const xs: number[] = JSON.parse(await Deno.readTextFile(ctx.inputs.numbers + "/numbers.json"));
    await Deno.writeTextFile(ctx.outDir + "/count.txt", String(xs.length + ctx.params.offset));
  },
});
`;

const DOUBLE = `import { z } from "zod";
import { defineStage } from "${ENGINE}stage.ts";
import { transform } from "./lib.ts";

export const double = defineStage({
  kind: "toy.double",
  module: import.meta.url,
  description: "doubles every number",
  params: z.object({ label: z.string().default("x"), fail: z.boolean().default(false) }).strict(),
  inputs: ["numbers"],
  async run(ctx) {
    if (ctx.params.fail) throw new Error("boom: asked to fail");
    const xs: number[] = JSON.parse(await Deno.readTextFile(ctx.inputs.numbers + "/numbers.json"));
    await Deno.mkdir(ctx.outDir + "/nested");
    await Deno.writeTextFile(ctx.outDir + "/nested/doubled.json", JSON.stringify(xs.map(transform)));
  },
});
`;

const READER = `import { z } from "zod";
import { defineStage } from "${ENGINE}stage.ts";

export const reader = defineStage({
  kind: "toy.reader",
  module: import.meta.url,
  description: "copies an external file",
  params: z.object({ path: z.string() }).strict(),
  externalFiles: (p) => [p.path],
  inputs: [],
  async run(ctx) {
    const sleepMs = Number(Deno.env.get("TOY_READER_SLEEP_MS") ?? 0);
    if (sleepMs > 0) {
      await Deno.writeTextFile(Deno.env.get("TOY_MARKER") ?? "/dev/null", "started");
      await new Promise((r) => setTimeout(r, sleepMs));
    }
    await Deno.copyFile(ctx.params.path, ctx.outDir + "/copy.txt");
  },
});
`;

const PIPELINE = `import { z } from "zod";
import { definePipeline, use } from "${ENGINE}pipeline.ts";
import { count, source, total } from "./stages.ts";
import { double } from "./double.ts";
import { reader } from "./reader.ts";

export const pipeline = definePipeline({
  name: "toy",
  description: "a toy pipeline for engine tests",
  article: { title: "none", url: "https://example.org" },
  params: z.object({ size: z.enum(["small", "big"]).default("small"), external: z.boolean().default(false) }).strict(),
  stages: (p) => ({
    source: use(source, { params: { n: p.size === "big" ? 50 : 5 } }),
    double: use(double, { inputs: { numbers: "source" } }),
    total: use(total, { inputs: { doubled: "double" } }),
    count: use(count, { inputs: { numbers: "source" } }),
    ...(p.external ? { reader: use(reader, { params: { path: EXTERNAL } }) } : {}),
  }),
  headline: { stage: "total", metric: "running", label: "sum" },
});
`;

export interface ToyProject {
  dir: string;
  pipeline: string;
  data: string;
  reports: string;
  lib: string;
  /** The external file the reader stage copies (declared in its externalFiles). */
  external: string;
}

/** Creates a toy project in a fresh temp folder. */
export async function makeToyProject(): Promise<ToyProject> {
  const dir = await Deno.makeTempDir({ prefix: "toy-project-" });
  await Deno.writeTextFile(`${dir}/lib.ts`, LIB);
  await Deno.writeTextFile(`${dir}/stages.ts`, STAGES);
  await Deno.writeTextFile(`${dir}/double.ts`, DOUBLE);
  await Deno.mkdir(`${dir}/external`);
  await Deno.writeTextFile(`${dir}/external/input.txt`, "hello\n");
  await Deno.writeTextFile(`${dir}/reader.ts`, READER);
  await Deno.writeTextFile(
    `${dir}/pipeline.ts`,
    PIPELINE.replace("EXTERNAL", JSON.stringify(`${dir}/external/input.txt`)),
  );
  return {
    dir,
    pipeline: `${dir}/pipeline.ts`,
    data: `${dir}/data`,
    reports: `${dir}/reports`,
    lib: `${dir}/lib.ts`,
    external: `${dir}/external/input.txt`,
  };
}
