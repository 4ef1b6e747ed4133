import assert from "node:assert/strict";
import { mlpClassifierStep } from "./models/mlp.ts";
import { layerPath, type ProfileEvent, readProfile, stepPart, summarizeProfile } from "./profile.ts";
import { TrainRunner } from "./runner.ts";

const node = (name: string, op: string, ts: number, dur: number): ProfileEvent => ({
  cat: "Node",
  name: `${name}_kernel_time`,
  ts,
  dur,
  args: { op_name: op },
});
const run = (ts: number, dur: number): ProfileEvent => ({ cat: "Session", name: "model_run", ts, dur });

Deno.test("node names map to parts of the step and to layer paths", () => {
  assert.equal(stepPart("critic/conv1/Conv"), "forward");
  assert.equal(stepPart("grad/critic/conv1/ConvTranspose_2"), "grad");
  assert.equal(stepPart("grad/grad/critic/conv2/Conv"), "grad/grad");
  assert.equal(stepPart("opt/critic/critic/fc/W/Mul_1"), "optimizer");
  assert.equal(stepPart("next/opt/critic/mu/critic/fc/W"), "optimizer");
  assert.equal(layerPath("grad/critic/conv1/ConvTranspose_2"), "grad/critic/conv1");
  assert.equal(layerPath("opt/critic/critic/fc/W/Mul_1"), "opt/critic");
  assert.equal(layerPath("next/opt/generator/nu/generator/fc/W"), "opt/generator");
  assert.equal(layerPath("next/mlp/fc1/W"), "opt (param + update)");
  assert.equal(layerPath("next/step"), "step");
  assert.equal(layerPath("Concat"), "(top level)");
});

Deno.test("summarizeProfile averages the runs after the warm-up and leaves control flow out", () => {
  const events = [
    run(0, 100),
    node("mlp/fc1/Gemm", "Gemm", 10, 1000), // warm-up run: skipped
    run(200, 50),
    node("mlp/fc1/Gemm", "Gemm", 210, 30),
    node("grad/mlp/fc1/Gemm", "Gemm", 240, 10),
    node("scan", "Scan", 200, 45), // its body's nodes are listed on their own
    run(300, 70),
    node("mlp/fc1/Gemm", "Gemm", 310, 50),
    node("opt/mlp/mlp/fc1/W/Mul", "Mul", 360, 10),
  ];
  const s = summarizeProfile(events, { skipRuns: 1 });
  assert.equal(s.runs, 2);
  assert.equal(s.runMs, 0.06);
  assert.equal(s.kernelMs, 0.05);
  assert.deepEqual(s.byOp.map((r) => [r.key, r.ms, r.calls]), [["Gemm", 0.045, 1.5], ["Mul", 0.005, 0.5]]);
  assert.deepEqual(s.byPart.map((r) => r.key), ["forward", "grad", "optimizer"]);
  assert.equal(s.byPart[0]!.share, 0.8);
  assert.deepEqual(s.byPath.map((r) => r.key), ["mlp/fc1", "grad/mlp/fc1", "opt/mlp"]);
  assert.throws(() => summarizeProfile(events, { skipRuns: 3 }), /no runs after skipping 3/);
});

Deno.test("a profiled train step writes a profile whose kernels add up to its runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const step = mlpClassifierStep({ inputDim: 20, hidden: [16], classes: 5, batch: 8 });
    const runner = await TrainRunner.create(step, { seed: 0, profileFilePrefix: `${dir}/p` });
    const batch = {
      x: new Float32Array(8 * 20).map((_, i) => Math.sin(i)),
      y: new Int32Array(8).map((_, i) => i % 5),
    };
    for (let i = 0; i < 4; i++) await runner.step(batch);
    runner.endProfiling();
    await runner.release();
    const files = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.equal(files.length, 1);
    const s = summarizeProfile(await readProfile(`${dir}/${files[0]}`), { skipRuns: 1 });
    assert.equal(s.runs, 3);
    assert.ok(s.kernelMs > 0 && s.kernelMs <= s.runMs, `kernels ${s.kernelMs} ms within runs ${s.runMs} ms`);
    assert.deepEqual(new Set(s.byPart.map((r) => r.key)), new Set(["forward", "grad", "optimizer"]));
    assert.ok(s.byOp.some((r) => r.key === "Gemm"));
    assert.ok(Math.abs(s.byPath.reduce((a, r) => a + r.share, 0) - 1) < 1e-9);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
