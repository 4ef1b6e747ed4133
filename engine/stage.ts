/**
 * The stage API: what a pipeline step declares and what its run function receives.
 *
 * A stage kind is a pure step. It declares a zod params schema and the names of its inputs, and its
 * `run` writes files into a fresh output folder. It reads nothing it did not declare: its inputs'
 * folders, its params, the code of its module (whose transitive local imports are hashed into the
 * cache key, see code_digest.ts) and the files outside the store named by `externalFiles` (whose
 * contents are hashed into the key too, see file_digest.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { z } from "zod";
 * import { defineStage } from "./stage.ts";
 * import { runStageForTest } from "./testing.ts";
 *
 * export const simulate = defineStage({
 *   kind: "gillespie.simulate",
 *   module: import.meta.url,
 *   description: "Gillespie trajectories of the two-stage gene expression model",
 *   params: z.object({ seed: z.number().int().default(0) }).strict(),
 *   inputs: [],
 *   async run(ctx) {
 *     await Deno.writeTextFile(`${ctx.outDir}/x.json`, JSON.stringify(ctx.params));
 *   },
 * });
 * const { outDir } = await runStageForTest(simulate, { params: { seed: 7 } }); // as the engine would run it
 * assert.equal(await Deno.readTextFile(`${outDir}/x.json`), '{"seed":7}');
 * await Deno.remove(outDir, { recursive: true });
 * ```
 *
 * @module
 */
import type { z } from "zod";
import type { ClaimVerdict } from "./claims.ts";

/** What a report stage knows of its pipeline (StageKind.readsPipeline). */
export interface PipelineAbout {
  name: string;
  description: string;
  article: { title: string; url: string; date?: string };
}

/** A progress update of long work: shown as a live line on a TTY and as milestone lines in logs. */
export interface ProgressUpdate {
  done: number;
  total: number;
  /** Short free text after the counter, e.g. "loss_d -0.31 loss_g 0.12". */
  text?: string;
}

/** Provenance of one upstream stage, as recorded when its output was produced. */
export interface UpstreamRecord {
  stage: string;
  kind: string;
  key: string;
  object: string;
  codeDigest: string;
  codeFiles: readonly string[];
  params: unknown;
  runtime: Readonly<Record<string, string>>;
  /** External path → content digest of the source files it read (StageKind.externalFiles), if any. */
  files?: Readonly<Record<string, string>>;
  /** The execution that produced the object (a cached stage keeps the record of its first execution). */
  producedBy: { runId: string; startedAt: string; durationMs: number; host: string };
  /** The last value of each metric that execution recorded. */
  metrics: Readonly<Record<string, number>>;
}

/** What a stage's run function receives. */
export interface StageContext<P = unknown, I extends string = string, G extends string = string> {
  /** The stage's name inside its pipeline, e.g. "train". */
  readonly stage: string;
  readonly pipeline: string;
  /** Validated params, defaults filled in. */
  readonly params: P;
  /** Absolute paths of the declared inputs' output folders. Read-only. */
  readonly inputs: Readonly<Record<I, string>>;
  /**
   * The declared input groups (StageKind.groups): for each, upstream stage name → output folder, in
   * the order the pipeline wired them. Read-only.
   */
  readonly groups: Readonly<Record<G, Readonly<Record<string, string>>>>;
  /**
   * The verdicts of the pipeline's claims, judged on the metrics of this stage's upstream stages.
   * Empty unless the kind declares `readsPipeline` (report stages do).
   */
  readonly claims: readonly ClaimVerdict[];
  /** The pipeline's description and article, for kinds that declare `readsPipeline`. */
  readonly about: PipelineAbout;
  /** A fresh, empty folder. Everything written here becomes the stage's output, atomically, on success. */
  readonly outDir: string;
  /**
   * A scratch folder that survives a killed or failed attempt of this same cache key (checkpoints live
   * here), and is deleted once the output is committed. Never part of the output.
   */
  readonly workDir: string;
  /** The stage's cache key (hex sha256). */
  readonly key: string;
  /**
   * CPU threads this stage may use (e.g. onnxruntime's intra-op threads): the cores, or their share
   * when several stages run at once (`--jobs`). A resource, not a param: not part of the key.
   */
  readonly threads: number;
  /**
   * A cached output this stage may continue from (StageKind.extendsRun): its folder, its key and the
   * params it was computed with. Absent when there is none.
   */
  readonly continueFrom?: { dir: string; key: string; params: unknown };
  /** Aborted on SIGINT/SIGTERM: stop soon and throw. */
  readonly signal: AbortSignal;
  /** Provenance of every transitive upstream stage, in plan order. */
  readonly upstream: readonly UpstreamRecord[];
  /** A line for the log (kept with the run record). */
  log(message: string): void;
  progress(update: ProgressUpdate): void;
  /** Records metrics at a step; queryable as the `metrics` view. Non-finite values are recorded as NaN. */
  metrics(step: number, values: Readonly<Record<string, number>>): void;
}

/** What a stage asks of a cluster for one execution (StageKind.resources). */
export interface StageResources {
  cpus?: number;
  memoryMB?: number;
  gpus?: number;
  /** The job's time limit; a job killed by it is retried once, resuming from its checkpoint. */
  timeMinutes?: number;
}

/** A reusable kind of step. Pipelines instantiate kinds with params and wire their inputs. */
export interface StageKind<
  S extends z.ZodType = z.ZodType,
  I extends string = string,
  G extends string = string,
> {
  /** Stable identifier, part of the cache key: "<area>.<name>", e.g. "data.mnist", "train.gan". */
  readonly kind: string;
  /** `import.meta.url` of the module that defines `run`: the root of the code digest. */
  readonly module: string;
  readonly description: string;
  /** Params schema; use `.strict()` objects so that unknown keys are rejected by name. */
  readonly params: S;
  /** Names of the upstream outputs that `run` reads. */
  readonly inputs: readonly I[];
  /**
   * Names of input groups: each is wired to any number of upstream stages (e.g. the evaluation of
   * every variant of a pipeline), read as `ctx.groups.<name>`.
   */
  readonly groups?: readonly G[];
  /**
   * Params that only make the run longer (dotted names, e.g. `["steps"]`): when a stage misses the
   * cache but a cached output of the same kind has the same key except for smaller values of these,
   * the stage gets it as `ctx.continueFrom` and may compute only the rest. It must then give exactly
   * the output a run from scratch would (the cache stays honest); declare a param here only when it
   * can, e.g. not the length of a schedule that depends on the total.
   */
  readonly extendsRun?: readonly string[];
  /**
   * The stage shows the pipeline itself: its article, description and claims (`ctx.about`,
   * `ctx.claims`), which then become part of its cache key, so that editing a claim re-renders the
   * report. Report stages declare it.
   */
  readonly readsPipeline?: boolean;
  /**
   * Paths of the files and folders outside the store that `run` reads with these params (absolute, or
   * relative to the working directory): their contents become part of the cache key, so replacing a
   * file at the same path reruns the stage. Declare every file the stage reads that is neither an
   * input folder nor code: a dataset's files, a folder of images, a vocabulary. A folder counts with
   * every file under it. A path that does not exist stops the run at planning with an error naming the
   * stage and the path; throw here instead to give a better hint (e.g. the package that installs it).
   * Called once per run at planning; keep it cheap (a stat at most).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { z } from "zod";
   * import { defineStage } from "./stage.ts";
   *
   * const mnist = defineStage({
   *   kind: "data.example-mnist",
   *   module: import.meta.url,
   *   description: "reads the dataset's two files",
   *   params: z.object({ trainImages: z.string(), trainLabels: z.string() }).strict(),
   *   inputs: [],
   *   externalFiles: (p) => [p.trainImages, p.trainLabels],
   *   async run() {},
   * });
   * const files = mnist.externalFiles!({ trainImages: "/data/images.gz", trainLabels: "/data/labels.gz" });
   * assert.deepEqual(files, ["/data/images.gz", "/data/labels.gz"]);
   * ```
   */
  externalFiles?(params: z.output<S>): string[];
  /**
   * What one execution needs when it runs as a cluster job (`--executor slurm`): CPUs, memory, GPUs, a
   * time limit. A function of the params (training needs a GPU only with `device: "cuda"`). Absent
   * fields take the defaults of slurm.ts (`stageResources`). A resource, not a param: not in the key.
   */
  resources?(params: z.output<S>): StageResources;
  /**
   * Bump to force a rerun when behaviour changes outside the hashed code and the declared external
   * files. Rarely needed.
   */
  readonly version?: string;
  run(ctx: StageContext<z.output<S>, I, G>): Promise<void>;
}

/** Declares a stage kind. Identity function that fixes the types of `run`'s context. */
export function defineStage<
  S extends z.ZodType,
  const I extends string = never,
  const G extends string = never,
>(
  def: StageKind<S, I, G>,
): StageKind<S, I, G> {
  if (!/^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$/.test(def.kind)) {
    throw new Error(`Cannot define stage kind '${def.kind}': use '<area>.<name>' in lower case`);
  }
  return def;
}
