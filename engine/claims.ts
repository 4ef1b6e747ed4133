/**
 * Claims as data: what an article (or its paper) says, checked against what a run measured.
 *
 * A pipeline declares its claims (`definePipeline({ claims })`). Each names where our number comes
 * from (the last value of a metric a stage recorded), what it is compared with (a number with its
 * source, or another metric of the same run, such as a baseline), and the rule of the comparison.
 * After every run the engine records one verdict per claim in the run's records (the `claims` view of
 * `deno task query`), and a report stage that declares `readsPipeline` gets the same verdicts to show.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ClaimDef, evaluateClaims } from "./claims.ts";
 *
 * const fano: ClaimDef = {
 *   id: "protein-fano",
 *   claim: "The protein count's Fano factor is 1 + k_p/(γ_m + γ_p) = 2.25.",
 *   ours: { stage: "summarize", metric: "protein_fano" },
 *   reference: { value: 2.25, source: "analytic (two-stage gene expression)" },
 *   check: { kind: "near", sigmas: 4, stderr: { stage: "summarize", metric: "protein_fano_se" } },
 * };
 * // The engine looks the metrics up in the run's records; here, a run that measured 2.229 ± 0.031.
 * const measured: Record<string, number> = { protein_fano: 2.229, protein_fano_se: 0.031 };
 * const [fanoVerdict] = evaluateClaims([fano], (ref) => measured[ref.metric] ?? { missing: ref.metric });
 * assert.equal(fanoVerdict?.verdict, "reproduced");
 * ```
 *
 * @module
 */

/** A metric recorded by a stage of the same pipeline; its last recorded value is used. */
export interface MetricRef {
  stage: string;
  metric: string;
}

/** How ours is judged against the reference value. */
export type ClaimCheck =
  /** |ours − reference| ≤ abs + rel·|reference| + sigmas·stderr (any terms given; at least one). */
  | { kind: "near"; abs?: number; rel?: number; sigmas?: number; stderr?: MetricRef }
  /** ours < factor·reference (default factor 1): "lower than", "far below". */
  | { kind: "below"; factor?: number }
  /** ours > factor·reference (default factor 1). */
  | { kind: "above"; factor?: number }
  /** ours ≤ reference. */
  | { kind: "at-most" }
  /** ours ≥ reference. */
  | { kind: "at-least" }
  /** Shown beside the reference but not judged, e.g. a different metric or dataset; says why. */
  | { kind: "reported"; why: string };

/** One claim of an article, as a pipeline checks it. Plain data: it is hashed into report keys. */
export interface ClaimDef {
  /** Stable id, unique within its pipeline, e.g. "fid-below-untrained". */
  id: string;
  /** The claim in one sentence. */
  claim: string;
  /** Where our number comes from. */
  ours: MetricRef;
  reference: {
    /** A number (analytic, from the paper) or a metric of this run (e.g. a baseline). */
    value?: number | MetricRef;
    /** Where the reference comes from and what it was measured on. */
    source: string;
  };
  check: ClaimCheck;
  /** What differs between our setup and the reference's (data, size, steps). */
  differs?: string;
}

export type Verdict = "reproduced" | "not reproduced" | "not comparable";

/** The outcome of one claim in one run. */
export interface ClaimVerdict {
  id: string;
  claim: string;
  verdict: Verdict;
  ours: number | null;
  /** `stage.metric` of ours. */
  oursFrom: string;
  reference: number | null;
  referenceSource: string;
  /** The rule in words, e.g. "within 4 standard errors". */
  rule: string;
  /** The comparison with its numbers, or why it could not be made. */
  detail: string;
  differs: string | null;
}

/** The value of a metric, or why there is none. */
export type MetricLookup = (ref: MetricRef) => number | { missing: string };

const name = (ref: MetricRef) => `${ref.stage}.${ref.metric}`;

/** Four significant digits, without trailing zeros or exponent noise. */
export function formatValue(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const abs = Math.abs(x);
  if (abs >= 1e-3 && abs < 1e6) return String(Number(x.toPrecision(4)));
  return x.toExponential(3).replace(/\.?0+e/, "e");
}

/** The rule of `check` in words. */
export function describeCheck(check: ClaimCheck): string {
  switch (check.kind) {
    case "near": {
      const terms = [
        check.abs !== undefined ? `${formatValue(check.abs)}` : null,
        check.rel !== undefined ? `${formatValue(100 * check.rel)}%` : null,
        check.sigmas !== undefined ? `${check.sigmas} standard errors` : null,
      ].filter((t) => t !== null);
      return `within ${terms.join(" + ")}`;
    }
    case "below":
      return check.factor === undefined || check.factor === 1
        ? "lower"
        : `below ${formatValue(check.factor)}× the reference`;
    case "above":
      return check.factor === undefined || check.factor === 1
        ? "higher"
        : `above ${formatValue(check.factor)}× the reference`;
    case "at-most":
      return "at most the reference";
    case "at-least":
      return "at least the reference";
    case "reported":
      return "reported, not judged";
  }
}

/** Checks that claims are well formed: ids unique and slug-like, checks with at least one term. */
export function validateClaims(pipeline: string, claims: readonly ClaimDef[]): void {
  const seen = new Set<string>();
  for (const c of claims) {
    const what = `Pipeline ${pipeline}, claim '${c.id}'`;
    if (!/^[a-z0-9][a-z0-9-]*$/.test(c.id)) {
      throw new Error(`${what}: ids are lower case letters, digits and '-'`);
    }
    if (seen.has(c.id)) throw new Error(`${what}: the id is used twice`);
    seen.add(c.id);
    if (!c.claim.trim()) throw new Error(`${what}: state the claim in one sentence`);
    if (c.check.kind === "near") {
      const { abs, rel, sigmas, stderr } = c.check;
      if (abs === undefined && rel === undefined && sigmas === undefined) {
        throw new Error(`${what}: a 'near' check needs abs, rel or sigmas`);
      }
      if ((sigmas === undefined) !== (stderr === undefined)) {
        throw new Error(`${what}: 'sigmas' and 'stderr' go together`);
      }
    }
    if (c.check.kind !== "reported" && c.reference.value === undefined) {
      throw new Error(`${what}: a '${c.check.kind}' check needs reference.value`);
    }
  }
}

/** The stages whose metrics the claims read (ours, references, standard errors). */
export function claimStages(claims: readonly ClaimDef[]): string[] {
  const stages = new Set<string>();
  for (const c of claims) {
    stages.add(c.ours.stage);
    if (typeof c.reference.value === "object") stages.add(c.reference.value.stage);
    if (c.check.kind === "near" && c.check.stderr) stages.add(c.check.stderr.stage);
  }
  return [...stages];
}

/** Judges every claim with the metrics `lookup` finds. */
export function evaluateClaims(claims: readonly ClaimDef[], lookup: MetricLookup): ClaimVerdict[] {
  return claims.map((c) => evaluateClaim(c, lookup));
}

function evaluateClaim(c: ClaimDef, lookup: MetricLookup): ClaimVerdict {
  const base = {
    id: c.id,
    claim: c.claim,
    oursFrom: name(c.ours),
    referenceSource: c.reference.source,
    rule: describeCheck(c.check),
    differs: c.differs ?? null,
  };
  const get = (ref: MetricRef): number | string => {
    const v = lookup(ref);
    if (typeof v === "object") return v.missing;
    return Number.isFinite(v) ? v : `${name(ref)} is ${v}`;
  };
  const oursValue = get(c.ours);
  const refSpec = c.reference.value;
  const refValue = refSpec === undefined ? null : typeof refSpec === "number" ? refSpec : get(refSpec);
  const ours = typeof oursValue === "number" ? oursValue : null;
  const reference = typeof refValue === "number" ? refValue : null;
  const notComparable = (detail: string): ClaimVerdict => ({
    ...base,
    verdict: "not comparable",
    ours,
    reference,
    detail,
  });
  if (typeof oursValue === "string") return notComparable(oursValue);
  if (c.check.kind === "reported") return notComparable(c.check.why);
  if (typeof refValue === "string") return notComparable(refValue);
  const o = oursValue, r = refValue!;
  const f = formatValue;
  const judged = (ok: boolean, detail: string): ClaimVerdict => ({
    ...base,
    verdict: ok ? "reproduced" : "not reproduced",
    ours: o,
    reference: r,
    detail,
  });
  switch (c.check.kind) {
    case "near": {
      const { abs = 0, rel = 0, sigmas = 0, stderr } = c.check;
      let se = 0;
      if (stderr) {
        const s = get(stderr);
        if (typeof s === "string") return notComparable(s);
        se = s;
      }
      const tolerance = abs + rel * Math.abs(r) + sigmas * se;
      const distance = Math.abs(o - r);
      const parts = [
        abs ? f(abs) : null,
        rel ? `${f(100 * rel)}% of ${f(r)}` : null,
        sigmas ? `${sigmas} × s.e. ${f(se)}` : null,
      ].filter((p) => p !== null);
      const ok = distance <= tolerance;
      return judged(
        ok,
        `|${f(o)} − ${f(r)}| = ${f(distance)} ${ok ? "≤" : ">"} ${f(tolerance)}` +
          (parts.length > 1 || sigmas ? ` (${parts.join(" + ")})` : ""),
      );
    }
    case "below":
    case "above": {
      const factor = c.check.factor ?? 1;
      const bound = factor * r;
      const ok = c.check.kind === "below" ? o < bound : o > bound;
      const sign = c.check.kind === "below" ? (ok ? "<" : "≥") : (ok ? ">" : "≤");
      return judged(ok, `${f(o)} ${sign} ${factor === 1 ? f(r) : `${f(factor)} × ${f(r)} = ${f(bound)}`}`);
    }
    case "at-most":
      return judged(o <= r, `${f(o)} ${o <= r ? "≤" : ">"} ${f(r)}`);
    case "at-least":
      return judged(o >= r, `${f(o)} ${o >= r ? "≥" : "<"} ${f(r)}`);
  }
}

/** Counts of a run's verdicts. */
export interface ClaimTally {
  total: number;
  reproduced: number;
  notReproduced: number;
  notComparable: number;
}

export function tallyClaims(verdicts: readonly ClaimVerdict[]): ClaimTally {
  const count = (v: Verdict) => verdicts.filter((x) => x.verdict === v).length;
  return {
    total: verdicts.length,
    reproduced: count("reproduced"),
    notReproduced: count("not reproduced"),
    notComparable: count("not comparable"),
  };
}

/** "3 of 4 claims reproduced" (plus how many could not be compared). */
export function tallyText(t: ClaimTally): string {
  const base = `${t.reproduced} of ${t.total} claim${t.total === 1 ? "" : "s"} reproduced`;
  return t.notComparable > 0 ? `${base} (${t.notComparable} not comparable)` : base;
}
