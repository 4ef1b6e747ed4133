import assert from "node:assert/strict";
import { Rng } from "../stages/data/random.ts";
import { expm } from "./expm.ts";
import { loadFixture } from "./fixtures/load_fixture.ts";
import { gaussLegendre, logm, padeDegree } from "./logm.ts";
import { slogdet } from "./lu.ts";
import {
  add,
  diagonalMatrix,
  fromRows,
  identity,
  matmul,
  matrix,
  norm,
  scale,
  trace,
  transpose,
} from "./matrix.ts";
import { gaussianMatrix } from "./random_orthogonal.ts";
import { symmetricEigen } from "./sym_eigen.ts";

const EPS = 2 ** -52;

interface LogCase {
  name: string;
  a: number[][];
  logm: number[][];
  cond: number;
}

const relativeError = (x: ReturnType<typeof matrix>, ref: ReturnType<typeof matrix>) =>
  norm(add(x, ref, 1, -1)) / norm(ref);

/** Relative condition number times a backward error of n·ε, doubled for the reference's rounding. */
const bound = (n: number, cond: number) => 2 * n * EPS * (1 + cond);

Deno.test("the module example", () => {
  const l = logm(fromRows([[Math.E, 0], [0, 1]])); // [[1, 0], [0, 0]] to rounding
  // For an SPD A, κ_log = κ₂(A)/‖log A‖ (divided differences of log are at most 1/λ_min).
  assert.ok(norm(add(l, fromRows([[1, 0], [0, 0]]), 1, -1)) <= bound(2, Math.E));
});

Deno.test("gaussLegendre(m) integrates polynomials of degree < 2m exactly; padeDegree() grows with ‖X‖", () => {
  for (const m of [1, 2, 3, 8, 16]) {
    const { nodes, weights } = gaussLegendre(m);
    for (let k = 0; k < 2 * m; k++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += weights[j]! * nodes[j]! ** k;
      assert.ok(Math.abs(s - 1 / (k + 1)) <= 8 * EPS, `m = ${m}, degree ${k}`);
    }
  }
  assert.equal(padeDegree(0.25), 8);
  assert.equal(padeDegree(0.5), 14);
  assert.ok(padeDegree(1e-3) < padeDegree(0.1) && padeDegree(0.1) < padeDegree(0.25));
  // The chosen degree is accurate for the scalar log(1 − x) up to the edge of its range.
  for (const x of [1e-3, 0.1, 0.25, 0.5]) {
    const { nodes, weights } = gaussLegendre(padeDegree(x));
    let r = 0;
    for (let j = 0; j < nodes.length; j++) r += weights[j]! * -x / (1 - nodes[j]! * x);
    assert.ok(Math.abs(r - Math.log1p(-x)) <= 4 * EPS * Math.abs(Math.log1p(-x)), `x = ${x}`);
  }
});

Deno.test("logm() of SPD matrices equals V·log Λ·Vᵀ within 2n·ε·(‖log A‖ + κ₂(A))", () => {
  const rng = new Rng(70);
  for (const n of [1, 5, 30]) {
    const g = gaussianMatrix(n, n, rng);
    const a = add(matmul(g, transpose(g)), identity(n), 1, 0.1);
    const { values, vectors } = symmetricEigen(a);
    const v = matrix(n, n, vectors!);
    const closed = matmul(matmul(v, diagonalMatrix(values.map(Math.log))), transpose(v));
    const kappa = values[n - 1]! / values[0]!;
    assert.ok(norm(add(logm(a), closed, 1, -1)) <= 2 * n * EPS * (norm(closed) + kappa), `n = ${n}`);
  }
  const d = [1e-3, 0.5, 1, 2, 1e3];
  const l = logm(diagonalMatrix(d));
  assert.ok(norm(add(l, diagonalMatrix(d.map(Math.log)), 1, -1)) <= 2 * 5 * EPS * (norm(l) + 1e6));
});

Deno.test("logm() of a rotation is the angle times the generator, up to θ = 3.1", () => {
  for (const theta of [0.5, 2, 3, 3.1]) {
    const c = Math.cos(theta), s = Math.sin(theta);
    const l = logm(fromRows([[c, -s], [s, c]]));
    // Divided difference of log at e^(±iθ): θ/sin θ; ‖A‖_F/‖log A‖_F = 1/θ.
    assert.ok(
      relativeError(l, fromRows([[0, -theta], [theta, 0]])) <= bound(2, 1 / Math.sin(theta)),
      `θ = ${theta}`,
    );
  }
});

Deno.test("logm() of a Jordan block is log λ·I plus the terminating series in N/λ", () => {
  const c = loadFixture<LogCase>("logm").find((x) => x.name.startsWith("jordan"))!;
  const a = fromRows(c.a); // 2·I + N, 5×5
  const n = a.rows;
  // log(λ(I + N/λ)) = log λ·I + Σₖ (−1)^(k+1)·(N/λ)ᵏ/k: entry (i, i+k) is (−1)^(k+1)/(k·2ᵏ).
  const closed = matrix(n, n);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i + k < n; i++) {
      closed.data[i * n + i + k] = k === 0 ? Math.LN2 : (-1) ** (k + 1) / (k * 2 ** k);
    }
  }
  assert.ok(relativeError(logm(a), closed) <= bound(n, c.cond));
});

Deno.test("logm(expm(B)) = B and tr log A = log det A, n up to 60", () => {
  const rng = new Rng(71);
  for (const n of [2, 10, 60]) {
    // ‖B‖₂ ≈ 1: all eigenvalues' imaginary parts are well inside (−π, π), so B is the principal log.
    const b = scale(gaussianMatrix(n, n, rng), 0.5 / Math.sqrt(n));
    const a = expm(b);
    const l = logm(a);
    // κ_log at A = e^B is at most about ‖A‖·‖L_log‖/‖B‖ with ‖L_log‖ ≤ e^‖B‖ for these spectra.
    const condBound = norm(a) * Math.exp(norm(b)) / norm(b);
    assert.ok(relativeError(l, b) <= bound(n, condBound), `n = ${n}: ${relativeError(l, b)}`);
    assert.ok(Math.abs(trace(l) - slogdet(a).logAbsDet) <= n * bound(n, condBound) * norm(b));
  }
});

Deno.test("logm() matches scipy.linalg.logm (logm.json) within 2·n·ε·(1 + κ_log)", () => {
  for (const c of loadFixture<LogCase>("logm")) {
    const a = fromRows(c.a);
    const err = relativeError(logm(a), fromRows(c.logm));
    assert.ok(err <= bound(a.rows, c.cond), `${c.name}: ${err} (κ ${c.cond})`);
  }
});

Deno.test("logm() says why when no real principal logarithm exists", () => {
  assert.throws(() => logm(diagonalMatrix([-1, 2])), /closed negative real axis/);
  assert.throws(() => logm(fromRows([[1, 1], [1, 1]])), /logarithm of the 2×2 matrix: .* it is singular/);
  assert.throws(() => logm(matrix(2, 1)), /Cannot take the logarithm of a 2×1 matrix: it must be square/);
});
