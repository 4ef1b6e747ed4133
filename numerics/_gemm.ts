/**
 * The one matrix-product kernel of `numerics/`: C += α·A·B on row-major blocks given by offset and row
 * stride, so that blocked LU and the matrix functions run their O(n³) work through the same loops.
 *
 * Speed in V8 comes from the loop order, not from SIMD: i-k-j with two rows of C and four of B per pass
 * (each loaded B value feeds two multiply-adds, and each C value is loaded and stored once per four
 * k), and 128×256 blocks of B that stay in L2 while all rows of A stream past. About 4–6 GFLOP/s on one
 * core here for 1024² (`deno task bench linalg`), against 1.2 for the plain i-k-j triple loop.
 *
 * @module
 */

const K_BLOCK = 128;
const J_BLOCK = 256;

/**
 * C[m×n] += alpha · A[m×k] · B[k×n], every matrix row-major inside a larger array: element (i, j) of
 * A is `a[aOff + i*lda + j]`, likewise B and C. C must not overlap A or B.
 */
export function gemm(
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float64Array,
  aOff: number,
  lda: number,
  b: Float64Array,
  bOff: number,
  ldb: number,
  c: Float64Array,
  cOff: number,
  ldc: number,
): void {
  for (let k0 = 0; k0 < k; k0 += K_BLOCK) {
    const k1 = Math.min(k, k0 + K_BLOCK);
    for (let j0 = 0; j0 < n; j0 += J_BLOCK) {
      const j1 = Math.min(n, j0 + J_BLOCK);
      let i = 0;
      for (; i + 1 < m; i += 2) {
        const c0 = cOff + i * ldc, c1 = c0 + ldc;
        const r0 = aOff + i * lda, r1 = r0 + lda;
        let p = k0;
        for (; p + 3 < k1; p += 4) {
          const a0 = alpha * a[r0 + p]!, a1 = alpha * a[r0 + p + 1]!;
          const a2 = alpha * a[r0 + p + 2]!, a3 = alpha * a[r0 + p + 3]!;
          const e0 = alpha * a[r1 + p]!, e1 = alpha * a[r1 + p + 1]!;
          const e2 = alpha * a[r1 + p + 2]!, e3 = alpha * a[r1 + p + 3]!;
          const b0 = bOff + p * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
          for (let j = j0; j < j1; j++) {
            const x0 = b[b0 + j]!, x1 = b[b1 + j]!, x2 = b[b2 + j]!, x3 = b[b3 + j]!;
            c[c0 + j] = c[c0 + j]! + (a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3);
            c[c1 + j] = c[c1 + j]! + (e0 * x0 + e1 * x1 + e2 * x2 + e3 * x3);
          }
        }
        for (; p < k1; p++) {
          const a0 = alpha * a[r0 + p]!, e0 = alpha * a[r1 + p]!;
          const b0 = bOff + p * ldb;
          for (let j = j0; j < j1; j++) {
            const x = b[b0 + j]!;
            c[c0 + j] = c[c0 + j]! + a0 * x;
            c[c1 + j] = c[c1 + j]! + e0 * x;
          }
        }
      }
      for (; i < m; i++) {
        const c0 = cOff + i * ldc, r0 = aOff + i * lda;
        for (let p = k0; p < k1; p++) {
          const a0 = alpha * a[r0 + p]!;
          const b0 = bOff + p * ldb;
          for (let j = j0; j < j1; j++) c[c0 + j] = c[c0 + j]! + a0 * b[b0 + j]!;
        }
      }
    }
  }
}
