/**
 * «用傅里叶级数拟合一维概率密度函数» (kexue.fm/archives/10007): the Fourier basis density model as
 * google/codex's demo trains it, on the demo's exact target, with a sweep over the number of
 * frequencies and the smoothness weight, the real-line map, a heavy-tailed target, and Gaussian-mixture
 * baselines of equal parameter count.
 *
 * ```
 *   data ──┬─► graph@v ─► train@v ─► evaluate@v ─┐   (v: f14 = the demo, f4, f8, f32, γ, tanh)
 *          └─► gmm ─────────────────────────────┼─► compare ─► report
 *   data-t ┬─► …@student-t ──────────────────────┤
 *          └─► gmm-t ────────────────────────────┘
 * ```
 *
 * @module
 */
import { z } from "zod";
import { use, variants, variantStages } from "../../engine/pipeline.ts";
import { numericChecksPipeline } from "../../families/numeric_checks.ts";
import { synthetic1dStage } from "../../stages/data/sources/synthetic_1d.ts";
import { likelihood } from "../../stages/eval/likelihood.ts";
import { train } from "../../stages/train/train.ts";
import { compare } from "./compare.ts";
import { gmmBaseline } from "./gmm_baseline.ts";
import { graph } from "./graph.ts";

/** Steps fused per onnxruntime call: the step is tiny, so the per-call cost dominates without fusion. */
const FUSE = 1000;

/** The variants: the demo's model first (the comparison's reference row). */
const VARIANTS: Record<
  string,
  { target: "mixture" | "student-t"; freqs: number; map: "periodic" | "tanh"; gamma: number }
> = {
  f14: { target: "mixture", freqs: 14, map: "periodic", gamma: 0 },
  f4: { target: "mixture", freqs: 4, map: "periodic", gamma: 0 },
  f8: { target: "mixture", freqs: 8, map: "periodic", gamma: 0 },
  f32: { target: "mixture", freqs: 32, map: "periodic", gamma: 0 },
  "gamma-1e-5": { target: "mixture", freqs: 14, map: "periodic", gamma: 1e-5 },
  "gamma-1e-4": { target: "mixture", freqs: 14, map: "periodic", gamma: 1e-4 },
  "gamma-1e-3": { target: "mixture", freqs: 14, map: "periodic", gamma: 1e-3 },
  tanh: { target: "mixture", freqs: 14, map: "tanh", gamma: 0 },
  "student-t": { target: "student-t", freqs: 14, map: "tanh", gamma: 0 },
};

const parameterCount = (v: { freqs: number; map: string }) => 2 * v.freqs + (v.map === "tanh" ? 2 : 0);
const dataOf = (target: string) => (target === "mixture" ? "data" : "data-t");

const f = (stage: string, metric: string) => ({ stage, metric });

export const pipeline = numericChecksPipeline({
  name: "fourier-density",
  description:
    "Fourier basis density model (codex demo) on its exact target: N and γ sweep, real line, heavy tails, GMM",
  article: {
    title: "用傅里叶级数拟合一维概率密度函数",
    url: "https://kexue.fm/archives/10007",
    date: "2024-03-07",
  },
  title: "A Fourier series as a density: the FBDM demo, its sweep and its baselines",
  summary: "The article builds a density on [−1, 1] from a Fourier series whose coefficients are an " +
    "autocorrelation c_n = Σ a_{k+n} a_k* (so the series is |Σ a_k e^{−iπkx}|² ≥ 0, normalised by 2c₀), maps " +
    "it to the real line by x = tanh((y − μ)/σ), adds a smoothness penalty γ∫|f′|², and says that the model beats " +
    "a Gaussian mixture on KL and modes at equal parameter count. It runs no experiment; google/codex's demo " +
    "trains 14 coefficients with Adam (10⁻³, 30,000 steps of 32 fresh samples) on a mixture of 10 Gaussians and " +
    "reports a validation NLL of −0.410. We train the same model, in real arithmetic as ONNX graphs, on the demo's " +
    "exact mixture (its locs and scales drawn with JAX's threefry generator, checked against the curve the notebook " +
    "plots), and judge it by held-out NLL and by KL and entropy from quadrature.",
  params: z.object({ scale: z.enum(["small", "full"]).default("small") }).strict(),
  stages: () => ({
    data: use(synthetic1dStage, { params: { draws: "jax" } }),
    "data-t": use(synthetic1dStage, { params: { draws: "jax", family: "student-t", dof: 3 } }),
    ...variants(VARIANTS, (v, at, name) => ({
      graph: use(graph, { params: { freqs: v.freqs, map: v.map, gamma: v.gamma, fuse: [FUSE] } }),
      train: use(train, {
        params: {
          steps: 30_000,
          fuse: FUSE,
          feeds: { x: "images" },
          transform: {},
          logEvery: 1000,
          snapshotEvery: 1000,
          checkpointEvery: 10_000,
        },
        inputs: { graph: at("graph"), data: dataOf(v.target) },
      }),
      evaluate: use(likelihood, {
        params: {
          splits: ["test"],
          select: null,
          title: name === "f14"
            ? "The demo's model: 14 coefficients on [−1, 1]"
            : name === "student-t"
            ? "The real-line model on a heavy-tailed target"
            : "none",
        },
        inputs: { trained: at("train"), data: dataOf(v.target) },
      }),
    })),
    gmm: use(gmmBaseline, {
      params: { parameters: parameterCount(VARIANTS.f14!) },
      inputs: { data: "data" },
    }),
    "gmm-t": use(gmmBaseline, {
      params: { parameters: parameterCount(VARIANTS["student-t"]!) },
      inputs: { data: "data-t" },
    }),
    compare: use(compare, {
      groups: { evaluations: variantStages("evaluate", VARIANTS), baselines: ["gmm", "gmm-t"] },
    }),
  }),
  headline: {
    stage: "evaluate@f14",
    metric: "test_nll",
    label: "validation NLL (demo −0.410)",
    lowerIsBetter: true,
  },
  claims: [
    {
      id: "validation-nll",
      claim:
        "After 30,000 Adam steps the 14-coefficient model reaches a validation NLL of about −0.41 (≤ −0.40).",
      ours: f("evaluate@f14", "test_nll"),
      reference: {
        value: -0.4,
        source: "codex demo notebook: trained NLL −0.410008 on its 1,024 validation samples",
      },
      check: { kind: "at-most" },
      differs:
        "the demo's −0.410008 depends on JAX's RNG: its validation samples, training batches and initial " +
        "coefficients; we reproduce its target density exactly but draw those with our own generator, and 1,024 " +
        "samples carry a sampling error of about 0.02 nats",
    },
    {
      id: "expected-nll",
      claim: "…and so does its expected NLL, free of the validation sample's noise.",
      ours: f("evaluate@f14", "cross_entropy"),
      reference: { value: -0.4, source: "as above; ours is ∫ p (−log q) = H(p) + KL by quadrature" },
      check: { kind: "at-most" },
    },
    {
      id: "near-entropy",
      claim:
        "The validation NLL is within 0.05 nats of the target's entropy, the lowest NLL any model can expect.",
      ours: f("evaluate@f14", "test_nll"),
      reference: {
        value: f("evaluate@f14", "entropy"),
        source: "entropy of the demo's mixture by quadrature",
      },
      check: { kind: "near", abs: 0.05, sigmas: 3, stderr: f("evaluate@f14", "test_nll_se") },
    },
    {
      id: "kl-below-005",
      claim: "Exactly: the expected NLL exceeds the entropy by KL(p ‖ q) ≤ 0.05 nats.",
      ours: f("evaluate@f14", "kl"),
      reference: { value: 0.05, source: "the same 0.05 nats, against KL by quadrature (error ~1e-9)" },
      check: { kind: "at-most" },
    },
    {
      id: "beats-gmm-kl",
      claim:
        "At equal parameter count the FBDM fits the target better than a Gaussian mixture: lower KL(p ‖ q).",
      ours: f("evaluate@f14", "kl"),
      reference: {
        value: f("gmm", "kl"),
        source:
          "GMM with K = 9 components (26 ≤ 28 parameters) by EM on all 960,000 training samples (grouped on a 10⁻³ grid), best of 2 k-means++ starts",
      },
      check: { kind: "below" },
      differs:
        "the article (after the paper's figure) compares at equal parameters on other targets; the demo's " +
        "target is itself a 10-Gaussian mixture with 29 parameters, which favours the GMM",
    },
    {
      id: "modes",
      claim: "…and recovers the target's modes.",
      ours: f("evaluate@f14", "modes_model"),
      reference: {
        value: f("evaluate@f14", "modes_target"),
        source: "modes of the target density (same rule)",
      },
      check: { kind: "near", abs: 0 },
    },
    {
      id: "kl-falls-with-n",
      claim: "More frequencies fit better: KL with N = 8 is below KL with N = 4…",
      ours: f("evaluate@f8", "kl"),
      reference: { value: f("evaluate@f4", "kl"), source: "the same model with N = 4" },
      check: { kind: "below" },
    },
    {
      id: "kl-falls-with-n-14",
      claim: "…and KL with N = 14 below KL with N = 8…",
      ours: f("evaluate@f14", "kl"),
      reference: { value: f("evaluate@f8", "kl"), source: "the same model with N = 8" },
      check: { kind: "below" },
    },
    {
      id: "kl-falls-with-n-32",
      claim: "…and KL with N = 32 below KL with N = 14 (the paper's KL falls with the number of parameters).",
      ours: f("evaluate@f32", "kl"),
      reference: { value: f("evaluate@f14", "kl"), source: "the same model with N = 14" },
      check: { kind: "below" },
      differs:
        "the paper tunes each size; here every size gets the demo's 30,000 steps at learning rate 10⁻³",
    },
    {
      id: "heavy-tails",
      claim:
        "Mapped to the real line, the model fits a heavy-tailed Student-t mixture better than a GMM of equal size.",
      ours: f("evaluate@student-t", "kl"),
      reference: {
        value: f("gmm-t", "kl"),
        source: "GMM with K = 10 (29 ≤ 30 parameters) by EM on the same target's samples",
      },
      check: { kind: "below" },
      differs: "the target is ours: the demo's locs and scales with Student-t (ν = 3) components",
    },
  ],
  highlights: [
    { label: "validation NLL (N = 14)", ours: f("evaluate@f14", "test_nll"), digits: 4 },
    { label: "target entropy", ours: f("evaluate@f14", "entropy"), digits: 4 },
    { label: "KL(p ‖ q), exact", ours: f("evaluate@f14", "kl"), digits: 4 },
  ],
  comparison: {
    rows: [
      {
        quantity: "validation NLL after 30,000 steps",
        ours: "{evaluate@f14:test_nll}",
        reference: -0.410008,
        digits: 4,
        lowerIsBetter: true,
        source: "codex demo notebook",
        note: "our validation samples are another draw from the same density",
      },
      {
        quantity: "NLL before training",
        ours: "{compare:initial_nll}",
        reference: 0.914525,
        digits: 4,
        source: "codex demo notebook",
        note: "depends on the random initial coefficients (JAX's normal draws; ours are our own)",
      },
      {
        quantity: "trainable parameters (model / target)",
        ours: "28 / 29",
        reference: "28 / 29",
        source: "codex demo notebook",
      },
    ],
    note: "The validation set is the data stage's held-out split of 1,024 samples (named 'test' there; no " +
      "snapshot is chosen on it: every variant reports its last). " +
      "The target density is the demo's to float32 precision; everything random beyond it (validation samples, " +
      "training batches, initial coefficients) is drawn by our generator, so NLLs agree within sampling error, not " +
      "digit for digit. The demo evaluates the periodic model (period 2) without the tanh map or a smoothness " +
      "penalty; the article's real-line map and penalty are variants here.",
  },
});
