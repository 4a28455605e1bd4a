/**
 * The write port: the only way kittyctx changes a file. Every write names the scope it must stay in
 * (the repository's work tree and its git dir, or the runtime root), and the target's real location,
 * with every parent's symbolic links resolved, must lie inside one of the scope's roots
 * (`PATH_OUTSIDE_REPOSITORY` otherwise). Files are replaced atomically: a temp file in the same
 * directory, fsync, rename, fsync of the directory; a symbolic link is never written through. Failures
 * name their cause (`DISK_FULL`, `READ_ONLY_FILESYSTEM`, `WRITE_FAILED` with the errno). The memory layer
 * writes a `MemoryFs`.
 */
import { Context, Effect, Layer } from "effect"
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statfsSync,
  writeFileSync,
  writeSync
} from "node:fs"
import type { BigIntStats } from "node:fs"
import { basenamePath, dirnamePath, isWithin, joinPath, normalizePath } from "../../core/repo/Paths.js"
import { errnoOf, IoError, IoErrors } from "../../core/repo/RepoError.js"
import type { WriteVerb } from "../../core/repo/RepoError.js"
import type { MemoryFs, MemoryNode } from "./MemoryFs.js"
import { Processes } from "./Processes.js"
import { signatureOf } from "./RepoFs.js"
import type { FileSignature } from "./RepoFs.js"
import { randomBytes } from "./Crypto.js"

/** Where writes may land: absolute roots (their realpaths are compared). */
export interface WriteScope {
  readonly roots: ReadonlyArray<string>
}

/** The scope of one repository: its primary work tree and its git common dir. */
export const repositoryScope = (primaryRoot: string, commonDir: string): WriteScope => ({
  roots: [...new Set([primaryRoot, commonDir])]
})

/** How a file is replaced. */
export interface WriteOptions {
  /** The file mode of a new file (an existing file keeps its mode unless this is given). */
  readonly mode?: number
  /**
   * Replace only if the target still has this size and mtime (`null`: only if it is still absent);
   * otherwise nothing is written and the result is `false`.
   */
  readonly expect?: FileSignature | null
  /**
   * False for a cache that is checked before use (the fold checkpoint): no fsync of the file and its
   * directory; the replacement is still atomic. Default true.
   */
  readonly durable?: boolean
}

/** Where an append landed, and the file after it. */
export interface AppendOutcome {
  /** The offset of the first appended byte (the file's size before the write). */
  readonly offset: number
  /** The file after the write (`fstat` of the written file). */
  readonly after: FileSignature
}

/** The write port. */
export class RepoWrite extends Context.Tag("kittyctx/RepoWrite")<RepoWrite, {
  /** Atomically replaces `path` with `data`; `false` when `expect` no longer holds. */
  readonly writeFile: (
    scope: WriteScope,
    path: string,
    data: string | Uint8Array,
    options?: WriteOptions
  ) => Effect.Effect<boolean, IoError>
  /**
   * Appends `data` at the end of a regular file in one write, then fsyncs it (a new file is created with
   * `mode`, 0644 by default, and its directory fsynced). Opened with O_APPEND, O_NOFOLLOW and O_NONBLOCK
   * and checked with `fstat`: a link is `SYMLINK_REFUSED`, a FIFO or anything else `NOT_A_REGULAR_FILE`.
   * Same containment as `writeFile`. With `reserve`, the file system must have room for the data plus
   * `reserve` bytes (what the caller writes next, e.g. the snapshot), else `DISK_FULL` before any byte is
   * written: an append on a full disk can land in the last block's slack while the next write cannot.
   */
  readonly append: (
    scope: WriteScope,
    path: string,
    data: string | Uint8Array,
    options?: { readonly mode?: number; readonly reserve?: number }
  ) => Effect.Effect<AppendOutcome, IoError>
  /**
   * Cuts a regular file back to its first `size` bytes (never grows it), then fsyncs it: the one way to
   * remove a torn tail an interrupted append left. Opened like `append`; same containment.
   */
  readonly truncate: (scope: WriteScope, path: string, size: number) => Effect.Effect<FileSignature, IoError>
  /** Creates a directory and its missing parents. */
  readonly makeDirectory: (scope: WriteScope, path: string) => Effect.Effect<void, IoError>
  /** Removes a file, or a directory with everything below it; absent is fine. */
  readonly remove: (scope: WriteScope, path: string) => Effect.Effect<void, IoError>
  /**
   * Checks, without writing, that every path could be written: its real parent inside the scope and
   * no link or non-regular file at the path. Lets a surface refuse before its first write.
   */
  readonly check: (scope: WriteScope, paths: ReadonlyArray<string>) => Effect.Effect<void, IoError>
}>() {}

/** The temp-file name of an atomic write: `.<name>.<pid>.<hex>.tmp`, beside the target. */
export const tempNameOf = (name: string, pid: number, hex: string): string => `.${name}.${pid}.${hex}.tmp`

const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/

/** The pid that wrote an atomic writer's temp file, or null for any other name. */
export const tempWriterPid = (name: string): number | null => {
  const m = TEMP_NAME.exec(name)
  return m === null ? null : Number(m[2])
}

// ---------------------------------------------------------------------------------------------
// Live

const realRootsOf = (scope: WriteScope): ReadonlyArray<string> =>
  scope.roots.map((r) => {
    try {
      return realpathSync.native(r)
    } catch {
      return normalizePath(r)
    }
  })

/** The realpath of the deepest existing ancestor of `path` (inclusive) and the missing tail below it. */
const existingAncestor = (path: string): { readonly real: string; readonly missing: ReadonlyArray<string> } => {
  const missing: Array<string> = []
  let dir = normalizePath(path)
  while (true) {
    try {
      return { real: realpathSync.native(dir), missing: missing.reverse() }
    } catch (e) {
      const errno = errnoOf(e)
      if (errno !== "ENOENT") throw IoErrors.writeFailed(path, errno)
      const parent = dirnamePath(dir)
      if (parent === dir) throw IoErrors.writeFailed(path, errno)
      missing.push(basenamePath(dir))
      dir = parent
    }
  }
}

/** Checks that the parent of `path` (after resolving every link) lies in the scope; returns that real parent. */
const containedParent = (scope: WriteScope, path: string, verb: WriteVerb, roots = realRootsOf(scope)): string => {
  const parent = dirnamePath(normalizePath(path))
  const { missing, real } = existingAncestor(parent)
  const realParent = joinPath(real, ...missing)
  if (!roots.some((root) => isWithin(root, realParent))) {
    throw IoErrors.outside(path, joinPath(realParent, basenamePath(path)), scope.roots, verb)
  }
  return realParent
}

const attempt = <A>(path: string, verb: WriteVerb, body: () => A): Effect.Effect<A, IoError> =>
  Effect.try({ try: body, catch: (e) => (e instanceof IoError ? e : IoErrors.writeFailed(path, errnoOf(e), verb)) })

const fsyncDir = (dir: string) => {
  const fd = openSync(dir, constants.O_RDONLY)
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Temp files of this writer's form for `name` in `dir`, with the pid that wrote each. */
const tempFilesOf = (dir: string, name: string): Array<{ readonly path: string; readonly pid: number }> => {
  let names: Array<string>
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const out: Array<{ readonly path: string; readonly pid: number }> = []
  for (const n of names) {
    const m = TEMP_NAME.exec(n)
    if (m !== null && m[1] === name && Number(m[2]) !== process.pid) out.push({ path: joinPath(dir, n), pid: Number(m[2]) })
  }
  return out
}

const sameSignature = (a: FileSignature | null, b: BigIntStats | undefined): boolean =>
  a === null ? b === undefined : b !== undefined && a.size === Number(b.size) && a.mtimeNs === b.mtimeNs

const writeContained = (scope: WriteScope, path: string, data: string | Uint8Array, options: WriteOptions): boolean => {
  const dir = containedParent(scope, path, "write")
  const name = basenamePath(path)
  const target = joinPath(dir, name)
  const current = lstatSync(target, { bigint: true, throwIfNoEntry: false })
  if (current?.isSymbolicLink() === true) throw IoErrors.symlinkRefused(path)
  if (current !== undefined && !current.isFile()) throw IoErrors.notRegular(path, "directory or special file")
  if (options.expect !== undefined && !sameSignature(options.expect, current)) return false
  const mode = options.mode ?? (current === undefined ? 0o644 : Number(current.mode) & 0o777)
  const tmp = joinPath(dir, tempNameOf(name, process.pid, randomBytes(6).toString("hex")))
  let renamed = false
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode)
    try {
      writeFileSync(fd, data)
      fchmodSync(fd, mode)
      if (options.durable !== false) fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    if (options.expect !== undefined && !sameSignature(options.expect, lstatSync(target, { bigint: true, throwIfNoEntry: false }))) {
      return false
    }
    renameSync(tmp, target)
    renamed = true
    if (options.durable !== false) fsyncDir(dir)
  } finally {
    if (!renamed) rmSync(tmp, { force: true })
  }
  return true
}

/** Opens an existing (or, with `createMode`, new) regular file for writing in place; never follows a link, never blocks. */
const openForChange = (
  scope: WriteScope,
  path: string,
  verb: WriteVerb,
  extraFlags: number,
  createMode: number | null
): { readonly fd: number; readonly st: BigIntStats; readonly created: boolean; readonly dir: string } => {
  const dir = containedParent(scope, path, verb)
  const target = joinPath(dir, basenamePath(path))
  const current = lstatSync(target, { throwIfNoEntry: false })
  if (current?.isSymbolicLink() === true) throw IoErrors.symlinkRefused(path)
  if (current !== undefined && !current.isFile()) throw IoErrors.notRegular(path, current.isFIFO() ? "FIFO" : "non-regular file")
  const c = constants
  const create = createMode !== null && current === undefined
  let fd: number
  try {
    fd = openSync(target, c.O_WRONLY | c.O_NOFOLLOW | c.O_NONBLOCK | extraFlags | (create ? c.O_CREAT : 0), createMode ?? 0o644)
  } catch (e) {
    const errno = errnoOf(e)
    if (errno === "ELOOP") throw IoErrors.symlinkRefused(path)
    if (errno === "ENXIO") throw IoErrors.notRegular(path, "FIFO")
    throw IoErrors.writeFailed(path, errno, verb)
  }
  try {
    const st = fstatSync(fd, { bigint: true })
    if (!st.isFile()) throw IoErrors.notRegular(path, st.isFIFO() ? "FIFO" : "non-regular file")
    return { fd, st, created: create, dir }
  } catch (e) {
    closeSync(fd)
    throw e
  }
}

const appendSync = (scope: WriteScope, path: string, data: string | Uint8Array, mode: number, reserve: number | null): AppendOutcome => {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data
  const { created, dir, fd, st } = openForChange(scope, path, "append", constants.O_APPEND, mode)
  try {
    if (reserve !== null) {
      const fsStat = statfsSync(dir)
      if (fsStat.bavail * fsStat.bsize < bytes.length + reserve) {
        if (created) rmSync(joinPath(dir, basenamePath(path)), { force: true })
        throw IoErrors.writeFailed(path, "ENOSPC", "append")
      }
    }
    const offset = Number(st.size)
    // one write(2) of the whole line; a short write continues where it stopped
    let done = 0
    try {
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done)
      fsyncSync(fd)
    } catch (e) {
      // a full disk after part of the line: take back the bytes this call wrote, so no torn line stays
      if (done > 0) {
        try {
          ftruncateSync(fd, offset)
        } catch {
          // the next append finds the torn line and removes it
        }
      }
      throw e
    }
    const after = signatureOf(fstatSync(fd, { bigint: true }))
    if (created) fsyncDir(dir)
    return { offset: Math.max(offset, after.size - bytes.length), after }
  } finally {
    closeSync(fd)
  }
}

const truncateSync = (scope: WriteScope, path: string, size: number): FileSignature => {
  const { fd, st } = openForChange(scope, path, "write", 0, null)
  try {
    if (size > Number(st.size) || size < 0) throw IoErrors.writeFailed(path, "EINVAL")
    ftruncateSync(fd, size)
    fsyncSync(fd)
    return signatureOf(fstatSync(fd, { bigint: true }))
  } finally {
    closeSync(fd)
  }
}

const makeDirectorySync = (scope: WriteScope, path: string): void => {
  const roots = realRootsOf(scope)
  const { missing, real } = existingAncestor(path)
  const realPath = joinPath(real, ...missing)
  if (!roots.some((root) => isWithin(root, realPath))) throw IoErrors.outside(path, realPath, scope.roots, "create")
  let dir = real
  for (const part of missing) {
    dir = joinPath(dir, part)
    try {
      mkdirSync(dir)
    } catch (e) {
      if (errnoOf(e) !== "EEXIST") throw IoErrors.writeFailed(path, errnoOf(e), "create")
      if (!lstatSync(dir).isDirectory()) throw IoErrors.notRegular(dir, "non-directory")
    }
  }
}

const checkSync = (scope: WriteScope, roots: ReadonlyArray<string>, path: string): void => {
  const dir = containedParent(scope, path, "write", roots)
  const current = lstatSync(joinPath(dir, basenamePath(path)), { throwIfNoEntry: false })
  if (current?.isSymbolicLink() === true) throw IoErrors.symlinkRefused(path)
  if (current !== undefined && !current.isFile()) throw IoErrors.notRegular(path, "directory or special file")
}

const removeSync = (scope: WriteScope, path: string): void => {
  const dir = containedParent(scope, path, "remove")
  rmSync(joinPath(dir, basenamePath(path)), { recursive: true, force: true })
}

/**
 * The live service over Node's `fs`. After each write it removes the temp files a crashed writer left
 * beside the same target (their pid no longer names a process, by the one liveness probe).
 */
export const make = Effect.gen(function*() {
  const processes = yield* Processes
  const sweepOrphans = (path: string) =>
    Effect.forEach(
      tempFilesOf(dirnamePath(path), basenamePath(path)),
      (t) =>
        Effect.flatMap(processes.probe({ pid: t.pid, started_at: null }), (liveness) =>
          liveness === "dead" ? Effect.sync(() => rmSync(t.path, { force: true })) : Effect.void),
      { discard: true }
    ).pipe(Effect.catchAllDefect(() => Effect.void))
  return RepoWrite.of({
    writeFile: (scope, path, data, options) =>
      attempt(path, "write", () => writeContained(scope, path, data, options ?? {})).pipe(
        Effect.tap((written) => (written ? sweepOrphans(path) : Effect.void))
      ),
    append: (scope, path, data, options) =>
      attempt(path, "append", () => appendSync(scope, path, data, options?.mode ?? 0o644, options?.reserve ?? null)),
    truncate: (scope, path, size) => attempt(path, "write", () => truncateSync(scope, path, size)),
    makeDirectory: (scope, path) => attempt(path, "create", () => makeDirectorySync(scope, path)),
    remove: (scope, path) => attempt(path, "remove", () => removeSync(scope, path)),
    // the scope's roots are resolved once for all the paths of one check
    check: (scope, paths) =>
      Effect.suspend(() => {
        const roots = realRootsOf(scope)
        return Effect.forEach(paths, (p) => attempt(p, "write", () => checkSync(scope, roots, p)), { discard: true })
      })
  })
})

/** Its layer. */
export const layer: Layer.Layer<RepoWrite, never, Processes> = Layer.effect(RepoWrite, make)

// ---------------------------------------------------------------------------------------------
// Memory

/** A `RepoWrite` over a `MemoryFs`, with the same containment and symlink rules as the live layer. */
export const layerMemoryFs = (mem: MemoryFs): Layer.Layer<RepoWrite> => {
  const realOf = (p: string): string => mem.lookup(p, true)?.path ?? normalizePath(p)
  const parentIn = (scope: WriteScope, path: string, verb: WriteVerb): string => {
    const roots = scope.roots.map(realOf)
    let dir = dirnamePath(normalizePath(path))
    const missing: Array<string> = []
    while (mem.lookup(dir, true)?.node == null) {
      missing.unshift(basenamePath(dir))
      dir = dirnamePath(dir)
    }
    const found = mem.lookup(dir, true)!
    if (found.node?._tag !== "Dir") throw IoErrors.writeFailed(path, "ENOTDIR", verb)
    const realParent = joinPath(found.path, ...missing)
    if (!roots.some((root) => isWithin(root, realParent))) {
      throw IoErrors.outside(path, joinPath(realParent, basenamePath(path)), scope.roots, verb)
    }
    return realParent
  }
  const run = <A>(path: string, verb: WriteVerb, body: () => A) =>
    Effect.try({ try: body, catch: (e) => (e instanceof IoError ? e : IoErrors.writeFailed(path, "EIO", verb)) })
  const fileFor = (scope: WriteScope, path: string, verb: WriteVerb, create: number | null) => {
    const dir = parentIn(scope, path, verb)
    if (mem.nodes.get(dir)?._tag !== "Dir") throw IoErrors.writeFailed(path, "ENOENT", verb)
    const target = joinPath(dir, basenamePath(path))
    let node = mem.nodes.get(target)
    if (node?._tag === "Symlink") throw IoErrors.symlinkRefused(path)
    if (node !== undefined && node._tag !== "File") {
      throw IoErrors.notRegular(path, node._tag === "Special" && node.kind === "fifo" ? "FIFO" : "non-regular file")
    }
    if (node === undefined) {
      if (create === null) throw IoErrors.writeFailed(path, "ENOENT", verb)
      mem.putFile(target, new Uint8Array(0), create)
      node = mem.nodes.get(target)
    }
    return node as Extract<MemoryNode, { _tag: "File" }>
  }
  const signature = (node: Extract<MemoryNode, { _tag: "File" }>): FileSignature => ({
    size: node.bytes.length,
    mtimeNs: node.mtimeNs,
    ctimeNs: node.ctimeNs,
    mode: node.mode,
    dev: 1,
    ino: node.ino,
    isSymlink: false
  })
  return Layer.succeed(
    RepoWrite,
    RepoWrite.of({
      writeFile: (scope, path, data, options) =>
        run(path, "write", () => {
          const dir = parentIn(scope, path, "write")
          if (mem.nodes.get(dir)?._tag !== "Dir") throw IoErrors.writeFailed(path, "ENOENT")
          const target = joinPath(dir, basenamePath(path))
          const current = mem.nodes.get(target)
          if (current?._tag === "Symlink") throw IoErrors.symlinkRefused(path)
          if (current !== undefined && current._tag !== "File") throw IoErrors.notRegular(path, "directory or special file")
          const expect = options?.expect
          if (expect !== undefined) {
            const same = expect === null
              ? current === undefined
              : current !== undefined && current.bytes.length === expect.size && current.mtimeNs === expect.mtimeNs
            if (!same) return false
          }
          mem.putFile(target, data, options?.mode ?? (current?._tag === "File" ? current.mode : 0o644))
          return true
        }),
      append: (scope, path, data, options) =>
        run(path, "append", () => {
          const node = fileFor(scope, path, "append", options?.mode ?? 0o644)
          const add = typeof data === "string" ? new TextEncoder().encode(data) : data
          const offset = node.bytes.length
          const bytes = new Uint8Array(offset + add.length)
          bytes.set(node.bytes, 0)
          bytes.set(add, offset)
          mem.changeFile(node, bytes)
          return { offset, after: signature(node) }
        }),
      truncate: (scope, path, size) =>
        run(path, "write", () => {
          const node = fileFor(scope, path, "write", null)
          if (size > node.bytes.length || size < 0) throw IoErrors.writeFailed(path, "EINVAL")
          mem.changeFile(node, node.bytes.slice(0, size))
          return signature(node)
        }),
      makeDirectory: (scope, path) =>
        run(path, "create", () => {
          const parent = parentIn(scope, joinPath(path, "x"), "create")
          mem.mkdirp(parent)
        }),
      remove: (scope, path) =>
        run(path, "remove", () => {
          const dir = parentIn(scope, path, "remove")
          mem.removeTree(joinPath(dir, basenamePath(path)))
        }),
      check: (scope, paths) =>
        Effect.forEach(paths, (path) =>
          run(path, "write", () => {
            const dir = parentIn(scope, path, "write")
            const current = mem.nodes.get(joinPath(dir, basenamePath(path)))
            if (current?._tag === "Symlink") throw IoErrors.symlinkRefused(path)
            if (current !== undefined && current._tag !== "File") throw IoErrors.notRegular(path, "directory or special file")
          }), { discard: true })
    })
  )
}
