/**
 * Static SVG charts for reports, drawn with Observable Plot on a linkedom document: line plots of metrics
 * over steps, a histogram against an analytic pmf/pdf, and a scatter plot of 2-D points.
 *
 * Every chart is one self-contained `<svg>` (with `xmlns`, so it can also be written as a `.svg` file)
 * whose title and legend are drawn inside the SVG: Plot's own legends come back as HTML, which a
 * standalone file cannot hold. Text uses `currentColor`, so charts follow the page's light or dark
 * colours. Output is byte-deterministic and coordinates are rounded to 0.1 px to keep files small.
 * Plot is imported statically; importing it costs about 90 ms, paid only by report code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linePlot, seriesFromRows } from "./svg_plot.ts";
 *
 * const rows = [{ step: 0, name: "loss_d", value: 1.2 }, { step: 100, name: "loss_d", value: 0.4 }];
 * const svg = linePlot(seriesFromRows(rows, { x: "step", y: "value", by: "name" }), {
 *   title: "Critic loss", xLabel: "step", yLabel: "loss", smooth: 20,
 * });
 * assert.ok(svg.startsWith("<svg") && svg.includes("Critic loss"));
 * ```
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import { formatNumber } from "./_format.ts";
import { escapeHtml } from "./markup.ts";

/** One named series of points. */
export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

/** Title, axis labels and size, common to every chart. */
export interface PlotFrame {
  title?: string;
  /** A short line under the title, e.g. the setting the chart was made with. */
  subtitle?: string;
  xLabel?: string;
  yLabel?: string;
  /** Outer size in px; default 800 × 400, the width of a report's text column. The SVG scales down to fit. */
  width?: number;
  height?: number;
}

/** Options of `linePlot`. */
export interface LinePlotOptions extends PlotFrame {
  /** Log-scaled y axis; points with y ≤ 0 are dropped (and counted in a note under the title). */
  logY?: boolean;
  /** Log-scaled x axis; points with x ≤ 0 are dropped (and counted). */
  logX?: boolean;
  /** A dot at every point as well as the line: for a few measured points, e.g. error against size. */
  dots?: boolean;
  /** Trailing moving-average window in points (1 = none). The raw series is drawn faintly behind. */
  smooth?: number;
  /** Draw the raw series behind the smoothed one; default true when smoothing. */
  showRaw?: boolean;
  /** Fixed axis ranges, e.g. to compare two charts. */
  xDomain?: readonly [number, number];
  yDomain?: readonly [number, number];
}

/** Options of `histogramPlot`. */
export interface HistogramOptions extends PlotFrame {
  /** Integer-valued samples: one bar per integer, heights are frequencies (a pmf). Default false. */
  discrete?: boolean;
  /** Number of equal-width bins for continuous samples; heights are densities. Default: √n, within 10..60. */
  bins?: number;
  /** The analytic distribution to draw over the bars: a pmf for discrete samples, a pdf otherwise. */
  reference?: { label: string; density: (x: number) => number };
  /** Range of x to draw; default the range of the samples. */
  xDomain?: readonly [number, number];
  /** Legend label of the bars; default "samples (n = N)". */
  label?: string;
  /**
   * A weight per sample (e.g. the time a simulated state lasted, for a time-weighted distribution);
   * heights then come from weight sums instead of counts. Default: every sample weighs 1.
   */
  weights?: ArrayLike<number>;
}

/** Options of `scatterPlot`. */
export interface ScatterPlotOptions extends PlotFrame {
  /** Dot radius in px; default 2. */
  radius?: number;
  /** Dot opacity; default 0.6. */
  opacity?: number;
  /** Same scale on both axes (one unit is as long on x as on y), e.g. for 2-D toy distributions. */
  equalAxes?: boolean;
  xDomain?: readonly [number, number];
  yDomain?: readonly [number, number];
  /**
   * A density drawn beneath the dots as nested grey contours (each level adds a little shade), e.g. a
   * 2-D toy target under a generator's samples: `values` on a width × height grid, row j = y ascending,
   * over the box `x` × `y`.
   */
  density?: {
    values: ArrayLike<number>;
    width: number;
    height: number;
    x: readonly [number, number];
    y: readonly [number, number];
    /** Legend label; default "density". */
    label?: string;
  };
}

/** Colours of series, in order (Observable's "observable10" scheme). */
export const PALETTE: readonly string[] = [
  "#4269d0",
  "#efb118",
  "#ff725c",
  "#6cc5b0",
  "#3ca951",
  "#ff8ab7",
  "#a463f2",
  "#97bbf5",
  "#9c6b4e",
  "#9498a0",
];

/**
 * Groups long-format rows (as returned by SQL over a metrics table: one row per step and name) into
 * series, one per distinct `by` value in order of first appearance, each sorted by x.
 */
export function seriesFromRows(
  rows: readonly Readonly<Record<string, unknown>>[],
  columns: { x: string; y: string; by?: string; name?: string },
): Series[] {
  const groups = new Map<string, { x: number[]; y: number[] }>();
  for (const row of rows) {
    const name = columns.by === undefined ? (columns.name ?? columns.y) : String(row[columns.by]);
    const x = toNumber(row[columns.x], columns.x);
    const y = toNumber(row[columns.y], columns.y);
    let group = groups.get(name);
    if (!group) groups.set(name, group = { x: [], y: [] });
    group.x.push(x);
    group.y.push(y);
  }
  return [...groups].map(([name, { x, y }]) => {
    const order = x.map((_, i) => i).sort((a, b) => x[a]! - x[b]!);
    return { name, x: order.map((i) => x[i]!), y: order.map((i) => y[i]!) };
  });
}

function toNumber(value: unknown, column: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (value === null || value === undefined) return NaN;
  throw new Error(`Cannot plot column '${column}': expected numbers, got ${typeof value} (${String(value)})`);
}

/** Trailing moving average over `window` points, ignoring non-finite values inside the window. */
export function movingAverage(values: ArrayLike<number>, window: number): Float64Array {
  if (!Number.isInteger(window) || window < 1) {
    throw new Error(`Cannot smooth with window ${window}: use a positive integer number of points`);
  }
  const out = new Float64Array(values.length);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) {
      sum += v;
      count++;
    }
    if (i >= window) {
      const old = values[i - window]!;
      if (Number.isFinite(old)) {
        sum -= old;
        count--;
      }
    }
    out[i] = count > 0 ? sum / count : NaN;
  }
  return out;
}

/** Line chart of one or more series, e.g. losses over training steps. Returns the SVG text. */
export function linePlot(series: readonly Series[], options: LinePlotOptions = {}): string {
  if (series.length === 0) throw new Error("Cannot draw a line plot of no series: pass at least one");
  const smooth = options.smooth ?? 1;
  const showRaw = options.showRaw ?? smooth > 1;
  const width = options.width ?? DEFAULT_WIDTH;
  let dropped = 0;
  let nonFinite = 0;
  let lo = Infinity, hi = -Infinity;
  let xlo = Infinity, xhi = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.x.length; i++) {
      if (s.x[i]! > 0 && Number.isFinite(s.x[i]!)) {
        (xlo = Math.min(xlo, s.x[i]!), xhi = Math.max(xhi, s.x[i]!));
      }
    }
  }
  const points = (x: ArrayLike<number>, y: ArrayLike<number>) => {
    const out: Point[] = [];
    for (let i = 0; i < x.length; i++) {
      const yi = y[i]!;
      if (!Number.isFinite(x[i]!) || !Number.isFinite(yi) || (options.logY && yi <= 0)) continue;
      if (options.logX && x[i]! <= 0) continue;
      out.push({ x: x[i]!, y: yi });
      if (yi < lo) lo = yi;
      if (yi > hi) hi = yi;
    }
    // Thousands of points per pixel column add bytes, not ink: keep each column's extremes.
    return decimate(out, width);
  };
  const marks: Plot.Markish[] = [];
  series.forEach((s, i) => {
    if (s.x.length !== s.y.length) {
      throw new Error(`Cannot plot series '${s.name}': ${s.x.length} x values but ${s.y.length} y values`);
    }
    for (let j = 0; j < s.y.length; j++) {
      if (!Number.isFinite(s.y[j]!)) nonFinite++;
      else if ((options.logY && s.y[j]! <= 0) || (options.logX && s.x[j]! <= 0)) dropped++;
    }
    if (smooth > 1 && showRaw) {
      marks.push(
        Plot.line(points(s.x, s.y), {
          x: "x",
          y: "y",
          stroke: color(i),
          strokeOpacity: 0.25,
          strokeWidth: 1,
        }),
      );
    }
    const y = smooth > 1 ? movingAverage(s.y, smooth) : s.y;
    marks.push(Plot.line(points(s.x, y), { x: "x", y: "y", stroke: color(i), strokeWidth: 1.75 }));
    if (options.dots) marks.push(Plot.dot(points(s.x, y), { x: "x", y: "y", fill: color(i), r: 2.5 }));
  });
  const notes = [options.subtitle];
  if (smooth > 1) notes.push(`moving average over ${smooth} points${showRaw ? ", raw values faint" : ""}`);
  if (dropped > 0) notes.push(`${dropped} value${dropped === 1 ? "" : "s"} ≤ 0 not shown on the log scale`);
  const x: RenderSpec["x"] = { domain: options.xDomain };
  if (options.logX) {
    const [dlo, dhi] = options.xDomain ?? (xlo <= xhi ? [xlo, xhi] : [0.1, 1]);
    const axis = logAxis(dlo, dhi);
    Object.assign(x, { type: "log", ticks: axis.ticks, domain: options.xDomain ?? axis.domain });
  }
  if (nonFinite > 0) notes.push(`${nonFinite} non-finite value${nonFinite === 1 ? "" : "s"} not shown`);
  const y: RenderSpec["y"] = { type: "linear", domain: options.yDomain, grid: true };
  if (options.logY) {
    const [dlo, dhi] = options.yDomain ?? (lo <= hi ? [lo, hi] : [0.1, 1]);
    const axis = logAxis(dlo, dhi);
    Object.assign(y, { type: "log", ticks: axis.ticks, domain: options.yDomain ?? axis.domain });
  }
  return render(marks, {
    ...options,
    subtitle: notes.filter(Boolean).join("; "),
    legend: series.length > 1
      ? series.map((s, i) => ({ label: s.name, kind: "line" as const, color: color(i) }))
      : [],
    x,
    y,
  });
}

interface Point {
  x: number;
  y: number;
}

/**
 * Keeps the first, lowest, highest and last point of each of `buckets` equal x-ranges, which draws the
 * same line at `buckets` px wide. Series whose x is not sorted are returned unchanged.
 */
function decimate(points: Point[], buckets: number): Point[] {
  if (points.length <= 4 * buckets) return points;
  for (let i = 1; i < points.length; i++) if (points[i]!.x < points[i - 1]!.x) return points;
  const x0 = points[0]!.x;
  const span = points[points.length - 1]!.x - x0 || 1;
  const out: Point[] = [];
  let start = 0;
  while (start < points.length) {
    const bucket = Math.min(buckets - 1, Math.floor(((points[start]!.x - x0) / span) * buckets));
    let end = start;
    let min = start, max = start;
    while (
      end + 1 < points.length &&
      Math.min(buckets - 1, Math.floor(((points[end + 1]!.x - x0) / span) * buckets)) === bucket
    ) {
      end++;
      if (points[end]!.y < points[min]!.y) min = end;
      if (points[end]!.y > points[max]!.y) max = end;
    }
    for (const i of [...new Set([start, min, max, end])].sort((a, b) => a - b)) out.push(points[i]!);
    start = end + 1;
  }
  return out;
}

/**
 * A log-axis domain snapped outwards to 1-2-5 steps, and its ticks: powers of ten, plus 2× and 5× steps
 * when the domain spans under three decades.
 */
function logAxis(lo: number, hi: number): { domain: [number, number]; ticks: number[] } {
  const steps = (e: number) => [1, 2, 5].map((m) => m * decade(e));
  let below = decade(Math.floor(Math.log10(lo)));
  for (const v of steps(Math.floor(Math.log10(lo)))) if (v <= lo * (1 + 1e-12)) below = v;
  let above = decade(Math.ceil(Math.log10(hi)));
  for (const v of steps(Math.floor(Math.log10(hi))).reverse()) if (v >= hi * (1 - 1e-12)) above = v;
  const first = Math.floor(Math.log10(below));
  const last = Math.ceil(Math.log10(above));
  const every = Math.max(1, Math.ceil((last - first) / 8));
  const fine = Math.log10(above / below) < 3;
  const ticks: number[] = [];
  for (let e = first; e <= last; e += every) {
    for (const v of fine ? steps(e) : [decade(e)]) {
      if (v >= below * (1 - 1e-12) && v <= above * (1 + 1e-12)) ticks.push(v);
    }
  }
  return { domain: [below, above], ticks };
}

/** 10^e without floating noise: 1 / 10^3 is 0.001, whereas 10^-3 is 0.0010000000000000002. */
function decade(e: number): number {
  return e >= 0 ? 10 ** e : 1 / 10 ** -e;
}

function formatTick(value: number): string {
  return formatNumber(value, { significant: 3 });
}

/** Histogram of samples with the analytic pmf or pdf drawn over it. Returns the SVG text. */
export function histogramPlot(values: ArrayLike<number>, options: HistogramOptions = {}): string {
  const finite = Array.from(values).filter(Number.isFinite);
  if (finite.length === 0) {
    throw new Error("Cannot draw a histogram of no finite values: pass at least one sample");
  }
  if (options.weights && options.weights.length !== values.length) {
    throw new Error(
      `Cannot weight ${values.length} samples with ${options.weights.length} weights: give one weight per sample`,
    );
  }
  const weights = options.weights
    ? Array.from(values, (_, i) => options.weights![i]!).filter((_, i) => Number.isFinite(values[i]!))
    : undefined;
  const { discrete, bins: binCount, xDomain } = options;
  const bins = histogramBins(finite, {
    ...(discrete !== undefined ? { discrete } : {}),
    ...(binCount !== undefined ? { bins: binCount } : {}),
    ...(xDomain ? { xDomain } : {}),
    ...(weights ? { weights } : {}),
  });
  const marks: Plot.Markish[] = [
    Plot.rectY(bins, { x1: "x0", x2: "x1", y: "height", fill: PALETTE[0]!, fillOpacity: 0.55, inset: 0 }),
    Plot.ruleY([0]),
  ];
  const legend: LegendEntry[] = [
    {
      label: options.label ?? `samples (n = ${finite.length.toLocaleString("en-US")})`,
      kind: "bar",
      color: color(0),
    },
  ];
  const ref = options.reference;
  if (ref) {
    const [lo, hi] = options.xDomain ?? [bins[0]!.x0, bins[bins.length - 1]!.x1];
    const xs = options.discrete
      ? range(Math.ceil(lo), Math.floor(hi))
      : Array.from({ length: 201 }, (_, i) => lo + ((hi - lo) * i) / 200);
    const curve = xs.map((x) => ({ x, y: ref.density(x) })).filter((p) => Number.isFinite(p.y));
    marks.push(Plot.line(curve, { x: "x", y: "y", stroke: PALETTE[2]!, strokeWidth: 1.75 }));
    if (options.discrete) marks.push(Plot.dot(curve, { x: "x", y: "y", fill: PALETTE[2]!, r: 2.5 }));
    legend.push({ label: ref.label, kind: options.discrete ? "line+dot" : "line", color: color(2) });
  }
  return render(marks, {
    ...options,
    subtitle: options.subtitle ?? "",
    yLabel: options.yLabel ?? (options.discrete ? "probability" : "density"),
    legend,
    x: { domain: options.xDomain },
    y: { type: "linear", grid: true },
  });
}

/** A bin of `histogramBins`: [x0, x1) with its count and normalised height. */
export interface HistogramBin {
  x0: number;
  x1: number;
  count: number;
  /** Frequency (discrete) or density (continuous), so that the bars integrate to 1. */
  height: number;
}

/** The bins `histogramPlot` draws: integers ± 0.5 when discrete, equal-width bins otherwise. */
export function histogramBins(
  values: readonly number[],
  options: {
    discrete?: boolean;
    bins?: number;
    xDomain?: readonly [number, number];
    weights?: readonly number[];
  } = {},
): HistogramBin[] {
  const weightOf = (i: number) => options.weights?.[i] ?? 1;
  let n = 0;
  for (let i = 0; i < values.length; i++) n += weightOf(i);
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (options.discrete) {
    const counts = new Map<number, number>();
    values.forEach((v, i) => {
      if (!Number.isInteger(v)) {
        throw new Error(`Cannot draw a discrete histogram of ${v}: values must be integers`);
      }
      counts.set(v, (counts.get(v) ?? 0) + weightOf(i));
    });
    // Bars a little narrower than 1 so that neighbouring integers stay apart.
    return range(lo, hi).map((k) => {
      const count = counts.get(k) ?? 0;
      return { x0: k - 0.4, x1: k + 0.4, count, height: count / n };
    });
  }
  if (options.xDomain) [lo, hi] = options.xDomain;
  if (hi === lo) hi = lo + 1;
  const binCount = options.bins ?? Math.min(60, Math.max(10, Math.round(Math.sqrt(values.length))));
  if (!Number.isInteger(binCount) || binCount < 1) {
    throw new Error(`Cannot draw a histogram with ${binCount} bins: use a positive integer`);
  }
  const width = (hi - lo) / binCount;
  const counts = new Array<number>(binCount).fill(0);
  values.forEach((v, i) => {
    if (v < lo || v > hi) return;
    counts[Math.min(binCount - 1, Math.floor((v - lo) / width))]! += weightOf(i);
  });
  return counts.map((count, i) => ({
    x0: lo + i * width,
    x1: lo + (i + 1) * width,
    count,
    height: count / (n * width),
  }));
}

/** Scatter plot of 2-D points, one colour per group. Returns the SVG text. */
export function scatterPlot(groups: readonly Series[], options: ScatterPlotOptions = {}): string {
  if (groups.length === 0) throw new Error("Cannot draw a scatter plot of no groups: pass at least one");
  const marks: Plot.Markish[] = groups.map((g, i) => {
    if (g.x.length !== g.y.length) {
      throw new Error(`Cannot plot group '${g.name}': ${g.x.length} x values but ${g.y.length} y values`);
    }
    const points: { x: number; y: number }[] = [];
    for (let j = 0; j < g.x.length; j++) {
      if (Number.isFinite(g.x[j]!) && Number.isFinite(g.y[j]!)) points.push({ x: g.x[j]!, y: g.y[j]! });
    }
    return Plot.dot(points, {
      x: "x",
      y: "y",
      r: options.radius ?? 2,
      fill: PALETTE[i % PALETTE.length]!,
      fillOpacity: options.opacity ?? 0.6,
    });
  });
  const d = options.density;
  if (d) {
    if (d.values.length !== d.width * d.height) {
      throw new Error(`Density grid: ${d.values.length} values for ${d.width} × ${d.height}`);
    }
    let max = 0;
    for (let i = 0; i < d.values.length; i++) {
      if (Number.isFinite(d.values[i]!)) max = Math.max(max, d.values[i]!);
    }
    // Levels at fractions of the peak; polygons of higher levels nest inside lower ones, so shade adds up.
    const thresholds = [0.01, 0.05, 0.15, 0.3, 0.5, 0.7, 0.9].map((f) => f * max);
    marks.unshift(Plot.contour(Array.from(d.values), {
      width: d.width,
      height: d.height,
      x1: d.x[0],
      x2: d.x[1],
      y1: d.y[0],
      y2: d.y[1],
      thresholds,
      fill: "#777",
      fillOpacity: 0.12,
      stroke: "none",
    }));
  }
  const legend = groups.length > 1 || d
    ? [
      ...(d ? [{ label: d.label ?? "density", kind: "bar" as const, color: "#bbb" }] : []),
      ...groups.map((g, i) => ({ label: g.name, kind: "dot" as const, color: color(i) })),
    ]
    : [];
  return render(marks, {
    ...options,
    subtitle: options.subtitle ?? "",
    legend,
    x: { domain: options.xDomain, grid: true },
    y: { type: "linear", domain: options.yDomain, grid: true },
    equalAxes: options.equalAxes ?? false,
  });
}

// ---- shared frame: Plot call, title and legend inside the SVG, rounding ----

interface LegendEntry {
  label: string;
  kind: "line" | "dot" | "bar" | "line+dot";
  color: string;
}

interface RenderSpec extends PlotFrame {
  subtitle: string;
  legend: LegendEntry[];
  x: {
    type?: "linear" | "log";
    domain?: readonly [number, number] | undefined;
    grid?: boolean;
    ticks?: readonly number[];
  };
  y: {
    type: "linear" | "log";
    domain?: readonly [number, number] | undefined;
    grid?: boolean;
    ticks?: readonly number[];
  };
  equalAxes?: boolean;
}

const DEFAULT_WIDTH = 800;
const DEFAULT_HEIGHT = 400;
const FONT_SIZE = 12;
const TITLE_SIZE = 15;
const LINE = 20;

type PlotDocument = NonNullable<Plot.PlotOptions["document"]>;
let cachedDocument: PlotDocument | undefined;
function plotDocument(): PlotDocument {
  // One shared linkedom document: Plot only uses it as an element factory.
  if (!cachedDocument) {
    const window = parseHTML("<!doctype html><html><body></body></html>") as unknown as {
      document: PlotDocument;
    };
    cachedDocument = window.document;
  }
  return cachedDocument;
}

function color(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

function render(marks: Plot.Markish[], spec: RenderSpec): string {
  const width = spec.width ?? DEFAULT_WIDTH;
  const legendRows = layoutLegend(spec.legend, width - 16);
  const { markup: head, height: headHeight } = headMarkup(spec, legendRows);
  const options: Plot.PlotOptions = {
    document: plotDocument(),
    width,
    marginTop: 24,
    // Plot sizes its default 40 px for 10 px text; ours is 12 px, so labels like "0.035" need more room.
    marginLeft: 56,
    marginBottom: 40,
    x: { ...scale(spec.xLabel, spec.x), ...(spec.x.type ? { type: spec.x.type } : {}) },
    y: { ...scale(spec.yLabel, spec.y), type: spec.y.type },
    marks,
  };
  if (spec.equalAxes) options.aspectRatio = 1;
  else options.height = Math.max(120, (spec.height ?? DEFAULT_HEIGHT) - headHeight);
  const svg = Plot.plot(options) as unknown as PlotSvg;
  // Plot draws into its own box; move everything below the title and legend drawn above it.
  const body = svg.ownerDocument.createElementNS(SVG_NS, "g");
  body.setAttribute("transform", `translate(0,${headHeight})`);
  for (const child of [...svg.childNodes]) {
    if (child.nodeName.toLowerCase() !== "style") body.appendChild(child);
  }
  svg.appendChild(body);
  const plotHeight = Number(svg.getAttribute("height"));
  svg.setAttribute("height", String(plotHeight + headHeight));
  svg.setAttribute("viewBox", `0 0 ${width} ${plotHeight + headHeight}`);
  svg.setAttribute("xmlns", SVG_NS);
  svg.setAttribute("role", "img");
  svg.setAttribute("font-size", String(FONT_SIZE));
  if (spec.title) svg.setAttribute("aria-label", spec.title);
  return roundCoordinates(svg.outerHTML).replace(/<\/svg>$/, `${head}</svg>`);
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** The slice of the DOM that `render` touches (linkedom's element, typed without the DOM lib). */
interface PlotSvg {
  ownerDocument: { createElementNS(ns: string, name: string): PlotSvg };
  childNodes: ArrayLike<PlotSvg> & Iterable<PlotSvg>;
  nodeName: string;
  outerHTML: string;
  appendChild(child: PlotSvg): void;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
}

function scale(
  label: string | undefined,
  axis: { domain?: readonly [number, number] | undefined; grid?: boolean; ticks?: readonly number[] },
): Plot.ScaleOptions {
  const out: Plot.ScaleOptions = { label: label ?? null };
  if (axis.domain) out.domain = [...axis.domain];
  if (axis.grid) out.grid = true;
  if (axis.ticks) {
    out.ticks = [...axis.ticks];
    out.tickFormat = (v: number) => formatTick(v);
  }
  return out;
}

interface PlacedEntry extends LegendEntry {
  x: number;
}

/** Places legend entries left to right, wrapping to new rows; text width is estimated (no fonts here). */
function layoutLegend(entries: readonly LegendEntry[], maxWidth: number): PlacedEntry[][] {
  const rows: PlacedEntry[][] = [];
  let row: PlacedEntry[] = [];
  let x = 8;
  for (const entry of entries) {
    const w = 24 + Math.ceil(entry.label.length * FONT_SIZE * 0.6) + 16;
    if (row.length > 0 && x + w > maxWidth) {
      rows.push(row);
      row = [];
      x = 8;
    }
    row.push({ ...entry, x });
    x += w;
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

function headMarkup(spec: RenderSpec, legendRows: PlacedEntry[][]): { markup: string; height: number } {
  const parts: string[] = [];
  let y = 4;
  if (spec.title) {
    y += LINE;
    parts.push(
      `<text x="8" y="${y}" text-anchor="start" font-size="${TITLE_SIZE}" font-weight="600">${
        escapeHtml(spec.title)
      }</text>`,
    );
    y += 2;
  }
  if (spec.subtitle) {
    y += LINE - 2;
    parts.push(
      `<text x="8" y="${y}" text-anchor="start" fill-opacity="0.7">${escapeHtml(spec.subtitle)}</text>`,
    );
  }
  for (const row of legendRows) {
    y += LINE;
    const mid = y - 4;
    for (const e of row) {
      parts.push(swatch(e, mid));
      parts.push(`<text x="${e.x + 22}" y="${y}" text-anchor="start">${escapeHtml(e.label)}</text>`);
    }
  }
  if (parts.length === 0) return { markup: "", height: 0 };
  return {
    markup: `<g class="plot-head" aria-label="title and legend">${parts.join("")}</g>`,
    height: y + 6,
  };
}

function swatch(e: PlacedEntry, mid: number): string {
  const { x, color } = e;
  switch (e.kind) {
    case "line":
      return `<line x1="${x}" x2="${x + 16}" y1="${mid}" y2="${mid}" stroke="${color}" stroke-width="2.5" />`;
    case "line+dot":
      return `<line x1="${x}" x2="${
        x + 16
      }" y1="${mid}" y2="${mid}" stroke="${color}" stroke-width="1.75" />` +
        `<circle cx="${x + 8}" cy="${mid}" r="3" fill="${color}" />`;
    case "dot":
      return `<circle cx="${x + 8}" cy="${mid}" r="4" fill="${color}" fill-opacity="0.8" />`;
    case "bar":
      return `<rect x="${x + 1}" y="${
        mid - 6
      }" width="14" height="11" fill="${color}" fill-opacity="0.55" />`;
  }
}

const GEOMETRY_ATTRIBUTES = /\s(d|x|y|x1|x2|y1|y2|cx|cy|r|width|height|transform|points)="([^"]*)"/g;

/** Rounds numbers inside geometry attributes to 0.1 px; text content (tick labels) is left alone. */
function roundCoordinates(svg: string): string {
  return svg.replace(GEOMETRY_ATTRIBUTES, (_, name: string, value: string) => {
    const rounded = value.replace(/-?\d*\.\d+(?:e[-+]?\d+)?/g, (n) => {
      const r = Math.round(Number(n) * 10) / 10;
      return Object.is(r, -0) ? "0" : String(r);
    });
    return ` ${name}="${rounded}"`;
  });
}

function range(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let k = lo; k <= hi; k++) out.push(k);
  return out;
}
