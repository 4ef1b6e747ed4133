import assert from "node:assert/strict";
import {
  countModes,
  divergences,
  knownDensity,
  mixtureLogPdf,
  quadrature1d,
  quadrature2d,
} from "./likelihood_targets.ts";

Deno.test("the mapped Simpson rule integrates a Student-t (ν = 3) to 1 and gives its entropy in closed form", () => {
  const scale = 0.7;
  const logp = mixtureLogPdf({ family: "student-t", weights: [1], locs: [0.2], scales: [scale], dof: 3 });
  const rule = quadrature1d({ center: 0.2, scale }, { intervals: 1 << 14 });
  const lp = rule.x.map(logp);
  const d = divergences(rule, lp, lp);
  // H(t₃) = 2·(ψ(2) − ψ(3/2)) + log(√3·B(3/2, 1/2)) = 2(2 ln 2 − 1) + log(√3·π/2), plus log(scale).
  const entropy = 2 * (2 * Math.LN2 - 1) + Math.log((Math.sqrt(3) * Math.PI) / 2) + Math.log(scale);
  assert.ok(Math.abs(d.mass - 1) < 1e-9, `mass ${d.mass}`);
  assert.ok(Math.abs(d.entropy - entropy) < 1e-8, `entropy ${d.entropy} vs ${entropy}`);
  assert.ok(d.entropyError < 1e-7 && d.kl === 0);
});

Deno.test("KL between two Gaussians by quadrature equals the closed form, on a bounded support too", () => {
  const p = mixtureLogPdf({ family: "gaussian", weights: [1], locs: [0], scales: [0.1] });
  const q = mixtureLogPdf({ family: "gaussian", weights: [1], locs: [0.05], scales: [0.15] });
  const exact = Math.log(0.15 / 0.1) + (0.1 ** 2 + 0.05 ** 2) / (2 * 0.15 ** 2) - 0.5;
  for (const support of [undefined, [-1, 1] as [number, number]]) {
    const rule = quadrature1d({ center: 0, scale: 0.2 }, support ? { support } : {});
    const d = divergences(rule, rule.x.map(p), rule.x.map(q));
    assert.ok(Math.abs(d.kl - exact) < 1e-10, `KL ${d.kl} vs ${exact} (support ${support})`);
  }
});

Deno.test("the 2-D trapezoid rule gives a Gaussian's entropy; known 2-D toys integrate to 1", () => {
  const rule = quadrature2d([[-1, 1], [-1, 1]], 401);
  const sd = 0.12;
  const logp = rule.x.map((x, i) =>
    -(x * x + rule.y[i]! ** 2) / (2 * sd * sd) - Math.log(2 * Math.PI * sd * sd)
  );
  const d = divergences(rule, logp, logp);
  assert.ok(Math.abs(d.entropy - Math.log(2 * Math.PI * Math.E * sd * sd)) < 1e-8, `H = ${d.entropy}`);
  for (const name of ["ring", "checkerboard"]) {
    const target = knownDensity({
      source: { kind: "data.toy-2d", origin: "", distribution: { name, noise: name === "ring" ? 0.05 : 0 } },
    });
    assert.ok(target?.dim === 2);
    const r = quadrature2d(target.box, 801);
    const mass = divergences(
      r,
      r.x.map((x, i) => target.logPdf(x, r.y[i]!)),
      new Float64Array(r.x.length),
    ).mass;
    // The checkerboard's edges cut grid cells: the trapezoid rule's O(h) error is the floor there.
    assert.ok(Math.abs(mass - 1) < (name === "ring" ? 1e-6 : 2e-2), `${name}: mass ${mass}`);
  }
  assert.equal(
    knownDensity({ source: { kind: "data.toy-2d", origin: "", distribution: { name: "moons" } } }),
    null,
  );
});

Deno.test("the two spirals' density integrates to 1 and gives the share of samples in a box within sampling error", async () => {
  const { sampleToy2d } = await import("../data/sources/toy_2d.ts");
  const target = knownDensity({
    source: { kind: "data.toy-2d", origin: "", distribution: { name: "2spirals", noise: 0.1 } },
  });
  assert.ok(target?.dim === 2);
  const r = quadrature2d(target.box, 201);
  const logp = r.x.map((x, i) => target.logPdf(x, r.y[i]!));
  assert.ok(Math.abs(divergences(r, logp, new Float64Array(r.x.length)).mass - 1) < 2e-3);
  // P(x > 0.5, y > 0) by the rule against the share of 40,000 samples (binomial s.e. ≈ 0.002).
  let inBox = 0;
  r.x.forEach((x, i) => {
    if (x > 0.5 && r.y[i]! > 0) inBox += r.w[i]! * Math.exp(logp[i]!);
  });
  const n = 40_000;
  const { points } = sampleToy2d("2spirals", { n, seed: 3 });
  let hits = 0;
  for (let i = 0; i < n; i++) if (points[2 * i]! > 0.5 && points[2 * i + 1]! > 0) hits++;
  const se = Math.sqrt((inBox * (1 - inBox)) / n);
  // The box's edges cut grid cells: the rule's O(h) error (h = 0.04) adds about 0.005.
  assert.ok(Math.abs(hits / n - inBox) < 4 * se + 0.005, `${hits / n} vs ${inBox}`);
});

Deno.test("countModes() counts peaks, not ripples", () => {
  const xs = Array.from({ length: 2001 }, (_, i) => -1 + i / 1000);
  const bump = (x: number, m: number, s: number) => Math.exp(-0.5 * ((x - m) / s) ** 2);
  const two = xs.map((x) => bump(x, -0.4, 0.1) + bump(x, 0.4, 0.1) + 1e-3 * Math.sin(80 * x));
  assert.equal(countModes(two), 2);
  const merged = xs.map((x) => bump(x, -0.05, 0.1) + bump(x, 0.05, 0.1));
  assert.equal(countModes(merged), 1);
});
