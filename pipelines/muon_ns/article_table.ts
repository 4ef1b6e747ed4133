/**
 * The coefficient table of «Muon优化器赏析：从向量到矩阵的本质跨越» (kexue.fm/archives/10592): for each
 * matrix shape n×m and step count T, the coefficients Su fitted (κ, x₁, x₂ and the a, b, c they expand
 * to), the mean squared error of g^(T)(σ) − 1 they reach (mse), and that of Muon's official coefficients
 * (mse_o), over the singular values of 1000 Frobenius-normalised Gaussian matrices, in JAX (float32).
 * Stated once here; the claims, the report and the benchmark read it.
 *
 * @module
 */

export interface ArticleRow {
  n: number;
  m: number;
  steps: number;
  kappa: number;
  x1: number;
  x2: number;
  a: number;
  b: number;
  c: number;
  mse: number;
  mseOfficial: number;
}

const row = (
  n: number,
  m: number,
  steps: number,
  kappa: number,
  x1: number,
  x2: number,
  a: number,
  b: number,
  c: number,
  mse: number,
  mseOfficial: number,
): ArticleRow => ({ n, m, steps, kappa, x1, x2, a, b, c, mse, mseOfficial });

export const ARTICLE_TABLE: readonly ArticleRow[] = [
  row(1024, 1024, 3, 7.020, 0.830, 0.830, 4.328, -9.666, 7.020, 0.10257, 0.18278),
  row(1024, 1024, 5, 1.724, 0.935, 1.235, 3.297, -4.136, 1.724, 0.02733, 0.04431),
  row(2048, 1024, 3, 7.028, 0.815, 0.815, 4.095, -9.327, 7.028, 0.01628, 0.06171),
  row(2048, 1024, 5, 1.476, 0.983, 1.074, 2.644, -3.128, 1.476, 0.00038, 0.02954),
  row(4096, 1024, 3, 6.948, 0.802, 0.804, 3.886, -8.956, 6.948, 0.00371, 0.02574),
  row(4096, 1024, 5, 1.214, 1.047, 1.048, 2.461, -2.663, 1.214, 0.00008, 0.02563),
  row(2048, 2048, 3, 11.130, 0.767, 0.767, 4.857, -13.103, 11.130, 0.10739, 0.24410),
  row(2048, 2048, 5, 1.779, 0.921, 1.243, 3.333, -4.259, 1.779, 0.03516, 0.04991),
  row(4096, 4096, 3, 18.017, 0.705, 0.705, 5.460, -17.929, 18.017, 0.11303, 0.33404),
  row(4096, 4096, 5, 2.057, 0.894, 1.201, 3.373, -4.613, 2.057, 0.04700, 0.06372),
  row(8192, 8192, 3, 30.147, 0.643, 0.643, 6.139, -24.893, 30.147, 0.11944, 0.44843),
  row(8192, 8192, 5, 2.310, 0.871, 1.168, 3.389, -4.902, 2.310, 0.05869, 0.07606),
];

/** The key a row's metrics carry, `1024x1024-T5` (hyphens, so that a report's table can break the name). */
export function rowKey(r: { n: number; m: number; steps: number }): string {
  return `${r.n}x${r.m}-T${r.steps}`;
}

export const ARTICLE_SOURCE = "the article's table (1000 matrices per row, JAX, float32)";

/**
 * How close a reproduced mse must come to the table's: 1% (the target), plus half a unit in the
 * table's last printed digit (it prints 5 decimals, so 0.00038 stands for anything in [0.000375, 0.000385)).
 */
export const TABLE_TOLERANCE = { rel: 0.01, abs: 5e-6 } as const;

/** |ours − article| in units of TABLE_TOLERANCE: ≤ 1 when the row reproduces. */
export function toleranceRatio(ours: number, article: number): number {
  return Math.abs(ours - article) / (TABLE_TOLERANCE.rel * Math.abs(article) + TABLE_TOLERANCE.abs);
}
