/**
 * The pipeline API: one module per article in pipelines/, declaring its stages, their default params
 * and wiring, pipeline-level params (such as `scale` or `dataset`), and the article it reproduces.
 *
 * @example
 * ```ts
 * export const pipeline = definePipeline({
 *   name: "gillespie",
 *   description: "Gillespie simulation of two-stage gene expression vs the analytic answer",
 *   article: { title: "python简单实现gillespie模拟", url: "https://kexue.fm/archives/5607" },
 *   params: z.object({ scale: z.enum(["small", "full"]).default("small") }).strict(),
 *   stages: (p) => ({
 *     simulate: use(simulate, { params: { trajectories: p.scale === "full" ? 512 : 64 } }),
 *     summarize: use(summarize, { inputs: { simulation: "simulate" } }),
 *   }),
 *   report: "report",
 * });
 * ```
 *
 * @module
 */
import type { z } from "zod";
import type { StageKind } from "./stage.ts";

/** One stage of a pipeline: a kind, its params (validated against the kind's schema) and its inputs. */
export interface StageUse {
  readonly kind: StageKind;
  /** Param values; the kind's schema fills defaults. `--set stage.key=value` overrides them. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Input name of the kind → name of the upstream stage in this pipeline. */
  readonly inputs: Readonly<Record<string, string>>;
}

export interface Article {
  title: string;
  url: string;
  /** e.g. "2018-11-07" */
  date?: string;
}

export interface PipelineDef<PP extends z.ZodType = z.ZodType> {
  /** CLI name, e.g. "wgan-div". */
  readonly name: string;
  /** One line, shown by `list`. */
  readonly description: string;
  readonly article: Article;
  /**
   * Pipeline-level params (a strict zod object), set with `--set name=value` where `name` is not a
   * stage name. Use them for choices that shape several stages, like `scale` or `dataset`.
   */
  readonly params: PP;
  /** Builds the stage graph from the resolved pipeline-level params. Keys are stage names. */
  stages(params: z.output<PP>): Record<string, StageUse>;
  /** Name of the stage whose output folder is published to reports/<name>/ after each run. */
  readonly report?: string;
  /** Name of a metric (recorded by any stage) shown as the headline in reports/index.html. */
  readonly headline?: { stage: string; metric: string; label: string; lowerIsBetter?: boolean };
}

type InputNames<K> = K extends StageKind<z.ZodType, infer I> ? I : never;
type ParamsInput<K> = K extends StageKind<infer S, string> ? Partial<z.input<S>> : never;

/** Instantiates a stage kind inside a pipeline, with typed params and inputs. */
export function use<K extends StageKind<z.ZodType, string>>(
  kind: K,
  options: { params?: ParamsInput<K>; inputs?: Record<InputNames<K>, string> } = {},
): StageUse {
  return {
    kind: kind as unknown as StageKind,
    params: (options.params ?? {}) as Record<string, unknown>,
    inputs: (options.inputs ?? {}) as Record<string, string>,
  };
}

/** Declares a pipeline. Checks names eagerly so that a typo fails at import, not mid-run. */
export function definePipeline<PP extends z.ZodType>(def: PipelineDef<PP>): PipelineDef<PP> {
  if (!/^[a-z][a-z0-9-]*$/.test(def.name)) {
    throw new Error(`Cannot define pipeline '${def.name}': use lower case letters, digits and '-'`);
  }
  return def;
}
