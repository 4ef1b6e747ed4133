/**
 * «Muon优化器赏析：从向量到矩阵的本质跨越» (kexue.fm/archives/10592), its training half: Muon (on the
 * hidden matrices, AdamW on the rest, as KellerJordan/Muon prescribes) against AdamW on Fashion-MNIST,
 * each optimizer's learning rate tuned on its own sweep (§D1: Muon {0.005, 0.02, 0.05}, AdamW
 * {1e-3, 3e-3}). The coefficient study of the same article is the `muon-ns` pipeline.
 *
 * ```
 *   data ─┬─► graph@v ─► train@v ─► evaluate@v ─┐   (v: mlp-adamw-1e-3 … cnn-muon-0.05)
 *         │      └──────────────────────────────┼─► step-cost ─┐
 *         └─────────────────────────────────────┴──────────────┴─► compare ─► report
 * ```
 *
 * @module
 */
import { z } from "zod";
import { use, variants, variantStages } from "../../engine/pipeline.ts";
import { numericChecksPipeline } from "../../families/numeric_checks.ts";
import { fashionMnistStage } from "../../stages/data/sources/fashion_mnist.ts";
import { classifierEval } from "../../stages/eval/classifier_eval.ts";
import { train } from "../../stages/train/train.ts";
import { compare } from "./compare.ts";
import { stepCost } from "./cost.ts";
import { graph, transformOf } from "./graph.ts";

const FUSE = 10;
/** Training steps of batch 128 per model: about one epoch (small), three (full). */
const STEPS = { small: { mlp: 500, cnn: 300 }, full: { mlp: 1400, cnn: 1400 } };

/** What both optimizers share: the README's AdamW β = (0.9, 0.95), eps 1e-10, weight decay 0.01. */
const SHARED = { b1: 0.9, b2: 0.95, eps: 1e-10, weightDecay: 0.01 };
/** Muon's AdamW group (input layer, head, biases) at AdamW's lower learning rate of the sweep. */
const MUON_ADAM_LR = 1e-3;
/** A small CNN: two strided 4×4 convolutions (16, 32 channels) and 64 features. */
const CNN = { channels: [16, 32] as [number, number], features: 64 };

type Variant = { model: "mlp" | "cnn"; kind: "adamw" | "muon"; lr: number };
const sweep = (model: "mlp" | "cnn", adamw: number[], muon: number[]): Record<string, Variant> =>
  Object.fromEntries([
    ...adamw.map((lr) => [`${model}-adamw-${lr}`, { model, kind: "adamw", lr }]),
    ...muon.map((lr) => [`${model}-muon-${lr}`, { model, kind: "muon", lr }]),
  ]);

/** The sweeps; the first AdamW and the first Muon at 0.02 of each model are the pair step-cost times. */
export const VARIANTS: Record<string, Variant> = {
  ...sweep("mlp", [1e-3, 3e-3], [0.02, 0.005, 0.05]),
  ...sweep("cnn", [1e-3, 3e-3], [0.02, 0.05]),
};

const f = (stage: string, metric: string) => ({ stage, metric });
const DIFFERS = "a 784-512-512-10 MLP (one hidden 512×512 matrix for Muon) on Fashion-MNIST, batch 128, " +
  "about one epoch, float32 on two CPU cores; the README's is the GPT-2-small speedrun (124M parameters, " +
  "FineWeb, ~500k tokens per step, bf16 on 8 H100s) against a tuned AdamW";

export const pipeline = numericChecksPipeline({
  name: "muon",
  description:
    "Muon (hidden matrices) vs AdamW on Fashion-MNIST: MLP 784-512-512-10 and a small CNN, lr sweeps",
  article: {
    title: "Muon优化器赏析：从向量到矩阵的本质跨越",
    url: "https://kexue.fm/archives/10592",
    date: "2024-12-10",
  },
  title: "Muon against AdamW",
  summary:
    "The article presents Muon: momentum whose matrix update is orthogonalised, msign(M) ≈ five Newton–Schulz " +
    "iterations, so that every singular direction moves by the same amount; it cites the Muon README's speed-up " +
    "of the GPT-2 speedrun (1.35×) and Moonlight's ~2× compute efficiency against AdamW, and puts Muon's extra " +
    "cost per step ‘within 5 %’. We train a Fashion-MNIST MLP (784-512-512-10, §D1) and a small CNN with Muon " +
    "on the hidden matrices (AdamW on the input layer, the head and the biases, as the reference implementation " +
    "does, and checked against it step by step) and with AdamW, sweep each optimizer's learning rate, and count " +
    "the steps and the wall time the tuned Muon needs to reach the tuned AdamW's final training loss.",
  params: z.object({ scale: z.enum(["small", "full"]).default("small") }).strict(),
  stages: (p) => {
    const steps = STEPS[p.scale];
    return {
      data: use(fashionMnistStage),
      ...variants(VARIANTS, (v, at) => ({
        graph: use(graph, {
          params: {
            model: v.model,
            ...(v.model === "cnn" ? CNN : {}),
            optimizer: { kind: v.kind, lr: v.lr, adamLr: MUON_ADAM_LR, ...SHARED },
            fuse: [FUSE],
          },
        }),
        train: use(train, {
          params: {
            steps: steps[v.model],
            fuse: FUSE,
            feeds: { x: "images", y: "labels" },
            transform: transformOf(v.model),
            logEvery: FUSE,
            snapshotEvery: steps[v.model] / 5,
            checkpointEvery: steps[v.model] / 5,
          },
          inputs: { graph: at("graph"), data: "data" },
        }),
        evaluate: use(classifierEval, {
          params: { transform: transformOf(v.model), title: "none", noise: 0 },
          inputs: { trained: at("train"), data: "data" },
        }),
      })),
      "step-cost": use(stepCost, {
        params: { fuse: FUSE },
        groups: {
          steps: [
            "graph@mlp-adamw-0.001",
            "graph@mlp-muon-0.02",
            "graph@cnn-adamw-0.001",
            "graph@cnn-muon-0.02",
          ],
        },
      }),
      compare: use(compare, {
        inputs: { cost: "step-cost" },
        groups: {
          trainings: variantStages("train", VARIANTS),
          evaluations: variantStages("evaluate", VARIANTS),
        },
      }),
    };
  },
  headline: {
    stage: "compare",
    metric: "mlp-speedup",
    label: "MLP: Muon's speed-up in steps (README 1.35×)",
  },
  highlights: [
    { label: "MLP speed-up in steps", ours: f("compare", "mlp-speedup"), digits: 2 },
    { label: "MLP speed-up in wall time", ours: f("compare", "mlp-wall-speedup"), digits: 2 },
    { label: "Muon's step overhead (MLP)", ours: f("step-cost", "mlp-overhead"), digits: 2 },
  ],
  claims: [
    {
      id: "mlp-fewer-steps",
      claim:
        "Muon reaches AdamW's final training loss in fewer steps (MLP, each learning rate tuned): speed-up > 1.",
      ours: f("compare", "mlp-speedup"),
      reference: { value: 1, source: "KellerJordan/Muon README; kexue.fm/archives/10592" },
      check: { kind: "above" },
      differs: DIFFERS,
    },
    {
      id: "mlp-readme-135",
      claim: "…by at least the README's 1.35× (GPT-2-small speedrun).",
      ours: f("compare", "mlp-speedup"),
      reference: { value: 1.35, source: "KellerJordan/Muon README: the GPT-2-small speedrun sped up 1.35×" },
      check: { kind: "at-least" },
      differs: DIFFERS,
    },
    {
      id: "moonlight-2x",
      claim: "Moonlight: about 2× the compute efficiency of AdamW under compute-optimal training.",
      ours: f("compare", "mlp-speedup"),
      reference: { value: 2, source: "Moonlight, arXiv:2502.16982 (abstract)" },
      check: {
        kind: "reported",
        why: "a scaling-law statement about 3B/16B MoE models on 5.7T tokens; one small MLP is no test of it",
      },
    },
    {
      id: "cnn-fewer-steps",
      claim: "Muon reaches AdamW's final training loss in fewer steps on a small CNN too.",
      ours: f("compare", "cnn-speedup"),
      reference: { value: 1, source: "KellerJordan/Muon README (CIFAR-10 speedrun record with Muon)" },
      check: { kind: "above" },
      differs: "a 2-conv CNN (16, 32 channels) on Fashion-MNIST, 300 steps of batch 128; the README's is a " +
        "ResNet-style CIFAR-10 net trained to 94 %",
    },
    {
      id: "mlp-overhead-5pct",
      claim: "A Muon step costs at most 5 % more than an AdamW step (MLP, measured).",
      ours: f("step-cost", "mlp-overhead"),
      reference: { value: 0.05, source: "kexue.fm/archives/10592 (‘within 5 %’; the Muon author says 2 %)" },
      check: { kind: "at-most" },
      differs: "Newton–Schulz costs ~5d/B of a d × d layer's forward and backward pass: at batch 128 it " +
        "dominates the step; the article's figure is for batches of ~500k tokens (see the step-cost table)",
    },
    {
      id: "mlp-wall-time",
      claim: "Counted in wall time, the tuned Muon still reaches AdamW's final training loss first (MLP).",
      ours: f("compare", "mlp-wall-speedup"),
      reference: { value: 1, source: "the README's speedrun speed-ups are in wall time" },
      check: { kind: "above" },
      differs: DIFFERS,
    },
    {
      id: "mlp-test-accuracy",
      claim: "The tuned Muon's test accuracy is at least the tuned AdamW's (MLP).",
      ours: f("compare", "mlp-muon-acc"),
      reference: { value: f("compare", "mlp-adamw-acc"), source: "the tuned AdamW run, same steps" },
      check: { kind: "at-least" },
      differs: "10,000 test images: a difference below ~0.4 % (2 s.e. of a difference of accuracies near " +
        "85 %) is within sampling noise",
    },
  ],
});
