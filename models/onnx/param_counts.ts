/**
 * Trainable reals by group, the group being the first `depth` parts of a parameter's name
 * ("generator/…" → "generator"; depth 2: "vae/encoder/…" → "vae/encoder"): the counts a graph stage's
 * describe.json and report list.
 *
 * @example
 * ```ts
 * import { parameterCounts } from "./param_counts.ts";
 * const counts = parameterCounts([{ name: "g/fc/W", shape: [3, 4] }, { name: "g/fc/b", shape: [4] }]);
 * if (counts.g !== 16) throw new Error("expected 16");
 * ```
 *
 * @module
 */

export function parameterCounts(
  params: readonly { name: string; shape: readonly number[] }[],
  depth = 1,
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const q of params) {
    const group = q.name.split("/").slice(0, depth).join("/");
    counts[group] = (counts[group] ?? 0) + q.shape.reduce((a, b) => a * b, 1);
  }
  return counts;
}
