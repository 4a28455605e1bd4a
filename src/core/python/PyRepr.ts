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
 * Python's `round(x, 1)`: the exact binary value rounded to one decimal, ties to even. `toFixed` already
 * rounds the exact value; it differs only on exact ties (`x * 20` an odd integer), where it rounds up.
 */
export const pyRound1 = (x: number): number => {
  if (!Number.isFinite(x)) return x
  const twenty = x * 20
  if (Number.isInteger(twenty) && !Number.isInteger(x * 10)) {
    const down = Math.floor(x * 10)
    return (down % 2 === 0 ? down : down + 1) / 10
  }
  return Number(x.toFixed(1))
}
