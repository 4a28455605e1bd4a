/** The watch port: the live layer sees a change deep in a tree and in one directory; the hub delivers by directory. */
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Stream } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as FileWatch from "../../../src/services/ports/FileWatch.js"
import { makeTemp, removeTemp } from "../../support/repo.js"

/** Runs `change` once the watch is established (repeating it until the first batch arrives), returns that batch. */
const firstBatch = (dir: string, recursive: boolean, change: () => void) =>
  Effect.scoped(
    Effect.gen(function*() {
      const watch = yield* FileWatch.FileWatch
      const fiber = yield* watch.watch(dir, { recursive }).pipe(Stream.take(1), Stream.runCollect, Effect.fork)
      // the subscription starts asynchronously; a change made before it is in place is missed, so repeat
      let batch: Chunk.Chunk<ReadonlyArray<string>> | null = null
      for (let i = 0; i < 100 && batch === null; i++) {
        change()
        yield* Effect.sleep(50)
        const poll = yield* Fiber.poll(fiber)
        if (poll._tag === "Some" && poll.value._tag === "Success") batch = poll.value.value
      }
      if (batch === null) batch = yield* Fiber.join(fiber)
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
    let n = 0
    return firstBatch(dir, false, () => fs.writeFileSync(path.join(dir, `e${n++}`), "")).pipe(
      Effect.map((batch) => assert.isTrue(batch.some((p) => p.startsWith(dir + "/e")))),
      Effect.ensuring(Effect.sync(() => removeTemp(dir))),
      Effect.provide(FileWatch.layer)
    )
  })

  it.live("watching a missing directory fails with a coded error", () =>
    Effect.gen(function*() {
      const watch = yield* FileWatch.FileWatch
      const e = yield* Effect.flip(watch.watch("/nonexistent/kittyctx-watch", { recursive: true }).pipe(Stream.runDrain))
      assert.strictEqual(e.code, "FILE_UNREADABLE")
    }).pipe(Effect.provide(FileWatch.layer)))
})

describe("FileWatch memory hub", () => {
  it.live("delivers a batch to the watches whose directory holds the paths", () =>
    Effect.gen(function*() {
      const { hub, layer } = yield* FileWatch.makeHub
      const got = yield* Effect.gen(function*() {
        const watch = yield* FileWatch.FileWatch
        const fiber = yield* watch.watch("/r/a", { recursive: true }).pipe(Stream.take(1), Stream.runCollect, Effect.fork)
        while (!hub.watched.has("/r/a")) yield* Effect.sleep(1)
        yield* hub.push(["/r/b/x"])
        yield* hub.push(["/r/a/deep/y", "/r/b/z"])
        return yield* Fiber.join(fiber)
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(Chunk.toReadonlyArray(got), [["/r/a/deep/y"]])
    }))
})
