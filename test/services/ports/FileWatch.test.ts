/** The watch port: the live layer sees a change deep in a tree and in one directory; the hub delivers by directory. */
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as FileWatch from "../../../src/services/ports/FileWatch.js"
import { makeTemp, removeTemp } from "../../support/repo.js"

/** Subscribes, makes one change once the subscription is in place, returns the first batch. */
const firstBatch = (dir: string, recursive: boolean, change: () => void) =>
  Effect.scoped(
    Effect.gen(function*() {
      const watch = yield* FileWatch.FileWatch
      const stream = yield* watch.subscribe(dir, { recursive })
      change()
      const batch = yield* stream.pipe(Stream.take(1), Stream.runCollect)
      return Chunk.toReadonlyArray(batch)[0]
    })
  )

describe("FileWatch live layer", () => {
  it.live("a recursive watch reports an append deep in the tree", () => {
    const dir = makeTemp("kittyctx-watch-")
    fs.mkdirSync(path.join(dir, "a", "b"), { recursive: true })
    const file = path.join(dir, "a", "b", "log.jsonl")
    fs.writeFileSync(file, "")
    return firstBatch(dir, true, () => fs.appendFileSync(file, "x\n")).pipe(
      Effect.map((batch) => assert.include(batch, file)),
      Effect.ensuring(Effect.sync(() => removeTemp(dir))),
      Effect.provide(FileWatch.layer)
    )
  })

  it.live("a directory watch reports a new entry", () => {
    const dir = makeTemp("kittyctx-watch-")
    return firstBatch(dir, false, () => fs.writeFileSync(path.join(dir, "e0"), "")).pipe(
      Effect.map((batch) => assert.isTrue(batch.some((p) => p.startsWith(dir + "/e")))),
      Effect.ensuring(Effect.sync(() => removeTemp(dir))),
      Effect.provide(FileWatch.layer)
    )
  })

  it.live("watching a missing directory fails with a coded error", () =>
    Effect.gen(function*() {
      const watch = yield* FileWatch.FileWatch
      const e = yield* Effect.flip(Effect.scoped(watch.subscribe("/nonexistent/kittyctx-watch", { recursive: true })))
      assert.strictEqual(e.code, "FILE_UNREADABLE")
    }).pipe(Effect.provide(FileWatch.layer)))
})

describe("FileWatch memory hub", () => {
  it.live("delivers a batch to the watches whose directory holds the paths", () =>
    Effect.gen(function*() {
      const { hub, layer } = yield* FileWatch.makeHub
      const got = yield* Effect.gen(function*() {
        const watch = yield* FileWatch.FileWatch
        const stream = yield* watch.subscribe("/r/a", { recursive: true })
        assert.isTrue(hub.watched.has("/r/a"))
        yield* hub.push(["/r/b/x"])
        yield* hub.push(["/r/a/deep/y", "/r/b/z"])
        return yield* stream.pipe(Stream.take(1), Stream.runCollect)
      }).pipe(Effect.scoped, Effect.provide(layer))
      assert.deepStrictEqual(Chunk.toReadonlyArray(got), [["/r/a/deep/y"]])
    }))
})
