/**
 * The energy-gan pipeline end to end through the CLI at a tiny size: ten trainings, their mode counts,
 * the Langevin evaluations, the claims and the report in a real browser.
 */
import assert from "node:assert/strict";
import { browserCheck } from "../stages/report/browser_check.ts";
import { cli, statuses, type TestStore } from "./_cli.ts";

/** Networks and budget small enough for a test; everything else is the real pipeline. */
const TINY = [
  "graph.width=8",
  "graph.batch=16",
  "graph.langevinSteps=3",
  "train.steps=40",
  "train.logEvery=10",
  "train.checkpointEvery=20",
  "data-25.trainSize=2000",
  "data-roll.trainSize=2000",
  "data-25.testSize=200",
  "data-roll.testSize=200",
  "modes.samples=200",
  "langevin.samples=200",
].flatMap((s) => ["--set", s]);

Deno.test("energy-gan runs its variants end to end; the claims are judged and the report shows every scatter", async () => {
  const dir = await Deno.makeTempDir({ prefix: "energy-gan-test-" });
  const store: TestStore = { data: `${dir}/data`, reports: `${dir}/reports` };
  const r = await cli(store, ["run", "energy-gan", ...TINY]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const ran = statuses(r);
  // The swiss roll's graphs equal the 25 Gaussians' (same networks): computed once.
  assert.deepEqual(
    Object.entries(ran).filter(([, s]) => s !== "ran").map(([stage]) => stage),
    ["graph@roll-none", "graph@roll-su-encoder", "graph@roll-meg-mi"],
  );
  for (
    const v of [
      "none",
      "su-encoder",
      "meg-mi",
      "b1-09",
      "b1-0",
      "rmsprop",
      "sgd",
      "roll-none",
      "roll-su-encoder",
    ]
  ) {
    assert.equal(ran[`train@${v}`], "ran", v);
  }
  const q = await cli(store, [
    "query",
    "--json",
    "select stage, name, value from latest_metrics where name in ('modes', 'covered', 'real_covered', 'hq_share')",
  ]);
  const m = Object.fromEntries(
    (JSON.parse(q.stdout) as { stage: string; name: string; value: number }[]).map((x) => [
      `${x.stage}:${x.name}`,
      x.value,
    ]),
  );
  assert.equal(m["modes@none:modes"], 25);
  assert.equal(m["modes@roll-none:modes"], 16);
  // The real test points are the calibration: every mode, whatever the model did.
  assert.equal(m["modes@none:real_covered"], 25);
  assert.ok(
    m["langevin@su-encoder:hq_share"]! >= 0 && m["langevin@su-encoder:hq_share"]! <= 1,
    JSON.stringify(m),
  );

  const claims = await cli(store, ["claims", "energy-gan"]);
  for (
    const id of [
      "encoder-modes",
      "encoder-kl",
      "mi-modes",
      "mi-kl",
      "momentum-modes",
      "momentum-kl",
      "langevin-quality",
    ]
  ) {
    assert.match(claims.stdout, new RegExp(`[✓✗○] ${id}`));
  }
  const page = `${store.reports}/energy-gan/index.html`;
  const html = await Deno.readTextFile(page);
  assert.match(html, /Every variant at equal steps/);
  // The summary's table names every variant (no empty cells) and holds all twelve evaluations.
  const summary = html.slice(html.lastIndexOf(">Every variant at equal steps<"));
  const table = summary.slice(summary.indexOf("<table"), summary.indexOf("</table>"));
  assert.equal(table.split("<tr").length - 2, 12, "12 rows under the header");
  assert.ok(!table.includes(">—<"), "every row is labelled");
  assert.ok(html.includes("Su&#39;s λ₂‖z − E(G(z))‖²") || html.includes("Su's λ₂‖z − E(G(z))‖²"));
  const seen = await browserCheck(page, { viewport: { width: 1280, height: 900 } });
  assert.equal(seen.headings[1], "Claims", "the report opens with its claims");
  assert.deepEqual(seen.cutTables, []);
  assert.deepEqual(seen.consoleErrors, []);
  assert.ok(
    seen.plots.length >= 12 && seen.plots.every((p) => p.rendered),
    JSON.stringify(seen.plots.length),
  );
  await Deno.remove(dir, { recursive: true });
});
