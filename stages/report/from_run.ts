/**
 * What a report reads from the run instead of restating it: a param of an upstream stage
 * (`graph.k`), the last value of a metric a stage recorded, and text templates that mention them
 * (`"k = {graph.k}, p = {graph.p}"`, `"{evaluate:final_fid}"`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fillTemplate } from "./from_run.ts";
 *
 * const upstream = [{
 *   stage: "graph", kind: "x.graph", key: "k", object: "o", codeDigest: "c", codeFiles: [],
 *   params: { k: 2, p: 6 }, runtime: {},
 *   producedBy: { runId: "r", startedAt: "", durationMs: 0, host: "h" }, metrics: { params: 372738 },
 * }];
 * assert.equal(fillTemplate("k = {graph.k}, p = {graph.p}", upstream), "k = 2, p = 6");
 * assert.equal(fillTemplate("{graph:params}", upstream), 372738);
 * ```
 *
 * @module
 */
import type { MetricRef } from "../../engine/claims.ts";
import type { UpstreamRecord } from "../../engine/stage.ts";

function record(upstream: readonly UpstreamRecord[], stage: string): UpstreamRecord {
  const r = upstream.find((u) => u.stage === stage);
  if (!r) {
    throw new Error(
      `The report reads stage '${stage}', which is not upstream of it (upstream: ${
        upstream.map((u) => u.stage).join(", ")
      })`,
    );
  }
  return r;
}

/** The param at `path` ("train.hyper.lr_d") of an upstream stage. */
export function paramOf(upstream: readonly UpstreamRecord[], path: string): unknown {
  const [stage, ...keys] = path.split(".");
  let value: unknown = record(upstream, stage!).params;
  for (const k of keys) {
    if (typeof value !== "object" || value === null || !(k in value)) {
      throw new Error(`The report reads param '${path}', which stage ${stage} does not have`);
    }
    value = (value as Record<string, unknown>)[k];
  }
  return value;
}

/** The last value of a metric an upstream stage recorded, or null when it recorded none. */
export function metricOf(upstream: readonly UpstreamRecord[], ref: MetricRef): number | null {
  return record(upstream, ref.stage).metrics[ref.metric] ?? null;
}

const show = (v: unknown) =>
  typeof v === "number" ? String(Number(v.toPrecision(6))) : typeof v === "string" ? v : JSON.stringify(v);

/**
 * Fills `{stage.param.path}` with params and `{stage:metric}` with metrics of upstream stages. A
 * template that is one placeholder of a number gives the number itself (so tables can format it).
 */
export function fillTemplate(template: string, upstream: readonly UpstreamRecord[]): string | number {
  const value = (token: string): unknown => {
    const colon = token.indexOf(":");
    if (colon > 0) {
      return metricOf(upstream, { stage: token.slice(0, colon), metric: token.slice(colon + 1) });
    }
    return paramOf(upstream, token);
  };
  const whole = /^\{([^{}]+)\}$/.exec(template);
  if (whole) {
    const v = value(whole[1]!);
    if (typeof v === "number") return v;
  }
  return template.replace(/\{([^{}]+)\}/g, (_, token: string) => show(value(token)));
}
