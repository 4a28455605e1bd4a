/**
 * The read-side file-system port of the resolver and the status facade: what kind of entry a path
 * is, its text, its entries, its realpath. The live layer goes through `@effect/platform` FileSystem,
 * and through Node's `fs` for the two reads the platform lacks (directory entries with their kinds in
 * one call, and an O_NOFOLLOW read). The in-memory layer backs the parity properties.
 */
import { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Context, Data, Effect, Layer } from "effect"
import { isAscii } from "node:buffer"
import * as nodeFs from "node:fs"
import { basenamePath, dirnamePath, normalizePath } from "../../core/layout/Paths.js"

/** What a path is (symlinks followed). */
export type EntryKind = "File" | "Directory" | "Other"

/** One directory entry. */
export interface DirEntry {
  readonly name: string
  readonly kind: EntryKind
}

/** A read that failed for a reason other than absence (permission, I/O, a refused symlink). */
export class FsError extends Data.TaggedError("FsError")<{
  readonly code: "FILE_UNREADABLE" | "SYMLINK_REFUSED"
  readonly message: string
  readonly path: string
  readonly reason: string
}> {}

/** The read-side file-system port. `null` means the path does not exist. */
export class RepoFs extends Context.Tag("kittyctx/RepoFs")<RepoFs, {
  readonly kind: (path: string) => Effect.Effect<EntryKind | null, FsError>
  /** The file's UTF-8 text; with `noFollow`, a symbolic link is refused (`SYMLINK_REFUSED`). */
  readonly readText: (path: string, options?: { readonly noFollow?: boolean }) => Effect.Effect<string | null, FsError>
  /** Entries sorted by name, with their kinds (symlinks followed). */
  readonly entries: (path: string) => Effect.Effect<ReadonlyArray<DirEntry> | null, FsError>
  readonly realpath: (path: string) => Effect.Effect<string | null, FsError>
}>() {}

const absentOr = <A>(path: string) => (e: PlatformError): Effect.Effect<A | null, FsError> =>
  e._tag === "SystemError" && e.reason === "NotFound"
    ? Effect.succeed(null)
    : Effect.fail(
      new FsError({
        code: "FILE_UNREADABLE",
        message: `Cannot read ${path}: ${e.message}`,
        path,
        reason: e._tag === "SystemError" ? e.reason : e._tag
      })
    )

const nodeError = (path: string, e: unknown): FsError => {
  const code = (e as NodeJS.ErrnoException).code
  return code === "ELOOP"
    ? new FsError({ code: "SYMLINK_REFUSED", message: `Refusing to read symbolic link ${path}`, path, reason: "ELOOP" })
    : new FsError({ code: "FILE_UNREADABLE", message: `Cannot read ${path}: ${(e as Error).message}`, path, reason: code ?? "unknown" })
}

const ABSENT = new Set(["ENOENT", "ENOTDIR"])

/** UTF-8 text of a file's bytes; pure-ASCII files (every well-formed event log) skip UTF-8 decoding. */
const decodeText = (bytes: Buffer): string => (isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8"))

const readNoFollow = (path: string): Effect.Effect<string | null, FsError> =>
  Effect.try({
    try: () => {
      let fd: number
      try {
        fd = nodeFs.openSync(path, nodeFs.constants.O_RDONLY | nodeFs.constants.O_NOFOLLOW)
      } catch (e) {
        if (ABSENT.has((e as NodeJS.ErrnoException).code ?? "")) return null
        throw e
      }
      try {
        return decodeText(nodeFs.readFileSync(fd))
      } finally {
        nodeFs.closeSync(fd)
      }
    },
    catch: (e) => nodeError(path, e)
  })

const entriesOf = (path: string): Effect.Effect<ReadonlyArray<DirEntry> | null, FsError> =>
  Effect.try({
    try: () => {
      let dirents: Array<nodeFs.Dirent>
      try {
        dirents = nodeFs.readdirSync(path, { withFileTypes: true })
      } catch (e) {
        if (ABSENT.has((e as NodeJS.ErrnoException).code ?? "")) return null
        throw e
      }
      const out: Array<DirEntry> = []
      for (const d of dirents) {
        let kind: EntryKind = d.isFile() ? "File" : d.isDirectory() ? "Directory" : "Other"
        if (d.isSymbolicLink()) {
          const st = nodeFs.statSync(`${path}/${d.name}`, { throwIfNoEntry: false })
          kind = st === undefined ? "Other" : st.isFile() ? "File" : st.isDirectory() ? "Directory" : "Other"
        }
        out.push({ name: d.name, kind })
      }
      return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    },
    catch: (e) => nodeError(path, e)
  })

/** The live layer. */
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
      readText: (path, options) =>
        options?.noFollow === true ? readNoFollow(path) : fs.readFileString(path).pipe(Effect.catchAll(absentOr<string>(path))),
      entries: entriesOf,
      realpath: (path) => fs.realPath(path).pipe(Effect.catchAll(absentOr<string>(path)))
    })
  })
)

/** An in-memory tree: absolute file paths to their text; directories are implied by the paths (or end in `/`). */
export type MemoryTree = Readonly<Record<string, string>>

/** An in-memory layer over a fixed tree (no symlinks: realpath is the normalised path). */
export const layerMemory = (tree: MemoryTree): Layer.Layer<RepoFs> => {
  const files = new Map<string, string>()
  const dirs = new Map<string, Set<string>>()
  const addDir = (dir: string) => {
    if (dirs.has(dir)) return
    dirs.set(dir, new Set())
    if (dir !== "/") {
      const parent = dirnamePath(dir)
      addDir(parent)
      dirs.get(parent)!.add(basenamePath(dir))
    }
  }
  for (const [raw, text] of Object.entries(tree)) {
    if (raw.endsWith("/")) {
      addDir(normalizePath(raw))
      continue
    }
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
      entries: (path) => {
        const p = normalizePath(path)
        const names = dirs.get(p)
        if (names === undefined) return Effect.succeed(null)
        return Effect.succeed(
          [...names].sort().map((name) => ({ name, kind: kindOf(`${p}/${name}`) ?? ("Other" as const) }))
        )
      },
      realpath: (path) => Effect.succeed(kindOf(path) === null ? null : normalizePath(path))
    })
  )
}
