/**
 * The em-gmm pipeline end to end through the CLI, with fewer bootstrap refits and pLSA iterations: its
 * claims (the scikit-learn comparisons included, since the data are the default ones) and its report.
 */
import assert from "node:assert/strict";
import { checkReport, runPipeline, tempStore, verdicts } from "./_density_report.ts";
import { cli } from "./_cli.ts";

Deno.test("em-gmm runs from an empty store; every claim holds and the report renders in Chromium", async () => {
  const store = await tempStore("em-gmm-test-");
  const r = await runPipeline(store, "em-gmm", ["synthetic.bootstrap=30", "plsa.iterations=150"]);
  assert.match(r.stdout, /11 of 11 claims reproduced/);
  const seen = await checkReport(store, "em-gmm");
  assert.deepEqual(seen.headings.slice(2, 7), [
    "A 2-D mixture with known parameters",
    "EM against scikit-learn and against gradient ascent",
    "The 8×8 digits in 10 principal components",
    "K-means as the limit of EM",
    "pLSA: EM against projected gradient",
  ]);
  assert.equal(seen.plots.length, 5);
  // Another sample size is other data: the scikit-learn comparison says so instead of passing or failing.
  await runPipeline(store, "em-gmm", ["synthetic.bootstrap=30", "plsa.iterations=150", "synthetic.n=1000"]);
  const v = await verdicts(store, "em-gmm");
  assert.equal(v["sklearn-synthetic"], "not comparable");
  assert.equal(v["sklearn-digits"], "reproduced");
  const why = await cli(store, ["claims", "em-gmm"]);
  assert.match(why.stdout, /sklearn-synthetic\s+not comparable: synthetic.sklearn_diff is NaN/);
  await Deno.remove(store.dir, { recursive: true });
});
