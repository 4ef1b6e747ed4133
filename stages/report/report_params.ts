/**
 * Params that report stage kinds share: rows of the comparison with the article and headline cards,
 * both reading our numbers from the run (from_run.ts) rather than restating them.
 *
 * @module
 */
import { z } from "zod";

export const metricRefSchema = z.object({ stage: z.string(), metric: z.string() }).strict();

/** A comparison row: ours is a template of params and metrics (from_run.ts), the reference a value. */
export const comparisonRowSchema = z.object({
  quantity: z.string(),
  ours: z.string(),
  reference: z.union([z.number(), z.string(), z.null()]),
  source: z.string().optional(),
  note: z.string().optional(),
  digits: z.number().int().min(0).optional(),
  lowerIsBetter: z.boolean().optional(),
}).strict();

export const comparisonSchema = z.object({
  rows: z.array(comparisonRowSchema).default([]),
  /** What differs between our setup and the article's. */
  note: z.string(),
}).strict();

export const highlightSchema = z.object({
  label: z.string(),
  ours: metricRefSchema,
  digits: z.number().int().min(0).optional(),
  note: z.string().optional(),
}).strict();
