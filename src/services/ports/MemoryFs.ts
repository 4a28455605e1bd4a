/**
 * An in-memory file system: the state behind the memory layers of `RepoFs` (reads) and `RepoWrite`
 * (writes), so one program can run against real disks or against memory (the parity ratchet, the
 * status facade's contract tests). It models what the live layers care about: regular files with bytes,
 * mode and a change counter, directories, symbolic links, and special files (FIFOs) that reads refuse.
 */
import { basenamePath, dirnamePath, isAbsolutePath, joinPath, normalizePath } from "../../core/repo/Paths.js"

/** One node of the tree. */
export type MemoryNode =
  | { readonly _tag: "File"; bytes: Uint8Array; mode: number; mtimeNs: bigint; ctimeNs: bigint; readonly ino: number }
  | { readonly _tag: "Dir" }
  | { readonly _tag: "Symlink"; readonly target: string }
  | { readonly _tag: "Special"; readonly kind: "fifo" | "socket" | "device" }

/** A tree to start from: file paths to their text, `{ symlink }`, `{ special }`; a key ending in `/` is a directory. */
export type MemoryTree = Readonly<
  Record<string, string | Uint8Array | { readonly symlink: string } | { readonly special: "fifo" | "socket" | "device" }>
>

const encoder = new TextEncoder()

/** A resolved lookup: the canonical path and the node there (null when absent). */
export interface Lookup {
  readonly path: string
  readonly node: MemoryNode | null
}

/** The mutable in-memory file system. */
export class MemoryFs {
  readonly nodes = new Map<string, MemoryNode>([["/", { _tag: "Dir" }]])
  private tick = 1n
  private inode = 1

  constructor(tree: MemoryTree = {}) {
    for (const [raw, value] of Object.entries(tree)) {
      if (raw.endsWith("/")) {
        this.mkdirp(normalizePath(raw))
        continue
      }
      const path = normalizePath(raw)
      this.mkdirp(dirnamePath(path))
      if (typeof value === "string" || value instanceof Uint8Array) this.putFile(path, value)
      else if ("symlink" in value) this.nodes.set(path, { _tag: "Symlink", target: value.symlink })
      else this.nodes.set(path, { _tag: "Special", kind: value.special })
    }
  }

  /** The next modification stamp (strictly increasing). */
  nextTick(): bigint {
    this.tick += 1000n
    return this.tick
  }

  /** Creates a directory and its missing parents (no symlink resolution: for building trees). */
  mkdirp(path: string): void {
    if (path === "/" || this.nodes.get(path)?._tag === "Dir") return
    this.mkdirp(dirnamePath(path))
    this.nodes.set(path, { _tag: "Dir" })
  }

  /** Writes a regular file at a canonical path. */
  putFile(path: string, data: string | Uint8Array, mode = 0o644): void {
    const bytes = typeof data === "string" ? encoder.encode(data) : data
    const tick = this.nextTick()
    this.nodes.set(path, { _tag: "File", bytes, mode, mtimeNs: tick, ctimeNs: tick, ino: this.inode++ })
  }

  /** Changes a regular file's bytes in place (same inode), as an append or a truncation does. */
  changeFile(node: Extract<MemoryNode, { _tag: "File" }>, bytes: Uint8Array): void {
    node.bytes = bytes
    node.mtimeNs = node.ctimeNs = this.nextTick()
  }

  /**
   * Resolves `path` component by component, following symbolic links in every parent and, when
   * `followLast`, in the last component; `null` when a parent is missing or not a directory.
   */
  lookup(path: string, followLast: boolean, depth = 0): Lookup | null {
    if (depth > 40) return null
    const parts = normalizePath(path).split("/").filter((p) => p !== "")
    let current = "/"
    for (let i = 0; i < parts.length; i++) {
      const next = joinPath(current, parts[i])
      const node = this.nodes.get(next) ?? null
      const last = i === parts.length - 1
      if (node !== null && node._tag === "Symlink" && (!last || followLast)) {
        const target = isAbsolutePath(node.target) ? node.target : joinPath(current, node.target)
        const resolved = this.lookup(target, true, depth + 1)
        if (resolved === null) return null
        if (last) return resolved
        if (resolved.node?._tag !== "Dir") return null
        current = resolved.path
        continue
      }
      if (last) return { path: next, node }
      if (node === null || node._tag !== "Dir") return null
      current = next
    }
    return { path: current, node: this.nodes.get(current) ?? null }
  }

  /** The names directly under a canonical directory path, sorted. */
  childrenOf(dir: string): Array<string> {
    const prefix = dir === "/" ? "/" : dir + "/"
    const names: Array<string> = []
    for (const p of this.nodes.keys()) {
      if (p !== dir && p.startsWith(prefix) && !p.slice(prefix.length).includes("/")) names.push(basenamePath(p))
    }
    return names.sort()
  }

  /** Removes a canonical path and everything below it. */
  removeTree(path: string): void {
    const prefix = path + "/"
    for (const p of [...this.nodes.keys()]) if (p === path || p.startsWith(prefix)) this.nodes.delete(p)
  }
}
