import assert from "node:assert/strict";
import { input, scalar } from "./graph.ts";
import { GraphRng, hostUniform, squares32 } from "./rng.ts";
import { evaluate } from "./testing.ts";

Deno.test("squares32 matches the paper's algorithm on known inputs", () => {
  // Values computed independently with Python integers.
  assert.equal(squares32(0n), 2148303422);
  assert.equal(squares32(1n), 1599026797);
  assert.equal(squares32(12345n), 1922522729);
});

async function draw(seed: number, step: number) {
  const s = input("seed", "int32", []);
  const t = input("step", "float32", []);
  const rng = new GraphRng(s, t);
  return await evaluate({ u: rng.uniform([4, 1000]), z: rng.normal([3, 2001]) }, {
    seed: new Int32Array([seed]),
    step: new Float32Array([step]),
  });
}

Deno.test("in-graph uniforms equal the host reference bit for bit", async () => {
  const r = await draw(7, 12);
  const host = hostUniform(7, 12, 0, 4000);
  assert.deepEqual(Array.from(r.u as Float32Array), Array.from(Float32Array.from(host)));
});

Deno.test("in-graph noise is reproducible from (seed, step) and differs otherwise", async () => {
  const a = await draw(1, 5);
  const b = await draw(1, 5);
  const c = await draw(1, 6);
  const d = await draw(2, 5);
  assert.deepEqual(a.z, b.z);
  const same = (p: ArrayLike<number>, q: ArrayLike<number>) =>
    Array.from(p).filter((v, i) => v === q[i]).length;
  assert.ok(same(a.z as Float32Array, c.z as Float32Array) < 5);
  assert.ok(same(a.z as Float32Array, d.z as Float32Array) < 5);
  assert.ok(same(a.u as Float32Array, a.z as Float32Array) < 5);
});

Deno.test("in-graph normals and uniforms have the right moments", async () => {
  const r = await draw(3, 0);
  const z = Array.from(r.z as Float32Array);
  const mean = z.reduce((p, q) => p + q) / z.length;
  const variance = z.reduce((p, q) => p + (q - mean) ** 2, 0) / z.length;
  const kurt = z.reduce((p, q) => p + (q - mean) ** 4, 0) / z.length / variance ** 2;
  // 6003 draws: standard errors 0.013 (mean), 0.018 (variance), 0.06 (kurtosis)
  assert.ok(Math.abs(mean) < 0.05, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.07, `variance ${variance}`);
  assert.ok(Math.abs(kurt - 3) < 0.25, `kurtosis ${kurt}`);
  const u = Array.from(r.u as Float32Array);
  const bins = new Array(10).fill(0);
  for (const v of u) bins[Math.floor(v * 10)]++;
  const chi2 = bins.reduce((p, b) => p + (b - 400) ** 2 / 400, 0);
  assert.ok(chi2 < 27.9, `chi2 ${chi2} (9 dof, p=0.001)`);
  assert.ok(u.every((v) => v > 0 && v < 1));
});

Deno.test("GraphRng rejects a non-scalar seed", () => {
  assert.throws(
    () => new GraphRng(input("s", "int32", [2]), scalar(0, "float32")).uniform([2]),
    /int32 scalar/,
  );
});
