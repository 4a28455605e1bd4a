/**
 * The event-log union (docs/status-model.md §13, docs/surfaces.md §5.1): the one function that combines
 * event logs, for the git merge driver, the merge executor and anything later.
 *
 * - Every non-blank line (Python `splitlines` and `strip`, as the strict reader reads) must be a JSON
 *   object with a non-blank string `event_id`; anything else fails with spec-kitty's message.
 * - Rows are united by `event_id`. Two rows with one id must serialise identically in the canonical
 *   line form (keys sorted, number lexemes kept); otherwise the merge fails (`EVENT_ID_CONFLICT`).
 * - Byte-stable: a row is written as the line it was read from, never re-serialised. When one id comes
 *   with several equivalent texts, the smallest in code-point order is kept.
 * - Order: the inputs are merged like sorted runs, by `(at or timestamp, event_id)` in code-point order:
 *   at each step the smallest pending head is written and every copy of it is dropped. Logs already in
 *   that order give exactly the sorted union (spec-kitty's order); a log that is not (a spec-kitty
 *   backfill appended rows with earlier times) keeps its own order instead of being re-sorted, so a log
 *   merged with itself or with an append-only descendant keeps every byte it had.
 */
import { Either } from "effect"
import { encodeLine, forEachLogLine, isPyBlank, JsonNumber, parseLossless, pyFloatRepr } from "../python/PyJson.js"
import type { JsonValue } from "../python/PyJson.js"
import { pyRepr } from "../python/PyRepr.js"
import { compareCodePoints } from "../repo/Text.js"
import { mergeError } from "./MergeError.js"
import type { MergeError } from "./MergeError.js"

/** One input log: its text and the name its errors use (a path, or `<merge-stage-N>`). */
export interface LogInput {
  readonly source: string
  readonly text: string
}

/** One distinct row: its id, its sort time, and the line it is written as. */
interface Row {
  readonly id: string
  readonly time: string
  text: string
  /** Position in the total order of all rows (filled before the merge). */
  rank: number
}

/** A line that is not a row, as spec-kitty words it. */
type LineFault = "not_an_object" | "missing_event_id" | { readonly invalidJson: string }

const isPyFalsy = (v: unknown): boolean =>
  v === null || v === undefined || v === false || v === 0 || v === "" ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)

/** Python `str()` of a number lexeme as `json.loads` would have parsed it. */
const pyStrOfLexeme = (lexeme: string): string => {
  if (lexeme === "NaN") return "nan"
  if (lexeme === "Infinity") return "inf"
  if (lexeme === "-Infinity") return "-inf"
  if (/^-?\d+$/.test(lexeme)) return BigInt(lexeme).toString()
  return pyFloatRepr(Number(lexeme))
}

/** Python `str()` of a value of a row parsed losslessly (the rare non-string sort time). */
const pyStrOfJson = (v: JsonValue | undefined): string => {
  if (typeof v === "string") return v
  if (v instanceof JsonNumber) return pyStrOfLexeme(v.lexeme)
  return pyRepr(v)
}

/** spec-kitty's sort time: `str(row.get("at") or row.get("timestamp", ""))`. */
const sortTimeOf = (row: Record<string, unknown>, lineText: string): string => {
  const at = row.at
  const ts = row.timestamp
  if (typeof at === "string" && at !== "") return at
  if (isPyFalsy(at) && (ts === undefined || typeof ts === "string")) return ts === undefined ? "" : ts
  // a number, a container, a null timestamp...: Python's str() of the exact parsed value
  const exact = parseLossless(lineText)
  const value = exact.ok ? (exact.value as Record<string, JsonValue>) : {}
  return pyStrOfJson(isPyFalsy(at) ? ("timestamp" in value ? value.timestamp : "") : value.at)
}

/** Parses one stripped line into a row, or says why it is not one. */
const parseRow = (text: string): Row | LineFault => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    // Python also reads NaN and ±Infinity; the lossless parser takes them and words the other faults as Python does
    const lossless = parseLossless(text)
    if (!lossless.ok) return { invalidJson: lossless.message }
    value = lossless.value
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof JsonNumber) {
    return "not_an_object"
  }
  const row = value as Record<string, unknown>
  const id = row.event_id
  if (typeof id !== "string" || isPyBlank(id)) return "missing_event_id"
  return { id, time: sortTimeOf(row, text), text, rank: 0 }
}

const faultError = (source: string, line: number, fault: LineFault): MergeError => {
  const message = fault === "not_an_object"
    ? `${source}: line ${line} is not a JSON object`
    : fault === "missing_event_id"
    ? `${source}: line ${line} is missing a valid event_id`
    : `${source}: invalid JSON on line ${line}: ${fault.invalidJson}`
  return mergeError("EVENT_LOG_MALFORMED", message, { source, line })
}

/** The canonical line form of a row's text, for the equality of two texts of one id (§16 D8). */
const canonical = (text: string): string => {
  const parsed = parseLossless(text)
  return parsed.ok ? encodeLine(parsed.value) : text
}

const compareRows = (a: Row, b: Row): number =>
  a.time === b.time ? compareCodePoints(a.id, b.id) : compareCodePoints(a.time, b.time)

/**
 * The union of event logs (any number of inputs; git's base, ours and theirs for the driver). Fails
 * with `EVENT_LOG_MALFORMED` on the first line that is not a row (inputs in the given order) and with
 * `EVENT_ID_CONFLICT` when one id carries different payloads. An empty union is the empty text.
 */
export const mergeEventLogs = (inputs: ReadonlyArray<LogInput>): Either.Either<string, MergeError> => {
  const byText = new Map<string, Row>()
  const byId = new Map<string, Row>()
  const sequences: Array<Array<Row>> = []
  for (const input of inputs) {
    const sequence: Array<Row> = []
    let failure: MergeError | null = null
    forEachLogLine(input.text, (line, text) => {
      let row = byText.get(text)
      if (row === undefined) {
        const parsed = parseRow(text)
        if (typeof parsed === "string" || !("id" in parsed)) {
          failure = faultError(input.source, line, parsed)
          return false
        }
        const known = byId.get(parsed.id)
        if (known === undefined) {
          byId.set(parsed.id, parsed)
          row = parsed
        } else {
          if (canonical(known.text) !== canonical(text)) {
            failure = mergeError("EVENT_ID_CONFLICT", `Conflicting payloads found for event_id ${pyRepr(parsed.id)}`, {
              event_id: parsed.id,
              source: input.source,
              line
            })
            return false
          }
          // equivalent texts of one id: keep the smallest, whatever the order of the inputs
          if (compareCodePoints(text, known.text) < 0) known.text = text
          row = known
        }
        byText.set(text, row)
      }
      sequence.push(row)
      return true
    })
    if (failure !== null) return Either.left(failure)
    sequences.push(sequence)
  }

  const rows = [...byId.values()].sort(compareRows)
  rows.forEach((row, i) => (row.rank = i))

  // merge the sequences as sorted runs: write the smallest pending head, drop every copy of it
  const written = new Uint8Array(rows.length)
  const next = sequences.map(() => 0)
  const out: Array<string> = []
  for (;;) {
    let best: Row | null = null
    for (let s = 0; s < sequences.length; s++) {
      const sequence = sequences[s]
      let i = next[s]
      while (i < sequence.length && written[sequence[i].rank] === 1) i++
      next[s] = i
      if (i < sequence.length && (best === null || sequence[i].rank < best.rank)) best = sequence[i]
    }
    if (best === null) break
    written[best.rank] = 1
    out.push(best.text)
  }
  return Either.right(out.length === 0 ? "" : out.join("\n") + "\n")
}

/** The three-way form of git's driver (`%O %A %B`): the union of base, ours and theirs. */
export const mergeThreeWay = (base: LogInput, ours: LogInput, theirs: LogInput): Either.Either<string, MergeError> =>
  mergeEventLogs([base, ours, theirs])
