/**
 * A self-contained HTML report page: inline CSS, inline SVG charts, PNG images as data: URIs, no
 * scripts and no network. The page reads top to bottom as: what the article claims, the headline numbers,
 * the sections (prose, plots, tables, sample grids), the comparison with the article, and what was run.
 *
 * The output depends only on the spec (no clock is read), so an unchanged report is byte-identical
 * and the engine's early cutoff works for report stages too.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { figure } from "./blocks.ts";
 * import { renderPage } from "./page.ts";
 * import { linePlot } from "./svg_plot.ts";
 *
 * const series = [{ name: "loss_d", x: [0, 1000, 2000], y: [1.2, 0.3, 0.25] }];
 * const page = renderPage({
 *   title: "WGAN-div on MNIST",
 *   article: { title: "WGAN-div：一个默默无闻的WGAN填坑者", url: "https://kexue.fm/archives/6139", date: "2018-11-07" },
 *   summary: "A gradient penalty with k = 2, p = 6 trains a GAN without a Lipschitz constraint.",
 *   highlights: [{ label: "classifier-FID", value: 12.3, digits: 1 }],
 *   sections: [{ title: "Training", body: [figure(linePlot(series, { title: "Losses" }))] }],
 *   comparison: { rows: [{ quantity: "classifier-FID", ours: 12.3, reference: null }], note: "MNIST, not CelebA." },
 *   provenance: { upstream: [], device: "CPU" }, // a report stage passes ctx.upstream
 * });
 * assert.ok(page.startsWith("<!doctype html>") && page.includes('<section id="comparison">'));
 * const outDir = await Deno.makeTempDir(); // a report stage writes into its ctx.outDir
 * await Deno.writeTextFile(`${outDir}/index.html`, page);
 * await Deno.remove(outDir, { recursive: true });
 * ```
 *
 * @module
 */
import type { ClaimVerdict } from "../../engine/claims.ts";
import type { Article } from "../../engine/pipeline.ts";
import { renderClaims } from "./claims_table.ts";
import { formatNumber, formatTimestamp } from "./_format.ts";
import { REPORT_CSS } from "./_style.ts";
import { type Comparison, renderComparison } from "./comparison.ts";
import { markup, type SafeHtml } from "./markup.ts";
import { type Provenance, renderProvenance } from "./provenance.ts";

/** A headline number shown as a card under the summary. */
export interface Highlight {
  label: string;
  value: number | string | null;
  unit?: string;
  /** Fixed decimals; default 4 significant digits. */
  digits?: number;
  /** One short line under the number, e.g. "article: 45.0 (CelebA-HQ)". */
  note?: string;
}

/** A titled part of the page; `body` holds blocks from blocks.ts or any `markup``` output. */
export interface Section {
  title: string;
  /** Anchor id; default derived from the title. */
  id?: string;
  body: SafeHtml | readonly SafeHtml[];
}

/** Everything a report page shows. */
export interface PageSpec {
  title: string;
  /** The pipeline's name, shown above the title. */
  pipeline?: string;
  article: Article;
  /** What the article claims and what this run shows, in a sentence or two. */
  summary: string | SafeHtml;
  /** The verdicts of the pipeline's claims (`ctx.claims`): the table right after the summary. */
  claims?: readonly ClaimVerdict[];
  highlights?: readonly Highlight[];
  sections?: readonly Section[];
  comparison?: Comparison;
  provenance?: Provenance;
  /** When the run ended (ISO time); shown in the byline and footer. Omitted when not given. */
  finishedAt?: string;
}

/** Renders the whole page as an HTML document. */
export function renderPage(spec: PageSpec): string {
  if (!spec.title.trim()) throw new Error("Cannot render a report page without a title");
  const used = new Set(["claims", "comparison", "what-was-run"]);
  const sections = (spec.sections ?? []).map((s, i) => {
    const base = s.id ?? slug(s.title, i);
    let id = base;
    // Two sections with the same title still get distinct anchors.
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    return { ...s, id };
  });
  const toc: { id: string; title: string }[] = [
    ...(spec.claims ? [{ id: "claims", title: "Claims" }] : []),
    ...sections.map(({ id, title }) => ({ id, title })),
  ];
  if (spec.comparison) toc.push({ id: "comparison", title: "Comparison with the article" });
  if (spec.provenance) toc.push({ id: "what-was-run", title: "What was run" });

  const byline = [
    markup`Article: <a href="${spec.article.url}">${spec.article.title}</a>`,
    spec.article.date ? markup`${spec.article.date}` : null,
    spec.finishedAt ? markup`run finished ${formatTimestamp(spec.finishedAt)}` : null,
  ].filter((x) => x !== null).map((b, i) => markup`${i > 0 ? markup`<span class="sep">·</span>` : ""}${b}`);
  const eyebrow = spec.pipeline ? `Reproduction · ${spec.pipeline}` : "Reproduction";
  const nav = toc.length > 2
    ? markup`<nav class="toc" aria-label="Contents">${
      toc.map((t) => markup`<a href="#${t.id}">${t.title}</a>`)
    }</nav>`
    : "";
  const parts: SafeHtml[] = [
    markup`<header>
<p class="eyebrow">${eyebrow}</p>
<h1>${spec.title}</h1>
<p class="byline">${byline}</p>
</header>`,
    markup`<section class="claim" aria-label="Summary"><p class="label">Summary</p>${
      paragraphs(spec.summary)
    }</section>`,
  ];
  if (spec.claims) {
    parts.push(markup`<section id="claims">\n<h2>Claims</h2>\n${renderClaims(spec.claims)}\n</section>`);
  }
  if (spec.highlights && spec.highlights.length > 0) parts.push(highlights(spec.highlights));
  if (nav) parts.push(nav);
  for (const s of sections) {
    parts.push(markup`<section id="${s.id}">\n<h2>${s.title}</h2>\n${s.body}\n</section>`);
  }
  if (spec.comparison) {
    parts.push(markup`<section id="comparison">
<h2>Comparison with the article</h2>
${renderComparison(spec.comparison)}
</section>`);
  }
  if (spec.provenance) {
    parts.push(markup`<section id="what-was-run">
<h2>What was run</h2>
${renderProvenance(spec.provenance)}
</section>`);
  }
  const finished = spec.finishedAt ? ` Run finished ${formatTimestamp(spec.finishedAt)}.` : "";
  parts.push(markup`<footer>Self-contained report: no scripts, no network.${finished}</footer>`);
  return documentHtml(spec.title, markup`<main>\n${parts.map((p) => markup`${p}\n`)}</main>`);
}

/** The HTML document around a page body, with the report stylesheet inlined. */
export function documentHtml(title: string, body: SafeHtml): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${markup`${title}`}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

function paragraphs(text: string | SafeHtml): SafeHtml {
  if (typeof text !== "string") return markup`<p>${text}</p>`;
  return markup`${
    text.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean).map((p) => markup`<p>${p}</p>`)
  }`;
}

function highlights(items: readonly Highlight[]): SafeHtml {
  const cards = items.map((h) => {
    const value = typeof h.value === "string"
      ? h.value
      : formatNumber(h.value, h.digits === undefined ? {} : { digits: h.digits });
    const unit = h.unit ? markup`<span class="unit">${h.unit}</span>` : "";
    const note = h.note ? markup`<dd class="note">${h.note}</dd>` : "";
    return markup`<div class="highlight"><dt>${h.label}</dt><dd>${value}${unit}</dd>${note}</div>`;
  });
  return markup`<dl class="highlights">${cards}</dl>`;
}

function slug(title: string, index: number): string {
  const s = title.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  return s || `section-${index + 1}`;
}
