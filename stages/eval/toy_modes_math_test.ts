import assert from "node:assert/strict";
import { sampleToy2d, toy2dCenters } from "../data/sources/toy_2d.ts";
import { Rng } from "../data/random.ts";
import { densityGrid, klSamplingFloor, modeStats, toyModes } from "./toy_modes_math.ts";

const NOISE = { "8gaussians": 0.02, "25gaussians": 0.05, ring: 0.05, swissroll: 0.25 } as const;
const target = (name: keyof typeof NOISE, arcs?: number) =>
  toyModes(
    {
      name,
      noise: NOISE[name],
      ...(name.endsWith("gaussians") ? { centers: toy2dCenters(name as never)! } : {}),
    },
    arcs ? { arcs } : {},
  );

/** |observed − expected| ≤ 4 standard errors of a share p out of n. */
const nearShare = (got: number, p: number, n: number, extra = 0) =>
  Math.abs(got - p) <= 4 * Math.sqrt((p * (1 - p)) / n) + extra;

Deno.test("modeStats: exact mixture samples cover every mode, 98.9% within 3σ, KL at its sampling floor (K − 1)/(2N)", () => {
  const n = 2500;
  for (const name of ["8gaussians", "25gaussians"] as const) {
    const t = target(name);
    const kls: number[] = [];
    let floor = 0;
    for (let r = 0; r < 100; r++) {
      const s = modeStats(sampleToy2d(name, { n, seed: 100 + r }).points, t);
      assert.equal(s.covered, t.modes, `${name}: every mode`);
      // ‖x − c‖/σ is Rayleigh: P(≤ 3) = 1 − e^{−4.5}.
      assert.ok(nearShare(s.highQuality, 1 - Math.exp(-4.5), n), `${name}: high quality ${s.highQuality}`);
      kls.push(s.kl);
      floor += klSamplingFloor(n, t.modes).mean / 100;
    }
    // 2M·KL ≈ χ²(K − 1): the mean of 100 draws within 4 standard errors of (K − 1)/(2M).
    const mean = kls.reduce((a, b) => a + b) / kls.length;
    const sd = klSamplingFloor(n, t.modes).sd;
    assert.ok(
      Math.abs(mean - floor) < 4 * sd / Math.sqrt(kls.length),
      `${name}: mean KL ${mean} vs ${floor}`,
    );
    assert.ok(Math.max(...kls) < floor + 5 * sd, `${name}: largest KL ${Math.max(...kls)}`);
  }
});

Deno.test("modeStats: samples from one mode cover 1 mode and give KL = log K; off-mode samples are not high quality", () => {
  const t = target("25gaussians");
  const rng = new Rng(3);
  const [cx, cy] = toy2dCenters("25gaussians")![7]!;
  const one = Float32Array.from({ length: 2000 }, (_, i) => (i % 2 ? cy! : cx!) + t.sigma * rng.normal());
  const s = modeStats(one, t);
  assert.equal(s.covered, 1);
  assert.ok(Math.abs(s.kl - Math.log(25)) < 1e-12, `KL ${s.kl}`);
  assert.equal(s.counts[7], s.highQuality * 1000);
  assert.equal(s.assigned[7], 1000);
  // Halfway between two modes: assigned (so in the histogram), but not within 3σ, so no mode is covered.
  const mid = modeStats([cx! + 0.35, cy!], t);
  assert.equal(mid.highQuality, 0);
  assert.ok(Math.abs(mid.kl - Math.log(25)) < 1e-12);
  assert.equal(mid.covered, 0);
  assert.ok(Number.isNaN(modeStats([NaN, NaN], t).kl), "no finite sample: no histogram");
  // A mode needs minShare of its uniform share: 9 samples on mode 0 out of 2500 are below 0.1 · 100.
  const pts = new Float32Array(5000).fill(NaN);
  const [c0x, c0y] = toy2dCenters("25gaussians")![0]!;
  for (let i = 0; i < 9; i++) (pts[2 * i] = c0x!), (pts[2 * i + 1] = c0y!);
  assert.equal(modeStats(pts, t).covered, 0);
  assert.equal(modeStats(pts, t, { minShare: 0 }).covered, 1, "MEG's count: one sample is enough");
});

Deno.test("modeStats: exact ring and swiss-roll samples lie within 3σ of the curve 99.7% of the time, every arc covered", () => {
  const n = 4000;
  for (const name of ["ring", "swissroll"] as const) {
    const t = target(name, 16);
    const s = modeStats(sampleToy2d(name, { n, seed: 5 }).points, t);
    assert.equal(s.covered, 16, name);
    // |normal noise| ≤ 3σ: 2Φ(3) − 1; the swiss roll's curvature (radius ≥ 0.63 ≫ σ) moves it by < 0.002.
    assert.ok(
      nearShare(s.highQuality, 0.9973, n, name === "swissroll" ? 0.002 : 0),
      `${name}: ${s.highQuality}`,
    );
    const floor = klSamplingFloor(n, 16);
    // The ring's angles are exactly uniform; the swiss roll's arcs are equal in t, hence in mass.
    assert.ok(s.kl < floor.mean + 5 * floor.sd, `${name}: KL ${s.kl} vs floor ${floor.mean}`);
  }
  // Points off the curve are not high quality: the ring's center, the roll's gap between two turns.
  assert.equal(modeStats([0, 0], target("ring")).highQuality, 0);
  const t = (ROLL: number) => [ROLL * Math.cos(ROLL) / 7.5, ROLL * Math.sin(ROLL) / 7.5];
  const [gx, gy] = t(2.5 * Math.PI).map((v) => v * (3.5 / 2.5)); // radius halfway to the next turn
  assert.equal(modeStats([gx!, gy!], target("swissroll")).highQuality, 0);
});

Deno.test("densityGrid: the target's density on its box peaks at the modes", () => {
  const t = target("8gaussians");
  const n = 64;
  const grid = densityGrid(t, n);
  assert.equal(grid.length, n * n);
  const [[x0, x1], [y0, y1]] = t.box;
  const at = grid.indexOf(Math.max(...grid));
  const [x, y] = [x0 + ((x1 - x0) * ((at % n) + 0.5)) / n, y0 + ((y1 - y0) * (Math.floor(at / n) + 0.5)) / n];
  assert.ok(t.locate(x, y).distance < (x1 - x0) / n, `peak at ${x}, ${y}`);
  assert.throws(() => toyModes({ name: "checkerboard", noise: 0 }), /no modes to count/);
});
