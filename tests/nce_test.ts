/**
 * The nce pipeline end to end through the CLI with fewer samples and fits: its claims and its report.
 */
import assert from "node:assert/strict";
import { checkReport, runPipeline, tempStore, verdicts } from "./_density_report.ts";

Deno.test("nce runs from an empty store; its estimates are judged with their errors and the report renders", async () => {
  const store = await tempStore("nce-test-");
  const r = await runPipeline(store, "nce", [
    "repeats.fits=30",
    "shift.fits=5",
    "shift.n=3000",
    "repeats.n=3000",
  ]);
  assert.match(r.stdout, /of 10 claims reproduced/);
  const v = await verdicts(store, "nce");
  for (
    const id of ["a-uniform", "b-uniform", "log-z-uniform", "a-gaussian", "more-noise-better", "degrades-far"]
  ) {
    assert.equal(v[id], "reproduced", id);
  }
  const seen = await checkReport(store, "nce");
  assert.deepEqual(seen.headings.slice(2, 5), [
    "NCE of a, b and log Z",
    "Are the standard errors honest?",
    "Noise far from the data",
  ]);
  await Deno.remove(store.dir, { recursive: true });
});
