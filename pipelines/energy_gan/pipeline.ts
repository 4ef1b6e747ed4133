/**
 * «能量视角下的GAN模型» (一) and (二) (kexue.fm/archives/6316, 6331; after MEG, Kumar et al.,
 * arXiv:1901.08508): an energy model U and a generator G on 25 Gaussians and the swiss roll, without an
 * entropy term, with Su's λ₂‖z − E(G(z))‖² term and with MEG's mutual-information estimator; latent
 * Langevin sampling after training; and an optimiser sweep (Adam β1 ∈ {0.9, 0.5, 0}, RMSprop, SGD), all
 * judged by MEG's mode count (stages/eval/toy_modes.ts).
 *
 * ```
 *   data-25 ───┬─► graph@v ─► train@v ─► modes@v ─┐    v: none, su-encoder, meg-mi, b1-09, b1-0, rmsprop, sgd
 *              │                    └──► langevin@v ─┼─► summary ─► report
 *   data-roll ─┴─► …@roll-none, @roll-su-encoder, @roll-meg-mi ┘
 * ```
 *
 * @module
 */
import { z } from "zod";
import { use, variants, variantStages } from "../../engine/pipeline.ts";
import { numericChecksPipeline } from "../../families/numeric_checks.ts";
import { toy2dStage } from "../../stages/data/sources/toy_2d.ts";
import { toyModes } from "../../stages/eval/toy_modes.ts";
import { train } from "../../stages/train/train.ts";
import { energyGanGraph } from "./graph.ts";
import { energyGanSummary } from "./summary.ts";

type Variant = { data: "data-25" | "data-roll"; graph: Record<string, unknown>; label: string };

/** Every variant: the same networks, seed and steps; the first is the baseline the claims compare with. */
const VARIANTS: Record<string, Variant> = {
  none: { data: "data-25", graph: {}, label: "no entropy term, Adam β1 = 0.5" },
  "su-encoder": { data: "data-25", graph: { entropy: "encoder" }, label: "Su's λ₂‖z − E(G(z))‖² (λ₂ = 1)" },
  "meg-mi": { data: "data-25", graph: { entropy: "mi" }, label: "MEG's DeepInfoMax estimator (λ = 1)" },
  "b1-09": { data: "data-25", graph: { b1: 0.9 }, label: "Adam β1 = 0.9" },
  "b1-0": { data: "data-25", graph: { b1: 0 }, label: "Adam β1 = 0" },
  rmsprop: { data: "data-25", graph: { optimiser: "rmsprop" }, label: "RMSprop (ρ = 0.99)" },
  sgd: { data: "data-25", graph: { optimiser: "sgd" }, label: "SGD (no momentum)" },
  "roll-none": { data: "data-roll", graph: {}, label: "swiss roll, no entropy term" },
  "roll-su-encoder": {
    data: "data-roll",
    graph: { entropy: "encoder" },
    label: "swiss roll, Su's encoder term",
  },
  "roll-meg-mi": { data: "data-roll", graph: { entropy: "mi" }, label: "swiss roll, MEG's estimator" },
};
/** Latent Langevin sampling after training, on these variants' models. */
const LANGEVIN = ["none", "su-encoder"] as const;

/** What changes with the scale: network size, steps, learning rates (SGD's own, as it takes raw steps). */
const SCALES = {
  // Ten trainings share the budget: MLPs 3 × 64 (MEG: 3 × 512), batch 64 (MEG: 256), 3,000 of MEG's 100k
  // iterations, so the learning rates are 10× MEG's 1e-4.
  small: { graph: { width: 64, batch: 64, lrD: 1e-3, lrG: 1e-3 }, steps: 3000, sgdLr: 1e-2 },
  full: { graph: { width: 512, batch: 256, lrD: 1e-4, lrG: 1e-4 }, steps: 100_000, sgdLr: 1e-3 },
};

const m = (stage: string, metric: string) => ({ stage, metric });
const langevinTitle = (v: string) => `${VARIANTS[v]!.label}, then latent Langevin`;

export const pipeline = numericChecksPipeline({
  name: "energy-gan",
  description:
    "Energy-GAN on 25 Gaussians and the swiss roll: entropy terms (Su's encoder, MEG's MI), Langevin, optimisers",
  article: {
    title: "能量视角下的GAN模型（一）：GAN＝“挖坑”＋“跳坑”; （二）：GAN＝“分析”＋“采样”",
    url: "https://kexue.fm/archives/6316",
    date: "2019-01-30",
  },
  title: "The energy view of GANs on 2-D toys: entropy terms, Langevin sampling and momentum",
  summary: "Su reads a GAN as an energy model: the critic U digs pits at the data, E_p U − E_q U + " +
    "λ·E_p‖∇U‖² with the gradient penalty zero-centred on real samples only, and the generator jumps into " +
    "them, min E U(G(z)) (6316); he warns that optimisers with large momentum hurt diversity. The second " +
    "article (6331, after MEG) says the generator must also maximise its entropy, and bounds it through the " +
    "mutual information of x = G(z) and z with an encoder, λ₂‖z − E(G(z))‖²; samples can then be refined by " +
    "Langevin dynamics in latent space. Neither article reports numbers; MEG's toy code (25 Gaussians, swiss " +
    "roll, its DeepInfoMax MI estimator, 5 energy steps per generator step, λ = 0.1) is the setting. Every " +
    "variant below trains the same networks from the same seed for the same steps and is judged by MEG's " +
    "mode count: modes covered, the share of samples within 3σ of a mode and the KL of the mode histogram.",
  params: z.object({ scale: z.enum(["small", "full"]).default("small") }).strict(),
  stages: (p) => {
    const s = SCALES[p.scale];
    return {
      "data-25": use(toy2dStage, { params: { distribution: "25gaussians", testSize: 2500 } }),
      "data-roll": use(toy2dStage, { params: { distribution: "swissroll", testSize: 2500 } }),
      ...variants(VARIANTS, (v, at, name) => ({
        graph: use(energyGanGraph, {
          params: { ...s.graph, ...v.graph, ...(name === "sgd" ? { lrD: s.sgdLr, lrG: s.sgdLr } : {}) },
        }),
        train: use(train, {
          params: {
            steps: s.steps,
            feeds: { x: "images", z_d: "normal", z_g: "normal" },
            transform: {},
            logEvery: 50,
            snapshotEvery: 0,
            checkpointEvery: 500,
          },
          inputs: { graph: at("graph"), data: v.data },
        }),
        modes: use(toyModes, {
          params: { title: v.label },
          inputs: { trained: at("train"), data: v.data },
        }),
      })),
      ...Object.fromEntries(LANGEVIN.map((v) => [
        `langevin@${v}`,
        use(toyModes, {
          params: { export: "langevin", title: langevinTitle(v) },
          inputs: { trained: `train@${v}`, data: VARIANTS[v]!.data },
        }),
      ])),
      summary: use(energyGanSummary, {
        groups: {
          evaluations: [...variantStages("modes", VARIANTS), ...LANGEVIN.map((v) => `langevin@${v}`)],
        },
      }),
    };
  },
  headline: { stage: "modes@su-encoder", metric: "covered", label: "modes covered (of 25), Su's term" },
  highlights: [
    { label: "modes, no entropy term", ours: m("modes@none", "covered") },
    { label: "modes, Su's encoder term", ours: m("modes@su-encoder", "covered") },
    { label: "modes, MEG's estimator", ours: m("modes@meg-mi", "covered") },
    { label: "modes, Adam β1 = 0.9", ours: m("modes@b1-09", "covered") },
  ],
  claims: [
    {
      id: "encoder-modes",
      claim: "Su's entropy term λ₂‖z − E(G(z))‖² covers at least as many of the 25 modes as no entropy term.",
      ours: m("modes@su-encoder", "covered"),
      reference: { value: m("modes@none", "covered"), source: "no entropy term, same steps (6331)" },
      check: { kind: "at-least" },
    },
    {
      id: "encoder-kl",
      claim: "…and spreads its samples more evenly over them: a lower KL of the mode histogram from uniform.",
      ours: m("modes@su-encoder", "mode_kl"),
      reference: { value: m("modes@none", "mode_kl"), source: "no entropy term, same steps (6331)" },
      check: { kind: "below" },
    },
    {
      id: "mi-modes",
      claim: "MEG's mutual-information estimator covers at least as many of the 25 modes as no entropy term.",
      ours: m("modes@meg-mi", "covered"),
      reference: { value: m("modes@none", "covered"), source: "no entropy term, same steps (MEG)" },
      check: { kind: "at-least" },
    },
    {
      id: "mi-kl",
      claim: "…with a lower KL of the mode histogram from uniform.",
      ours: m("modes@meg-mi", "mode_kl"),
      reference: { value: m("modes@none", "mode_kl"), source: "no entropy term, same steps (MEG)" },
      check: { kind: "below" },
    },
    {
      id: "roll-encoder-kl",
      claim:
        "On the swiss roll, Su's term spreads the samples more evenly along the curve (lower KL over 16 arcs).",
      ours: m("modes@roll-su-encoder", "mode_kl"),
      reference: { value: m("modes@roll-none", "mode_kl"), source: "no entropy term on the swiss roll" },
      check: { kind: "below" },
    },
    {
      id: "roll-mi-kl",
      claim: "On the swiss roll, MEG's estimator spreads the samples more evenly along the curve.",
      ours: m("modes@roll-meg-mi", "mode_kl"),
      reference: { value: m("modes@roll-none", "mode_kl"), source: "no entropy term on the swiss roll" },
      check: { kind: "below" },
    },
    {
      id: "momentum-modes",
      claim: "Large momentum hurts diversity: Adam with β1 = 0.9 covers fewer modes than with β1 = 0.",
      ours: m("modes@b1-09", "covered"),
      reference: { value: m("modes@b1-0", "covered"), source: "Adam β1 = 0, same steps (6316)" },
      check: { kind: "below" },
    },
    {
      id: "momentum-kl",
      claim: "…and a less even mode histogram (higher KL) than β1 = 0.",
      ours: m("modes@b1-09", "mode_kl"),
      reference: { value: m("modes@b1-0", "mode_kl"), source: "Adam β1 = 0, same steps (6316)" },
      check: { kind: "above" },
    },
    {
      id: "momentum-rmsprop",
      claim: "RMSprop, which has no momentum, covers at least as many modes as Adam with β1 = 0.9.",
      ours: m("modes@rmsprop", "covered"),
      reference: { value: m("modes@b1-09", "covered"), source: "Adam β1 = 0.9, same steps (6316)" },
      check: { kind: "at-least" },
    },
    {
      id: "langevin-quality",
      claim: "Latent Langevin sampling after training puts more samples within 3σ of a mode than G(z) alone.",
      ours: m("langevin@none", "hq_share"),
      reference: {
        value: m("modes@none", "hq_share"),
        source: "the same model's G(z), z ~ N(0, I) (6331)",
      },
      check: { kind: "above" },
      differs:
        "the article's z ← z − (ε/2)∇U(G(z)) + √ε·α with the prior's ‖z‖²/2 added to the latent energy " +
        "(MEG's target p(z)·e^{−U(G(z))}), 20 steps of ε = 0.01",
    },
  ],
});
