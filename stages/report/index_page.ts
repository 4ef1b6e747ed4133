/**
 * reports/index.html: one row per pipeline with a link to its latest report, what it reproduces, the
 * status of its last run, its headline metric and when that run ended. Self-contained like the reports.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderIndex } from "./index_page.ts";
 *
 * const article = { title: "WGAN-div：一个默默无闻的WGAN填坑者", url: "https://kexue.fm/archives/6139" };
 * const other = { title: "GAN-QP", url: "https://kexue.fm/archives/6163" };
 * const page = renderIndex([
 *   { name: "wgan-div", description: "WGAN-div on MNIST", article, status: "ok",
 *     headline: { label: "classifier-FID", value: 12.7, digits: 1 }, endedAt: "2025-11-22T00:45:37Z" },
 *   { name: "gan-qp", description: "GAN-QP on MNIST", article: other, status: "never run" },
 * ]);
 * assert.ok(page.includes('href="wgan-div/index.html"') && page.includes("12.7"));
 * const reports = await Deno.makeTempDir(); // the engine writes reports/index.html
 * await Deno.writeTextFile(`${reports}/index.html`, page);
 * await Deno.remove(reports, { recursive: true });
 * ```
 *
 * @module
 */
import type { IndexEntry } from "../../engine/publish.ts";
import { formatNumber, formatTimestamp } from "./_format.ts";
import { markup, raw, type SafeHtml } from "./markup.ts";
import { documentHtml } from "./page.ts";

/** Status of a pipeline's last run. */
export type RunStatus = IndexEntry["status"];

export type { IndexEntry };

/** Options of `renderIndex`. */
export interface IndexOptions {
  /** Page title; default "Reproductions". */
  title?: string;
  /** One paragraph under the title. */
  intro?: string;
  /** Pages that compare several pipelines (e.g. gans.html), linked under the intro. */
  pages?: readonly { href: string; title: string }[];
}

/** Renders reports/index.html. Entries appear in the order given. */
export function renderIndex(entries: readonly IndexEntry[], options: IndexOptions = {}): string {
  const title = options.title ?? "Reproductions";
  const count = (status: RunStatus) => entries.filter((e) => e.status === status).length;
  const summary = [
    `${entries.length} pipeline${entries.length === 1 ? "" : "s"}`,
    `${count("ok")} ok`,
    count("failed") > 0 ? `${count("failed")} failed` : null,
    count("never run") > 0 ? `${count("never run")} never run` : null,
  ].filter((x) => x !== null).join(" · ");
  const rows = entries.map((e) => {
    const href = e.href ??
      (e.status === "never run" ? undefined : `${encodeURIComponent(e.name)}/index.html`);
    const name = href ? markup`<a href="${href}">${e.name}</a>` : e.name;
    const date = e.article.date ? markup`<div class="muted">${e.article.date}</div>` : "";
    const error = e.error ? markup`<div class="small muted">${e.error}</div>` : "";
    const ended = e.endedAt ? formatTimestamp(e.endedAt) : markup`<span class="muted">—</span>`;
    return markup`<tr id="${e.name}">
<td><div class="stage-name">${name}</div><div class="small muted">${e.description}</div></td>
<td class="small"><a href="${e.article.url}">${e.article.title}</a>${date}</td>
<td>${statusPill(e.status)}${error}</td>
<td class="num">${headline(e.headline)}</td>
<td class="small">${claimsCell(e.claims)}</td>
<td class="small">${ended}</td>
</tr>`;
  });
  const intro = options.intro ? markup`<p>${options.intro}</p>` : "";
  const pages = options.pages?.length
    ? markup`<p>Across pipelines: ${
      options.pages.map((p, i) => markup`${i > 0 ? " · " : ""}<a href="${p.href}">${p.title}</a>`)
    }</p>`
    : "";
  const list = entries.length === 0
    ? markup`<p class="muted">No pipelines yet.</p>`
    : markup`<div class="table-wrap"><table class="index"><thead><tr><th scope="col">Pipeline</th><th scope="col">Article</th><th scope="col">Last run</th><th scope="col" class="num">Headline</th><th scope="col">Claims</th><th scope="col">Ended</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  return documentHtml(
    title,
    markup`<main>
<header>
<p class="eyebrow">Reports</p>
<h1>${title}</h1>
<p class="byline">${summary}</p>
${intro}
${pages}
</header>
${list}
<footer>Each report is one self-contained HTML file: no scripts, no network.</footer>
</main>`,
  );
}

function statusPill(status: RunStatus): SafeHtml {
  const kind = status === "ok" ? "ok" : status === "failed" ? "failed" : "never";
  return markup`<span class="pill ${raw(kind)}">${status}</span>`;
}

function claimsCell(t: IndexEntry["claims"]): SafeHtml {
  if (!t || t.total === 0) return markup`<span class="muted">—</span>`;
  const kind = t.reproduced === t.total - t.notComparable ? "ok" : "failed";
  const extra = t.notComparable ? markup`<div class="muted">${t.notComparable} not comparable</div>` : "";
  return markup`<span class="pill ${raw(kind)}">${t.reproduced} of ${t.total}</span> reproduced${extra}`;
}

function headline(h: IndexEntry["headline"]): SafeHtml {
  if (!h) return markup`<span class="muted">—</span>`;
  const value = formatNumber(h.value, h.digits === undefined ? {} : { digits: h.digits });
  return markup`<div class="headline-value">${value}${
    h.unit ? ` ${h.unit}` : ""
  }</div><div class="small muted">${h.label}</div>`;
}
