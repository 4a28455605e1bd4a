/**
 * JSON as Python's `json` module writes and reads it (docs/status-model.md §2): byte-exact encoders for log
 * lines and `status.json`, `splitlines`, a lossless parser, and Python-style parse errors.
 */
import { Either } from "effect"

/** A JSON object (a plain mapping): not null, not an array. */
export const isJsonObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v)

/** A parsed JSON value. Numbers are JS numbers, except where the lossless parser keeps a lexeme. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonNumber
  | ReadonlyArray<JsonValue>
  | { readonly [key: string]: JsonValue }

/** A number kept as its source lexeme (from parseLossless), serialized verbatim. */
export class JsonNumber {
  constructor(readonly lexeme: string) {}
}

// ---------------------------------------------------------------------------------------------
// Key order: Python sorts str keys by code point; JS `<` compares UTF-16 code units.

const surrogate = /[\ud800-\udfff]/

// Code-point order; the string iterator yields a pair as one astral code point and a lone
// surrogate as itself, exactly like Python's str.
const compareByCodePoint = (a: string, b: string): number => {
  const ia = a[Symbol.iterator]()
  const ib = b[Symbol.iterator]()
  for (;;) {
    const x = ia.next()
    const y = ib.next()
    if (x.done) return y.done ? 0 : -1
    if (y.done) return 1
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!
    if (d !== 0) return d
  }
}

const sortedKeys = (object: { readonly [key: string]: JsonValue }): Array<string> => {
  const keys = Object.keys(object)
  if (keys.length < 2) return keys
  for (const key of keys) {
    if (surrogate.test(key)) return keys.sort(compareByCodePoint)
  }
  // Without surrogates, code-unit order is code-point order.
  return keys.sort()
}

// ---------------------------------------------------------------------------------------------
// Strings

const shortEscapes: Record<string, string> = {
  "\"": "\\\"",
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t"
}

const escapeUnit = (unit: string): string =>
  shortEscapes[unit] ?? "\\u" + unit.charCodeAt(0).toString(16).padStart(4, "0")

// Without the u flag a class matches UTF-16 code units, so each half of a pair is escaped alone.
const asciiEscapable = /[\u0000-\u001f"\\\u007f-\uffff]/
const asciiEscapableAll = /[\u0000-\u001f"\\\u007f-\uffff]/g
const rawEscapable = /[\u0000-\u001f"\\]/
const rawEscapableAll = /[\u0000-\u001f"\\]/g

const quoteAscii = (s: string): string =>
  asciiEscapable.test(s) ? "\"" + s.replace(asciiEscapableAll, escapeUnit) + "\"" : "\"" + s + "\""

const quoteRaw = (s: string): string =>
  rawEscapable.test(s) ? "\"" + s.replace(rawEscapableAll, escapeUnit) + "\"" : "\"" + s + "\""

// ---------------------------------------------------------------------------------------------
// Numbers

/** Python `repr(float)` for a finite JS number that is not an integer-valued safe integer context, e.g. 1.0, 1e-05, 1e+16, 0.1. */
export const pyFloatRepr = (n: number): string => {
  if (Number.isNaN(n)) return "nan"
  if (n === Infinity) return "inf"
  if (n === -Infinity) return "-inf"
  if (n === 0) return Object.is(n, -0) ? "-0.0" : "0.0"
  const sign = n < 0 ? "-" : ""
  // JS toString gives the shortest round-trip digits, as Python's repr does; only the layout differs.
  const text = String(Math.abs(n))
  const e = text.indexOf("e")
  const mantissa = e < 0 ? text : text.slice(0, e)
  const exponent = e < 0 ? 0 : Number(text.slice(e + 1))
  const dot = mantissa.indexOf(".")
  let digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1)
  // value = 0.d1d2...dn × 10^decpt
  let decpt = (dot < 0 ? mantissa.length : dot) + exponent
  let lead = 0
  while (digits.charCodeAt(lead) === 48) lead++
  let end = digits.length
  while (end > lead + 1 && digits.charCodeAt(end - 1) === 48) end--
  digits = digits.slice(lead, end)
  decpt -= lead
  if (decpt <= -4 || decpt > 16) {
    const exp = decpt - 1
    const head = digits.length === 1 ? digits : digits[0] + "." + digits.slice(1)
    return sign + head + (exp < 0 ? "e-" : "e+") + String(Math.abs(exp)).padStart(2, "0")
  }
  if (decpt <= 0) return sign + "0." + "0".repeat(-decpt) + digits
  if (decpt >= digits.length) return sign + digits + "0".repeat(decpt - digits.length) + ".0"
  return sign + digits.slice(0, decpt) + "." + digits.slice(decpt)
}

const encodeNumber = (n: number): string => {
  if (Number.isInteger(n)) {
    if (!Number.isSafeInteger(n)) throw new Error(`PyJson: integer ${n} is beyond 2^53 and cannot be encoded exactly`)
    return n === 0 ? "0" : String(n)
  }
  if (!Number.isFinite(n)) throw new Error(`PyJson: non-finite number ${n} cannot be encoded`)
  return pyFloatRepr(n)
}

const unsupported = (value: unknown): never => {
  throw new Error(`PyJson: cannot encode a value of type ${typeof value}`)
}

// ---------------------------------------------------------------------------------------------
// Encoders

/** Writes a scalar (or a kept number lexeme) and returns true; false for an array or object. */
const writeScalar = (value: JsonValue, quote: (s: string) => string, out: Array<string>): boolean => {
  if (value === null) {
    out.push("null")
    return true
  }
  switch (typeof value) {
    case "string":
      out.push(quote(value))
      return true
    case "number":
      out.push(encodeNumber(value))
      return true
    case "boolean":
      out.push(value ? "true" : "false")
      return true
    case "object":
      if (value instanceof JsonNumber) {
        out.push(value.lexeme)
        return true
      }
      return false
    default:
      return unsupported(value)
  }
}

const writeLine = (value: JsonValue, out: Array<string>): void => {
  if (writeScalar(value, quoteAscii, out)) return
  if (Array.isArray(value)) {
    const items = value as ReadonlyArray<JsonValue>
    out.push("[")
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out.push(", ")
      writeLine(items[i], out)
    }
    out.push("]")
  } else {
    const object = value as { readonly [key: string]: JsonValue }
    const keys = sortedKeys(object)
    out.push("{")
    for (let i = 0; i < keys.length; i++) {
      out.push(i > 0 ? ", " : "", quoteAscii(keys[i]), ": ")
      writeLine(object[keys[i]], out)
    }
    out.push("}")
  }
}

const indents: Array<string> = ["\n"]
const newlineIndent = (depth: number): string => {
  while (indents.length <= depth) indents.push(indents[indents.length - 1] + "  ")
  return indents[depth]
}

const writePretty = (value: JsonValue, depth: number, out: Array<string>): void => {
  if (writeScalar(value, quoteRaw, out)) return
  if (Array.isArray(value)) {
    const items = value as ReadonlyArray<JsonValue>
    if (items.length === 0) {
      out.push("[]")
      return
    }
    const inner = newlineIndent(depth + 1)
    out.push("[")
    for (let i = 0; i < items.length; i++) {
      out.push(i > 0 ? "," + inner : inner)
      writePretty(items[i], depth + 1, out)
    }
    out.push(newlineIndent(depth), "]")
  } else {
    const object = value as { readonly [key: string]: JsonValue }
    const keys = sortedKeys(object)
    if (keys.length === 0) {
      out.push("{}")
      return
    }
    const inner = newlineIndent(depth + 1)
    out.push("{")
    for (let i = 0; i < keys.length; i++) {
      out.push(i > 0 ? "," + inner : inner, quoteRaw(keys[i]), ": ")
      writePretty(object[keys[i]], depth + 1, out)
    }
    out.push(newlineIndent(depth), "}")
  }
}

/** Python `json.dumps(value, sort_keys=True)` (ensure_ascii=True, separators ", " and ": "), no trailing newline. */
export const encodeLine = (value: JsonValue): string => {
  if (typeof value === "string") return quoteAscii(value)
  const out: Array<string> = []
  writeLine(value, out)
  return out.join("")
}

/** Python `json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n"` (status.json format). */
export const encodePretty = (value: JsonValue): string => {
  const out: Array<string> = []
  writePretty(value, 0, out)
  out.push("\n")
  return out.join("")
}

// ---------------------------------------------------------------------------------------------
// Log lines

// Python str.isspace()
const isPySpace = (c: number): boolean =>
  c <= 0x20
    ? c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f)
    : c >= 0x85 &&
      (c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 ||
        c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000)

/** True when `text` is empty or only Python whitespace (`not text.strip()`). */
export const isPyBlank = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) if (!isPySpace(text.charCodeAt(i))) return false
  return true
}

// Python str.splitlines() boundaries other than "\n"; `includes` per character is a memchr, about twice as
// fast as one character-class regex over a large log
const RARE_BREAKS = ["\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
const hasRareLineBreak = (text: string): boolean => RARE_BREAKS.some((c) => text.includes(c))
const lineBreakAll = /\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/g

/** `text[start, end)` stripped of Python whitespace (`str.strip()`). */
export const stripPy = (text: string, start: number, end: number): string => {
  while (start < end && isPySpace(text.charCodeAt(start))) start++
  while (end > start && isPySpace(text.charCodeAt(end - 1))) end--
  return end > start ? text.slice(start, end) : ""
}

const visitStripped = (
  text: string,
  start: number,
  end: number,
  line: number,
  visit: (line: number, text: string) => boolean
): boolean => {
  while (start < end && isPySpace(text.charCodeAt(start))) start++
  while (end > start && isPySpace(text.charCodeAt(end - 1))) end--
  return end > start ? visit(line, text.slice(start, end)) : true
}

/**
 * Visits the lines of Python `str.splitlines()`, each stripped (Python whitespace), numbered from 1
 * counting blank lines; blank lines are skipped. `visit` returns false to stop early.
 */
export const forEachLogLine = (text: string, visit: (line: number, text: string) => boolean): void => {
  let line = 1
  let start = 0
  if (!hasRareLineBreak(text)) {
    for (;;) {
      const nl = text.indexOf("\n", start)
      if (nl < 0) break
      if (!visitStripped(text, start, nl, line++, visit)) return
      start = nl + 1
    }
  } else {
    lineBreakAll.lastIndex = 0
    for (let m = lineBreakAll.exec(text); m !== null; m = lineBreakAll.exec(text)) {
      if (!visitStripped(text, start, m.index, line++, visit)) return
      start = m.index + m[0].length
    }
  }
  visitStripped(text, start, text.length, line, visit)
}

/** Python `str.splitlines()` of a text, each line stripped (Python str.strip whitespace), numbered from 1 counting blank lines; blank lines omitted. */
export const splitLogLines = (text: string): Array<{ readonly line: number; readonly text: string }> => {
  const out: Array<{ readonly line: number; readonly text: string }> = []
  forEachLogLine(text, (line, t) => {
    out.push({ line, text: t })
    return true
  })
  return out
}

// ---------------------------------------------------------------------------------------------
// Lossless parser, with Python 3.11 `json.loads` error details

class ParseFailure {
  constructor(readonly detail: string, readonly pos: number) {}
}

const numberLexeme = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y
const plainRun = /[^"\\\u0000-\u001f]*/y
const hex4 = /^[0-9a-fA-F]{4}$/

const simpleEscapes: Record<string, string> = {
  "\"": "\"",
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t"
}

const countCodePoints = (text: string, from: number, to: number): number => {
  let n = to - from
  for (let i = from; i < to - 1; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--
        i++
      }
    }
  }
  return n
}

// Python's JSONDecodeError str(): positions count code points, not UTF-16 units.
const pythonDetail = (text: string, failure: ParseFailure): string => {
  const pos = failure.pos
  let lineno = 1
  let lineStart = 0
  for (let nl = text.indexOf("\n"); nl >= 0 && nl < pos; nl = text.indexOf("\n", nl + 1)) {
    lineno++
    lineStart = nl + 1
  }
  const char = countCodePoints(text, 0, pos)
  const column = countCodePoints(text, lineStart, pos) + 1
  return `${failure.detail}: line ${lineno} column ${column} (char ${char})`
}

const setMember = (object: Record<string, JsonValue>, key: string, value: JsonValue): void => {
  if (key === "__proto__") {
    Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true })
  } else {
    object[key] = value
  }
}

const parseText = (text: string): JsonValue => {
  const length = text.length
  let pos = 0

  const skipWhitespace = (): void => {
    for (;;) {
      const c = text.charCodeAt(pos)
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++
      else return
    }
  }

  const parseString = (): string => {
    const open = pos
    pos++
    let result = ""
    for (;;) {
      plainRun.lastIndex = pos
      plainRun.test(text)
      if (plainRun.lastIndex > pos) {
        result += text.slice(pos, plainRun.lastIndex)
        pos = plainRun.lastIndex
      }
      if (pos >= length) throw new ParseFailure("Unterminated string starting at", open)
      const c = text[pos]
      if (c === "\"") {
        pos++
        return result
      }
      if (c !== "\\") throw new ParseFailure("Invalid control character at", pos)
      if (pos + 1 >= length) throw new ParseFailure("Unterminated string starting at", open)
      const e = text[pos + 1]
      if (e === "u") {
        const digits = text.slice(pos + 2, pos + 6)
        // Like CPython, an escape that leaves no room for the closing quote is invalid, not unterminated.
        if (pos + 6 >= length || !hex4.test(digits)) throw new ParseFailure("Invalid \\uXXXX escape", pos + 1)
        // Each escape is a UTF-16 unit; a high escape followed by a low escape joins into one pair.
        result += String.fromCharCode(parseInt(digits, 16))
        pos += 6
      } else {
        const unescaped = simpleEscapes[e]
        if (unescaped === undefined) throw new ParseFailure("Invalid \\escape", pos)
        result += unescaped
        pos += 2
      }
    }
  }

  const parseValue = (): JsonValue => {
    switch (text[pos]) {
      case "\"":
        return parseString()
      case "{":
        return parseObject()
      case "[":
        return parseArray()
      case "n":
        if (text.startsWith("null", pos)) {
          pos += 4
          return null
        }
        break
      case "t":
        if (text.startsWith("true", pos)) {
          pos += 4
          return true
        }
        break
      case "f":
        if (text.startsWith("false", pos)) {
          pos += 5
          return false
        }
        break
      // Python's json.loads accepts these and json.dumps writes them back verbatim.
      case "N":
        if (text.startsWith("NaN", pos)) {
          pos += 3
          return new JsonNumber("NaN")
        }
        break
      case "I":
        if (text.startsWith("Infinity", pos)) {
          pos += 8
          return new JsonNumber("Infinity")
        }
        break
      case "-":
        if (text.startsWith("-Infinity", pos)) {
          pos += 9
          return new JsonNumber("-Infinity")
        }
        break
    }
    numberLexeme.lastIndex = pos
    const match = numberLexeme.exec(text)
    if (match === null) throw new ParseFailure("Expecting value", pos)
    pos += match[0].length
    return new JsonNumber(match[0])
  }

  const parseObject = (): JsonValue => {
    const object: Record<string, JsonValue> = {}
    pos++
    skipWhitespace()
    if (text[pos] === "}") {
      pos++
      return object
    }
    for (;;) {
      if (text[pos] !== "\"") throw new ParseFailure("Expecting property name enclosed in double quotes", pos)
      const key = parseString()
      skipWhitespace()
      if (text[pos] !== ":") throw new ParseFailure("Expecting ':' delimiter", pos)
      pos++
      skipWhitespace()
      setMember(object, key, parseValue())
      skipWhitespace()
      const c = text[pos]
      if (c === "}") {
        pos++
        return object
      }
      if (c !== ",") throw new ParseFailure("Expecting ',' delimiter", pos)
      pos++
      skipWhitespace()
    }
  }

  const parseArray = (): JsonValue => {
    const items: Array<JsonValue> = []
    pos++
    skipWhitespace()
    if (text[pos] === "]") {
      pos++
      return items
    }
    for (;;) {
      items.push(parseValue())
      skipWhitespace()
      const c = text[pos]
      if (c === "]") {
        pos++
        return items
      }
      if (c !== ",") throw new ParseFailure("Expecting ',' delimiter", pos)
      pos++
      skipWhitespace()
    }
  }

  if (text.charCodeAt(0) === 0xfeff) throw new ParseFailure("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0)
  skipWhitespace()
  const value = parseValue()
  skipWhitespace()
  if (pos !== length) throw new ParseFailure("Extra data", pos)
  return value
}

/** A JSON parser that keeps every number's lexeme as a JsonNumber (for merges and user input), duplicate keys last-wins, returns Either-like result: { ok: true, value } | { ok: false, message } with a Python-like detail. */
export const parseLossless = (
  text: string
): { readonly ok: true; readonly value: JsonValue } | { readonly ok: false; readonly message: string } => {
  try {
    return { ok: true, value: parseText(text) }
  } catch (error) {
    if (error instanceof ParseFailure) return { ok: false, message: pythonDetail(text, error) }
    if (error instanceof RangeError) return { ok: false, message: "maximum recursion depth exceeded while decoding JSON" }
    throw error
  }
}

/** How deep a document kittyctx reads may nest (real files nest a few levels; validators recurse). */
export const MAX_JSON_DEPTH = 64

/**
 * True when JSON `text` opens more than `max` arrays/objects (brackets inside strings count too): a value
 * parsed from a text that does not cannot nest deeper than `max`, so the walk below is skipped. Native
 * searches, a call per bracket: most rows have a handful.
 */
export const opensMoreThan = (text: string, max: number): boolean => {
  let count = 0
  for (const bracket of ["{", "["]) {
    for (let i = text.indexOf(bracket); i !== -1; i = text.indexOf(bracket, i + 1)) if (++count > max) return true
  }
  return false
}

/** True when a parsed value nests deeper than `max` arrays/objects; iterative, so any depth is safe. */
export const nestsDeeperThan = (value: unknown, max: number): boolean => {
  const stack: Array<readonly [unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (typeof v !== "object" || v === null) continue
    if (depth >= max) return true
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1])
    }
  }
  return false
}

/**
 * `JSON.parse` for a document kittyctx validates, with a failure described as Python's `json` describes
 * it (position only; the message never quotes the text, which may be anything a link points at) and
 * nesting bounded by `MAX_JSON_DEPTH` before any validator walks it.
 */
export const parseJsonText = (text: string): Either.Either<unknown, string> => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    const lossless = parseLossless(text)
    return Either.left(lossless.ok ? "not valid JSON" : lossless.message)
  }
  return opensMoreThan(text, MAX_JSON_DEPTH) && nestsDeeperThan(value, MAX_JSON_DEPTH)
    ? Either.left(`nested more than ${MAX_JSON_DEPTH} levels deep`)
    : Either.right(value)
}
