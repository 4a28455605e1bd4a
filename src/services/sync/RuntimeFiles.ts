/**
 * The runtime root as forwarding's only writable place (docs/surfaces.md §8.1): the canonical runtime
 * root (`$KITTYCTX_HOME`, else `~/.kittyctx`) and a writer whose write scope has that root and nothing
 * else. A sync program requires this instead of `RepoWrite`, so it cannot write into a repository: a
 * path outside the runtime root is refused by the write port's containment (`PATH_OUTSIDE_REPOSITORY`).
 */
import { Context, Effect, Layer } from "effect"
import type { ConfigError } from "../../core/config/ConfigError.js"
import { basenamePath, dirnamePath, joinPath } from "../../core/repo/Paths.js"
import type { IoError } from "../../core/repo/RepoError.js"
import { RepoFs } from "../ports/RepoFs.js"
import { RepoWrite } from "../ports/RepoWrite.js"
import type { WriteScope } from "../ports/RepoWrite.js"
import { Settings } from "../ports/Settings.js"

/** The runtime root, canonical, and the write scope confined to it. */
export interface Runtime {
  readonly root: string
  readonly scope: WriteScope
}

/** The runtime-root writer. */
export class RuntimeFiles extends Context.Tag("kittyctx/RuntimeFiles")<RuntimeFiles, {
  /** The canonical runtime root (resolved when asked: a malformed setting fails only what needs it). */
  readonly runtime: Effect.Effect<Runtime, ConfigError | IoError>
  /** Atomically replaces a file under the runtime root, creating its directory. */
  readonly write: (path: string, data: string | Uint8Array, mode?: number) => Effect.Effect<void, ConfigError | IoError>
  /** Appends to a file under the runtime root (one write, fsynced; created with its directory); returns the size before. */
  readonly append: (path: string, data: string) => Effect.Effect<number, ConfigError | IoError>
  /** Cuts a file under the runtime root back to `size` bytes (an interrupted append's leftovers). */
  readonly truncate: (path: string, size: number) => Effect.Effect<void, ConfigError | IoError>
  /** Removes a file under the runtime root (absent is fine). */
  readonly remove: (path: string) => Effect.Effect<void, ConfigError | IoError>
  /** Creates a directory under the runtime root (and its missing parents). */
  readonly makeDirectory: (path: string) => Effect.Effect<void, ConfigError | IoError>
}>() {}

/**
 * The live service over the write port. The root is canonical: its realpath, or its deepest existing
 * ancestor's realpath with the missing names appended.
 */
export const make = Effect.gen(function*() {
  const write = yield* RepoWrite
  const fs = yield* RepoFs
  const settings = yield* Settings
  const runtime: Effect.Effect<Runtime, ConfigError | IoError> = Effect.gen(function*() {
    const configured = yield* settings.runtimeRoot
    const missing: Array<string> = []
    let dir = configured
    let real = yield* fs.realpath(dir)
    while (real === null && dirnamePath(dir) !== dir) {
      missing.unshift(basenamePath(dir))
      dir = dirnamePath(dir)
      real = yield* fs.realpath(dir)
    }
    const root = joinPath(real ?? dir, ...missing)
    return { root, scope: { roots: [root] } }
  })
  return RuntimeFiles.of({
    runtime,
    write: (path, data, mode) =>
      Effect.gen(function*() {
        const rt = yield* runtime
        yield* write.makeDirectory(rt.scope, dirnamePath(path))
        yield* write.writeFile(rt.scope, path, data, mode === undefined ? undefined : { mode })
      }),
    append: (path, data) =>
      Effect.gen(function*() {
        const rt = yield* runtime
        yield* write.makeDirectory(rt.scope, dirnamePath(path))
        return (yield* write.append(rt.scope, path, data)).offset
      }),
    truncate: (path, size) => Effect.flatMap(runtime, (rt) => Effect.asVoid(write.truncate(rt.scope, path, size))),
    remove: (path) => Effect.flatMap(runtime, (rt) => write.remove(rt.scope, path)),
    makeDirectory: (path) => Effect.flatMap(runtime, (rt) => write.makeDirectory(rt.scope, path))
  })
})

/** Its layer. */
export const layer: Layer.Layer<RuntimeFiles, never, RepoWrite | RepoFs | Settings> = Layer.effect(RuntimeFiles, make)
