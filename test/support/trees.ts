/**
 * One tree, built two ways: on disk in a temp directory (real files, symbolic links, a FIFO) and in a
 * `MemoryFs`, so a port's contract suite runs the same checks against its live and memory layers.
 */
import type { Layer } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { MemoryFs } from "../../src/services/ports/MemoryFs.js"
import type { MemoryTree } from "../../src/services/ports/MemoryFs.js"
import { makeTemp, removeTemp } from "./repo.js"

/** A tree built for one test: its root, the layer under test, and how to throw it away. */
export interface TreeFixture<S> {
  readonly root: string
  readonly layer: Layer.Layer<S>
  readonly dispose: () => void
}

/** The contract tree: relative paths to contents, links and special files. */
export const TREE: MemoryTree = {
  "a.txt": "alpha\n",
  "dir/utf8.txt": "héllo ✓\n",
  "latin1.txt": new Uint8Array([0x61, 0x6c, 0x70, 0x68, 0x61, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a]),
  "link-to-a": { symlink: "a.txt" },
  "link-to-dir": { symlink: "dir" },
  "dangling": { symlink: "nowhere" },
  "fifo": { special: "fifo" }
}

/** Writes `tree` below `root` on disk. */
export const writeTree = (root: string, tree: MemoryTree): void => {
  for (const [rel, value] of Object.entries(tree)) {
    const p = path.join(root, rel)
    if (rel.endsWith("/")) {
      fs.mkdirSync(p, { recursive: true })
      continue
    }
    fs.mkdirSync(path.dirname(p), { recursive: true })
    if (typeof value === "string" || value instanceof Uint8Array) fs.writeFileSync(p, value)
    else if ("symlink" in value) fs.symlinkSync(value.symlink, p)
    else if (value.special === "fifo") {
      const r = spawnSync("mkfifo", [p])
      if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`)
    } else throw new Error(`cannot build a ${value.special} here`)
  }
}

/** The tree on disk, in a fresh temp directory. */
export const liveTree = <S>(tree: MemoryTree, layer: (root: string) => Layer.Layer<S>): TreeFixture<S> => {
  const base = makeTemp("kittyctx-tree-")
  const root = path.join(base, "root")
  fs.mkdirSync(root)
  writeTree(root, tree)
  return { root, layer: layer(root), dispose: () => removeTemp(base) }
}

/** The same tree in memory, below `/mem/root`. */
export const memoryTree = <S>(tree: MemoryTree, layer: (mem: MemoryFs, root: string) => Layer.Layer<S>): TreeFixture<S> => {
  const root = "/mem/root"
  const rooted: Record<string, MemoryTree[string]> = { [`${root}/`]: "" }
  for (const [rel, value] of Object.entries(tree)) rooted[`${root}/${rel}`] = value
  delete rooted[`${root}/`]
  const mem = new MemoryFs({ ...rooted, [`${root}/`]: "" })
  return { root, layer: layer(mem, root), dispose: () => {} }
}
