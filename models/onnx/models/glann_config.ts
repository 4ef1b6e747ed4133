/**
 * The names of glann.ts's methods, free of graph code, so that a pipeline can read them when it is
 * loaded without loading the graph builder.
 *
 * @module
 */

export const GLANN_METHODS = ["imle", "imle-repulsion", "glann", "vae"] as const;
export type GlannMethod = typeof GLANN_METHODS[number];
