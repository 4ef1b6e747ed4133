/**
 * Exact identities of four Scientific Spaces articles, checked in float64 against the precision the
 * conditioning allows: det(exp A) = exp(tr A) and the series of ln det(I + A) (kexue.fm/archives/6377, the
 * pipeline's article), exp(x yᵀ) in closed form (6407), Wasserstein duality (6280) and the Gumbel-max
 * trick (6705 §1).
 *
 * ```
 *   det-exp ─────┐
 *   series ──────┤
 *   rank-one ────┼──► report
 *   transport ───┤
 *   gumbel ──────┘
 * ```
 *
 * @module
 */
import { use } from "../../engine/pipeline.ts";
import { numericChecksPipeline } from "../../families/numeric_checks.ts";
import { detExp } from "./det_exp.ts";
import { expRankOneCheck } from "./exp_rank_one.ts";
import { gumbelMax } from "./gumbel_max.ts";
import { logSeries } from "./log_series.ts";
import { wasserstein } from "./wasserstein.ts";

const FLOOR = "the float64 floor c·n·ε·κ (ε = 2⁻⁵²), the first-order bound of the computation's rounding";

export const pipeline = numericChecksPipeline({
  name: "math-checks",
  description:
    "det(exp A) = exp(tr A), exp(x yᵀ) in closed form, Wasserstein duality, Gumbel-max, in float64",
  article: {
    title: "恒等式 det(exp(A)) = exp(Tr(A)) 赏析",
    url: "https://kexue.fm/archives/6377",
    date: "2019-02-18",
  },
  title: "Exact identities, checked in float64",
  summary:
    "Four articles state identities that a computer can check exactly. «恒等式 det(exp(A)) = exp(Tr(A)) 赏析» " +
    "(kexue.fm/archives/6377, this pipeline's article) proves det(exp A) = exp(tr A) and links it, through " +
    "ln det(I + A) = Σ (−1)^(k−1) tr(Aᵏ)/k, to i-ResNet's log-determinant. «构造一个显式的、总是可逆的矩阵» " +
    "(kexue.fm/archives/6407) gives exp(x yᵀ) = I + x yᵀ(e^⟨x,y⟩ − 1)/⟨x,y⟩ in closed form, with determinant " +
    "e^⟨x,y⟩ and inverse exp(−x yᵀ). «从Wasserstein距离、对偶理论到WGAN» (kexue.fm/archives/6280) writes optimal " +
    "transport as a linear programme whose dual, for a metric cost, is the Kantorovich–Rubinstein form WGAN " +
    "uses. «漫谈重参数：从正态分布到Gumbel Softmax» (kexue.fm/archives/6705, §1) samples a categorical " +
    "distribution as argmax(log p + Gumbel noise). Each identity is checked over sizes and conditioning, and " +
    "its error is reported against the float64 floor its condition number sets (n·ε·κ); the sampling claim " +
    "is a χ² test at a stated level.",
  stages: (p) => ({
    "det-exp": use(detExp, {
      params: p.scale === "full" ? { sizes: [2, 4, 8, 16, 32, 64, 128, 256, 512] } : {},
    }),
    series: use(logSeries),
    "rank-one": use(expRankOneCheck),
    transport: use(wasserstein, { params: p.scale === "full" ? { problems: 5 } : {} }),
    gumbel: use(gumbelMax, { params: p.scale === "full" ? { draws: 2_000_000 } : {} }),
  }),
  headline: {
    stage: "det-exp",
    metric: "worst_ratio",
    label: "det(exp A): worst error / floor",
    lowerIsBetter: true,
  },
  claims: [
    {
      id: "det-exp",
      claim:
        "det(exp A) = exp(tr A) for n = 2 … 256, Gaussian, normal, non-normal and ill-conditioned (κ(S) up to " +
        "1e7) A: the worst error of log det exp A − tr A, in units of its floor n·ε·κ₂(exp A)·(n + ‖A‖₂), is at " +
        "most 1.",
      ours: { stage: "det-exp", metric: "worst_ratio" },
      reference: {
        value: 1,
        source: `kexue.fm/archives/6377 (the identity); ${FLOOR}: κ₂(exp A) times LU's and expm's errors`,
      },
      check: { kind: "at-most" },
      differs:
        "the identity is exact; what is checked is that float64 shows it as well as the conditioning allows",
    },
    {
      id: "log-series-bound",
      claim: "ln det(I + A) = Σ (−1)^(k−1) tr(Aᵏ) / k for ρ(A) < 1, with error after K terms at most " +
        "n ρ^(K+1) / ((K+1)(1 − ρ)) plus rounding: the worst error over that bound is at most 1.",
      ours: { stage: "series", metric: "bound_ratio" },
      reference: { value: 1, source: "kexue.fm/archives/6377; the bound from tr(Aᵏ) = Σ λᵢᵏ" },
      check: { kind: "at-most" },
    },
    {
      id: "log-series-rate",
      claim:
        "The series' truncation error falls like ρ(A)^K / K: the fitted rate per term is ρ within 1%, for " +
        "ρ = 0.5, 0.8 and 0.9.",
      ours: { stage: "series", metric: "rate_error" },
      reference: {
        value: 0.01,
        source: "the order ρ^K / K (kexue.fm/archives/6377); 1% bounds the fit's bias from the tail's 1/K " +
          "correction, ρ / ((1 − ρ) K₀ K₁) ≤ 0.3% here, and its rounding noise (≪ 0.1%)",
      },
      check: { kind: "at-most" },
    },
    {
      id: "exp-rank-one",
      claim:
        "exp(x yᵀ) = I + x yᵀ (e^s − 1) / s with s = ⟨x, y⟩ (s = 0 … ±3.9, n = 2 … 256): the worst relative " +
        "error against expm, in units of c·n·ε·κ_exp (c ≤ 7 + s: expm's products), is at most 1.",
      ours: { stage: "rank-one", metric: "formula" },
      reference: { value: 1, source: `kexue.fm/archives/6407; ${FLOOR}, κ = κ_exp, exp's condition number` },
      check: { kind: "at-most" },
    },
    {
      id: "exp-rank-one-det",
      claim: "det exp(x yᵀ) = e^⟨x,y⟩: the worst |log det − ⟨x, y⟩| in units of n²·ε·κ₂ is at most 1.",
      ours: { stage: "rank-one", metric: "det" },
      reference: { value: 1, source: `kexue.fm/archives/6407; ${FLOOR}, κ = κ₂(exp(x yᵀ))` },
      check: { kind: "at-most" },
    },
    {
      id: "exp-rank-one-inverse",
      claim:
        "exp(x yᵀ)⁻¹ = exp(−x yᵀ) = I − x yᵀ (1 − e^−s) / s: the worst relative error against expm(−x yᵀ), " +
        "in units of c·n·ε·κ_exp, is at most 1.",
      ours: { stage: "rank-one", metric: "inverse" },
      reference: { value: 1, source: `kexue.fm/archives/6407; ${FLOOR}, κ = κ_exp(−x yᵀ)` },
      check: { kind: "at-most" },
    },
    {
      id: "wasserstein-duality",
      claim: "The transport LP's primal and dual optima agree to 1e-9 on 1-D and 2-D grids (strong duality).",
      ours: { stage: "transport", metric: "max_gap" },
      reference: {
        value: 1e-9,
        source:
          "kexue.fm/archives/6280 (LP duality); 1e-9 is issue 10's target (the float64 floor is ~1e-14)",
      },
      check: { kind: "at-most" },
    },
    {
      id: "wasserstein-1d-cdf",
      claim:
        "On a line the optimal transport cost is ∫ |F − G| dx: the worst gap in units of 2n·ε·max C is at most 1.",
      ours: { stage: "transport", metric: "cdf_ratio" },
      reference: {
        value: 1,
        source:
          "kexue.fm/archives/6280 (SciPy's wasserstein_distance computes W₁ so); the LP optimum's float64 floor",
      },
      check: { kind: "at-most" },
    },
    {
      id: "kantorovich-rubinstein",
      claim:
        "For a metric cost the dual optimum is g = −f with f 1-Lipschitz: the c-transform of the LP's g attains W, " +
        "worst error in units of 2n·ε·max C at most 1.",
      ours: { stage: "transport", metric: "kr_ratio" },
      reference: {
        value: 1,
        source: "kexue.fm/archives/6280 (Kantorovich–Rubinstein duality, WGAN's critic)",
      },
      check: { kind: "at-most" },
    },
    {
      id: "gumbel-max",
      claim:
        "argmax(log p + Gumbel noise) samples the categorical p: χ² tests on 5 distributions pass at family " +
        "level 0.01 (each at 0.002, Bonferroni; a correct sampler fails with probability ≤ 1%).",
      ours: { stage: "gumbel", metric: "min_p" },
      reference: { value: { stage: "gumbel", metric: "level_each" }, source: "kexue.fm/archives/6705 §1" },
      check: { kind: "at-least" },
    },
    {
      id: "gumbel-control",
      claim:
        "The same χ² test rejects the trick with Gaussian noise in place of Gumbel noise, on every distribution.",
      ours: { stage: "gumbel", metric: "control_p" },
      reference: {
        value: { stage: "gumbel", metric: "level_each" },
        source: "a control: shows that the test has the power to fail",
      },
      check: { kind: "below" },
    },
  ],
});
