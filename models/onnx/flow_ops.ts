/**
 * The ops the flow layers add to the IR (each with its shape rule, ONNX emission and vector-Jacobian
 * rule side by side, as in the `ops_*.ts` files):
 *
 * - `permute(x, perm, axis)`: a fixed permutation of one axis (ONNX Gather with constant indices).
 *   Its VJP is the inverse permutation of the cotangent, which is again a `permute`, so it is
 *   differentiable to any order and costs a gather (the generic `gather` VJP scatter-adds).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { grad } from "./autodiff.ts";
 * import { permute } from "./flow_ops.ts";
 * import { constant, input } from "./graph.ts";
 * import { mul } from "./ops_elementwise.ts";
 * import { reduceSum } from "./ops_reduce.ts";
 * import { evaluate } from "./testing.ts";
 *
 * const x = input("x", "float32", [1, 3]);
 * const y = permute(x, [2, 0, 1], 1); // y[j] = x[perm[j]]
 * const [dx] = grad(reduceSum(mul(y, constant([1, 2, 3], "float32", [1, 3]))), [x]);
 * const out = await evaluate({ y, dx: dx! }, { x: Float32Array.of(10, 20, 30) });
 * assert.deepEqual([...out.y!], [30, 10, 20]);
 * assert.deepEqual([...out.dx!], [2, 3, 1]); // the weights sent back through the inverse permutation
 * ```
 *
 * @module
 */
import { apply, attr, normAxis, type OpDef, type Tensor } from "./graph.ts";

/** The inverse of a permutation: `inv[perm[j]] = j`. */
export function invertPermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, j) => (inv[p] = j));
  return inv;
}

const PermuteOp: OpDef = {
  name: "Permute",
  infer(inputs, attrs) {
    const x = inputs[0]!;
    const axis = attrs.axis as number;
    const perm = attrs.perm as readonly number[];
    const n = x.shape[axis]!;
    if (perm.length !== n) throw new Error(`perm has ${perm.length} entries for an axis of size ${n}`);
    const seen = new Uint8Array(n);
    for (const p of perm) {
      if (!Number.isInteger(p) || p < 0 || p >= n || seen[p]) {
        throw new Error(`perm is not a permutation of 0..${n - 1}`);
      }
      seen[p] = 1;
    }
    return { dtype: x.dtype, shape: x.shape };
  },
  emit(e, t, ins, out) {
    const perm = t.attrs.perm as readonly number[];
    const idx = e.constant(BigInt64Array.from(perm, BigInt), "int64", [perm.length]);
    e.node("Gather", [ins[0]!, idx], { axis: attr.i(t.attrs.axis as number) }, out);
  },
  vjp: (g, t) => [
    permute(g, invertPermutation(t.attrs.perm as readonly number[]), t.attrs.axis as number),
  ],
};

/** `y` with `y[…, j, …] = x[…, perm[j], …]` along `axis`; the identity permutation returns `x`. */
export function permute(x: Tensor, perm: readonly number[], axis: number): Tensor {
  const a = normAxis(axis, x.rank);
  if (perm.every((p, j) => p === j) && perm.length === x.shape[a]) return x;
  return apply(PermuteOp, [x], { perm: [...perm], axis: a });
}
