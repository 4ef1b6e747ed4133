/**
 * «细水长flow之可逆ResNet：极致的暴力美学» (kexue.fm/archives/6482): the invertible residual network
 * (Behrmann et al. 2019) as the official code builds its blocks, on the article's 2-D toy densities,
 * with a RealNVP of equal parameter count as the baseline; the log-determinant estimator's bias and
 * the fixed-point inverse against the paper's bounds.
 *
 * ```
 *   data@d ──┬─► graph@d ─► train@d ─┬─► evaluate@d ─────────────┐   (d: gauss, board, spiral)
 *            │                       └─► study (gauss)  ─────────────┼─► report
 *            └─► nvp-graph@d ─► nvp-train@d ─► nvp-eval@d
 * ```
 *
 * @module
 */
import { z } from "zod";
import { use, variants } from "../../engine/pipeline.ts";
import { numericChecksPipeline } from "../../families/numeric_checks.ts";
import { FLOW_TRANSFORM } from "../../families/image_flow.ts";
import { mnistStage } from "../../stages/data/sources/mnist.ts";
import { toy2dStage } from "../../stages/data/sources/toy_2d.ts";
import { likelihood } from "../../stages/eval/likelihood.ts";
import { train } from "../../stages/train/train.ts";
import { iresnetGraph } from "./graph.ts";
import { realnvpGraph, realnvpParameterCount } from "./realnvp.ts";
import { study } from "./study.ts";

/**
 * The densities: FFJORD's toys (the official i-ResNet toy code uses them), the 8 Gaussians at half of
 * FFJORD's scale (radius √2, std 0.177: the same shape; data.toy-2d's centres).
 */
const DENSITIES: Record<
  string,
  { distribution: "8gaussians" | "checkerboard" | "2spirals"; noise?: number; title: string }
> = {
  gauss: { distribution: "8gaussians", noise: 0.25, title: "8 Gaussians" },
  board: { distribution: "checkerboard", title: "Checkerboard" },
  spiral: { distribution: "2spirals", title: "Two spirals" },
};

/** Sizes per scale: the i-ResNet, and the RealNVP's width chosen for an equal parameter count. */
const SCALES = {
  // Sized for the budget on two shared cores: ≈ 25 ms a step of batch 256 at 6 × 64.
  small: { blocks: 6, hidden: 64, steps: 1500 },
  // experiments.md §A5's CPU model: 10 blocks of 2 → 128 → 128 → 2.
  full: { blocks: 10, hidden: 128, steps: 10_000 },
};

/**
 * scale=full adds the MNIST density model, GPU-size (not run on this machine): fully connected blocks on
 * the flat dequantised digits (the paper's MNIST model is multi-scale and convolutional, with 1.06 bits/dim),
 * the official optimiser settings' rate and batch (Adam here, Adamax there), evaluated with the 10-term series.
 */
export const MNIST_FULL = {
  graph: { dim: 784, blocks: 16, hidden: 1024, lr: 3e-3, batch: 128, evalBatch: 256, exportSeriesTerms: 10 },
  steps: 50_000,
};

/** The RealNVP hidden width whose parameter count is closest to the i-ResNet's (same number of layers). */
export function matchedWidth(blocks: number, hidden: number): number {
  const target = blocks * (hidden * hidden + 6 * hidden + 2 + 4);
  let best = 1;
  for (let h = 1; h <= 4 * hidden; h++) {
    const gap = (hh: number) => Math.abs(realnvpParameterCount({ couplings: blocks, hidden: hh }) - target);
    if (gap(h) < gap(best)) best = h;
  }
  return best;
}

const f = (stage: string, metric: string) => ({ stage, metric });
const MAIN = "gauss";

export const pipeline = numericChecksPipeline({
  name: "iresnet",
  description:
    "Invertible ResNet on 2-D toy densities: log-det series bias vs its bound, fixed-point inverse, vs RealNVP",
  article: {
    title: "细水长flow之可逆ResNet：极致的暴力美学",
    url: "https://kexue.fm/archives/6482",
    date: "2019-03-21",
  },
  title: "Invertible ResNets: the log-det power series, the fixed-point inverse and 2-D densities",
  summary: "The article explains the invertible residual network of Behrmann et al. (2019): a block " +
    "y = x + g(x) is invertible when Lip(g) < 1, which spectral normalisation W ← W/max(1, ‖W‖₂/c), c = 0.9, " +
    "enforces with ‖W‖₂ estimated by power iteration; its inverse is the fixed point x = y − g(x), reached " +
    "with error ≤ Lipⁿ/(1 − Lip)·‖x₁ − x₀‖ after n iterations; and its log-determinant is " +
    "ln det(I + J_g) = Tr ln(I + J_g) = Σ (−1)^{k+1}/k·Tr(J_gᵏ), truncated and estimated with Hutchinson's " +
    "vᵀJᵏv by repeated vector–Jacobian products, trained through (second order). Su runs no experiment and " +
    "shows the paper's figures. We build the official model's blocks with fully connected layers (2 → h → h → 2, " +
    "ELU, each weight normalised with its power-iteration vector carried from step to step), train it on three " +
    "2-D toy densities with the 5-term series (the official density setting), evaluate it with exact 2×2 " +
    "log-determinants, check the estimator's bias for n = 1…10 terms and the inverse against the paper's " +
    "bounds with the Lipschitz constants measured from the trained weights, and compare its test NLL with a " +
    "RealNVP of equal parameter count trained for equal steps.",
  params: z.object({ scale: z.enum(["small", "full"]).default("small") }).strict(),
  stages: ({ scale }) => {
    const s = SCALES[scale];
    const model = { blocks: s.blocks, hidden: s.hidden };
    const trainParams = {
      steps: s.steps,
      feeds: { x: "images" as const },
      transform: {},
      logEvery: 50,
      snapshotEvery: s.steps,
      checkpointEvery: s.steps,
    };
    const mnistTransform = { ...FLOW_TRANSFORM, layout: "flat" as const };
    const mnist = scale === "full"
      ? {
        "mnist-data": use(mnistStage),
        "mnist-graph": use(iresnetGraph, { params: MNIST_FULL.graph }),
        "mnist-train": use(train, {
          params: {
            ...trainParams,
            steps: MNIST_FULL.steps,
            snapshotEvery: 5000,
            checkpointEvery: 1000,
            transform: mnistTransform,
          },
          inputs: { graph: "mnist-graph", data: "mnist-data" },
        }),
        "mnist-bpd": use(likelihood, {
          params: {
            splits: ["test"],
            select: null,
            transform: mnistTransform,
            title: "MNIST (scale=full, GPU size): bits per dimension (paper 1.06)",
          },
          inputs: { trained: "mnist-train", data: "mnist-data" },
        }),
      }
      : {};
    const main = (stage: string) => `${stage}@${MAIN}`;
    return {
      ...mnist,
      study: use(study, { inputs: { graph: main("graph"), trained: main("train"), data: main("data") } }),
      ...variants(DENSITIES, (d, at, name) => ({
        data: use(toy2dStage, {
          params: {
            distribution: d.distribution,
            ...(d.noise === undefined ? {} : { noise: d.noise }),
            trainSize: 50_000,
            testSize: 5_000,
          },
        }),
        graph: use(iresnetGraph, { params: { ...model, evalBatch: 2048 } }),
        train: use(train, { params: trainParams, inputs: { graph: at("graph"), data: at("data") } }),
        evaluate: use(likelihood, {
          params: { splits: ["test"], select: null, grid: 201, title: `i-ResNet: ${d.title}` },
          inputs: { trained: at("train"), data: at("data") },
        }),
        "nvp-graph": use(realnvpGraph, {
          params: { couplings: s.blocks, hidden: matchedWidth(s.blocks, s.hidden), evalBatch: 2048 },
        }),
        "nvp-train": use(train, {
          params: trainParams,
          inputs: { graph: at("nvp-graph"), data: at("data") },
        }),
        "nvp-eval": use(likelihood, {
          params: {
            splits: ["test"],
            select: null,
            grid: 201,
            title: name === MAIN ? `RealNVP of equal size: ${d.title}` : "none",
          },
          inputs: { trained: at("nvp-train"), data: at("data") },
        }),
      })),
    };
  },
  headline: {
    stage: `evaluate@${MAIN}`,
    metric: "test_nll",
    label: "test NLL on 8 Gaussians (nats)",
    lowerIsBetter: true,
  },
  claims: [
    {
      id: "truncation-within-bound",
      claim:
        "The n-term series' truncation error stays within the paper's bound d·Σ_{k>n} Lip^k/k for every " +
        "n = 1…10, block and test point (Thm. 3), with Lip measured from the trained weights.",
      ours: f("study", "truncation_bound_ratio"),
      reference: {
        value: 1,
        source: "Behrmann et al. 2019, Theorem 3: |error| ≤ −d(ln(1 − Lip) + Σ_{k≤n} Lip^k/k)",
      },
      check: { kind: "at-most" },
      differs: "Lip is the product of the normalised weights' exact spectral norms, an upper bound of Lip(g)",
    },
    {
      id: "hutchinson-unbiased",
      claim:
        "Hutchinson's vᵀJᵏv is unbiased for the truncated series, so the estimator's bias against the exact " +
        "log-det is the truncation: the mean difference to the exact-trace series is within 4 s.e. for every n.",
      ours: f("study", "hutchinson_z"),
      reference: { value: 4, source: "E[vᵀAv] = Tr A for v ~ N(0, I); 4 standard errors (10 values of n)" },
      check: { kind: "at-most" },
    },
    {
      id: "bias-within-bound",
      claim:
        "The estimator's measured bias against the exact log-det, mean(estimate) − exact over points and " +
        "probes, is within the same bound for every n (up to 4 standard errors of its Monte Carlo estimate).",
      ours: f("study", "bias_excess_z"),
      reference: { value: 4, source: "as above; (|bias| − bound)⁺ in standard errors, worst over n = 1…10" },
      check: { kind: "at-most" },
    },
    {
      id: "bias-shrinks",
      claim:
        "The bias shrinks with the number of terms: the mean |truncation| at n = 10 is below that at n = 1…",
      ours: f("study", "truncation_abs_n10"),
      reference: { value: f("study", "truncation_abs_n1"), source: "the same series with one term" },
      check: { kind: "below" },
      differs:
        "measured with exact traces (the estimator's expectation, by the claim above), free of probe noise",
    },
    {
      id: "bias-shrinks-5",
      claim: "…and below that at n = 5, the series length the model was trained with.",
      ours: f("study", "truncation_abs_n10"),
      reference: { value: f("study", "truncation_abs_n5"), source: "the training's 5 terms" },
      check: { kind: "below" },
    },
    {
      id: "inverse-within-bound",
      claim: "After k fixed-point iterations the inverse's error stays within Lip^k/(1 − Lip)·‖x₁ − x₀‖ " +
        "(k = 1…40, every block and test point).",
      ours: f("study", "inverse_bound_ratio"),
      reference: { value: 1, source: "Banach's fixed-point theorem, as the article states it" },
      check: { kind: "at-most" },
    },
    {
      id: "roundtrip",
      claim:
        "The sampler's inverse (100 iterations per block) recovers x from its latent to float64 rounding (≤ 1e-9).",
      ours: f("study", "roundtrip_error"),
      reference: {
        value: 1e-9,
        source: "the official code's 100 iterations; Lip ≤ c³ = 0.73 gives 0.73¹⁰⁰ ≈ 2e-14",
      },
      check: { kind: "at-most" },
    },
    ...Object.entries(DENSITIES).map(([name, d]) => ({
      id: `nll-vs-nvp-${name}`,
      claim:
        `${d.title}: the i-ResNet's test NLL is no worse than a RealNVP's of equal parameter count and steps ` +
        "(the paper's toy figure shows i-ResNet fitting them better than Glow).",
      ours: f(`evaluate@${name}`, "test_nll"),
      reference: {
        value: f(`nvp-eval@${name}`, "test_nll"),
        source:
          "RealNVP (affine couplings + actnorm, the same number of layers, width matched to the parameter count)",
      },
      check: { kind: "at-most" as const },
      differs:
        "one seed each, 1,500 steps: the test NLLs carry a sampling error of about test_nll_se (5,000 " +
        "points), and the training's own noise is larger (a development run with another batch order put the 8 " +
        "Gaussians the other way round, 1.68 against 1.95)",
    })),
  ],
  highlights: [
    { label: "test NLL, i-ResNet (8 Gaussians)", ours: f(`evaluate@${MAIN}`, "test_nll"), digits: 3 },
    { label: "test NLL, RealNVP (8 Gaussians)", ours: f(`nvp-eval@${MAIN}`, "test_nll"), digits: 3 },
    { label: "target entropy (8 Gaussians)", ours: f(`evaluate@${MAIN}`, "entropy"), digits: 3 },
    { label: "largest measured Lip(g)", ours: f("study", "lip_max"), digits: 3 },
  ],
  comparison: {
    rows: [
      ...Object.entries(DENSITIES).flatMap(([name, d]) => [
        {
          quantity: `${d.title}: test NLL, i-ResNet / RealNVP`,
          ours: `{evaluate@${name}:test_nll} / {nvp-eval@${name}:test_nll}`,
          reference: null,
          source: "the paper shows densities, not numbers",
        },
      ]),
      {
        quantity: "trainable parameters, i-ResNet / RealNVP",
        ours: `{graph@${MAIN}:parameters} / {nvp-graph@${MAIN}:parameters}`,
        reference: null,
      },
      {
        quantity: "MNIST test bits/dim (scale=full, GPU size: not run here)",
        ours: "— (scale=full: the mnist-bpd section)",
        reference: 1.06,
        source: "Behrmann et al. 2019, Table 3",
        note: "the multi-scale convolutional density model; see the note",
      },
    ],
    note:
      "The i-ResNet is trained with the 5-term Hutchinson series (one probe per block and step, one power " +
      "iteration per step from the carried vectors: the official density settings) and evaluated with exact " +
      "2×2 log-determinants, so its test NLL is exact; the exported model recomputes ‖W‖₂ with 50 power " +
      "iterations. The official toy model and the sizes in experiments.md §A5 are 10–20 blocks of width 128 " +
      "(--set scale=full: 10 × 128, 10,000 steps); the default is 6 blocks of width 64 for 1,500 steps so that six " +
      "trainings fit the budget on two CPU cores. The 8 Gaussians are FFJORD's shape at half its scale. The paper's " +
      "MNIST result (1.06 bits/dim) needs its multi-scale convolutional model and a GPU; it is not run here.",
  },
});
