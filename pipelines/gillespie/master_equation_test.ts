import assert from "node:assert/strict";
import { weightedMoments } from "./gillespie.ts";
import { stationaryDistribution } from "./master_equation.ts";
import { analyticMoments, ARTICLE_RATES } from "./model.ts";

Deno.test("stationaryDistribution() reproduces the exact moments and the Poisson mRNA marginal", () => {
  const s = stationaryDistribution(ARTICLE_RATES, { maxMrna: 70, maxProtein: 200 });
  const exact = analyticMoments(ARTICLE_RATES);
  const protein = weightedMoments(s.protein);
  assert.ok(Math.abs(protein.total - 1) < 1e-12);
  assert.ok(Math.abs(protein.mean - exact.proteinMean) < 1e-6, `mean ${protein.mean}`);
  assert.ok(Math.abs(protein.variance - exact.proteinVariance) < 1e-5, `variance ${protein.variance}`);
  // mRNA is a birth–death process: exactly Poisson(20).
  let pmf = Math.exp(-20);
  for (let m = 0; m <= 70; m++) {
    assert.ok(Math.abs(s.mrna[m]! - pmf) < 1e-10, `P(m=${m}) = ${s.mrna[m]} vs ${pmf}`);
    pmf *= 20 / (m + 1);
  }
});
