/**
 * File watching for kittyctx's background processes (docs/surfaces.md §7.4, §8.5): a stream of batches
 * of changed paths below a directory. Recursive watches use `@parcel/watcher` (native inotify/FSEvents,
 * one watch per directory, no polling); a non-recursive watch of one directory uses `fs.watch`. When
 * watching cannot start (the native module is missing, the inotify limit is reached) the stream fails
 * with `FILE_UNREADABLE` and the caller falls back to its own stat check. Watching reads nothing and
 * writes nothing. The memory layer is a hub a test pushes changes into.
 */
import { Context, Effect, Layer, PubSub, Stream } from "effect"
import * as nodeFs from "node:fs"
import { isWithin, joinPath, normalizePath } from "../../core/repo/Paths.js"
import { IoErrors } from "../../core/repo/RepoError.js"
import type { IoError } from "../../core/repo/RepoError.js"

/** How a directory is watched. */
export interface WatchOptions {
  /** Every directory below as well (default), or only the directory's own entries. */
  readonly recursive: boolean
}

/** The watch port. */
export class FileWatch extends Context.Tag("kittyctx/FileWatch")<FileWatch, {
  /** Batches of absolute paths that changed below `dir` (created, modified, removed). */
  readonly watch: (dir: string, options: WatchOptions) => Stream.Stream<ReadonlyArray<string>, IoError>
}>() {}

// ---------------------------------------------------------------------------------------------
// Live

type Parcel = typeof import("@parcel/watcher")

let parcel: Promise<Parcel> | null = null
const loadParcel = (): Promise<Parcel> => (parcel ??= import("@parcel/watcher"))

const errnoOf = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? ((e as Error).message ?? "EIO")

const recursiveWatch = (dir: string): Stream.Stream<ReadonlyArray<string>, IoError> =>
  Stream.asyncScoped<ReadonlyArray<string>, IoError>((emit) =>
    Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const watcher = await loadParcel()
          return watcher.subscribe(dir, (err, events) => {
            if (err !== null) void emit.fail(IoErrors.unreadable(dir, errnoOf(err)))
            else if (events.length > 0) void emit.single(events.map((e) => e.path))
          })
        },
        catch: (e) => IoErrors.unreadable(dir, errnoOf(e))
      }),
      (subscription) => Effect.promise(() => subscription.unsubscribe().catch(() => undefined))
    )
  )

const directoryWatch = (dir: string): Stream.Stream<ReadonlyArray<string>, IoError> =>
  Stream.asyncScoped<ReadonlyArray<string>, IoError>((emit) =>
    Effect.acquireRelease(
      Effect.try({
        try: () => {
          const watcher = nodeFs.watch(dir, { persistent: false }, (_event, name) => {
            void emit.single([name === null ? dir : joinPath(dir, name.toString())])
          })
          watcher.on("error", (e) => void emit.fail(IoErrors.unreadable(dir, errnoOf(e))))
          return watcher
        },
        catch: (e) => IoErrors.unreadable(dir, errnoOf(e))
      }),
      (watcher) => Effect.sync(() => watcher.close())
    )
  )

/** The live layer: `@parcel/watcher` for trees, `fs.watch` for one directory. */
export const layer: Layer.Layer<FileWatch> = Layer.succeed(
  FileWatch,
  FileWatch.of({
    watch: (dir, options) => (options.recursive ? recursiveWatch(dir) : directoryWatch(dir))
  })
)

// ---------------------------------------------------------------------------------------------
// Memory

/** A hub of fake changes: `push` delivers a batch to every watch whose directory holds the paths. */
export interface WatchHub {
  readonly push: (paths: ReadonlyArray<string>) => Effect.Effect<void>
  /** Directories watched now (for assertions). */
  readonly watched: Set<string>
  /** When false, every watch fails at once (watching unavailable). */
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
      watch: (dir, options) =>
        Stream.unwrapScoped(
          Effect.gen(function*() {
            if (!hub.available) return Stream.fail(IoErrors.unreadable(dir, "ENOSPC"))
            const root = normalizePath(dir)
            yield* Effect.acquireRelease(Effect.sync(() => watched.add(root)), () => Effect.sync(() => watched.delete(root)))
            const sub = yield* PubSub.subscribe(pubsub)
            return Stream.fromQueue(sub).pipe(
              Stream.map((batch) =>
                batch.filter((p) =>
                  options.recursive ? isWithin(root, p) && p !== root : p.slice(0, p.lastIndexOf("/")) === root
                )
              ),
              Stream.filter((batch) => batch.length > 0)
            )
          })
        )
    })
  )
  return { hub, layer: layerOf }
})
