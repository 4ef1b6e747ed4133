/**
 * The two-stage gene expression model of the article «python简单实现gillespie模拟»
 * (kexue.fm/archives/5607):
 *
 * ```
 *   ∅ ──k_m──► m          transcription
 *   m ──k_p──► m + n      translation
 *   m ──γ_m──► ∅          mRNA decay
 *   n ──γ_p──► ∅          protein decay
 * ```
 *
 * with the article's rates k_m = 20, k_p = 2.5, γ_m = γ_p = 1. All reactions are first order, so the
 * moment equations close and the stationary moments are exact:
 * mRNA ~ Poisson(k_m/γ_m); protein mean k_m k_p/(γ_m γ_p); protein Fano factor 1 + k_p/(γ_m + γ_p).
 *
 * @module
 */
import type { Network, Reaction } from "./network.ts";

export interface Rates {
  transcription: number;
  translation: number;
  mrnaDecay: number;
  proteinDecay: number;
}

export const ARTICLE_RATES: Rates = { transcription: 20, translation: 2.5, mrnaDecay: 1, proteinDecay: 1 };

/** The model's species, in the order of the reactions' stoichiometry. */
export const SPECIES = ["mRNA", "protein"] as const;

/** The model's reactions, as in the article's code: a rate and the stoichiometry [m, n] of each side. */
export function reactions(r: Rates): Reaction[] {
  return [
    { name: "transcription", rate: r.transcription, left: [0, 0], right: [1, 0] },
    { name: "translation", rate: r.translation, left: [1, 0], right: [1, 1] },
    { name: "mRNA decay", rate: r.mrnaDecay, left: [1, 0], right: [0, 0] },
    { name: "protein decay", rate: r.proteinDecay, left: [0, 1], right: [0, 0] },
  ];
}

/** The model as a network (network.ts): the definition both the simulation and the master equation read. */
export function twoStageNetwork(r: Rates): Network {
  return { species: SPECIES, reactions: reactions(r) };
}

/** The birth–death process of the mRNA alone: ∅ → m at rate k, m → ∅ at rate γ per molecule. */
export function birthDeathNetwork(k: number, gamma: number): Network {
  return {
    species: ["mRNA"],
    reactions: [
      { name: "birth", rate: k, left: [0], right: [1] },
      { name: "death", rate: gamma, left: [1], right: [0] },
    ],
  };
}

export interface StationaryMoments {
  mrnaMean: number;
  proteinMean: number;
  proteinVariance: number;
  proteinFano: number;
}

/** The exact stationary moments of the model. */
export function analyticMoments(r: Rates): StationaryMoments {
  const mrnaMean = r.transcription / r.mrnaDecay;
  const proteinMean = (mrnaMean * r.translation) / r.proteinDecay;
  const proteinFano = 1 + r.translation / (r.mrnaDecay + r.proteinDecay);
  return { mrnaMean, proteinMean, proteinVariance: proteinMean * proteinFano, proteinFano };
}
