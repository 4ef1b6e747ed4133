/**
 * The one stylesheet of report pages and the reports index, inlined into each page so that a report is
 * a single file. Light and dark colours follow `prefers-color-scheme`; charts draw with `currentColor`.
 *
 * @module
 */

/** CSS for report and index pages. */
export const REPORT_CSS = `
:root {
  color-scheme: light dark;
  --bg: #fcfcfb; --fg: #1c1e21; --muted: #5d6470; --faint: #8a919c; --line: #e2e4e8; --surface: #f3f4f6;
  --accent: #3451b2; --accent-soft: #eef1fb; --ok: #1f7a4d; --ok-soft: #e6f4ec; --bad: #b42318; --bad-soft: #fdecea;
  --warn: #8a5a00; --warn-soft: #fff5df;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial,
    "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
  --mono: ui-monospace, "SF Mono", "Cascadia Mono", "DejaVu Sans Mono", Menlo, Consolas, monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #141619; --fg: #e4e6e9; --muted: #a0a7b1; --faint: #767d88; --line: #2d3137; --surface: #1c1f23;
    --accent: #93a8ff; --accent-soft: #1f2540; --ok: #5fd39a; --ok-soft: #14301f; --bad: #ff8a80; --bad-soft: #3a1a17;
    --warn: #f0c060; --warn-soft: #33290f;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.6 var(--sans); font-kerning: normal; text-rendering: optimizeLegibility;
}
main { max-width: 54rem; margin: 0 auto; padding: 2.5rem 1.25rem 4rem; }
a { color: var(--accent); text-decoration-thickness: 1px; text-underline-offset: 2px; }
h1 { font-size: 2rem; line-height: 1.2; letter-spacing: -0.015em; margin: 0.25rem 0 0.5rem; }
h2 {
  font-size: 1.3rem; line-height: 1.3; margin: 2.75rem 0 0.75rem; padding-bottom: 0.35rem;
  border-bottom: 1px solid var(--line);
}
h3 { font-size: 1.05rem; margin: 1.75rem 0 0.5rem; }
p { margin: 0.6rem 0; }
code, pre, .mono { font-family: var(--mono); font-size: 0.86em; }
code { background: var(--surface); padding: 0.1em 0.35em; border-radius: 4px; }
pre { background: var(--surface); padding: 0.75rem 1rem; border-radius: 6px; overflow-x: auto; }
pre code { background: none; padding: 0; }
.eyebrow {
  margin: 0; color: var(--accent); font-size: 0.78rem; font-weight: 600; letter-spacing: 0.08em;
  text-transform: uppercase;
}
.byline { color: var(--muted); margin: 0.25rem 0 0; }
.byline .sep { margin: 0 0.4rem; color: var(--faint); }
.claim {
  margin: 1.75rem 0; padding: 0.9rem 1.2rem; border-left: 3px solid var(--accent);
  background: var(--accent-soft); border-radius: 0 6px 6px 0;
}
.claim .label { margin: 0 0 0.2rem; font-size: 0.78rem; font-weight: 600; letter-spacing: 0.06em; text-transform: uppercase; color: var(--accent); }
.claim p:last-child { margin-bottom: 0; }
.highlights {
  display: grid; grid-template-columns: repeat(auto-fit, minmax(10.5rem, 1fr)); gap: 0.75rem; margin: 1.5rem 0;
}
.highlight { border: 1px solid var(--line); border-radius: 8px; padding: 0.8rem 1rem; background: var(--bg); }
.highlight dt { color: var(--muted); font-size: 0.82rem; }
.highlight dd { margin: 0.15rem 0 0; font-size: 1.55rem; font-weight: 650; font-variant-numeric: tabular-nums; letter-spacing: -0.01em; }
.highlight .unit { font-size: 0.9rem; font-weight: 500; color: var(--muted); margin-left: 0.2rem; }
.highlight dd.note { margin: 0.2rem 0 0; font-size: 0.8rem; font-weight: 400; color: var(--muted); line-height: 1.4; letter-spacing: 0; }
nav.toc { display: flex; flex-wrap: wrap; gap: 0.2rem 1.1rem; font-size: 0.9rem; margin: 1rem 0; }
nav.toc a { color: var(--muted); }
.table-wrap { overflow-x: auto; margin: 1rem 0 1.25rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.92rem; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; color: var(--muted); font-size: 0.88rem; padding-bottom: 0.4rem; }
th, td { padding: 0.45rem 0.75rem; text-align: left; vertical-align: top; border-bottom: 1px solid var(--line); }
th:first-child, td:first-child { padding-left: 0.25rem; }
/* Headers wrap (a long label must not push the table past its column); numbers below do not. */
thead th {
  font-size: 0.78rem; font-weight: 600; letter-spacing: 0.04em; text-transform: uppercase; color: var(--muted);
  border-bottom: 2px solid var(--line); vertical-align: bottom;
}
td.num, th.num { text-align: right; }
td.num { white-space: nowrap; }
tbody tr:hover { background: var(--surface); }
figure { margin: 1.5rem 0; }
figure.plot { overflow-x: auto; }
/* Below ~34rem a chart would shrink its text out of legibility; it scrolls sideways instead. */
figure svg { display: block; max-width: 100%; min-width: min(34rem, 100%); height: auto; margin: 0 auto; }
@media (max-width: 36rem) { figure.plot svg { max-width: none; width: 34rem; } }
figure img { display: block; max-width: 100%; height: auto; border-radius: 3px; }
figure.image img { margin: 0 auto; }
figcaption { color: var(--muted); font-size: 0.88rem; margin-top: 0.5rem; line-height: 1.45; }
.figure-row { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 1.25rem; align-items: start; }
.figure-row figure { margin: 0.75rem 0; }
.callout { margin: 1.25rem 0; padding: 0.75rem 1rem; border-radius: 6px; background: var(--surface); font-size: 0.94rem; }
.callout.warning { background: var(--warn-soft); }
.callout .label { font-weight: 600; margin-right: 0.35rem; }
.callout.warning .label { color: var(--warn); }
.muted { color: var(--muted); }
.small { font-size: 0.85rem; }
.pill {
  display: inline-block; padding: 0.05rem 0.55rem; border-radius: 999px; font-size: 0.78rem; font-weight: 600;
  background: var(--surface); color: var(--muted); white-space: nowrap;
}
.pill.ok { background: var(--ok-soft); color: var(--ok); }
.pill.failed { background: var(--bad-soft); color: var(--bad); }
.pill.cached { background: var(--accent-soft); color: var(--accent); }
.params { display: flex; flex-wrap: wrap; gap: 0.25rem 0.35rem; }
.params code { white-space: nowrap; max-width: 12rem; overflow: hidden; text-overflow: ellipsis; }
details summary { cursor: pointer; color: var(--muted); font-size: 0.85rem; }
details[open] summary { margin-bottom: 0.3rem; }
details ul { margin: 0.2rem 0; padding-left: 1.1rem; font-size: 0.82rem; }
.stage-name { font-weight: 600; }
.headline-value { font-size: 1.1rem; font-weight: 650; }
td.digests { white-space: nowrap; font-size: 0.85rem; }
/* The runtime line under the digests is long: it wraps, the digests do not. */
td.digests .small { white-space: normal; min-width: 16rem; }
/* A stage's time may read "1 min 13 s": it wraps between its parts rather than widen the table. */
table.provenance td.num { white-space: normal; }
.stage-kind { display: block; color: var(--muted); font-family: var(--mono); font-size: 0.78rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0.75rem 0; font-size: 0.92rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
table.claims td.value, table.claims th.value { text-align: right; }
table.claims td.value .figure { font-variant-numeric: tabular-nums; white-space: nowrap; }
table.claims td.claim-text { min-width: 12rem; }
table.claims td.value { min-width: 6.5rem; }
table.claims td.value .small { overflow-wrap: anywhere; }
table.claims td.check { min-width: 8rem; }
table.claims td:first-child { width: 1%; white-space: nowrap; }
.claims-tally { margin: 0.5rem 0; }
.delta-better { color: var(--ok); }
.delta-worse { color: var(--bad); }
footer { margin-top: 3.5rem; padding-top: 1rem; border-top: 1px solid var(--line); color: var(--faint); font-size: 0.82rem; }
@media (max-width: 40rem) {
  main { padding: 1.5rem 1rem 3rem; }
  h1 { font-size: 1.6rem; }
  th, td { padding: 0.4rem 0.5rem; }
}
@media print {
  main { max-width: none; padding: 0; }
  a { color: inherit; }
  .table-wrap { overflow: visible; }
}
`;
