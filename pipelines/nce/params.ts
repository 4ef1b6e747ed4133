/**
 * The params every nce stage shares: the target p ∝ exp(−a x² − b x⁴), the data size and seed, and the
 * two noise distributions NCE is run against. One place, so that the stages agree on their defaults.
 *
 * @module
 */
import { z } from "zod";

export const targetParams = {
  a: z.number().positive().default(1),
  b: z.number().min(0).default(0.5),
  /** Data samples. */
  n: z.number().int().min(100).default(10_000),
  seed: z.number().int().min(0).default(0),
};

export const noiseParams = {
  /** Half-width of the uniform noise U(−L, L). */
  uniformHalfWidth: z.number().positive().default(3),
  /** Standard deviation of the Gaussian noise N(0, s²). */
  gaussianSd: z.number().positive().default(1),
};
