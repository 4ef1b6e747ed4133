/**
 * Why a stage ran or was taken from the cache, as data: one `Reason` per changed thing (a param, a
 * code file, an input, a package version, a source file), with the text printed to the user derived
 * from them. The data goes to the run's `reasons` table, so that "which stages reran because
 * train.steps changed" is a SQL filter, not a string match.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reasonText } from "./reasons.ts";
 *
 * const text = reasonText([{ kind: "params", subject: "train.steps", before: "100", after: "120" }]);
 * assert.equal(text, "params changed: train.steps 100 → 120");
 * ```
 *
 * @module
 */

export type ReasonKind =
  | "never-run"
  | "kind"
  | "code"
  | "params"
  | "input"
  | "runtime"
  | "files"
  | "pipeline"
  | "failed-before"
  | "interrupted-before"
  | "not-in-cache"
  | "forced"
  | "corrupt"
  | "corrupt-entry"
  | "cached"
  | "early-cutoff"
  | "computed-meanwhile"
  | "fetched"
  | "on-remote"
  | "continues"
  | "pending";

/** One reason. `subject` is what changed: a dotted param name, a code or source file, a stage, a package. */
export interface Reason {
  kind: ReasonKind;
  subject?: string;
  before?: string;
  after?: string;
  /** A qualifier, e.g. "no longer imported", "runs first", "downstream". */
  note?: string;
}

/** Kinds that list several changed things after one label, e.g. "params changed: a 1 → 2, b 3 → 4". */
const LISTED: Partial<Record<ReasonKind, { label: string; item: (r: Reason) => string }>> = {
  code: { label: "code changed", item: (r) => withNote(r.subject!, r.note) },
  params: {
    label: "params changed",
    item: (r) => `${r.subject} ${r.before ?? "(unset)"} → ${r.after ?? "(unset)"}`,
  },
  input: { label: "input changed", item: (r) => withNote(r.subject!, r.note) },
  runtime: { label: "runtime changed", item: (r) => `${r.subject} ${r.before} → ${r.after}` },
  files: { label: "source files changed", item: (r) => withNote(r.subject!, r.note) },
};

const withNote = (s: string, note?: string) => (note ? `${s} (${note})` : s);

function listed(items: string[], limit = 3): string {
  return items.length <= limit
    ? items.join(", ")
    : `${items.slice(0, limit).join(", ")} and ${items.length - limit} more`;
}

function single(r: Reason): string {
  switch (r.kind) {
    case "never-run":
      return "never run";
    case "kind":
      return `kind changed: ${r.before} → ${r.after}`;
    case "pipeline":
      return "the pipeline's article, description or claims changed";
    case "failed-before":
      return "previous attempt failed";
    case "interrupted-before":
      return "previous attempt was interrupted";
    case "not-in-cache":
      return "not in the cache (removed by gc?)";
    case "forced":
      return r.note === "downstream" ? `forced: downstream of ${r.subject}` : `forced (--force ${r.subject})`;
    case "corrupt":
      return `cached output was corrupted (${r.subject}): recomputing`;
    case "corrupt-entry":
      return `cache entry was corrupt (${r.subject}): recomputing`;
    case "cached":
      return "cached";
    case "early-cutoff":
      return `cached: ${r.subject} reproduced the same output (early cutoff)`;
    case "computed-meanwhile":
      return `cached: computed by run ${r.subject} while this one waited`;
    case "fetched":
      return `cached: fetched from the remote (computed by run ${r.subject}${r.note ? ` on ${r.note}` : ""})`;
    case "on-remote":
      return `cached on the remote: would be fetched (computed by run ${r.subject}${
        r.note ? ` on ${r.note}` : ""
      })`;
    case "continues":
      return `continues from ${r.note === "steps" || !r.note ? "step " : `${r.note} = `}${r.before} of ${
        r.subject?.slice(0, 12)
      }`;
    case "pending":
      return `stays cached if ${r.subject} ${
        r.note === "plural" ? "reproduce their outputs" : "reproduces its output"
      }`;
    default:
      return r.kind;
  }
}

/** The text shown to the user for `reasons`, in the order they were found. */
export function reasonText(reasons: readonly Reason[]): string {
  const parts: string[] = [];
  const done = new Set<ReasonKind>();
  let pending = "";
  for (const r of reasons) {
    if (r.kind === "pending") {
      pending = ` — ${single(r)}`;
      continue;
    }
    const list = LISTED[r.kind];
    if (!list) {
      parts.push(single(r));
      continue;
    }
    if (done.has(r.kind)) continue;
    done.add(r.kind);
    parts.push(`${list.label}: ${listed(reasons.filter((x) => x.kind === r.kind).map(list.item))}`);
  }
  return parts.join("; ") + pending;
}
