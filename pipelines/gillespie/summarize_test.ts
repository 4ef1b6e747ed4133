import assert from "node:assert/strict";
import { runStageForTest } from "../../engine/testing.ts";
import { simulate, type Simulation } from "./simulate.ts";
import { summarizeSimulation } from "./summarize.ts";
import { stationaryDistribution } from "./master_equation.ts";
import { ARTICLE_RATES } from "./model.ts";

const exact = stationaryDistribution(ARTICLE_RATES, { maxMrna: 70, maxProtein: 200 });

async function simulated(params: Record<string, unknown>): Promise<Simulation> {
  const { outDir } = await runStageForTest(simulate, {
    params: { trajectories: 32, duration: 100, ...params },
  });
  try {
    return JSON.parse(await Deno.readTextFile(`${outDir}/simulation.json`));
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
}

Deno.test("simulate is deterministic for a seed and differs across seeds", async () => {
  const a = await simulated({ seed: 1 });
  const b = await simulated({ seed: 1 });
  const c = await simulated({ seed: 2 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.trajectories[0], c.trajectories[0]);
});

Deno.test("summarizeSimulation() passes the article's model within its own statistical tolerance", async () => {
  const summary = summarizeSimulation(await simulated({ seed: 0 }), exact, 4);
  for (const c of summary.checks) {
    assert.ok(c.pass, `${c.name}: ${c.measured} vs ${c.expected} ± ${c.tolerance}`);
    assert.ok(c.standardError > 0 && c.standardError < 0.1 * c.expected, `${c.name} SE ${c.standardError}`);
  }
  assert.ok(summary.tvDistance < 3 * summary.tvNoise, `TV ${summary.tvDistance} vs noise ${summary.tvNoise}`);
  // The article's single run: 100,000 jumps after dropping 2,000, both readings near 50.
  assert.equal(summary.article.jumps, 98_000);
  assert.ok(Math.abs(summary.article.timeWeighted.mean - 50) < 5);
  assert.ok(Math.abs(summary.article.eventWeighted.mean - 50) < 5);
});

Deno.test("summarizeSimulation() flags a simulation of a different model", async () => {
  // Translation 3.0 instead of 2.5: protein mean 60 and Fano 2.5, compared against the article's exact answer.
  const wrong = await simulated({ seed: 0, rates: { ...ARTICLE_RATES, translation: 3 } });
  const summary = summarizeSimulation({ ...wrong, rates: ARTICLE_RATES }, exact, 4);
  const byName = Object.fromEntries(summary.checks.map((c) => [c.name, c]));
  assert.equal(byName["protein mean"]!.pass, false);
  assert.equal(byName["mRNA mean"]!.pass, true, "mRNA does not depend on translation");
  assert.ok(summary.tvDistance > 10 * summary.tvNoise);
});
