/**
 * «Muon优化器赏析：从向量到矩阵的本质跨越» (kexue.fm/archives/10592): the Newton–Schulz coefficient study.
 *
 * ```
 *   spectra ──► fit ──► report
 *   ns-matrix ───────────┘
 * ```
 *
 * The default run decomposes 15 Gaussian matrices exactly (8 of 1024², 4 of 2048×1024, 2 of 4096×1024, 1 of
 * 2048²) and runs the article's 100,000-step fit for each of the table's 12 rows: a few minutes on two
 * cores, nearly all of it the fits (full-batch, 2,048–8,192 values × T steps per step) and the SVDs.
 *
 * @module
 */
import { use } from "../../engine/pipeline.ts";
import type { ClaimDef } from "../../engine/claims.ts";
import { numericChecksPipeline } from "../../families/numeric_checks.ts";
import { ARTICLE_SOURCE, ARTICLE_TABLE, rowKey, TABLE_TOLERANCE } from "./article_table.ts";
import { coefficients } from "./coefficients.ts";
import { nsMatrix } from "./ns_matrix.ts";
import { spectra } from "./spectra.ts";

/** The rows the issue asks to reproduce within 1%: 1024² and 2048×1024 at T = 3 and 5. */
const REPRODUCED = ARTICLE_TABLE.filter((r) => r.m === 1024 && r.n <= 2048);

const rowClaims: ClaimDef[] = REPRODUCED.flatMap((r) => {
  const key = rowKey(r);
  const shape = `${r.n}×${r.m}, T = ${r.steps}`;
  return [
    {
      id: `mse-${r.n}x${r.m}-t${r.steps}`,
      claim: `${shape}: coefficients fitted by the article's procedure reach mse ${r.mse} (within 1%).`,
      ours: { stage: "fit", metric: `mse-${key}` },
      reference: { value: r.mse, source: ARTICLE_SOURCE },
      check: { kind: "near", ...TABLE_TOLERANCE },
      differs: "8 (1024²) or 4 (2048×1024) matrices instead of 1000; float64 instead of float32",
    },
    {
      id: `mse-o-${r.n}x${r.m}-t${r.steps}`,
      claim: `${shape}: Muon's official coefficients give mse_o ${r.mseOfficial} (within 1%).`,
      ours: { stage: "fit", metric: `mse_o-${key}` },
      reference: { value: r.mseOfficial, source: ARTICLE_SOURCE },
      check: { kind: "near", ...TABLE_TOLERANCE },
      differs: "8 (1024²) or 4 (2048×1024) matrices instead of 1000; float64 instead of float32",
    },
  ];
});

/** scale=full: 4× the matrices per exact shape. */
const fullExact = { "1024x1024": 32, "2048x1024": 16, "4096x1024": 8, "2048x2048": 4 };

export const pipeline = numericChecksPipeline({
  name: "muon-ns",
  description: "Muon's Newton–Schulz coefficients: the article's fitted-coefficient table, mse and mse_o",
  article: {
    title: "Muon优化器赏析：从向量到矩阵的本质跨越",
    url: "https://kexue.fm/archives/10592",
    date: "2024-12-10",
  },
  title: "Muon's Newton–Schulz coefficients",
  summary:
    "Muon replaces each update by msign(M) = U·Vᵀ, approximated by the Newton–Schulz iteration X ← aX + " +
    "b(XXᵀ)X + c(XXᵀ)²X from X₀ = M/‖M‖_F, which maps every singular value through g(x) = ax + bx³ + cx⁵. " +
    "The article asks where the official (3.4445, −4.7750, 2.0315) come from: it reparametrises g by its fixed " +
    "points, g(x) = x + κx(x² − x₁²)(x² − x₂²), fits (κ, x₁, x₂) by gradient descent so that T steps send " +
    "the singular values of normalised Gaussian matrices to 1, and tabulates the mean squared error for the " +
    "fitted (mse) and official (mse_o) coefficients per shape and T. We rerun its procedure on exact singular " +
    "values (numerics/svd.ts) for the shapes up to 2048², on the Marchenko–Pastur law for 4096² and 8192², " +
    "and check the matrix iteration itself against the exact polar factor. The default run takes a few " +
    "minutes: the article's 100,000 full-batch descent steps for each of its 12 rows, and 15 exact SVDs.",
  stages: (p) => ({
    spectra: use(spectra, p.scale === "full" ? { params: { exact: fullExact } } : {}),
    fit: use(coefficients, { inputs: { spectra: "spectra" } }),
    "ns-matrix": use(nsMatrix),
  }),
  headline: { stage: "fit", metric: "mse_o-1024x1024-T5", label: "mse_o, 1024², T = 5 (article 0.04431)" },
  claims: [
    ...rowClaims,
    {
      id: "mse-o-every-row",
      claim:
        "Every row of the table: the official coefficients' mse_o within 1% (plus half a unit of its last digit); " +
        "the worst row, in units of that tolerance, is at most 1.",
      ours: { stage: "fit", metric: "worst_mse_o_ratio" },
      reference: { value: 1, source: ARTICLE_SOURCE },
      check: { kind: "at-most" },
      differs:
        "4096² and 8192² from the Marchenko–Pastur law (their exact SVDs would take minutes to hours here)",
    },
    {
      id: "mse-every-row",
      claim:
        "Every row of the table: the fitted coefficients' mse within 1% (plus half a unit of its last digit), " +
        "where the descent has converged; the worst row, in units of that tolerance, is at most 1.",
      ours: { stage: "fit", metric: "worst_mse_ratio" },
      reference: { value: 1, source: ARTICLE_SOURCE },
      check: { kind: "at-most" },
      differs:
        "4096² and 8192² from the Marchenko–Pastur law; a row still descending after the article's 100,000 steps " +
        "is continued until it converges (8192², T = 3, on the law's values: see the report)",
    },
    {
      id: "ns-scalar-map",
      claim:
        "Newton–Schulz on a matrix maps its normalised singular values through g⁵: worst error over its floor ≤ 1.",
      ours: { stage: "ns-matrix", metric: "scalar_map_ratio" },
      reference: {
        value: 1,
        source: "the article: the iteration acts on Σ alone; the rounding floor of ns-matrix",
      },
      check: { kind: "at-most" },
    },
    {
      id: "ns-docstring-range",
      claim:
        "On a tall Gaussian matrix the official NS5 stays within 0.5 of the polar factor: ‖X₅ − U·Vᵀ‖₂ ≤ 0.5.",
      ours: { stage: "ns-matrix", metric: "tall_polar_distance" },
      reference: { value: 0.5, source: "KellerJordan/Muon's docstring: S' ~ Uniform(0.5, 1.5)" },
      check: { kind: "at-most" },
      differs:
        "float64, not bfloat16; square matrices keep their smallest singular values below 0.5 (report)",
    },
  ],
});
