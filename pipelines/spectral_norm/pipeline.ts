/**
 * «“让Keras更酷一些！”：随意的输出和灵活的归一化» (kexue.fm/archives/6311), its spectral normalisation:
 * power iteration against the exact largest singular value, and the estimate tracked one iteration per
 * training step. The reusable parts (the tracker, the exact prediction, matrices of a given spectrum)
 * live in numerics/, for i-ResNet and SN-GANs.
 *
 * ```
 *   convergence ──► report
 *   drift ──────────┘
 * ```
 *
 * @module
 */
import { use } from "../../engine/pipeline.ts";
import { numericChecksPipeline } from "../../families/numeric_checks.ts";
import { convergence } from "./convergence.ts";
import { drift } from "./drift.ts";

export const pipeline = numericChecksPipeline({
  name: "spectral-norm",
  description:
    "spectral normalisation's power iteration: convergence by (σ₂/σ₁)^2k, and tracking a drifting matrix",
  article: {
    title: "“让Keras更酷一些！”：随意的输出和灵活的归一化",
    url: "https://kexue.fm/archives/6311",
    date: "2019-01-27",
  },
  title: "Spectral normalisation's power iteration",
  summary:
    "Among its Keras recipes the article writes a spectral-normalisation wrapper: estimate the largest " +
    "singular value of a kernel W by power iteration (u = ones, a few rounds of v ← Wᵀu, u ← Wv, σ ≈ uᵀWv) and " +
    "divide W by it. We check power iteration against the exact σ₁ from the SVD: its error against the number " +
    "of iterations and the spectral gap σ₂/σ₁ (the singular vector converges like (σ₂/σ₁)^(2k), the estimate " +
    "like its square), and how the one-iteration-per-step estimate that spectral normalisation keeps during " +
    "training follows a slowly changing matrix, against a fresh estimate each step.",
  stages: (p) => ({
    convergence: use(convergence),
    drift: use(drift, { params: p.scale === "full" ? { steps: 10_000 } : {} }),
  }),
  headline: {
    stage: "drift",
    metric: "warm_mean_error",
    label: "tracked σ₁: mean relative error",
    lowerIsBetter: true,
  },
  claims: [
    {
      id: "vector-rate",
      claim:
        "Power iteration's singular vector converges like (σ₂/σ₁)^(2k): the fitted rate per iteration is " +
        "(σ₂/σ₁)² within 1%, for σ₂/σ₁ from 0.5 to 0.99 (worst relative deviation).",
      ours: { stage: "convergence", metric: "vector_rate_error" },
      reference: {
        value: 0.01,
        source:
          "v_k ∝ Σ σᵢ^(2k−1) cᵢ vᵢ; fitted in the asymptotic regime, where the other singular values' share is " +
          "below 0.1% (1% leaves room for the fit's rounding noise)",
      },
      check: { kind: "at-most" },
    },
    {
      id: "sigma-rate",
      claim:
        "The estimate σ̃ converges like (σ₂/σ₁)^(4k), the square of the vector's error: the fitted rate is " +
        "(σ₂/σ₁)⁴ within 1% (worst relative deviation).",
      ours: { stage: "convergence", metric: "sigma_rate_error" },
      reference: { value: 0.01, source: "1 − σ̃/σ₁ ≈ ½·(c₂/c₁)²·(1 − r²)·r^(4k−2)" },
      check: { kind: "at-most" },
    },
    {
      id: "matches-prediction",
      claim:
        "Every iterate's estimate equals its exact prediction from the SVD and the start vector, to the rounding " +
        "floor (n + m)·ε: worst deviation in those units at most 1.",
      ours: { stage: "convergence", metric: "theory_ratio" },
      reference: { value: 1, source: "σ̃_k² = Σ cᵢ² σᵢ^(4k) / Σ cᵢ² σᵢ^(4k−2), with cᵢ = uᵢᵀu₀ from the SVD" },
      check: { kind: "at-most" },
    },
    {
      id: "tracking-bound",
      claim:
        "One warm iteration per step keeps σ̃ within its bound from the top singular vector's measured turn and " +
        "the gap, at every step: worst error over (bound + rounding) at most 1.",
      ours: { stage: "drift", metric: "bound_ratio" },
      reference: { value: 1, source: "tan β ≤ r²·tan(β + φ) per step, the tracker's bound" },
      check: { kind: "at-most" },
    },
    {
      id: "tracking-beats-fresh",
      claim:
        "On a slowly changing matrix, one warm iteration per step tracks σ₁ more closely than 5 fresh iterations " +
        "from u = ones every step (mean relative error after warm-up).",
      ours: { stage: "drift", metric: "warm_mean_error" },
      reference: {
        value: { stage: "drift", metric: "fresh_mean_error" },
        source: "the article's wrapper run from u = ones each time (experiments.md §D4)",
      },
      check: { kind: "below" },
    },
  ],
});
