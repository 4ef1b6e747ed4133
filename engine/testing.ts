/**
 * Runs one stage kind outside the store, for unit tests of stage kinds: validates params like the
 * engine does, gives the stage a fresh output folder, and returns what it wrote and logged.
 *
 * The caller owns the returned `outDir` (a temp folder) and deletes it when done. The work folder is
 * removed after the run unless the caller passed its own `workDir`, which is left as it is.
 *
 * @module
 */
import type { z } from "zod";
import type { ClaimVerdict } from "./claims.ts";
import type { PipelineAbout, ProgressUpdate, StageContext, StageKind, UpstreamRecord } from "./stage.ts";

export interface StageTestResult {
  /** The output folder: a temp folder that the caller owns and should delete. */
  outDir: string;
  /** The work folder the stage had: the caller's `options.workDir`, or a temp folder already removed. */
  workDir: string;
  metrics: { step: number; name: string; value: number }[];
  logs: string[];
  progress: ProgressUpdate[];
}

export interface StageTestOptions<S extends z.ZodType, I extends string, G extends string = never> {
  params?: z.input<S>;
  inputs?: Record<I, string>;
  /** Input groups: group → (stage name → folder). */
  groups?: Record<G, Record<string, string>>;
  /** Provenance (and last metrics) of the upstream stages, as the engine would pass it. */
  upstream?: UpstreamRecord[];
  /** Claim verdicts, for kinds that read the pipeline. */
  claims?: ClaimVerdict[];
  /** The pipeline's description and article, for kinds that read the pipeline. */
  about?: PipelineAbout;
  /** CPU threads the stage may use (default: the cores). */
  threads?: number;
  /** A previous output to continue from, as the engine passes it (StageKind.extendsRun). */
  continueFrom?: { dir: string; key: string; params: unknown };
  /** Reuse a work folder, to test resuming after an interrupted attempt. Never removed. */
  workDir?: string;
  signal?: AbortSignal;
}

/**
 * Runs `kind` once with `options.params` (validated) and `options.inputs` (folders). When the stage
 * throws, its output folder is removed too (the caller never learns its path) and the error propagates.
 */
export async function runStageForTest<S extends z.ZodType, I extends string, G extends string = never>(
  kind: StageKind<S, I, G>,
  options: StageTestOptions<S, I, G> = {},
): Promise<StageTestResult> {
  const params = kind.params.parse(options.params ?? {}) as z.output<S>;
  const outDir = await Deno.makeTempDir({ prefix: `stage-${kind.kind}-out-` });
  const workDir = options.workDir ?? await Deno.makeTempDir({ prefix: `stage-${kind.kind}-work-` });
  const result: StageTestResult = { outDir, workDir, metrics: [], logs: [], progress: [] };
  const ctx: StageContext<z.output<S>, I, G> = {
    stage: kind.kind.split(".").pop()!,
    pipeline: "test",
    params,
    inputs: (options.inputs ?? {}) as Record<I, string>,
    outDir,
    workDir,
    key: "0".repeat(64),
    threads: options.threads ?? navigator.hardwareConcurrency,
    ...(options.continueFrom ? { continueFrom: options.continueFrom } : {}),
    signal: options.signal ?? new AbortController().signal,
    upstream: options.upstream ?? [],
    groups: (options.groups ?? {}) as Record<G, Record<string, string>>,
    claims: options.claims ?? [],
    about: options.about ??
      { name: "test", description: "a stage under test", article: { title: "—", url: "#" } },
    log: (message) => void result.logs.push(message),
    progress: (update) => void result.progress.push(update),
    metrics: (step, values) => {
      for (const [name, value] of Object.entries(values)) result.metrics.push({ step, name, value });
    },
  };
  try {
    await kind.run(ctx);
  } catch (error) {
    await Deno.remove(outDir, { recursive: true }).catch(() => {});
    throw error;
  } finally {
    if (options.workDir === undefined) await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }
  return result;
}
