import assert from "node:assert/strict";
import { parseHTML } from "linkedom";
import {
  histogramBins,
  histogramPlot,
  linePlot,
  movingAverage,
  PALETTE,
  scatterPlot,
  seriesFromRows,
} from "./svg_plot.ts";

interface Node {
  getAttribute(name: string): string | null;
  textContent: string | null;
}
interface Dom {
  querySelectorAll(selector: string): Iterable<Node> & ArrayLike<Node>;
  querySelector(selector: string): Node | null;
}

function parse(svg: string): Dom {
  return (parseHTML(`<html><body>${svg}</body></html>`) as unknown as { document: Dom }).document;
}

/** Vertices of an SVG path made of M/L commands. */
function vertices(d: string): [number, number][] {
  return [...d.matchAll(/[ML]([-\d.e]+),([-\d.e]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

function texts(dom: Dom, selector: string): string[] {
  return [...dom.querySelectorAll(selector)].map((n) => n.textContent ?? "");
}

Deno.test("linePlot() draws one path per series with a legend, title and axis labels", () => {
  const step = [0, 1, 2, 3];
  const svg = linePlot([{ name: "loss_d", x: step, y: [4, 3, 2, 1] }, {
    name: "loss_g <x>",
    x: step,
    y: [1, 2, 3, 4],
  }], {
    title: "Losses & more",
    xLabel: "step",
    yLabel: "loss",
  });
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(svg.endsWith("</svg>"));
  const dom = parse(svg);
  const paths = dom.querySelectorAll('g[aria-label="line"] path');
  assert.equal(paths.length, 2);
  const lines = dom.querySelectorAll('g[aria-label="line"]');
  assert.equal(lines[0]!.getAttribute("stroke"), PALETTE[0]);
  assert.equal(lines[1]!.getAttribute("stroke"), PALETTE[1]);
  assert.equal(vertices(paths[0]!.getAttribute("d")!).length, 4);
  const head = texts(dom, "g.plot-head text");
  assert.deepEqual(head, ["Losses & more", "loss_d", "loss_g <x>"]);
  assert.ok(svg.includes("Losses &amp; more") && svg.includes("loss_g &lt;x&gt;"));
  assert.ok(texts(dom, 'g[aria-label="x-axis label"] text').some((t) => t.includes("step")));
  assert.ok(texts(dom, 'g[aria-label="y-axis label"] text').some((t) => t.includes("loss")));
});

Deno.test("linePlot() output is byte-deterministic with coordinates rounded to 0.1 px", () => {
  const x = Array.from({ length: 500 }, (_, i) => i);
  const y = x.map((i) => Math.exp(-i / 97) + 0.1 * Math.sin(i / 3.7));
  const a = linePlot([{ name: "a", x, y }], { smooth: 10 });
  const b = linePlot([{ name: "a", x, y }], { smooth: 10 });
  assert.equal(a, b);
  const geometry = [...a.matchAll(/\s(?:d|x|y|x1|x2|y1|y2|cx|cy|r|transform)="([^"]*)"/g)].map((m) => m[1]!);
  assert.ok(geometry.length > 10);
  for (const value of geometry) {
    assert.doesNotMatch(value, /\.\d\d/, `unrounded coordinate in ${value.slice(0, 80)}`);
  }
});

Deno.test("linePlot() with logY drops values ≤ 0, says so, and labels decades", () => {
  const svg = linePlot([{ name: "kl", x: [0, 1, 2, 3, 4, 5], y: [1, 0, -1, 0.01, NaN, 0.001] }], {
    logY: true,
  });
  const dom = parse(svg);
  const path = dom.querySelector('g[aria-label="line"] path')!;
  const pts = vertices(path.getAttribute("d")!);
  assert.equal(pts.length, 3); // y = 1, 0.01, 0.001
  // Equal ratios are equal distances on a log axis: 1 → 0.01 is twice 0.01 → 0.001.
  assert.ok(Math.abs((pts[1]![1] - pts[0]![1]) / (pts[2]![1] - pts[1]![1]) - 2) < 0.01);
  const subtitle = texts(dom, "g.plot-head text")[0]!;
  assert.equal(subtitle, "2 values ≤ 0 not shown on the log scale; 1 non-finite value not shown");
  assert.deepEqual(texts(dom, 'g[aria-label="y-axis tick label"] text'), ["0.001", "0.01", "0.1", "1"]);
});

Deno.test("linePlot() with logY on a short span adds 2× and 5× ticks inside a snapped domain", () => {
  const svg = linePlot([{ name: "loss", x: [0, 1, 2], y: [0.9, 0.5, 0.3] }], { logY: true });
  assert.deepEqual(texts(parse(svg), 'g[aria-label="y-axis tick label"] text'), ["0.2", "0.5", "1"]);
});

Deno.test("linePlot() smoothing draws the raw series faintly behind the moving average", () => {
  const svg = linePlot([{ name: "loss", x: [0, 1, 2, 3], y: [0, 4, 0, 4] }], { smooth: 2 });
  const dom = parse(svg);
  const paths = dom.querySelectorAll('g[aria-label="line"] path');
  assert.equal(paths.length, 2);
  assert.equal(texts(dom, "g.plot-head text")[0], "moving average over 2 points, raw values faint");
  // The smoothed line (0, 2, 2, 2) is flat after the first point.
  const smoothed = vertices(paths[1]!.getAttribute("d")!);
  assert.equal(smoothed[1]![1], smoothed[3]![1]);
});

Deno.test("linePlot() decimates long series but keeps every spike", () => {
  const n = 20_000;
  const x = Array.from({ length: n }, (_, i) => i);
  const y = x.map((i) => (i === 12_345 ? 100 : Math.sin(i / 50)));
  const svg = linePlot([{ name: "loss", x, y }], { width: 640 });
  const pts = vertices(parse(svg).querySelector('g[aria-label="line"] path')!.getAttribute("d")!);
  assert.ok(pts.length <= 4 * 640, `${pts.length} vertices`);
  assert.ok(pts.length > 640);
  const top = Math.min(...pts.map((p) => p[1]));
  const bottom = Math.max(...pts.map((p) => p[1]));
  const spikes = pts.filter((p) => p[1] === top);
  assert.equal(spikes.length, 1);
  assert.ok(bottom - top > 200, "the spike reaches the top of the frame");
  assert.ok(svg.length < 40_000, `${svg.length} bytes`);
});

Deno.test("movingAverage() averages a trailing window and skips non-finite values", () => {
  assert.deepEqual([...movingAverage([1, 2, 3, 4, NaN, 6], 2)], [1, 1.5, 2.5, 3.5, 4, 6]);
  assert.deepEqual([...movingAverage([2, 4], 1)], [2, 4]);
  assert.throws(() => movingAverage([1], 0), /Cannot smooth with window 0/);
});

Deno.test("seriesFromRows() groups long-format SQL rows and sorts by x", () => {
  const rows = [
    { step: 2n, name: "a", value: 0.5 },
    { step: 1n, name: "a", value: 0.7 },
    { step: 1n, name: "b", value: 3 },
  ];
  assert.deepEqual(seriesFromRows(rows, { x: "step", y: "value", by: "name" }), [
    { name: "a", x: [1, 2], y: [0.7, 0.5] },
    { name: "b", x: [1], y: [3] },
  ]);
  assert.throws(
    () => seriesFromRows([{ step: "x", value: 1 }], { x: "step", y: "value" }),
    /Cannot plot column 'step': expected numbers, got string/,
  );
});

Deno.test("histogramBins() gives frequencies for integers and densities that integrate to 1", () => {
  const discrete = histogramBins([0, 0, 0, 1, 3, 3], { discrete: true });
  assert.deepEqual(discrete.map((b) => [b.x0 + 0.4, b.count, b.height]), [[0, 3, 0.5], [1, 1, 1 / 6], [
    2,
    0,
    0,
  ], [
    3,
    2,
    1 / 3,
  ]]);
  const continuous = histogramBins([0, 0.1, 0.5, 0.9, 1, 2], { bins: 4 });
  assert.deepEqual(continuous.map((b) => b.count), [2, 2, 1, 1]); // bins [0, .5) [.5, 1) [1, 1.5) [1.5, 2]
  const area = continuous.reduce((sum, b) => sum + b.height * (b.x1 - b.x0), 0);
  assert.ok(Math.abs(area - 1) < 1e-12);
  assert.throws(() => histogramBins([0.5], { discrete: true }), /values must be integers/);
});

Deno.test("histogramPlot() draws bars in proportion to frequencies and the reference pmf as dots", () => {
  const svg = histogramPlot([0, 0, 0, 1, 2, 2], {
    discrete: true,
    title: "counts",
    reference: { label: "pmf", density: (k) => [0.5, 0.2, 0.3][k] ?? 0 },
  });
  const dom = parse(svg);
  const heights = [...dom.querySelectorAll('g[aria-label="rect"] rect')].map((r) =>
    Number(r.getAttribute("height"))
  );
  assert.equal(heights.length, 3);
  assert.ok(Math.abs(heights[0]! / heights[1]! - 3) < 0.02, `${heights}`);
  assert.ok(Math.abs(heights[2]! / heights[1]! - 2) < 0.02, `${heights}`);
  assert.equal(dom.querySelectorAll('g[aria-label="dot"] circle').length, 3);
  assert.deepEqual(texts(dom, "g.plot-head text"), ["counts", "samples (n = 6)", "pmf"]);
});

Deno.test("scatterPlot() draws one dot per finite point, one colour per group", () => {
  const svg = scatterPlot([
    { name: "real", x: [0, 1, 2], y: [0, 1, NaN] },
    { name: "generated", x: [0.5, 1.5], y: [0.5, 1.5] },
  ], { equalAxes: true, title: "2-D samples" });
  const dom = parse(svg);
  const groups = dom.querySelectorAll('g[aria-label="dot"]');
  assert.equal(groups.length, 2);
  const circles = dom.querySelectorAll('g[aria-label="dot"] circle');
  assert.equal(circles.length, 4);
  assert.equal(groups[0]!.getAttribute("fill"), PALETTE[0]);
  assert.equal(groups[1]!.getAttribute("fill"), PALETTE[1]);
  assert.deepEqual(texts(dom, "g.plot-head text"), ["2-D samples", "real", "generated"]);
  assert.throws(
    () => scatterPlot([{ name: "bad", x: [1], y: [] }]),
    /Cannot plot group 'bad': 1 x values but 0 y/,
  );
});

Deno.test("histogramBins() weights samples when given weights", () => {
  // Three states held for 1, 3 and 4 time units: a time-weighted pmf of 1/8, 3/8, 4/8.
  const bins = histogramBins([0, 1, 2], { discrete: true, weights: [1, 3, 4] });
  assert.deepEqual(bins.map((b) => b.height), [0.125, 0.375, 0.5]);
  const continuous = histogramBins([0.1, 0.9], { bins: 2, xDomain: [0, 1], weights: [1, 3] });
  assert.deepEqual(continuous.map((b) => b.height), [0.5, 1.5]);
});
