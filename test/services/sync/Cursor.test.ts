/**
 * The sync cursor (docs/surfaces.md §8.5) in process, over the live ports and a memory sink: a cursor plus
 * appends, duplicated rows, torn lines, re-sorts, insertions and cuts (in place or by a rename) always
 * yields exactly the events not yet sent, in log order (against a naive full-rescan oracle); an
 * append-only round reads the last block and the appended bytes, not the log, and none of the seen ids;
 * a version-1 cursor is still read, verified once and upgraded.
 */
import { assert, describe, it } from "@effect/vitest"
import * as NodeCommandExecutor from "@effect/platform-node/NodeCommandExecutor"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { Effect, FastCheck, Layer, Runtime } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as FileLock from "../../../src/services/ports/FileLock.js"
import * as Git from "../../../src/services/ports/Git.js"
import * as HttpSink from "../../../src/services/ports/HttpSink.js"
import * as Processes from "../../../src/services/ports/Processes.js"
import * as RepoFs from "../../../src/services/ports/RepoFs.js"
import * as RepoWrite from "../../../src/services/ports/RepoWrite.js"
import * as Settings from "../../../src/services/ports/Settings.js"
import * as StatusReader from "../../../src/services/status/StatusReader.js"
import { deliverRound } from "../../../src/services/sync/Delivery.js"
import type { RoundOptions } from "../../../src/services/sync/Delivery.js"
import { projectSources } from "../../../src/services/sync/LogSources.js"
import type { ProjectSources } from "../../../src/services/sync/LogSources.js"
import * as RuntimeFiles from "../../../src/services/sync/RuntimeFiles.js"
import { configure, register } from "../../../src/services/sync/SyncSetup.js"
import { cursorHashOf, scopeIdOf } from "../../../src/services/sync/SyncStore.js"
import { IdFilter } from "../../../src/core/status/IdFilter.js"
import { createHash } from "node:crypto"
import { bootstrapLine, commitAll, makeRepo, makeTemp, missionFiles, removeTemp, writeFiles } from "../../support/repo.js"

const platform = NodeCommandExecutor.layer.pipe(Layer.provide(NodeFileSystem.layer))
const SLUG = "cursor-mission-01JZCRS0"
const MISSION_ID = "01JZCRS0000000000000000000"
const SINK = "http://127.0.0.1:9/memory"

const eventId = (n: number) => `01JZ${String(n).padStart(22, "0")}`
const eventLine = (n: number) => bootstrapLine(SLUG, MISSION_ID, `WP${String((n % 9) + 1).padStart(2, "0")}`, eventId(n), "2026-01-01T00:00:00.000000+00:00")

/** One repository with one mission, a runtime root, a memory sink that can fail, and counted reads. */
const harness = (batch = 3) => {
  const base = makeTemp()
  const root = makeRepo(path.join(base, "repo"))
  writeFiles(root, missionFiles(SLUG, MISSION_ID, ["WP01"]))
  commitAll(root, "mission")
  const logPath = path.join(root, "kitty-specs", SLUG, "status.events.jsonl")
  const runtime = path.join(base, "runtime")
  const counts = { logBytes: 0, seenReads: 0 }
  const sink = { acked: [] as Array<string>, failAfter: null as number | null, batches: 0 }
  const isSeen = (p: string) => p.endsWith(".seen.jsonl") || p.endsWith(".seen.json")
  const counted = Layer.effect(
    RepoFs.RepoFs,
    Effect.map(RepoFs.RepoFs, (r) =>
      RepoFs.RepoFs.of({
        ...r,
        readBytes: (p, o) => Effect.zipRight(Effect.sync(() => void (isSeen(p) && counts.seenReads++)), r.readBytes(p, o)),
        readChunks: (p, o, visit) => {
          if (isSeen(p)) counts.seenReads++
          return r.readChunks(p, o, (chunk) => {
            if (p === logPath) counts.logBytes += chunk.length
            return visit(chunk)
          })
        }
      }))
  ).pipe(Layer.provide(RepoFs.layer))
  const ports = Layer.mergeAll(
    counted,
    Git.readerLayer.pipe(Layer.provide(platform)),
    Processes.layer,
    Settings.layerFixed({ KITTYCTX_HOME: runtime, HOME: base }),
    HttpSink.layerMemory((request) => {
      if (sink.failAfter !== null && sink.batches >= sink.failAfter) return { _tag: "Response", status: 500, retryAfter: null, body: "" }
      sink.batches++
      for (const e of JSON.parse(request.body) as Array<{ id: string }>) sink.acked.push(e.id)
      return { _tag: "Response", status: 200, retryAfter: null, body: "" }
    })
  )
  const writes = RepoWrite.layer.pipe(Layer.provideMerge(ports))
  const locks = FileLock.layer.pipe(Layer.provideMerge(writes))
  const layer = Layer.mergeAll(RuntimeFiles.layer, StatusReader.layer.pipe(Layer.provide(counted))).pipe(
    Layer.provideMerge(locks)
  )
  let found: ProjectSources | null = null
  const setup = Effect.gen(function*() {
    yield* configure({ sink: SINK, numbers: { batch_max_events: batch } })
    yield* register(root, undefined)
    found = yield* projectSources(root)
    assert.strictEqual(found.sources.length, 1)
  })
  const round = (options: Omit<RoundOptions, "sources"> = {}) =>
    deliverRound({ ...options, sources: () => Effect.succeed(found!), maxAttempts: 1 })
  const cursorsDir = () => path.join(runtime, "sync", scopeIdOf(SINK), "cursors")
  return {
    base,
    root,
    source: () => found!.sources[0],
    logPath,
    counts,
    sink,
    round,
    cursorsDir,
    run: <A, E>(program: Effect.Effect<A, E, Layer.Layer.Success<typeof layer>>) =>
      Effect.ensuring(Effect.provide(Effect.zipRight(setup, program), layer), Effect.sync(() => removeTemp(base)))
  }
}

/** The oracle: every complete event line's first occurrence, in file order, whose id was not sent before. */
const oracle = (text: string, sent: ReadonlySet<string>): Array<string> => {
  const complete = text.slice(0, text.lastIndexOf("\n") + 1)
  const out: Array<string> = []
  const taken = new Set<string>()
  for (const line of complete.split("\n")) {
    const m = /"event_id": "([0-9A-Z]+)"/.exec(line)
    if (m === null || !line.startsWith("{") || !line.endsWith("}")) continue
    if (sent.has(m[1]) || taken.has(m[1])) continue
    taken.add(m[1])
    out.push(m[1])
  }
  return out
}

type Op =
  | { readonly _tag: "Append"; readonly n: number }
  | { readonly _tag: "Duplicate"; readonly pick: number }
  | { readonly _tag: "Junk"; readonly blank: boolean }
  | { readonly _tag: "Torn" }
  | { readonly _tag: "Resort"; readonly seed: number; readonly rename: boolean }
  | { readonly _tag: "Insert"; readonly at: number; readonly n: number; readonly rename: boolean }
  | { readonly _tag: "Cut"; readonly keep: number; readonly rename: boolean }
  | { readonly _tag: "Round"; readonly failAfter: number | null }

const opArb: FastCheck.Arbitrary<Op> = FastCheck.oneof(
  FastCheck.record({ _tag: FastCheck.constant("Append" as const), n: FastCheck.integer({ min: 1, max: 6 }) }),
  FastCheck.record({ _tag: FastCheck.constant("Duplicate" as const), pick: FastCheck.nat() }),
  FastCheck.record({ _tag: FastCheck.constant("Junk" as const), blank: FastCheck.boolean() }),
  FastCheck.record({ _tag: FastCheck.constant("Torn" as const) }),
  FastCheck.record({ _tag: FastCheck.constant("Resort" as const), seed: FastCheck.nat(), rename: FastCheck.boolean() }),
  FastCheck.record({
    _tag: FastCheck.constant("Insert" as const),
    at: FastCheck.nat(),
    n: FastCheck.integer({ min: 1, max: 3 }),
    rename: FastCheck.boolean()
  }),
  FastCheck.record({ _tag: FastCheck.constant("Cut" as const), keep: FastCheck.nat(), rename: FastCheck.boolean() }),
  FastCheck.record({
    _tag: FastCheck.constant("Round" as const),
    failAfter: FastCheck.option(FastCheck.integer({ min: 0, max: 3 }), { nil: null })
  }),
  FastCheck.record({ _tag: FastCheck.constant("Round" as const), failAfter: FastCheck.constant(null) })
)

describe("the sync cursor", () => {
  it.live("property: a cursor plus appends, rewrites, re-sorts and cuts yields exactly the events not yet sent, in order (seed 13)", () => {
    const h = harness()
    return h.run(Effect.gen(function*() {
      const runtime = yield* Effect.runtime<Effect.Effect.Context<ReturnType<typeof h.round>>>()
      const initial = fs.readFileSync(h.logPath, "utf8")
      yield* Effect.promise(() =>
        FastCheck.assert(
          FastCheck.asyncProperty(
            FastCheck.array(opArb, { minLength: 1, maxLength: 14 }),
            FastCheck.constantFrom(64, 300, 1024),
            FastCheck.constantFrom(100, 700, 5000),
            FastCheck.constantFrom(1, 1000),
            async (ops, blockBytes, sliceBytes, checkpointEvents) => {
              // a fresh log and no cursor
              fs.rmSync(h.cursorsDir(), { recursive: true, force: true })
              fs.writeFileSync(h.logPath, initial)
              h.sink.acked.length = 0
              const sent = new Set<string>()
              let next = 1000
              let torn: string | null = null
              const lines = () => {
                const text = fs.readFileSync(h.logPath, "utf8")
                return text.slice(0, text.lastIndexOf("\n") + 1).split("\n").slice(0, -1)
              }
              const completeTorn = () => {
                if (torn !== null) fs.appendFileSync(h.logPath, torn + "\n")
                torn = null
              }
              const rewrite = (ls: ReadonlyArray<string>, rename: boolean) => {
                completeTorn()
                const text = ls.map((l) => l + "\n").join("")
                if (rename) {
                  fs.writeFileSync(h.logPath + ".tmp", text)
                  fs.renameSync(h.logPath + ".tmp", h.logPath)
                } else fs.writeFileSync(h.logPath, text)
              }
              const doRound = async (failAfter: number | null) => {
                h.sink.failAfter = failAfter
                h.sink.batches = 0
                const before = h.sink.acked.length
                const expected = oracle(fs.readFileSync(h.logPath, "utf8"), sent)
                await Runtime.runPromise(runtime)(h.round({ open: { blockBytes, sliceBytes }, checkpointEvents }))
                const got = h.sink.acked.slice(before)
                if (failAfter === null) assert.deepStrictEqual(got, expected)
                else assert.deepStrictEqual(got, expected.slice(0, got.length))
                for (const id of got) sent.add(id)
              }
              for (const op of ops) {
                switch (op._tag) {
                  case "Append":
                    completeTorn()
                    fs.appendFileSync(h.logPath, Array.from({ length: op.n }, () => eventLine(next++) + "\n").join(""))
                    break
                  case "Duplicate": {
                    completeTorn()
                    const ls = lines().filter((l) => l.startsWith("{"))
                    if (ls.length > 0) fs.appendFileSync(h.logPath, ls[op.pick % ls.length] + "\n")
                    break
                  }
                  case "Junk":
                    completeTorn()
                    fs.appendFileSync(h.logPath, op.blank ? "\n" : "{not json\n")
                    break
                  case "Torn": {
                    completeTorn()
                    const l = eventLine(next++)
                    fs.appendFileSync(h.logPath, l.slice(0, 40))
                    torn = l.slice(40)
                    break
                  }
                  case "Resort": {
                    completeTorn()
                    const ls = [...lines()]
                    let s = op.seed
                    for (let i = ls.length - 1; i > 0; i--) {
                      s = (s * 1103515245 + 12345) % 2147483648
                      const j = s % (i + 1)
                      ;[ls[i], ls[j]] = [ls[j], ls[i]]
                    }
                    rewrite(ls, op.rename)
                    break
                  }
                  case "Insert": {
                    completeTorn()
                    const ls = [...lines()]
                    const at = op.at % (ls.length + 1)
                    ls.splice(at, 0, ...Array.from({ length: op.n }, () => eventLine(next++)))
                    rewrite(ls, op.rename)
                    break
                  }
                  case "Cut": {
                    completeTorn()
                    const ls = lines()
                    rewrite(ls.slice(0, op.keep % (ls.length + 1)), op.rename)
                    break
                  }
                  case "Round":
                    await doRound(op.failAfter)
                }
              }
              // a last healthy round: everything in the log is sent, each id once over all rounds
              completeTorn()
              await doRound(null)
              assert.strictEqual(new Set(h.sink.acked).size, h.sink.acked.length, "no id was sent twice")
              assert.deepStrictEqual(oracle(fs.readFileSync(h.logPath, "utf8"), sent), [])
            }
          ),
          { seed: 13, numRuns: 100 }
        )
      )
    }))
  })

  it.live("an append-only round reads the block holding the last 4 KiB before the offset and the appended bytes, and none of the seen ids", () => {
    const h = harness(100)
    return h.run(Effect.gen(function*() {
      const open = { blockBytes: 4096, sliceBytes: 64 * 1024 }
      fs.appendFileSync(h.logPath, Array.from({ length: 2000 }, (_, i) => eventLine(i + 1) + "\n").join(""))
      const size = fs.statSync(h.logPath).size
      assert.isAbove(size, 600_000)
      const first = yield* h.round({ open })
      assert.strictEqual(first.delivered, 2001)
      for (const n of [5001, 5002, 5003]) {
        h.counts.logBytes = 0
        h.counts.seenReads = 0
        const line = eventLine(n) + "\n"
        fs.appendFileSync(h.logPath, line)
        const round = yield* h.round({ open })
        assert.strictEqual(round.delivered, 1)
        // at most the verified window (a block and 4 KiB) plus the appended line: not the 600 KB log
        assert.isAtMost(h.counts.logBytes, 4096 + 4096 + line.length, `round for ${n}`)
        assert.strictEqual(h.counts.seenReads, 0, "the seen ids were not read")
      }
      assert.deepStrictEqual(h.sink.acked.slice(-3), [eventId(5001), eventId(5002), eventId(5003)])
    }))
  })

  it.live("an id the seen filter may hold (a false positive) is checked against the exact ids: delivered, never dropped", () => {
    const h = harness(100)
    return h.run(Effect.gen(function*() {
      fs.appendFileSync(h.logPath, Array.from({ length: 1500 }, (_, i) => eventLine(i + 1) + "\n").join(""))
      assert.strictEqual((yield* h.round()).delivered, 1501)
      // an id the cursor's filter answers "perhaps" for, though it was never delivered
      const filter = IdFilter.fromBytes(fs.readFileSync(path.join(h.cursorsDir(), fs.readdirSync(h.cursorsDir()).find((n) => n.endsWith(".filter"))!)))!
      const delivered = new Set(h.sink.acked)
      let n = 10_000
      while (delivered.has(eventId(n)) || !filter.mightContain(eventId(n))) n++
      h.counts.seenReads = 0
      fs.appendFileSync(h.logPath, eventLine(n) + "\n" + eventLine(3) + "\n")
      const round = yield* h.round()
      assert.strictEqual(round.delivered, 1, "the false positive is delivered; the duplicated row is not")
      assert.strictEqual(h.sink.acked[h.sink.acked.length - 1], eventId(n))
      assert.isAbove(h.counts.seenReads, 0, "the exact ids were read to decide")
    }))
  })

  it.live("a version-1 cursor (one prefix hash, a JSON seen file) is verified once, then upgraded; a rewrite still rescans", () => {
    const h = harness(100)
    return h.run(Effect.gen(function*() {
      fs.appendFileSync(h.logPath, Array.from({ length: 20 }, (_, i) => eventLine(i + 1) + "\n").join(""))
      const source = h.source()
      const text = fs.readFileSync(h.logPath)
      const ids = oracle(text.toString("utf8"), new Set())
      const h32 = cursorHashOf(source.key)
      fs.mkdirSync(h.cursorsDir(), { recursive: true })
      fs.writeFileSync(
        path.join(h.cursorsDir(), `${h32}.json`),
        JSON.stringify({
          schema: "kittyctx.sync-cursor/v1",
          key: source.key,
          path: source.logPath,
          offset: text.length,
          prefix_sha256: createHash("sha256").update(text).digest("hex"),
          signature: null,
          seen_count: ids.length
        })
      )
      fs.writeFileSync(path.join(h.cursorsDir(), `${h32}.seen.json`), JSON.stringify({ schema: "kittyctx.sync-seen/v1", ids }))
      fs.appendFileSync(h.logPath, eventLine(100) + "\n")
      const first = yield* h.round()
      assert.strictEqual(first.delivered, 1)
      assert.deepStrictEqual(h.sink.acked, [eventId(100)])
      const head = JSON.parse(fs.readFileSync(path.join(h.cursorsDir(), `${h32}.json`), "utf8")) as Record<string, unknown>
      assert.strictEqual(head.schema, "kittyctx.sync-cursor/v2")
      assert.isFalse(fs.existsSync(path.join(h.cursorsDir(), `${h32}.seen.json`)), "the version-1 seen file is gone")
      assert.strictEqual(fs.readFileSync(path.join(h.cursorsDir(), `${h32}.seen.jsonl`), "utf8").split("\n").length - 1, ids.length + 1)
      // upgraded: an append reads on; a re-sort rescans and sends only the new id
      fs.appendFileSync(h.logPath, eventLine(101) + "\n")
      assert.strictEqual((yield* h.round()).delivered, 1)
      const lines = fs.readFileSync(h.logPath, "utf8").split("\n").slice(0, -1).reverse()
      fs.writeFileSync(h.logPath, [...lines, eventLine(102)].map((l) => l + "\n").join(""))
      const resorted = yield* h.round()
      assert.strictEqual(resorted.delivered, 1)
      assert.isTrue(resorted.projects[0].missions[0].rescanned)
      assert.deepStrictEqual(h.sink.acked, [eventId(100), eventId(101), eventId(102)])
    }))
  })
})
