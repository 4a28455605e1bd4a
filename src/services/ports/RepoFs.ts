/**
 * The read port: what kind of entry a path is, its bytes or strict UTF-8 text, its directory entries,
 * its realpath and its signature. Reads never block and never guess: a FIFO, socket, device or
 * directory where a file is expected is refused before anything is read (`NOT_A_REGULAR_FILE`), text
 * that is not UTF-8 is refused (`FILE_NOT_UTF8`), and with `noFollow` a symbolic link is refused. The live
 * layer uses Node's `fs` (O_NONBLOCK, O_NOFOLLOW, fstat); the memory layer reads a `MemoryFs`.
 */
import { Context, Effect, Either, Layer } from "effect"
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  realpathSync,
  statSync
} from "node:fs"
import type { BigIntStats, Dirent, Stats } from "node:fs"
import { dirnamePath, joinPath, normalizePath } from "../../core/repo/Paths.js"
import { errnoOf, IoError, IoErrors } from "../../core/repo/RepoError.js"
import { decodeUtf8 } from "../../core/repo/Text.js"
import { MemoryFs } from "./MemoryFs.js"
import type { MemoryNode, MemoryTree } from "./MemoryFs.js"

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
  /** The inode change time: moves on every write, rename into place, chmod or truncation. */
  readonly ctimeNs: bigint
  readonly mode: number
  readonly dev: number
  readonly ino: number
  readonly isSymlink: boolean
}

/** How a file is read in chunks. */
export interface ChunkOptions {
  /** Refuse a symbolic link at the path itself (`SYMLINK_REFUSED`). */
  readonly noFollow?: boolean
  /** The first byte to read (default 0). */
  readonly from?: number
  /** The byte before which reading stops (default: the size when the file was opened). */
  readonly to?: number
  /** Bytes per chunk (default 1 MiB). */
  readonly chunkBytes?: number
}

/** The default chunk of a chunked read. */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024

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
  /**
   * Reads a regular file in chunks, without a size limit: `visit` sees each chunk (valid only during the
   * call: copy what you keep) and returns false to stop. Opened like `readBytes` (never blocks, no FIFO,
   * no link with `noFollow`); the result is the signature of the file that was read (`fstat` of the open
   * file), or null when it is absent.
   */
  readonly readChunks: (
    path: string,
    options: ChunkOptions,
    visit: (chunk: Uint8Array) => boolean | void
  ) => Effect.Effect<FileSignature | null, IoError>
}>() {}

/** True when two byte strings are equal (compared natively: a byte loop runs in the interpreter in a short command). */
export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0

/** The bytes `[from, to)` of a file (`null` when absent), through `readChunks`. */
export const readRange = (
  fs: RepoFs["Type"],
  path: string,
  options: ChunkOptions
): Effect.Effect<{ readonly bytes: Uint8Array; readonly signature: FileSignature } | null, IoError> =>
  Effect.suspend(() => {
    const parts: Array<Uint8Array> = []
    // copies: a chunk is a view of a buffer the next read fills again (and Buffer#slice does not copy)
    return Effect.map(fs.readChunks(path, options, (chunk) => void parts.push(new Uint8Array(chunk))), (signature) => {
      if (signature === null) return null
      const total = parts.reduce((n, p) => n + p.length, 0)
      const bytes = new Uint8Array(total)
      let at = 0
      for (const p of parts) {
        bytes.set(p, at)
        at += p.length
      }
      return { bytes, signature }
    })
  })

/** Text from bytes already read (strict UTF-8), for callers that need both. */
export const textOf = (path: string, bytes: Uint8Array): Either.Either<string, IoError> =>
  Either.mapLeft(decodeUtf8(bytes), (f) => IoErrors.notUtf8(path, f.line, f.byteOffset))

// ---------------------------------------------------------------------------------------------
// Live

const ABSENT = new Set(["ENOENT", "ENOTDIR"])

const kindOfStats = (st: Stats | BigIntStats): string =>
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

/** Opens a regular file for reading without blocking (a FIFO is refused after `fstat`); null when absent. */
const openRegular = (path: string, noFollow: boolean): { readonly fd: number; readonly st: BigIntStats } | null => {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (noFollow ? constants.O_NOFOLLOW : 0)
  let fd: number
  try {
    fd = openSync(path, flags)
  } catch (e) {
    const errno = errnoOf(e)
    if (ABSENT.has(errno)) return null
    if (errno === "ELOOP" && noFollow) {
      const st = lstatSync(path, { throwIfNoEntry: false })
      if (st?.isSymbolicLink() === true) throw IoErrors.symlinkRefused(path)
    }
    throw IoErrors.unreadable(path, errno)
  }
  try {
    const st = fstatSync(fd, { bigint: true })
    if (!st.isFile()) throw IoErrors.notRegular(path, kindOfStats(st))
    return { fd, st }
  } catch (e) {
    closeSync(fd)
    throw e
  }
}

/** The signature of a `stat`/`fstat` result (the live write port reads its appends' signatures here too). */
export const signatureOf = (st: BigIntStats): FileSignature => ({
  size: Number(st.size),
  mtimeNs: st.mtimeNs,
  ctimeNs: st.ctimeNs,
  mode: Number(st.mode) & 0o777,
  dev: Number(st.dev),
  ino: Number(st.ino),
  isSymlink: st.isSymbolicLink()
})

const readBytesSync = (path: string, options: ReadOptions | undefined): Uint8Array | null => {
  const open = openRegular(path, options?.noFollow === true)
  if (open === null) return null
  try {
    const limit = options?.maxBytes ?? DEFAULT_MAX_BYTES
    if (Number(open.st.size) > limit) throw IoErrors.tooLarge(path, Number(open.st.size), limit)
    return readFileSync(open.fd)
  } finally {
    closeSync(open.fd)
  }
}

const readChunksSync = (
  path: string,
  options: ChunkOptions,
  visit: (chunk: Uint8Array) => boolean | void
): FileSignature | null => {
  const open = openRegular(path, options.noFollow === true)
  if (open === null) return null
  try {
    const end = Math.min(options.to ?? Number(open.st.size), Number(open.st.size))
    const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(options.chunkBytes ?? DEFAULT_CHUNK_BYTES, end)))
    let position = options.from ?? 0
    while (position < end) {
      const n = readSync(open.fd, buffer, 0, Math.min(buffer.length, end - position), position)
      if (n === 0) break
      position += n
      if (visit(buffer.subarray(0, n)) === false) break
    }
    return signatureOf(open.st)
  } finally {
    closeSync(open.fd)
  }
}

const kindSync = (path: string): EntryKind | null => {
  let st: Stats | undefined
  try {
    st = statSync(path, { throwIfNoEntry: false })
  } catch (e) {
    if (ABSENT.has(errnoOf(e))) return null
    throw e
  }
  return st === undefined ? null : st.isFile() ? "File" : st.isDirectory() ? "Directory" : "Other"
}

const entriesSync = (path: string): ReadonlyArray<DirEntry> | null => {
  let dirents: Array<Dirent>
  try {
    dirents = readdirSync(path, { withFileTypes: true })
  } catch (e) {
    if (ABSENT.has(errnoOf(e))) return null
    throw e
  }
  const out: Array<DirEntry> = []
  for (const d of dirents) {
    let kind: EntryKind = d.isFile() ? "File" : d.isDirectory() ? "Directory" : "Other"
    if (d.isSymbolicLink()) {
      const st = statSync(joinPath(path, d.name), { throwIfNoEntry: false })
      kind = st === undefined ? "Other" : st.isFile() ? "File" : st.isDirectory() ? "Directory" : "Other"
    }
    out.push({ name: d.name, kind })
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

const realpathOrNull = (path: string): string | null => {
  try {
    return realpathSync.native(path)
  } catch (e) {
    if (ABSENT.has(errnoOf(e))) return null
    throw e
  }
}

const signatureSync = (path: string): FileSignature | null => {
  let st: BigIntStats | undefined
  try {
    st = lstatSync(path, { bigint: true, throwIfNoEntry: false })
  } catch (e) {
    if (ABSENT.has(errnoOf(e))) return null
    throw e
  }
  return st === undefined ? null : signatureOf(st)
}

/** The live service over Node's `fs`. */
export const live = RepoFs.of({
  kind: (path) => attempt(path, () => kindSync(path)),
  readBytes: (path, options) => attempt(path, () => readBytesSync(path, options)),
  readText: (path, options) =>
    Effect.flatMap(attempt(path, () => readBytesSync(path, options)), (bytes) =>
      bytes === null ? Effect.succeed(null) : textOf(path, bytes)),
  entries: (path) => attempt(path, () => entriesSync(path)),
  realpath: (path) => attempt(path, () => realpathOrNull(path)),
  signature: (path) => attempt(path, () => signatureSync(path)),
  readChunks: (path, options, visit) => attempt(path, () => readChunksSync(path, options, visit))
})

/** Its layer. */
export const layer: Layer.Layer<RepoFs> = Layer.succeed(RepoFs, live)

// ---------------------------------------------------------------------------------------------
// Memory

/** A `RepoFs` reading a `MemoryFs` (share the same `MemoryFs` with `RepoWrite.layerMemory`). */
export const layerMemoryFs = (mem: MemoryFs): Layer.Layer<RepoFs> => {
  const kindOf = (path: string): EntryKind | null => {
    const found = mem.lookup(path, true)
    const node = found?.node ?? null
    return node === null ? null : node._tag === "File" ? "File" : node._tag === "Dir" ? "Directory" : "Other"
  }
  const fileNode = (path: string, noFollow: boolean): Effect.Effect<Extract<MemoryNode, { _tag: "File" }> | null, IoError> =>
    Effect.suspend(() => {
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
        case "File":
          return Effect.succeed(node)
      }
    })
  const fileSignature = (node: Extract<MemoryNode, { _tag: "File" }>): FileSignature => ({
    size: node.bytes.length,
    mtimeNs: node.mtimeNs,
    ctimeNs: node.ctimeNs,
    mode: node.mode,
    dev: 1,
    ino: node.ino,
    isSymlink: false
  })
  const readBytes = (path: string, options?: ReadOptions): Effect.Effect<Uint8Array | null, IoError> =>
    Effect.flatMap(fileNode(path, options?.noFollow === true), (node) => {
      if (node === null) return Effect.succeed(null)
      const limit = options?.maxBytes ?? DEFAULT_MAX_BYTES
      if (node.bytes.length > limit) return Effect.fail(IoErrors.tooLarge(path, node.bytes.length, limit))
      return Effect.succeed(node.bytes.slice())
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
            ? fileSignature(node)
            : { size: 0, mtimeNs: 0n, ctimeNs: 0n, mode: 0o755, dev: 1, ino: 0, isSymlink: node._tag === "Symlink" }
        }),
      readChunks: (path, options, visit) =>
        Effect.map(fileNode(path, options.noFollow === true), (node) => {
          if (node === null) return null
          const signature = fileSignature(node)
          const bytes = node.bytes.slice()
          const end = Math.min(options.to ?? bytes.length, bytes.length)
          const step = Math.max(1, options.chunkBytes ?? DEFAULT_CHUNK_BYTES)
          for (let at = options.from ?? 0; at < end; at += step) {
            if (visit(bytes.subarray(at, Math.min(end, at + step))) === false) break
          }
          return signature
        })
    })
  )
}

/** A memory `RepoFs` over a fixed tree. */
export const layerMemory = (tree: MemoryTree): Layer.Layer<RepoFs> => layerMemoryFs(new MemoryFs(tree))

export type { MemoryTree }
