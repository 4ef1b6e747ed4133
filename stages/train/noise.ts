/**
 * Host-side noise for a training step, a pure function of (seed, step, stream): a resumed training
 * draws exactly the noise an uninterrupted one would have, with nothing to checkpoint.
 *
 * @module
 */
import { mixSeed, Rng } from "../data/random.ts";

export type NoiseKind = "normal" | "uniform";

/** Fills `out` with N(0, 1) or U(−1, 1) draws for `step` of stream `stream` (one per batch input). */
export function fillNoise(
  out: Float32Array,
  kind: NoiseKind,
  seed: number,
  step: number,
  stream: number,
): Float32Array {
  const rng = new Rng(mixSeed(seed, step, stream));
  if (kind === "normal") { for (let i = 0; i < out.length; i++) out[i] = rng.normal(); }
  else for (let i = 0; i < out.length; i++) out[i] = 2 * rng.float() - 1;
  return out;
}
