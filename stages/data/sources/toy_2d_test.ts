import assert from "node:assert/strict";
import { readFolder, runStage } from "../_test_util.ts";
import { openShards } from "../shard_reader.ts";
import { sampleToy2d, toy2dCenters, toy2dStage, TOY_2D_DISTRIBUTIONS } from "./toy_2d.ts";

const n = 20_000;

function points(name: (typeof TOY_2D_DISTRIBUTIONS)[number], noise?: number) {
  const { points, component } = sampleToy2d(name, { n, seed: 1, ...(noise === undefined ? {} : { noise }) });
  const xy = Array.from({ length: n }, (_, i) => [points[2 * i]!, points[2 * i + 1]!] as const);
  return { xy, component };
}

Deno.test("sampleToy2d() draws 8 and 25 gaussians around their centers, all modes used", () => {
  for (
    const [name, modes, std] of [["8gaussians", 8, 0.02 / 1.414], ["25gaussians", 25, 0.05 / 2.828]] as const
  ) {
    const centers = toy2dCenters(name)!;
    assert.equal(centers.length, modes);
    const { xy, component } = points(name);
    const used = new Set(component);
    assert.equal(used.size, modes);
    let sq = 0;
    xy.forEach(([x, y], i) => {
      const [cx, cy] = centers[component![i]!]!;
      sq += (x - cx!) ** 2 + (y - cy!) ** 2;
    });
    assert.ok(Math.abs(Math.sqrt(sq / (2 * n)) / std - 1) < 0.03, `${name} std`);
  }
  assert.deepEqual(toy2dCenters("8gaussians")![0], [2 / 1.414, 0]);
  assert.deepEqual(toy2dCenters("25gaussians")![0], [-4 / 2.828, -4 / 2.828]);
});

Deno.test("sampleToy2d() draws swiss roll, moons, checkerboard and ring with their geometry", () => {
  // Swiss roll: radius t / 7.5 with t in [1.5π, 4.5π].
  for (const [x, y] of points("swissroll", 0).xy) {
    const r = Math.hypot(x, y) * 7.5;
    assert.ok(r >= 1.5 * Math.PI - 1e-4 && r <= 4.5 * Math.PI + 1e-4);
  }
  // Moons without noise: on their half circles, after × 2 + (−1, −0.2).
  const moons = points("moons", 0);
  moons.xy.forEach(([x, y], i) => {
    const [bx, by] = [(x + 1) / 2, (y + 0.2) / 2];
    const r = moons.component![i] === 0 ? Math.hypot(bx, by) : Math.hypot(bx - 1, by - 0.5);
    assert.ok(Math.abs(r - 1) < 1e-5);
  });
  // Checkerboard: in [−4, 4]², only on the squares where ⌊x/2⌋ + ⌊y/2⌋ is even, all 8 of them used.
  const squares = new Set<string>();
  for (const [x, y] of points("checkerboard").xy) {
    assert.ok(Math.abs(x) <= 4 && Math.abs(y) <= 4);
    const [i, j] = [Math.floor(x / 2), Math.floor(y / 2)];
    assert.equal((((i + j) % 2) + 2) % 2, 0);
    squares.add(`${i},${j}`);
  }
  assert.equal(squares.size, 8);
  // Ring: radius 1 with std `noise`.
  let sq = 0;
  for (const [x, y] of points("ring", 0.1).xy) sq += (Math.hypot(x, y) - 1) ** 2;
  assert.ok(Math.abs(Math.sqrt(sq / n) - 0.1) < 0.005);
});

Deno.test("sampleToy2d() draws two spirals: point-symmetric halves on a turn and a half of radius ≤ (3π + ½)/3", () => {
  // Without noise each point is ±(c(t) + u)/3 with |c(t)| = t ≤ 3π and u ∈ [0, ½]².
  let mx = 0, my = 0, upper = 0;
  for (const [x, y] of points("2spirals", 0).xy) {
    assert.ok(Math.hypot(x, y) <= (3 * Math.PI + Math.SQRT1_2) / 3 + 1e-9);
    mx += x / n;
    my += y / n;
    if (y > 0) upper++;
  }
  // The two signs are equally likely, so the mean is 0 within its sampling error (coordinates' std ≈ 1.6).
  assert.ok(Math.abs(mx) < 0.05 && Math.abs(my) < 0.05, `mean (${mx}, ${my})`);
  assert.ok(Math.abs(upper / n - 0.5) < 0.03);
});

Deno.test("data.toy-2d writes points as [B, 2] batches, its modes and centers, byte-identically", async () => {
  const params = { distribution: "25gaussians", trainSize: 3000, testSize: 100 } as const;
  const a = await runStage(toy2dStage, { params });
  const b = await runStage(toy2dStage, { params });
  try {
    const data = await openShards(a.outDir);
    assert.deepEqual(Object.keys(data.manifest.features), ["x", "component"]);
    const distribution = data.manifest.source.distribution as { centers: number[][]; noise: number };
    assert.equal(distribution.centers.length, 25);
    assert.equal(distribution.noise, 0.05);
    const batch = await data.batches("train", { batchSize: 256, prefetch: false }).nextBatch();
    assert.deepEqual(batch.dims, [256, 2]);
    assert.deepEqual(await readFolder(a.outDir), await readFolder(b.outDir));
    const ring = await runStage(toy2dStage, {
      params: { distribution: "ring", trainSize: 10, testSize: 10 },
    });
    assert.deepEqual(Object.keys((await openShards(ring.outDir)).manifest.features), ["x"]);
    await Deno.remove(ring.outDir, { recursive: true });
  } finally {
    for (const r of [a, b]) await Deno.remove(r.outDir, { recursive: true });
  }
  assert.throws(() => toy2dStage.params.parse({ distribution: "spiral" }), /distribution/);
  assert.throws(() => toy2dStage.params.parse({ noise: -1 }), /noise/);
});
