/** Edit distance (Levenshtein), case-insensitive: for "did you mean" on a mistyped flag or setting. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const row = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= y.length; j++) {
      const here = row[j] as number;
      row[j] = Math.min(here + 1, (row[j - 1] as number) + 1, prev + (x[i - 1] === y[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[y.length] as number;
}

/** The known name closest to `given`, if it is within `maxDistance` edits; else null. */
export function closest(given: string, known: readonly string[], maxDistance: number): string | null {
  let best: { name: string; d: number } | null = null;
  for (const name of known) {
    const d = editDistance(given, name);
    if (!best || d < best.d) best = { name, d };
  }
  return best && best.d <= maxDistance ? best.name : null;
}
