/**
 * pLSA (Hofmann 1999) by EM and by projected gradient ascent, on one likelihood
 * L = Σ_{d,w} n(d, w) log Σ_z p(w | z) p(z | d)  (kexue.fm/archives/4277, 5239).
 *
 * - EM: p(z | d, w) ∝ p(w | z) p(z | d); p(w | z) ∝ Σ_d n(d, w) p(z | d, w); p(z | d) ∝ Σ_w n(d, w) p(z | d, w).
 *   Each step maximises a lower bound that touches L, so L never falls, and the updates stay on the
 *   simplices by construction (the article's point: EM is the gradient step that needs no projection).
 * - Projected gradient: ∂L/∂p(w | z) = Σ_d n(d, w) p(z | d)/P(w | d), ∂L/∂p(z | d) = Σ_w n(d, w) p(w | z)/P(w | d),
 *   a step, then the Euclidean projection of every distribution back onto its simplex (Duchi et al. 2008),
 *   with a backtracking line search on L.
 *
 * Matrices are row-major: counts [D × W], p(w | z) [Z × W], p(z | d) [D × Z].
 *
 * @module
 */
import type { Rng } from "../../stages/data/random.ts";

/** A pLSA model: topic–word and document–topic distributions. */
export interface Plsa {
  topics: number;
  words: number;
  docs: number;
  /** p(w | z), [Z × W]. */
  wordGivenTopic: Float64Array;
  /** p(z | d), [D × Z]. */
  topicGivenDoc: Float64Array;
}

/** A Dirichlet(α, …, α) draw of length n. */
function dirichlet(n: number, alpha: number, rng: Rng): Float64Array {
  const g = Float64Array.from({ length: n }, () => rng.gamma(alpha));
  const total = g.reduce((a, b) => a + b, 0);
  return g.map((v) => v / total);
}

/** A random model: rows of p(w | z) ~ Dirichlet(β), of p(z | d) ~ Dirichlet(α). */
export function randomPlsa(
  docs: number,
  words: number,
  topics: number,
  alpha: number,
  beta: number,
  rng: Rng,
): Plsa {
  const wordGivenTopic = new Float64Array(topics * words);
  for (let z = 0; z < topics; z++) wordGivenTopic.set(dirichlet(words, beta, rng), z * words);
  const topicGivenDoc = new Float64Array(docs * topics);
  for (let d = 0; d < docs; d++) topicGivenDoc.set(dirichlet(topics, alpha, rng), d * topics);
  return { topics, words, docs, wordGivenTopic, topicGivenDoc };
}

/** A document–word count matrix: `length` words per document drawn from the model. */
export function sampleCorpus(model: Plsa, length: number, rng: Rng): Float64Array {
  const { docs, words, topics } = model;
  const counts = new Float64Array(docs * words);
  const pick = (p: Float64Array, offset: number, n: number) => {
    let u = rng.float();
    let i = 0;
    while (i < n - 1 && u >= p[offset + i]!) u -= p[offset + i++]!;
    return i;
  };
  for (let d = 0; d < docs; d++) {
    for (let t = 0; t < length; t++) {
      const z = pick(model.topicGivenDoc, d * topics, topics);
      counts[d * words + pick(model.wordGivenTopic, z * words, words)]!++;
    }
  }
  return counts;
}

/** P(w | d) = Σ_z p(w | z) p(z | d), [D × W]. */
function mixture(m: Plsa): Float64Array {
  const { docs, words, topics } = m;
  const p = new Float64Array(docs * words);
  for (let d = 0; d < docs; d++) {
    for (let z = 0; z < topics; z++) {
      const pz = m.topicGivenDoc[d * topics + z]!;
      if (pz === 0) continue;
      for (let w = 0; w < words; w++) p[d * words + w]! += pz * m.wordGivenTopic[z * words + w]!;
    }
  }
  return p;
}

/** L = Σ n(d, w) log P(w | d); −∞ when a seen word has probability 0. */
export function plsaLogLikelihood(counts: Float64Array, m: Plsa): number {
  const p = mixture(m);
  let total = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i]! > 0) total += counts[i]! * Math.log(p[i]!);
  return total;
}

/** One EM step. */
export function plsaEmStep(counts: Float64Array, m: Plsa): Plsa {
  const { docs, words, topics } = m;
  const p = mixture(m);
  const wz = new Float64Array(topics * words), zd = new Float64Array(docs * topics);
  for (let d = 0; d < docs; d++) {
    for (let w = 0; w < words; w++) {
      const n = counts[d * words + w]!;
      if (n === 0) continue;
      const scale = n / p[d * words + w]!;
      for (let z = 0; z < topics; z++) {
        // n(d, w)·p(z | d, w), with p(z | d, w) = p(w | z) p(z | d) / P(w | d).
        const v = scale * m.wordGivenTopic[z * words + w]! * m.topicGivenDoc[d * topics + z]!;
        wz[z * words + w]! += v;
        zd[d * topics + z]! += v;
      }
    }
  }
  normalizeRows(wz, words);
  normalizeRows(zd, topics);
  return { ...m, wordGivenTopic: wz, topicGivenDoc: zd };
}

function normalizeRows(a: Float64Array, width: number): void {
  for (let r = 0; r < a.length / width; r++) {
    let s = 0;
    for (let j = 0; j < width; j++) s += a[r * width + j]!;
    for (let j = 0; j < width; j++) a[r * width + j]! /= s;
  }
}

/** The Euclidean projection of `v` onto the probability simplex (Duchi et al. 2008), in place. */
export function projectOntoSimplex(v: Float64Array, offset = 0, n = v.length): void {
  const sorted = Array.from(v.subarray(offset, offset + n)).sort((a, b) => b - a);
  let cumulative = 0, theta = 0;
  for (let j = 0; j < n; j++) {
    cumulative += sorted[j]!;
    const t = (cumulative - 1) / (j + 1);
    if (sorted[j]! - t > 0) theta = t;
  }
  for (let j = 0; j < n; j++) v[offset + j] = Math.max(0, v[offset + j]! - theta);
}

/** ∂L/∂p(w | z) and ∂L/∂p(z | d). */
function gradients(counts: Float64Array, m: Plsa): { wz: Float64Array; zd: Float64Array } {
  const { docs, words, topics } = m;
  const p = mixture(m);
  const wz = new Float64Array(topics * words), zd = new Float64Array(docs * topics);
  for (let d = 0; d < docs; d++) {
    for (let w = 0; w < words; w++) {
      const n = counts[d * words + w]!;
      if (n === 0) continue;
      const ratio = n / p[d * words + w]!;
      for (let z = 0; z < topics; z++) {
        wz[z * words + w]! += ratio * m.topicGivenDoc[d * topics + z]!;
        zd[d * topics + z]! += ratio * m.wordGivenTopic[z * words + w]!;
      }
    }
  }
  return { wz, zd };
}

/** One projected-gradient step with a backtracking line search; `step` is the trial size, updated. */
export function plsaProjectedGradientStep(
  counts: Float64Array,
  m: Plsa,
  state: { step: number; logLikelihood: number; total: number },
): Plsa {
  const g = gradients(counts, m);
  for (let tries = 0; tries < 60; tries++) {
    const s = state.step / state.total;
    const wz = m.wordGivenTopic.map((v, i) => v + s * g.wz[i]!);
    const zd = m.topicGivenDoc.map((v, i) => v + s * g.zd[i]!);
    for (let z = 0; z < m.topics; z++) projectOntoSimplex(wz, z * m.words, m.words);
    for (let d = 0; d < m.docs; d++) projectOntoSimplex(zd, d * m.topics, m.topics);
    const next = { ...m, wordGivenTopic: wz, topicGivenDoc: zd };
    const ll = plsaLogLikelihood(counts, next);
    if (ll > state.logLikelihood) {
      state.logLikelihood = ll;
      state.step *= 2;
      return next;
    }
    state.step /= 2;
  }
  return m; // no ascent step found: a stationary point, to the line search's resolution
}
