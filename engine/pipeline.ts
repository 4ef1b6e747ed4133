/**
 * The pipeline API: one module per article in pipelines/, declaring its stages, their default params
 * and wiring, pipeline-level params (such as `scale` or `dataset`), and the article it reproduces.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { z } from "zod";
 * import { definePipeline, use } from "./pipeline.ts";
 * import { exact } from "../pipelines/gillespie/exact.ts";
 * import { report } from "../pipelines/gillespie/report.ts";
 * import { simulate } from "../pipelines/gillespie/simulate.ts";
 * import { summarize } from "../pipelines/gillespie/summarize.ts";
 *
 * export const pipeline = definePipeline({
 *   name: "gillespie",
 *   description: "Gillespie simulation of two-stage gene expression vs the analytic answer",
 *   article: { title: "python简单实现gillespie模拟", url: "https://kexue.fm/archives/5607" },
 *   params: z.object({ scale: z.enum(["small", "full"]).default("small") }).strict(),
 *   stages: (p) => ({
 *     simulate: use(simulate, { params: { trajectories: p.scale === "full" ? 512 : 64 } }),
 *     exact: use(exact),
 *     summarize: use(summarize, { inputs: { simulation: "simulate", exact: "exact" } }),
 *     report: use(report, { inputs: { summary: "summarize" } }),
 *   }),
 *   report: "report",
 * });
 * assert.equal(pipeline.stages({ scale: "full" }).simulate?.params.trajectories, 512);
 * ```
 *
 * @module
 */
import type { z } from "zod";
import { type ClaimDef, validateClaims } from "./claims.ts";
import type { StageKind } from "./stage.ts";

/** One stage of a pipeline: a kind, its params (validated against the kind's schema) and its inputs. */
export interface StageUse {
  readonly kind: StageKind;
  /** Param values; the kind's schema fills defaults. `--set stage.key=value` overrides them. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Input name of the kind → name of the upstream stage in this pipeline. */
  readonly inputs: Readonly<Record<string, string>>;
  /** Input group of the kind → names of the upstream stages in it, in order. */
  readonly groups: Readonly<Record<string, readonly string[]>>;
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
  /**
   * What the article claims, checked on every run (engine/claims.ts). The stages they read must be
   * upstream of the report stage, which shows them.
   */
  readonly claims?: readonly ClaimDef[];
}

type InputNames<K> = K extends StageKind<z.ZodType, infer I, string> ? I : never;
type GroupNames<K> = K extends StageKind<z.ZodType, string, infer G> ? G : never;
type ParamsInput<K> = K extends StageKind<infer S, string, string> ? Partial<z.input<S>> : never;

/** Instantiates a stage kind inside a pipeline, with typed params, inputs and input groups. */
export function use<K extends StageKind<z.ZodType, string, string>>(
  kind: K,
  options: {
    params?: ParamsInput<K>;
    inputs?: Record<InputNames<K>, string>;
    groups?: Record<GroupNames<K>, readonly string[]>;
  } = {},
): StageUse {
  return {
    kind: kind as unknown as StageKind,
    params: (options.params ?? {}) as Record<string, unknown>,
    inputs: (options.inputs ?? {}) as Record<string, string>,
    groups: (options.groups ?? {}) as Record<string, readonly string[]>,
  };
}

/** The separator of a variant stage's name: `train@qp-l1` is the `train` stage of variant `qp-l1`. */
export const VARIANT_SEPARATOR = "@";

/**
 * Stage uses for each of several variants of a part of a pipeline (loss types, a k×p grid, an
 * ablation), named `<stage>@<variant>`. `at(stage)` names the variant's own copy of a stage, for
 * wiring inside the variant; stages outside (shared data, a classifier) are named as usual.
 * `--set stage.param=…` reaches every variant's copy; `--set stage@variant.param=…` one of them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { z } from "zod";
 * import { defineStage } from "./stage.ts";
 * import { use, variants } from "./pipeline.ts";
 *
 * const fit = defineStage({
 *   kind: "example.fit",
 *   module: import.meta.url,
 *   description: "fits one variant",
 *   params: z.object({ lambda: z.number().default(1) }).strict(),
 *   inputs: [],
 *   async run(ctx) {
 *     ctx.metrics(0, { loss: ctx.params.lambda });
 *   },
 * });
 * const stages = variants({ weak: { lambda: 1 }, strong: { lambda: 10 } }, (v) => ({
 *   fit: use(fit, { params: v }),
 * }));
 * assert.deepEqual(Object.keys(stages), ["fit@weak", "fit@strong"]);
 * assert.equal(stages["fit@strong"]?.params.lambda, 10);
 * ```
 */
export function variants<V>(
  table: Readonly<Record<string, V>>,
  stages: (value: V, at: (stage: string) => string, variant: string) => Record<string, StageUse>,
): Record<string, StageUse> {
  const out: Record<string, StageUse> = {};
  for (const [variant, value] of Object.entries(table)) {
    const at = (stage: string) => `${stage}${VARIANT_SEPARATOR}${variant}`;
    for (const [stage, use] of Object.entries(stages(value, at, variant))) out[at(stage)] = use;
  }
  return out;
}

/** The names `<stage>@<variant>` of one stage across the variants of `table`, for an input group. */
export function variantStages(stage: string, table: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(table).map((v) => `${stage}${VARIANT_SEPARATOR}${v}`);
}

/** Declares a pipeline. Checks names and claims eagerly so that a typo fails at import, not mid-run. */
export function definePipeline<PP extends z.ZodType>(def: PipelineDef<PP>): PipelineDef<PP> {
  if (!/^[a-z][a-z0-9-]*$/.test(def.name)) {
    throw new Error(`Cannot define pipeline '${def.name}': use lower case letters, digits and '-'`);
  }
  validateClaims(def.name, def.claims ?? []);
  return def;
}
