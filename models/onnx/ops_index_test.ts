import assert from "node:assert/strict";
import { constant, input } from "./graph.ts";
import { mul } from "./ops_elementwise.ts";
import { gather, gatherND, oneHot, scatterNDAdd } from "./ops_index.ts";
import { reduceSum } from "./ops_reduce.ts";
import { checkGradients, evaluate } from "./testing.ts";

const idx = constant([2, 0, 2, 1], "int64", [2, 2]);

Deno.test("gather axis 0 (embedding, repeated indices): gradient matches finite differences", async () => {
  await checkGradients(
    "gather0",
    { x: { shape: [3, 4] }, w: { shape: [2, 2, 4] } },
    ({ x, w }) => reduceSum(mul(gather(x!, idx, 0), w!)),
  );
});

Deno.test("gather axis 1: gradient matches finite differences", async () => {
  await checkGradients(
    "gather1",
    { x: { shape: [2, 3, 4] }, w: { shape: [2, 2, 2, 4] } },
    ({ x, w }) => reduceSum(mul(gather(x!, idx, 1), w!)),
  );
});

Deno.test("gatherND and scatterNDAdd: gradients match finite differences", async () => {
  const nd = constant([0, 1, 2, 0, 0, 1], "int64", [3, 2]);
  await checkGradients(
    "gatherND",
    { x: { shape: [3, 2, 4] }, w: { shape: [3, 4] } },
    ({ x, w }) => reduceSum(mul(gatherND(x!, nd), w!)),
  );
  await checkGradients(
    "scatterNDAdd",
    { x: { shape: [3, 2, 4] }, u: { shape: [3, 4] }, w: { shape: [3, 2, 4] } },
    ({ x, u, w }) => reduceSum(mul(scatterNDAdd(x!, nd, mul(u!, u!)), w!)),
  );
});

Deno.test("oneHot and gather values", async () => {
  const labels = input("labels", "int64", [3]);
  const rows = input("rows", "int64", [3]);
  const table = input("table", "float32", [3, 2]);
  const r = await evaluate({ oh: oneHot(labels, 4), g: gather(table, rows) }, {
    labels: new BigInt64Array([3n, 0n, 1n]),
    rows: new BigInt64Array([2n, 0n, 2n]),
    table: new Float32Array([1, 2, 3, 4, 5, 6]),
  });
  assert.deepEqual(Array.from(r.oh as Float32Array), [0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0]);
  assert.deepEqual(Array.from(r.g as Float32Array), [5, 6, 1, 2, 5, 6]);
});
