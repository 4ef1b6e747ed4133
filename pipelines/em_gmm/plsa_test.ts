import assert from "node:assert/strict";
import { Rng } from "../../stages/data/random.ts";
import { largestDecrease } from "./gmm.ts";
import {
  plsaEmStep,
  plsaLogLikelihood,
  plsaProjectedGradientStep,
  projectOntoSimplex,
  randomPlsa,
  sampleCorpus,
} from "./plsa.ts";

Deno.test("projectOntoSimplex() is the Euclidean projection: on the simplex, and no closer point exists", () => {
  const rng = new Rng(1);
  for (let trial = 0; trial < 50; trial++) {
    const v = Float64Array.from({ length: 6 }, () => 2 * rng.normal());
    const p = v.slice();
    projectOntoSimplex(p);
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12 && p.every((x) => x >= 0));
    const dist = (q: Float64Array) => q.reduce((s, x, i) => s + (x - v[i]!) ** 2, 0);
    for (let k = 0; k < 20; k++) {
      const q = Float64Array.from({ length: 6 }, () => rng.float());
      const sum = q.reduce((a, b) => a + b, 0);
      assert.ok(dist(p) <= dist(q.map((x) => x / sum)) + 1e-12);
    }
  }
  const already = Float64Array.of(0.2, 0.3, 0.5);
  projectOntoSimplex(already);
  assert.deepEqual(Array.from(already), [0.2, 0.3, 0.5]);
});

Deno.test("pLSA by EM never lowers the likelihood and beats projected gradient at equal iterations", () => {
  const truth = randomPlsa(40, 30, 3, 0.5, 0.2, new Rng(2));
  const counts = sampleCorpus(truth, 100, new Rng(3));
  assert.equal(counts.reduce((a, b) => a + b, 0), 4000);
  const start = randomPlsa(40, 30, 3, 5, 5, new Rng(4));
  let em = start, pg = start;
  const state = { step: 1, logLikelihood: plsaLogLikelihood(counts, start), total: 4000 };
  const emTrace = [state.logLikelihood], pgTrace = [state.logLikelihood];
  for (let t = 0; t < 100; t++) {
    em = plsaEmStep(counts, em);
    emTrace.push(plsaLogLikelihood(counts, em));
    pg = plsaProjectedGradientStep(counts, pg, state);
    pgTrace.push(state.logLikelihood);
  }
  assert.ok(largestDecrease(emTrace) <= 1e-12 && largestDecrease(pgTrace) <= 0);
  assert.ok(
    emTrace.at(-1)! > pgTrace.at(-1)!,
    `EM ${emTrace.at(-1)} vs projected gradient ${pgTrace.at(-1)}`,
  );
  // EM's distributions stay normalised without any projection.
  for (let z = 0; z < 3; z++) {
    const row = em.wordGivenTopic.subarray(z * 30, z * 30 + 30);
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  }
});
