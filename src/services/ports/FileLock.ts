/**
 * The one lock primitive: an exclusive kernel `flock(2)` on a lock file, taken without blocking and
 * retried every 50 ms until the one lock timeout (`Settings.lockTimeoutMs`, measured on the Effect
 * `Clock`). The kernel releases it when the holder dies, and it is the same lock spec-kitty's `filelock`
 * takes on the same path, so the two programs exclude each other. Re-entrant within one fiber's logical
 * operation. Lock files live in the repository's git dir: the directory is created through the write
 * port (so it must resolve inside the scope) and the file is opened without following links.
 */
import { Clock, Context, Data, Effect, FiberRef, Layer } from "effect"
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs"
import { createRequire } from "node:module"
import type { ConfigError } from "../../core/config/ConfigError.js"
import { dirnamePath } from "../../core/repo/Paths.js"
import { errnoOf, IoError, IoErrors } from "../../core/repo/RepoError.js"
import { RepoWrite } from "./RepoWrite.js"
import type { WriteScope } from "./RepoWrite.js"
import { Settings } from "./Settings.js"
import { formatIsoUtcMillis } from "../../core/status/Ulid.js"

// node:os is loaded by the first lock taken, not by every command that loads this module
let os: typeof import("node:os") | undefined
const hostname = (): string => (os ??= createRequire(import.meta.url)("node:os") as typeof import("node:os")).hostname()

interface FsExt {
  readonly flockSync: (fd: number, flags: "exnb" | "un") => void
}

/** The lock was not acquired within the wait. */
export class LockTimeout extends Data.TaggedError("LockTimeout")<{
  readonly path: string
  readonly timeoutMs: number
  /** What the holder wrote into the lock file (`{pid, hostname, acquired_at}`), if readable. */
  readonly holder: unknown
}> {}

/** A lock: its file (composed by `Naming.lockPathOf`) and the scope that file must stay in. */
export interface LockSpec {
  readonly path: string
  readonly scope: WriteScope
}

/**
 * Turns a lock that stays taken into the caller's own error: each surface names its lock in its own words
 * (`STATUS_LOCK_TIMEOUT`, `MERGE_LOCKED`, ...), with the lock file, the wait and the holder.
 */
export const lockTimeoutAs = <E2>(onTimeout: (timeout: LockTimeout) => E2) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, Exclude<E, LockTimeout> | E2, R> =>
  Effect.catchIf(
    effect,
    (e): e is Extract<E, LockTimeout> => e instanceof LockTimeout,
    (e) => Effect.fail(onTimeout(e))
  ) as Effect.Effect<A, Exclude<E, LockTimeout> | E2, R>

/** Everything taking a lock can fail with. */
export type LockError = LockTimeout | IoError | ConfigError

/** The lock port. */
export class FileLock extends Context.Tag("kittyctx/FileLock")<FileLock, {
  /** Runs `effect` holding the exclusive lock; a nested call on the same path runs directly. */
  readonly withExclusive: (lock: LockSpec) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | LockError, R>
}>() {}

const held = FiberRef.unsafeMake<ReadonlySet<string>>(new Set())

/** How often a contended lock is retried. */
export const RETRY_MS = 50

const reentrant = <A, E, R, E2, R2>(
  path: string,
  effect: Effect.Effect<A, E, R>,
  locked: (inner: Effect.Effect<A, E, R>) => Effect.Effect<A, E | E2, R | R2>
): Effect.Effect<A, E | E2, R | R2> =>
  Effect.flatMap(FiberRef.get(held), (current) =>
    current.has(path) ? effect : locked(Effect.locally(effect, held, new Set([...current, path]))))

// ---------------------------------------------------------------------------------------------
// Live

const tryLock = (fsExt: FsExt, fd: number): boolean => {
  try {
    fsExt.flockSync(fd, "exnb")
    return true
  } catch (e) {
    const code = errnoOf(e)
    if (code === "EAGAIN" || code === "EWOULDBLOCK") return false
    throw e
  }
}

const readHolder = (path: string): unknown => {
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    try {
      const text = readFileSync(fd, "utf8").slice(0, 4096)
      try {
        return JSON.parse(text)
      } catch {
        return text === "" ? null : text
      }
    } finally {
      closeSync(fd)
    }
  } catch {
    return null
  }
}

const openLockFile = (path: string): Effect.Effect<number, IoError> =>
  Effect.try({
    try: () => {
      const fd = openSync(
        path,
        constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
        0o644
      )
      if (!fstatSync(fd).isFile()) {
        closeSync(fd)
        throw IoErrors.notRegular(path, "non-regular file")
      }
      return fd
    },
    catch: (e) => {
      if (e instanceof IoError) return e
      const errno = errnoOf(e)
      return errno === "ELOOP" ? IoErrors.symlinkRefused(path) : IoErrors.writeFailed(path, errno, "lock")
    }
  })

/** The live service: kernel flock through the fs-ext binding. */
export const make = Effect.gen(function*() {
  const write = yield* RepoWrite
  const settings = yield* Settings
  const fsExt: FsExt = createRequire(import.meta.url)("fs-ext")

  const acquire = (lock: LockSpec, timeoutMs: number) =>
    Effect.gen(function*() {
      yield* write.makeDirectory(lock.scope, dirnamePath(lock.path))
      const fd = yield* openLockFile(lock.path)
      const start = yield* Clock.currentTimeMillis
      while (true) {
        const got = yield* Effect.try({
          try: () => tryLock(fsExt, fd),
          catch: (e) => IoErrors.writeFailed(lock.path, errnoOf(e), "lock")
        }).pipe(Effect.tapError(() => Effect.sync(() => closeSync(fd))))
        if (got) {
          const now = yield* Clock.currentTimeMillis
          yield* Effect.sync(() => {
            try {
              ftruncateSync(fd, 0)
              writeSync(fd, JSON.stringify({ pid: process.pid, hostname: hostname(), acquired_at: formatIsoUtcMillis(now) }), 0)
            } catch {
              // the holder record is diagnostics only
            }
          })
          return fd
        }
        if ((yield* Clock.currentTimeMillis) - start >= timeoutMs) {
          const holder = readHolder(lock.path)
          closeSync(fd)
          return yield* new LockTimeout({ path: lock.path, timeoutMs, holder })
        }
        yield* Effect.sleep(RETRY_MS)
      }
    })

  const release = (fd: number) =>
    Effect.sync(() => {
      try {
        fsExt.flockSync(fd, "un")
      } finally {
        closeSync(fd)
      }
    })

  return FileLock.of({
    withExclusive: (lock) => (effect) =>
      reentrant(lock.path, effect, (inner) =>
        Effect.flatMap(settings.lockTimeoutMs, (timeoutMs) =>
          // the wait itself may be interrupted (a cancelled command stops waiting at once)
          Effect.acquireUseRelease(Effect.interruptible(acquire(lock, timeoutMs)), () => inner, release)))
  })
})

/** Its layer. */
export const layer: Layer.Layer<FileLock, never, RepoWrite | Settings> = Layer.effect(FileLock, make)

// ---------------------------------------------------------------------------------------------
// Memory

/** An in-process lock table: the same waiting and re-entrancy rules, for the memory layers. */
export const layerMemory: Layer.Layer<FileLock, never, Settings> = Layer.effect(
  FileLock,
  Effect.gen(function*() {
    const settings = yield* Settings
    const semaphores = new Map<string, Effect.Semaphore>()
    const semaphoreOf = (path: string) => {
      let s = semaphores.get(path)
      if (s === undefined) {
        s = Effect.unsafeMakeSemaphore(1)
        semaphores.set(path, s)
      }
      return s
    }
    return FileLock.of({
      withExclusive: (lock) => (effect) =>
        reentrant(lock.path, effect, (inner) =>
          Effect.flatMap(settings.lockTimeoutMs, (timeoutMs) => {
            const sem = semaphoreOf(lock.path)
            const take = sem.take(1).pipe(
              Effect.timeoutFail({
                duration: timeoutMs,
                onTimeout: () => new LockTimeout({ path: lock.path, timeoutMs, holder: null })
              })
            )
            return Effect.acquireUseRelease(Effect.interruptible(take), () => inner, () => sem.release(1))
          }))
    })
  })
)
