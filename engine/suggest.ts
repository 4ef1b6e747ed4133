/**
 * "Did you mean …?" for names typed by a user: the closest candidate by edit distance.
 *
 * @module
 */

/** Levenshtein distance between `a` and `b`. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The candidates closest to `name`, best first: within a third of its length, or sharing a prefix. */
export function closestAll(name: string, candidates: readonly string[], limit = 3): string[] {
  const scored = candidates.map((c) => {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    const related = d <= Math.max(2, Math.floor(name.length / 3)) || c.startsWith(name) || name.startsWith(c);
    return { c, d, related };
  }).filter((s) => s.related);
  return scored.sort((x, y) => x.d - y.d || (x.c < y.c ? -1 : 1)).slice(0, limit).map((s) => s.c);
}

/** The single closest candidate, or undefined when none is close. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  return closestAll(name, candidates, 1)[0];
}
