import assert from "node:assert/strict";
import { bakeWeights } from "./export.ts";
import { generatorModel, wganDivStep } from "./models/wgan_div.ts";
import { mlpClassifierStep } from "./models/mlp.ts";
import { TrainRunner } from "./runner.ts";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
import { SavedTrainStep, saveTrainStep } from "./saved_step.ts";
import { createSession, runSession } from "./session.ts";
import { randn } from "./testing.ts";

Deno.test("safetensors round-trips every dtype and is deterministic", () => {
  const tensors = {
    b: { data: new Float64Array([1.5, -2]), shape: [2] },
    a: { data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] },
    step: { data: new Float32Array([7]), shape: [] },
    ids: { data: new Int32Array([-1, 9]), shape: [2] },
  };
  const bytes = encodeSafetensors(tensors, { note: "x" });
  assert.deepEqual(encodeSafetensors({ ...tensors }, { note: "x" }), bytes);
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + headerLength) % 8, 0, "the header is padded to 8 bytes");
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, { note: "x" });
  for (const [name, t] of Object.entries(tensors)) {
    assert.deepEqual(back.tensors[name]!.data, t.data);
    assert.deepEqual(back.tensors[name]!.shape, t.shape);
  }
  assert.throws(
    () => decodeSafetensors(bytes.subarray(0, 40), "ckpt.safetensors"),
    /Cannot read ckpt\.safetensors: .*truncated/,
  );
});

Deno.test("a saved train step trains exactly like the one it was saved from", async () => {
  const step = mlpClassifierStep({ inputDim: 20, hidden: [16], classes: 4, batch: 8 });
  const dir = await Deno.makeTempDir();
  await saveTrainStep(step, dir, { seed: 3, fused: [4] });
  const loaded = await SavedTrainStep.load(dir);
  assert.deepEqual(loaded.metrics, step.metrics);
  const a = await TrainRunner.create(step, { seed: 3 });
  const b = await TrainRunner.create(loaded, { seed: 3 });
  const x = randn(8 * 20, 1) as Float32Array;
  const y = new Int32Array([0, 1, 2, 3, 0, 1, 2, 3]);
  for (let i = 0; i < 3; i++) assert.deepEqual(await b.step({ x, y }), await a.step({ x, y }));
  const stacked = {
    x: new Float32Array([...x, ...x, ...x, ...x]),
    y: new Int32Array([...y, ...y, ...y, ...y]),
  };
  assert.deepEqual(await b.steps(stacked, 4), await a.steps(stacked, 4));
  assert.deepEqual(b.state(), a.state());
  // A K that the graph stage did not build is derived from the host model, as TrainStep derives it.
  const bytes = (b: Uint8Array) => new Uint8Array(b);
  assert.deepEqual(bytes(loaded.fusedModel(8)), bytes(step.fusedModel(8)));
  assert.deepEqual(bytes(loaded.fusedModel(4)), bytes(step.fusedModel(4)));
  assert.throws(() => loaded.initialState(4), /drawn with seed 3, not 4/);
  await a.release();
  await b.release();
});

Deno.test("bakeWeights() turns a weights-as-inputs export into the same standalone model", async () => {
  const cfg = { zDim: 8, gChannels: [8, 4] as const, dChannels: [4, 8] as const };
  const runner = await TrainRunner.create(wganDivStep(4, cfg), { seed: 1 });
  const weights = runner.params("generator/");
  const baked = bakeWeights(generatorModel(cfg, 4), weights);
  const reference = generatorModel(cfg, 4, weights);
  const z = randn(4 * 8, 2) as Float32Array;
  const run = async (bytes: Uint8Array) => (await runSession(await createSession(bytes), { z })).image!.data;
  assert.deepEqual(await run(baked), await run(reference));
  assert.throws(
    () => bakeWeights(generatorModel(cfg, 4), { "generator/nope": new Float32Array(1) }),
    /has no input generator\/nope/,
  );
  await runner.release();
});
