import assert from "node:assert/strict";
import { Rng } from "../stages/data/random.ts";
import { matrixWithSingularValues } from "./matrix_with_singular_values.ts";
import { singularValues } from "./svd.ts";

Deno.test("matrixWithSingularValues has exactly the given spectrum, tall and wide; bad spectra refused", () => {
  const rng = new Rng(8);
  for (const [rows, cols] of [[7, 4], [4, 7], [5, 5]]) {
    const sigma = [0.1, 3, 0, 1.5].concat(rows === 5 ? [2] : []);
    const s = singularValues(matrixWithSingularValues(rows!, cols!, sigma, rng));
    const want = [...sigma].sort((a, b) => b - a);
    // Backward-stable SVD of a product of orthogonal factors: each σ to a few ε·σ₁.
    for (let i = 0; i < want.length; i++) {
      assert.ok(Math.abs(s[i]! - want[i]!) < 1e-14 * 3, `${rows}×${cols}`);
    }
  }
  assert.throws(() => matrixWithSingularValues(3, 2, [1], rng), /give 2/);
  assert.throws(() => matrixWithSingularValues(2, 2, [1, -1], rng), /≥ 0/);
});
