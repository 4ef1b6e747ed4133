import assert from "node:assert/strict";
import { Rng } from "../../stages/data/random.ts";
import { em, type Gmm, initialGmm, largestDecrease, logLikelihood, sampleGmm } from "./gmm.ts";
import { gradientAscent, logLikelihoodGradient, packGmm, unpackGmm } from "./gmm_gradient.ts";

const truth: Gmm = {
  k: 2,
  d: 2,
  weights: Float64Array.of(0.3, 0.7),
  means: Float64Array.of(-1, 0, 1.5, 0.5),
  covs: Float64Array.of(0.3, 0.1, 0.1, 0.2, 0.5, -0.2, -0.2, 0.4),
};

Deno.test("EM never lowers the likelihood and lands where its gradient vanishes", () => {
  const { x } = sampleGmm(truth, 2000, new Rng(1));
  const run = em(x, initialGmm(x, 2, 2, new Rng(2)), { tolerance: 1e-14 });
  assert.ok(
    run.converged && largestDecrease(run.logLikelihoods) <= 1e-15,
    `decrease ${largestDecrease(run.logLikelihoods)}`,
  );
  const { gradient } = logLikelihoodGradient(x, packGmm(run.gmm), 2, 2);
  assert.ok(Math.max(...gradient.map(Math.abs)) < 1e-4, `|∇ℓ| = ${Math.max(...gradient.map(Math.abs))}`);
  // Component order is the initialisation's: match by the weight.
  const big = run.gmm.weights[0]! > run.gmm.weights[1]! ? 0 : 1;
  assert.ok(Math.abs(run.gmm.weights[big]! - 0.7) < 0.04);
  assert.ok(Math.abs(run.gmm.means[2 * big]! - 1.5) < 0.06);
});

Deno.test("the log-likelihood gradient matches central finite differences", () => {
  const { x } = sampleGmm(truth, 300, new Rng(3));
  const theta = packGmm(initialGmm(x, 2, 2, new Rng(4)));
  const { gradient } = logLikelihoodGradient(x, theta, 2, 2);
  for (let i = 0; i < theta.length; i++) {
    const h = 1e-6;
    const up = theta.slice(), down = theta.slice();
    up[i]! += h;
    down[i]! -= h;
    const fd = (logLikelihood(x, unpackGmm(up, 2, 2)) - logLikelihood(x, unpackGmm(down, 2, 2))) / (2 * h);
    assert.ok(Math.abs(fd - gradient[i]!) < 1e-5 * (1 + Math.abs(fd)), `θ[${i}]: ${gradient[i]} vs ${fd}`);
  }
  const back = unpackGmm(packGmm(truth), 2, 2);
  for (let i = 0; i < 8; i++) assert.ok(Math.abs(back.covs[i]! - truth.covs[i]!) < 1e-14);
});

Deno.test("gradient ascent from the same start reaches EM's optimum, in more iterations", () => {
  const { x } = sampleGmm(truth, 1000, new Rng(5));
  const start = initialGmm(x, 2, 2, new Rng(6));
  const byEm = em(x, start, { tolerance: 1e-13 });
  const target = byEm.logLikelihoods.at(-1)! - 1e-6 * 1000;
  const emSteps = byEm.logLikelihoods.findIndex((l) => l >= target);
  const ga = gradientAscent(x, start, { target });
  assert.ok(ga.reached, `gradient ascent stopped at ${ga.logLikelihoods.at(-1)} < ${target}`);
  assert.ok(ga.iterations > emSteps, `${ga.iterations} vs EM ${emSteps}`);
});

Deno.test("EM on grouped data (distinct points with counts) is EM on the points repeated", () => {
  const g: Gmm = {
    k: 2,
    d: 1,
    weights: Float64Array.of(0.4, 0.6),
    means: Float64Array.of(-1, 1),
    covs: Float64Array.of(0.3, 0.5),
  };
  const values = Float64Array.of(-1.5, -1, -0.5, 0, 0.7, 1.2, 2);
  const counts = Float64Array.of(3, 5, 2, 1, 4, 6, 2);
  const repeated = Float64Array.from(Array.from(values).flatMap((v, i) => new Array(counts[i]).fill(v)));
  const grouped = em(values, g, { counts, maxIterations: 30, tolerance: -1 });
  const plain = em(repeated, g, { maxIterations: 30, tolerance: -1 });
  for (let t = 0; t <= 30; t++) {
    assert.ok(
      Math.abs(grouped.logLikelihoods[t]! - plain.logLikelihoods[t]!) <
        1e-10 * Math.abs(plain.logLikelihoods[t]!),
    );
  }
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(grouped.gmm.means[i]! - plain.gmm.means[i]!) < 1e-12);
});
