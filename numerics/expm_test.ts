import assert from "node:assert/strict";
import { Rng } from "../stages/data/random.ts";
import { expm } from "./expm.ts";
import { loadFixture } from "./fixtures/load_fixture.ts";
import { slogdet } from "./lu.ts";
import { add, diagonalMatrix, fromRows, identity, matmul, matrix, norm, scale, trace } from "./matrix.ts";
import { gaussianMatrix } from "./random_orthogonal.ts";
import { singularValues } from "./svd.ts";

const EPS = 2 ** -52;

interface FunctionCase {
  name: string;
  a: number[][];
  expm: number[][];
  cond: number;
}

const relativeError = (x: ReturnType<typeof matrix>, ref: ReturnType<typeof matrix>) =>
  norm(add(x, ref, 1, -1)) / norm(ref);

/**
 * The forward-error bound of a backward-stable evaluation: the relative condition number times a
 * backward error of n·ε, doubled because the reference carries its own rounding too.
 */
const bound = (n: number, cond: number) => 2 * n * EPS * (1 + cond);

Deno.test("the module example: exp of the rotation generator by π", () => {
  const r = expm(fromRows([[0, -Math.PI], [Math.PI, 0]])); // the rotation by π: [[−1, 0], [0, −1]] to rounding
  assert.ok(relativeError(r, fromRows([[-1, 0], [0, -1]])) < bound(2, Math.PI));
});

Deno.test("the README example: log det e^A = tr A", () => {
  const a = fromRows([[0.1, 2], [-0.3, 0.4]]);
  assert.ok(Math.abs(slogdet(expm(a)).logAbsDet - 0.5) <= bound(2, norm(a) * Math.exp(norm(a))));
});

Deno.test("expm() of a diagonal is the diagonal of exponentials, with exact zeros off it", () => {
  const d = [-30, -2.5, -1e-8, 0, 1e-3, 0.7, 4, 12, 30];
  const e = expm(diagonalMatrix(d));
  const n = d.length;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = e.data[i * n + j]!;
      if (i !== j) assert.equal(v, 0);
      // The relative condition number of eˣ is |x|.
      else assert.ok(Math.abs(v / Math.exp(d[i]!) - 1) <= bound(1, Math.abs(d[i]!)), `exp(${d[i]})`);
    }
  }
  assert.deepEqual(expm(matrix(3, 3)).data, identity(3).data);
});

Deno.test("expm() of rotation generators: plane rotations and Rodrigues' formula", () => {
  for (const theta of [0.1, 1, 3, 10, 100]) {
    const r = expm(fromRows([[0, -theta], [theta, 0]]));
    const c = Math.cos(theta), s = Math.sin(theta);
    // A normal matrix: the condition number is ‖A‖₂ = θ.
    assert.ok(relativeError(r, fromRows([[c, -s], [s, c]])) <= bound(2, theta), `θ = ${theta}`);
  }
  const axis = [1, 2, 2].map((v) => v / 3);
  const theta = 2.2;
  const k = fromRows([[0, -axis[2]!, axis[1]!], [axis[2]!, 0, -axis[0]!], [-axis[1]!, axis[0]!, 0]]);
  const rodrigues = add(add(identity(3), k, 1, Math.sin(theta)), matmul(k, k), 1, 1 - Math.cos(theta));
  assert.ok(relativeError(expm(scale(k, theta)), rodrigues) <= bound(3, theta));
});

Deno.test("expm() of nilpotent matrices and Jordan blocks: the terminating series", () => {
  const fixture = loadFixture<FunctionCase>("expm").find((c) => c.name.startsWith("jordan"))!;
  const jordan = fromRows(fixture.a); // −3·I + N, 8×8
  const n = jordan.rows;
  // e^(λI + N) = e^λ·Σₖ Nᵏ/k!, whose (i, j) entry is e^λ/(j − i)! above the diagonal.
  const closed = matrix(n, n);
  let factorial = 1;
  for (let d = 0; d < n; d++) {
    if (d > 0) factorial *= d;
    for (let i = 0; i + d < n; i++) closed.data[i * n + i + d] = Math.exp(-3) / factorial;
  }
  assert.ok(relativeError(expm(jordan), closed) <= bound(n, fixture.cond));
  // A strictly upper triangular N: e^N = I + N + N²/2 + … + N⁵/5!, exactly a polynomial.
  const nil = gaussianMatrix(6, 6, new Rng(50));
  for (let i = 0; i < 6; i++) for (let j = 0; j <= i; j++) nil.data[i * 6 + j] = 0;
  let series = identity(6);
  let power = identity(6);
  factorial = 1;
  for (let p = 1; p < 6; p++) {
    power = matmul(power, nil);
    factorial *= p;
    series = add(series, power, 1, 1 / factorial);
  }
  // κ_exp(A) ≤ ‖A‖·e^‖A‖/‖e^A‖ (Higham, "Functions of Matrices", Lemma 10.15).
  const normN = norm(nil);
  const condBound = normN * Math.exp(normN) / norm(series);
  assert.ok(relativeError(expm(nil), series) <= bound(6, condBound));
});

Deno.test("expm() of a rank-one x·yᵀ is I + x·yᵀ·(e^⟨x,y⟩ − 1)/⟨x,y⟩, also as ⟨x,y⟩ → 0", () => {
  const rng = new Rng(51);
  for (const target of [2.5, -1, 1e-9, 0]) {
    const x = gaussianMatrix(5, 1, rng);
    const y = gaussianMatrix(1, 5, rng);
    // Shift y so that ⟨x, y⟩ = target exactly up to rounding.
    let dot = 0, xx = 0;
    for (let i = 0; i < 5; i++) {
      dot += x.data[i]! * y.data[i]!;
      xx += x.data[i]! ** 2;
    }
    for (let i = 0; i < 5; i++) y.data[i] = y.data[i]! + (target - dot) * x.data[i]! / xx;
    let t = 0;
    for (let i = 0; i < 5; i++) t += x.data[i]! * y.data[i]!;
    const xy = matmul(x, y);
    const factor = t === 0 ? 1 : Math.expm1(t) / t;
    const closed = add(identity(5), xy, 1, factor);
    const condBound = norm(xy) * Math.exp(norm(xy)) / norm(closed);
    assert.ok(relativeError(expm(xy), closed) <= bound(5, condBound), `⟨x,y⟩ = ${t}`);
  }
});

Deno.test("det(e^A) = e^(tr A): slogdet of expm() equals the trace, n = 2…128, normal or not", () => {
  const rng = new Rng(52);
  for (const n of [2, 3, 8, 32, 128]) {
    for (const kind of ["gaussian", "non-normal"] as const) {
      const a = scale(gaussianMatrix(n, n, rng), 1 / Math.sqrt(n));
      if (kind === "non-normal") {
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) if (j > i) a.data[i * n + j] = a.data[i * n + j]! * 10;
        }
      }
      const e = expm(a);
      const { sign, logAbsDet } = slogdet(e);
      assert.equal(sign, 1);
      // d log det X = tr(X⁻¹ dX) ≤ n·κ₂(X)·‖dX‖/‖X‖, with ‖dX‖/‖X‖ within the bound for κ_exp ≤ ‖A‖e^‖A‖/‖e^A‖.
      const s = singularValues(e);
      const kappa = s[0]! / s[n - 1]!;
      const condExp = norm(a) * Math.exp(norm(a)) / norm(e);
      assert.ok(Math.abs(logAbsDet - trace(a)) <= n * kappa * bound(n, condExp), `${kind} n = ${n}`);
    }
  }
});

Deno.test("expm() matches scipy.linalg.expm (expm.json) within 2·n·ε·(1 + κ_exp)", () => {
  for (const c of loadFixture<FunctionCase>("expm")) {
    const a = fromRows(c.a);
    const err = relativeError(expm(a), fromRows(c.expm));
    assert.ok(err <= bound(a.rows, c.cond), `${c.name}: ${err} (κ ${c.cond})`);
  }
});

Deno.test("expm() rejects non-square and non-finite input by name", () => {
  assert.throws(() => expm(matrix(2, 3)), /Cannot exponentiate a 2×3 matrix: it must be square/);
  assert.throws(
    () => expm(fromRows([[1, 2], [3, NaN]])),
    /Cannot exponentiate the matrix: entry \(1, 1\) is NaN/,
  );
});
