/**
 * The numeric-check family: pipelines whose stages compute quantities (an identity's error over
 * sizes, an LP's duality gap, a table of coefficients) and whose report is the claims table with the
 * plots and tables those stages write (stages/report/fragments.ts). A pipeline supplies its stages,
 * its claims and a paragraph about the article; the family adds the report.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { z } from "zod";
 * import { defineStage } from "../engine/stage.ts";
 * import { use } from "../engine/pipeline.ts";
 * import { numericChecksPipeline } from "./numeric_checks.ts";
 *
 * const square = defineStage({
 *   kind: "example.square",
 *   module: import.meta.url,
 *   description: "squares 3",
 *   params: z.object({}).strict(),
 *   inputs: [],
 *   async run(ctx) {
 *     ctx.metrics(0, { nine: 3 * 3 });
 *   },
 * });
 * export const pipeline = numericChecksPipeline({
 *   name: "squares",
 *   description: "3² = 9",
 *   article: { title: "On squares", url: "https://example.org" },
 *   title: "Squares",
 *   summary: "The article claims that three squared is nine.",
 *   stages: () => ({ square: use(square) }),
 *   claims: [{
 *     id: "nine",
 *     claim: "3² = 9.",
 *     ours: { stage: "square", metric: "nine" },
 *     reference: { value: 9, source: "arithmetic" },
 *     check: { kind: "near", abs: 0 },
 *   }],
 * });
 * const stages = pipeline.stages({ scale: "small" }); // the family adds the report, over every stage
 * assert.deepEqual(Object.keys(stages), ["square", "report"]);
 * assert.deepEqual(stages.report?.groups.sections, ["square"]);
 * ```
 *
 * @module
 */
import { z } from "zod";
import type { ClaimDef } from "../engine/claims.ts";
import { type Article, definePipeline, type PipelineDef, type StageUse, use } from "../engine/pipeline.ts";
import { sectionsReport } from "../stages/report/sections_report.ts";

type SectionsReportParams = z.input<typeof sectionsReport.params>;

/** What a numeric-check pipeline states; everything else comes from the family. */
export interface NumericChecksSpec<PP extends z.ZodType> {
  name: string;
  description: string;
  article: Article;
  /** The report's title. */
  title: string;
  /** What the article claims and how the checks test it, in a paragraph or two. */
  summary: string;
  /** Pipeline-level params; default `scale` (small | full). */
  params?: PP;
  /** The computing stages; each may write report sections (fragments.ts). The report reads them all. */
  stages(params: z.output<PP>): Record<string, StageUse>;
  claims: readonly ClaimDef[];
  highlights?: SectionsReportParams["highlights"];
  comparison?: SectionsReportParams["comparison"];
  headline?: PipelineDef["headline"];
  /** How the numbers were computed, for the report's provenance (default: TypeScript in float64). */
  device?: string;
}

const SCALE = z.object({ scale: z.enum(["small", "full"]).default("small") }).strict();

/** A numeric-check pipeline: the spec's stages plus a `report` stage over all of them. */
export function numericChecksPipeline<PP extends z.ZodType = typeof SCALE>(
  spec: NumericChecksSpec<PP>,
): PipelineDef<PP> {
  return definePipeline<PP>({
    name: spec.name,
    description: spec.description,
    article: spec.article,
    params: (spec.params ?? SCALE) as PP,
    stages: (p) => {
      const stages = spec.stages(p);
      if ("report" in stages) throw new Error(`Pipeline ${spec.name}: 'report' is the family's stage name`);
      return {
        ...stages,
        report: use(sectionsReport, {
          params: {
            title: spec.title,
            summary: spec.summary,
            ...(spec.highlights ? { highlights: spec.highlights } : {}),
            ...(spec.comparison ? { comparison: spec.comparison } : {}),
            device: spec.device ?? "CPU (TypeScript, float64)",
          },
          groups: { sections: Object.keys(stages) },
        }),
      };
    },
    report: "report",
    claims: spec.claims,
    ...(spec.headline ? { headline: spec.headline } : {}),
  });
}
