/**
 * Claims, variants and input groups through the CLI, on a throwaway pipeline in a temp folder:
 *
 * ```
 *   source ──► fit@weak ───┐
 *          └─► fit@strong ─┴─► compare (group) ──► report (shows the claims)
 * ```
 */
import assert from "node:assert/strict";
import { cli, type CliResult, statuses } from "./_cli.ts";

const ENGINE = new URL("../engine/", import.meta.url).href;

const STAGES = `import { z } from "zod";
import { defineStage } from "${ENGINE}stage.ts";

export const source = defineStage({
  kind: "toyv.source",
  module: import.meta.url,
  description: "a number",
  params: z.object({ n: z.number().default(3) }).strict(),
  inputs: [],
  async run(ctx) {
    await Deno.writeTextFile(ctx.outDir + "/n.json", JSON.stringify(ctx.params.n));
  },
});

export const fit = defineStage({
  kind: "toyv.fit",
  module: import.meta.url,
  description: "loss = n × lambda",
  params: z.object({ lambda: z.number().default(1) }).strict(),
  inputs: ["source"],
  async run(ctx) {
    const n = JSON.parse(await Deno.readTextFile(ctx.inputs.source + "/n.json"));
    ctx.metrics(1, { loss: n * ctx.params.lambda });
    await Deno.writeTextFile(ctx.outDir + "/loss.json", JSON.stringify(n * ctx.params.lambda));
  },
});

export const compare = defineStage({
  kind: "toyv.compare",
  module: import.meta.url,
  description: "reads every variant",
  params: z.object({}).strict(),
  inputs: [],
  groups: ["fits"],
  async run(ctx) {
    const members = Object.entries(ctx.groups.fits);
    const losses = [];
    for (const [, dir] of members) losses.push(JSON.parse(await Deno.readTextFile(dir + "/loss.json")));
    ctx.metrics(0, { variants: members.length, spread: Math.max(...losses) - Math.min(...losses) });
    await Deno.writeTextFile(ctx.outDir + "/order.json", JSON.stringify(members.map(([name]) => name)));
  },
});

export const report = defineStage({
  kind: "toyv.report",
  module: import.meta.url,
  description: "the claims as text",
  params: z.object({}).strict(),
  inputs: ["compare"],
  readsPipeline: true,
  async run(ctx) {
    const lines = ctx.claims.map((c) => c.id + ": " + c.verdict);
    await Deno.writeTextFile(ctx.outDir + "/index.html", ctx.about.article.title + "\\n" + lines.join("\\n"));
  },
});
`;

const PIPELINE = (weakTolerance: number) =>
  `import { z } from "zod";
import { definePipeline, use, variants, variantStages } from "${ENGINE}pipeline.ts";
import { compare, fit, report, source } from "./stages.ts";

const LAMBDAS = { weak: { lambda: 1 }, strong: { lambda: 10 } };

export const pipeline = definePipeline({
  name: "toyv",
  description: "variants and claims",
  article: { title: "A toy article", url: "https://example.org" },
  params: z.object({}).strict(),
  stages: () => ({
    source: use(source),
    ...variants(LAMBDAS, (v) => ({ fit: use(fit, { params: v, inputs: { source: "source" } }) })),
    compare: use(compare, { groups: { fits: variantStages("fit", LAMBDAS) } }),
    report: use(report, { inputs: { compare: "compare" } }),
  }),
  report: "report",
  claims: [
    {
      id: "strong-above-weak",
      claim: "A stronger lambda gives a larger loss.",
      ours: { stage: "fit@strong", metric: "loss" },
      reference: { value: { stage: "fit@weak", metric: "loss" }, source: "the weak variant" },
      check: { kind: "above" },
    },
    {
      id: "two-variants",
      claim: "The comparison sees both variants.",
      ours: { stage: "compare", metric: "variants" },
      reference: { value: 2, source: "the pipeline" },
      check: { kind: "at-least" },
    },
    {
      id: "weak-near-zero",
      claim: "The weak variant's loss is near zero.",
      ours: { stage: "fit@weak", metric: "loss" },
      reference: { value: 0, source: "wishful thinking" },
      check: { kind: "near", abs: ${weakTolerance} },
    },
  ],
});
`;

const dir = await Deno.makeTempDir({ prefix: "toyv-" });
await Deno.writeTextFile(`${dir}/stages.ts`, STAGES);
await Deno.writeTextFile(`${dir}/pipeline.ts`, PIPELINE(1));
const store = { data: `${dir}/data`, reports: `${dir}/reports` };
const run = (...args: string[]) => cli(store, ["run", "--file", `${dir}/pipeline.ts`, ...args]);
const queryJson = async (sql: string) => {
  const r = await cli(store, ["query", "--json", sql]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
};
const ok = (r: CliResult) => assert.equal(r.code, 0, r.stdout + r.stderr);

Deno.test("claims are judged on every run, printed, recorded in the claims view and shown by the report", async () => {
  const r = await run();
  ok(r);
  assert.match(r.stdout, /2 of 3 claims reproduced/);
  const report = await Deno.readTextFile(`${store.reports}/toyv/index.html`);
  assert.equal(
    report,
    "A toy article\nstrong-above-weak: reproduced\ntwo-variants: reproduced\nweak-near-zero: not reproduced",
  );
  const rows = await queryJson(
    "select claim_id, verdict, ours, reference, detail from claims order by claim_id",
  );
  assert.deepEqual(rows.map((c) => [c.claim_id, c.verdict]), [
    ["strong-above-weak", "reproduced"],
    ["two-variants", "reproduced"],
    ["weak-near-zero", "not reproduced"],
  ]);
  assert.equal(rows[2]!.detail, "|3 − 0| = 3 > 1");
  const runs = await queryJson("select claims_total, claims_reproduced from runs");
  assert.deepEqual(runs, [{ claims_total: 3, claims_reproduced: 2 }]);
  const listed = await cli(store, ["claims", "--file", `${dir}/pipeline.ts`]);
  ok(listed);
  assert.match(listed.stdout, /toyv · 2 of 3 claims reproduced/);
  assert.match(listed.stdout, /✗ weak-near-zero\s+not reproduced: \|3 − 0\| = 3 > 1/);
});

Deno.test("an input group reads every variant in the order the pipeline wires them", async () => {
  const [compare] = await queryJson(
    "select object from stages where stage = 'compare' order by started_at desc limit 1",
  );
  const order = JSON.parse(
    await Deno.readTextFile(
      `${store.data}/objects/${String(compare!.object).slice(0, 2)}/${compare!.object}/out/order.json`,
    ),
  );
  assert.deepEqual(order, ["fit@weak", "fit@strong"]);
});

Deno.test("--set reaches every variant's copy of a stage, or one variant with stage@variant", async () => {
  const both = await run("--set", "fit.lambda=2");
  ok(both);
  // Both copies now have the same key: the second takes the first's output from the cache.
  assert.deepEqual([statuses(both)["fit@weak"], statuses(both)["fit@strong"]], ["ran", "cached"]);
  const lambdas = await queryJson(
    `select stage, value from params where run_id = (select run_id from runs order by started_at desc limit 1)
     and name = 'lambda' order by stage`,
  );
  assert.deepEqual(lambdas, [{ stage: "fit@strong", value: "2" }, { stage: "fit@weak", value: "2" }]);
  const one = await run("--set", "fit@weak.lambda=3");
  ok(one);
  assert.deepEqual([statuses(one)["fit@weak"], statuses(one)["fit@strong"]], ["ran", "cached"]);
  assert.match(one.stdout, /fit@weak\s+params changed: fit@weak\.lambda 2 → 3/);
});

Deno.test("the reasons view answers 'which stages reran because this param changed' without string matching", async () => {
  const rows = await queryJson(
    `select r.stage, r.before, r.after from reasons r join runs using (run_id)
     where r.kind = 'params' and r.subject = 'fit@weak.lambda' and r.status = 'ran' order by runs.started_at`,
  );
  assert.deepEqual(rows, [
    { stage: "fit@weak", before: "1", after: "2" },
    { stage: "fit@weak", before: "2", after: "3" },
  ]);
});

Deno.test("editing a claim reruns only the report, and says why", async () => {
  await run(); // back to the defaults
  await Deno.writeTextFile(`${dir}/pipeline.ts`, PIPELINE(5));
  const r = await run();
  ok(r);
  const ran = Object.entries(statuses(r)).filter(([, s]) => s === "ran").map(([n]) => n);
  assert.deepEqual(ran, ["report"]);
  assert.match(r.stdout, /report\s+the pipeline's article, description or claims changed/);
  assert.match(r.stdout, /3 of 3 claims reproduced/);
});

Deno.test("a claim that reads a stage the report does not see is refused at planning", async () => {
  const bad = PIPELINE(1).replace(`stage: "compare", metric: "variants"`, `stage: "nowhere", metric: "x"`);
  await Deno.writeTextFile(`${dir}/bad.ts`, bad);
  const r = await cli(store, ["run", "--file", `${dir}/bad.ts`]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /claim two-variants reads a metric of stage 'nowhere', which does not exist/);
});
