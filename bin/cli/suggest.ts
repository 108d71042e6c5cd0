/**
 * Edits between two words: insertions, deletions, substitutions, and swaps of two neighbouring letters
 * (optimal string alignment), so the commonest typo, `stauts` for `status`, is one edit, not two.
 */
export function editDistance(a: string, b: string): number {
  // rows[i][j]: edits between the first i letters of a and the first j letters of b.
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => rows[i]?.[j] as number;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      (rows[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The known words `word` may have meant, in their given order: the nearest ones if near enough to be a
 * typo (up to one edit per three letters, at least one, at most two, ignoring case; none for a word
 * shorter than three), and the ones it
 * begins (`stat`: `status`, for a word of three letters or more). Further off, a suggestion is more
 * likely wrong than helpful.
 */
export function nearest(word: string, known: readonly string[]): string[] {
  const lower = word.toLowerCase();
  // A word of one or two letters is one edit from too much (`-x` from `-h`): only its case may differ.
  const allowed = word.length < 3 ? 0 : Math.min(2, Math.max(1, Math.floor(word.length / 3)));
  const distances = known.map((candidate) => editDistance(lower, candidate.toLowerCase()));
  const best = Math.min(...distances);
  return known.filter(
    (candidate, index) =>
      (best <= allowed && distances[index] === best) ||
      (lower.length >= 3 && candidate.toLowerCase().startsWith(lower)),
  );
}

/** `; did you mean "status"?` (or `"start" or "status"`), or nothing when no known word is near. */
export function didYouMean(word: string, known: readonly string[]): string {
  const words = nearest(word, known).map((candidate) => `"${candidate}"`);
  return words.length === 0 ? '' : `; did you mean ${words.join(' or ')}?`;
}
