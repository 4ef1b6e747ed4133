import assert from "node:assert/strict";
import { initParam, initParams, inits, Rng } from "./init.ts";

Deno.test("Rng is reproducible and its streams are independent", () => {
  const a = new Rng(42, "w");
  const b = new Rng(42, "w");
  const first = Array.from({ length: 4 }, () => a.uint32());
  assert.deepEqual(first, Array.from({ length: 4 }, () => b.uint32()));
  // Regression anchors: changing these values breaks the reproducibility of every recorded run.
  assert.deepEqual(first, [4253578955, 2395278194, 3733407422, 1458855762]);
  assert.equal(new Rng(0).normal(), -0.46360994031777775);
  const c = new Rng(42, "v");
  assert.notDeepEqual(Array.from({ length: 4 }, () => c.uint32()), first);
  const u = Array.from({ length: 20000 }, () => a.uniform());
  assert.ok(u.every((v) => v >= 0 && v < 1));
  const mean = u.reduce((p, q) => p + q) / u.length;
  assert.ok(Math.abs(mean - 0.5) < 0.01);
});

Deno.test("initParams: same seed same values, adding a parameter leaves the others unchanged", () => {
  const w = { name: "fc/W", shape: [30, 20], dtype: "float32" as const, init: inits.normal(0.02) };
  const b = { name: "fc/b", shape: [20], dtype: "float32" as const, init: inits.torchDefault(30) };
  const one = initParams([w, b], 7);
  const two = initParams([{ ...w, name: "extra" }, w, b], 7);
  assert.deepEqual(two["fc/W"], one["fc/W"]);
  assert.deepEqual(two["fc/b"], one["fc/b"]);
  assert.notDeepEqual(initParams([w], 8)["fc/W"], one["fc/W"]);
  const vals = Array.from(one["fc/W"]!);
  const mean = vals.reduce((p, q) => p + q) / vals.length;
  const std = Math.sqrt(vals.reduce((p, q) => p + (q - mean) ** 2, 0) / vals.length);
  assert.ok(Math.abs(mean) < 0.003 && Math.abs(std - 0.02) < 0.002, `mean ${mean} std ${std}`);
  assert.ok(Array.from(one["fc/b"]!).every((v) => Math.abs(v) <= 1 / Math.sqrt(30)));
  assert.deepEqual(
    Array.from(initParams([{ ...b, init: inits.zeros() }], 1)["fc/b"]!),
    new Array(20).fill(0),
  );
});

Deno.test("truncatedNormal: no draw beyond ±2σ, and the std is 0.8796·σ within 4 standard errors", () => {
  const n = 200_000;
  const x = initParam({ name: "w", shape: [n], dtype: "float64", init: inits.truncatedNormal(0.02) }, 7);
  let m2 = 0, m4 = 0;
  for (const v of x) {
    assert.ok(Math.abs(v) <= 0.04, `${v} beyond 2σ`);
    m2 += v * v;
    m4 += v ** 4;
  }
  m2 /= n;
  m4 /= n;
  // s.e. of the std from the second and fourth moments (delta method): √((m4 − m2²)/n)/(2√m2).
  const se = Math.sqrt((m4 - m2 * m2) / n) / (2 * Math.sqrt(m2));
  const want = 0.02 * 0.8796256610342398; // pipelines/bert_init/truncated_normal.ts, closed form
  assert.ok(Math.abs(Math.sqrt(m2) - want) < 4 * se, `${Math.sqrt(m2)} vs ${want} ± ${se}`);
});
