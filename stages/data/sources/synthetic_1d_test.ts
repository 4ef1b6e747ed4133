import assert from "node:assert/strict";
import { readFolder, runStage } from "../_test_util.ts";
import { openShards } from "../shard_reader.ts";
import { mixture1d, sampleMixture1d, synthetic1dParams, synthetic1dStage } from "./synthetic_1d.ts";

Deno.test("mixture1d() draws the demo's 10-Gaussian target: locs in [-0.5, 0.3], coupled scales", () => {
  const m = mixture1d(synthetic1dParams.parse({}));
  assert.equal(m.locs.length, 10);
  assert.deepEqual(m.weights, new Array(10).fill(0.1));
  const sigmaMax = 10 / 60;
  for (const [i, loc] of m.locs.entries()) {
    assert.ok(loc >= -0.5 && loc < 0.3);
    // One uniform per component: scale = σmax (0.25 + 0.1 u), loc = −0.5 + 0.8 u.
    const u = (loc + 0.5) / 0.8;
    assert.ok(Math.abs(m.scales[i]! - sigmaMax * (0.25 + 0.1 * u)) < 1e-12);
  }
  assert.deepEqual(m, mixture1d(synthetic1dParams.parse({})));
  assert.notDeepEqual(m.locs, mixture1d(synthetic1dParams.parse({ mixtureSeed: 1 })).locs);
  const free = mixture1d(synthetic1dParams.parse({ sharedDraws: false }));
  assert.ok(
    free.scales.some((s, i) => Math.abs(s - sigmaMax * (0.25 + 0.1 * (free.locs[i]! + 0.5) / 0.8)) > 1e-6),
  );
});

Deno.test("sampleMixture1d() matches the mixture's mean and variance; student-t has heavier tails", () => {
  const m = mixture1d(synthetic1dParams.parse({}));
  const n = 200_000;
  const { x, component } = sampleMixture1d(m, n, 5);
  const mean = m.locs.reduce((s, l) => s + l, 0) / 10;
  const variance = m.locs.reduce((s, l, i) => s + (m.scales[i]! ** 2 + l * l) / 10, 0) - mean * mean;
  let sum = 0;
  let sq = 0;
  for (const v of x) {
    sum += v;
    sq += v * v;
  }
  assert.ok(Math.abs(sum / n - mean) < 0.003, `mean ${sum / n} vs ${mean}`);
  assert.ok(Math.abs(sq / n - (sum / n) ** 2 - variance) / variance < 0.02);
  for (let i = 0; i < 1000; i++) {
    const c = component[i]!;
    assert.ok(Math.abs(x[i]! - m.locs[c]!) < 6 * m.scales[c]!);
  }
  const t = mixture1d(synthetic1dParams.parse({ family: "student-t", dof: 2 }));
  const heavy = sampleMixture1d(t, n, 5);
  const far = (xs: Float32Array, comp: Int32Array, mix: typeof m) =>
    xs.filter((v, i) => Math.abs(v - mix.locs[comp[i]!]!) > 5 * mix.scales[comp[i]!]!).length;
  assert.equal(far(x, component, m), 0);
  assert.ok(far(heavy.x, heavy.component, t) > n * 0.01);
});

Deno.test("data.synthetic-1d writes train/test samples and the mixture, byte-identically", async () => {
  const params = { trainSize: 5000, testSize: 300, recordsPerShard: 2000 };
  const a = await runStage(synthetic1dStage, { params });
  const b = await runStage(synthetic1dStage, { params });
  const c = await runStage(synthetic1dStage, { params: { ...params, seed: 1 } });
  try {
    const data = await openShards(a.outDir);
    assert.deepEqual(data.splits.map((s) => [s, data.count(s), data.split(s).shards.length]), [
      ["train", 5000, 3],
      ["test", 300, 1],
    ]);
    const distribution = data.manifest.source.distribution as ReturnType<typeof mixture1d>;
    assert.deepEqual(distribution, mixture1d(synthetic1dParams.parse(params)));
    const test = await data.readAll("test");
    assert.deepEqual(test.dims, [300, 1]);
    assert.equal(test.y, undefined);
    const batch = await data.batches("train", { batchSize: 32, prefetch: false }).nextBatch();
    assert.deepEqual(batch.dims, [32, 1]);
    assert.deepEqual(await readFolder(a.outDir), await readFolder(b.outDir));
    assert.notDeepEqual(
      (await readFolder(a.outDir)).get("test-00000-of-00001.arrow"),
      (await readFolder(c.outDir)).get("test-00000-of-00001.arrow"),
    );
  } finally {
    for (const r of [a, b, c]) await Deno.remove(r.outDir, { recursive: true });
  }
  assert.throws(() => synthetic1dStage.params.parse({ family: "cauchy" }), /family/);
  assert.throws(() => synthetic1dStage.params.parse({ trainSize: 0 }), /trainSize/);
});
