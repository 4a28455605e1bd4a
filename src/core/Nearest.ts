/**
 * Nearest matches for a mistyped word (a subcommand, a flag, a mission handle): the optimal string
 * alignment distance (Levenshtein with adjacent transpositions) and a ranked pick. Pure.
 */

/** The number of single-character edits (insert, delete, substitute, swap two neighbours) from `a` to `b`. */
export const editDistance = (a: string, b: string): number => {
  const s = [...a]
  const t = [...b]
  const rows: Array<Array<number>> = []
  for (let i = 0; i <= s.length; i++) rows.push(new Array<number>(t.length + 1).fill(0))
  for (let i = 0; i <= s.length; i++) rows[i][0] = i
  for (let j = 0; j <= t.length; j++) rows[0][j] = j
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1)
      rows[i][j] = d
    }
  }
  return rows[s.length][t.length]
}

/** How close a candidate must be: a third of the word's length, at least 2 edits. */
const threshold = (word: string): number => Math.max(2, Math.floor([...word].length / 3))

/**
 * The candidates nearest to `word`, best first (at most `limit`): a candidate containing the word (or
 * contained in it) ranks first, then by edit distance within the threshold; ties by name. `keys` gives
 * the spellings a candidate may be matched under (default: the candidate itself).
 */
export const nearest = (
  word: string,
  candidates: ReadonlyArray<string>,
  options: { readonly limit?: number; readonly keys?: (candidate: string) => ReadonlyArray<string> } = {}
): ReadonlyArray<string> => {
  const w = word.toLowerCase()
  if (w === "") return []
  const scored: Array<readonly [number, string]> = []
  for (const c of candidates) {
    const keys = (options.keys?.(c) ?? [c]).map((k) => k.toLowerCase())
    let best = Infinity
    for (const k of keys) {
      const score = k.includes(w) || (k.length >= 3 && w.includes(k)) ? 0 : editDistance(w, k)
      if (score < best) best = score
    }
    if (best === 0 || best <= threshold(word)) scored.push([best, c])
  }
  scored.sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0))
  return scored.slice(0, options.limit ?? 5).map(([, c]) => c)
}
