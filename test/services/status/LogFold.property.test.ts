/**
 * The fold checkpoint never changes an answer (status-model §7.7): on random logs of real corpus rows,
 * after any sequence of writer checkpoints, appends, rewrites in place and by rename, re-sorts, cuts and
 * torn tails, the reader's snapshot is byte-identical to the full fold of the whole text (or both
 * refuse the log). Runs the facade's own log reader over the memory layers.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, FastCheck as fc, Layer } from "effect"
import { readEventStream } from "../../../src/core/status/EventRow.js"
import { snapshotBytes, snapshotOf } from "../../../src/core/status/Snapshot.js"
import { compareSortKey } from "../../../src/core/status/StatusFold.js"
import { MemoryFs } from "../../../src/services/ports/MemoryFs.js"
import * as RepoFs from "../../../src/services/ports/RepoFs.js"
import * as RepoWrite from "../../../src/services/ports/RepoWrite.js"
import { foldLog, saveCheckpoint, snapshotOfFold } from "../../../src/services/status/LogFold.js"
import { BlockHasher } from "../../../src/services/ports/Crypto.js"
import type { FoldSource } from "../../../src/services/status/LogFold.js"
import { checkpointPathOf } from "../../../src/services/status/StatusReader.js"
import type { StatusTarget } from "../../../src/services/status/StatusReader.js"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Processes from "../../../src/services/ports/Processes.js"
import { corpusMissions } from "../../support/corpus.js"

const ROOT = "/mem/repo"
const DIR = `${ROOT}/kitty-specs/m-01KTEST00`
const LOG = `${DIR}/status.events.jsonl`
const scope = { roots: [ROOT, `${ROOT}/.git`] }
const target: StatusTarget = {
  missionSlug: "m-01KTEST00",
  missionId: null,
  identity: { mission_number: null, mission_type: "software-dev" },
  statusDir: DIR,
  tasksDir: `${DIR}/tasks`,
  lock: { path: `${ROOT}/.git/spec-kitty-locks/m.status.lock`, scope },
  scope,
  workspaceRoot: ROOT,
  gitCommonDir: `${ROOT}/.git`
}

const POOL: ReadonlyArray<string> = corpusMissions()
  .flatMap((m) => (m.log === null ? [] : m.log.split("\n").filter((l) => l.trim() !== "")))
  .filter((_, i) => i % 7 === 0)

const parsed = (line: string): Record<string, unknown> | null => {
  try {
    return JSON.parse(line) as Record<string, unknown>
  } catch {
    return null // a line a "flip" broke
  }
}
const keyOf = (line: string) => {
  const o = parsed(line) ?? {}
  return { at: typeof o.at === "string" ? o.at : "", event_id: typeof o.event_id === "string" ? o.event_id : "" }
}
const sortLines = (lines: ReadonlyArray<string>) => [...lines].sort((a, b) => compareSortKey(keyOf(a), keyOf(b)))

type Op =
  | { readonly _tag: "save"; readonly maxRecent: number }
  | { readonly _tag: "append"; readonly picks: ReadonlyArray<number> }
  | { readonly _tag: "rewriteSame"; readonly rename: boolean }
  | { readonly _tag: "replaceLine"; readonly at: number; readonly pick: number; readonly rename: boolean }
  | { readonly _tag: "resort" }
  | { readonly _tag: "cut"; readonly at: number }
  | { readonly _tag: "torn"; readonly pick: number; readonly keep: number }
  | { readonly _tag: "unterminated"; readonly pick: number }
  | { readonly _tag: "flip"; readonly at: number; readonly rename: boolean }
  | { readonly _tag: "dupLater"; readonly at: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  // a small bound on the header's recent ids, so that id filter files are written, replaced and removed
  { weight: 4, arbitrary: fc.record({ _tag: fc.constant("save" as const), maxRecent: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 5, arbitrary: fc.record({ _tag: fc.constant("append" as const), picks: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("rewriteSame" as const), rename: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({ _tag: fc.constant("replaceLine" as const), at: fc.nat(), pick: fc.nat(), rename: fc.boolean() })
  },
  { weight: 1, arbitrary: fc.constant({ _tag: "resort" as const }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("cut" as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("torn" as const), pick: fc.nat(), keep: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("unterminated" as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ _tag: fc.constant("flip" as const), at: fc.nat(), rename: fc.boolean() }) },
  // a row again with its id but a later time: only the ids seen before (filter and recent ids) can tell
  { weight: 3, arbitrary: fc.record({ _tag: fc.constant("dupLater" as const), at: fc.nat() }) }
)

const decoder = new TextDecoder()

const seenSources = new Set<FoldSource>()
const idFilters = { written: 0 }

describe("fold checkpoint: byte-identical to the full fold", () => {
  it.prop(
    "random logs, checkpoints, appends, rewrites, re-sorts, cuts and torn tails",
    [fc.array(fc.nat(), { minLength: 0, maxLength: 40 }), fc.boolean(), fc.array(opArb, { minLength: 1, maxLength: 12 })],
    ([initial, sorted, ops]) => {
      const mem = new MemoryFs({ [`${ROOT}/.git/`]: "", [`${DIR}/`]: "" })
      const layer = Layer.mergeAll(RepoFs.layerMemoryFs(mem), RepoWrite.layerMemoryFs(mem))
      const pick = (n: number) => POOL[n % POOL.length]
      const first = initial.map(pick)
      mem.putFile(LOG, (sorted ? sortLines(first) : first).map((l) => l + "\n").join(""))
      const text = () => {
        const node = mem.nodes.get(LOG)
        return node?._tag === "File" ? decoder.decode(node.bytes) : ""
      }
      const change = (next: string, rename: boolean) => {
        const node = mem.nodes.get(LOG)
        if (rename || node?._tag !== "File") mem.putFile(LOG, next)
        else mem.changeFile(node, new TextEncoder().encode(next))
      }
      const completeLines = () => text().split("\n").slice(0, -1)
      let later = 0
      const sources = new Set<FoldSource>()

      const check = Effect.gen(function*() {
        const fs = yield* RepoFs.RepoFs
        const expected = readEventStream(text())
        const got = yield* Effect.either(foldLog(fs, target, { hash: false, tail: "fold" }))
        if (Either.isLeft(expected)) {
          assert.isTrue(Either.isLeft(got), `the full fold refuses (${expected.left.message}), so must the reader`)
          if (Either.isLeft(got)) assert.strictEqual(got.left.code, "STATUS_LOG_INVALID")
          return
        }
        assert.isTrue(Either.isRight(got), Either.isLeft(got) ? got.left.message : "")
        if (Either.isRight(got)) {
          sources.add(got.right.source)
          assert.strictEqual(snapshotBytes(snapshotOfFold(got.right.fold, target)), snapshotBytes(snapshotOf(expected.right, target.identity)))
        }
      })

      const program = Effect.gen(function*() {
        const fs = yield* RepoFs.RepoFs
        const write = yield* RepoWrite.RepoWrite
        yield* check
        for (const op of ops) {
          switch (op._tag) {
            case "save": {
              const lf = yield* Effect.either(foldLog(fs, target, { hash: true, tail: "leave", blockBytes: 256 }))
              if (Either.isRight(lf) && lf.right.hasher !== null && lf.right.signature !== null && lf.right.lines.pending.length === 0) {
                yield* saveCheckpoint(fs, write, target, { fold: lf.right.fold, lines: lf.right.lines, hasher: lf.right.hasher }, lf.right.signature, { maxRecent: op.maxRecent })
                const filters = [...mem.nodes.keys()].filter((p) => p.includes(".checkpoint.ids-"))
                assert.isAtMost(filters.length, 1, `one id filter beside the checkpoint at most: ${filters.join(", ")}`)
                if (filters.length === 1) idFilters.written++
              }
              break
            }
            case "append":
              yield* write.append(scope, LOG, op.picks.map((n) => pick(n) + "\n").join(""))
              break
            case "rewriteSame":
              change(text(), op.rename)
              break
            case "replaceLine": {
              const lines = completeLines()
              if (lines.length === 0) break
              lines[op.at % lines.length] = pick(op.pick)
              change(lines.map((l) => l + "\n").join(""), op.rename)
              break
            }
            case "resort":
              change(sortLines(completeLines()).map((l) => l + "\n").join(""), true)
              break
            case "cut": {
              const lines = completeLines()
              change(lines.slice(0, op.at % (lines.length + 1)).map((l) => l + "\n").join(""), false)
              break
            }
            case "torn": {
              const line = pick(op.pick)
              yield* write.append(scope, LOG, line.slice(0, 1 + (op.keep % (line.length - 1))))
              break
            }
            case "unterminated":
              yield* write.append(scope, LOG, pick(op.pick))
              break
            case "dupLater": {
              const lines = completeLines().filter((l) => parsed(l) !== null && /"at": "\d{4}/.test(l))
              if (lines.length === 0) break
              yield* write.append(scope, LOG, lines[op.at % lines.length].replace(/"at": "\d{4}/, `"at": "${9000 + later++}`) + "\n")
              break
            }
            case "flip": {
              // a same-length edit early in the file: only re-hashing the whole prefix can see it
              const t = text()
              const half = Math.floor(t.length / 2)
              if (half === 0) break
              const i = op.at % half
              const c = t.charCodeAt(i)
              if (c >= 0x61 && c < 0x7a) change(t.slice(0, i) + String.fromCharCode(c + 1) + t.slice(i + 1), op.rename)
              break
            }
          }
          yield* check
          // a torn or unterminated last line is what the writer repairs; the test does it like the writer would
          const t = text()
          if (t !== "" && !t.endsWith("\n")) change(t.slice(0, t.lastIndexOf("\n") + 1), false)
        }
        return sources
      })
      for (const s of Effect.runSync(Effect.provide(program, layer))) seenSources.add(s)
    },
    { fastCheck: { numRuns: 250, seed: 20261207 } }
  )

  it("the runs above went through every way of reaching a fold", () => {
    assert.deepStrictEqual([...seenSources].sort(), ["checkpoint", "checkpoint-rehashed", "full", "full-sorted"])
    assert.isAbove(idFilters.written, 50, "saves that left an id filter file beside the checkpoint")
  })

  it("live layers: the checkpoint a writer saves is the one a reader uses", () => {
    const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "kittyctx-cp-")))
    const dir = path.join(base, "kitty-specs", "m-01KTEST00")
    fs.mkdirSync(dir, { recursive: true })
    fs.mkdirSync(path.join(base, ".git"))
    const log = path.join(dir, "status.events.jsonl")
    // more than one read and one block: a few MB of rows
    const lines = sortLines(POOL).slice(0, 400)
    let text = ""
    for (let lap = 0; text.length < 3 * 1024 * 1024; lap++) text += lines.map((l) => l.replace(/"event_id": "[^"]*"/, `"event_id": "01KX${String(lap).padStart(6, "0")}${keyOf(l).event_id.slice(-16)}"`).replace(/"at": "(\d{4})/, `"at": "${3000 + lap}`) + "\n").join("")
    fs.writeFileSync(log, text)
    const live: StatusTarget = {
      ...target,
      statusDir: dir,
      tasksDir: path.join(dir, "tasks"),
      scope: { roots: [base] },
      workspaceRoot: base,
      gitCommonDir: path.join(base, ".git")
    }
    const program = Effect.gen(function*() {
      const rfs = yield* RepoFs.RepoFs
      const write = yield* RepoWrite.RepoWrite
      const expected = snapshotBytes(snapshotOf(Either.getOrThrow(readEventStream(text)), live.identity))
      const cold = yield* foldLog(rfs, live, { hash: true, tail: "leave" })
      assert.include(["full", "full-sorted"], cold.source)
      yield* saveCheckpoint(rfs, write, live, { fold: cold.fold, lines: cold.lines, hasher: cold.hasher! }, cold.signature!)
      const warm = yield* foldLog(rfs, live, { hash: false, tail: "fold" })
      assert.strictEqual(warm.source, "checkpoint")
      assert.strictEqual(snapshotBytes(snapshotOfFold(warm.fold, live)), expected)
      const writer = yield* foldLog(rfs, live, { hash: true, tail: "leave" })
      assert.strictEqual(writer.source, "checkpoint", "a writer re-hashes the last block and goes on from the checkpoint")
    })
    try {
      Effect.runSync(Effect.provide(program, Layer.mergeAll(RepoFs.layer, RepoWrite.layer.pipe(Layer.provide(Processes.layer)))))
    } finally {
      fs.rmSync(base, { recursive: true, force: true })
    }
  })

  it("the checkpoint is used when it holds, re-verified after a rename, dropped after a rewrite", () => {
    const mem = new MemoryFs({ [`${ROOT}/.git/`]: "", [`${DIR}/`]: "" })
    const layer = Layer.mergeAll(RepoFs.layerMemoryFs(mem), RepoWrite.layerMemoryFs(mem))
    const lines = sortLines(POOL.slice(0, 30))
    mem.putFile(LOG, lines.map((l) => l + "\n").join(""))
    const program = Effect.gen(function*() {
      const fs = yield* RepoFs.RepoFs
      const write = yield* RepoWrite.RepoWrite
      const source = () => Effect.map(foldLog(fs, target, { hash: false, tail: "fold" }), (f) => f.source)
      assert.strictEqual(yield* source(), "full")
      const lf = yield* foldLog(fs, target, { hash: true, tail: "leave" })
      yield* saveCheckpoint(fs, write, target, { fold: lf.fold, lines: lf.lines, hasher: lf.hasher! }, lf.signature!)
      assert.strictEqual(yield* source(), "checkpoint")
      const node = mem.nodes.get(LOG)
      if (node?._tag === "File") mem.putFile(LOG, node.bytes.slice())
      assert.strictEqual(yield* source(), "checkpoint-rehashed", "same bytes under a new inode: re-hashed, still used")
      const now = mem.nodes.get(LOG)
      if (now?._tag === "File") {
        const bytes = now.bytes.slice()
        bytes[10] = bytes[10] === 0x41 ? 0x42 : 0x41
        mem.changeFile(now, bytes)
      }
      assert.notInclude(["checkpoint", "checkpoint-rehashed"], yield* Effect.orElseSucceed(source(), () => "refused"))
    })
    Effect.runSync(Effect.provide(program, layer))
  })

  it("a checkpoint header naming its id filter by anything but a digest, or with ids that are not strings, is no checkpoint", () => {
    const mem = new MemoryFs({ [`${ROOT}/.git/`]: "", [`${DIR}/`]: "" })
    const layer = Layer.mergeAll(RepoFs.layerMemoryFs(mem), RepoWrite.layerMemoryFs(mem))
    mem.putFile(LOG, sortLines(POOL.slice(0, 30)).map((l) => l + "\n").join(""))
    const cp = checkpointPathOf(target)
    const program = Effect.gen(function*() {
      const fs = yield* RepoFs.RepoFs
      const write = yield* RepoWrite.RepoWrite
      const source = () => Effect.map(foldLog(fs, target, { hash: false, tail: "fold" }), (f) => f.source)
      const lf = yield* foldLog(fs, target, { hash: true, tail: "leave" })
      yield* saveCheckpoint(fs, write, target, { fold: lf.fold, lines: lf.lines, hasher: lf.hasher! }, lf.signature!, { maxRecent: 0 })
      assert.strictEqual(yield* source(), "checkpoint")
      const node = mem.nodes.get(cp)
      const header = JSON.parse(node?._tag === "File" ? decoder.decode(node.bytes) : "{}") as Record<string, unknown>
      assert.isNotNull(header.ids, "the save wrote a filter")
      for (const bad of [
        { ids: { digest: "../../../../../outside", bytes: 10 } },
        { ids: { digest: "0123456789abcdef/..", bytes: 10 } },
        { ids: "0123456789abcdef" },
        { recent: [1, 2] },
        { recent: "01KX" }
      ]) {
        mem.putFile(cp, JSON.stringify({ ...header, ...bad }) + "\n")
        assert.strictEqual(yield* source(), "full", JSON.stringify(bad))
      }
    })
    Effect.runSync(Effect.provide(program, layer))
  })

  it("ids carried in the header go into the next id filter: a row again with a later time still reads as the full fold", () => {
    const mem = new MemoryFs({ [`${ROOT}/.git/`]: "", [`${DIR}/`]: "" })
    const layer = Layer.mergeAll(RepoFs.layerMemoryFs(mem), RepoWrite.layerMemoryFs(mem))
    const transitions = sortLines(POOL.filter((l) => parsed(l)?.to_lane !== undefined)).slice(0, 40)
    mem.putFile(LOG, transitions.slice(0, 20).map((l) => l + "\n").join(""))
    const filters = () => [...mem.nodes.keys()].filter((p) => p.includes(".checkpoint.ids-"))
    const program = Effect.gen(function*() {
      const fs = yield* RepoFs.RepoFs
      const write = yield* RepoWrite.RepoWrite
      const save = (maxRecent: number) =>
        Effect.flatMap(foldLog(fs, target, { hash: true, tail: "leave" }), (lf) =>
          saveCheckpoint(fs, write, target, { fold: lf.fold, lines: lf.lines, hasher: lf.hasher! }, lf.signature!, { maxRecent }))
      yield* save(100)
      assert.deepStrictEqual(filters(), [], "twenty ids travel in the header")
      yield* write.append(scope, LOG, transitions.slice(20, 40).map((l) => l + "\n").join(""))
      yield* save(5)
      assert.strictEqual(filters().length, 1, "forty ids outgrow the header: a filter of all of them")
      // the first row again, later: the filter must know its id although it travelled in the header
      yield* write.append(scope, LOG, transitions[0].replace(/"at": "\d{4}/, "\"at\": \"9999") + "\n")
      const got = yield* foldLog(fs, target, { hash: false, tail: "fold" })
      const node = mem.nodes.get(LOG)
      const expected = readEventStream(node?._tag === "File" ? decoder.decode(node.bytes) : "")
      assert.strictEqual(snapshotBytes(snapshotOfFold(got.fold, target)), snapshotBytes(snapshotOf(Either.getOrThrow(expected), target.identity)))
      assert.strictEqual(got.source, "full-sorted", "the id was seen: the whole log is folded")
    })
    Effect.runSync(Effect.provide(program, layer))
  })
})

describe("a writer goes on from the checkpoint's saved block state", () => {
  it("reads only the log's last bytes (not its last block), and its block hashes equal a full re-hash, after an append too", () => {
    const mem = new MemoryFs({ [`${ROOT}/.git/`]: "", [`${DIR}/`]: "" })
    const BLOCK = 64 * 1024
    let text = ""
    const lines = sortLines(POOL)
    for (let i = 0; text.length < 3 * BLOCK + 40 * 1024; i++) text += lines[i % lines.length].replace(/"at": "(\d{4})/, `"at": "${3000 + Math.floor(i / lines.length)}`) + "\n"
    mem.putFile(LOG, text)
    let logBytesRead = 0
    const counted = Layer.effect(
      RepoFs.RepoFs,
      Effect.map(RepoFs.RepoFs, (r) =>
        RepoFs.RepoFs.of({
          ...r,
          readChunks: (p, options, onChunk) =>
            r.readChunks(p, options, (chunk) => {
              if (p === LOG) logBytesRead += chunk.length
              return onChunk(chunk)
            })
        }))
    ).pipe(Layer.provide(RepoFs.layerMemoryFs(mem)))
    const program = Effect.gen(function*() {
      const rfs = yield* RepoFs.RepoFs
      const write = yield* RepoWrite.RepoWrite
      const cold = yield* foldLog(rfs, target, { hash: true, tail: "leave", blockBytes: BLOCK })
      yield* saveCheckpoint(rfs, write, target, { fold: cold.fold, lines: cold.lines, hasher: cold.hasher! }, cold.signature!)
      logBytesRead = 0
      const writer = yield* foldLog(rfs, target, { hash: true, tail: "leave" })
      assert.strictEqual(writer.source, "checkpoint")
      assert.isAtMost(logBytesRead, 4096, "the last 4 KiB compared; the 40 KB of the last block are not read")
      const fresh = (bytes: Uint8Array) => {
        const h = new BlockHasher(BLOCK)
        h.update(bytes)
        return h.digests()
      }
      const encoder = new TextEncoder()
      assert.deepStrictEqual(writer.hasher!.digests(), fresh(encoder.encode(text)))
      // the appended bytes, into the resumed hash, across the block boundary: still what a full hash says
      const more = encoder.encode(lines.slice(0, 80).map((l) => l.replace(/"at": "(\d{4})/, `"at": "4000`) + "\n").join(""))
      assert.isAbove(text.length % BLOCK + more.length, BLOCK, "the append crosses a block boundary")
      writer.hasher!.update(more)
      assert.deepStrictEqual(writer.hasher!.digests(), fresh(encoder.encode(text + new TextDecoder().decode(more))))
    })
    Effect.runSync(Effect.provide(program, Layer.mergeAll(counted, RepoWrite.layerMemoryFs(mem))))
  })
})
