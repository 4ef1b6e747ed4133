/**
 * The exponential of a rank-one matrix in closed form (kexue.fm/archives/6407). With s = ⟨x, y⟩,
 * (x yᵀ)ᵏ = s^(k−1)·x yᵀ, so
 *
 *     exp(x yᵀ) = I + φ₁(s)·x yᵀ,   φ₁(s) = (eˢ − 1)/s  (1 at s = 0),
 *     det exp(x yᵀ) = 1 + φ₁(s)·s = eˢ  (the matrix determinant lemma),
 *     exp(x yᵀ)⁻¹ = exp(−x yᵀ) = I − x yᵀ·(1 − e⁻ˢ)/s:
 *
 * an explicit dense matrix that is always invertible. φ₁ is evaluated as expm1(s)/s: the article's
 * (eˢ − 1)/s taken literally loses all accuracy as s → 0 (relative error ≈ ε/|s|).
 *
 * The same series gives the Fréchet derivative of exp at A = x yᵀ in closed form,
 *
 *     L(A, E) = E + φ₂(s)·(E A + A E) + φ₃(s)·(yᵀ E x)·A,
 *     φ₂(s) = Σ sᵏ/(k+2)! = (eˢ − 1 − s)/s²,   φ₃(s) = Σ (k+1)sᵏ/(k+3)! = (s eˢ − 2eˢ + 2 + s)/s³,
 *
 * and so exp's condition number κ_exp(A) = ‖L(A)‖·‖A‖/‖exp A‖ (Frobenius norms) by power iteration on
 * L*L in O(n²) per step, where the generic estimate needs a 2n×2n exponential per step.
 *
 * @module
 */
import { type Matrix, matrix, norm } from "../../numerics/matrix.ts";

const dot = (x: ArrayLike<number>, y: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
};

/** φ₁(s) = (eˢ − 1)/s, accurate for every s (1 at 0). */
export function phi1(s: number): number {
  return s === 0 ? 1 : Math.expm1(s) / s;
}

/** The article's (eˢ − 1)/s as written: cancels catastrophically for small |s| (NaN at 0). */
export function phi1Naive(s: number): number {
  return (Math.exp(s) - 1) / s;
}

/** φ₂(s) = (eˢ − 1 − s)/s² and φ₃(s) = (s eˢ − 2eˢ + 2 + s)/s³, by their series where those cancel. */
export function phi23(s: number): { phi2: number; phi3: number } {
  if (Math.abs(s) < 2) {
    // Σ sᵏ/(k+2)! and Σ (k+1)sᵏ/(k+3)!: 40 terms reach 2⁴⁰/42! ≈ 1e-40.
    let phi2 = 0, phi3 = 0, power = 1, fact2 = 2, fact3 = 6;
    for (let k = 0; k < 40; k++) {
      phi2 += power / fact2;
      phi3 += ((k + 1) * power) / fact3;
      power *= s;
      fact2 *= k + 3;
      fact3 *= k + 4;
    }
    return { phi2, phi3 };
  }
  const e = Math.exp(s);
  return { phi2: (e - 1 - s) / (s * s), phi3: (s * e - 2 * e + 2 + s) / (s * s * s) };
}

/** I + c·x yᵀ. */
function identityPlusRankOne(c: number, x: ArrayLike<number>, y: ArrayLike<number>): Matrix {
  const n = x.length;
  const out = matrix(n, n);
  for (let i = 0; i < n; i++) {
    const cx = c * x[i]!;
    for (let j = 0; j < n; j++) out.data[i * n + j] = cx * y[j]!;
    out.data[i * n + i]! += 1;
  }
  return out;
}

/** exp(x yᵀ) = I + φ₁(⟨x, y⟩)·x yᵀ. */
export function expRankOne(x: ArrayLike<number>, y: ArrayLike<number>): Matrix {
  return identityPlusRankOne(phi1(dot(x, y)), x, y);
}

/** exp(x yᵀ)⁻¹ = exp(−x yᵀ) = I − φ₁(−⟨x, y⟩)·x yᵀ. */
export function expRankOneInverse(x: ArrayLike<number>, y: ArrayLike<number>): Matrix {
  return identityPlusRankOne(-phi1(-dot(x, y)), x, y);
}

/** The closed form with the article's (eˢ − 1)/s evaluated literally. */
export function expRankOneNaive(x: ArrayLike<number>, y: ArrayLike<number>): Matrix {
  return identityPlusRankOne(phi1Naive(dot(x, y)), x, y);
}

/** L(x yᵀ, E): the Fréchet derivative of exp at x yᵀ in the direction E. */
export function frechetRankOne(x: ArrayLike<number>, y: ArrayLike<number>, e: Matrix): Matrix {
  const n = x.length;
  const { phi2, phi3 } = phi23(dot(x, y));
  const ex = new Float64Array(n), yE = new Float64Array(n); // E·x and yᵀ·E
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = e.data[i * n + j]!;
      ex[i]! += v * x[j]!;
      yE[j]! += y[i]! * v;
    }
  }
  const yex = dot(y, ex);
  const out = matrix(n, n);
  // E·A = (E x) yᵀ and A·E = x (yᵀ E).
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      out.data[i * n + j] = e.data[i * n + j]! + phi2 * (ex[i]! * y[j]! + x[i]! * yE[j]!) +
        phi3 * yex * x[i]! * y[j]!;
    }
  }
  return out;
}

/**
 * κ_exp(x yᵀ) = ‖L‖·‖x yᵀ‖_F/‖exp(x yᵀ)‖_F with ‖L‖ the Frobenius-induced norm, by power iteration on L*L
 * (L* is L at y xᵀ, the transpose) from a fixed start.
 */
export function expConditionRankOne(x: ArrayLike<number>, y: ArrayLike<number>, iterations = 30): number {
  const n = x.length;
  let z = matrix(n, n);
  for (let i = 0; i < z.data.length; i++) z.data[i] = Math.sin(1 + 7 * i); // deterministic, generic
  let gain = 0;
  for (let k = 0; k < iterations; k++) {
    const size = norm(z);
    for (let i = 0; i < z.data.length; i++) z.data[i] = z.data[i]! / size;
    const w = frechetRankOne(x, y, z);
    gain = norm(w);
    z = frechetRankOne(y, x, w);
  }
  const normA = Math.sqrt(dot(x, x) * dot(y, y));
  return (gain * normA) / norm(expRankOne(x, y));
}
