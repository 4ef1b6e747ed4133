/**
 * The spectral-norm pipeline end to end through the CLI at a reduced size: its claims' verdicts and its
 * report in Chromium at 1280 px.
 */
import assert from "node:assert/strict";
import { browserCheck } from "../stages/report/browser_check.ts";
import { cli } from "./_cli.ts";

Deno.test("spectral-norm reproduces its five claims at a reduced size; the report renders in Chromium", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spectral-norm-test-" });
  const store = { data: `${dir}/data`, reports: `${dir}/reports` };
  const small = [
    "convergence.rows=60",
    "convergence.cols=30",
    "convergence.gaps=[0.5,0.9]",
    "convergence.iterations=300",
    "drift.rows=40",
    "drift.cols=20",
    "drift.steps=300",
  ].flatMap((s) => ["--set", s]);
  const r = await cli(store, ["run", "spectral-norm", ...small]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /5 of 5 claims reproduced/);
  const q = await cli(store, [
    "query",
    "--json",
    "select claim_id, verdict, ours, reference from latest_claims",
  ]);
  const rows = JSON.parse(q.stdout) as {
    claim_id: string;
    verdict: string;
    ours: number;
    reference: number;
  }[];
  assert.deepEqual(rows.map((c) => c.claim_id).sort(), [
    "matches-prediction",
    "sigma-rate",
    "tracking-beats-fresh",
    "tracking-bound",
    "vector-rate",
  ]);
  for (const c of rows) assert.equal(c.verdict, "reproduced", `${c.claim_id}: ${c.ours} vs ${c.reference}`);
  const beats = rows.find((c) => c.claim_id === "tracking-beats-fresh")!;
  assert.ok(beats.ours < beats.reference / 10, "one warm iteration per step is far closer than 5 fresh ones");

  const page = `${store.reports}/spectral-norm/index.html`;
  const seen = await browserCheck(page, { viewport: { width: 1280, height: 900 } });
  assert.deepEqual(seen.headings, [
    "Spectral normalisation's power iteration",
    "Claims",
    "Power iteration against the exact σ₁",
    "Tracking σ₁ while the matrix changes",
    "What was run",
  ]);
  assert.equal(seen.plots.length, 4);
  assert.ok(seen.plots.every((p) => p.rendered), JSON.stringify(seen.plots));
  assert.deepEqual(seen.consoleErrors, []);
  assert.deepEqual(seen.cutTables, []);
  await Deno.remove(dir, { recursive: true });
});
