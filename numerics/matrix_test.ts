import assert from "node:assert/strict";
import { Rng } from "../stages/data/random.ts";
import { gemm } from "./_gemm.ts";
import {
  add,
  diagonal,
  diagonalMatrix,
  fromRows,
  identity,
  matmul,
  matrix,
  matvec,
  matvecTransposed,
  norm,
  scale,
  toRows,
  trace,
  transpose,
} from "./matrix.ts";
import { gaussianMatrix } from "./random_orthogonal.ts";

const EPS = 2 ** -52;

/** The textbook triple loop, and the elementwise bound k·ε·(|A|·|B|) on a k-term dot product's error. */
function referenceProduct(a: ReturnType<typeof matrix>, b: ReturnType<typeof matrix>) {
  const c = new Float64Array(a.rows * b.cols);
  const bound = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.cols; j++) {
      let s = 0;
      let abs = 0;
      for (let p = 0; p < a.cols; p++) {
        s += a.data[i * a.cols + p]! * b.data[p * b.cols + j]!;
        abs += Math.abs(a.data[i * a.cols + p]! * b.data[p * b.cols + j]!);
      }
      c[i * b.cols + j] = s;
      bound[i * b.cols + j] = 2 * a.cols * EPS * abs;
    }
  }
  return { c, bound };
}

Deno.test("the module example", () => {
  const a = fromRows([[1, 2], [3, 4]]);
  const b = matmul(a, transpose(a)); // [[5, 11], [11, 25]]
  assert.deepEqual(toRows(b), [[5, 11], [11, 25]]);
  assert.equal(trace(b), 30);
  assert.equal(norm(a, "fro"), Math.sqrt(30));
});

Deno.test("matmul() agrees with the triple loop within k·ε·|A||B|, across block edges and odd shapes", () => {
  const rng = new Rng(1);
  for (const [m, k, n] of [[1, 1, 1], [3, 1, 2], [5, 7, 9], [2, 130, 3], [131, 257, 129], [64, 300, 513]]) {
    const a = gaussianMatrix(m!, k!, rng);
    const b = gaussianMatrix(k!, n!, rng);
    const c = matmul(a, b);
    const ref = referenceProduct(a, b);
    for (let i = 0; i < c.data.length; i++) {
      assert.ok(Math.abs(c.data[i]! - ref.c[i]!) <= ref.bound[i]!, `${m}×${k}·${k}×${n}, entry ${i}`);
    }
  }
});

Deno.test("gemm() updates a strided block with alpha and leaves the rest alone", () => {
  const rng = new Rng(2);
  const big = gaussianMatrix(20, 30, rng);
  const before = big.data.slice();
  const a = gaussianMatrix(5, 7, rng);
  const b = gaussianMatrix(7, 6, rng);
  // C = big[3:8, 10:16] += −2·A·B
  gemm(5, 6, 7, -2, a.data, 0, 7, b.data, 0, 6, big.data, 3 * 30 + 10, 30);
  const ab = matmul(a, b);
  for (let i = 0; i < 20; i++) {
    for (let j = 0; j < 30; j++) {
      const inside = i >= 3 && i < 8 && j >= 10 && j < 16;
      const expected = before[i * 30 + j]! + (inside ? -2 * ab.data[(i - 3) * 6 + j - 10]! : 0);
      assert.ok(Math.abs(big.data[i * 30 + j]! - expected) < 1e-13, `(${i}, ${j})`);
    }
  }
});

Deno.test("matvec() and matvecTransposed() equal the products with a one-column matrix", () => {
  const rng = new Rng(3);
  const a = gaussianMatrix(37, 23, rng);
  const x = gaussianMatrix(23, 1, rng);
  const y = gaussianMatrix(37, 1, rng);
  const ax = matvec(a, x.data);
  const aty = matvecTransposed(a, y.data);
  const axRef = matmul(a, x).data;
  const atyRef = matmul(transpose(a), y).data;
  for (let i = 0; i < 37; i++) assert.ok(Math.abs(ax[i]! - axRef[i]!) < 1e-13);
  for (let i = 0; i < 23; i++) assert.ok(Math.abs(aty[i]! - atyRef[i]!) < 1e-13);
});

Deno.test("transpose, identity, diagonal, trace, add and scale follow their definitions", () => {
  const a = fromRows([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(toRows(transpose(a)), [[1, 4], [2, 5], [3, 6]]);
  assert.deepEqual(toRows(transpose(transpose(gaussianMatrix(70, 45, new Rng(4))))).length, 70);
  assert.deepEqual(toRows(identity(2)), [[1, 0], [0, 1]]);
  assert.deepEqual([...diagonal(a)], [1, 5]);
  assert.deepEqual(toRows(diagonalMatrix([2, 3])), [[2, 0], [0, 3]]);
  assert.equal(trace(fromRows([[1, 9], [9, 2]])), 3);
  assert.deepEqual(toRows(add(a, a, 1, -1)), [[0, 0, 0], [0, 0, 0]]);
  assert.deepEqual(toRows(scale(a, 2)), [[2, 4, 6], [8, 10, 12]]);
  const g = gaussianMatrix(33, 65, new Rng(5));
  const gt = transpose(g);
  for (let i = 0; i < 33; i++) {
    for (let j = 0; j < 65; j++) assert.equal(gt.data[j * 33 + i], g.data[i * 65 + j]);
  }
});

Deno.test("norm() gives the 1, ∞, max and Frobenius norms, without overflow", () => {
  const a = fromRows([[1, -2], [-3, 4]]);
  assert.equal(norm(a, 1), 6);
  assert.equal(norm(a, "inf"), 7);
  assert.equal(norm(a, "max"), 4);
  assert.ok(Math.abs(norm(a) - Math.sqrt(30)) < 1e-15);
  assert.ok(Math.abs(norm(fromRows([[3e200, 4e200]])) / 5e200 - 1) < 4 * EPS);
  assert.equal(norm(matrix(2, 2)), 0);
});

Deno.test("shape errors name both shapes", () => {
  assert.throws(() => matmul(matrix(2, 3), matrix(2, 3)), /Cannot multiply a 2×3 matrix by a 2×3 one/);
  assert.throws(() => add(matrix(2, 3), matrix(3, 2)), /Cannot add a 2×3 and a 3×2 matrix/);
  assert.throws(() => matrix(2, 2, [1, 2, 3]), /from 3 values: expected 4/);
  assert.throws(() => fromRows([[1, 2], [3]]), /row 1 has 1 values, row 0 has 2/);
  assert.throws(() => trace(matrix(2, 3)), /Cannot take the trace of a 2×3 matrix: it must be square/);
  assert.throws(() => matvec(matrix(2, 3), [1, 2]), /by a vector of 2/);
});
