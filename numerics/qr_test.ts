import assert from "node:assert/strict";
import { Rng } from "../stages/data/random.ts";
import { loadFixture } from "./fixtures/load_fixture.ts";
import { add, fromRows, identity, matmul, norm, toRows, transpose } from "./matrix.ts";
import { qr } from "./qr.ts";
import { gaussianMatrix } from "./random_orthogonal.ts";

const EPS = 2 ** -52;

interface QrCase {
  name: string;
  a: number[][];
  q: number[][];
  r: number[][];
  qFull: number[][];
  rFull: number[][];
  cond: number;
}

Deno.test("the module example", () => {
  const { r } = qr(fromRows([[3, 1], [4, 2]])); // r = [[-5, -2.2], [0, 0.4]]
  const expected = [[-5, -2.2], [0, 0.4]];
  toRows(r).forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - expected[i]![j]!) < 8 * EPS)));
});

Deno.test("qr() reconstructs A and QᵀQ = I at the float64 floor, in every mode and shape", () => {
  const rng = new Rng(30);
  for (const [m, n] of [[1, 1], [5, 3], [3, 5], [70, 33], [33, 70], [100, 100], [97, 64]]) {
    const a = gaussianMatrix(m!, n!, rng);
    const k = Math.min(m!, n!);
    for (const mode of ["reduced", "complete"] as const) {
      const { q, r } = qr(a, { mode });
      assert.deepEqual([q.rows, q.cols, r.rows, r.cols], mode === "complete" ? [m, m, m, n] : [m, k, k, n]);
      // Householder QR is backward stable: ‖QR − A‖ ≲ m·n·ε·‖A‖ (Higham, Thm 19.4), usually far less.
      assert.ok(norm(add(matmul(q, r), a, 1, -1)) <= m! * EPS * norm(a), `${m}×${n} ${mode}: QR = A`);
      assert.ok(norm(add(matmul(transpose(q), q), identity(q.cols), 1, -1)) <= m! * EPS * Math.sqrt(q.cols));
      for (let i = 0; i < r.rows; i++) {
        for (let j = 0; j < Math.min(i, n!); j++) assert.equal(r.data[i * n! + j], 0);
      }
    }
    const rOnly = qr(a, { mode: "r" }).r;
    assert.deepEqual(rOnly.data, qr(a).r.data, "mode r gives the same R");
  }
});

Deno.test("qr() of an upper triangular matrix reflects nothing: Q = I and R = A exactly", () => {
  const a = fromRows([[2, -1, 3], [0, -4, 5], [0, 0, 6]]);
  const { q, r } = qr(a);
  assert.deepEqual(q.data, identity(3).data);
  assert.deepEqual(r.data, a.data);
});

Deno.test("qr() matches SciPy (qr.json) in both modes, signs included, within κ(A)·n·ε", () => {
  for (const c of loadFixture<QrCase>("qr")) {
    const a = fromRows(c.a);
    const m = a.rows;
    // Q and R are unique once R's diagonal signs are fixed (LAPACK's convention, also ours); their
    // perturbation under a backward error of size m·ε·‖A‖ is bounded by κ(A) times it.
    const tol = 2 * m * EPS * c.cond;
    for (const [mode, qRef, rRef] of [["reduced", c.q, c.r], ["complete", c.qFull, c.rFull]] as const) {
      const { q, r } = qr(a, { mode });
      const dq = norm(add(q, fromRows(qRef), 1, -1));
      const dr = norm(add(r, fromRows(rRef), 1, -1)) / norm(a);
      // A complete Q's extra columns span the orthogonal complement, unique only up to an orthogonal
      // mix of themselves: compare them through their projector.
      if (mode === "complete" && q.cols > a.cols) {
        assert.ok(norm(add(matmul(q, transpose(q)), identity(m), 1, -1)) <= tol, `${c.name} ${mode}: QQᵀ`);
        const k = a.cols;
        const head = (x: typeof q) => fromRows(toRows(x).map((row) => row.slice(0, k)));
        assert.ok(norm(add(head(q), head(fromRows(qRef)), 1, -1)) <= tol, `${c.name} ${mode}: Q[:, :n]`);
      } else {
        assert.ok(dq <= tol, `${c.name} ${mode}: Q off by ${dq}, tolerance ${tol}`);
      }
      assert.ok(dr <= tol, `${c.name} ${mode}: R off by ${dr}`);
    }
  }
});

Deno.test("qr() rejects non-finite input by name", () => {
  assert.throws(
    () => qr(fromRows([[1, Infinity]])),
    /Cannot QR-factor the matrix: entry \(0, 1\) is Infinity/,
  );
});
