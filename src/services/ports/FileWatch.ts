/**
 * File watching for kittyctx's background processes (docs/surfaces.md §7.4, §8.5): a stream of batches
 * of changed paths below a directory, once the subscription is in place. Recursive watches use `@parcel/watcher` (native inotify/FSEvents,
 * one watch per directory, no polling); a non-recursive watch of one directory uses `fs.watch`. When
 * watching cannot start (the native module is missing, the inotify limit is reached) the stream fails
 * at once with `FILE_UNREADABLE` and the caller falls back to its own stat check. Watching reads nothing and
 * writes nothing. The memory layer is a hub a test pushes changes into.
 */
import { Context, Effect, Layer, PubSub, Queue, Stream } from "effect"
import type { Scope } from "effect"
import { watch } from "node:fs"
import { createRequire } from "node:module"
import { dirnamePath, isWithin, joinPath, normalizePath } from "../../core/repo/Paths.js"
import { IoError, IoErrors } from "../../core/repo/RepoError.js"

/** How a directory is watched. */
export interface WatchOptions {
  /** Every directory below as well (default), or only the directory's own entries. */
  readonly recursive: boolean
}

/** The watch port. */
export class FileWatch extends Context.Tag("kittyctx/FileWatch")<FileWatch, {
  /**
   * Starts watching `dir` (fails at once when watching cannot start); the stream yields batches of
   * absolute paths that changed below it (created, modified, removed) until the scope closes.
   */
  readonly subscribe: (
    dir: string,
    options: WatchOptions
  ) => Effect.Effect<Stream.Stream<ReadonlyArray<string>, IoError>, IoError, Scope.Scope>
}>() {}

// ---------------------------------------------------------------------------------------------
// Live

type Parcel = typeof import("@parcel/watcher")

// loaded on first use with `require` (the CLI bundle runs as CommonJS, where a dynamic `import()` is unavailable);
// a missing native module then fails the subscription, and the caller falls back to its stat check
const loadNative = createRequire(import.meta.url)
let parcel: Parcel | null = null
const loadParcel = async (): Promise<Parcel> => (parcel ??= loadNative("@parcel/watcher") as Parcel)

const errnoOf = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? ((e as Error).message ?? "EIO")

type Item = ReadonlyArray<string> | IoError

const streamOf = (queue: Queue.Queue<Item>): Stream.Stream<ReadonlyArray<string>, IoError> =>
  Stream.fromQueue(queue).pipe(Stream.mapEffect((item) => (item instanceof IoError ? Effect.fail(item) : Effect.succeed(item))))

const recursiveWatch = (dir: string) =>
  Effect.gen(function*() {
    const queue = yield* Effect.acquireRelease(Queue.unbounded<Item>(), Queue.shutdown)
    yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const watcher = await loadParcel()
          return watcher.subscribe(dir, (err, events) => {
            if (err !== null) Queue.unsafeOffer(queue, IoErrors.unreadable(dir, errnoOf(err)))
            else if (events.length > 0) Queue.unsafeOffer(queue, events.map((e) => e.path))
          })
        },
        catch: (e) => IoErrors.unreadable(dir, errnoOf(e))
      }),
      (subscription) => Effect.promise(() => subscription.unsubscribe().catch(() => undefined))
    )
    return streamOf(queue)
  })

const directoryWatch = (dir: string) =>
  Effect.gen(function*() {
    const queue = yield* Effect.acquireRelease(Queue.unbounded<Item>(), Queue.shutdown)
    yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          const watcher = watch(dir, { persistent: false }, (_event, name) => {
            Queue.unsafeOffer(queue, [name === null ? dir : joinPath(dir, name.toString())])
          })
          watcher.on("error", (e) => Queue.unsafeOffer(queue, IoErrors.unreadable(dir, errnoOf(e))))
          return watcher
        },
        catch: (e) => IoErrors.unreadable(dir, errnoOf(e))
      }),
      (watcher) => Effect.sync(() => watcher.close())
    )
    return streamOf(queue)
  })

/** The live layer: `@parcel/watcher` for trees, `fs.watch` for one directory. */
export const layer: Layer.Layer<FileWatch> = Layer.succeed(
  FileWatch,
  FileWatch.of({
    subscribe: (dir, options) => (options.recursive ? recursiveWatch(dir) : directoryWatch(dir))
  })
)

// ---------------------------------------------------------------------------------------------
// Memory

/** A hub of fake changes: `push` delivers a batch to every watch whose directory holds the paths. */
export interface WatchHub {
  readonly push: (paths: ReadonlyArray<string>) => Effect.Effect<void>
  /** Directories watched now (for assertions). */
  readonly watched: Set<string>
  /** When false, every subscription fails at once (watching unavailable). */
  available: boolean
}

/** A hub and the `FileWatch` layer over it. */
export const makeHub = Effect.gen(function*() {
  const pubsub = yield* PubSub.unbounded<ReadonlyArray<string>>()
  const watched = new Set<string>()
  const hub: WatchHub = {
    push: (paths) => Effect.asVoid(PubSub.publish(pubsub, paths.map(normalizePath))),
    watched,
    available: true
  }
  const layerOf = Layer.succeed(
    FileWatch,
    FileWatch.of({
      subscribe: (dir, options) =>
        Effect.gen(function*() {
          if (!hub.available) return yield* Effect.fail(IoErrors.unreadable(dir, "ENOSPC"))
          const root = normalizePath(dir)
          yield* Effect.acquireRelease(Effect.sync(() => watched.add(root)), () => Effect.sync(() => watched.delete(root)))
          const sub = yield* PubSub.subscribe(pubsub)
          return Stream.fromQueue(sub).pipe(
            Stream.map((batch) =>
              batch.filter((p) => (options.recursive ? isWithin(root, p) && p !== root : dirnamePath(p) === root))
            ),
            Stream.filter((batch) => batch.length > 0)
          )
        })
    })
  )
  return { hub, layer: layerOf }
})
