/**
 * The narrow read-side file-system port of the resolver and the status facade: what kind of entry a
 * path is, its text, its entries, its realpath. A live layer over `@effect/platform` FileSystem and an
 * in-memory layer for property tests.
 */
import { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Context, Data, Effect, Layer } from "effect"
import { basenamePath, dirnamePath, normalizePath } from "../core/Paths.js"

/** What a path is (symlinks followed). */
export type EntryKind = "File" | "Directory" | "Other"

/** A read that failed for a reason other than absence (permission, I/O). */
export class FsError extends Data.TaggedError("FsError")<{
  readonly code: "FILE_UNREADABLE"
  readonly message: string
  readonly path: string
  readonly reason: string
}> {}

/** The read-side file-system port. `null` means the path does not exist. */
export class RepoFs extends Context.Tag("kittyctx/RepoFs")<RepoFs, {
  readonly kind: (path: string) => Effect.Effect<EntryKind | null, FsError>
  readonly readText: (path: string) => Effect.Effect<string | null, FsError>
  readonly readDir: (path: string) => Effect.Effect<ReadonlyArray<string> | null, FsError>
  readonly realpath: (path: string) => Effect.Effect<string | null, FsError>
}>() {}

const absentOr = <A>(path: string) => (e: PlatformError): Effect.Effect<A | null, FsError> =>
  e._tag === "SystemError" && (e.reason === "NotFound" || (e.reason as string) === "NotADirectory")
    ? Effect.succeed(null)
    : Effect.fail(
      new FsError({
        code: "FILE_UNREADABLE",
        message: `Cannot read ${path}: ${e.message}`,
        path,
        reason: e._tag === "SystemError" ? e.reason : e._tag
      })
    )

/** The live layer over `@effect/platform` FileSystem. */
export const layer: Layer.Layer<RepoFs, never, FileSystem.FileSystem> = Layer.effect(
  RepoFs,
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    return RepoFs.of({
      kind: (path) =>
        fs.stat(path).pipe(
          Effect.map((info): EntryKind => info.type === "File" ? "File" : info.type === "Directory" ? "Directory" : "Other"),
          Effect.catchAll(absentOr<EntryKind>(path))
        ),
      readText: (path) => fs.readFileString(path).pipe(Effect.catchAll(absentOr<string>(path))),
      readDir: (path) => fs.readDirectory(path).pipe(Effect.catchAll(absentOr<ReadonlyArray<string>>(path))),
      realpath: (path) => fs.realPath(path).pipe(Effect.catchAll(absentOr<string>(path)))
    })
  })
)

/** An in-memory tree: absolute file paths to their text; directories are implied by the paths. */
export type MemoryTree = Readonly<Record<string, string>>

/** An in-memory layer over a fixed tree (no symlinks: realpath is the normalised path). */
export const layerMemory = (tree: MemoryTree): Layer.Layer<RepoFs> => {
  const files = new Map<string, string>()
  const dirs = new Map<string, Set<string>>()
  const addDir = (dir: string) => {
    if (!dirs.has(dir)) dirs.set(dir, new Set())
    if (dir !== "/") {
      const parent = dirnamePath(dir)
      addDir(parent)
      dirs.get(parent)!.add(basenamePath(dir))
    }
  }
  for (const [raw, text] of Object.entries(tree)) {
    const path = normalizePath(raw)
    files.set(path, text)
    const parent = dirnamePath(path)
    addDir(parent)
    dirs.get(parent)!.add(basenamePath(path))
  }
  const kindOf = (path: string): EntryKind | null => {
    const p = normalizePath(path)
    return files.has(p) ? "File" : dirs.has(p) ? "Directory" : null
  }
  return Layer.succeed(
    RepoFs,
    RepoFs.of({
      kind: (path) => Effect.succeed(kindOf(path)),
      readText: (path) => Effect.succeed(files.get(normalizePath(path)) ?? null),
      readDir: (path) => {
        const entries = dirs.get(normalizePath(path))
        return Effect.succeed(entries === undefined ? null : [...entries].sort())
      },
      realpath: (path) => Effect.succeed(kindOf(path) === null ? null : normalizePath(path))
    })
  )
}
