import assert from "node:assert/strict";
import { exportModel } from "../export.ts";
import { TrainRunner } from "../runner.ts";
import { createSession, runSession } from "../session.ts";
import { loadMnist, rows } from "../testing.ts";
import { mlp, mlpClassifierStep } from "./mlp.ts";

const B = 128;

Deno.test("MLP 784-256-256-10 trains on real MNIST digits: loss falls below 0.25, held-out accuracy > 0.88", async () => {
  const train = await loadMnist(8000);
  const test = await loadMnist(1000, 8000);
  const cfg = { inputDim: 784, hidden: [256, 256], classes: 10, batch: B };
  const runner = await TrainRunner.create(mlpClassifierStep(cfg), { seed: 3 });
  const losses: number[] = [];
  for (let s = 0; s < 300; s++) {
    const m = await runner.step({ x: rows(train.x, 784, s * B, B), y: rows(train.y, 1, s * B, B) });
    losses.push(m.loss!);
  }
  const start = losses[0]!;
  const end = losses.slice(-20).reduce((a, b) => a + b) / 20;
  assert.ok(start > 2 && start < 2.6, `initial loss ${start} should be ≈ ln 10`);
  assert.ok(end < 0.25, `mean loss of the last 20 steps ${end} (measured 0.13)`);

  // Held-out accuracy through an exported model with the trained weights baked in.
  const model = exportModel({
    name: "mlp_eval",
    inputs: { x: { dtype: "float32", shape: [1000, 784] } },
    values: runner.params(),
    build: (ps, { x }) => ({ logits: mlp(ps, x!, cfg) }),
  });
  const session = await createSession(model.bytes);
  const logits = (await runSession(session, { x: test.x })).logits!.data as Float32Array;
  let correct = 0;
  for (let i = 0; i < 1000; i++) {
    const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
    if (row.indexOf(Math.max(...row)) === test.y[i]) correct++;
  }
  assert.ok(correct / 1000 > 0.88, `held-out accuracy ${correct / 1000} (measured 0.905)`);
  await runner.release();
});
