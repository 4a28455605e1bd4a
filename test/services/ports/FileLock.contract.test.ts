/**
 * The contract of the lock port, run against the kernel-flock layer and the in-process memory layer:
 * mutual exclusion, re-entrancy within one fiber, and a bounded wait that ends in `LockTimeout` naming
 * the lock. The live layer's own guarantees (its files stay inside the scope and are never links) follow.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Either, Fiber, Layer } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as FileLock from "../../../src/services/ports/FileLock.js"
import * as Processes from "../../../src/services/ports/Processes.js"
import * as RepoWrite from "../../../src/services/ports/RepoWrite.js"
import * as Settings from "../../../src/services/ports/Settings.js"
import { makeTemp, removeTemp } from "../../support/repo.js"

/** Registers the lock contract for one implementation (`make` gets the timeout to configure). */
export const fileLockContract = (name: string, make: (timeoutMs: number) => Layer.Layer<FileLock.FileLock>) =>
  describe(`FileLock contract: ${name}`, () => {
    const base = makeTemp("kittyctx-lock-")
    const lock: FileLock.LockSpec = { path: path.join(base, "locks", "m.lock"), scope: { roots: [base] } }

    it.live("excludes: a second holder waits until the first releases", () =>
      Effect.gen(function*() {
        const locks = yield* FileLock.FileLock
        const order: Array<string> = []
        const held = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const first = yield* Effect.fork(
          locks.withExclusive(lock)(
            Effect.gen(function*() {
              order.push("first in")
              yield* Deferred.succeed(held, undefined)
              yield* Deferred.await(release)
              order.push("first out")
            })
          )
        )
        yield* Deferred.await(held)
        const second = yield* Effect.fork(locks.withExclusive(lock)(Effect.sync(() => order.push("second in"))))
        yield* Effect.sleep(150)
        assert.deepStrictEqual(order, ["first in"], "the second holder must still be waiting")
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(first)
        yield* Fiber.join(second)
        assert.deepStrictEqual(order, ["first in", "first out", "second in"])
      }).pipe(Effect.provide(make(5_000))))

    it.live("re-entrant within one fiber's operation", () =>
      Effect.gen(function*() {
        const locks = yield* FileLock.FileLock
        const n = yield* locks.withExclusive(lock)(locks.withExclusive(lock)(Effect.succeed(42)))
        assert.strictEqual(n, 42)
      }).pipe(Effect.provide(make(1_000))))

    it.live("a bounded wait ends in LockTimeout naming the lock", () =>
      Effect.gen(function*() {
        const locks = yield* FileLock.FileLock
        const held = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const holder = yield* Effect.fork(
          locks.withExclusive(lock)(Effect.zipRight(Deferred.succeed(held, undefined), Deferred.await(release)))
        )
        yield* Deferred.await(held)
        const waited = yield* Effect.either(locks.withExclusive(lock)(Effect.void))
        assert.isTrue(Either.isLeft(waited))
        if (Either.isLeft(waited)) {
          assert.instanceOf(waited.left, FileLock.LockTimeout)
          assert.deepInclude(waited.left, { path: lock.path, timeoutMs: 200 })
        }
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(holder)
        assert.strictEqual(yield* locks.withExclusive(lock)(Effect.succeed("free again")), "free again")
      }).pipe(Effect.provide(make(200))))

    it("cleanup", () => removeTemp(base))
  })

const live = (timeoutMs: number) =>
  FileLock.layer.pipe(
    Layer.provide(RepoWrite.layer.pipe(Layer.provide(Processes.layer))),
    Layer.provide(Settings.layerFixed({ KITTYCTX_LOCK_TIMEOUT_MS: String(timeoutMs) }))
  )

fileLockContract("live (kernel flock)", live)
fileLockContract("memory", (timeoutMs) =>
  FileLock.layerMemory.pipe(Layer.provide(Settings.layerFixed({ KITTYCTX_LOCK_TIMEOUT_MS: String(timeoutMs) }))))

describe("FileLock live: the lock file stays in the repository", () => {
  it.live("a lock dir that is a link to outside the scope is refused; nothing is created there", () =>
    Effect.gen(function*() {
      const base = makeTemp("kittyctx-lock-")
      const outside = makeTemp("kittyctx-outside-")
      fs.symlinkSync(outside, path.join(base, "locks"))
      const locks = yield* FileLock.FileLock
      const e = yield* Effect.either(
        locks.withExclusive({ path: path.join(base, "locks", "m.lock"), scope: { roots: [base] } })(Effect.void)
      )
      assert.isTrue(Either.isLeft(e) && "code" in e.left && e.left.code === "PATH_OUTSIDE_REPOSITORY", JSON.stringify(e))
      assert.deepStrictEqual(fs.readdirSync(outside), [])
      removeTemp(base)
      removeTemp(outside)
    }).pipe(Effect.provide(live(1_000))))

  it.live("a lock file that is a symbolic link is refused and its target left untouched", () =>
    Effect.gen(function*() {
      const base = makeTemp("kittyctx-lock-")
      fs.mkdirSync(path.join(base, "locks"))
      fs.writeFileSync(path.join(base, "victim"), "precious\n")
      fs.symlinkSync(path.join(base, "victim"), path.join(base, "locks", "m.lock"))
      const locks = yield* FileLock.FileLock
      const e = yield* Effect.either(
        locks.withExclusive({ path: path.join(base, "locks", "m.lock"), scope: { roots: [base] } })(Effect.void)
      )
      assert.isTrue(Either.isLeft(e) && "code" in e.left && e.left.code === "SYMLINK_REFUSED", JSON.stringify(e))
      assert.strictEqual(fs.readFileSync(path.join(base, "victim"), "utf8"), "precious\n")
      removeTemp(base)
    }).pipe(Effect.provide(live(1_000))))

  it.live("an invalid timeout setting is CONFIG_INVALID, never a silent default", () =>
    Effect.gen(function*() {
      const base = makeTemp("kittyctx-lock-")
      for (const raw of ["abc", "1e99", "-5", "99999999999"]) {
        const e = yield* Effect.either(
          Effect.flatMap(FileLock.FileLock, (l) => l.withExclusive({ path: path.join(base, "m.lock"), scope: { roots: [base] } })(Effect.void))
            .pipe(
              Effect.provide(FileLock.layer.pipe(
                Layer.provide(RepoWrite.layer.pipe(Layer.provide(Processes.layer))),
                Layer.provide(Settings.layerFixed({ KITTYCTX_LOCK_TIMEOUT_MS: raw }))
              ))
            )
        )
        assert.isTrue(Either.isLeft(e) && "code" in e.left && e.left.code === "CONFIG_INVALID", raw)
      }
      removeTemp(base)
    }))
})
