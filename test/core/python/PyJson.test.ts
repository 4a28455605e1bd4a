import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { fileURLToPath, pathToFileURL } from "node:url"
import { CORPUS_DIR } from "../../support/corpus.js"
import {
  encodeLine,
  encodePretty,
  JsonNumber,
  type JsonValue,
  parseLossless,
  pyFloatRepr,
  splitLogLines
} from "../../../src/core/python/PyJson.js"

// ---------------------------------------------------------------------------------------------
// Reference implementation of CPython's json encoder rules, written independently of the module:
// it walks code points (not UTF-16 units), sorts keys as code point arrays and joins lists.

const hex4 = (n: number): string => n.toString(16).padStart(4, "0")
const pyShort: Record<number, string> = { 0x22: "\\\"", 0x5c: "\\\\", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t" }

const refQuote = (s: string, ensureAscii: boolean): string => {
  const parts: Array<string> = []
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    if (pyShort[cp] !== undefined) parts.push(pyShort[cp])
    else if (cp < 0x20) parts.push("\\u" + hex4(cp))
    else if (ensureAscii && cp > 0x7e && cp > 0xffff) {
      const v = cp - 0x10000
      parts.push("\\u" + hex4(0xd800 | (v >> 10)) + "\\u" + hex4(0xdc00 | (v & 0x3ff)))
    } else if (ensureAscii && cp > 0x7e) parts.push("\\u" + hex4(cp))
    else parts.push(ch)
  }
  return "\"" + parts.join("") + "\""
}

const codePoints = (s: string): Array<number> => Array.from(s, (c) => c.codePointAt(0)!)
const refCompare = (a: string, b: string): number => {
  const x = codePoints(a)
  const y = codePoints(b)
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i]
  return x.length - y.length
}

const refEncode = (v: JsonValue, ensureAscii: boolean, indent: string | undefined, depth = 0): string => {
  if (v === null) return "null"
  if (v === true) return "true"
  if (v === false) return "false"
  if (typeof v === "number") return String(v)
  if (typeof v === "string") return refQuote(v, ensureAscii)
  if (v instanceof JsonNumber) return v.lexeme
  const open = Array.isArray(v) ? "[" : "{"
  const close = Array.isArray(v) ? "]" : "}"
  const items = Array.isArray(v)
    ? (v as ReadonlyArray<JsonValue>).map((x) => refEncode(x, ensureAscii, indent, depth + 1))
    : Object.entries(v as Record<string, JsonValue>)
      .sort(([a], [b]) => refCompare(a, b))
      .map(([k, x]) => refQuote(k, ensureAscii) + ": " + refEncode(x, ensureAscii, indent, depth + 1))
  if (items.length === 0) return open + close
  if (indent === undefined) return open + items.join(", ") + close
  const inner = "\n" + indent.repeat(depth + 1)
  return open + inner + items.join("," + inner) + "\n" + indent.repeat(depth) + close
}
const refLine = (v: JsonValue): string => refEncode(v, true, undefined)
const refPretty = (v: JsonValue): string => refEncode(v, false, "  ") + "\n"

// Python repr(float), derived from toExponential digits with the 'r' format thresholds.
const refFloatRepr = (x: number): string => {
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0"
  const sign = x < 0 ? "-" : ""
  const [mantissa, e] = Math.abs(x).toExponential().split("e")
  const exp = Number(e)
  const digits = mantissa.replace(".", "")
  if (exp < -4 || exp >= 16) return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(2, "0")
  if (exp < 0) return sign + "0." + "0".repeat(-exp - 1) + digits
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, "0")
  return sign + whole + "." + (digits.slice(exp + 1) || "0")
}

// Python str.splitlines() + str.strip(), as a plain state machine over code units.
const pyBreaks = new Set([0x0a, 0x0d, 0x0b, 0x0c, 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029])
const pySpaces = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
  0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000
])
const refSplitLogLines = (text: string): Array<{ line: number; text: string }> => {
  const lines: Array<string> = []
  let current = ""
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (!pyBreaks.has(c)) {
      current += text[i]
      continue
    }
    if (c === 0x0d && text.charCodeAt(i + 1) === 0x0a) i++
    lines.push(current)
    current = ""
  }
  if (current !== "") lines.push(current)
  const strip = (s: string): string => {
    const units = s.split("")
    while (units.length > 0 && pySpaces.has(units[0].charCodeAt(0))) units.shift()
    while (units.length > 0 && pySpaces.has(units[units.length - 1].charCodeAt(0))) units.pop()
    return units.join("")
  }
  return lines.map((l, i) => ({ line: i + 1, text: strip(l) })).filter((l) => l.text !== "")
}

// ---------------------------------------------------------------------------------------------
// Arbitraries: strings mixing ASCII, controls, DEL, escapes, BMP units (lone surrogates included)
// and astral characters.

const unit = fc.oneof(
  { arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), weight: 4 },
  { arbitrary: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), weight: 1 },
  { arbitrary: fc.constantFrom("\"", "\\", "/", "\u007f", "\u2028", "\ufeff", "\ue000", "\uffff", "0", "9"), weight: 2 },
  { arbitrary: fc.integer({ min: 0x80, max: 0xffff }).map((c) => String.fromCharCode(c)), weight: 2 },
  { arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), weight: 1 },
  { arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)), weight: 2 }
)
const pyString = fc.string({ unit, maxLength: 10 })
const key = fc.oneof(pyString, fc.constantFrom("0", "9", "10", "42", "a", "\ud83d\ude00", "\ue000", "__proto__"))
const { json } = fc.letrec<{ json: JsonValue }>((tie) => ({
  json: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    pyString,
    fc.array(tie("json"), { maxLength: 4 }),
    fc.dictionary(key, tie("json"), { maxKeys: 5, noNullPrototype: true })
  )
}))

// ---------------------------------------------------------------------------------------------
// Tables generated with CPython 3.11: [value, json.dumps(value), json.dumps(value, ensure_ascii=False)]

const stringTable: ReadonlyArray<readonly [string, string, string]> = [
  ["", "\"\"", "\"\""],
  ["plain", "\"plain\"", "\"plain\""],
  ["/path/to", "\"/path/to\"", "\"/path/to\""],
  ["quote\"back\\slash", "\"quote\\\"back\\\\slash\"", "\"quote\\\"back\\\\slash\""],
  ["\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"", "\"\\b\\f\\n\\r\\t\""],
  ["\u0000\u0001\u001f", "\"\\u0000\\u0001\\u001f\"", "\"\\u0000\\u0001\\u001f\""],
  ["\u007f", "\"\\u007f\"", "\"\u007f\""],
  ["\u0080\u00e9\u00ff", "\"\\u0080\\u00e9\\u00ff\"", "\"\u0080\u00e9\u00ff\""],
  ["\u2014\u2192", "\"\\u2014\\u2192\"", "\"\u2014\u2192\""],
  ["\u2028\u2029", "\"\\u2028\\u2029\"", "\"\u2028\u2029\""],
  ["\ufeff", "\"\\ufeff\"", "\"\ufeff\""],
  ["\ue000\uffff", "\"\\ue000\\uffff\"", "\"\ue000\uffff\""],
  ["\ud83d\ude00", "\"\\ud83d\\ude00\"", "\"\ud83d\ude00\""],
  ["\udbff\udfff", "\"\\udbff\\udfff\"", "\"\udbff\udfff\""],
  ["\ud800", "\"\\ud800\"", "\"\ud800\""],
  ["\udfff", "\"\\udfff\"", "\"\udfff\""],
  ["a\udc00\ud800b", "\"a\\udc00\\ud800b\"", "\"a\udc00\ud800b\""],
  ["caf\u00e9 \u2014 ok", "\"caf\\u00e9 \\u2014 ok\"", "\"caf\u00e9 \u2014 ok\""]
]

// CPython repr(float) outputs: edge cases, then random doubles.
const floatReprs = [
  "0.0", "-0.0", "1.0", "-1.0", "0.1", "0.5",
  "1.5", "-2.5", "100000.0", "1000000000000000.0", "1e+16", "0.0001",
  "1e-05", "1.5e-07", "123456789012345.0", "1.2345678901234567e+19", "0.30000000000000004", "5e-324",
  "1.7976931348623157e+308", "2.2250738585072014e-308", "9007199254740992.0", "1e+22", "1e+21", "1e+300",
  "123.456", "0.001", "1.2345678901234568e+16", "1234567890123456.8", "-0.000123", "4835739785214.588",
  "-2.1520217579844227e+32", "2.979491062738484e-11", "-2.3027782228163463e+146", "6.352929017207453e-183",
  "-9.737716208221956e-08", "-2.7101257455480903e+205", "-2.2112537682646204e-17", "3.490691392124745e+240",
  "-2.9317061175715426e+274", "-5.810872350097642e-08", "-6.682871152101791e-11", "2.0062829023357212e-63",
  "3.556609545011846e-08", "-1.3225590241284384e-73", "-3.5779800659736107e+177", "2.668197312831474e+137",
  "5.179176268068951e-129", "4.498382428028419e+63", "1.722825170067417e+17", "-0.03242062767442697",
  "6.734808094155251e+284", "-6304535198.030117", "-8.859981409284201e-20", "-28471.18698823321",
  "3.115740318026385e+208", "-6.521567272298063e+112", "-1.651969439204383e-52", "-2.199068853563827e+252",
  "3.008264692815159e-05", "88.40876588553988", "7.854221839413318e-05", "-783.8942618703342",
  "-9.267368401143451e-16", "-5.0448832458621163e-172", "1.7726911202142864e+111", "-5.210316280638388e-253",
  "4.895355721630368e+82", "3.0697339456907557e-212", "0.04422700805839089", "-6.7694107115076755e-18",
  "-2.6010577982987323e-267", "-9.363470340171964e+17", "8.236225741422181e+253", "-7.087419620795963e+19",
  "1.3065511402288289e+104", "-7388563456937600.0", "260798.58685278913", "9.418472385546688e+151",
  "5.168856069447536e+210", "-2.5681118284598098e+212", "7045053417874.858", "-8.20622866951007e-76",
  "-0.0004191509970969665", "5.032352244988418e-128", "-1.8342908042372516e+294", "-64120753665.32064",
  "-63975940511.91598", "-2.2788696852015523e-249", "-27.734753395454902", "0.03280368899452466"
]

// [text, [[line, text.splitlines()[line - 1].strip()] for non-blank lines]]
const splitTable: ReadonlyArray<readonly [string, ReadonlyArray<readonly [number, string]>]> = [
  ["a\nb", [[1, "a"], [2, "b"]]],
  ["a\r\nb\rc", [[1, "a"], [2, "b"], [3, "c"]]],
  ["\n\n  x  \n", [[3, "x"]]],
  ["x\u000by\fz", [[1, "x"], [2, "y"], [3, "z"]]],
  ["a\u001cb\u001dc\u001ed\u001fe", [[1, "a"], [2, "b"], [3, "c"], [4, "d\u001fe"]]],
  ["a\u0085b\u2028c\u2029d", [[1, "a"], [2, "b"], [3, "c"], [4, "d"]]],
  ["  \ufeff{}  ", [[1, "\ufeff{}"]]],
  ["\ufeff", [[1, "\ufeff"]]],
  ["\u00a0\u3000a\u2000\t", [[1, "a"]]],
  ["\u200bz\u200b", [[1, "\u200bz\u200b"]]],
  ["", []],
  ["\n", []],
  ["last line no lf", [[1, "last line no lf"]]],
  ["a\n\r\n\rb", [[1, "a"], [4, "b"]]],
  ["\t\u001f x \u001f\t", [[1, "x"]]]
]

// [text, str(json.JSONDecodeError)] from CPython 3.11 json.loads
const parseErrorTable: ReadonlyArray<readonly [string, string]> = [
  ["", "Expecting value: line 1 column 1 (char 0)"],
  ["   ", "Expecting value: line 1 column 4 (char 3)"],
  ["\ufeff{}", "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"],
  ["{", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"],
  ["{\"a\"", "Expecting ':' delimiter: line 1 column 5 (char 4)"],
  ["{\"a\" 1}", "Expecting ':' delimiter: line 1 column 6 (char 5)"],
  ["{\"a\":", "Expecting value: line 1 column 6 (char 5)"],
  ["{\"a\":1", "Expecting ',' delimiter: line 1 column 7 (char 6)"],
  ["{\"a\":1,}", "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"],
  ["{1:2}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"],
  ["[1,]", "Expecting value: line 1 column 4 (char 3)"],
  ["[1 2]", "Expecting ',' delimiter: line 1 column 4 (char 3)"],
  ["[", "Expecting value: line 1 column 2 (char 1)"],
  ["\"abc", "Unterminated string starting at: line 1 column 1 (char 0)"],
  ["\"a\u0001\"", "Invalid control character at: line 1 column 3 (char 2)"],
  ["\"\\x\"", "Invalid \\escape: line 1 column 2 (char 1)"],
  ["\"\\u12G4\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"],
  ["\"\\u0041", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"],
  ["\"ab\\", "Unterminated string starting at: line 1 column 1 (char 0)"],
  ["\"\\ud83d\\uZZZZ\"", "Invalid \\uXXXX escape: line 1 column 9 (char 8)"],
  ["01", "Extra data: line 1 column 2 (char 1)"],
  ["1.", "Extra data: line 1 column 2 (char 1)"],
  ["-", "Expecting value: line 1 column 1 (char 0)"],
  ["nul", "Expecting value: line 1 column 1 (char 0)"],
  ["True", "Expecting value: line 1 column 1 (char 0)"],
  ["[-Inf]", "Expecting value: line 1 column 2 (char 1)"],
  ["[1]x", "Extra data: line 1 column 4 (char 3)"],
  ["\n\n  x", "Expecting value: line 3 column 3 (char 4)"],
  ["\"\ud83d\ude00\" x", "Extra data: line 1 column 5 (char 4)"],
  ["[1,\n\"ab\n\"]", "Invalid control character at: line 2 column 4 (char 7)"],
  ["{\"a\":1 \"b\":2}", "Expecting ',' delimiter: line 1 column 8 (char 7)"]
]

// ---------------------------------------------------------------------------------------------
// Corpus, read once (read-only).

const corpusDir = pathToFileURL(CORPUS_DIR)
const missions = readdirSync(fileURLToPath(corpusDir)).sort()
const readCorpus = (name: string): Array<{ readonly mission: string; readonly text: string }> =>
  missions
    .map((mission) => fileURLToPath(new URL(`${mission}/${name}`, corpusDir)))
    .filter((path) => existsSync(path))
    .map((path) => ({ mission: path, text: readFileSync(path, "utf8") }))
const logs = readCorpus("status.events.jsonl")
const snapshots = readCorpus("status.json")
const corpusLines = logs.flatMap(({ mission, text }) => splitLogLines(text).map((l) => ({ mission, ...l })))

// ---------------------------------------------------------------------------------------------

describe("PyJson", () => {
  describe("encodeLine", () => {
    it("escapes strings like json.dumps (ensure_ascii=True)", () => {
      for (const [value, line] of stringTable) assert.strictEqual(encodeLine(value), line, JSON.stringify(value))
    })

    it("writes scalars, containers and separators like json.dumps", () => {
      assert.strictEqual(encodeLine(null), "null")
      assert.strictEqual(encodeLine(true), "true")
      assert.strictEqual(encodeLine(false), "false")
      assert.strictEqual(encodeLine(0), "0")
      assert.strictEqual(encodeLine(-0), "0")
      assert.strictEqual(encodeLine(-42), "-42")
      assert.strictEqual(encodeLine(Number.MAX_SAFE_INTEGER), "9007199254740991")
      assert.strictEqual(encodeLine(0.5), "0.5")
      assert.strictEqual(encodeLine(1e-7), "1e-07")
      assert.strictEqual(encodeLine([]), "[]")
      assert.strictEqual(encodeLine({}), "{}")
      assert.strictEqual(encodeLine([1, [2, {}], { a: [] }]), "[1, [2, {}], {\"a\": []}]")
      assert.strictEqual(encodeLine({ a: 1, b: [true, null] }), "{\"a\": 1, \"b\": [true, null]}")
      assert.strictEqual(encodeLine([new JsonNumber("1.0"), new JsonNumber("1E+5")]), "[1.0, 1E+5]")
    })

    it("sorts keys by code point, integer-like keys included", () => {
      assert.strictEqual(
        encodeLine({ a: 3, "9": 2, "10": 1, B: 4, _: 5, "": 6 }),
        "{\"\": 6, \"10\": 1, \"9\": 2, \"B\": 4, \"_\": 5, \"a\": 3}"
      )
      // CPython: astral characters sort after U+E000..U+FFFF, lone surrogates before them.
      assert.strictEqual(
        encodeLine({ "\ue000": 1, "\ud83d\ude00": 2, "\ud800": 3, "\ud83d\uffff": 4, "\ud83d": 5, "\uffff": 6 }),
        "{\"\\ud800\": 3, \"\\ud83d\": 5, \"\\ud83d\\uffff\": 4, \"\\ue000\": 1, \"\\uffff\": 6, \"\\ud83d\\ude00\": 2}"
      )
      assert.strictEqual(
        encodeLine({ z: { "0": [], y: {} }, "0": "zero", wps: { WP2: 1, WP10: 2 } }),
        "{\"0\": \"zero\", \"wps\": {\"WP10\": 2, \"WP2\": 1}, \"z\": {\"0\": [], \"y\": {}}}"
      )
    })

    it("refuses values Python could not have written", () => {
      assert.throws(() => encodeLine(Number.NaN))
      assert.throws(() => encodeLine([Number.POSITIVE_INFINITY]))
      assert.throws(() => encodeLine({ a: 2 ** 53 }))
      assert.throws(() => encodeLine(1e300))
      assert.throws(() => encodeLine({ a: undefined } as unknown as JsonValue))
      assert.throws(() => encodePretty({ a: -(2 ** 60) }))
    })

    it.prop("matches the reference encoder", [json], ([value]) => {
      assert.strictEqual(encodeLine(value), refLine(value))
    }, { fastCheck: { numRuns: 500 } })

    it.prop("escapes any string like the reference", [fc.string({ unit, maxLength: 40 })], ([s]) => {
      assert.strictEqual(encodeLine(s), refQuote(s, true))
      assert.strictEqual(encodeLine({ [s]: s }), "{" + refQuote(s, true) + ": " + refQuote(s, true) + "}")
    })

    it.prop("writes pure printable ASCII", [json], ([value]) => {
      assert.match(encodeLine(value), /^[\x20-\x7e]*$/)
    })

    it.prop("round-trips through JSON.parse", [json], ([value]) => {
      assert.deepStrictEqual(JSON.parse(encodeLine(value)), value)
    })
  })

  describe("encodePretty", () => {
    it("escapes only quotes, backslashes and controls (ensure_ascii=False)", () => {
      for (const [value, , pretty] of stringTable) {
        assert.strictEqual(encodePretty(value), pretty + "\n", JSON.stringify(value))
      }
    })

    it("lays out nested values like json.dumps(indent=2)", () => {
      const value: JsonValue = {
        wps: {
          WP10: { lane: "done", history: [{ at: "2024", n: 1 }, [], {}] },
          WP2: { lane: "planned", tags: [] }
        },
        empty: {},
        list: [[1, [2, []]], null, true, false, "caf\u00e9\n\u2014\ud83d\ude00"],
        "0": "zero",
        z: { "0": [], y: {} }
      }
      assert.strictEqual(
        encodePretty(value),
        "{\n  \"0\": \"zero\",\n  \"empty\": {},\n  \"list\": [\n    [\n      1,\n      [\n        2,\n        []\n      ]\n" +
          "    ],\n    null,\n    true,\n    false,\n    \"café\\n—😀\"\n  ],\n  \"wps\": {\n    \"WP10\": {\n" +
          "      \"history\": [\n        {\n          \"at\": \"2024\",\n          \"n\": 1\n        },\n        [],\n" +
          "        {}\n      ],\n      \"lane\": \"done\"\n    },\n    \"WP2\": {\n      \"lane\": \"planned\",\n" +
          "      \"tags\": []\n    }\n  },\n  \"z\": {\n    \"0\": [],\n    \"y\": {}\n  }\n}\n"
      )
      assert.strictEqual(
        encodeLine(value),
        "{\"0\": \"zero\", \"empty\": {}, \"list\": [[1, [2, []]], null, true, false, " +
          "\"caf\\u00e9\\n\\u2014\\ud83d\\ude00\"], \"wps\": {\"WP10\": {\"history\": [{\"at\": \"2024\", \"n\": 1}, [], {}], " +
          "\"lane\": \"done\"}, \"WP2\": {\"lane\": \"planned\", \"tags\": []}}, \"z\": {\"0\": [], \"y\": {}}}"
      )
    })

    it("writes empty containers and scalars on one line with one trailing LF", () => {
      assert.strictEqual(encodePretty({}), "{}\n")
      assert.strictEqual(encodePretty([]), "[]\n")
      assert.strictEqual(encodePretty("x"), "\"x\"\n")
      assert.strictEqual(encodePretty(1.5), "1.5\n")
      assert.strictEqual(encodePretty({ a: {}, b: [] }), "{\n  \"a\": {},\n  \"b\": []\n}\n")
    })

    it.prop("matches the reference encoder", [json], ([value]) => {
      assert.strictEqual(encodePretty(value), refPretty(value))
    }, { fastCheck: { numRuns: 500 } })
  })

  describe("pyFloatRepr", () => {
    it(`matches CPython repr for ${floatReprs.length} floats`, () => {
      for (const repr of floatReprs) assert.strictEqual(pyFloatRepr(Number(repr)), repr)
    })

    it("gives Python's repr for non-finite values", () => {
      assert.strictEqual(pyFloatRepr(Number.NaN), "nan")
      assert.strictEqual(pyFloatRepr(Number.POSITIVE_INFINITY), "inf")
      assert.strictEqual(pyFloatRepr(Number.NEGATIVE_INFINITY), "-inf")
    })

    it.prop("round-trips and matches the reference layout", [fc.double({ noNaN: true, noDefaultInfinity: true })], ([x]) => {
      const repr = pyFloatRepr(x)
      assert.isTrue(Object.is(Number(repr), x), repr)
      assert.match(repr, /^-?(\d+\.\d+|\d(\.\d+)?e[-+]\d{2,3})$/)
      assert.strictEqual(repr, refFloatRepr(x))
    }, { fastCheck: { numRuns: 2000 } })
  })

  describe("splitLogLines", () => {
    it("splits and strips like str.splitlines() and str.strip()", () => {
      for (const [text, expected] of splitTable) {
        const actual: ReadonlyArray<readonly [number, string]> = splitLogLines(text).map((l) => [l.line, l.text])
        assert.deepStrictEqual(actual, expected, JSON.stringify(text))
      }
    })

    const separators = fc.constantFrom("\n", "\r\n", "\r", "\u000b", "\f", "\u001c", "\u001d", "\u001e", "\u0085", "\u2028", "\u2029")
    const pieces = fc.oneof(
      separators,
      fc.constantFrom(" ", "\t", "\u001f", "\u00a0", "\u3000", "\ufeff", "\u200b", "x", "{}", "\n\n"),
      fc.string({ unit, maxLength: 4 })
    )

    it.prop("matches the reference on any separators and whitespace", [fc.array(pieces, { maxLength: 20 })], ([parts]) => {
      const text = parts.join("")
      assert.deepStrictEqual(splitLogLines(text), refSplitLogLines(text))
    }, { fastCheck: { numRuns: 1000 } })

    it.prop("takes the LF-only fast path with the same result", [fc.array(fc.oneof(fc.constantFrom("\n", " ", "\t"), fc.string()))], ([parts]) => {
      const text = parts.join("")
      assert.deepStrictEqual(splitLogLines(text), refSplitLogLines(text))
    })
  })

  describe("parseLossless", () => {
    const lossless = (text: string): JsonValue => {
      const result = parseLossless(text)
      if (!result.ok) assert.fail(result.message)
      return result.value
    }

    it("keeps every number's lexeme", () => {
      const text = "[1.0, 1e5, -0, 12345678901234567890, 0.1, 1E+5, -1.5e-7, 0, 42]"
      const value = lossless(text) as ReadonlyArray<JsonValue>
      assert.deepStrictEqual(value.map((n) => (n as JsonNumber).lexeme), [
        "1.0", "1e5", "-0", "12345678901234567890", "0.1", "1E+5", "-1.5e-7", "0", "42"
      ])
      assert.isTrue(value.every((n) => n instanceof JsonNumber))
      assert.strictEqual(encodeLine(value), text)
      assert.strictEqual(encodePretty(lossless("{\"n\": 1.50}")), "{\n  \"n\": 1.50\n}\n")
    })

    it("accepts NaN and Infinity as Python's json.loads does, and keeps them verbatim", () => {
      assert.strictEqual(encodeLine(lossless("[NaN, Infinity, -Infinity]")), "[NaN, Infinity, -Infinity]")
    })

    it("lets the last duplicate key win", () => {
      assert.strictEqual(encodeLine(lossless("{\"a\": 1, \"b\": 2, \"a\": 3}")), "{\"a\": 3, \"b\": 2}")
    })

    it("decodes strings, escapes and surrogate pairs", () => {
      assert.strictEqual(lossless("\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\\ud800x\""), "a\"\\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800x")
      assert.strictEqual(lossless("\"\u2028\u007f\ud83d\ude00\""), "\u2028\u007f\ud83d\ude00")
      assert.deepStrictEqual(lossless(" \t\r\n{ \"a\" : [ true , false , null ] }\n"), { a: [true, false, null] })
    })

    it("keeps __proto__ as an ordinary member", () => {
      const value = lossless("{\"__proto__\": {\"x\": 1}, \"b\": 2}") as Record<string, JsonValue>
      assert.strictEqual(Object.getPrototypeOf(value), Object.prototype)
      assert.deepStrictEqual(Object.keys(value), ["__proto__", "b"])
      assert.strictEqual(encodeLine(value), "{\"__proto__\": {\"x\": 1}, \"b\": 2}")
    })

    it("reports invalid JSON with CPython's detail", () => {
      for (const [text, message] of parseErrorTable) {
        assert.deepStrictEqual(parseLossless(text), { ok: false, message }, JSON.stringify(text))
      }
    })

    it("fails, without throwing, on absurd nesting", () => {
      assert.isFalse(parseLossless("[".repeat(200_000)).ok)
    })

    it.prop("parses what encodeLine and encodePretty write", [json], ([value]) => {
      for (const text of [encodeLine(value), encodePretty(value)]) {
        const parsed = lossless(text)
        assert.strictEqual(encodeLine(parsed), encodeLine(value))
      }
    })
  })

  describe("corpus conformance", () => {
    it(`C1: encodeLine reproduces all ${corpusLines.length} lines of ${logs.length} logs`, () => {
      assert.isAbove(logs.length, 200)
      assert.isAbove(corpusLines.length, 12000)
      const mismatches = corpusLines.filter(({ text }) => encodeLine(JSON.parse(text)) !== text)
      assert.deepStrictEqual(mismatches.slice(0, 3), [])
    })

    it(`C1: encodeLine(parseLossless(line)) reproduces all ${corpusLines.length} lines`, () => {
      assert.isAbove(corpusLines.length, 12000)
      const mismatches = corpusLines.filter(({ text }) => {
        const result = parseLossless(text)
        return !result.ok || encodeLine(result.value) !== text
      })
      assert.deepStrictEqual(mismatches.slice(0, 3), [])
    })

    it("splitLogLines sees exactly the LF-separated lines of the corpus logs", () => {
      const raw = logs.flatMap(({ text }) => text.split("\n").filter((l) => l !== ""))
      assert.deepStrictEqual(corpusLines.map((l) => l.text), raw)
    })

    it(`C2 layout: encodePretty reproduces all ${snapshots.length} status.json files`, () => {
      assert.isAbove(snapshots.length, 200)
      const mismatches = snapshots.filter(({ text }) => encodePretty(JSON.parse(text)) !== text)
      assert.deepStrictEqual(mismatches.map((m) => m.mission), [])
    })
  })
})
