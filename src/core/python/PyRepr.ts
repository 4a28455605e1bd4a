/**
 * Python's `repr()` and `str()` of JSON/YAML values, for messages that must read exactly as spec-kitty's.
 */

const pyString = (s: string): string => {
  const quote = s.includes("'") && !s.includes("\"") ? "\"" : "'"
  let out = quote
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    if (ch === "\\") out += "\\\\"
    else if (ch === quote) out += "\\" + quote
    else if (ch === "\n") out += "\\n"
    else if (ch === "\r") out += "\\r"
    else if (ch === "\t") out += "\\t"
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) out += "\\x" + c.toString(16).padStart(2, "0")
    else out += ch
  }
  return out + quote
}

/** Python's `repr()` of a YAML-decoded value (strings, numbers, booleans, null, lists, mappings). */
export const pyRepr = (v: unknown): string => {
  if (v === null || v === undefined) return "None"
  if (typeof v === "string") return pyString(v)
  if (typeof v === "boolean") return v ? "True" : "False"
  if (typeof v === "number") return Number.isNaN(v) ? "nan" : !Number.isFinite(v) ? (v > 0 ? "inf" : "-inf") : String(v)
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyString(k)}: ${pyRepr(x)}`)
    return `{${entries.join(", ")}}`
  }
  return String(v)
}

/** Python's `str()`: strings bare, everything else as `repr()`. */
export const pyStr = (v: unknown): string => (typeof v === "string" ? v : pyRepr(v))

/**
 * Python's `round(x, 1)`: the exact binary value of `x` rounded to one decimal, ties to even. The exact
 * value comes from `toFixed(100)` (exact for |x| < 1e21), so a near-tie is never mistaken for a tie.
 */
export const pyRound1 = (x: number): number => {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return x
  const [int, frac] = Math.abs(x).toFixed(100).split(".")
  const kept = BigInt(int + frac[0])
  const rest = frac.slice(1)
  const half = rest[0] > "5" || (rest[0] === "5" && /[1-9]/.test(rest.slice(1)))
    ? 1
    : rest[0] === "5" ? 0 : -1
  const up = half > 0 || (half === 0 && kept % 2n === 1n)
  const value = Number(up ? kept + 1n : kept) / 10
  return x < 0 ? -value : value
}
