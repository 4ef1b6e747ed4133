/**
 * The Newton–Schulz iteration Muon orthogonalises its updates with (KellerJordan/Muon,
 * `zeropower_via_newtonschulz5`; kexue.fm/archives/10592): X₀ = M/‖M‖_F, then
 *
 *     X ← a·X + b·(X Xᵀ)X + c·(X Xᵀ)²X,
 *
 * which maps every singular value σ of X through g(σ) = aσ + bσ³ + cσ⁵ and leaves the singular vectors
 * alone, so after T steps X = U·g^(T)(Σ)·Vᵀ: an approximation of msign(M) = U·Vᵀ that is good where
 * g^(T)(σ) ≈ 1. The official coefficients (3.4445, −4.7750, 2.0315) trade exactness for speed: the
 * docstring says the result's singular values land roughly in [0.5, 1.5]. The article reparametrises g
 * by its fixed points, g(x) = x + κ·x(x² − x₁²)(x² − x₂²).
 *
 * Here in float64 (the official code runs in bfloat16), without the official 1e-7 added to the norm.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { coefficientsFromRoots, nsIterate, OFFICIAL_NS } from "./newton_schulz.ts";
 *
 * assert.ok(Math.abs(nsIterate(0.05, OFFICIAL_NS, 5) - 1) < 0.3); // a small σ climbs to about 1
 * const taylor = coefficientsFromRoots({ kappa: 3 / 8, x1: 1, x2: Math.sqrt(7 / 3) }); // (15/8, −5/4, 3/8)
 * assert.ok(Math.abs(taylor.a - 15 / 8) < 1e-15 && Math.abs(taylor.b + 5 / 4) < 1e-15);
 * ```
 *
 * @module
 */
import { add, matmul, type Matrix, norm, scale, transpose } from "./matrix.ts";

/** The quintic's coefficients, g(x) = a·x + b·x³ + c·x⁵. */
export interface NsCoefficients {
  a: number;
  b: number;
  c: number;
}

/** Muon's coefficients (KellerJordan/Muon). */
export const OFFICIAL_NS: NsCoefficients = { a: 3.4445, b: -4.775, c: 2.0315 };

/** The article's parametrisation by the non-zero fixed points x₁, x₂ and the scale κ. */
export interface NsRoots {
  kappa: number;
  x1: number;
  x2: number;
}

/** g(x) = x + κx(x² − x₁²)(x² − x₂²) expanded: a = 1 + κx₁²x₂², b = −κ(x₁² + x₂²), c = κ. */
export function coefficientsFromRoots({ kappa, x1, x2 }: NsRoots): NsCoefficients {
  const p = x1 * x1, q = x2 * x2;
  return { a: 1 + kappa * p * q, b: -kappa * (p + q), c: kappa };
}

/** g^(T)(x): T steps of the scalar map. */
export function nsIterate(x: number, { a, b, c }: NsCoefficients, steps: number): number {
  for (let t = 0; t < steps; t++) {
    const x2 = x * x;
    x = x * (a + x2 * (b + c * x2));
  }
  return x;
}

/**
 * T Newton–Schulz steps on M, as the official code orders them: a tall M is transposed first so that
 * X Xᵀ is the smaller Gram matrix, and B = b·A + c·A² is formed once per step.
 */
export function newtonSchulz(m: Matrix, coefficients: NsCoefficients, steps: number): Matrix {
  const tall = m.rows > m.cols;
  let x = tall ? transpose(m) : m;
  x = scale(x, 1 / norm(x));
  const { a, b, c } = coefficients;
  for (let t = 0; t < steps; t++) {
    const gram = matmul(x, transpose(x));
    const poly = add(gram, matmul(gram, gram), b, c);
    x = add(x, matmul(poly, x), a, 1);
  }
  return tall ? transpose(x) : x;
}
