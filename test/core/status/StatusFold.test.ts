import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { readEventStream } from "../../../src/core/status/EventRow.js"
import type { AnnotationRow, TransitionRow } from "../../../src/core/status/EventRow.js"
import { snapshotBytes, snapshotIdentity, snapshotOf } from "../../../src/core/status/Snapshot.js"
import { reduce } from "../../../src/core/status/StatusFold.js"
import { corpusMissions, STALE_SNAPSHOTS } from "../../support/corpus.js"

const missions = corpusMissions()

const materializeCorpus = (log: string, metaText: string | null): string => {
  const stream = Either.getOrThrow(readEventStream(log))
  const identity = Either.getOrThrow(snapshotIdentity(metaText === null ? undefined : JSON.parse(metaText)))
  return snapshotBytes(snapshotOf(stream, identity))
}

describe("C2: status.json reproduced byte for byte from the log and meta.json", () => {
  const withBoth = missions.filter((m) => m.log !== null && m.statusJson !== null)
  const conformant = withBoth.filter((m) => !STALE_SNAPSHOTS.has(m.name))
  const stale = withBoth.filter((m) => STALE_SNAPSHOTS.has(m.name))

  it("covers the corpus", () => {
    assert.isAbove(conformant.length, 180)
  })

  it.each(conformant.map((m) => [m.name, m] as const))("%s", (_name, m) => {
    assert.strictEqual(materializeCorpus(m.log!, m.metaText), m.statusJson)
  })

  it("the stale snapshots listed in the spec differ from their committed bytes", () => {
    for (const m of stale) assert.notStrictEqual(materializeCorpus(m.log!, m.metaText), m.statusJson, m.name)
  })
})

describe("C3: the strict reader accepts every corpus log", () => {
  it("reads all lines", () => {
    let rows = 0
    for (const m of missions) {
      if (m.log === null) continue
      const s = readEventStream(m.log)
      assert.isTrue(Either.isRight(s), `${m.name}: ${Either.isLeft(s) ? s.left.message : ""}`)
      if (Either.isRight(s)) rows += s.right.transitions.length + s.right.annotations.length + s.right.envelopes.length
    }
    assert.isAbove(rows, 12000)
  })
})

// Property tests over real rows: the fold does not depend on file order except where the spec says.
const allRows = missions.flatMap((m) => {
  if (m.log === null) return []
  const s = Either.getOrThrow(readEventStream(m.log))
  return [{ transitions: s.transitions, annotations: s.annotations }]
}).filter((s) => s.transitions.length > 3)

const shuffle = <A>(xs: ReadonlyArray<A>, keys: ReadonlyArray<number>): Array<A> =>
  xs.map((x, i) => [keys[i % keys.length] ?? 0, i, x] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .map(([, , x]) => x)

const uniqueIds = (ts: ReadonlyArray<TransitionRow>) => new Set(ts.map((t) => t.event_id)).size === ts.length
const annotationKeysUnique = (as: ReadonlyArray<AnnotationRow>) =>
  new Set(as.map((a) => `${a.at}\u0000${a.event_id}`)).size === as.length

describe("fold properties", () => {
  it.prop(
    "file order is irrelevant when event ids and annotation keys are unique",
    [fc.integer({ min: 0, max: allRows.length - 1 }), fc.array(fc.integer(), { minLength: 1, maxLength: 50 })],
    ([index, keys]) => {
      const { annotations, transitions } = allRows[index]
      fc.pre(uniqueIds(transitions) && annotationKeysUnique(annotations))
      const a = reduce(transitions, annotations)
      const b = reduce(shuffle(transitions, keys), shuffle(annotations, keys.slice().reverse()))
      assert.deepStrictEqual(b, a)
    },
    { fastCheck: { numRuns: 200, seed: 20261124 } }
  )

  it.prop(
    "summary counts sum to the WPs in display lanes, and event_count counts unique transitions",
    [fc.integer({ min: 0, max: allRows.length - 1 })],
    ([index]) => {
      const { annotations, transitions } = allRows[index]
      const r = reduce(transitions, annotations)
      const total = Object.values(r.summary).reduce((x, y) => x + y, 0)
      const display = Object.values(r.work_packages).filter((w) => w.lane !== "uninitialized" && w.lane !== "genesis")
      assert.strictEqual(total, display.length)
      assert.strictEqual(r.event_count, new Set(transitions.map((t) => t.event_id)).size)
    },
    { fastCheck: { numRuns: 200, seed: 7 } }
  )

  it("a duplicated event id keeps the first row in file order", () => {
    const { transitions } = allRows[0]
    const first = transitions[0]
    const dup = { ...first, to_lane: "canceled" as const, at: "9999-12-31T00:00:00+00:00" }
    const r = reduce([first, ...transitions.slice(1), dup], [])
    assert.strictEqual(r.event_count, reduce(transitions, []).event_count)
  })
})
