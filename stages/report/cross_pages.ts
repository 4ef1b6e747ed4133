/**
 * The pages of reports/ that compare several pipelines, as the engine publishes them (engine/publish.ts's
 * CrossPage): each is rewritten after a run with a stage of its kinds and linked from the index.
 *
 * @module
 */
import type { CrossPage } from "../../engine/publish.ts";
import { ganComparisonPage } from "./gan_comparison.ts";

export const CROSS_PAGES: readonly CrossPage[] = [ganComparisonPage];
