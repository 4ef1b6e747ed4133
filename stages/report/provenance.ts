/**
 * The "what was run" block of a report, from the stage provenance the engine hands every stage
 * (`ctx.upstream`): each stage with its kind, params, code digest and files, when, where and how long
 * it was produced, whether this run computed it or found it cached, and its cache key; plus the runtime
 * versions, the device and the command.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { UpstreamRecord } from "../../engine/stage.ts";
 * import { renderProvenance } from "./provenance.ts";
 *
 * const runId = "20251122-004537-1a2b";
 * const upstream: UpstreamRecord[] = [{ // ctx.upstream of the report stage: here one stage of this run
 *   stage: "train", kind: "train.gan", key: "a".repeat(64), object: "b".repeat(64), codeDigest: "c".repeat(64),
 *   codeFiles: ["stages/train/train.ts"], params: { steps: 2000 }, runtime: { deno: "2.9.6" },
 *   producedBy: { runId, startedAt: "2025-11-22T00:44:36Z", durationMs: 61_000, host: "box" }, metrics: {},
 * }];
 * const html = renderProvenance({ upstream, device: "CPU (2 cores)", runId, command: "deno task run wgan-div" });
 * assert.ok(String(html).includes("1 ran in this run, 0 cached"));
 * ```
 *
 * @module
 */
import type { UpstreamRecord } from "../../engine/stage.ts";
import { formatDuration, formatTimestamp, shortDigest } from "./_format.ts";
import { markup, type SafeHtml } from "./markup.ts";

/** What the block shows. */
export interface Provenance {
  /** Provenance of the stages, in plan order (`ctx.upstream` of the report stage). */
  upstream: readonly UpstreamRecord[];
  /** The device the training ran on, e.g. "CPU, 2 cores" or "CUDA: NVIDIA H100". */
  device: string;
  /** The current run; stages produced by another run are marked cached. */
  runId?: string;
  /** The command that reproduces the run. */
  command?: string;
}

/** Renders the "what was run" block. */
export function renderProvenance(p: Provenance): SafeHtml {
  const stages = p.upstream;
  const total = stages.reduce((sum, s) => sum + s.producedBy.durationMs, 0);
  const cached = p.runId === undefined ? [] : stages.filter((s) => s.producedBy.runId !== p.runId);
  const hosts = [...new Set(stages.map((s) => s.producedBy.host))];
  const shared = sharedRuntime(stages);
  const facts: [string, SafeHtml | string][] = [["Device", p.device]];
  if (p.command) facts.push(["Command", markup`<code>${p.command}</code>`]);
  if (p.runId) facts.push(["Run", markup`<code>${p.runId}</code>`]);
  const counts = p.runId === undefined
    ? ""
    : ` · ${stages.length - cached.length} ran in this run, ${cached.length} cached`;
  facts.push(["Stages", `${stages.length} · ${formatDuration(total)} of compute${counts}`]);
  if (hosts.length > 0) facts.push([hosts.length === 1 ? "Host" : "Hosts", hosts.join(", ")]);
  if (Object.keys(shared).length > 0) facts.push(["Runtime", runtimeText(shared)]);
  const rows = stages.map((s) => {
    const own = Object.fromEntries(Object.entries(s.runtime).filter(([k, v]) => shared[k] !== v));
    const ownRuntime = Object.keys(own).length > 0
      ? markup`<div class="small muted">${runtimeText(own)}</div>`
      : "";
    const wasCached = p.runId !== undefined && s.producedBy.runId !== p.runId;
    const status = p.runId === undefined
      ? ""
      : wasCached
      ? markup` <span class="pill cached" title="produced by run ${s.producedBy.runId}">cached</span>`
      : markup` <span class="pill ok">ran</span>`;
    const host = hosts.length > 1 ? markup`<div class="muted">${s.producedBy.host}</div>` : "";
    return markup`<tr>
<td><span class="stage-name">${s.stage}</span><span class="stage-kind">${s.kind}</span></td>
<td>${paramsCell(s.params)}</td>
<td class="digests"><span class="muted">code</span> <code title="${s.codeDigest}">${
      shortDigest(s.codeDigest)
    }</code><br><span class="muted">key</span> <code title="${s.key}">${shortDigest(s.key)}</code>${
      codeFiles(s.codeFiles)
    }${ownRuntime}</td>
<td class="small">${formatTimestamp(s.producedBy.startedAt)}${status}${host}</td>
<td class="num">${formatDuration(s.producedBy.durationMs)}</td>
</tr>`;
  });
  return markup`<dl class="facts">${facts.map(([k, v]) => markup`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
<div class="table-wrap"><table class="provenance"><thead><tr><th scope="col">Stage</th><th scope="col">Params</th><th scope="col">Digests</th><th scope="col">Produced</th><th scope="col" class="num">Time</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

/** Runtime versions that every stage shares (shown once instead of per row). */
function sharedRuntime(stages: readonly UpstreamRecord[]): Record<string, string> {
  if (stages.length === 0) return {};
  const [first, ...rest] = stages;
  return Object.fromEntries(
    Object.entries(first!.runtime).filter(([k, v]) => rest.every((s) => s.runtime[k] === v)),
  );
}

function runtimeText(runtime: Readonly<Record<string, string>>): string {
  return Object.entries(runtime).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`).join(
    " · ",
  );
}

/** Params flattened to `a.b=value` chips; long lists fold into a <details>. */
function paramsCell(params: unknown): SafeHtml | string {
  const entries = flatten(params, "");
  if (entries.length === 0) return markup`<span class="muted">—</span>`;
  // A long value (a report's prose, a list) is cut in the chip and kept whole in its tooltip.
  const chip = ([k, v]: [string, string]) =>
    v.length > 40
      ? markup`<code title="${v}">${k}=${v.slice(0, 39)}…</code>`
      : markup`<code>${k}=${v}</code>`;
  const chips = markup`<div class="params">${entries.map(chip)}</div>`;
  if (entries.length <= 6) return chips;
  return markup`<details><summary>${entries.length} params</summary>${chips}</details>`;
}

function flatten(value: unknown, prefix: string): [string, string][] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return prefix ? [[prefix, JSON.stringify(value) ?? String(value)]] : [];
  }
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === "string") out.push([key, v]);
    else out.push(...flatten(v, key));
  }
  return out;
}

function codeFiles(files: readonly string[]): SafeHtml | string {
  if (files.length === 0) return "";
  const items = files.map((f) => markup`<li><code>${f}</code></li>`);
  return markup`<details><summary>${files.length} file${
    files.length === 1 ? "" : "s"
  }</summary><ul>${items}</ul></details>`;
}
