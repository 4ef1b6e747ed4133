/**
 * «从最大似然到EM算法：一致的理解方式» (kexue.fm/archives/5239) and «梯度下降和EM算法：系出同源，一脉相承»
 * (kexue.fm/archives/4277): EM for Gaussian mixtures and pLSA, written as the articles derive it, checked
 * against known parameters, scikit-learn and gradient methods on the same likelihood.
 *
 * ```
 *   synthetic ─────────┐
 *   digits-data ► digits ┼─► report
 *   plsa ──────────────┘
 * ```
 *
 * @module
 */
import { use } from "../../engine/pipeline.ts";
import { numericChecksPipeline } from "../../families/numeric_checks.ts";
import { sklearnDigitsStage } from "../../stages/data/sources/sklearn_digits.ts";
import { digits } from "./digits.ts";
import { plsa } from "./plsa_stage.ts";
import { synthetic } from "./synthetic.ts";

const SKLEARN_TOLERANCE = 1e-10;

export const pipeline = numericChecksPipeline({
  name: "em-gmm",
  description:
    "EM for Gaussian mixtures and pLSA, against the truth, scikit-learn, gradient ascent and K-means",
  article: {
    title: "从最大似然到EM算法：一致的理解方式",
    url: "https://kexue.fm/archives/5239",
    date: "2018-03-15",
  },
  title: "EM as alternating maximisation, for Gaussian mixtures and pLSA",
  summary:
    "The articles derive EM as alternating minimisation of KL(p̃(X)p̃(Y|X) ‖ p_θ(X, Y)): the E-step sets " +
    "p̃(Y|X) to the posterior, the M-step maximises the expected complete-data log-likelihood, so the likelihood " +
    "never falls (5239); and they read EM and gradient descent as the same idea, EM being the step that keeps " +
    "the constraints without a projection, with K-means as its hard-assignment limit (4277). Neither article runs " +
    "an experiment; these checks run EM as derived on a 2-D mixture with known parameters and on the 8×8 digits " +
    "after PCA, against scikit-learn from the same start, against gradient ascent on the same likelihood, and " +
    "pLSA by EM against projected gradient.",
  stages: () => ({
    synthetic: use(synthetic),
    "digits-data": use(sklearnDigitsStage),
    digits: use(digits, { inputs: { data: "digits-data" } }),
    plsa: use(plsa),
  }),
  headline: { stage: "digits", metric: "test_ll", label: "digits test log-likelihood (nats/digit)" },
  claims: [
    {
      id: "monotone-synthetic",
      claim: "EM never decreases the log-likelihood (2-D mixture).",
      ours: { stage: "synthetic", metric: "em_max_drop" },
      reference: {
        value: 1e-12,
        source: "the issue's tolerance: the float64 rounding of an n-term sum is n·ε ≈ 3e-13",
      },
      check: { kind: "at-most" },
    },
    {
      id: "monotone-digits",
      claim: "EM never decreases the log-likelihood (digits, 10 components in 10 dimensions).",
      ours: { stage: "digits", metric: "em_max_drop" },
      reference: { value: 1e-12, source: "as above" },
      check: { kind: "at-most" },
    },
    {
      id: "recovers-truth",
      claim: "EM recovers the true mixture's parameters within sampling error.",
      ours: { stage: "synthetic", metric: "max_abs_z" },
      reference: {
        value: { stage: "synthetic", metric: "z_threshold" },
        source:
          "Bonferroni bound: all |z| below it with probability ≥ 99 % (parametric-bootstrap standard errors)",
      },
      check: { kind: "at-most" },
    },
    {
      id: "sklearn-synthetic",
      claim:
        "The log-likelihood after each iteration matches scikit-learn's GaussianMixture from the same start (2-D).",
      ours: { stage: "synthetic", metric: "sklearn_diff" },
      reference: {
        value: SKLEARN_TOLERANCE,
        source:
          "scikit-learn 1.2.1 fixture; tolerance: float64 summation error n·ε ≈ 3e-13 with 300× margin " +
          "(sklearn's default reg_covar = 1e-6 would differ by ~1e-7)",
      },
      check: { kind: "at-most" },
    },
    {
      id: "sklearn-digits",
      claim: "The same on the digits (10-d, 10 components).",
      ours: { stage: "digits", metric: "sklearn_diff" },
      reference: { value: SKLEARN_TOLERANCE, source: "scikit-learn 1.2.1 fixture, tolerance as above" },
      check: { kind: "at-most" },
    },
    {
      id: "ascent-same-optimum",
      claim: "Gradient ascent on the same likelihood reaches the same optimum as EM.",
      ours: { stage: "synthetic", metric: "ascent_gap" },
      reference: {
        value: 1e-6,
        source: "it stops once within 1e-6 nats per point of EM's optimum (≈ 3e-7 relative)",
      },
      check: { kind: "at-most" },
    },
    {
      id: "ascent-slower",
      claim: "…and needs more iterations than EM to get there.",
      ours: { stage: "synthetic", metric: "ascent_steps" },
      reference: { value: { stage: "synthetic", metric: "em_steps" }, source: "EM from the same start" },
      check: { kind: "above" },
    },
    {
      id: "plsa-monotone",
      claim: "pLSA by EM never decreases the log-likelihood.",
      ours: { stage: "plsa", metric: "em_max_drop" },
      reference: { value: 1e-12, source: "float64 rounding" },
      check: { kind: "at-most" },
    },
    {
      id: "plsa-em-faster",
      claim:
        "pLSA by EM climbs faster than projected gradient: after as many iterations from the same start, " +
        "its log-likelihood is higher.",
      ours: { stage: "plsa", metric: "em_ll" },
      reference: {
        value: { stage: "plsa", metric: "pg_ll" },
        source:
          "projected gradient with a backtracking line search, same start, corpus and number of iterations (500)",
      },
      check: { kind: "above" },
    },
    {
      id: "kmeans-limit",
      claim:
        "K-means is EM's limit: with a fixed σ²I and σ → 0, EM's partition is K-means' from the same seeds.",
      ours: { stage: "digits", metric: "kmeans_agreement" },
      reference: { value: 1, source: "every point in the same cluster, at σ = 0.02 × the data's spread" },
      check: { kind: "at-least" },
    },
    {
      id: "kmeans-monotone",
      claim: "K-means' objective never rises.",
      ours: { stage: "digits", metric: "kmeans_max_rise" },
      reference: { value: 0, source: "Lloyd's steps are exact minimisations" },
      check: { kind: "at-most" },
    },
  ],
  highlights: [
    { label: "EM iterations (digits)", ours: { stage: "digits", metric: "em_iterations" } },
    { label: "gradient-ascent iterations (2-D)", ours: { stage: "synthetic", metric: "ascent_steps" } },
    { label: "K-means iterations (digits)", ours: { stage: "digits", metric: "kmeans_iterations" } },
  ],
  comparison: {
    rows: [
      {
        quantity: "EM iterations to convergence, 2-D mixture",
        ours: "{synthetic:em_iterations}",
        reference: null,
        note: "the articles derive, they do not run",
      },
      {
        quantity: "relative difference to scikit-learn (2-D / digits)",
        ours: "{synthetic:sklearn_diff} / {digits:sklearn_diff}",
        reference: null,
        source: "scikit-learn 1.2.1 from the same start",
      },
    ],
    note:
      "Neither article has numbers: the references are the truth of a synthetic mixture, scikit-learn run on " +
      "the same arrays (recorded once by a dev-time script, fixtures/make_sklearn_fixture.ts), and the articles' " +
      "qualitative statements (monotone likelihood, EM vs gradient, K-means as a limit).",
  },
});
