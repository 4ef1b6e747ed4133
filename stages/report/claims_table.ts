/**
 * The claims table that opens every report: each claim of the article with its verdict in this run,
 * our number beside the reference and where each comes from, the comparison in numbers, and what
 * differs between the two setups. The verdicts come from the engine (`ctx.claims`), so the report and
 * `deno task claims` always agree.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderClaims } from "./claims_table.ts";
 *
 * const html = renderClaims([{
 *   id: "protein-fano", claim: "The protein count's Fano factor is 2.25.", verdict: "reproduced",
 *   ours: 2.229, oursFrom: "summarize.protein_fano", reference: 2.25, referenceSource: "analytic",
 *   rule: "within 4 standard errors", detail: "|2.229 − 2.25| = 0.021 ≤ 0.124 (4 × s.e. 0.031)",
 *   differs: null,
 * }]);
 * assert.ok(String(html).includes("1 of 1 claim reproduced"));
 * ```
 *
 * @module
 */
import { type ClaimVerdict, tallyClaims, tallyText } from "../../engine/claims.ts";
import { formatNumber } from "./_format.ts";
import { markup, raw, type SafeHtml } from "./markup.ts";

const PILL: Record<ClaimVerdict["verdict"], string> = {
  reproduced: "ok",
  "not reproduced": "failed",
  "not comparable": "never",
};

/** The claims table with its one-line tally; a short note when the pipeline declares no claims. */
export function renderClaims(verdicts: readonly ClaimVerdict[]): SafeHtml {
  if (verdicts.length === 0) {
    return markup`<p class="muted small">This pipeline declares no claims to check.</p>`;
  }
  const rows = verdicts.map((v) => {
    const differs = v.differs ? markup`<div class="small muted">Differs: ${v.differs}</div>` : "";
    return markup`<tr id="claim-${v.id}">
<td><span class="pill ${raw(PILL[v.verdict])}">${v.verdict}</span></td>
<td class="claim-text">${v.claim}<div class="small muted mono">${v.id}</div>${differs}</td>
<td class="value"><span class="figure">${
      formatNumber(v.ours)
    }</span><div class="small muted">${v.oursFrom}</div></td>
<td class="value"><span class="figure">${
      formatNumber(v.reference)
    }</span><div class="small muted">${v.referenceSource}</div></td>
<td class="check small">${v.rule}<div class="muted">${v.detail}</div></td>
</tr>`;
  });
  return markup`<p class="claims-tally"><strong>${tallyText(tallyClaims(verdicts))}</strong> in this run.</p>
<div class="table-wrap"><table class="claims"><thead><tr><th scope="col">Verdict</th><th scope="col">Claim</th><th scope="col" class="value">Ours</th><th scope="col" class="value">Reference</th><th scope="col">Check</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}
