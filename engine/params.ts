/**
 * Resolving a pipeline's params: pipeline-level params, then each stage's defaults from the pipeline,
 * then `--set` overrides, validated by the zod schemas. Errors name the key, the value given and what
 * was expected, and suggest the closest key for a typo.
 *
 * @module
 */
import type { z } from "zod";
import { type PipelineDef, type StageUse, VARIANT_SEPARATOR } from "./pipeline.ts";
import { closest } from "./suggest.ts";

/** One `--set key=value`, as typed. */
export interface Override {
  path: string[];
  raw: string;
  text: string;
}

export class ParamError extends Error {
  override name = "ParamError";
}

/** Parses `key.sub=value` strings. The value is read as JSON when it parses (numbers, booleans, lists). */
export function parseOverrides(texts: readonly string[]): Override[] {
  return texts.map((text) => {
    const eq = text.indexOf("=");
    if (eq <= 0) {
      throw new ParamError(`Cannot read --set ${text}: write it as key=value, e.g. --set train.steps=500`);
    }
    const path = text.slice(0, eq).split(".");
    if (path.some((p) => p === "")) {
      throw new ParamError(`Cannot read --set ${text}: the key has an empty part`);
    }
    return { path, raw: text.slice(eq + 1), text };
  });
}

/** The value of an override: JSON if it parses (1e-4 → number, true → boolean, [1,2] → list), else the text. */
function candidates(raw: string): unknown[] {
  try {
    const parsed = JSON.parse(raw);
    return typeof parsed === "string" ? [parsed] : [parsed, raw];
  } catch {
    return [raw];
  }
}

export interface ResolvedStage {
  name: string;
  use: StageUse;
  params: unknown;
}

export interface ResolvedPipeline {
  pipelineParams: Record<string, unknown>;
  stages: ResolvedStage[];
}

/** Resolves and validates every param of `pipeline` with `overrides` applied. */
export function resolveParams(pipeline: PipelineDef, overrides: readonly Override[]): ResolvedPipeline {
  const paramsSchema = pipeline.params as z.ZodType;
  // Pipeline-level first: they decide the stage graph, whose names then decide where the rest goes.
  const probe = pipeline.stages(parseOrThrow(paramsSchema, {}, "pipeline params", []));
  const stageNames = Object.keys(probe);
  // `--set train.steps=…` reaches every variant's copy (`train@a`, `train@b`) unless a stage is
  // named plain `train`; `--set train@a.steps=…` reaches one.
  const base = (name: string) => name.split(VARIANT_SEPARATOR)[0]!;
  const targets = (o: Override, stage: string) =>
    o.path[0] === stage || (o.path[0] === base(stage) && !stageNames.includes(o.path[0]!));
  const pipelineOverrides = overrides.filter((o) => !stageNames.some((name) => targets(o, name)));
  const pipelineInput: Record<string, unknown> = {};
  for (const o of pipelineOverrides) setPath(pipelineInput, o.path, o.raw);
  const pipelineParams = parseOrThrow(paramsSchema, pipelineInput, "pipeline params", pipelineOverrides, {
    unknownHint: () =>
      `stages are ${stageNames.join(", ")}; pipeline params are ${
        Object.keys(shapeOf(paramsSchema)).join(", ") || "none"
      }`,
    names: [...stageNames, ...Object.keys(shapeOf(paramsSchema))],
  }) as Record<string, unknown>;

  const uses = pipeline.stages(pipelineParams);
  const stages: ResolvedStage[] = [];
  for (const [name, use] of Object.entries(uses)) {
    const mine = overrides.filter((o) => targets(o, name)).map((o) => ({ ...o, path: o.path.slice(1) }));
    const input = structuredClone(use.params) as Record<string, unknown>;
    for (const o of mine) setPath(input, o.path, o.raw);
    const params = parseOrThrow(use.kind.params, input, `stage ${name}`, mine, {
      prefix: name,
      names: Object.keys(shapeOf(use.kind.params)).map((k) => `${name}.${k}`),
    });
    stages.push({ name, use, params });
  }
  return { pipelineParams, stages };
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function shapeOf(schema: z.ZodType): Record<string, unknown> {
  const def = (schema as unknown as { def?: { shape?: Record<string, unknown>; innerType?: z.ZodType } }).def;
  if (def?.shape) return def.shape;
  if (def?.innerType) return shapeOf(def.innerType);
  return {};
}

/**
 * Validates `input`. Override values are tried as parsed JSON first and as plain text second, so
 * `--set name=123` still works for a string param.
 */
function parseOrThrow(
  schema: z.ZodType,
  input: Record<string, unknown>,
  what: string,
  overrides: readonly Override[],
  hints: { prefix?: string; names?: string[]; unknownHint?: () => string } = {},
): unknown {
  const failsAt = (path: string[]) => {
    const attempt = schema.safeParse(input);
    return !attempt.success &&
      attempt.error.issues.some((i) => i.path.map(String).join(".") === path.join("."));
  };
  for (const o of overrides) {
    const readings = candidates(o.raw);
    for (const reading of readings) {
      setPath(input, o.path, reading);
      if (!failsAt(o.path)) break;
    }
    // No reading fits: report against the first one (the JSON reading), as the user most likely meant it.
    if (failsAt(o.path)) setPath(input, o.path, readings[0]);
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const keys = issue.code === "unrecognized_keys"
      ? issue.keys.map((k) => [...issue.path, k])
      : [issue.path];
    return keys.map((path) => {
      const key = [hints.prefix, ...path.map(String)].filter(Boolean).join(".");
      const given = overrides.find((o) => o.path.join(".") === path.map(String).join("."));
      if (issue.code === "unrecognized_keys") {
        const guess = closest(key, hints.names ?? []);
        const extra = hints.unknownHint ? ` (${hints.unknownHint()})` : "";
        return `unknown param '${key}'${guess ? `; did you mean '${guess}'?` : ""}${extra}`;
      }
      const from = given ? ` (from --set ${given.text})` : "";
      return `${key || what}: ${issue.message}${from}`;
    }).join("\n");
  });
  throw new ParamError(`Invalid params for ${what}:\n  ${lines.join("\n  ")}`);
}
