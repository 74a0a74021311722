/** "Did you mean" suggestions for misspelt config keys and environment variables. */

/** Lowercase with separators dropped, so `client_id`, `client-id` and `clientId` compare equal. */
function normalize(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions (`sceure` → `secure` is 1). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const prev = rows[i - 1]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/**
 * The closest candidate to `name`, or undefined when none is close. A candidate matches when it is equal
 * after normalising case and separators (also on its last dotted segment), or within a small edit distance.
 */
export function suggest(name: string, candidates: readonly string[]): string | undefined {
  const n = normalize(name);
  const exact = candidates.find((c) => normalize(c) === n || normalize(c.slice(c.lastIndexOf('.') + 1)) === n);
  if (exact !== undefined) return exact;
  const limit = Math.min(3, Math.max(1, Math.floor(n.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const d = editDistance(n, normalize(c));
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}
