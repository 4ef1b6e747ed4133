/**
 * The "comparison with the article" block: our numbers next to the article's, with the difference, and
 * a note (required) that says honestly what differs between the two setups.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderComparison } from "./comparison.ts";
 *
 * const html = renderComparison({
 *   rows: [{ quantity: "FID, best (k=2, p=6)", ours: 31.2, reference: 45.0, digits: 1, lowerIsBetter: true,
 *            note: "classifier-FID on MNIST vs Inception FID on CelebA-HQ: not the same scale" }],
 *   note: "We train 2k steps on MNIST at 28×28 on a CPU; the article trains 20k on CelebA-HQ 128².",
 * });
 * assert.ok(String(html).includes('<td class="num">31.2</td><td class="num">45.0</td>'));
 * ```
 *
 * @module
 */
import { formatNumber } from "./_format.ts";
import { markup, raw, type SafeHtml } from "./markup.ts";

/** One quantity measured by us and reported by the article. */
export interface ComparisonRow {
  quantity: string;
  ours: number | string | null;
  /** The article's value; null when it gives none. */
  reference: number | string | null;
  unit?: string;
  /** Fixed decimals for both numbers; default 4 significant digits. */
  digits?: number;
  /** Where the reference number comes from, e.g. "Table 2" or "Fig. 3, read off the plot". */
  source?: string;
  /** Colours the difference (green when ours is better); leave unset when neither direction is better. */
  lowerIsBetter?: boolean;
  /** What is different about this one row. */
  note?: string;
}

/** The comparison block: rows plus a note on what differs. */
export interface Comparison {
  rows: readonly ComparisonRow[];
  /** What differs between our setup and the article's (data, scale, steps, metric). Required. */
  note: string | SafeHtml;
  /** Header of the reference column; default "Article". */
  referenceLabel?: string;
}

/** Renders the comparison table and its note. */
export function renderComparison(comparison: Comparison): SafeHtml {
  if (String(comparison.note).trim() === "") {
    throw new Error("Cannot render the comparison: give a note saying what differs from the article's setup");
  }
  const hasNotes = comparison.rows.some((r) => r.note || r.source);
  const rows = comparison.rows.map((r) => {
    const value = (v: number | string | null) => {
      if (v === null) return "—";
      if (typeof v === "string") return v;
      return formatNumber(v, r.digits === undefined ? {} : { digits: r.digits }) +
        (r.unit ? ` ${r.unit}` : "");
    };
    const source = r.source ? markup`<span class="muted">${r.note ? " · " : ""}${r.source}</span>` : "";
    const note = hasNotes ? markup`<td class="small">${r.note ?? ""}${source}</td>` : "";
    return markup`<tr><th scope="row">${r.quantity}</th><td class="num">${
      value(r.ours)
    }</td><td class="num">${value(r.reference)}</td><td class="num">${difference(r)}</td>${note}</tr>`;
  });
  const noteHead = hasNotes ? markup`<th scope="col">Note</th>` : "";
  return markup`<div class="table-wrap"><table class="comparison"><thead><tr><th scope="col">Quantity</th><th scope="col" class="num">Ours</th><th scope="col" class="num">${
    comparison.referenceLabel ?? "Article"
  }</th><th scope="col" class="num">Difference</th>${noteHead}</tr></thead><tbody>${rows}</tbody></table></div>
<p>${comparison.note}</p>`;
}

function difference(r: ComparisonRow): SafeHtml | string {
  const { ours, reference } = r;
  if (typeof ours !== "number" || typeof reference !== "number") return "—";
  if (!Number.isFinite(ours) || !Number.isFinite(reference)) return "—";
  const delta = ours - reference;
  const sign = delta > 0 ? "+" : delta < 0 ? "-" : "±";
  const abs = formatNumber(Math.abs(delta), r.digits === undefined ? {} : { digits: r.digits });
  const percent = formatNumber(Math.abs(delta / reference) * 100, { digits: 0 });
  const text = `${sign}${abs}${reference !== 0 ? ` (${sign}${percent}%)` : ""}`;
  if (r.lowerIsBetter === undefined || delta === 0) return text;
  const better = r.lowerIsBetter ? delta < 0 : delta > 0;
  return markup`<span class="${raw(better ? "delta-better" : "delta-worse")}">${text}</span>`;
}
