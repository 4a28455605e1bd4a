/**
 * Atomic file writes (status-model §12, surfaces §0.7): temp file in the same directory, fsync,
 * rename, fsync of the directory. Node's `fs` is used here because the platform FileSystem has no
 * directory fsync and no exclusive-create with a mode.
 */
import { Data, Effect } from "effect"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import { basename, dirname, join } from "node:path"

/** A write or read that failed; `symlink` marks a refused symbolic link. */
export class FileIoError extends Data.TaggedError("FileIoError")<{
  readonly path: string
  readonly reason: string
  readonly symlink: boolean
}> {}

/** The size and mtime of a file, to detect a concurrent unlocked append. */
export interface FileSignature {
  readonly size: number
  readonly mtimeNs: bigint
  readonly mode: number
}

const signatureSync = (path: string): FileSignature | null => {
  const st = fs.lstatSync(path, { bigint: true, throwIfNoEntry: false })
  return st === undefined ? null : { size: Number(st.size), mtimeNs: st.mtimeNs, mode: Number(st.mode) & 0o777 }
}

const sameSignature = (a: FileSignature | null, b: FileSignature | null): boolean =>
  a === null || b === null ? a === b : a.size === b.size && a.mtimeNs === b.mtimeNs

/** The signature of a file, or `null` when absent (symlinks not followed). */
export const signatureOf = (path: string): Effect.Effect<FileSignature | null, FileIoError> =>
  Effect.try({
    try: () => signatureSync(path),
    catch: (e) => new FileIoError({ path, reason: (e as Error).message, symlink: false })
  })

const fsyncDir = (dir: string) => {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY)
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * Writes `text` to `path` atomically. With `expect`, the rename happens only if the target still has
 * that signature (`null`: still absent); otherwise the temp file is removed and `false` returned.
 */
export const writeAtomic = (
  path: string,
  text: string,
  options: { readonly mode?: number; readonly expect?: FileSignature | null } = {}
): Effect.Effect<boolean, FileIoError> =>
  Effect.try({
    try: () => {
      const dir = dirname(path)
      const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`)
      let renamed = false
      try {
        const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, options.mode ?? 0o644)
        try {
          fs.writeFileSync(fd, text, "utf8")
          if (options.mode !== undefined) fs.fchmodSync(fd, options.mode)
          fs.fsyncSync(fd)
        } finally {
          fs.closeSync(fd)
        }
        if (options.expect !== undefined && !sameSignature(options.expect, signatureSync(path))) return false
        fs.renameSync(tmp, path)
        renamed = true
        fsyncDir(dir)
        return true
      } finally {
        if (!renamed) fs.rmSync(tmp, { force: true })
      }
    },
    catch: (e) => new FileIoError({ path, reason: (e as Error).message, symlink: false })
  })
