/**
 * The muon-ns pipeline end to end through the CLI at a reduced size (small matrices, 3,000 descent steps):
 * the claims that hold at that size and the ones that cannot yet (the T = 3 fits need the article's
 * 100,000 steps), the table beside the article's, and the report in Chromium at 1280 px.
 */
import assert from "node:assert/strict";
import { browserCheck } from "../stages/report/browser_check.ts";
import { cli } from "./_cli.ts";

Deno.test("muon-ns at a reduced size: verdicts, the table beside the article's, the report in Chromium", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muon-ns-test-" });
  const store = { data: `${dir}/data`, reports: `${dir}/reports` };
  const small = [
    'spectra.exact={"256x256":2,"512x256":2}',
    "spectra.lawPoints=1024",
    "fit.steps=3000",
    "fit.extend.maxSteps=30000",
    "ns-matrix.shapes=[[128,64],[64,64]]",
  ].flatMap((s) => ["--set", s]);
  const r = await cli(store, ["run", "muon-ns", ...small]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const q = await cli(store, ["query", "--json", "select claim_id, verdict, ours from latest_claims"]);
  const verdicts = Object.fromEntries(
    (JSON.parse(q.stdout) as { claim_id: string; verdict: string }[]).map((c) => [c.claim_id, c.verdict]),
  );
  // mse_o needs no fit: on the Marchenko–Pastur law it is within 1% of the article's for every row.
  for (const id of ["mse-o-1024x1024-t3", "mse-o-1024x1024-t5", "mse-o-2048x1024-t3", "mse-o-2048x1024-t5"]) {
    assert.equal(verdicts[id], "reproduced", id);
  }
  assert.equal(verdicts["mse-o-every-row"], "reproduced");
  // T = 5 converges within 3,000 steps; T = 3 (κ climbing to 7) does not: those claims must fail here.
  assert.equal(verdicts["mse-2048x1024-t5"], "reproduced");
  assert.equal(verdicts["mse-1024x1024-t3"], "not reproduced");
  assert.equal(verdicts["mse-2048x1024-t3"], "not reproduced");
  assert.equal(verdicts["ns-scalar-map"], "reproduced");
  assert.equal(verdicts["ns-docstring-range"], "reproduced");

  const html = await Deno.readTextFile(`${store.reports}/muon-ns/index.html`);
  assert.match(html, /Ours beside the article&#39;s table|Ours beside the article's table/);
  assert.match(html, /0\.04431/, "the article's mse_o for 1024², T = 5 is shown beside ours");
  const seen = await browserCheck(`${store.reports}/muon-ns/index.html`, {
    viewport: { width: 1280, height: 900 },
  });
  assert.deepEqual(seen.headings, [
    "Muon's Newton–Schulz coefficients",
    "Claims",
    "The singular values",
    "The coefficient table",
    "Newton–Schulz on a whole matrix",
    "What was run",
  ]);
  assert.equal(seen.plots.length, 4);
  assert.ok(seen.plots.every((p) => p.rendered), JSON.stringify(seen.plots));
  assert.deepEqual(seen.consoleErrors, []);
  assert.deepEqual(seen.cutTables, []);
  await Deno.remove(dir, { recursive: true });
});
