/**
 * The run-or-cache decision of one stage, shared by a real run and `--dry-run`: a dry run prints what
 * a run would decide, so both must come from the same function.
 *
 * @module
 */
import { cacheKey, extendingValues, keyParts, prefixKey } from "./cache_key.ts";
import { findContinuation } from "./prefixes.ts";
import { explainRun, inputSlots, type PlannedStage } from "./plan.ts";
import type { Reason } from "./reasons.ts";
import type { StageRow } from "./results.ts";
import type { KeyRecord, Store } from "./store.ts";

/** What to do with a stage. */
export type Decision =
  /** Take the output from the cache. */
  | { action: "cached"; key: string; record: KeyRecord; reasons: Reason[] }
  /**
   * Execute it. The key is null only in a dry run, for a forced stage whose inputs are yet to run.
   * `prefix` is its prefix key when its kind extends runs; `continueFrom` the output it may continue.
   */
  | {
    action: "run";
    key: string | null;
    reasons: Reason[];
    prefix?: string;
    continueFrom?: { key: string; object: string; params: unknown };
  }
  /** Only in a dry run: an input is yet to be computed, so the key is not known. */
  | { action: "pending"; reasons: Reason[] };

export interface DecideArgs {
  store: Store;
  stage: PlannedStage;
  /** Object digest of each upstream stage that has an output by now. */
  objects: ReadonlyMap<string, string>;
  /** Upstream stages that executed in this run (for the early-cutoff reason). */
  ranNow: ReadonlySet<string>;
  /** The stage's most recent row in the pipeline's history. */
  previous: StageRow | undefined;
  /** Set when the stage is forced (`--force`): the reason. */
  forced: Reason | null;
  /** What the pipeline shows of itself (part of the key of stages that read the pipeline) and its digest. */
  shown: { definitions: unknown; digest: string };
}

/** The slot → object digest map of `stage`'s inputs, with undefined for inputs not computed yet. */
export function inputObjects(
  stage: PlannedStage,
  objects: ReadonlyMap<string, string>,
): Record<string, string | undefined> {
  return Object.fromEntries(inputSlots(stage).map(([slot, upstream]) => [slot, objects.get(upstream)]));
}

/**
 * The verified key record of a cached result, or why there is none. A corrupt object is removed. A
 * local miss is looked up on the store's remote cache, if it has one (remote_cache.ts: every byte is
 * verified before it is committed here); `fetched` then says so.
 */
export async function lookupCached(
  store: Store,
  key: string,
): Promise<{ record: KeyRecord; fetched?: "downloaded" | "peeked" } | { miss: Reason | null }> {
  const local = await lookupLocal(store, key);
  if ("record" in local || !store.remote?.reads || store.readOnly) return local;
  const remote = await store.remote.fetch(store, key);
  if (remote.found) return { record: remote.record, fetched: remote.peeked ? "peeked" : "downloaded" };
  return remote.problem ? { miss: { kind: "corrupt", subject: remote.problem } } : local;
}

async function lookupLocal(
  store: Store,
  key: string,
): Promise<{ record: KeyRecord } | { miss: Reason | null }> {
  const read = store.lookupKey(key);
  if (!read.ok) return { miss: read.missing ? null : { kind: "corrupt-entry", subject: read.problem } };
  const record = read.value;
  const check = await store.verifyObject(record.object);
  if (check.ok) return { record };
  // Never serve a changed object: drop it and its key, and recompute.
  await store.removeObject(record.object);
  await store.removeKey(key);
  return { miss: { kind: "corrupt", subject: check.problem } };
}

/** Decides whether `args.stage` runs, is cached, or (in a dry run) waits for an upstream stage. */
export async function decide(args: DecideArgs): Promise<Decision> {
  const { stage, previous } = args;
  const inputs = inputObjects(stage, args.objects);
  const pipelineDigest = stage.kind.readsPipeline ? args.shown.digest : undefined;
  const pending = inputSlots(stage).filter(([slot]) => inputs[slot] === undefined).map(([, u]) => u);
  if (pending.length > 0 && args.forced) return { action: "run", key: null, reasons: [args.forced] };
  if (pending.length > 0) {
    const unique = [...new Set(pending)];
    return {
      action: "pending",
      reasons: [
        ...(args.forced ? [args.forced] : explainRun(stage, inputs, previous, pipelineDigest)),
        { kind: "pending", subject: unique.join(" and "), ...(unique.length > 1 ? { note: "plural" } : {}) },
      ],
    };
  }
  const known = inputs as Record<string, string>;
  const parts = keyParts(stage, known, args.shown.definitions);
  const key = cacheKey(parts);
  const extendsRun = stage.kind.extendsRun ?? [];
  const prefix = extendsRun.length ? { prefix: prefixKey(parts, extendsRun) } : {};
  if (args.forced) return { action: "run", key, reasons: [args.forced], ...prefix };
  const found = await lookupCached(args.store, key);
  if ("record" in found) {
    const cutoff = [...new Set(inputSlots(stage).map(([, u]) => u).filter((u) => args.ranNow.has(u)))];
    const reasons: Reason[] = found.fetched
      ? [{
        kind: found.fetched === "peeked" ? "on-remote" : "fetched",
        subject: found.record.producedBy.runId,
        note: found.record.producedBy.host,
      }]
      : cutoff.length
      ? [{ kind: "early-cutoff", subject: cutoff.join(", ") }]
      : [{ kind: "cached" }];
    return { action: "cached", key, record: found.record, reasons };
  }
  const reasons = found.miss ? [found.miss] : explainRun(stage, known, previous, pipelineDigest);
  if (!prefix.prefix) return { action: "run", key, reasons };
  const ours = extendingValues(stage.params, extendsRun);
  const candidate = findContinuation(args.store, prefix.prefix, ours);
  if (!candidate) return { action: "run", key, reasons, ...prefix };
  // Continue only from an output that verifies, like any cache hit.
  const verified = await lookupCached(args.store, candidate.entry.key);
  if (!("record" in verified)) return { action: "run", key, reasons, ...prefix };
  const [param] = extendsRun;
  return {
    action: "run",
    key,
    ...prefix,
    reasons: [
      ...reasons,
      {
        kind: "continues",
        subject: candidate.entry.key,
        before: String(candidate.entry.values[param!]),
        note: param!,
      },
    ],
    continueFrom: {
      key: candidate.entry.key,
      object: verified.record.object,
      params: verified.record.params,
    },
  };
}
