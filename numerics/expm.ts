/**
 * The matrix exponential by scaling and squaring with Padé approximants (Higham 2005, "The scaling and
 * squaring method for the matrix exponential revisited", Algorithm 2.3): for ‖A‖₁ ≤ θₘ the [m/m]
 * Padé approximant, m ∈ {3, 5, 7, 9}, is exact to float64 rounding (backward error ≤ 2⁻⁵³); beyond
 * θ₉ the matrix is scaled by 2⁻ˢ into the range of the degree-13 approximant and the result squared
 * s times. Costs 6 + s matrix products and one LU solve for degree 13. For triangular matrices the
 * diagonal and first superdiagonal are recomputed exactly at every squaring (Al-Mohy & Higham 2009).
 *
 * SciPy's `expm` uses the later Al-Mohy–Higham (2009) variant, which can pick a smaller s for very
 * non-normal matrices; on the fixtures both agree to within the conditioning bound.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expm } from "./expm.ts";
 * import { fromRows, maxAbsDiff } from "./matrix.ts";
 *
 * // exp of π times the generator of plane rotations: the rotation by π, which is −I
 * const rotation = expm(fromRows([[0, -Math.PI], [Math.PI, 0]]));
 * assert.ok(maxAbsDiff(rotation, fromRows([[-1, 0], [0, -1]])) < 1e-12);
 * ```
 *
 * @module
 */
import { lu, luSolve } from "./lu.ts";
import { assertFinite, assertSquare, matmul, type Matrix, matrix, norm, transpose } from "./matrix.ts";

/** θₘ: the largest ‖A‖₁ for which the [m/m] Padé approximant has backward error ≤ 2⁻⁵³ (Higham 2005, Table 2.3). */
const THETA: Record<number, number> = {
  3: 1.495585217958292e-2,
  5: 2.539398330063230e-1,
  7: 9.504178996162932e-1,
  9: 2.097847961257068e0,
  13: 5.371920351148152e0,
};

/** Coefficients b₀…bₘ of the [m/m] Padé approximant p(x)/p(−x) to eˣ. */
const PADE: Record<number, number[]> = {
  3: [120, 60, 12, 1],
  5: [30240, 15120, 3360, 420, 30, 1],
  7: [17297280, 8648640, 1995840, 277200, 25200, 1512, 56, 1],
  9: [17643225600, 8821612800, 2075673600, 302702400, 30270240, 2162160, 110880, 3960, 90, 1],
  13: [
    64764752532480000,
    32382376266240000,
    7771770303897600,
    1187353796428800,
    129060195264000,
    10559470521600,
    670442572800,
    33522128640,
    1323241920,
    40840800,
    960960,
    16380,
    182,
    1,
  ],
};

/** e^A for a square matrix A (not modified). */
export function expm(a: Matrix): Matrix {
  const n = assertSquare(a, "exponentiate");
  assertFinite(a, "exponentiate");
  if (n === 0) return matrix(0, 0);
  if (isTriangular(a, "lower") && !isTriangular(a, "upper")) return transpose(expm(transpose(a)));
  const triangular = isTriangular(a, "upper");
  const norm1 = norm(a, 1);
  for (const m of [3, 5, 7, 9]) {
    if (norm1 <= THETA[m]!) {
      const x = pade(a, m);
      if (triangular) exactDiagonals(x, a, 1);
      return x;
    }
  }
  const s = Math.max(0, Math.ceil(Math.log2(norm1 / THETA[13]!)));
  let x = pade({ rows: n, cols: n, data: a.data.map((v) => v * 2 ** -s) }, 13);
  if (triangular) exactDiagonals(x, a, 2 ** -s);
  for (let j = s - 1; j >= 0; j--) {
    x = matmul(x, x);
    if (triangular) exactDiagonals(x, a, 2 ** -j);
  }
  return x;
}

function isTriangular(a: Matrix, part: "upper" | "lower"): boolean {
  const n = a.rows;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if ((part === "upper" ? j < i : j > i) && a.data[i * n + j] !== 0) return false;
    }
  }
  return true;
}

/**
 * For upper triangular T, overwrites the diagonal and first superdiagonal of X ≈ e^(c·T) with their
 * exact values (Al-Mohy & Higham 2009, Code Fragment 2.1): e^(c·tᵢᵢ), and for each 2×2 diagonal block
 * c·tᵢ,ᵢ₊₁·e^((λ₁+λ₂)/2)·sinh(δ)/δ with λ = c·t, δ = (λ₂ − λ₁)/2, the divided difference of exp
 * without cancellation. Squaring then starts each step from exact diagonals, so a triangular (or
 * diagonal) matrix gets e^(tᵢᵢ) to the last bit, as in SciPy.
 */
function exactDiagonals(x: Matrix, t: Matrix, c: number): void {
  const n = t.rows;
  for (let i = 0; i < n; i++) x.data[i * n + i] = Math.exp(c * t.data[i * n + i]!);
  for (let i = 0; i + 1 < n; i++) {
    const l1 = c * t.data[i * n + i]!;
    const l2 = c * t.data[(i + 1) * n + i + 1]!;
    const delta = (l2 - l1) / 2;
    const sinch = delta === 0 ? 1 : Math.sinh(delta) / delta;
    x.data[i * n + i + 1] = c * t.data[i * n + i + 1]! * Math.exp((l1 + l2) / 2) * sinch;
  }
}

/** Σ cᵢ·Mᵢ + c·I for n×n matrices. */
function combine(n: number, terms: [number, Matrix][], identityCoefficient = 0): Matrix {
  const out = matrix(n, n);
  for (const [c, m] of terms) {
    if (c === 0) continue;
    for (let i = 0; i < out.data.length; i++) out.data[i] = out.data[i]! + c * m.data[i]!;
  }
  for (let i = 0; i < n; i++) out.data[i * n + i] = out.data[i * n + i]! + identityCoefficient;
  return out;
}

/** The [m/m] Padé approximant r(A) = (V − U)⁻¹(V + U), U the odd part of p(A) and V the even part. */
function pade(a: Matrix, m: number): Matrix {
  const n = a.rows;
  const b = PADE[m]!;
  const a2 = matmul(a, a);
  let u: Matrix;
  let v: Matrix;
  if (m === 13) {
    const a4 = matmul(a2, a2);
    const a6 = matmul(a4, a2);
    const w = combine(n, [[b[13]!, a6], [b[11]!, a4], [b[9]!, a2]]);
    u = matmul(a, combine(n, [[1, matmul(a6, w)], [b[7]!, a6], [b[5]!, a4], [b[3]!, a2]], b[1]!));
    const z = combine(n, [[b[12]!, a6], [b[10]!, a4], [b[8]!, a2]]);
    v = combine(n, [[1, matmul(a6, z)], [b[6]!, a6], [b[4]!, a4], [b[2]!, a2]], b[0]!);
  } else {
    // Powers A², A⁴, … up to A^(m−1); U = A·Σ b_{2j+1} A^{2j}, V = Σ b_{2j} A^{2j}.
    const powers: Matrix[] = [a2];
    for (let p = 4; p < m; p += 2) powers.push(matmul(powers[powers.length - 1]!, a2));
    const odd: [number, Matrix][] = powers.map((pw, j) => [b[2 * j + 3]!, pw]);
    const even: [number, Matrix][] = powers.map((pw, j) => [b[2 * j + 2]!, pw]);
    u = matmul(a, combine(n, odd, b[1]!));
    v = combine(n, even, b[0]!);
  }
  const p = combine(n, [[1, v], [1, u]]);
  const q = combine(n, [[1, v], [-1, u]]);
  return luSolve(lu(q), p);
}
