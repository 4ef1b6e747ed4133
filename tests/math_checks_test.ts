/**
 * The math-checks pipeline end to end through the CLI at a reduced size: every claim's verdict, the
 * report in Chromium at 1280 px, and a rerun that changes one stage's param reruns only that stage.
 */
import assert from "node:assert/strict";
import { browserCheck } from "../stages/report/browser_check.ts";
import { cli, statuses } from "./_cli.ts";

const SMALL = [
  "det-exp.sizes=[2,8,32]",
  "det-exp.decades=[1,3]",
  "series.terms=120",
  "series.radii=[0.5,0.8]",
  "rank-one.sizes=[2,16]",
  "transport.line=[8,16]",
  "transport.grid=[3]",
  "gumbel.draws=20000",
].flatMap((s) => ["--set", s]);

const CLAIMS = [
  "det-exp",
  "log-series-bound",
  "log-series-rate",
  "exp-rank-one",
  "exp-rank-one-det",
  "exp-rank-one-inverse",
  "wasserstein-duality",
  "wasserstein-1d-cdf",
  "kantorovich-rubinstein",
  "gumbel-max",
  "gumbel-control",
];

Deno.test("math-checks reproduces its eleven claims at a reduced size; the report renders in Chromium", async () => {
  const dir = await Deno.makeTempDir({ prefix: "math-checks-test-" });
  const store = { data: `${dir}/data`, reports: `${dir}/reports` };
  const r = await cli(store, ["run", "math-checks", ...SMALL]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /11 of 11 claims reproduced/);
  const q = await cli(store, ["query", "--json", "select claim_id, verdict, ours from latest_claims"]);
  const rows = JSON.parse(q.stdout) as { claim_id: string; verdict: string; ours: number }[];
  assert.deepEqual(rows.map((c) => c.claim_id).sort(), [...CLAIMS].sort());
  for (const c of rows) assert.equal(c.verdict, "reproduced", `${c.claim_id}: ${c.ours}`);
  // The LP's primal and dual agree far below the 1e-9 asked for.
  assert.ok(rows.find((c) => c.claim_id === "wasserstein-duality")!.ours < 1e-13);

  const page = `${store.reports}/math-checks/index.html`;
  const seen = await browserCheck(page, { viewport: { width: 1280, height: 900 } });
  assert.deepEqual(seen.headings.slice(0, 2), ["Exact identities, checked in float64", "Claims"]);
  for (
    const h of [
      "det(exp A) = exp(tr A)",
      "exp(x yᵀ) in closed form",
      "Gumbel-max: argmax(log p + G) samples p",
    ]
  ) {
    assert.ok(seen.headings.includes(h), h);
  }
  assert.equal(seen.plots.length, 10);
  assert.ok(seen.plots.every((p) => p.rendered), JSON.stringify(seen.plots));
  assert.deepEqual(seen.consoleErrors, []);
  assert.deepEqual(seen.cutTables, []);

  // Fewer Gumbel draws rerun that stage and the report only.
  const again = await cli(store, ["run", "math-checks", ...SMALL, "--set", "gumbel.draws=10000"]);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.deepEqual(statuses(again), {
    "det-exp": "cached",
    series: "cached",
    "rank-one": "cached",
    transport: "cached",
    gumbel: "ran",
    report: "ran",
  });
  await Deno.remove(dir, { recursive: true });
});
