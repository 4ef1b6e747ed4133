/**
 * Report fragments: what a computing stage wants its pipeline's report to show, written as data next
 * to its results (`report.json` in its output), so that a family's generic report stage renders any
 * stage's plots, tables and prose without code of its own. A stage writes sections of fragments; the
 * report reads them from its inputs, in plan order, and renders them with the report toolkit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readReportSections, renderFragments, writeReportSections } from "./fragments.ts";
 *
 * const outDir = await Deno.makeTempDir();
 * await writeReportSections(outDir, [{
 *   title: "det(exp A) = exp(tr A)",
 *   fragments: [
 *     { kind: "prose", text: "Relative error against the float64 floor, by size." },
 *     {
 *       kind: "line",
 *       series: [{ name: "error", x: [2, 16, 128], y: [1e-16, 4e-15, 3e-14] }],
 *       options: { title: "Relative error", xLabel: "n", logX: true, logY: true, dots: true },
 *     },
 *     { kind: "table", rows: [{ n: 2, error: 1e-16 }], columns: ["n", { key: "error", significant: 2 }] },
 *   ],
 * }]);
 * const [section] = await readReportSections(outDir); // what the report stage does with it
 * const html = (await renderFragments(outDir, section!.fragments)).join("\n");
 * assert.ok(html.includes("<svg") && html.includes("<table"));
 * await Deno.remove(outDir, { recursive: true });
 * ```
 *
 * @module
 */
import type { SafeHtml } from "./markup.ts";
import type { HistogramOptions, LinePlotOptions, ScatterPlotOptions, Series } from "./svg_plot.ts";
import type { TableColumn } from "./blocks.ts";

/** A series as JSON: plain arrays. */
export interface SeriesData {
  name: string;
  x: number[];
  y: number[];
}

/** One thing to show. Plain data (JSON), so that it can live in a stage's output. */
export type Fragment =
  | { kind: "prose"; text: string }
  | { kind: "facts"; facts: Record<string, string> }
  | { kind: "callout"; text: string; warning?: boolean }
  | {
    kind: "table";
    rows: Record<string, string | number | boolean | null>[];
    /** Columns as keys or specs (key, label, digits, significant, unit); default every key of row 0. */
    columns?: (string | Omit<TableColumn, "format">)[];
    caption?: string;
  }
  | { kind: "line"; series: SeriesData[]; options?: LinePlotOptions; caption?: string }
  | { kind: "scatter"; groups: SeriesData[]; options?: ScatterPlotOptions; caption?: string }
  | {
    kind: "histogram";
    values: number[];
    /** The density (or pmf) to draw over the bars, tabulated; linearly interpolated between points. */
    reference?: { label: string; x: number[]; y: number[] };
    options?: Omit<HistogramOptions, "reference">;
    caption?: string;
  }
  /** A PNG file of the stage's output (path relative to it), e.g. a density heatmap or a sample grid. */
  | { kind: "image"; file: string; alt: string; caption?: string; width?: number };

/** A titled group of fragments: a section of the report. */
export interface ReportSection {
  title: string;
  fragments: Fragment[];
}

/** The file a stage writes its sections to, in its output folder. */
export const FRAGMENTS_FILE = "report.json";

/** Writes `sections` into a stage's output folder, for the report to render. */
export async function writeReportSections(outDir: string, sections: readonly ReportSection[]): Promise<void> {
  for (const s of sections) {
    for (const f of s.fragments) {
      if (f.kind === "line" || f.kind === "scatter") {
        const list = f.kind === "line" ? f.series : f.groups;
        for (const g of list) {
          if (g.x.length !== g.y.length) {
            throw new Error(
              `Report section '${s.title}': series '${g.name}' has ${g.x.length} x and ${g.y.length} y`,
            );
          }
        }
      }
    }
  }
  await Deno.writeTextFile(`${outDir}/${FRAGMENTS_FILE}`, JSON.stringify({ sections }, null, 1));
}

/** The sections a stage output holds, or none when it wrote no report.json. */
export async function readReportSections(dir: string): Promise<ReportSection[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/${FRAGMENTS_FILE}`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const parsed = JSON.parse(text) as { sections?: ReportSection[] };
  if (!Array.isArray(parsed.sections)) throw new Error(`${dir}/${FRAGMENTS_FILE} holds no 'sections' list`);
  return parsed.sections;
}

/** Renders the fragments of a section read from the stage output `dir` (images are read from there). */
export async function renderFragments(dir: string, fragments: readonly Fragment[]): Promise<SafeHtml[]> {
  const blocks = await import("./blocks.ts");
  const plots = await import("./svg_plot.ts");
  const out: SafeHtml[] = [];
  const caption = (c: string | undefined) => (c === undefined ? {} : { caption: c });
  for (const f of fragments) {
    switch (f.kind) {
      case "prose":
        out.push(blocks.prose(f.text));
        break;
      case "facts":
        out.push(blocks.facts(f.facts));
        break;
      case "callout":
        out.push(blocks.callout(f.text, { kind: f.warning ? "warning" : "info" }));
        break;
      case "table":
        out.push(blocks.table(f.rows, {
          ...(f.columns ? { columns: f.columns } : {}),
          ...(f.caption ? { caption: f.caption } : {}),
        }));
        break;
      case "line":
        out.push(blocks.figure(plots.linePlot(f.series as Series[], f.options ?? {}), caption(f.caption)));
        break;
      case "scatter":
        out.push(blocks.figure(plots.scatterPlot(f.groups as Series[], f.options ?? {}), caption(f.caption)));
        break;
      case "histogram": {
        const ref = f.reference;
        const options: HistogramOptions = { ...f.options };
        if (ref) options.reference = { label: ref.label, density: (x) => interpolate(ref.x, ref.y, x) };
        out.push(blocks.figure(plots.histogramPlot(f.values, options), caption(f.caption)));
        break;
      }
      case "image":
        out.push(
          blocks.image(await Deno.readFile(`${dir}/${f.file}`), {
            alt: f.alt,
            ...caption(f.caption),
            ...(f.width ? { width: f.width } : {}),
          }),
        );
        break;
    }
  }
  return out;
}

/** Linear interpolation of a tabulated function (x ascending); 0 outside its range. */
function interpolate(xs: readonly number[], ys: readonly number[], x: number): number {
  if (xs.length === 0 || x < xs[0]! || x > xs[xs.length - 1]!) return 0;
  let lo = 0, hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid;
    else hi = mid;
  }
  const span = xs[hi]! - xs[lo]!;
  return span === 0 ? ys[lo]! : ys[lo]! + ((ys[hi]! - ys[lo]!) * (x - xs[lo]!)) / span;
}
