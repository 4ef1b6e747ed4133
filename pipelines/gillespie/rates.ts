/**
 * The params schema of the model's rates, shared by the stages that simulate or solve the model.
 *
 * @module
 */
import { z } from "zod";
import { ARTICLE_RATES } from "./model.ts";

export const positive = z.number().positive();
export const ratesSchema = z.object({
  transcription: positive.default(ARTICLE_RATES.transcription),
  translation: positive.default(ARTICLE_RATES.translation),
  mrnaDecay: positive.default(ARTICLE_RATES.mrnaDecay),
  proteinDecay: positive.default(ARTICLE_RATES.proteinDecay),
}).strict();
