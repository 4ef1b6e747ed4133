/**
 * The generic report stage: the pipeline's claims table, then the sections that its computing stages
 * wrote as fragments (fragments.ts), then the comparison with the article and what was run. A
 * pipeline whose stages write their own plots and tables needs no report code of its own; the
 * numeric-check family uses it as is.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import { comparisonSchema, highlightSchema } from "./report_params.ts";

/** `o` without its undefined fields (zod's optional outputs), for exact optional property types. */
function dropUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}

export const sectionsReport = defineStage({
  kind: "report.sections",
  module: import.meta.url,
  description: "Report page: claims, the sections the stages wrote, comparison with the article, provenance",
  params: z.object({
    title: z.string().min(1),
    /** What the article claims and does, in a paragraph or two. */
    summary: z.string().min(1),
    highlights: z.array(highlightSchema).default([]),
    comparison: comparisonSchema.optional(),
    /** How the numbers were computed, for the provenance block. */
    device: z.string().default("CPU"),
  }).strict(),
  inputs: [],
  groups: ["sections"],
  readsPipeline: true,
  async run(ctx) {
    const { renderPage } = await import("./page.ts");
    const { readReportSections, renderFragments } = await import("./fragments.ts");
    const { fillTemplate, metricOf } = await import("./from_run.ts");
    const { tallyClaims } = await import("../../engine/claims.ts");
    const p = ctx.params;
    const sections = [];
    for (const dir of Object.values(ctx.groups.sections)) {
      for (const s of await readReportSections(dir)) {
        sections.push({ title: s.title, body: await renderFragments(dir, s.fragments) });
      }
    }
    const tally = tallyClaims(ctx.claims);
    const page = renderPage({
      title: p.title,
      pipeline: ctx.pipeline,
      article: ctx.about.article,
      summary: p.summary,
      claims: ctx.claims,
      highlights: [
        ...(tally.total > 0
          ? [{
            label: "claims reproduced",
            value: `${tally.reproduced} / ${tally.total}`,
            ...(tally.notComparable ? { note: `${tally.notComparable} not comparable` } : {}),
          }]
          : []),
        ...p.highlights.map((h) => ({
          label: h.label,
          value: metricOf(ctx.upstream, h.ours),
          ...(h.digits === undefined ? {} : { digits: h.digits }),
          ...(h.note === undefined ? {} : { note: h.note }),
        })),
      ],
      sections,
      ...(p.comparison
        ? {
          comparison: {
            rows: p.comparison.rows.map((r) => ({
              ...dropUndefined(r),
              ours: fillTemplate(r.ours, ctx.upstream),
            })),
            note: p.comparison.note,
          },
        }
        : {}),
      provenance: { upstream: ctx.upstream, device: p.device, command: `deno task run ${ctx.pipeline}` },
    });
    await Deno.writeTextFile(`${ctx.outDir}/index.html`, page);
  },
});
