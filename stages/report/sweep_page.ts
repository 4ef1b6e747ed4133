/**
 * The page of a sweep (`deno task run P --sweep …`): one row per point with the swept params, the
 * headline metric, the claims reproduced, the duration and what ran or came from the cache, and a plot
 * of the headline against each swept param. Self-contained like the reports.
 *
 * @module
 */
import type { SweepRecord, SweepRow } from "../../engine/sweep.ts";
import { formatDuration } from "./_format.ts";
import { figure, table } from "./blocks.ts";
import { markup } from "./markup.ts";
import { documentHtml } from "./page.ts";
import { linePlot, scatterPlot } from "./svg_plot.ts";

/** Renders the page of `sweep` from its rows. */
export function renderSweepPage(sweep: SweepRecord, rows: readonly SweepRow[]): string {
  const label = rows.find((r) => r.headline)?.headline?.label ?? "headline";
  const plots = sweep.keys.map((key) => {
    const points = rows.filter((r) => r.headline?.value !== null && r.headline !== null);
    const xs = points.map((r) => r.values[key]!);
    const numeric = xs.every((x) => x !== undefined && Number.isFinite(Number(x)));
    // Other swept params vary too: one series per combination of them.
    const others = sweep.keys.filter((k) => k !== key);
    const groups = new Map<string, { x: number[]; y: number[] }>();
    const categories = [...new Set(xs)];
    for (const r of points) {
      const name = others.map((k) => `${k}=${r.values[k]}`).join(", ") || label;
      const g = groups.get(name) ?? { x: [], y: [] };
      const x = r.values[key]!;
      g.x.push(numeric ? Number(x) : categories.indexOf(x));
      g.y.push(r.headline!.value!);
      groups.set(name, g);
    }
    const series = [...groups].map(([name, g]) => {
      const order = g.x.map((_, i) => i).sort((a, b) => g.x[a]! - g.x[b]!);
      return { name, x: order.map((i) => g.x[i]!), y: order.map((i) => g.y[i]!) };
    });
    if (series.length === 0) return markup`<p class="muted small">No point of ${key} has a ${label}.</p>`;
    const options = {
      title: `${label} against ${key}`,
      xLabel: key,
      yLabel: label,
      ...(numeric ? {} : { subtitle: categories.map((c, i) => `${i} = ${c}`).join(", ") }),
    };
    return figure(numeric ? linePlot(series, { ...options, dots: true }) : scatterPlot(series, options));
  });
  const head = ["point", ...sweep.keys];
  const tableRows = rows.map((r) => ({
    point: r.point,
    ...Object.fromEntries(sweep.keys.map((k) => [k, r.values[k] ?? ""])),
    status: r.status,
    headline: r.headline?.value ?? null,
    claims: r.claims ? `${r.claims.reproduced} of ${r.claims.total}` : "—",
    duration: r.durationMs === null ? "—" : formatDuration(r.durationMs),
    ran: r.ran,
    cached: r.cached,
  }));
  const base = sweep.base.length
    ? markup`<p>Common to every point: <code>${sweep.base.join(" ")}</code>.</p>`
    : "";
  return documentHtml(
    `Sweep ${sweep.id}`,
    markup`<main>
<header>
<p class="eyebrow">Sweep · ${sweep.pipeline}</p>
<h1>${sweep.pipeline}: ${rows.length} points over ${sweep.keys.join(", ") || "a list of param sets"}</h1>
<p class="byline">${sweep.id} · ${sweep.jobs} at a time · started ${sweep.startedAt}</p>
</header>
${base}
<section id="points"><h2>Points</h2>
${
      table(tableRows, {
        columns: [
          ...head,
          "status",
          { key: "headline", label, significant: 4 },
          "claims",
          "duration",
          "stages",
          "run",
        ],
      })
    }
<p class="small muted">A point's own report: <code>deno task run ${sweep.pipeline} --set …</code> with its params (cached, so instant).</p>
</section>
<section id="plots"><h2>${label} against the swept params</h2>
${plots}
</section>
<footer>Self-contained page: no scripts, no network.</footer>
</main>`,
  );
}
