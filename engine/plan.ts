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
import { type ClaimDef, claimStages } from "./claims.ts";
import type { CodeDigest, CodeHasher } from "./code_digest.ts";
import { type FileHasher, MissingFileError } from "./file_digest.ts";
import type { ResolvedPipeline } from "./params.ts";
import type { StageRow } from "./results.ts";
import type { StageKind } from "./stage.ts";
import { canonicalJson } from "./canonical_json.ts";
import type { Reason } from "./reasons.ts";
import { flatten } from "./results.ts";
import { closest } from "./suggest.ts";
import { resolve } from "node:path";

export interface PlannedStage {
  name: string;
  kind: StageKind;
  params: unknown;
  /** Input name → upstream stage name. */
  inputs: Record<string, string>;
  /** Input group name → upstream stage names, in order. */
  groups: Record<string, string[]>;
  code: CodeDigest;
  runtime: Record<string, string>;
  /** Declared external path → content digest; absent when the kind declares none (StageKind.externalFiles). */
  files?: Record<string, string>;
}

/** Every upstream stage `s` reads directly: its inputs, then its groups' members. */
export function dependencies(
  s: { inputs: Readonly<Record<string, string>>; groups: Readonly<Record<string, readonly string[]>> },
): string[] {
  return [...new Set([...Object.values(s.inputs), ...Object.values(s.groups).flat()])];
}

/**
 * The name under which each upstream object enters the cache key and the context: the input name, or
 * `group[member]` for a member of an input group.
 */
export function inputSlots(s: Pick<PlannedStage, "inputs" | "groups">): [slot: string, upstream: string][] {
  return [
    ...Object.entries(s.inputs),
    ...Object.entries(s.groups).flatMap(([g, members]) =>
      members.map((m) => [`${g}[${m}]`, m] as [string, string])
    ),
  ];
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
    const declaredGroups = [...(s.use.kind.groups ?? [])].sort();
    const wiredGroups = Object.keys(s.use.groups).sort();
    if (declaredGroups.join() !== wiredGroups.join()) {
      throw new PlanError(
        `Cannot plan ${pipelineName}: stage ${s.name} (${s.use.kind.kind}) declares input groups [${declaredGroups}] ` +
          `but is wired with [${wiredGroups}]`,
      );
    }
    const wiredTo = [
      ...Object.entries(s.use.inputs),
      ...Object.entries(s.use.groups).flatMap(([g, ms]) =>
        ms.map((m) => [`${g} (group)`, m] as [string, string])
      ),
    ];
    for (const [input, upstream] of wiredTo) {
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
    for (const upstream of dependencies(s.use)) visit(upstream, [...path, name]);
    state.set(name, "done");
    const code = hasher.digest(s.use.kind.module);
    const files = fileHasher ? externalFileDigests(pipelineName, name, s.use.kind, s.params, fileHasher) : {};
    order.push({
      name,
      kind: s.use.kind,
      params: s.params,
      inputs: { ...s.use.inputs },
      groups: Object.fromEntries(Object.entries(s.use.groups).map(([g, ms]) => [g, [...ms]])),
      code,
      runtime: { deno: Deno.version.deno, ...code.packages },
      ...(Object.keys(files).length > 0 ? { files } : {}),
    });
  };
  for (const s of resolved.stages) visit(s.name, []);
  checkKindIds(pipelineName, order);
  return order;
}

/** One kind id, one kind: two different kinds under the same id would share cache keys. */
function checkKindIds(pipelineName: string, plan: readonly PlannedStage[]): void {
  const byId = new Map<string, PlannedStage>();
  for (const s of plan) {
    const other = byId.get(s.kind.kind);
    if (other && other.kind !== s.kind) {
      throw new PlanError(
        `Cannot plan ${pipelineName}: stages ${other.name} and ${s.name} use two different stage kinds with the ` +
          `same id '${s.kind.kind}' (${other.kind.module} and ${s.kind.module}); give each kind its own id`,
      );
    }
    byId.set(s.kind.kind, s);
  }
}

/**
 * Checks that every stage the claims read exists and, when the pipeline has a report stage, is
 * upstream of it (the report shows the verdicts, so it must see the same metrics).
 */
export function checkClaims(
  pipelineName: string,
  plan: readonly PlannedStage[],
  claims: readonly ClaimDef[],
  report: string | undefined,
): void {
  const names = plan.map((s) => s.name);
  const upstreamOfReport = report && names.includes(report)
    ? new Set(upstreamOf(plan, report).map((s) => s.name))
    : null;
  for (const stage of claimStages(claims)) {
    const used = claims.filter((c) => claimStages([c]).includes(stage)).map((c) => c.id);
    if (!names.includes(stage)) {
      const guess = closest(stage, names);
      throw new PlanError(
        `Cannot plan ${pipelineName}: claim ${
          used.join(", ")
        } reads a metric of stage '${stage}', which does not exist` +
          (guess ? `; did you mean '${guess}'?` : ""),
      );
    }
    if (upstreamOfReport && !upstreamOfReport.has(stage)) {
      throw new PlanError(
        `Cannot plan ${pipelineName}: claim ${
          used.join(", ")
        } reads stage '${stage}', which is not upstream of ` +
          `the report stage '${report}'; wire it into the report's inputs`,
      );
    }
  }
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
    if (dependencies(s).some((u) => out.has(u))) out.add(s.name);
  }
  return out;
}

/** Every stage that `name` reads from, transitively, in plan order. */
export function upstreamOf(plan: readonly PlannedStage[], name: string): PlannedStage[] {
  const wanted = new Set<string>();
  const walk = (n: string) => {
    const s = plan.find((p) => p.name === n)!;
    for (const u of dependencies(s)) if (!wanted.has(u)) (wanted.add(u), walk(u));
  };
  walk(name);
  return plan.filter((p) => wanted.has(p.name));
}

const show = (v: unknown) => (typeof v === "string" ? v : canonicalJson(v));

/**
 * Why `stage` must run, compared with its most recent record. `inputs` maps input slots (see
 * `inputSlots`) to the object digests now (undefined while the upstream stage has yet to run).
 */
export function explainRun(
  stage: PlannedStage,
  inputs: Record<string, string | undefined>,
  previous: StageRow | undefined,
  pipelineDigest?: string,
): Reason[] {
  if (!previous) return [{ kind: "never-run" }];
  const reasons: Reason[] = [];
  if (previous.kind !== stage.kind.kind) {
    reasons.push({ kind: "kind", before: previous.kind, after: stage.kind.kind });
  }
  const before = new Map(previous.codeFiles.map((f) => [f.path, f.digest]));
  const now = new Map(stage.code.files.map((f) => [f.path, f.digest]));
  for (const [path, digest] of now) {
    if (before.get(path) !== digest) {
      reasons.push({
        kind: "code",
        subject: path,
        ...(before.has(path) ? { before: before.get(path)! } : {}),
        after: digest,
      });
    }
  }
  for (const path of before.keys()) {
    if (!now.has(path)) reasons.push({ kind: "code", subject: path, note: "no longer imported" });
  }
  const oldParams = new Map(flatten(previous.params).map(([k, v]) => [k, show(v)]));
  const newParams = new Map(flatten(stage.params).map(([k, v]) => [k, show(v)]));
  for (const k of new Set([...oldParams.keys(), ...newParams.keys()])) {
    if (oldParams.get(k) === newParams.get(k)) continue;
    reasons.push({
      kind: "params",
      subject: `${stage.name}.${k}`,
      ...(oldParams.has(k) ? { before: oldParams.get(k)! } : {}),
      ...(newParams.has(k) ? { after: newParams.get(k)! } : {}),
    });
  }
  for (const [slot, upstream] of inputSlots(stage)) {
    if (inputs[slot] === undefined) reasons.push({ kind: "input", subject: upstream, note: "runs first" });
    else if (inputs[slot] !== previous.inputs[slot]) {
      reasons.push({
        kind: "input",
        subject: upstream,
        ...(previous.inputs[slot] ? { before: previous.inputs[slot] } : {}),
        after: inputs[slot]!,
      });
    }
  }
  for (const [k, v] of Object.entries(stage.runtime)) {
    if (previous.runtime[k] !== undefined && previous.runtime[k] !== v) {
      reasons.push({ kind: "runtime", subject: k, before: previous.runtime[k]!, after: v });
    }
  }
  const filesBefore = previous.files ?? {};
  const filesNow = stage.files ?? {};
  for (const [p, d] of Object.entries(filesNow)) {
    if (filesBefore[p] !== undefined && filesBefore[p] !== d) {
      reasons.push({ kind: "files", subject: p, before: filesBefore[p]!, after: d });
    }
  }
  for (const [p, d] of Object.entries(filesNow)) {
    if (filesBefore[p] === undefined) {
      reasons.push({
        kind: "files",
        subject: p,
        after: d,
        note: previous.files ? "not read before" : "not recorded before",
      });
    }
  }
  for (const [p, d] of Object.entries(filesBefore)) {
    if (filesNow[p] === undefined) {
      reasons.push({ kind: "files", subject: p, before: d, note: "no longer read" });
    }
  }
  if (
    pipelineDigest !== undefined && previous.pipelineDigest !== undefined &&
    previous.pipelineDigest !== pipelineDigest
  ) {
    reasons.push({ kind: "pipeline", before: previous.pipelineDigest, after: pipelineDigest });
  }
  if (reasons.length) return reasons;
  if (previous.status === "failed") return [{ kind: "failed-before" }];
  if (previous.status === "interrupted") return [{ kind: "interrupted-before" }];
  return [{ kind: "not-in-cache" }];
}
