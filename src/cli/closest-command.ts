/**
 * "Did you mean …?" for a mistyped command: the known command closest to what was typed, by edit
 * distance, when it is close enough to be a typo rather than a different word. Pure.
 */

/**
 * Edit distance counting an insertion, a deletion, a substitution or a swap of two neighbouring
 * letters as 1 (optimal string alignment): `stauts` is one typo from `status`, not two.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to `typed` (both as words separated by spaces, `grants request`), or
 * undefined when none is within a typo's reach: one edit per four letters typed, and at least one.
 */
export function closestCommand(typed: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(typed, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (!best) return undefined;
  const reach = Math.max(1, Math.floor(typed.length / 4));
  return best.distance <= reach ? best.name : undefined;
}
