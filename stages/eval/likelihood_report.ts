/**
 * The report sections of `eval.likelihood` (stages/report/fragments.ts): the NLL of each split at the
 * reported snapshot and over training, and, for a known target, the divergences and the density plots.
 *
 * @module
 */
import type { Fragment, ReportSection } from "../report/fragments.ts";
import type { LikelihoodResult } from "./likelihood.ts";

const f = (x: number, digits = 4) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

/** Sections for `result`; `heldOut` is the first split, whose records the 1-D histogram shows. */
export function likelihoodSections(
  result: LikelihoodResult,
  options: { title: string; heldOut: { split: string; x: Float32Array }; heatmap: boolean },
): ReportSection[] {
  const discrete = result.jacobian.kind !== "continuous";
  const fragments: Fragment[] = [
    {
      kind: "prose",
      text:
        `NLL per record in nats${
          discrete ? " and in bits per dimension" : ""
        }, on every record of each split, ` +
        `at the snapshot of step ${result.selectedStep} (${result.selectedBy}). Convention: ${result.jacobian.note}.` +
        (result.importance
          ? ` Importance-weighted estimate with K = ${result.importance} draws per record.`
          : ""),
    },
    {
      kind: "table",
      rows: Object.entries(result.final).map(([split, r]) => ({
        split,
        records: r.records,
        "NLL (nats)": r.nll,
        "± s.e.": r.nllSe,
        ...(discrete ? { "bits/dim": r.bpd, "bits/dim ± s.e.": r.bpdSe } : {}),
      })),
      columns: [
        "split",
        "records",
        { key: "NLL (nats)", digits: 4 },
        { key: "± s.e.", digits: 4 },
        ...(discrete ? [{ key: "bits/dim", digits: 4 }, { key: "bits/dim ± s.e.", digits: 4 }] : []),
      ],
    },
  ];
  const splits = [...new Set(result.rows.map((r) => r.split))];
  if (new Set(result.rows.map((r) => r.step)).size > 1) {
    const series = splits.map((split) => {
      const rows = result.rows.filter((r) => r.split === split);
      return { name: `${split} NLL`, x: rows.map((r) => r.step), y: rows.map((r) => r.nll) };
    });
    const t = result.target;
    if (t && Number.isFinite(t.entropy)) {
      const steps = series[0]!.x;
      series.push({ name: "target entropy", x: [steps[0]!, steps.at(-1)!], y: [t.entropy, t.entropy] });
    }
    fragments.push({
      kind: "line",
      series,
      options: { title: "NLL over training", xLabel: "step", yLabel: "nats per record" },
    });
  }
  const sections: ReportSection[] = [{ title: options.title, fragments }];
  const t = result.target;
  if (t) {
    const density: Fragment[] = [
      {
        kind: "facts",
        facts: {
          target: t.describe,
          "entropy H(p)": `${f(t.entropy)} nats (quadrature error ${t.entropyError.toExponential(1)})`,
          "cross-entropy ∫ p (−log q)": `${f(t.crossEntropy)} nats`,
          "KL(p ‖ q)": `${f(t.kl, 5)} nats (quadrature error ${t.klError.toExponential(1)})`,
          ...(t.massOutside > 1e-12
            ? { "target mass outside the model's support": t.massOutside.toExponential(2) }
            : {}),
          ...(t.modesModel !== undefined
            ? { "modes (model / target)": `${t.modesModel} / ${t.modesTarget}` }
            : {}),
        },
      },
    ];
    if (result.curve) {
      const c = result.curve;
      const [lo, hi] = [c.x[0]!, c.x.at(-1)!];
      const values = Array.from(options.heldOut.x).filter((v) => v >= lo && v <= hi);
      density.push(
        {
          kind: "histogram",
          values,
          reference: { label: "model density", x: c.x, y: c.model },
          options: {
            title: `Model density over the ${options.heldOut.split} records`,
            xDomain: [lo, hi],
            bins: 60,
            xLabel: "x",
            yLabel: "density",
          },
        },
        {
          kind: "line",
          series: [{ name: "model", x: c.x, y: c.model }, { name: "target", x: c.x, y: c.target }],
          options: { title: "Model and target densities", xLabel: "x", yLabel: "density" },
        },
      );
    }
    if (options.heatmap) {
      density.push({
        kind: "image",
        file: "density.png",
        alt: "density heatmaps: model (left) and target (right)",
        caption: "Density of the model (left) and of the target (right) on one colour scale.",
      });
    }
    sections.push({ title: `${options.title}: the density against the target`, fragments: density });
  }
  return sections;
}
