import assert from "node:assert/strict";
import { inits } from "./init.ts";
import { mlpClassifierStep } from "./models/mlp.ts";
import { mul, square, sub } from "./ops_elementwise.ts";
import { reduceMean, reduceSum } from "./ops_reduce.ts";
import { sgd } from "./optimizers.ts";
import { TrainRunner } from "./runner.ts";
import { loadMnist, rows } from "./testing.ts";
import { buildTrainStep } from "./train_step.ts";

Deno.test("fused Scan steps equal the same steps taken in the host loop, bit for bit", async () => {
  const data = await loadMnist(4 * 32);
  const step = mlpClassifierStep({ inputDim: 784, hidden: [32], classes: 10, batch: 32 });
  const host = await TrainRunner.create(step, { seed: 1 });
  const fused = await TrainRunner.create(step, { seed: 1 });
  const hostLoss: number[] = [];
  for (let k = 0; k < 4; k++) {
    hostLoss.push(
      (await host.step({ x: rows(data.x, 784, 32 * k, 32), y: rows(data.y, 1, 32 * k, 32) })).loss!,
    );
  }
  const m = await fused.steps({ x: data.x, y: data.y }, 4);
  assert.equal(fused.stepCount, 4);
  assert.equal(host.stepCount, 4);
  // Same kernels on the same data: the results agree bit for bit on CPU.
  assert.deepEqual(Array.from(m.loss!), hostLoss.map((v) => Math.fround(v)));
  assert.deepEqual(fused.state(), host.state());
  await host.release();
  await fused.release();
});

Deno.test("several updates in one graph: the second loss sees the first update", async () => {
  // p starts at 1. Step A: minimize p² with SGD lr 0.25 → p = 0.5. Step B uses the updated p.
  const step = buildTrainStep({
    name: "two_updates",
    batch: {},
    build(ctx) {
      const lossA = reduceSum(square(ctx.params.param("p", [1], inits.ones())));
      ctx.minimize("a", lossA, sgd({ lr: 0.25 }), "p");
      const pAfter = ctx.params.param("p", [1], inits.ones());
      const lossB = reduceSum(mul(square(sub(ctx.params.param("q", [1], inits.zeros()), pAfter)), 1));
      ctx.minimize("b", lossB, sgd({ lr: 0.5 }), "q");
      return { lossA, pAfter: reduceMean(pAfter) };
    },
  });
  const r = await TrainRunner.create(step);
  const m = await r.step({});
  assert.equal(m.lossA, 1);
  assert.equal(m.pAfter, 0.5);
  const s = r.state();
  assert.equal(s.p![0], 0.5);
  // q ← q − 0.5·2(q − 0.5) = 0.5
  assert.equal(s.q![0], 0.5);
});

Deno.test("train-step errors name the culprit", async () => {
  const step = mlpClassifierStep({ inputDim: 4, hidden: [3], classes: 2, batch: 2 });
  const r = await TrainRunner.create(step);
  await assert.rejects(
    () => r.step({ x: new Float32Array(8) }),
    /the batch lacks 'y' \(expected int32\[2\]\)/,
  );
  await assert.rejects(
    () => r.step({ x: new Float32Array(7), y: new Int32Array(2) }),
    /batch 'x' must be float32\[2,4\] \(8 values\), got a Float32Array of 7/,
  );
  assert.throws(
    () => r.setState({ "mlp/fc1/W": new Float32Array(3) }),
    /setState 'mlp\/fc1\/W' must be float32\[4,3\]/,
  );
  assert.throws(
    () =>
      buildTrainStep({
        name: "bad",
        batch: {},
        build(ctx) {
          ctx.minimize("x", ctx.params.param("p", [2], inits.ones()), sgd({ lr: 1 }));
          return {};
        },
      }),
    /minimize\('x'\): the loss must be a scalar, got float32\[2\]/,
  );
  const noBatch = buildTrainStep({ name: "nobatch", batch: {}, build: () => ({}) });
  assert.throws(() => noBatch.fusedModel(4), /nobatch: fused steps need at least one batch input/);
  await r.release();
});
