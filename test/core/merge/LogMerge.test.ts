/**
 * The event-log union (docs/status-model.md §13, docs/surfaces.md §5.1): spec-kitty's messages and
 * order, byte stability, and the algebra (commutative, associative, idempotent) on generated logs
 * with fixed seeds; then every log of the corpus merged with itself.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { mergeEventLogs, mergeThreeWay } from "../../../src/core/merge/LogMerge.js"
import type { LogInput } from "../../../src/core/merge/LogMerge.js"
import { encodeLine, forEachLogLine, parseLossless } from "../../../src/core/python/PyJson.js"
import type { JsonValue } from "../../../src/core/python/PyJson.js"
import { compareCodePoints } from "../../../src/core/repo/Text.js"
import { corpusMissions } from "../../support/corpus.js"

const SEED = 20_260_110
const RUNS = 400

const stage = (text: string, n: number): LogInput => ({ source: `<merge-stage-${n}>`, text })
const merge3 = (base: string, ours: string, theirs: string) =>
  mergeThreeWay(stage(base, 1), stage(ours, 2), stage(theirs, 3))
const mergeAll = (...texts: ReadonlyArray<string>) => mergeEventLogs(texts.map((t, i) => stage(t, i + 1)))
const ok = (r: Either.Either<string, { message: string }>): string => {
  if (Either.isLeft(r)) throw new Error(`unexpected merge failure: ${r.left.message}`)
  return r.right
}
const failure = (r: Either.Either<string, { code: string; message: string }>) => {
  if (Either.isRight(r)) throw new Error("expected a merge failure")
  return r.left
}

const lossless = (text: string): JsonValue => {
  const parsed = parseLossless(text)
  if (!parsed.ok) throw new Error(parsed.message)
  return parsed.value
}

const row = (id: string, at: string, extra: Record<string, unknown> = {}) =>
  encodeLine({ event_id: id, at, wp_id: "WP01", ...extra } as never)
const log = (...lines: ReadonlyArray<string>) => lines.map((l) => l + "\n").join("")

const A = row("01AAAAAAAAAAAAAAAAAAAAAAAA", "2026-06-10T06:00:00+00:00")
const B = row("01BBBBBBBBBBBBBBBBBBBBBBBB", "2026-06-10T06:02:00+00:00")
const C = row("01CCCCCCCCCCCCCCCCCCCCCCCC", "2026-06-10T06:01:00+00:00")

describe("spec-kitty's rules (A5.2)", () => {
  it("unites base, ours and theirs in (at, event_id) order", () => {
    assert.strictEqual(ok(merge3(log(A), log(A, B), log(A, C))), log(A, C, B))
    // a row one side deleted comes back (the log is append-only)
    assert.strictEqual(ok(merge3(log(A, C), log(B), log(A))), log(A, C, B))
  })

  it("sorts by timestamp where at is missing, and rows with neither first", () => {
    const env = encodeLine({ event_id: "01ZZZZZZZZZZZZZZZZZZZZZZZZ", timestamp: "2026-06-10T06:01:30+00:00", event_type: "WPCreated" })
    const bare = encodeLine({ event_id: "01YYYYYYYYYYYYYYYYYYYYYYYY", note: "no time" })
    assert.strictEqual(ok(mergeAll(log(A, B), log(env), log(bare))), log(bare, A, env, B))
  })

  it("a null timestamp sorts as Python's str(None), after every ISO time", () => {
    const odd = '{"event_id": "01XX", "timestamp": null}'
    assert.strictEqual(ok(mergeAll(log(odd), log(A))), log(A, odd))
  })

  it("the same id with a different payload is a conflict, worded as spec-kitty words it", () => {
    const other = row("01AAAAAAAAAAAAAAAAAAAAAAAA", "2026-06-10T06:00:00+00:00", { actor: "mallory" })
    const e = failure(merge3("", log(A), log(other)))
    assert.strictEqual(e.code, "EVENT_ID_CONFLICT")
    assert.strictEqual(e.message, "Conflicting payloads found for event_id '01AAAAAAAAAAAAAAAAAAAAAAAA'")
  })

  it("an integer and a float of the same value conflict (canonical serialisations differ, docs §16 D8)", () => {
    const e = failure(mergeAll('{"event_id": "x", "n": 1}\n', '{"event_id": "x", "n": 1.0}\n'))
    assert.strictEqual(e.code, "EVENT_ID_CONFLICT")
  })

  it("malformed lines fail with spec-kitty's messages and 1-based line numbers counting blank lines", () => {
    assert.strictEqual(failure(mergeAll(log(A), "\n[1]\n")).message, "<merge-stage-2>: line 2 is not a JSON object")
    assert.strictEqual(failure(mergeAll("{}\n")).message, "<merge-stage-1>: line 1 is missing a valid event_id")
    assert.strictEqual(failure(mergeAll('{"event_id": "  "}\n')).message, "<merge-stage-1>: line 1 is missing a valid event_id")
    assert.strictEqual(failure(mergeAll('{"event_id": 5}\n')).message, "<merge-stage-1>: line 1 is missing a valid event_id")
    const bad = failure(mergeAll(log(A), log(A), "not json\n"))
    assert.strictEqual(bad.code, "EVENT_LOG_MALFORMED")
    assert.strictEqual(bad.message, "<merge-stage-3>: invalid JSON on line 1: Expecting value: line 1 column 1 (char 0)")
  })

  it("accepts NaN and Infinity as Python does, keeping their bytes", () => {
    const nan = '{"event_id": "n", "x": NaN, "y": -Infinity}'
    assert.strictEqual(ok(mergeAll(log(nan), log(nan))), log(nan))
  })

  it("keeps every line's bytes: non-canonical key order, spacing and number lexemes are not rewritten", () => {
    const odd = '{"wp_id":"WP01","event_id":"01AAAAAAAAAAAAAAAAAAAAAAAA","at":"2026-06-10T06:00:00+00:00","n":1.10}'
    assert.strictEqual(ok(merge3(log(odd), log(odd, B), log(odd))), log(odd, B))
    // two equivalent texts of one id: the smaller is kept, whatever side it came from
    const canon = encodeLine(lossless(odd))
    const chosen = compareCodePoints(odd, canon) < 0 ? odd : canon
    assert.strictEqual(ok(merge3("", log(odd), log(canon))), log(chosen))
    assert.strictEqual(ok(merge3("", log(canon), log(odd))), log(chosen))
  })

  it("an empty union is the empty text; blank lines and a missing final newline are normalised", () => {
    assert.strictEqual(ok(merge3("", "", "")), "")
    assert.strictEqual(ok(merge3("\n\n", "  \n", "")), "")
    assert.strictEqual(ok(mergeAll(`${A}\n\n${B}`)), log(A, B))
  })
})

// ---------------------------------------------------------------------------------------------
// Generated logs

const IDS = Array.from({ length: 12 }, (_, i) => `01J${String.fromCharCode(65 + i).repeat(23)}`)
const TIMES = ["", "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:01+00:00", "2026-01-01T00:00:01.5+00:00", "2026-01-02T00:00:00+00:00"]

/** Every id has one fixed payload (conflict-free inputs); some rows use `timestamp`, some neither. */
const rowOf = (i: number): string => {
  const time = TIMES[(i * 7) % TIMES.length]
  const body: Record<string, unknown> = { event_id: IDS[i], wp_id: `WP0${i % 3}`, n: i }
  if (i % 4 === 3) body.timestamp = time
  else if (time !== "") body.at = time
  return encodeLine(body as never)
}
const keyOf = (i: number) => {
  const time = TIMES[(i * 7) % TIMES.length]
  return { time, id: IDS[i] }
}
const canonicalOrder = (ids: ReadonlyArray<number>) =>
  [...new Set(ids)].sort((a, b) => {
    const x = keyOf(a)
    const y = keyOf(b)
    return x.time === y.time ? compareCodePoints(x.id, y.id) : compareCodePoints(x.time, y.time)
  })
const render = (ids: ReadonlyArray<number>) => log(...ids.map(rowOf))
const canonicalLog = (ids: ReadonlyArray<number>) => render(canonicalOrder(ids))

const idSet = fc.uniqueArray(fc.integer({ min: 0, max: IDS.length - 1 }), { maxLength: IDS.length })
/** A log in any order (no id twice). */
const anyOrder = idSet.chain((ids) => fc.shuffledSubarray(ids, { minLength: ids.length, maxLength: ids.length }))

describe("the algebra on canonical logs (fixed seed)", () => {
  const options = { seed: SEED, numRuns: RUNS }

  it("the result is the sorted union, whatever the inputs", () => {
    fc.assert(
      fc.property(idSet, idSet, idSet, (b, o, t) => {
        assert.strictEqual(ok(merge3(canonicalLog(b), canonicalLog(o), canonicalLog(t))), canonicalLog([...b, ...o, ...t]))
      }),
      options
    )
  })

  it("commutative in every argument, associative, idempotent", () => {
    fc.assert(
      fc.property(idSet, idSet, idSet, (x, y, z) => {
        const [a, b, c] = [canonicalLog(x), canonicalLog(y), canonicalLog(z)]
        assert.strictEqual(ok(merge3(a, b, c)), ok(merge3(a, c, b)))
        assert.strictEqual(ok(merge3(a, b, c)), ok(merge3(c, b, a)))
        assert.strictEqual(ok(mergeAll(ok(mergeAll(a, b)), c)), ok(mergeAll(a, ok(mergeAll(b, c)))))
        assert.strictEqual(ok(mergeAll(a, a)), a)
        const once = ok(merge3(a, b, c))
        assert.strictEqual(ok(merge3(once, once, once)), once)
        assert.strictEqual(ok(merge3(a, once, b)), once)
      }),
      options
    )
  })
})

describe("byte stability on logs in any order (fixed seed)", () => {
  const options = { seed: SEED + 1, numRuns: RUNS }

  it("a log merged with itself is byte-identical, in any order", () => {
    fc.assert(
      fc.property(anyOrder, (ids) => {
        const l = render(ids)
        assert.strictEqual(ok(merge3(l, l, l)), l)
        assert.strictEqual(ok(mergeAll(l)), l)
      }),
      options
    )
  })

  it("an append-only descendant keeps every byte that was there, and is the merge result", () => {
    fc.assert(
      fc.property(anyOrder, anyOrder, (prefix, extra) => {
        const tail = extra.filter((i) => !prefix.includes(i))
        const base = render(prefix)
        const descendant = render([...prefix, ...tail])
        assert.strictEqual(ok(merge3(base, base, descendant)), descendant)
        assert.strictEqual(ok(merge3(base, descendant, base)), descendant)
      }),
      options
    )
  })

  it("commutative on any inputs; associative on a shared prefix in any order with canonical tails", () => {
    fc.assert(
      fc.property(anyOrder, anyOrder, anyOrder, anyOrder, (p, x, y, z) => {
        assert.strictEqual(ok(mergeAll(render(x), render(y))), ok(mergeAll(render(y), render(x))))
        assert.strictEqual(ok(merge3(render(p), render(x), render(y))), ok(merge3(render(y), render(p), render(x))))
        const branch = (ids: ReadonlyArray<number>) => render([...p, ...canonicalOrder(ids.filter((i) => !p.includes(i)))])
        const [a, b, c] = [branch(x), branch(y), branch(z)]
        assert.strictEqual(ok(mergeAll(ok(mergeAll(a, b)), c)), ok(mergeAll(a, ok(mergeAll(b, c)))))
        assert.isTrue(ok(mergeAll(a, b, c)).startsWith(render(p)))
      }),
      options
    )
  })
})

describe("the spec-kitty corpus", () => {
  const logs = corpusMissions().filter((m) => m.log !== null) as ReadonlyArray<{ name: string; log: string }>

  it("every log merged with itself as base, ours and theirs is byte-identical", () => {
    assert.isAbove(logs.length, 200)
    const changed = logs.filter((m) => ok(merge3(m.log, m.log, m.log)) !== m.log).map((m) => m.name)
    assert.deepStrictEqual(changed, [])
  })

  it("spec-kitty's driver (re-sort and re-serialise every row) would rewrite 6 of them; ours rewrites none", () => {
    // spec-kitty's merge_event_log_texts: json.dumps(sort_keys=True) of every row, sorted by (at or timestamp, event_id)
    const specKittyDriver = (text: string): string => {
      const rows: Array<{ time: string; id: string; line: string }> = []
      forEachLogLine(text, (_n, line) => {
        const v = JSON.parse(line) as Record<string, unknown>
        const time = String((v.at as string) || (v.timestamp as string) || "")
        rows.push({ time, id: String(v.event_id), line: encodeLine(lossless(line)) })
        return true
      })
      rows.sort((a, b) => (a.time === b.time ? compareCodePoints(a.id, b.id) : compareCodePoints(a.time, b.time)))
      return rows.map((r) => r.line + "\n").join("")
    }
    const rewritten = logs.filter((m) => specKittyDriver(m.log) !== m.log).map((m) => m.name)
    assert.deepStrictEqual(rewritten, [
      "deliver-loaded-doctrine-01M0DSQM",
      "docling-graph-kitty-specs-01M0A0FG",
      "expected-artifacts-manifest-repair-01KZY498",
      "project-tier-drg-node-emission-01M0DM94",
      "rc3-mission-type-backfill-01M0GGNS",
      "single-authority-resolution-parity-01M0CEBQ"
    ])
    // the same logs through the union with a descendant that appends one row: only the row is added
    for (const name of rewritten) {
      const m = logs.find((x) => x.name === name)!
      const extra = encodeLine({ event_id: "01ZZZZZZZZZZZZZZZZZZZZZZZZ", at: "2099-01-01T00:00:00+00:00", wp_id: "WP99" })
      assert.strictEqual(ok(merge3(m.log, m.log, m.log + extra + "\n")), m.log + extra + "\n")
    }
  })
})
