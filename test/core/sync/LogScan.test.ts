/**
 * The log as an outbox (docs/surfaces.md §8.5): complete lines only, refused lines skipped, each id
 * once, offsets in bytes; and the CloudEvents text of an event keeps the row's own text as `data`.
 */
import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { batchLength, cloudEventText, sourceOf, utf8Length } from "../../../src/core/sync/CloudEvents.js"
import { backlogOf, scanLog } from "../../../src/core/sync/LogScan.js"
import { bootstrapLine } from "../../support/repo.js"

const enc = new TextEncoder()
const line = (n: number, slug = "m-01JZAAAA") =>
  bootstrapLine(slug, "01JZAAAA000000000000000000", `WP${String(n).padStart(2, "0")}`, `01JZ${String(n).padStart(22, "0")}`, "2026-01-01T00:00:00.000000+00:00")
const envelope = `{"event_id": "01KV6DCA9C1EWG20ND9NH8PMPJ", "event_type": "MissionCreated", "payload": {"note": "caf\\u00e9 \u00e9"}, "timestamp": "2026-06-15T19:50:47.852618+00:00"}`

describe("scanLog / backlogOf", () => {
  it("reads complete lines from a byte offset; a final line without its newline is not consumed", () => {
    const text = `${line(1)}\n${line(2)}\n${line(3)}`
    const bytes = enc.encode(text)
    const scan = scanLog(bytes, 0)
    assert.strictEqual(scan.lines.length, 2)
    assert.strictEqual(scan.end, enc.encode(`${line(1)}\n${line(2)}\n`).length)
    const from = scanLog(bytes, scan.lines[0].end)
    assert.strictEqual(from.lines.length, 1)
    assert.strictEqual(from.lines[0].start, scan.lines[0].end)
    assert.deepStrictEqual(scanLog(bytes, scan.end), { lines: [], end: scan.end })
  })

  it("classifies: events (transition, annotation, envelope with its timestamp), blank, unidentified, refused lines", () => {
    const annotation =
      `{"actor": "a", "at": "2026-01-02T00:00:00+00:00", "delta": {"note": "x"}, "event_id": "01JZBBBBBBBBBBBBBBBBBBBBBB", "kind": "annotation", "wp_id": "WP01"}`
    const noId = `{"event_type": "Lifecycle", "payload": {}}`
    const text = [line(1), "", "   ", annotation, envelope, noId, "{not json", `{"kind": "mystery"}`, line(1)].join("\n") + "\n"
    const scan = scanLog(enc.encode(text), 0)
    const tags = scan.lines.map((l) => (l.outcome._tag === "Event" ? l.outcome.kind : l.outcome._tag))
    assert.deepStrictEqual(tags, ["transition", "Blank", "Blank", "annotation", "envelope", "Unidentified", "Malformed", "Malformed", "transition"])
    const env = scan.lines[4].outcome
    assert.isTrue(env._tag === "Event" && env.time === "2026-06-15T19:50:47.852618+00:00" && env.subject === null)
    const b = backlogOf(scan, new Set())
    assert.deepStrictEqual(b.pending.map((e) => e.id), [`01JZ${"1".padStart(22, "0")}`, "01JZBBBBBBBBBBBBBBBBBBBBBB", "01KV6DCA9C1EWG20ND9NH8PMPJ"])
    assert.strictEqual(b.alreadySeen, 1, "a duplicated id is sent once")
    assert.strictEqual(b.unidentified, 1)
    assert.strictEqual(b.malformed.length, 2)
    const seen = backlogOf(scan, new Set(["01JZBBBBBBBBBBBBBBBBBBBBBB"]))
    assert.strictEqual(seen.pending.length, 2)
    assert.strictEqual(seen.alreadySeen, 2)
  })

  it("byte offsets count UTF-8 bytes, and a line that is not UTF-8 is refused, not decoded with replacement", () => {
    const bytes = new Uint8Array([...enc.encode(envelope + "\n"), 0xff, 0x0a, ...enc.encode(line(2) + "\n")])
    const scan = scanLog(bytes, 0)
    assert.strictEqual(scan.lines[0].end, enc.encode(envelope).length + 1)
    assert.deepStrictEqual(scan.lines[1].outcome, { _tag: "Malformed", reason: "not valid UTF-8" })
    assert.strictEqual(scan.lines[2].outcome._tag, "Event")
    assert.strictEqual(scan.end, bytes.length)
  })

  it("property: scanning from any line boundary sees exactly the lines after it (seed 13)", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.array(FastCheck.integer({ min: 1, max: 99 }), { minLength: 1, maxLength: 30 }), FastCheck.nat(), (ns, k) => {
        const bytes = enc.encode(ns.map((n) => line(n)).join("\n") + "\n")
        const all = scanLog(bytes, 0)
        const cut = k % all.lines.length
        const rest = scanLog(bytes, all.lines[cut].start)
        assert.deepStrictEqual(rest.lines, all.lines.slice(cut))
        assert.strictEqual(rest.end, all.end)
      }),
      { seed: 13, numRuns: 100 }
    )
  })
})

describe("backlogOf over slices", () => {
  const kinds = FastCheck.oneof(
    FastCheck.integer({ min: 1, max: 40 }).map((n) => line(n)),
    FastCheck.constantFrom("", "{not json", `{"event_type": "Lifecycle", "payload": {}}`, envelope)
  )

  // how sync reads a log (services/sync/LogSources.readSlice): slices of whole lines, each scanned alone
  // with its offset in the log as `base`, ids taken once across them
  const sliced = (bytes: Uint8Array, from: number, seen: ReadonlySet<string>, size: number) => {
    const out = []
    const taken = new Set<string>()
    let at = from
    let lineNo = 1
    for (;;) {
      let to = Math.min(bytes.length, at + size)
      while (to < bytes.length && bytes.lastIndexOf(0x0a, to - 1) < at) to++
      const cut = bytes.lastIndexOf(0x0a, to - 1) + 1
      if (cut <= at) return out
      const scan = scanLog(bytes.subarray(at, cut), 0, lineNo)
      out.push(backlogOf(scan, seen, taken, at))
      lineNo += scan.lines.length
      at = cut
    }
  }

  it("property: the slices of any size, each scanned from its own offset, together are the whole backlog (seed 29)", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.array(kinds, { maxLength: 40 }),
        FastCheck.boolean(),
        FastCheck.integer({ min: 1, max: 2000 }),
        FastCheck.nat(),
        FastCheck.array(FastCheck.integer({ min: 1, max: 40 }), { maxLength: 5 }),
        (lines, torn, slice, fromLine, seenNs) => {
          const text = lines.join("\n") + (lines.length > 0 ? "\n" : "") + (torn ? line(41).slice(0, 50) : "")
          const bytes = enc.encode(text)
          const all = scanLog(bytes, 0)
          const from = all.lines.length === 0 ? 0 : all.lines[fromLine % all.lines.length].start
          const seen = new Set(seenNs.map((n) => `01JZ${String(n).padStart(22, "0")}`))
          const whole = backlogOf(scanLog(bytes, from), seen)
          const slices = sliced(bytes, from, seen, slice)
          assert.deepStrictEqual(slices.flatMap((b) => b.pending), [...whole.pending])
          assert.deepStrictEqual(slices.flatMap((b) => b.malformed), [...whole.malformed])
          assert.strictEqual(slices.reduce((n, b) => n + b.unidentified, 0), whole.unidentified)
          assert.strictEqual(slices.reduce((n, b) => n + b.alreadySeen, 0), whole.alreadySeen)
          assert.strictEqual(slices.length === 0 ? from : slices[slices.length - 1].end, whole.end)
        }
      ),
      { seed: 29, numRuns: 300 }
    )
  })
})

describe("CloudEvents batch text", () => {
  it("splices the row's own text as data and keeps the attributes JSON-valid", () => {
    const bytes = enc.encode(envelope + "\n" + line(7) + "\n")
    const [env, tr] = backlogOf(scanLog(bytes, 0), new Set()).pending
    const origin = { projectId: "0123456789abcdef", missionKey: "legacy:old mission", missionSlug: "old mission" }
    const src = sourceOf(origin)
    assert.strictEqual(src, "/kittyctx/projects/0123456789abcdef/missions/legacy%3Aold%20mission")
    const text = cloudEventText(origin, src, env)
    const ev = JSON.parse(text)
    assert.strictEqual(ev.specversion, "1.0")
    assert.strictEqual(ev.id, "01KV6DCA9C1EWG20ND9NH8PMPJ")
    assert.strictEqual(ev.type, "dev.kittyctx.status.envelope")
    assert.strictEqual(ev.time, "2026-06-15T19:50:47.852618+00:00")
    assert.isTrue(text.endsWith(`"data":${envelope}}`), "the row's bytes, \\u escapes included")
    const t = JSON.parse(cloudEventText(origin, src, tr))
    assert.strictEqual(t.subject, "WP07")
    assert.strictEqual(t.type, "dev.kittyctx.status.transition")
  })

  it("batches hold at most maxEvents and maxBytes, but a single larger event always goes", () => {
    assert.strictEqual(batchLength([10, 10, 10], 0, 2, 1000), 2)
    assert.strictEqual(batchLength([10, 10, 10], 2, 2, 1000), 1)
    assert.strictEqual(batchLength([10, 10, 10], 0, 5, 2 + 10 + 1 + 10), 2)
    assert.strictEqual(batchLength([5000, 10], 0, 5, 100), 1)
    assert.strictEqual(batchLength([], 0, 5, 100), 0)
    assert.strictEqual(utf8Length("aé€😀"), 1 + 2 + 3 + 4)
  })
})
