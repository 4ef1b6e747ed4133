/**
 * The gillespie report: measured stationary statistics against the exact ones, the histogram against
 * the master equation's distribution, a sample path, and the article's own single run.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import type { Summary } from "./summarize.ts";

export const report = defineStage({
  kind: "gillespie.report",
  module: import.meta.url,
  description: "HTML report of the Gillespie reproduction",
  params: z.object({}).strict(),
  inputs: ["summary"],
  readsPipeline: true,
  async run(ctx) {
    // The report toolkit loads Observable Plot (~90 ms): import it only when a report is written.
    const { renderPage } = await import("../../stages/report/page.ts");
    const { figure, figureRow, prose, table } = await import("../../stages/report/blocks.ts");
    const { histogramPlot, linePlot } = await import("../../stages/report/svg_plot.ts");
    const { tallyClaims, tallyText } = await import("../../engine/claims.ts");
    const s: Summary = JSON.parse(await Deno.readTextFile(`${ctx.inputs.summary}/summary.json`));
    const check = (name: string) => s.checks.find((c) => c.name === name)!;
    const mean = check("protein mean");
    const fano = check("protein Fano factor");
    const n = s.measuredProtein.map((_, i) => i);
    const maxN = Math.max(...n.filter((i) => s.measuredProtein[i]! > 1e-5), 120);

    const histogram = histogramPlot(n, {
      discrete: true,
      weights: s.measuredProtein,
      label: `simulated, time-weighted (${s.trajectories} trajectories)`,
      reference: { label: "exact (master equation)", density: (x) => s.exactProtein[x] ?? 0 },
      xDomain: [0, maxN],
      title: "Stationary distribution of the protein count",
      subtitle: `total-variation distance ${s.tvDistance.toFixed(4)}; sampling noise alone gives ≈ ${
        s.tvNoise.toFixed(4)
      }`,
      xLabel: "proteins n",
    });
    const pathPlot = (path: Summary["path"], title: string) =>
      linePlot([
        { name: "protein n", x: path.map((p) => p.t), y: path.map((p) => p.n) },
        { name: "mRNA m", x: path.map((p) => p.t), y: path.map((p) => p.m) },
      ], { title, xLabel: "time (1/γ)", yLabel: "molecules", width: 400, height: 300 });

    const checksTable = table(
      s.checks.map((c) => ({
        quantity: c.name,
        measured: c.measured,
        exact: c.expected,
        se: c.standardError,
        z: (c.measured - c.expected) / c.standardError,
      })),
      {
        columns: [
          { key: "quantity", label: "quantity" },
          { key: "measured", label: "measured", significant: 5 },
          { key: "exact", label: "exact", significant: 5 },
          { key: "se", label: "standard error", significant: 2 },
          { key: "z", label: "(measured − exact) / SE", significant: 2 },
        ],
        caption: "Standard errors come from the spread of the estimates between independent trajectories, " +
          "so the autocorrelation within a trajectory is accounted for.",
      },
    );
    const article = s.article;
    const articleTable = table([
      {
        reading: "event-weighted (the article's histogram of nums[2000:])",
        mean: article.eventWeighted.mean,
        variance: article.eventWeighted.variance,
      },
      {
        reading: "time-weighted (the stationary distribution)",
        mean: article.timeWeighted.mean,
        variance: article.timeWeighted.variance,
      },
      { reading: "exact", mean: s.analytic.proteinMean, variance: s.analytic.proteinVariance },
    ], {
      columns: [
        { key: "reading", label: "reading of one run" },
        { key: "mean", label: "protein mean", significant: 4 },
        { key: "variance", label: "protein variance", significant: 4 },
      ],
    });

    const tally = tallyClaims(ctx.claims);
    const page = renderPage({
      title: "Gillespie simulation of two-stage gene expression",
      pipeline: ctx.pipeline,
      article: ctx.about.article,
      claims: ctx.claims,
      summary:
        `The article simulates gene expression (∅→m at rate 20, m→m+n at 2.5, m→∅ at 1, n→∅ at 1) with ` +
        `Gillespie's algorithm and plots the protein histogram. Its stationary distribution is known exactly: ` +
        `mean 50 and Fano factor 2.25. Here ${s.trajectories} independent trajectories ` +
        `(${Math.round(s.jumps).toLocaleString("en")} jumps) give a mean of ${mean.measured.toFixed(2)} ± ` +
        `${mean.standardError.toFixed(2)} and a Fano factor of ${fano.measured.toFixed(3)} ± ${
          fano.standardError.toFixed(3)
        }: ` +
        (tally.reproduced === tally.total
          ? "every claim holds within its statistical tolerance."
          : `${tallyText(tally)}.`),
      highlights: [
        { label: "protein mean", value: mean.measured, digits: 2, note: `exact ${mean.expected}` },
        { label: "protein Fano factor", value: fano.measured, digits: 3, note: `exact ${fano.expected}` },
        {
          label: "TV distance to exact",
          value: s.tvDistance,
          digits: 4,
          note: `noise level ≈ ${s.tvNoise.toFixed(4)}`,
        },
        { label: "claims", value: `${tally.reproduced} / ${tally.total}`, note: "reproduced" },
      ],
      sections: [
        {
          title: "Stationary distribution",
          body: [
            figure(histogram, {
              caption: "Bars: fraction of simulated time spent at each protein count, pooled over all " +
                "trajectories after burn-in. Line: the exact stationary distribution from the chemical master " +
                "equation, solved numerically on a truncated state space (the subject of kexue.fm/archives/4598).",
            }),
            checksTable,
          ],
        },
        {
          title: "Trajectories",
          body: [
            figureRow(
              figure(pathPlot(s.path, "One trajectory after burn-in"), {
                caption: "Trajectory 1, first 40 time units after burn-in.",
              }),
              figure(pathPlot(s.articlePath, "The article's run, from (0, 0)"), {
                caption:
                  "The article's single run: from zero molecules, the protein count rises to its stationary level within a few time units.",
              }),
            ),
          ],
        },
        {
          title: "The article's single run",
          body: [
            prose(
              `The article runs one trajectory of 100,000 jumps from (0, 0) and draws the histogram of the states ` +
                `after the first 2,000 jumps, counting each jump once. That weights states by how often they are ` +
                `entered rather than by how long they last, which biases it: high protein counts are left faster ` +
                `(more decay events), so they are over-counted. The same run read by time is unbiased.`,
            ),
            articleTable,
          ],
        },
      ],
      comparison: {
        rows: [
          {
            quantity: "protein mean",
            ours: mean.measured,
            reference: mean.expected,
            digits: 2,
            source: "exact: k_m k_p/(γ_m γ_p)",
          },
          {
            quantity: "protein Fano factor",
            ours: fano.measured,
            reference: fano.expected,
            digits: 3,
            source: "exact: 1 + k_p/(γ_m + γ_p)",
          },
          {
            quantity: "mRNA mean",
            ours: check("mRNA mean").measured,
            reference: s.analytic.mrnaMean,
            digits: 2,
            source: "exact: Poisson(k_m/γ_m)",
          },
          {
            quantity: "event-weighted mean of the article's run",
            ours: article.eventWeighted.mean,
            reference: 51.07,
            digits: 2,
            note: "one run, so it differs by seed",
            source: "rerun of the article's code, seed 0",
          },
        ],
        note:
          "The article reports a histogram, not numbers; the reference values are the exact stationary moments " +
          "of its model. We pool many independent trajectories and weight states by time, where the article runs one " +
          "trajectory and weights states by jumps (its event-weighted numbers are in the last row).",
      },
      provenance: {
        upstream: ctx.upstream,
        device: "CPU (plain TypeScript)",
        command: "deno task run gillespie",
      },
    });
    await Deno.writeTextFile(`${ctx.outDir}/index.html`, page);
  },
});
