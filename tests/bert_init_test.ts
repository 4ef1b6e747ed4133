/**
 * The bert-init pipeline end to end through the CLI at a tiny size (fewer draws, 8-wide encoders, a
 * 2-layer model trained for 40 steps): its claims' verdicts, and its report in Chromium at 1280 px.
 */
import assert from "node:assert/strict";
import { browserCheck } from "../stages/report/browser_check.ts";
import { cli } from "./_cli.ts";

const TINY = [
  "init.samples=50000",
  "grad-norms.d=8",
  "grad-norms.heads=2",
  "grad-norms.seq=4",
  "grad-norms.batch=2",
  "grad-norms.repeats=2",
  "grad-norms.vocab=16",
  "warmup.layers=2",
  "warmup.d=16",
  "warmup.steps=40",
].flatMap((s) => ["--set", s]);

Deno.test("bert-init reproduces its five numeric claims, judges the training ones, and its report renders in Chromium", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bert-init-test-" });
  const store = { data: `${dir}/data`, reports: `${dir}/reports` };
  const r = await cli(store, ["run", "bert-init", ...TINY]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /of 15 claims reproduced/);
  const claims = await cli(store, ["query", "--json", "select claim_id, verdict, ours from latest_claims"]);
  const verdicts = Object.fromEntries(
    (JSON.parse(claims.stdout) as { claim_id: string; verdict: string; ours: number }[]).map((c) => [
      c.claim_id,
      [c.verdict, c.ours],
    ]),
  );
  assert.deepEqual(verdicts["truncated-std"]?.[0], "reproduced");
  assert.ok(Math.abs((verdicts["truncated-std"]?.[1] as number) - 0.0175925132) < 1e-9);
  for (const id of ["truncation-factor", "truncated-std-sampled", "xavier-std", "xavier-std-sampled"]) {
    assert.equal(verdicts[id]?.[0], "reproduced", id);
  }
  // The training half: every claim is judged on a measured number, whatever its verdict at this size.
  assert.equal(Object.keys(verdicts).length, 15);
  for (const [id, [verdict]] of Object.entries(verdicts)) assert.notEqual(verdict, "not comparable", id);
  const page = `${store.reports}/bert-init/index.html`;
  const seen = await browserCheck(page, { viewport: { width: 1280, height: 900 } });
  assert.equal(seen.headings[1], "Claims");
  assert.ok(seen.headings.includes("Truncated normal against Xavier"));
  assert.ok(seen.headings.includes("Gradient norms at initialisation"));
  assert.ok(seen.headings.includes("Training with and without warmup"));
  // 2 of the init std, one per depth of gradient norms, the training curves.
  assert.equal(seen.plots.length, 5);
  assert.ok(seen.plots.every((p) => p.rendered), JSON.stringify(seen.plots));
  assert.deepEqual(seen.consoleErrors, []);
  assert.deepEqual(seen.cutTables, []);
  await Deno.remove(dir, { recursive: true });
});
