/**
 * The principal square root of a real matrix with no eigenvalues on the closed negative real axis,
 * by the product form of the Denman–Beavers iteration with determinant scaling (Higham, "Functions of
 * Matrices", 2008, eq. 6.29). No Schur form is needed, and the product form is numerically stable:
 *
 *     M₀ = Y₀ = A,  μₖ = |det Mₖ|^(−1/(2n)),
 *     Mₖ₊₁ = ½·I + ¼·(μₖ²·Mₖ + μₖ⁻²·Mₖ⁻¹),  Yₖ₊₁ = ½·μₖ·Yₖ·(I + μₖ⁻²·Mₖ⁻¹),
 *
 * with Yₖ → A^½ and Mₖ → I quadratically; the scaling (dropped once Mₖ is near I) shortens the first
 * steps when A's eigenvalues spread widely. Each step costs an LU, an inverse and a product.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, maxAbsDiff } from "./matrix.ts";
 * import { sqrtm } from "./sqrtm.ts";
 *
 * assert.ok(maxAbsDiff(sqrtm(fromRows([[4, 0], [0, 9]])), fromRows([[2, 0], [0, 3]])) < 1e-12);
 * ```
 *
 * @module
 */
import { lu, luSolve, slogdetOf } from "./lu.ts";
import { assertFinite, assertSquare, identity, matmul, type Matrix, matrix } from "./matrix.ts";

const MAX_ITERATIONS = 100;
const CONVERGED = Math.sqrt(4 * 2 ** -52);

/** A^½, the square root whose eigenvalues have positive real parts. */
export function sqrtm(a: Matrix): Matrix {
  const n = assertSquare(a, "take the square root of");
  assertFinite(a, "take the square root of");
  if (n === 0) return matrix(0, 0);
  const eye = identity(n);
  let m = a;
  let y = a;
  let previous = Infinity;
  let scaling = true;
  for (let k = 0; k < MAX_ITERATIONS; k++) {
    const f = lu(m);
    if (f.zeroPivot >= 0) {
      throw new RangeError(
        k === 0
          ? `Cannot take the square root of the ${n}×${n} matrix: it is singular`
          : noRealRoot(n, `the iterate became singular at step ${k}`),
      );
    }
    const mu = scaling ? Math.exp(-slogdetOf(f).logAbsDet / (2 * n)) : 1;
    const mInv = luSolve(f, eye);
    const mu2 = mu * mu;
    const nextM = matrix(n, n);
    for (let i = 0; i < nextM.data.length; i++) {
      nextM.data[i] = 0.25 * (mu2 * m.data[i]! + mInv.data[i]! / mu2);
    }
    for (let i = 0; i < n; i++) nextM.data[i * n + i] = nextM.data[i * n + i]! + 0.5;
    const yMInv = matmul(y, mInv);
    const nextY = matrix(n, n);
    for (let i = 0; i < nextY.data.length; i++) {
      nextY.data[i] = 0.5 * mu * (y.data[i]! + yMInv.data[i]! / mu2);
    }
    // ‖Mₖ − I‖ measures Yₖ's relative error; the step from Mₖ leaves an error of order ‖Mₖ − I‖².
    const distance = distanceFromIdentity(m);
    m = nextM;
    y = nextY;
    if (!Number.isFinite(distance)) break;
    if (distance < 1e-2) scaling = false;
    // Converged when the last step started within δ = √(4ε) of I (Yₖ₊₁'s relative error is about
    // δ²/8 ≤ ε/2), or once rounding stops the decrease.
    if (distance <= CONVERGED || (!scaling && distance > previous / 2 && distance < 1e-4)) return y;
    previous = distance;
  }
  throw new RangeError(noRealRoot(n, `the iteration did not converge in ${MAX_ITERATIONS} steps`));
}

function noRealRoot(n: number, why: string): string {
  return `Cannot take the principal square root of the ${n}×${n} matrix: ${why}; it probably has an ` +
    "eigenvalue on the closed negative real axis, where no real principal root (or logarithm) exists";
}

/** ‖M − I‖₁. */
function distanceFromIdentity(m: Matrix): number {
  const n = m.rows;
  let worst = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(m.data[i * n + j]! - (i === j ? 1 : 0));
    worst = Math.max(worst, s);
  }
  return worst;
}
