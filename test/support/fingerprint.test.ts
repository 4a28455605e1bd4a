/**
 * The tree fingerprint the "wrote nothing" assertions rest on (test/support/tree.ts): each change it must
 * notice is made on a copy and shown to change the value; an excluded path is shown not to.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { makeTemp, removeTemp } from "./repo.js"
import { fileSha256, sha256Hex, skipDirsNamed, skipNamed, treeEntries, treeFingerprint, treeHashes, treeMap } from "./fingerprint.js"
import type { TreeOptions } from "./fingerprint.js"

const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

const T0 = new Date("2026-01-02T03:04:05.000Z")

/** a.txt, d/b.txt, link -> a.txt, .git/objects/o, .git/HEAD; every mtime fixed. */
const sample = (): string => {
  const root = path.join(makeTemp("kittyctx-treetest-"), "root")
  temps.push(path.dirname(root))
  fs.mkdirSync(path.join(root, "d"), { recursive: true })
  fs.mkdirSync(path.join(root, ".git", "objects"), { recursive: true })
  fs.writeFileSync(path.join(root, "a.txt"), "alpha\n")
  fs.writeFileSync(path.join(root, "d", "b.txt"), "beta\n")
  fs.writeFileSync(path.join(root, ".git", "objects", "o"), "object\n")
  fs.writeFileSync(path.join(root, ".git", "HEAD"), "ref: refs/heads/main\n")
  fs.symlinkSync("a.txt", path.join(root, "link"))
  for (const p of ["a.txt", "d/b.txt", ".git/objects/o", ".git/HEAD", "d", ".git/objects", ".git"]) fs.utimesSync(path.join(root, p), T0, T0)
  return root
}

/** `change` applied to a fresh sample: did `treeHashes` (and `treeFingerprint`) see it? */
const seen = (change: (root: string) => void, options: TreeOptions = {}): boolean => {
  const root = sample()
  const before = { record: treeHashes(root, options), one: treeFingerprint(root, options) }
  change(root)
  const after = { record: treeHashes(root, options), one: treeFingerprint(root, options) }
  assert.strictEqual(after.one === before.one, JSON.stringify(after.record) === JSON.stringify(before.record), "the two shapes agree")
  return after.one !== before.one
}

describe("treeHashes", () => {
  it("a plain sorted record: files by sha256, links by target, directories only when asked", () => {
    const root = sample()
    assert.deepStrictEqual(treeHashes(root), {
      ".git/HEAD": `sha256:${sha256Hex("ref: refs/heads/main\n")}`,
      ".git/objects/o": `sha256:${sha256Hex("object\n")}`,
      "a.txt": `sha256:${sha256Hex("alpha\n")}`,
      "d/b.txt": `sha256:${sha256Hex("beta\n")}`,
      "link": "link:a.txt"
    })
    assert.deepStrictEqual(Object.keys(treeHashes(root, { dirs: true })), [".git", ".git/HEAD", ".git/objects", ".git/objects/o", "a.txt", "d", "d/b.txt", "link"])
    assert.strictEqual(treeHashes(root, { followLinks: true }).link, `sha256:${fileSha256(path.join(root, "a.txt"))}`)
    assert.strictEqual(treeHashes(root, { stat: true })["a.txt"], `sha256:${sha256Hex("alpha\n")} size:6 mtimeNs:${BigInt(T0.getTime()) * 1_000_000n}`)
    assert.deepStrictEqual([...treeMap(root).entries()], Object.entries(treeHashes(root)))
    assert.strictEqual(treeEntries(root, { dirs: true }).get("d")?.kind, "dir")
  })

  it("notices a changed byte, an added file, a removed file", () => {
    assert.isTrue(seen((r) => fs.writeFileSync(path.join(r, "d", "b.txt"), "bett\n")), "changed byte")
    assert.isTrue(seen((r) => fs.writeFileSync(path.join(r, "d", "c.txt"), "")), "added empty file")
    assert.isTrue(seen((r) => fs.rmSync(path.join(r, "a.txt"))), "removed file")
    assert.isTrue(seen((r) => fs.writeFileSync(path.join(r, "a.txt"), "ALPHA\n"), { followLinks: true }), "changed byte behind a followed link")
    assert.isTrue(seen((r) => fs.mkdirSync(path.join(r, "e")), { dirs: true }), "added empty directory, when directories are recorded")
    assert.isFalse(seen((r) => fs.mkdirSync(path.join(r, "e"))), "an empty directory is no entry by default")
  })

  it("notices a changed mtime only when asked to", () => {
    const touch = (r: string) => fs.utimesSync(path.join(r, "a.txt"), T0, new Date(T0.getTime() + 1))
    assert.isTrue(seen(touch, { stat: true }))
    assert.isFalse(seen(touch))
    const touchDir = (r: string) => fs.utimesSync(path.join(r, "d"), T0, new Date(T0.getTime() + 1))
    assert.isTrue(seen(touchDir, { dirs: true, stat: true }), "a directory's mtime, when directories are recorded")
    assert.isTrue(seen((r) => fs.chmodSync(path.join(r, "a.txt"), 0o600), { mode: true }), "mode, when asked")
  })

  it("ignores an excluded path, and only that path", () => {
    const inObjects = (r: string) => fs.writeFileSync(path.join(r, ".git", "objects", "o"), "other\n")
    assert.isTrue(seen(inObjects), "seen without the exclusion")
    assert.isFalse(seen(inObjects, { skip: skipDirsNamed("objects") }))
    assert.isTrue(seen((r) => fs.writeFileSync(path.join(r, ".git", "HEAD"), "x\n"), { skip: skipDirsNamed("objects") }), "the rest of .git is still seen")
    assert.isFalse(seen((r) => fs.writeFileSync(path.join(r, ".git", "HEAD"), "x\n"), { skip: skipNamed(".git") }))
    // skipDirsNamed leaves a file of that name in; skipNamed takes it out
    assert.isTrue(seen((r) => fs.writeFileSync(path.join(r, "d", "objects"), "f\n"), { skip: skipDirsNamed("objects") }))
    assert.isFalse(seen((r) => fs.writeFileSync(path.join(r, "d", ".git"), "gitdir: x\n"), { skip: skipNamed(".git") }))
  })
})
