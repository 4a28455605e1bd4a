/**
 * The read port: what kind of entry a path is, its bytes or strict UTF-8 text, its directory entries,
 * its realpath and its signature. Reads never block and never guess: a FIFO, socket, device or
 * directory where a file is expected is refused before anything is read (`NOT_A_REGULAR_FILE`), text
 * that is not UTF-8 is refused (`FILE_NOT_UTF8`), and with `noFollow` a symbolic link is refused. The live
 * layer uses Node's `fs` (O_NONBLOCK, O_NOFOLLOW, fstat); the memory layer reads a `MemoryFs`.
 */
import { Context, Effect, Either, Layer } from "effect"
import * as nodeFs from "node:fs"
import { dirnamePath, joinPath, normalizePath } from "../../core/repo/Paths.js"
import { IoError, IoErrors } from "../../core/repo/RepoError.js"
import { decodeUtf8 } from "../../core/repo/Text.js"
import { MemoryFs } from "./MemoryFs.js"
import type { MemoryTree } from "./MemoryFs.js"

/** What a path is (symlinks followed). */
export type EntryKind = "File" | "Directory" | "Other"

/** One directory entry. */
export interface DirEntry {
  readonly name: string
  readonly kind: EntryKind
}

/** Identity and state of a file as `lstat` sees it (symlinks not followed). */
export interface FileSignature {
  readonly size: number
  readonly mtimeNs: bigint
  readonly mode: number
  readonly ino: number
  readonly isSymlink: boolean
}

/** How a file is read. */
export interface ReadOptions {
  /** Refuse a symbolic link at the path itself (`SYMLINK_REFUSED`). */
  readonly noFollow?: boolean
  /** Refuse larger files (`FILE_TOO_LARGE`); default 64 MiB. */
  readonly maxBytes?: number
}

/** The default size limit of one read. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024

/** The read port. `null` means the path does not exist. */
export class RepoFs extends Context.Tag("kittyctx/RepoFs")<RepoFs, {
  readonly kind: (path: string) => Effect.Effect<EntryKind | null, IoError>
  readonly readBytes: (path: string, options?: ReadOptions) => Effect.Effect<Uint8Array | null, IoError>
  /** The file's text; bytes that are not UTF-8 are `FILE_NOT_UTF8` with the line. */
  readonly readText: (path: string, options?: ReadOptions) => Effect.Effect<string | null, IoError>
  /** Entries sorted by name, with their kinds (symlinks followed). */
  readonly entries: (path: string) => Effect.Effect<ReadonlyArray<DirEntry> | null, IoError>
  readonly realpath: (path: string) => Effect.Effect<string | null, IoError>
  readonly signature: (path: string) => Effect.Effect<FileSignature | null, IoError>
}>() {}

/** Text from bytes already read (strict UTF-8), for callers that need both. */
export const textOf = (path: string, bytes: Uint8Array): Either.Either<string, IoError> =>
  Either.mapLeft(decodeUtf8(bytes), (f) => IoErrors.notUtf8(path, f.line, f.byteOffset))

// ---------------------------------------------------------------------------------------------
// Live

const ABSENT = new Set(["ENOENT", "ENOTDIR"])
const errnoOf = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? "EIO"

const kindOfStats = (st: nodeFs.Stats): string =>
  st.isDirectory()
    ? "directory"
    : st.isFIFO()
    ? "FIFO"
    : st.isSocket()
    ? "socket"
    : st.isCharacterDevice() || st.isBlockDevice()
    ? "device"
    : "special file"

const attempt = <A>(path: string, body: () => A): Effect.Effect<A, IoError> =>
  Effect.try({ try: body, catch: (e) => (e instanceof IoError ? e : IoErrors.unreadable(path, errnoOf(e))) })

const readBytesSync = (path: string, options: ReadOptions | undefined): Uint8Array | null => {
  const flags = nodeFs.constants.O_RDONLY | nodeFs.constants.O_NONBLOCK |
    (options?.noFollow === true ? nodeFs.constants.O_NOFOLLOW : 0)
  let fd: number
  try {
    fd = nodeFs.openSync(path, flags)
  } catch (e) {
    const errno = errnoOf(e)
    if (ABSENT.has(errno)) return null
    if (errno === "ELOOP" && options?.noFollow === true) {
      const st = nodeFs.lstatSync(path, { throwIfNoEntry: false })
      if (st?.isSymbolicLink() === true) throw IoErrors.symlinkRefused(path)
    }
    throw IoErrors.unreadable(path, errno)
  }
  try {
    const st = nodeFs.fstatSync(fd)
    if (!st.isFile()) throw IoErrors.notRegular(path, kindOfStats(st))
    const limit = options?.maxBytes ?? DEFAULT_MAX_BYTES
    if (st.size > limit) throw IoErrors.tooLarge(path, st.size, limit)
    return nodeFs.readFileSync(fd)
  } finally {
    nodeFs.closeSync(fd)
  }
}

const kindSync = (path: string): EntryKind | null => {
  let st: nodeFs.Stats | undefined
  try {
    st = nodeFs.statSync(path, { throwIfNoEntry: false })
  } catch (e) {
    if (ABSENT.has(errnoOf(e))) return null
    throw e
  }
  return st === undefined ? null : st.isFile() ? "File" : st.isDirectory() ? "Directory" : "Other"
}

const entriesSync = (path: string): ReadonlyArray<DirEntry> | null => {
  let dirents: Array<nodeFs.Dirent>
  try {
    dirents = nodeFs.readdirSync(path, { withFileTypes: true })
  } catch (e) {
    if (ABSENT.has(errnoOf(e))) return null
    throw e
  }
  const out: Array<DirEntry> = []
  for (const d of dirents) {
    let kind: EntryKind = d.isFile() ? "File" : d.isDirectory() ? "Directory" : "Other"
    if (d.isSymbolicLink()) {
      const st = nodeFs.statSync(joinPath(path, d.name), { throwIfNoEntry: false })
      kind = st === undefined ? "Other" : st.isFile() ? "File" : st.isDirectory() ? "Directory" : "Other"
    }
    out.push({ name: d.name, kind })
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

const realpathSync = (path: string): string | null => {
  try {
    return nodeFs.realpathSync.native(path)
  } catch (e) {
    if (ABSENT.has(errnoOf(e))) return null
    throw e
  }
}

const signatureSync = (path: string): FileSignature | null => {
  let st: nodeFs.BigIntStats | undefined
  try {
    st = nodeFs.lstatSync(path, { bigint: true, throwIfNoEntry: false })
  } catch (e) {
    if (ABSENT.has(errnoOf(e))) return null
    throw e
  }
  return st === undefined ? null : {
    size: Number(st.size),
    mtimeNs: st.mtimeNs,
    mode: Number(st.mode) & 0o777,
    ino: Number(st.ino),
    isSymlink: st.isSymbolicLink()
  }
}

/** The live layer over Node's `fs`. */
export const layer: Layer.Layer<RepoFs> = Layer.succeed(
  RepoFs,
  RepoFs.of({
    kind: (path) => attempt(path, () => kindSync(path)),
    readBytes: (path, options) => attempt(path, () => readBytesSync(path, options)),
    readText: (path, options) =>
      Effect.flatMap(attempt(path, () => readBytesSync(path, options)), (bytes) =>
        bytes === null ? Effect.succeed(null) : textOf(path, bytes)),
    entries: (path) => attempt(path, () => entriesSync(path)),
    realpath: (path) => attempt(path, () => realpathSync(path)),
    signature: (path) => attempt(path, () => signatureSync(path))
  })
)

// ---------------------------------------------------------------------------------------------
// Memory

/** A `RepoFs` reading a `MemoryFs` (share the same `MemoryFs` with `RepoWrite.layerMemory`). */
export const layerMemoryFs = (mem: MemoryFs): Layer.Layer<RepoFs> => {
  const kindOf = (path: string): EntryKind | null => {
    const found = mem.lookup(path, true)
    const node = found?.node ?? null
    return node === null ? null : node._tag === "File" ? "File" : node._tag === "Dir" ? "Directory" : "Other"
  }
  const readBytes = (path: string, options?: ReadOptions): Effect.Effect<Uint8Array | null, IoError> =>
    Effect.suspend(() => {
      const noFollow = options?.noFollow === true
      const found = mem.lookup(path, !noFollow)
      const node = found?.node ?? null
      if (node === null) return Effect.succeed(null)
      switch (node._tag) {
        case "Symlink":
          return Effect.fail(noFollow ? IoErrors.symlinkRefused(path) : IoErrors.unreadable(path, "ELOOP"))
        case "Dir":
          return Effect.fail(IoErrors.notRegular(path, "directory"))
        case "Special":
          return Effect.fail(IoErrors.notRegular(path, node.kind === "fifo" ? "FIFO" : node.kind))
        case "File": {
          const limit = options?.maxBytes ?? DEFAULT_MAX_BYTES
          if (node.bytes.length > limit) return Effect.fail(IoErrors.tooLarge(path, node.bytes.length, limit))
          return Effect.succeed(node.bytes.slice())
        }
      }
    })
  return Layer.succeed(
    RepoFs,
    RepoFs.of({
      kind: (path) => Effect.sync(() => kindOf(path)),
      readBytes,
      readText: (path, options) =>
        Effect.flatMap(readBytes(path, options), (bytes) => (bytes === null ? Effect.succeed(null) : textOf(path, bytes))),
      entries: (path) =>
        Effect.sync(() => {
          const found = mem.lookup(path, true)
          if (found?.node?._tag !== "Dir") return null
          return mem.childrenOf(found.path).map((name) => ({ name, kind: kindOf(joinPath(found.path, name)) ?? ("Other" as const) }))
        }),
      realpath: (path) =>
        Effect.sync(() => {
          const found = mem.lookup(path, true)
          return found === null || found.node === null ? null : found.path
        }),
      signature: (path) =>
        Effect.sync(() => {
          const parent = mem.lookup(dirnamePath(normalizePath(path)), true)
          if (parent === null || parent.node?._tag !== "Dir") return null
          const node = mem.nodes.get(joinPath(parent.path, normalizePath(path).split("/").pop() ?? "")) ?? null
          if (node === null) return null
          return node._tag === "File"
            ? { size: node.bytes.length, mtimeNs: node.mtimeNs, mode: node.mode, ino: node.ino, isSymlink: false }
            : { size: 0, mtimeNs: 0n, mode: 0o755, ino: 0, isSymlink: node._tag === "Symlink" }
        })
    })
  )
}

/** A memory `RepoFs` over a fixed tree. */
export const layerMemory = (tree: MemoryTree): Layer.Layer<RepoFs> => layerMemoryFs(new MemoryFs(tree))

export type { MemoryTree }
