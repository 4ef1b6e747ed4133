/**
 * Turns a resolved pipeline into an ordered plan, and explains why a stage has to run.
 *
 * The order is a post-order depth-first walk (as DVC's `plan_repro`): every stage comes after the
 * stages it reads from. For a pipeline
 *
 * ```
 *   data ──► graph ──► train ──► evaluate ──► report
 *     └──────────────────────────────▲
 * ```
 *
 * the plan is data, graph, train, evaluate, report.
 *
 * @module
 */
import type { CodeDigest, CodeHasher } from "./code_digest.ts";
import { type FileHasher, MissingFileError } from "./file_digest.ts";
import type { ResolvedPipeline } from "./params.ts";
import type { StageRow } from "./results.ts";
import type { StageKind } from "./stage.ts";
import { canonicalJson } from "./canonical_json.ts";
import { flatten } from "./results.ts";
import { closest } from "./suggest.ts";
import { resolve } from "node:path";

export interface PlannedStage {
  name: string;
  kind: StageKind;
  params: unknown;
  /** Input name → upstream stage name. */
  inputs: Record<string, string>;
  code: CodeDigest;
  runtime: Record<string, string>;
  /** Declared external path → content digest; absent when the kind declares none (StageKind.externalFiles). */
  files?: Record<string, string>;
}

export class PlanError extends Error {
  override name = "PlanError";
}

/**
 * Orders and checks the stages of `resolved`, hashing each stage's code and, with `fileHasher`, the
 * external files it declares (a missing one is a PlanError).
 */
export function planStages(
  pipelineName: string,
  resolved: ResolvedPipeline,
  hasher: CodeHasher,
  fileHasher?: FileHasher,
): PlannedStage[] {
  const byName = new Map(resolved.stages.map((s) => [s.name, s]));
  for (const s of resolved.stages) {
    const declared = [...s.use.kind.inputs].sort();
    const wired = Object.keys(s.use.inputs).sort();
    const missing = declared.filter((d) => !wired.includes(d));
    const extra = wired.filter((w) => !declared.includes(w));
    if (missing.length || extra.length) {
      throw new PlanError(
        `Cannot plan ${pipelineName}: stage ${s.name} (${s.use.kind.kind}) declares inputs [${declared}] ` +
          `but is wired with [${wired}]` + (missing.length ? `; missing ${missing}` : "") +
          (extra.length ? `; unknown ${extra}` : ""),
      );
    }
    for (const [input, upstream] of Object.entries(s.use.inputs)) {
      if (!byName.has(upstream)) {
        const guess = closest(upstream, [...byName.keys()]);
        throw new PlanError(
          `Cannot plan ${pipelineName}: input ${input} of stage ${s.name} reads stage '${upstream}', which does not exist` +
            (guess ? `; did you mean '${guess}'?` : ""),
        );
      }
    }
  }
  const order: PlannedStage[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      throw new PlanError(`Cannot plan ${pipelineName}: stages form a cycle: ${[...path, name].join(" → ")}`);
    }
    state.set(name, "visiting");
    const s = byName.get(name)!;
    for (const upstream of Object.values(s.use.inputs)) visit(upstream, [...path, name]);
    state.set(name, "done");
    const code = hasher.digest(s.use.kind.module);
    const files = fileHasher ? externalFileDigests(pipelineName, name, s.use.kind, s.params, fileHasher) : {};
    order.push({
      name,
      kind: s.use.kind,
      params: s.params,
      inputs: { ...s.use.inputs },
      code,
      runtime: { deno: Deno.version.deno, ...code.packages },
      ...(Object.keys(files).length > 0 ? { files } : {}),
    });
  };
  for (const s of resolved.stages) visit(s.name, []);
  return order;
}

/** Path → content digest of the external files `kind` declares for `params`. */
function externalFileDigests(
  pipelineName: string,
  stage: string,
  kind: StageKind,
  params: unknown,
  fileHasher: FileHasher,
): Record<string, string> {
  if (!kind.externalFiles) return {};
  const what = `Cannot plan ${pipelineName}: stage ${stage} (${kind.kind})`;
  let paths: string[];
  try {
    paths = kind.externalFiles(params);
  } catch (error) {
    throw new PlanError(`${what}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const files: Record<string, string> = {};
  for (const path of paths) {
    try {
      files[path] = fileHasher.digest(path);
    } catch (error) {
      if (!(error instanceof MissingFileError)) {
        throw new PlanError(`${what} reads ${path}, which cannot be hashed: ${(error as Error).message}`, {
          cause: error,
        });
      }
      const param = paramNaming(params, path);
      throw new PlanError(
        `${what} reads ${path}, which does not exist` +
          (param ? ` (from the param ${stage}.${param[0]} = ${param[1]})` : "") +
          `. Put it there, or point the stage at an existing path` +
          (param ? ` with --set ${stage}.${param[0]}=…` : " by changing its params"),
      );
    }
  }
  return files;
}

/** The string param (dotted name, value) that names `path` or a folder holding it, if any. */
function paramNaming(params: unknown, path: string): [string, string] | undefined {
  const target = resolve(path);
  const strings = flatten(params).filter((e): e is [string, string] => typeof e[1] === "string");
  return strings.find(([, v]) => resolve(v) === target) ??
    strings.find(([, v]) => v !== "" && target.startsWith(resolve(v) + "/"));
}

/** Names of `roots` and every stage downstream of them. */
export function downstreamOf(plan: readonly PlannedStage[], roots: Iterable<string>): Set<string> {
  const out = new Set(roots);
  for (const s of plan) { // plan order is topological, so one pass suffices
    if (Object.values(s.inputs).some((u) => out.has(u))) out.add(s.name);
  }
  return out;
}

/** Every stage that `name` reads from, transitively, in plan order. */
export function upstreamOf(plan: readonly PlannedStage[], name: string): PlannedStage[] {
  const wanted = new Set<string>();
  const walk = (n: string) => {
    const s = plan.find((p) => p.name === n)!;
    for (const u of Object.values(s.inputs)) if (!wanted.has(u)) (wanted.add(u), walk(u));
  };
  walk(name);
  return plan.filter((p) => wanted.has(p.name));
}

const show = (v: unknown) => (typeof v === "string" ? v : canonicalJson(v));

function listed(items: string[], limit = 3): string {
  return items.length <= limit
    ? items.join(", ")
    : `${items.slice(0, limit).join(", ")} and ${items.length - limit} more`;
}

/**
 * Why `stage` must run, compared with its most recent record. `inputs` maps input names to the
 * object digests now (undefined while the upstream stage has yet to run).
 */
export function explainRun(
  stage: PlannedStage,
  inputs: Record<string, string | undefined>,
  previous: StageRow | undefined,
): string {
  if (!previous) return "never run";
  const reasons: string[] = [];
  if (previous.kind !== stage.kind.kind) reasons.push(`kind changed: ${previous.kind} → ${stage.kind.kind}`);
  const before = new Map(previous.codeFiles.map((f) => [f.path, f.digest]));
  const now = new Map(stage.code.files.map((f) => [f.path, f.digest]));
  const code = [
    ...[...now].filter(([p, d]) => before.get(p) !== d).map(([p]) => p),
    ...[...before.keys()].filter((p) => !now.has(p)).map((p) => `${p} (no longer imported)`),
  ];
  if (code.length) reasons.push(`code changed: ${listed(code)}`);
  const oldParams = new Map(flatten(previous.params).map(([k, v]) => [k, show(v)]));
  const newParams = new Map(flatten(stage.params).map(([k, v]) => [k, show(v)]));
  const params = [...new Set([...oldParams.keys(), ...newParams.keys()])]
    .filter((k) => oldParams.get(k) !== newParams.get(k))
    .map((k) => `${stage.name}.${k} ${oldParams.get(k) ?? "(unset)"} → ${newParams.get(k) ?? "(unset)"}`);
  if (params.length) reasons.push(`params changed: ${listed(params)}`);
  const changedInputs = Object.entries(stage.inputs)
    .filter(([input]) => inputs[input] === undefined || inputs[input] !== previous.inputs[input])
    .map(([input, upstream]) => (inputs[input] === undefined ? `${upstream} (runs first)` : upstream));
  if (changedInputs.length) reasons.push(`input changed: ${listed(changedInputs)}`);
  const runtime = Object.entries(stage.runtime)
    .filter(([k, v]) => previous.runtime[k] !== undefined && previous.runtime[k] !== v)
    .map(([k, v]) => `${k} ${previous.runtime[k]} → ${v}`);
  if (runtime.length) reasons.push(`runtime changed: ${listed(runtime)}`);
  const filesBefore = previous.files ?? {};
  const filesNow = stage.files ?? {};
  const files = [
    ...Object.keys(filesNow).filter((p) => filesBefore[p] !== undefined && filesBefore[p] !== filesNow[p]),
    ...Object.keys(filesNow).filter((p) => filesBefore[p] === undefined).map((p) =>
      `${p} (${previous.files ? "not read before" : "not recorded before"})`
    ),
    ...Object.keys(filesBefore).filter((p) => filesNow[p] === undefined).map((p) => `${p} (no longer read)`),
  ];
  if (files.length) reasons.push(`source files changed: ${listed(files)}`);
  if (reasons.length) return reasons.join("; ");
  if (previous.status === "failed") return "previous attempt failed";
  if (previous.status === "interrupted") return "previous attempt was interrupted";
  return "not in the cache (removed by gc?)";
}
