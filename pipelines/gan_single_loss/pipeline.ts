/**
 * «巧断梯度：单个loss实现GAN模型» (kexue.fm/archives/6387): Su's stop-gradient trick, one loss
 * L_D(x_r, sg G(z)) + λ·(L_G(G(z)) − L_G(sg G(z))) minimised by one optimiser over both players, against
 * the usual alternating critic and generator steps, with the hinge loss and RMSprop(1e-4, ρ = 0.99) as in
 * his `gan_one_step_with_hinge_loss.py`, on the same DCGAN at equal steps; a float64 check of the trick's
 * gradient identity; and the time per step of both, interleaved on the same machine.
 *
 * @module
 */
import { use } from "../../engine/pipeline.ts";
import { ganFeeds, ganGraph } from "../../families/gan_graph.ts";
import { ganTiming } from "../../families/gan_timing.ts";
import { generatorClaims, imageGeneratorPipeline } from "../../families/image_generator.ts";
import { singleLossGradientCheck } from "./gradient_check.ts";

/** Su's code: hinge loss, RMSprop(1e-4, 0.99) for both players, λ = 1. */
const SU = { loss: "hinge", optimiser: "rmsprop", rho: 0.99, lrD: 1e-4, lrG: 1e-4, nCritic: 1 };

const VARIANTS = {
  "one-loss": {
    graph: { schedule: "single-loss", singleLossLambda: 1 },
    label: "single loss (stop-gradient, λ = 1)",
    train: { feeds: ganFeeds("normal", "single-loss") },
  },
  "two-step": {
    graph: { schedule: "alternating" },
    label: "alternating critic and generator steps (1 : 1)",
    train: { feeds: ganFeeds("normal") },
  },
};

const fid = (variant: string) => ({ stage: `evaluate@${variant}`, metric: "final_fid" });

export const pipeline = imageGeneratorPipeline({
  name: "gan-single-loss",
  description:
    "Su's single-loss GAN (stop-gradient trick) against alternating updates, hinge loss, equal steps",
  article: {
    title: "巧断梯度：单个loss实现GAN模型",
    url: "https://kexue.fm/archives/6387",
    date: "2019-02-22",
  },
  title: "One loss for both players: the stop-gradient GAN against alternating updates on {dataset}",
  summary: "The article writes a GAN as one loss: with G_ng = stop_grad(G(z)), minimise " +
    "E max(0, 1 + D(x)) + E max(0, 1 − D(G_ng(z))) + λ·E[D(G(z)) − D(G_ng(z))] over both networks at once. " +
    "The last term is zero in value, and its gradient is the generator's loss gradient for G and nothing " +
    "for D, so one optimiser step makes simultaneous updates of both players, λ acting as the ratio of their " +
    "learning rates. Su's code trains the hinge GAN this way with RMSprop(1e-4) and says it works as well as " +
    "the usual alternating updates (which are not strictly identical to simultaneous ones). Here both " +
    "schedules train the same DCGAN with the same optimiser, data, seed and number of updates per player.",
  graph: ganGraph,
  variants: VARIANTS,
  compare: (variants) => ({
    "gradient-check": use(singleLossGradientCheck),
    timing: use(ganTiming, {
      params: { ratio: "one-loss/two-step" },
      groups: { graphs: variants.map((v) => `graph@${v}`) },
    }),
  }),
  scales: {
    // Two trainings in the budget: the half-width DCGAN of gan-qp.
    small: {
      graph: { ...SU, gChannels: [32, 16], dChannels: [32, 64], zDim: 64 },
      steps: 1500,
      snapshotEvery: 500,
    },
    full: { graph: SU, steps: 20000, snapshotEvery: 1000 },
  },
  comparison: {
    rows: [
      {
        quantity: "classifier-FID, single loss",
        ours: "{evaluate@one-loss:final_fid}",
        reference: "≈ alternating",
        source: "article: works as well",
      },
      { quantity: "classifier-FID, alternating", ours: "{evaluate@two-step:final_fid}", reference: null },
      { quantity: "ms per step, single loss", ours: "{timing:ms_one-loss}", reference: null, digits: 1 },
      { quantity: "ms per step, alternating", ours: "{timing:ms_two-step}", reference: null, digits: 1 },
      {
        quantity: "optimiser",
        ours: "{graph@one-loss.optimiser} {graph@one-loss.lrD}",
        reference: "RMSprop 1e-4",
        source: "article's code",
      },
      { quantity: "iterations", ours: "{train@one-loss.steps}", reference: null },
      {
        quantity: "data",
        ours: "{dataset} 28×28",
        reference: "CelebA-HQ 128×128",
        note: "different data and resolution",
      },
    ],
    note: "The article reports no number, only samples. One step of either schedule is one update of each " +
      "player: the single loss takes both from one backward pass, the alternating schedule updates the critic " +
      "and then the generator through the updated critic. The time per step is measured interleaved on the " +
      "same machine (gan.timing, medians).",
  },
  claims: [
    ...generatorClaims("The single-loss GAN trains the generator", 0.25, "evaluate@one-loss"),
    {
      id: "gradient-identity",
      claim:
        "The single loss's gradient is exactly L_D's for the critic and λ·L_G's for the generator (float64).",
      ours: { stage: "gradient-check", metric: "grad_gap" },
      reference: { value: 1e-12, source: "float64 rounding of the separate gradients" },
      check: { kind: "at-most" },
    },
    {
      id: "fid-within-10",
      claim:
        "The single loss trains as well as alternating updates: classifier-FID within 10% at equal steps.",
      ours: fid("one-loss"),
      reference: {
        value: fid("two-step"),
        source: "alternating hinge GAN, same model, optimiser and steps",
      },
      check: { kind: "near", rel: 0.1 },
    },
    {
      id: "time-per-step",
      claim:
        "A single-loss step costs about what an alternating step costs (time ratio one-loss / two-step).",
      ours: { stage: "timing", metric: "time_ratio" },
      reference: { value: 1, source: "the article states no speed" },
      check: { kind: "reported", why: "the article makes no speed claim; measured here for the record" },
    },
  ],
});
