/**
 * Evaluation math for image generators, float64 throughout: the Fréchet distance of classifier
 * features (frechet.ts), the classifier inception score and class coverage (scores.ts), and the nearest
 * training image of each sample (nearest.ts).
 *
 * @module
 */
export * from "./frechet.ts";
export * from "./nearest.ts";
export * from "./scores.ts";
