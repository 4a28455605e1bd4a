/**
 * The streaming line splitter agrees with the whole-text reader (status-model §2.3) however the bytes
 * are cut into chunks: the same lines, numbers and texts, Python's splitlines boundaries (CRLF as one,
 * the rare ones), strict UTF-8 with the line of the first bad byte; and the incremental fold agrees with
 * `reduce` on real rows, resumed from a saved state at any row.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { parseLine, readEventStream } from "../../../src/core/status/EventRow.js"
import type { EventRow } from "../../../src/core/status/EventRow.js"
import { IdFilter } from "../../../src/core/status/IdFilter.js"
import { allSeenIds, IncrementalFold } from "../../../src/core/status/IncrementalFold.js"
import { LogLines } from "../../../src/core/status/LogLines.js"
import { forEachLogLine } from "../../../src/core/python/PyJson.js"
import { decodeUtf8 } from "../../../src/core/repo/Text.js"
import { buildSnapshot, snapshotBytes, snapshotOf } from "../../../src/core/status/Snapshot.js"
import { compareSortKey } from "../../../src/core/status/StatusFold.js"
import { corpusMissions } from "../../support/corpus.js"

const encoder = new TextEncoder()

const linesOf = (bytes: Uint8Array, cuts: ReadonlyArray<number>) => {
  const seen: Array<[number, string]> = []
  const lines = new LogLines()
  const visit = (n: number, t: string) => (seen.push([n, t]), true)
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  // like the live reader: every chunk is a view of one buffer that the next read overwrites
  const shared = Buffer.alloc(bytes.length + 1)
  let from = 0
  for (const p of [...points, bytes.length]) {
    shared.set(bytes.subarray(from, p))
    const fault = lines.push(shared.subarray(0, p - from), visit)
    shared.fill(0x7e)
    if (fault !== null) return { seen, fault }
    from = p
  }
  return { seen, fault: lines.finish(visit) }
}

const wholeOf = (text: string) => {
  const seen: Array<[number, string]> = []
  forEachLogLine(text, (n, t) => (seen.push([n, t]), true))
  return seen
}

const piece = fc.oneof(
  fc.constantFrom("\n", "\r\n", "\r", "\v", "\f", "\x1c", "\x85", "\u2028", "\u2029", " ", "\t", "\n\n"),
  fc.string({ maxLength: 12 }),
  fc.constantFrom("{\"a\": 1}", "é", "✓", "😀", "  x  ")
)

describe("LogLines", () => {
  it.prop(
    "any chunking gives the whole-text reader's lines",
    [fc.array(piece, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 8 })],
    ([pieces, cuts]) => {
      const text = pieces.join("")
      const { fault, seen } = linesOf(encoder.encode(text), cuts)
      assert.isNull(fault)
      assert.deepStrictEqual(seen, wholeOf(text))
    },
    { fastCheck: { numRuns: 400, seed: 14014 } }
  )

  it.prop(
    "invalid UTF-8 is a fault at the line and offset the strict decoder names",
    [fc.array(fc.constantFrom("ok\n", "é\n", "x", "\n"), { maxLength: 10 }), fc.constantFrom(0xff, 0xc3, 0xed), fc.array(fc.nat(), { maxLength: 4 })],
    ([pieces, bad, cuts]) => {
      const good = encoder.encode(pieces.join(""))
      const bytes = new Uint8Array([...good, bad, 0x0a, 0x41])
      const expected = decodeUtf8(bytes)
      assert.isTrue(Either.isLeft(expected))
      const { fault } = linesOf(bytes, cuts)
      assert.isNotNull(fault)
      if (Either.isLeft(expected)) assert.deepStrictEqual([fault?.line, fault?.byteOffset], [expected.left.line, expected.left.byteOffset])
    },
    { fastCheck: { numRuns: 200, seed: 5 } }
  )

  it("offset and line mark the end of the last complete line; the rest is pending", () => {
    const lines = new LogLines()
    lines.push(encoder.encode("a\nb\r\nc"), () => true)
    assert.deepStrictEqual([lines.offset, lines.line, new TextDecoder().decode(lines.pending)], [5, 3, "c"])
  })
})

// ---------------------------------------------------------------------------------------------
// The incremental fold against reduce, on real rows

const rowsOf = (log: string): Array<EventRow> => {
  const out: Array<EventRow> = []
  forEachLogLine(log, (n, t) => {
    out.push(Either.getOrThrow(parseLine(t, n)))
    return true
  })
  return out
}
const logs = corpusMissions().flatMap((m) => (m.log === null ? [] : [m.log])).filter((l) => l.split("\n").length > 5)
const identity = { mission_number: null, mission_type: "software-dev" }
const keyOf = (r: EventRow) =>
  r.kind === "envelope" ? { at: "", event_id: "" } : { at: r.at, event_id: r.event_id }
const inOrder = (rows: ReadonlyArray<EventRow>) => [...rows].sort((a, b) => compareSortKey(keyOf(a), keyOf(b)))

const foldAll = (rows: ReadonlyArray<EventRow>, resumeAt: number | null) => {
  let fold = IncrementalFold.empty()
  for (let i = 0; i < rows.length; i++) {
    if (i === resumeAt) {
      const saved = fold.save()
      fold = IncrementalFold.resume(JSON.parse(JSON.stringify(saved.fold)), { filter: IdFilter.fromBytes(allSeenIds(saved)!.toBytes())!, recent: [], ref: null })
    }
    if (!fold.step(rows[i])) return null
  }
  return snapshotBytes(buildSnapshot(fold.reduction(), fold.retrospective(), identity))
}

describe("IncrementalFold", () => {
  it.prop(
    "in sort order, resumed anywhere, it gives reduce's snapshot; out of order it says so or agrees",
    [fc.integer({ min: 0, max: logs.length - 1 }), fc.nat(), fc.constantFrom("sorted", "file", "shuffled"), fc.array(fc.nat(), { minLength: 1 })],
    ([index, at, mode, keys]) => {
      const rows = rowsOf(logs[index])
      const sorted = mode === "sorted"
      const ordered = sorted
        ? inOrder(rows)
        : mode === "file"
        ? rows
        : rows.map((r, i) => [keys[i % keys.length], i, r] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, , r]) => r)
      const text = ordered.map((r) => (r.kind === "transition" ? JSON.stringify(r.row) : JSON.stringify(r.row))).join("\n")
      const expected = snapshotBytes(snapshotOf(Either.getOrThrow(readEventStream(text)), identity))
      const got = foldAll(ordered, at % (ordered.length + 1))
      if (sorted) assert.strictEqual(got, expected)
      else if (got !== null) assert.strictEqual(got, expected)
    },
    { fastCheck: { numRuns: 300, seed: 141414 } }
  )

  it("a resumed fold refuses an id it may have folded before, and a row before its last key", () => {
    const rows = inOrder(rowsOf(logs[0])).filter((r) => r.kind === "transition")
    const f = IncrementalFold.empty()
    for (const r of rows.slice(0, 4)) assert.isTrue(f.step(r))
    const saved = f.save()
    const seen = { filter: allSeenIds(saved), recent: [], ref: null }
    const resumed = IncrementalFold.resume(saved.fold, seen)
    assert.isFalse(resumed.step({ ...rows[1], at: "9999-01-01T00:00:00+00:00" } as EventRow), "an id folded before the save")
    assert.isFalse(IncrementalFold.resume(saved.fold, seen).step(rows[0]), "an old row again")
    assert.isTrue(IncrementalFold.resume(saved.fold, seen).step(rows[4] ?? rows[3]) || rows.length < 5)
  })

  it("ids before a resume: the recent ones refuse like the filter's; an unloaded filter says perhaps to all but a writer's own rows", () => {
    const rows = inOrder(rowsOf(logs[0])).filter((r) => r.kind === "transition")
    assert.isAtLeast(rows.length, 6)
    const f = IncrementalFold.empty()
    for (const r of rows.slice(0, 2)) assert.isTrue(f.step(r))
    const first = f.save()
    // resumed from a filter of the first two, then two more folded: those two travel as recent ids
    const base = allSeenIds(first)!
    const g = IncrementalFold.resume(first.fold, { filter: base, recent: [], ref: "f1" })
    for (const r of rows.slice(2, 4)) assert.isTrue(g.step(r))
    const second = g.save()
    assert.deepStrictEqual(second.added, rows.slice(2, 4).map((r) => (r as { event_id: string }).event_id))
    const withRecent = { filter: base, recent: second.added, ref: "f1" }
    const late = (r: EventRow) => ({ ...r, at: "9999-01-01T00:00:00+00:00" }) as EventRow
    assert.isFalse(IncrementalFold.resume(second.fold, withRecent).step(late(rows[3])), "a recent id")
    assert.isFalse(IncrementalFold.resume(second.fold, withRecent).step(late(rows[0])), "an id of the filter")
    assert.isTrue(IncrementalFold.resume(second.fold, withRecent).step(rows[4]), "a new id")
    const unloaded = { filter: null, recent: second.added, ref: "f1" }
    assert.isFalse(IncrementalFold.resume(second.fold, unloaded).step(rows[4]), "an unloaded filter: perhaps")
    const own = IncrementalFold.resume(second.fold, unloaded)
    assert.isTrue(own.stepOwn(rows[4]), "a writer's own fresh row is folded without asking")
    assert.isFalse(own.stepOwn(rows[3]), "still in sort order")
    // the filter of all ids needs the unloaded one: without it the ids before are not known
    assert.isNull(allSeenIds(own.save()))
    const all = allSeenIds(own.save(), base)!
    for (const r of rows.slice(0, 5)) assert.isTrue(all.mightContain((r as { event_id: string }).event_id))
  })
})
