/**
 * The numeric-check family end to end: a pipeline of a few lines whose stage writes a plot and a table
 * as report fragments gets a report with its claims, those sections and the comparison, in Chromium.
 */
import assert from "node:assert/strict";
import { browserCheck } from "../stages/report/browser_check.ts";
import { cli } from "./_cli.ts";

const ROOT = new URL("../", import.meta.url).href;

const PIPELINE = `import { z } from "zod";
import { defineStage } from "${ROOT}engine/stage.ts";
import { use } from "${ROOT}engine/pipeline.ts";
import { numericChecksPipeline } from "${ROOT}families/numeric_checks.ts";
import { writeReportSections } from "${ROOT}stages/report/fragments.ts";

const series = defineStage({
  kind: "toyn.series",
  module: import.meta.url,
  description: "partial sums of 1/2^k",
  params: z.object({ terms: z.number().int().min(1).default(30) }).strict(),
  inputs: [],
  async run(ctx) {
    const ks = [], errors = [];
    let sum = 0;
    for (let k = 1; k <= ctx.params.terms; k++) {
      sum += 1 / 2 ** k;
      ks.push(k);
      errors.push(Math.abs(1 - sum) || 1e-17);
    }
    ctx.metrics(0, { sum, error: Math.abs(1 - sum) });
    await writeReportSections(ctx.outDir, [{
      title: "Convergence",
      fragments: [
        { kind: "prose", text: "The error halves with every term." },
        { kind: "line", series: [{ name: "|1 − S_k|", x: ks, y: errors }], options: { title: "Error", xLabel: "terms", logY: true, dots: true } },
        { kind: "table", rows: [{ terms: ctx.params.terms, sum }], columns: ["terms", { key: "sum", significant: 12 }] },
      ],
    }]);
  },
});

export const pipeline = numericChecksPipeline({
  name: "toyn",
  description: "a geometric series",
  article: { title: "几何级数", url: "https://example.org/geometric" },
  title: "A geometric series",
  summary: "The article says that 1/2 + 1/4 + … = 1.",
  stages: () => ({ series: use(series) }),
  claims: [{
    id: "sum-is-one",
    claim: "The series sums to 1.",
    ours: { stage: "series", metric: "sum" },
    reference: { value: 1, source: "closed form" },
    check: { kind: "near", abs: 1e-6 },
  }],
  highlights: [{ label: "partial sum", ours: { stage: "series", metric: "sum" }, digits: 9 }],
  comparison: {
    rows: [{ quantity: "terms summed", ours: "{series.terms}", reference: null, note: "the article sums them all" }],
    note: "We stop after a finite number of terms.",
  },
});
`;

Deno.test("a numeric-check pipeline gets a report with its claims, its stages' sections and the comparison", async () => {
  const dir = await Deno.makeTempDir({ prefix: "toyn-" });
  await Deno.writeTextFile(`${dir}/pipeline.ts`, PIPELINE);
  const store = { data: `${dir}/data`, reports: `${dir}/reports` };
  const r = await cli(store, ["run", "--file", `${dir}/pipeline.ts`]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1 of 1 claim reproduced/);
  const page = `${store.reports}/toyn/index.html`;
  const html = await Deno.readTextFile(page);
  assert.match(html, /1 of 1 claim reproduced/);
  assert.match(html, /The error halves with every term/);
  assert.match(html, /几何级数/, "the article's title comes from the pipeline");
  const seen = await browserCheck(page, { viewport: { width: 1280, height: 900 } });
  assert.deepEqual(seen.headings, [
    "A geometric series",
    "Claims",
    "Convergence",
    "Comparison with the article",
    "What was run",
  ]);
  assert.equal(seen.plots.length, 1);
  assert.ok(seen.plots[0]!.rendered);
  assert.deepEqual(seen.consoleErrors, []);
  assert.deepEqual(seen.cutTables, []);
  const fewer = await cli(store, ["run", "--file", `${dir}/pipeline.ts`, "--set", "series.terms=5"]);
  assert.equal(fewer.code, 0);
  assert.match(fewer.stdout, /0 of 1 claim reproduced/);
  await Deno.remove(dir, { recursive: true });
});
