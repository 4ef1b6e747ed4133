/**
 * The master-equation pipeline end to end through the CLI with smaller batches of trajectories: its
 * claims, its report, and the gillespie stage it reuses (cached across pipelines of one store).
 */
import assert from "node:assert/strict";
import { statuses } from "./_cli.ts";
import { checkReport, runPipeline, tempStore, verdicts } from "./_density_report.ts";

Deno.test("master-equation runs from an empty store; every claim holds; gillespie's exact stage is shared", async () => {
  const store = await tempStore("master-equation-test-");
  const r = await runPipeline(store, "master-equation", [
    "simulate.batches=[400,1600,6400]",
    "compare.nullDraws=40",
  ]);
  assert.match(r.stdout, /6 of 6 claims reproduced/, r.stdout);
  const seen = await checkReport(store, "master-equation");
  assert.deepEqual(seen.headings.slice(2, 5), [
    "Birth–death: the master equation against Poisson",
    "Two-stage gene expression: the master equation over time",
    "Simulation against the master equation",
  ]);
  // The same store then runs gillespie: its exact stage (same kind, same params) comes from the cache.
  const g = await runPipeline(store, "gillespie", []);
  assert.equal(statuses(g).exact, "cached");
  assert.equal((await verdicts(store, "gillespie"))["protein-fano"], "reproduced");
  await Deno.remove(store.dir, { recursive: true });
});
