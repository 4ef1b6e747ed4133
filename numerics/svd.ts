/**
 * Singular values and the singular value decomposition, A = U·diag(s)·Vᵀ, by Golub–Kahan: Householder
 * bidiagonalisation, then implicit-shift QR on the bidiagonal (the iteration of LINPACK's dsvdc, by
 * way of JAMA). Both steps are backward stable, so every singular value is correct to about
 * n·ε·‖A‖₂ however ill-conditioned A is; forming AᵀA instead would square the condition number and
 * lose every σ below √ε·‖A‖.
 *
 * Speed: the bidiagonalisation does all its work in one pass over the trailing matrix per column. The
 * left reflector's update, the right reflector's update and the sums that build the next left
 * reflector's product vᵀA are fused row by row while the row is in L1 cache, instead of the three
 * passes of the textbook order. For values only, a matrix with m ≥ 1.5·n is first reduced to its R
 * factor (QR runs in the blocked product kernel). Values of a 1024² Gaussian matrix take about 1 s
 * here and those of a 2048×1024 one about 2 s; the bidiagonal QR is O(n²) of that
 * (`deno task bench linalg`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { diagonalMatrix, fromRows, matmul, maxAbsDiff, transpose } from "./matrix.ts";
 * import { singularValues, svd } from "./svd.ts";
 *
 * const a = fromRows([[3, 0], [4, 5]]);
 * const [s1 = NaN, s2 = NaN] = singularValues(a);
 * assert.ok(Math.abs(s1 - Math.sqrt(45)) < 1e-12 && Math.abs(s2 - Math.sqrt(5)) < 1e-12);
 * const { u, s, v } = svd(a);
 * assert.ok(maxAbsDiff(matmul(matmul(u, diagonalMatrix(s)), transpose(v)), a) < 1e-12); // u·diag(s)·vᵀ = a
 * ```
 *
 * @module
 */
import { assertFinite, type Matrix, matrix, transpose } from "./matrix.ts";
import { qr } from "./qr.ts";

/** A = U·diag(s)·Vᵀ with k = min(m, n): U is m×k, V is n×k, both with orthonormal columns. */
export interface Svd {
  u: Matrix;
  /** k values, descending, non-negative. */
  s: Float64Array;
  v: Matrix;
}

/** All min(m, n) singular values of the m×n matrix `a`, in descending order (`scipy.linalg.svdvals`). */
export function singularValues(a: Matrix): Float64Array {
  assertFinite(a, "compute the singular values of");
  let tall = a.rows >= a.cols ? a : transpose(a);
  // A = Q·R leaves the singular values to R (n×n): for m ≥ 1.5·n the QR, which runs in the blocked
  // product kernel, costs less than the bidiagonalisation work it saves.
  if (tall.rows >= 1.5 * tall.cols && tall.cols > 1) tall = qr(tall, { mode: "r" }).r;
  const { rows: m, cols: n } = tall;
  if (n === 0) return new Float64Array(0);
  const { A, unscale } = scaled(tall.data);
  const { d, e } = bidiagonalize(A, m, n);
  bidiagonalQr(d, e, null, 0, null);
  return sortDescending(d, null, 0, null).map((v) => v * unscale);
}

/** The thin singular value decomposition of the m×n matrix `a`. */
export function svd(a: Matrix): Svd {
  assertFinite(a, "compute the SVD of");
  if (a.rows < a.cols) {
    // Aᵀ = U'·S·V'ᵀ gives A = V'·S·U'ᵀ.
    const t = svd(transpose(a));
    return { u: t.v, s: t.s, v: t.u };
  }
  const { rows: m, cols: n } = a;
  if (n === 0) return { u: matrix(m, 0), s: new Float64Array(0), v: matrix(0, 0) };
  const { A, unscale } = scaled(a.data);
  const { d, e, tauL, tauR } = bidiagonalize(A, m, n);
  const ut = leftVectors(A, m, n, tauL);
  const vt = rightVectors(A, n, tauR);
  bidiagonalQr(d, e, ut, m, vt);
  const s = sortDescending(d, ut, m, vt);
  for (let i = 0; i < n; i++) s[i] = s[i]! * unscale;
  return { u: transpose(matrix(n, m, ut)), s, v: transpose(matrix(n, n, vt)) };
}

/**
 * A copy of `data` scaled by a power of two (exact) so that its largest entry is near 1: the sums of
 * squares below can then neither overflow nor underflow.
 */
function scaled(data: Float64Array): { A: Float64Array; unscale: number } {
  let amax = 0;
  for (let i = 0; i < data.length; i++) amax = Math.max(amax, Math.abs(data[i]!));
  const exponent = amax === 0 ? 0 : Math.round(Math.log2(amax));
  const factor = 2 ** -exponent;
  return { A: data.map((v) => v * factor), unscale: 2 ** exponent };
}

/**
 * Reduces the m×n (m ≥ n) row-major A in place to upper bidiagonal form Uᵀ·A·V = B, with diagonal d
 * and superdiagonal e (e[n−1] = 0). The left reflector of column k is stored below A[k][k] (v₀ = 1
 * implied, factor tauL[k]); the right reflector of row k to the right of A[k][k+1] (u₀ = 1 at column
 * k+1, factor tauR[k]). Reflectors follow LAPACK's dlarfg.
 */
function bidiagonalize(A: Float64Array, m: number, n: number) {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const tauL = new Float64Array(n);
  const tauR = new Float64Array(n);
  // s[j] = Σ_{i>k} A[i][k]·A[i][j] for j > k, and ss = Σ_{i>k} A[i][k]²: with them, the product vᵀA of
  // the left reflector of column k costs O(n) once the reflector is known.
  const s = new Float64Array(n);
  const w = new Float64Array(n);
  const u = new Float64Array(n);
  let ss = 0;
  for (let i = 1; i < m; i++) {
    const x = A[i * n]!;
    if (x === 0) continue;
    ss += x * x;
    const r = i * n;
    for (let j = 1; j < n; j++) s[j] = s[j]! + x * A[r + j]!;
  }
  for (let k = 0; k < n; k++) {
    const rk = k * n;
    // Left reflector for column k, rows k…m−1.
    const alpha = A[rk + k]!;
    let tau = 0;
    let scl = 0;
    let beta = alpha;
    if (ss > 0) {
      beta = -(alpha >= 0 ? 1 : -1) * Math.sqrt(alpha * alpha + ss);
      tau = (beta - alpha) / beta;
      scl = 1 / (alpha - beta);
    }
    tauL[k] = tau;
    d[k] = beta;
    A[rk + k] = beta;
    if (k === n - 1) {
      for (let i = k + 1; i < m; i++) A[i * n + k] = A[i * n + k]! * scl;
      break;
    }
    // w = vᵀ·A[k:, k+1:] = A[k, k+1:] + scl·s; then row k's update.
    for (let j = k + 1; j < n; j++) {
      const wj = A[rk + j]! + scl * s[j]!;
      w[j] = wj;
      A[rk + j] = A[rk + j]! - tau * wj;
    }
    // Right reflector for row k, columns k+1…n−1.
    let tauRk = 0;
    const alphaR = A[rk + k + 1]!;
    let ssR = 0;
    for (let j = k + 2; j < n; j++) ssR += A[rk + j]! * A[rk + j]!;
    if (ssR > 0) {
      const betaR = -(alphaR >= 0 ? 1 : -1) * Math.sqrt(alphaR * alphaR + ssR);
      tauRk = (betaR - alphaR) / betaR;
      const sclR = 1 / (alphaR - betaR);
      u[k + 1] = 1;
      for (let j = k + 2; j < n; j++) {
        A[rk + j] = A[rk + j]! * sclR;
        u[j] = A[rk + j]!;
      }
      A[rk + k + 1] = betaR;
      e[k] = betaR;
    } else {
      e[k] = alphaR;
    }
    tauR[k] = tauRk;
    // One pass over rows k+1…m−1: left update, right update, and the sums for column k+1. Row k+1
    // (the next pivot row) is updated alone; the rest two at a time, sharing the loads of w, u and s.
    s.fill(0, k + 2);
    ss = 0;
    {
      const r = (k + 1) * n;
      const vi = A[r + k]! * scl;
      A[r + k] = vi;
      const f = tau * vi;
      let z = 0;
      for (let j = k + 1; j < n; j++) {
        const x = A[r + j]! - f * w[j]!;
        A[r + j] = x;
        z += x * u[j]!;
      }
      const g = tauRk * z;
      for (let j = k + 1; j < n; j++) A[r + j] = A[r + j]! - g * u[j]!;
    }
    let i = k + 2;
    for (; i + 1 < m; i += 2) {
      const ra = i * n, rb = ra + n;
      const va = A[ra + k]! * scl, vb = A[rb + k]! * scl;
      A[ra + k] = va;
      A[rb + k] = vb;
      const fa = tau * va, fb = tau * vb;
      let za = 0, zb = 0;
      for (let j = k + 1; j < n; j++) {
        const wj = w[j]!, uj = u[j]!;
        const xa = A[ra + j]! - fa * wj;
        const xb = A[rb + j]! - fb * wj;
        A[ra + j] = xa;
        A[rb + j] = xb;
        za += xa * uj;
        zb += xb * uj;
      }
      const ga = tauRk * za, gb = tauRk * zb;
      const x1a = A[ra + k + 1]! - ga, x1b = A[rb + k + 1]! - gb;
      A[ra + k + 1] = x1a;
      A[rb + k + 1] = x1b;
      ss += x1a * x1a + x1b * x1b;
      for (let j = k + 2; j < n; j++) {
        const uj = u[j]!;
        const ya = A[ra + j]! - ga * uj;
        const yb = A[rb + j]! - gb * uj;
        A[ra + j] = ya;
        A[rb + j] = yb;
        s[j] = s[j]! + (x1a * ya + x1b * yb);
      }
    }
    for (; i < m; i++) {
      const r = i * n;
      const vi = A[r + k]! * scl;
      A[r + k] = vi;
      const f = tau * vi;
      let z = 0;
      for (let j = k + 1; j < n; j++) {
        const x = A[r + j]! - f * w[j]!;
        A[r + j] = x;
        z += x * u[j]!;
      }
      const g = tauRk * z;
      const x1 = A[r + k + 1]! - g;
      A[r + k + 1] = x1;
      ss += x1 * x1;
      for (let j = k + 2; j < n; j++) {
        const y = A[r + j]! - g * u[j]!;
        A[r + j] = y;
        s[j] = s[j]! + x1 * y;
      }
    }
  }
  return { d, e, tauL, tauR };
}

/**
 * Uᵀ (n×m, row-major) from the left reflectors: [I 0]·H_{n−1}⋯H₀, applied in that order so that each
 * reflector touches only rows and columns ≥ k.
 */
function leftVectors(A: Float64Array, m: number, n: number, tauL: Float64Array): Float64Array {
  const E = new Float64Array(n * m);
  for (let i = 0; i < n; i++) E[i * m + i] = 1;
  const v = new Float64Array(m);
  for (let k = n - 1; k >= 0; k--) {
    const tau = tauL[k]!;
    if (tau === 0) continue;
    v[k] = 1;
    for (let i = k + 1; i < m; i++) v[i] = A[i * n + k]!;
    for (let r = k; r < n; r++) {
      const row = r * m;
      let dot = 0;
      for (let i = k; i < m; i++) dot += E[row + i]! * v[i]!;
      const f = tau * dot;
      if (f === 0) continue;
      for (let i = k; i < m; i++) E[row + i] = E[row + i]! - f * v[i]!;
    }
  }
  return E;
}

/** Vᵀ (n×n, row-major) from the right reflectors: G_{n−3}⋯G₀, built the same way. */
function rightVectors(A: Float64Array, n: number, tauR: Float64Array): Float64Array {
  const E = new Float64Array(n * n);
  for (let i = 0; i < n; i++) E[i * n + i] = 1;
  const u = new Float64Array(n);
  for (let k = n - 2; k >= 0; k--) {
    const tau = tauR[k]!;
    if (tau === 0) continue;
    u[k + 1] = 1;
    for (let j = k + 2; j < n; j++) u[j] = A[k * n + j]!;
    for (let r = k + 1; r < n; r++) {
      const row = r * n;
      let dot = 0;
      for (let j = k + 1; j < n; j++) dot += E[row + j]! * u[j]!;
      const f = tau * dot;
      if (f === 0) continue;
      for (let j = k + 1; j < n; j++) E[row + j] = E[row + j]! - f * u[j]!;
    }
  }
  return E;
}

/** Rotates rows a and b of the row-major matrix M (rows of length len): [a; b] ← [c s; −s c]·[a; b]. */
function rotateRows(M: Float64Array, len: number, a: number, b: number, c: number, s: number): void {
  const ra = a * len, rb = b * len;
  for (let i = 0; i < len; i++) {
    const x = M[ra + i]!, y = M[rb + i]!;
    M[ra + i] = c * x + s * y;
    M[rb + i] = -s * x + c * y;
  }
}

/**
 * Diagonalises the n×n upper bidiagonal (s, e) by implicit-shift QR sweeps (LINPACK dsvdc / JAMA),
 * leaving signed singular values in s. When given, the rotations are applied to the rows of Uᵀ
 * (n×m) and Vᵀ (n×n), i.e. to the columns of U and V.
 */
function bidiagonalQr(
  s: Float64Array,
  e: Float64Array,
  ut: Float64Array | null,
  m: number,
  vt: Float64Array | null,
): void {
  const n = s.length;
  const eps = 2 ** -52;
  const tiny = 2 ** -966;
  let p = n;
  let sweeps = 0;
  const maxSweeps = 75 * n + 100;
  while (p > 0) {
    // Find the largest k < p−1 with e[k] negligible (k = −1 if none): the active block is k+1…p−1.
    let k: number;
    for (k = p - 2; k >= 0; k--) {
      if (Math.abs(e[k]!) <= tiny + eps * (Math.abs(s[k]!) + Math.abs(s[k + 1]!))) {
        e[k] = 0;
        break;
      }
    }
    let kase: number;
    if (k === p - 2) {
      kase = 4; // s[p−1] has converged
    } else {
      let ks: number;
      for (ks = p - 1; ks > k; ks--) {
        const t = (ks !== p ? Math.abs(e[ks]!) : 0) + (ks !== k + 1 ? Math.abs(e[ks - 1]!) : 0);
        if (Math.abs(s[ks]!) <= tiny + eps * t) {
          s[ks] = 0;
          break;
        }
      }
      if (ks === k) {
        kase = 3; // a QR sweep on the block
      } else if (ks === p - 1) {
        kase = 1; // s[p−1] is negligible: deflate it
      } else {
        kase = 2; // s[ks] is negligible: split there
        k = ks;
      }
    }
    k++;
    if (kase === 1) {
      // Chase e[p−2] up and out with rotations on columns j and p−1 of V.
      let f = e[p - 2]!;
      e[p - 2] = 0;
      for (let j = p - 2; j >= k; j--) {
        const t = Math.hypot(s[j]!, f);
        const cs = s[j]! / t;
        const sn = f / t;
        s[j] = t;
        if (j !== k) {
          f = -sn * e[j - 1]!;
          e[j - 1] = cs * e[j - 1]!;
        }
        if (vt) rotateRows(vt, n, j, p - 1, cs, sn);
      }
    } else if (kase === 2) {
      // Chase e[k−1] down and out with rotations on columns j and k−1 of U.
      let f = e[k - 1]!;
      e[k - 1] = 0;
      for (let j = k; j < p; j++) {
        const t = Math.hypot(s[j]!, f);
        const cs = s[j]! / t;
        const sn = f / t;
        s[j] = t;
        f = -sn * e[j]!;
        e[j] = cs * e[j]!;
        if (ut) rotateRows(ut, m, j, k - 1, cs, sn);
      }
    } else if (kase === 3) {
      if (++sweeps > maxSweeps) {
        throw new Error(`SVD did not converge after ${maxSweeps} QR sweeps on a ${n}-column bidiagonal`);
      }
      // The shift: the eigenvalue of the trailing 2×2 of BᵀB nearer its last entry (Wilkinson).
      const scale = Math.max(
        Math.abs(s[p - 1]!),
        Math.abs(s[p - 2]!),
        Math.abs(e[p - 2]!),
        Math.abs(s[k]!),
        Math.abs(e[k]!),
      );
      const sp = s[p - 1]! / scale;
      const spm1 = s[p - 2]! / scale;
      const epm1 = e[p - 2]! / scale;
      const sk = s[k]! / scale;
      const ek = e[k]! / scale;
      const b = ((spm1 + sp) * (spm1 - sp) + epm1 * epm1) / 2;
      const c = (sp * epm1) * (sp * epm1);
      let shift = 0;
      if (b !== 0 || c !== 0) {
        shift = Math.sqrt(b * b + c);
        if (b < 0) shift = -shift;
        shift = c / (b + shift);
      }
      let f = (sk + sp) * (sk - sp) + shift;
      let g = sk * ek;
      // Chase the bulge down the block.
      for (let j = k; j < p - 1; j++) {
        let t = Math.hypot(f, g);
        let cs = f / t;
        let sn = g / t;
        if (j !== k) e[j - 1] = t;
        f = cs * s[j]! + sn * e[j]!;
        e[j] = cs * e[j]! - sn * s[j]!;
        g = sn * s[j + 1]!;
        s[j + 1] = cs * s[j + 1]!;
        if (vt) rotateRows(vt, n, j, j + 1, cs, sn);
        t = Math.hypot(f, g);
        cs = f / t;
        sn = g / t;
        s[j] = t;
        f = cs * e[j]! + sn * s[j + 1]!;
        s[j + 1] = -sn * e[j]! + cs * s[j + 1]!;
        g = sn * e[j + 1]!;
        e[j + 1] = cs * e[j + 1]!;
        if (ut) rotateRows(ut, m, j, j + 1, cs, sn);
      }
      e[p - 2] = f;
    } else {
      // Converged: make s[k] non-negative (flipping the matching column of V) and shrink the block.
      if (s[k]! <= 0) {
        s[k] = s[k]! < 0 ? -s[k]! : 0;
        if (vt) { for (let i = 0; i < n; i++) vt[k * n + i] = -vt[k * n + i]!; }
      }
      p--;
    }
  }
}

/** Sorts s descending, permuting the rows of Uᵀ and Vᵀ along; returns the sorted values. */
function sortDescending(
  s: Float64Array,
  ut: Float64Array | null,
  m: number,
  vt: Float64Array | null,
): Float64Array {
  const n = s.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => s[b]! - s[a]! || a - b);
  const sorted = Float64Array.from(order, (i) => s[i]!);
  const permuteRows = (M: Float64Array, len: number) => {
    const copy = M.slice();
    for (let r = 0; r < n; r++) M.set(copy.subarray(order[r]! * len, (order[r]! + 1) * len), r * len);
  };
  if (ut) permuteRows(ut, m);
  if (vt) permuteRows(vt, n);
  return sorted;
}
