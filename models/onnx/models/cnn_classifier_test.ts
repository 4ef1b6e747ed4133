import assert from "node:assert/strict";
import { TrainRunner } from "../runner.ts";
import { createSession, runSession } from "../session.ts";
import { loadMnist, rows } from "../testing.ts";
import { cnnClassifierStep, cnnFeaturesModel } from "./cnn_classifier.ts";

Deno.test("CNN classifier trains on MNIST; the baked features model gives logits and 128-d features", async () => {
  const B = 32;
  const train = await loadMnist(3200);
  const test = await loadMnist(500, 3200);
  const cfg = { channels: [8, 16] as const, features: 128, batch: B, lr: 2e-3 };
  const runner = await TrainRunner.create(cnnClassifierStep(cfg), { seed: 4 });
  const losses: number[] = [];
  for (let s = 0; s < 150; s++) {
    const m = await runner.step({ x: rows(train.x, 784, s * B, B), y: rows(train.y, 1, s * B, B) });
    losses.push(m.loss!);
  }
  const end = losses.slice(-20).reduce((a, b) => a + b) / 20;
  assert.ok(losses[0]! > 2 && end < 0.6, `loss ${losses[0]} → ${end}`);

  const values = runner.params("cnn/");
  assert.deepEqual(Object.keys(values), [
    "cnn/conv1/W",
    "cnn/conv1/b",
    "cnn/conv2/W",
    "cnn/conv2/b",
    "cnn/fc1/W",
    "cnn/fc1/b",
    "cnn/fc2/W",
    "cnn/fc2/b",
  ]);
  const session = await createSession(cnnFeaturesModel(cfg, values, 500));
  assert.deepEqual(session.outputNames, ["logits", "features"]);
  const out = await runSession(session, { x: test.x });
  assert.deepEqual(out.features!.dims, [500, 128]);
  assert.deepEqual(out.logits!.dims, [500, 10]);
  const logits = out.logits!.data as Float32Array;
  const features = out.features!.data as Float32Array;
  assert.ok(features.every((v) => v >= 0), "features are post-ReLU");
  let correct = 0;
  for (let i = 0; i < 500; i++) {
    const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
    if (row.indexOf(Math.max(...row)) === test.y[i]) correct++;
  }
  assert.ok(correct / 500 > 0.8, `held-out accuracy ${correct / 500}`);
  await runner.release();
});
