import assert from "node:assert/strict";
import { constant, input } from "../graph.ts";
import { mul } from "../ops_elementwise.ts";
import { reduceSum } from "../ops_reduce.ts";
import { createSession, runSession } from "../session.ts";
import { TrainRunner } from "../runner.ts";
import { checkGradients, evaluate, randn } from "../testing.ts";
import { glannBatch, glannSampler, glannStep, laplacianL1, unitRows } from "./glann.ts";
import type { GlannConfig } from "./glann.ts";
import { GLANN_METHODS } from "./glann_config.ts";

/** The pyramid on the host: 5×5 binomial blur with zero padding, bands G − blur(G), subsampling by 2. */
function hostLaplacianL1(d: Float64Array, n: number, h: number, w: number, levels: number): number[] {
  const k = [1, 4, 6, 4, 1].map((v) => v / 16);
  const blur = (img: Float64Array, hh: number, ww: number, stride: number) => {
    const oh = Math.floor((hh + 4 - 5) / stride) + 1;
    const ow = Math.floor((ww + 4 - 5) / stride) + 1;
    const out = new Float64Array(oh * ow);
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let s = 0;
        for (let a = 0; a < 5; a++) {
          for (let b = 0; b < 5; b++) {
            const yy = y * stride + a - 2, xx = x * stride + b - 2;
            if (yy >= 0 && yy < hh && xx >= 0 && xx < ww) s += k[a]! * k[b]! * img[yy * ww + xx]!;
          }
        }
        out[y * ow + x] = s;
      }
    }
    return { out, oh, ow };
  };
  const meanAbs = (v: Float64Array) => v.reduce((s, x) => s + Math.abs(x), 0) / v.length;
  return Array.from({ length: n }, (_, i) => {
    let g = d.slice(i * h * w, (i + 1) * h * w);
    let hh = h, ww = w, total = 0;
    for (let j = 0; j < levels; j++) {
      const low = blur(g, hh, ww, 1).out;
      total += 2 ** (-2 * j) * meanAbs(g.map((v, p) => v - low[p]!));
      const down = blur(g, hh, ww, 2);
      g = down.out;
      hh = down.oh;
      ww = down.ow;
    }
    return total + 2 ** (-2 * levels) * meanAbs(g);
  });
}

Deno.test("GLO's Laplacian-pyramid L1 equals the host's pyramid (28×28, three bands and the low-pass)", async () => {
  const n = 2, h = 28, w = 28;
  const a = randn(n * h * w, 4, "float64") as Float64Array;
  const b = randn(n * h * w, 5, "float64") as Float64Array;
  const out = await evaluate({
    l: laplacianL1(input("a", "float64", [n, 1, h, w]), input("b", "float64", [n, 1, h, w]), 3),
  }, { a, b });
  const want = hostLaplacianL1(a.map((v, i) => v - b[i]!), n, h, w, 3);
  for (let i = 0; i < n; i++) {
    assert.ok(Math.abs(Number(out.l![i]) - want[i]!) < 1e-12, `${out.l} vs ${want}`);
  }
});

Deno.test("GLO: gradients of the pyramid loss and of the unit-norm codes gathered by index match float64 finite differences", async () => {
  await checkGradients(
    "laplacian l1",
    { a: { shape: [2, 1, 8, 8] }, b: { shape: [2, 1, 8, 8] } },
    (xs) => reduceSum(laplacianL1(xs.a!, xs.b!, 2)),
    { maxEntries: 40 },
  );
  // Record 1 twice: the gradient of a repeated row accumulates; row 0 and 2 get none.
  const idx = constant([1, 3, 1], "int32", [3]);
  const r = await checkGradients(
    "unit rows",
    { table: { shape: [4, 3] }, t: { shape: [3, 3] } },
    (xs) => reduceSum(mul(unitRows(xs.table!, idx), xs.t!)),
  );
  assert.equal(r.checked, 12 + 9);
});

/** A tiny config of every method: 2×4×4 images, latent 3. */
const tiny = (method: GlannConfig["method"]): GlannConfig => ({
  method,
  image: [2, 4, 4],
  hidden: [16],
  latent: 3,
  batch: 4,
  lr: 1e-2,
  margin: 0.5,
  records: 6,
  gloSteps: 2,
  mapperHidden: [4],
  codesLr: 1e-2,
  pyramidLevels: 1,
});

function feeds(c: GlannConfig, s: number): Record<string, Float32Array | Int32Array> {
  return Object.fromEntries(
    Object.entries(glannBatch(c)).map(([name, b]) => {
      const n = b.shape.reduce((a, v) => a * v, 1);
      if (b.dtype === "int32") {
        return [
          name,
          Int32Array.from({ length: n }, (_, i) => (i + 2 * s) % c.records),
        ];
      }
      const v = randn(n, 10 * s + name.length) as Float32Array;
      return [name, name === "x" ? v.map(Math.tanh) : v];
    }),
  );
}

const changed = (
  a: Record<string, ArrayLike<number>>,
  b: Record<string, ArrayLike<number>>,
  prefix: string,
) => Object.keys(a).filter((n) => n.startsWith(prefix) && Array.from(a[n]!).some((v, i) => v !== b[n]![i]));

Deno.test("glann steps: every method trains its decoder, and its sampler takes exactly the snapshot's weights", async () => {
  for (const method of GLANN_METHODS) {
    const c = tiny(method);
    const runner = await TrainRunner.create(glannStep(c), { seed: 1 });
    const before = runner.state();
    const m = await runner.step(feeds(c, 0));
    assert.ok(Object.values(m).every(Number.isFinite), `${method}: ${JSON.stringify(m)}`);
    assert.ok(Object.keys(m).some((k) => k.startsWith("loss_")), method);
    assert.ok(changed(runner.state(), before, "vae/decoder/").length > 0, `${method} trains G`);
    const weights = runner.params("vae/");
    const session = await createSession(glannSampler(c, 4, weights));
    assert.deepEqual(session.inputNames, ["z"], method);
    const image = (await runSession(session, { z: randn(12, 7) as Float32Array })).image!;
    assert.deepEqual(image.dims, [4, 2, 4, 4]);
    assert.ok(Array.from(image.data as Float32Array).every((v) => v > -1 && v < 1));
    await session.release();
    await runner.release();
  }
});

Deno.test("glann step: GLO moves G and the fed codes only, then T alone learns the frozen codes", async () => {
  const c = tiny("glann");
  const runner = await TrainRunner.create(glannStep(c), { seed: 1 });
  const s0 = runner.state();
  await runner.step(feeds(c, 0)); // idx 0..3
  const s1 = runner.state();
  assert.ok(changed(s1, s0, "vae/decoder/").length > 0);
  assert.deepEqual(changed(s1, s0, "vae/mapper/"), [], "T waits for the GLO phase to end");
  const codes = (s: Record<string, ArrayLike<number>>) => Array.from(s["glo/codes"]!);
  const rowMoved = (a: number[], b: number[], r: number) =>
    [0, 1, 2].some((j) => a[3 * r + j] !== b[3 * r + j]);
  const moved = [0, 1, 2, 3, 4, 5].filter((r) => rowMoved(codes(s1), codes(s0), r));
  assert.deepEqual(moved, [0, 1, 2, 3], "only the batch's records' codes move");
  await runner.step(feeds(c, 1)); // step 1: still GLO
  const s2 = runner.state();
  await runner.step(feeds(c, 2)); // step 2 = gloSteps: T's phase
  await runner.step(feeds(c, 3));
  const s4 = runner.state();
  assert.deepEqual(changed(s4, s2, "vae/decoder/"), [], "G is frozen after GLO");
  assert.deepEqual(changed(s4, s2, "glo/"), [], "the codes are frozen after GLO");
  assert.ok(changed(s4, s2, "vae/mapper/").length > 0, "T trains");
  await runner.release();
});
