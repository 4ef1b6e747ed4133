/**
 * `energy-gan.summary`: one table of every evaluation's coverage (`evaluations` group: stage name →
 * `eval.toy-modes` output), labelled by each evaluation's title, as a report section.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

export const energyGanSummary = defineStage({
  kind: "energy-gan.summary",
  module: import.meta.url,
  description: "Table of the mode coverage of every energy-GAN variant",
  params: z.object({}).strict(),
  inputs: [],
  groups: ["evaluations"],
  async run(ctx) {
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    const rows = [];
    for (const [stage, dir] of Object.entries(ctx.groups.evaluations)) {
      const { title, target, metrics: m } = JSON.parse(await Deno.readTextFile(`${dir}/toy_modes.json`));
      const r = (v: number | null) => (v === null || !Number.isFinite(v) ? null : Number(v.toPrecision(4)));
      rows.push({
        variant: title === undefined || title === "none" ? stage : title,
        target: String(target).split(",")[0]!,
        modes: `${m.covered} of ${m.modes}`,
        hq: r(m.hq_share),
        kl: r(m.mode_kl),
      });
    }
    await writeReportSections(ctx.outDir, [{
      title: "Every variant at equal steps",
      fragments: [{
        kind: "table",
        rows,
        columns: [
          "variant",
          "target",
          { key: "modes", label: "modes covered" },
          { key: "hq", label: "share within 3σ", digits: 3 },
          { key: "kl", label: "KL(modes ‖ uniform)", digits: 3 },
        ],
        caption:
          "The same seed, data and number of steps for every variant; the noise of the evaluation is " +
          "the same for all. KL is of every sample's nearest mode (0: perfectly balanced).",
      }],
    }]);
  },
});
