import assert from "node:assert/strict";
import { grad } from "./autodiff.ts";
import { invertPermutation, permute } from "./flow_ops.ts";
import { input } from "./graph.ts";
import { mul, sin, square } from "./ops_elementwise.ts";
import { reduceSum } from "./ops_reduce.ts";
import { checkGradients, evaluate } from "./testing.ts";

Deno.test("permute: Gather along an axis; first- and second-order gradients match finite differences", async () => {
  const perm = [2, 0, 3, 1];
  const x = input("x", "float64", [2, 4, 3]);
  const out = await evaluate({ y: permute(x, perm, 1) }, {
    x: Float64Array.from({ length: 24 }, (_, i) => i),
  });
  assert.deepEqual([...out.y!].slice(0, 6), [6, 7, 8, 0, 1, 2]);
  assert.deepEqual(invertPermutation(perm), [1, 3, 0, 2]);
  assert.equal(permute(x, [0, 1, 2, 3], 1), x, "the identity permutation emits no node");
  await checkGradients(
    "permute",
    { x: { shape: [2, 4, 3] }, w: { shape: [2, 4, 3] } },
    ({ x, w }) => reduceSum(mul(sin(permute(x!, perm, 1)), w!)),
  );
  // Second order: the gradient of a permute is a permute, differentiated again here.
  await checkGradients("permute-2nd", { x: { shape: [3, 4] } }, ({ x }) => {
    const [g] = grad(reduceSum(sin(permute(x!, perm, -1))), [x!]);
    return reduceSum(square(permute(g!, perm, 1)));
  });
});
