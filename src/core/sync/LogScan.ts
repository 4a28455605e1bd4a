/**
 * Reading an event log as an outbox (docs/surfaces.md §8.5): the complete lines from a byte offset,
 * each classified by the strict row reader. A line is an event when the reader accepts it and it has an
 * `event_id`; a line the reader refuses is skipped (and counted), never sent; a final line without its
 * newline is not consumed yet (a writer may be in the middle of it). Offsets are byte offsets.
 */
import { Either } from "effect"
import { parseLine } from "../status/EventRow.js"
import { decodeUtf8 } from "../repo/Text.js"

/** The row kinds an event can have (its CloudEvents `type` follows from it). */
export type EventKind = "transition" | "annotation" | "envelope"

/** What one complete line is. */
export type LineOutcome =
  | {
    readonly _tag: "Event"
    readonly id: string
    readonly kind: EventKind
    /** The event's own time (RFC 3339), or null when the row has none in that form. */
    readonly time: string | null
    /** The work package the event is about, when it names one. */
    readonly subject: string | null
  }
  | { readonly _tag: "Blank" }
  | { readonly _tag: "Unidentified" }
  | { readonly _tag: "Malformed"; readonly reason: string }

/** One complete line of the log. */
export interface LogLine {
  /** Byte offset of the line's first byte. */
  readonly start: number
  /** Byte offset just after its newline. */
  readonly end: number
  /** The line without surrounding whitespace: valid JSON whenever the outcome is an event. */
  readonly text: string
  /** The UTF-8 length of `text`. */
  readonly textBytes: number
  readonly outcome: LineOutcome
}

/** The complete lines from `from` on, and the offset after the last of them. */
export interface LogScan {
  readonly lines: ReadonlyArray<LogLine>
  /** `from` when there is no complete line; otherwise the end of the last complete line. */
  readonly end: number
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)$/

/** The time if it is RFC 3339 (CloudEvents `time`), else null. */
export const rfc3339OrNull = (v: unknown): string | null => (typeof v === "string" && RFC3339.test(v) ? v : null)

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0b || c === 0x0c

type Classified = { readonly text: string; readonly textBytes: number; readonly outcome: LineOutcome }

/** Classifies one line's bytes (without the newline). */
export const classifyLine = (bytes: Uint8Array, lineNo: number): Classified => {
  let s = 0
  let e = bytes.length
  while (s < e && isSpace(bytes[s])) s++
  while (e > s && isSpace(bytes[e - 1])) e--
  if (s === e) return { text: "", textBytes: 0, outcome: { _tag: "Blank" } }
  const decoded = decodeUtf8(bytes.subarray(s, e))
  if (Either.isLeft(decoded)) return { text: "", textBytes: 0, outcome: { _tag: "Malformed", reason: "not valid UTF-8" } }
  return classifyText(decoded.right, e - s, lineNo)
}

/** Classifies one line of an ASCII text between two offsets (without the newline). */
const classifyAsciiSlice = (text: string, start: number, end: number, lineNo: number): Classified => {
  let s = start
  let e = end
  while (s < e && isSpace(text.charCodeAt(s))) s++
  while (e > s && isSpace(text.charCodeAt(e - 1))) e--
  if (s === e) return { text: "", textBytes: 0, outcome: { _tag: "Blank" } }
  return classifyText(text.slice(s, e), e - s, lineNo)
}

/** Classifies a stripped, non-blank line's text (`textBytes`: its UTF-8 length). */
const classifyText = (text: string, textBytes: number, lineNo: number): Classified => {
  const outcome = outcomeOf(text, lineNo)
  return { text, textBytes, outcome }
}

const outcomeOf = (text: string, lineNo: number): LineOutcome => {
  const parsed = parseLine(text, lineNo)
  if (Either.isLeft(parsed)) return { _tag: "Malformed", reason: parsed.left.message }
  const row = parsed.right
  if (row.kind === "envelope") {
    const id = row.row.event_id
    if (typeof id !== "string" || id === "") return { _tag: "Unidentified" }
    const time = rfc3339OrNull(row.row.timestamp) ?? rfc3339OrNull(row.row.at)
    const wp = row.row.wp_id
    return { _tag: "Event", id, kind: "envelope", time, subject: typeof wp === "string" && wp !== "" ? wp : null }
  }
  if (row.event_id === "") return { _tag: "Unidentified" }
  return { _tag: "Event", id: row.event_id, kind: row.kind, time: rfc3339OrNull(row.at), subject: row.wp_id === "" ? null : row.wp_id }
}

/**
 * Every complete line from byte offset `from` up to `to` (line numbers count from `firstLineNo`, for
 * messages only).
 * An ASCII region (the usual log) is decoded once and sliced; otherwise each line is decoded alone, so a
 * line that is not UTF-8 is refused by itself.
 */
export const scanLog = (bytes: Uint8Array, from: number, firstLineNo = 1, to = bytes.length): LogScan => {
  const last = to <= from ? -1 : bytes.lastIndexOf(0x0a, to - 1)
  if (last < from) return { lines: [], end: from }
  const end = last + 1
  const region = decodeUtf8(bytes.subarray(from, end))
  const ascii = Either.isRight(region) && region.right.length === end - from ? region.right : null
  const lines: Array<LogLine> = []
  let start = from
  let lineNo = firstLineNo
  while (start < end) {
    const nl = bytes.indexOf(0x0a, start)
    const c = ascii !== null ? classifyAsciiSlice(ascii, start - from, nl - from, lineNo++) : classifyLine(bytes.subarray(start, nl), lineNo++)
    lines.push({ start, end: nl + 1, text: c.text, textBytes: c.textBytes, outcome: c.outcome })
    start = nl + 1
  }
  return { lines, end }
}

/** An event line still to deliver. */
export interface PendingEvent {
  readonly id: string
  readonly kind: EventKind
  readonly time: string | null
  readonly subject: string | null
  readonly text: string
  /** The UTF-8 length of `text`. */
  readonly textBytes: number
  /** Byte offset after its line: the cursor may move here once it and everything before it is handled. */
  readonly end: number
}

/** What a scan leaves to deliver, given the ids already delivered. */
export interface Backlog {
  /** Events not in `seen`, in log order, each id once. */
  readonly pending: ReadonlyArray<PendingEvent>
  /** Lines the reader refused (never sent), with their byte offsets. */
  readonly malformed: ReadonlyArray<{ readonly start: number; readonly reason: string }>
  /** Rows without an `event_id` (never sent: an event is identified by its id). */
  readonly unidentified: number
  /** Events whose id was already delivered (a rescan after a rewrite, or a duplicated row). */
  readonly alreadySeen: number
  /** The offset after the last complete line. */
  readonly end: number
}

/**
 * The backlog of a scan: events whose id is not in `seen`, first occurrence only (`taken` collects the ids
 * taken, so the slices of one log share it). `base` is added to every offset (a scan of a slice of the log
 * that starts at `base`).
 */
export const backlogOf = (scan: LogScan, seen: ReadonlySet<string>, taken: Set<string> = new Set(), base = 0): Backlog => {
  const pending: Array<PendingEvent> = []
  const malformed: Array<{ start: number; reason: string }> = []
  let unidentified = 0
  let alreadySeen = 0
  for (const line of scan.lines) {
    const o = line.outcome
    switch (o._tag) {
      case "Blank":
        break
      case "Unidentified":
        unidentified++
        break
      case "Malformed":
        malformed.push({ start: base + line.start, reason: o.reason })
        break
      case "Event":
        if (seen.has(o.id) || taken.has(o.id)) {
          alreadySeen++
        } else {
          taken.add(o.id)
          pending.push({ id: o.id, kind: o.kind, time: o.time, subject: o.subject, text: line.text, textBytes: line.textBytes, end: base + line.end })
        }
    }
  }
  return { pending, malformed, unidentified, alreadySeen, end: base + scan.end }
}
