import assert from "node:assert/strict";
import { GraphError, input, type Tensor } from "./graph.ts";
import { mul } from "./ops_elementwise.ts";
import { reduceSum } from "./ops_reduce.ts";
import {
  concat,
  expand,
  flatten,
  flip,
  pad,
  reshape,
  slice,
  squeeze,
  transpose,
  unsqueeze,
} from "./ops_shape.ts";
import { checkGradients, evaluate } from "./testing.ts";

const cases: [string, (x: Tensor) => Tensor, number[]][] = [
  ["reshape", (x) => reshape(x, [4, -1]), [4, 6]],
  ["flatten", (x) => flatten(x), [2, 12]],
  ["unsqueeze/squeeze", (x) => squeeze(unsqueeze(x, [0, 3]), 0), [2, 3, 1, 4]],
  ["transpose", (x) => transpose(x, [2, 0, 1]), [4, 2, 3]],
  ["expand", (x) => expand(reshape(x, [2, 1, 3, 4]), [2, 5, 3, 4]), [2, 5, 3, 4]],
  ["concat", (x) => concat([x, mul(x, x), slice(x, [1], [3], [1])], 1), [2, 8, 4]],
  ["slice step 1", (x) => slice(x, [1, -3], [3, -1], [1, 2]), [2, 2, 2]],
  ["slice step 2", (x) => slice(x, [0, 1], [3, 4], [1, 2], [2, 2]), [2, 2, 2]],
  ["slice step 3 odd", (x) => slice(x, [1], [100], [2], [3]), [2, 3, 1]],
  ["slice step -1", (x) => flip(x, [1, 2]), [2, 3, 4]],
  ["slice step -2", (x) => slice(x, [-1], [0], [2], [-2]), [2, 3, 2]],
  ["pad", (x) => pad(x, [0, 1, 2, 1, 0, 3]), [3, 4, 9]],
];

for (const [name, f, outShape] of cases) {
  Deno.test(`${name}: gradient matches finite differences`, async () => {
    await checkGradients(
      name,
      { x: { shape: [2, 3, 4] }, w: { shape: outShape } },
      ({ x, w }) => reduceSum(mul(f(x!), w!)),
    );
  });
}

Deno.test("slice and flip follow numpy semantics", async () => {
  const x = input("x", "float32", [6]);
  const data = new Float32Array([0, 1, 2, 3, 4, 5]);
  const r = await evaluate({
    a: slice(x, [1], [5], [0], [2]),
    b: flip(x, [0]),
    c: slice(x, [4], [0], [0], [-2]),
    d: slice(x, [-2], [100]),
    e: pad(slice(x, [0], [2]), [1, 2], 9),
  }, { x: data });
  assert.deepEqual(Array.from(r.a as Float32Array), [1, 3]);
  assert.deepEqual(Array.from(r.b as Float32Array), [5, 4, 3, 2, 1, 0]);
  assert.deepEqual(Array.from(r.c as Float32Array), [4, 2]);
  assert.deepEqual(Array.from(r.d as Float32Array), [4, 5]);
  assert.deepEqual(Array.from(r.e as Float32Array), [9, 0, 1, 9, 9]);
});

Deno.test("shape errors name the op, the layer path and the shapes", () => {
  const x = input("x", "float32", [2, 3]);
  assert.throws(() => reshape(x, [4, 2]), /cannot reshape float32\[2,3\] to \[4,2\]/);
  assert.throws(() => transpose(x, [0, 0]), (err: unknown) => {
    assert.ok(err instanceof GraphError);
    assert.match(err.message, /^Transpose at top level: perm \[0,0\] is not a permutation/);
    assert.match(err.message, /inputs: float32\[2,3\]/);
    return true;
  });
});
