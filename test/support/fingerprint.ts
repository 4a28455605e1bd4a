/**
 * What "the command wrote nothing" (or "wrote only these files") compares: one walk of a directory tree,
 * read in four shapes (entries, a sorted record, a Map, one string), plus the sha256 of bytes or of a file.
 * The walk never follows a link into a directory; whether it records directories, follows links to hash
 * what they point to, and which paths it leaves out are the caller's choice (`TreeOptions`).
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"

/** The sha256 of `data` (a string is hashed as its UTF-8 bytes), as bare lowercase hex. */
export const sha256Hex = (data: Uint8Array | string): string => createHash("sha256").update(data).digest("hex")

/** The sha256 of the bytes of the file at `p` (following a link, as reading it does), as bare hex. */
export const fileSha256 = (p: string): string => sha256Hex(fs.readFileSync(p))

/** What a directory entry is (`lstat`: a link is a link, whatever it points to). */
export type EntryKind = "file" | "dir" | "link" | "other"

export interface TreeOptions {
  /**
   * Leaves out the entry at `rel` (relative to the root, "/"-separated); a left-out directory is not walked.
   * `skipNamed` and `skipDirsNamed` build the usual ones.
   */
  readonly skip?: (rel: string, kind: EntryKind) => boolean
  /** Records each directory itself ("dir"), not only what is in it. Default: no. */
  readonly dirs?: boolean
  /**
   * Records a link by the hash of the bytes it points to (reading it, so a dangling link or a link to a
   * directory throws), not by its target. Default: no, `link:<target>`.
   */
  readonly followLinks?: boolean
  /** Appends each recorded entry's `lstat` mode (octal) to its value. Default: no. */
  readonly mode?: boolean
  /** Appends each recorded entry's `lstat` size and mtime in nanoseconds to its value. Default: no. */
  readonly stat?: boolean
}

/** One recorded entry, with everything `lstat` said of it. */
export interface TreeEntry {
  readonly kind: EntryKind
  /** `sha256:<hex>` for a file (or a followed link), `dir`, `link:<target>`, or `special` (FIFO, socket, device). */
  readonly hash: string
  readonly size: bigint
  readonly mtimeNs: bigint
  readonly mode: number
}

const kindOf = (e: fs.Dirent): EntryKind => (e.isSymbolicLink() ? "link" : e.isDirectory() ? "dir" : e.isFile() ? "file" : "other")

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Every entry below `root` (not `root` itself), keyed by its path relative to `root`, in code-unit order. */
export const treeEntries = (root: string, options: TreeOptions = {}): Map<string, TreeEntry> => {
  const out: Array<[string, TreeEntry]> = []
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name)
      const rel = path.relative(root, p)
      const kind = kindOf(e)
      if (options.skip?.(rel, kind) === true) continue
      const hash = kind === "dir"
        ? "dir"
        : kind === "file" || (kind === "link" && options.followLinks === true)
        ? `sha256:${fileSha256(p)}`
        : kind === "link"
        ? `link:${fs.readlinkSync(p)}`
        : "special"
      if (kind !== "dir" || options.dirs === true) {
        const st = fs.lstatSync(p, { bigint: true })
        out.push([rel, { kind, hash, size: st.size, mtimeNs: st.mtimeNs, mode: Number(st.mode) }])
      }
      if (kind === "dir") walk(p)
    }
  }
  walk(root)
  return new Map(out.sort(([a], [b]) => byCodeUnit(a, b)))
}

const valueOf = (e: TreeEntry, options: TreeOptions): string =>
  [
    e.hash,
    ...(options.mode === true ? [`mode:${e.mode.toString(8)}`] : []),
    ...(options.stat === true ? [`size:${e.size}`, `mtimeNs:${e.mtimeNs}`] : [])
  ].join(" ")

/** The tree as a plain record, keys in code-unit order: `{ "a/b.txt": "sha256:…", "a": "dir", "l": "link:b" }`. */
export const treeHashes = (root: string, options: TreeOptions = {}): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [rel, e] of treeEntries(root, options)) out[rel] = valueOf(e, options)
  return out
}

/** `treeHashes` as a Map (same keys, same values). */
export const treeMap = (root: string, options: TreeOptions = {}): Map<string, string> => new Map(Object.entries(treeHashes(root, options)))

/** `treeHashes` folded into one string, `sha256:<hex>`: equal exactly when the records are equal. */
export const treeFingerprint = (root: string, options: TreeOptions = {}): string =>
  `sha256:${sha256Hex(JSON.stringify(Object.entries(treeHashes(root, options))))}`

/** Leaves out every entry (file, directory, link) whose name is one of `names`, at any depth. */
export const skipNamed = (...names: ReadonlyArray<string>) => (rel: string): boolean => names.includes(path.basename(rel))

/** Leaves out every directory whose name is one of `names`, at any depth (a file of that name stays in). */
export const skipDirsNamed = (...names: ReadonlyArray<string>) => (rel: string, kind: EntryKind): boolean =>
  kind === "dir" && names.includes(path.basename(rel))
