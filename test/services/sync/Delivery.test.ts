/**
 * The delivery round in process (docs/surfaces.md §8.5), over the live read ports and a memory sink:
 * read-only by construction (no writer of a repository in any sync program's requirements, checked by the
 * type checker), and a log handled completely is not read again until it changes.
 */
import { assert, describe, it } from "@effect/vitest"
import * as NodeCommandExecutor from "@effect/platform-node/NodeCommandExecutor"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as FileLock from "../../../src/services/ports/FileLock.js"
import * as Git from "../../../src/services/ports/Git.js"
import type { Git as GitWriter } from "../../../src/services/ports/Git.js"
import * as HttpSink from "../../../src/services/ports/HttpSink.js"
import * as Processes from "../../../src/services/ports/Processes.js"
import * as RepoFs from "../../../src/services/ports/RepoFs.js"
import * as RepoWrite from "../../../src/services/ports/RepoWrite.js"
import type { RepoWrite as RepoWriter } from "../../../src/services/ports/RepoWrite.js"
import * as Settings from "../../../src/services/ports/Settings.js"
import type { MissionStatus } from "../../../src/services/status/MissionStatus.js"
import * as StatusReader from "../../../src/services/status/StatusReader.js"
import type { runDaemon } from "../../../src/services/sync/Daemon.js"
import { deliverRound } from "../../../src/services/sync/Delivery.js"
import * as RuntimeFiles from "../../../src/services/sync/RuntimeFiles.js"
import { configure, register } from "../../../src/services/sync/SyncSetup.js"
import type { syncStatus } from "../../../src/services/sync/SyncStatus.js"
import { commitAll, makeRepo, makeTemp, missionFiles, removeTemp, writeFiles } from "../../support/repo.js"

// Read-only by construction: a repository writer in a sync program's requirements is a type error here.
type Writers = RepoWriter | GitWriter | MissionStatus
type NoWriter<R> = [Extract<R, Writers>] extends [never] ? true : false
const pushIsReadOnly: NoWriter<Effect.Effect.Context<ReturnType<typeof deliverRound>>> = true
const statusIsReadOnly: NoWriter<Effect.Effect.Context<typeof syncStatus>> = true
const daemonIsReadOnly: NoWriter<Effect.Effect.Context<ReturnType<typeof runDaemon>>> = true
// the check itself can fail: a program that requires the write port is not read-only
const writerIsCaught: NoWriter<RepoWriter | RepoFs.RepoFs> = false

const platform = NodeCommandExecutor.layer.pipe(Layer.provide(NodeFileSystem.layer))

describe("deliverRound (in process)", () => {
  it("the type-level read-only checks hold (and the check can fail)", () => {
    assert.deepStrictEqual([pushIsReadOnly, statusIsReadOnly, daemonIsReadOnly, writerIsCaught], [true, true, true, false])
  })

  it.live("a log handled completely is not read again until it changes", () =>
    Effect.gen(function*() {
      const base = makeTemp()
      const root = makeRepo(path.join(base, "repo"))
      const slug = "count-mission-01JZCNT0"
      writeFiles(root, missionFiles(slug, "01JZCNT0000000000000000000", ["WP01", "WP02", "WP03"]))
      commitAll(root, "mission")
      const reads = { bytes: 0 }
      const received: Array<string> = []
      const counting = Layer.effect(
        StatusReader.StatusReader,
        Effect.map(StatusReader.StatusReader, (r) =>
          StatusReader.StatusReader.of({
            ...r,
            logChunks: (t, o, visit) => Effect.zipRight(Effect.sync(() => reads.bytes++), r.logChunks(t, o, visit))
          }))
      ).pipe(Layer.provide(StatusReader.layer))
      const ports = Layer.mergeAll(
        RepoFs.layer,
        Git.readerLayer.pipe(Layer.provide(platform)),
        Processes.layer,
        Settings.layerFixed({ KITTYCTX_HOME: path.join(base, "runtime"), HOME: base }),
        HttpSink.layerMemory((request) => {
          for (const e of JSON.parse(request.body) as Array<{ id: string }>) received.push(e.id)
          return { _tag: "Response", status: 200, retryAfter: null, body: "" }
        })
      )
      const writes = RepoWrite.layer.pipe(Layer.provideMerge(ports))
      const locks = FileLock.layer.pipe(Layer.provideMerge(writes))
      const all = Layer.mergeAll(RuntimeFiles.layer, counting).pipe(Layer.provideMerge(locks), Layer.provideMerge(RepoFs.layer))
      const program = Effect.gen(function*() {
        yield* configure({ sink: "http://127.0.0.1:9/memory" })
        yield* register(root, undefined)
        const first = yield* deliverRound()
        assert.strictEqual(first.delivered, 3)
        const afterFirst = reads.bytes
        assert.isAbove(afterFirst, 0)
        const second = yield* deliverRound()
        assert.strictEqual(second.delivered, 0)
        assert.strictEqual(reads.bytes, afterFirst, "the unchanged log was not read")
        fs.appendFileSync(
          path.join(root, "kitty-specs", slug, "status.events.jsonl"),
          fs.readFileSync(path.join(root, "kitty-specs", slug, "status.events.jsonl"), "utf8").split("\n")[0].replace(/0000"/, "0009\"") + "\n"
        )
        const third = yield* deliverRound()
        assert.strictEqual(third.delivered, 1)
        assert.isAbove(reads.bytes, afterFirst)
        assert.strictEqual(received.length, 4)
      })
      yield* Effect.ensuring(Effect.provide(program, all), Effect.sync(() => removeTemp(base)))
    }))
})
