/**
 * The one lock primitive: an exclusive kernel `flock(2)` on a lock file, taken without blocking and
 * retried every 50 ms up to a bounded wait. The kernel releases it when the holder dies, and it is the
 * same lock spec-kitty's `filelock` takes on the same path, so the two programs exclude each other.
 * Re-entrant within one fiber's logical operation.
 */
import { Context, Data, Effect, FiberRef, Layer } from "effect"
import * as nodeFs from "node:fs"
import { createRequire } from "node:module"
import { hostname } from "node:os"
import { dirname } from "node:path"

interface FsExt {
  readonly flockSync: (fd: number, flags: "exnb" | "un") => void
}

const require = createRequire(import.meta.url)
const fsExt: FsExt = require("fs-ext")

/** The lock was not acquired within the wait. */
export class LockTimeout extends Data.TaggedError("LockTimeout")<{
  readonly path: string
  readonly timeoutMs: number
  /** What the holder wrote into the lock file (`{pid, hostname, acquired_at}`), if readable. */
  readonly holder: unknown
}> {}

/** The lock file could not be opened (permissions, missing parent). */
export class LockUnavailable extends Data.TaggedError("LockUnavailable")<{
  readonly path: string
  readonly reason: string
}> {}

/** The lock port. */
export class FileLock extends Context.Tag("kittyctx/FileLock")<FileLock, {
  /** Runs `effect` holding the exclusive lock on `path`; a nested call on the same path runs directly. */
  readonly withExclusive: (
    path: string,
    timeoutMs: number
  ) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | LockTimeout | LockUnavailable, R>
}>() {}

const held = FiberRef.unsafeMake<ReadonlySet<string>>(new Set())

const RETRY_MS = 50

const tryLock = (fd: number): boolean => {
  try {
    fsExt.flockSync(fd, "exnb")
    return true
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === "EAGAIN" || code === "EWOULDBLOCK") return false
    throw e
  }
}

const recordHolder = (fd: number) => {
  try {
    nodeFs.ftruncateSync(fd, 0)
    nodeFs.writeSync(fd, JSON.stringify({ pid: process.pid, hostname: hostname(), acquired_at: new Date().toISOString() }), 0)
  } catch {
    // the holder record is diagnostics only
  }
}

const readHolder = (path: string): unknown => {
  try {
    const text = nodeFs.readFileSync(path, "utf8")
    try {
      return JSON.parse(text)
    } catch {
      return text === "" ? null : text
    }
  } catch {
    return null
  }
}

const acquire = (path: string, timeoutMs: number) =>
  Effect.gen(function*() {
    const fd = yield* Effect.try({
      try: () => {
        nodeFs.mkdirSync(dirname(path), { recursive: true })
        return nodeFs.openSync(path, nodeFs.constants.O_RDWR | nodeFs.constants.O_CREAT, 0o644)
      },
      catch: (e) => new LockUnavailable({ path, reason: (e as Error).message })
    })
    const deadline = Date.now() + timeoutMs
    while (true) {
      const got = yield* Effect.try({
        try: () => tryLock(fd),
        catch: (e) => new LockUnavailable({ path, reason: (e as Error).message })
      }).pipe(Effect.tapError(() => Effect.sync(() => nodeFs.closeSync(fd))))
      if (got) {
        recordHolder(fd)
        return fd
      }
      if (Date.now() >= deadline) {
        const holder = readHolder(path)
        nodeFs.closeSync(fd)
        return yield* new LockTimeout({ path, timeoutMs, holder })
      }
      yield* Effect.sleep(RETRY_MS)
    }
  })

const release = (fd: number) =>
  Effect.sync(() => {
    try {
      fsExt.flockSync(fd, "un")
    } finally {
      nodeFs.closeSync(fd)
    }
  })

/** The live layer: kernel flock through the fs-ext binding. */
export const layer: Layer.Layer<FileLock> = Layer.succeed(
  FileLock,
  FileLock.of({
    withExclusive: (path, timeoutMs) => (effect) =>
      Effect.gen(function*() {
        const current = yield* FiberRef.get(held)
        if (current.has(path)) return yield* effect
        return yield* Effect.acquireUseRelease(
          acquire(path, timeoutMs),
          () => Effect.locally(effect, held, new Set([...current, path])),
          release
        )
      })
  })
)
