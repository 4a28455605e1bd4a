/**
 * The contract of the write port, run against the live layer (a real directory) and the memory layer
 * (a `MemoryFs`): atomic replacement with the concurrent-change check, containment in the scope's roots
 * after every parent's link is resolved, no writing through a link, directory creation and removal.
 * The outcome of each write is read back through `RepoFs` over the same state.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Processes from "../../../src/services/ports/Processes.js"
import * as RepoFs from "../../../src/services/ports/RepoFs.js"
import * as RepoWrite from "../../../src/services/ports/RepoWrite.js"
import { liveTree, memoryTree } from "../../support/trees.js"
import type { TreeFixture } from "../../support/trees.js"

/** The tree a write test starts from: an inside root with links that lead inside and outside it. */
const WRITE_TREE = {
  "inside/keep.txt": "kept\n",
  "inside/sub/": "",
  "outside/": "",
  "inside/escape": { symlink: "../outside" },
  "inside/loop-in": { symlink: "sub" },
  "inside/file-link": { symlink: "keep.txt" },
  "inside/fifo": { special: "fifo" },
  "inside/escape-file": { symlink: "../outside/target.txt" },
  "outside/target.txt": "theirs\n"
} as const

type Both = RepoFs.RepoFs | RepoWrite.RepoWrite
type RepoWriteError = { readonly code: string }

const codeOf = <A>(e: Either.Either<A, { readonly code: string }>) => (Either.isLeft(e) ? e.left.code : "ok")

/** Registers the write-port contract for one implementation. */
export const repoWriteContract = (name: string, make: () => TreeFixture<Both>) =>
  describe(`RepoWrite contract: ${name}`, () => {
    const run = <A, E>(f: (w: RepoWrite.RepoWrite["Type"], r: RepoFs.RepoFs["Type"], root: string) => Effect.Effect<A, E>) => {
      const fixture = make()
      return Effect.gen(function*() {
        return yield* f(yield* RepoWrite.RepoWrite, yield* RepoFs.RepoFs, fixture.root)
      }).pipe(Effect.provide(fixture.layer), Effect.ensuring(Effect.sync(fixture.dispose)))
    }
    const scopeOf = (root: string): RepoWrite.WriteScope => ({ roots: [`${root}/inside`] })

    it.effect("writes a new file, replaces an existing one, keeps its mode", () =>
      run((w, r, root) =>
        Effect.gen(function*() {
          const scope = scopeOf(root)
          assert.isTrue(yield* w.writeFile(scope, `${root}/inside/new.txt`, "one\n"))
          assert.strictEqual(yield* r.readText(`${root}/inside/new.txt`), "one\n")
          assert.isTrue(yield* w.writeFile(scope, `${root}/inside/keep.txt`, new TextEncoder().encode("two\n")))
          assert.strictEqual(yield* r.readText(`${root}/inside/keep.txt`), "two\n")
          assert.isTrue(yield* w.writeFile(scope, `${root}/inside/x.sh`, "#!/bin/sh\n", { mode: 0o755 }))
          assert.strictEqual((yield* r.signature(`${root}/inside/x.sh`))?.mode, 0o755)
          assert.isTrue(yield* w.writeFile(scope, `${root}/inside/x.sh`, "#!/bin/sh\nexit 0\n"))
          assert.strictEqual((yield* r.signature(`${root}/inside/x.sh`))?.mode, 0o755)
        })))

    it.effect("expect: replaces only while the file has the signature it was read with", () =>
      run((w, r, root) =>
        Effect.gen(function*() {
          const scope = scopeOf(root)
          const file = `${root}/inside/keep.txt`
          const before = yield* r.signature(file)
          assert.isTrue(yield* w.writeFile(scope, file, "first\n", { expect: before }))
          assert.isFalse(yield* w.writeFile(scope, file, "stale\n", { expect: before }), "the file changed since")
          assert.strictEqual(yield* r.readText(file), "first\n")
          assert.isFalse(yield* w.writeFile(scope, file, "again\n", { expect: null }), "expected absent, but it exists")
          assert.isTrue(yield* w.writeFile(scope, `${root}/inside/fresh.txt`, "x\n", { expect: null }))
        })))

    it.effect("containment: a target whose real parent is outside the scope is refused, nothing written", () =>
      run((w, r, root) =>
        Effect.gen(function*() {
          const scope = scopeOf(root)
          const through = yield* Effect.either(w.writeFile(scope, `${root}/inside/escape/x.txt`, "no\n"))
          assert.strictEqual(codeOf(through), "PATH_OUTSIDE_REPOSITORY")
          if (Either.isLeft(through)) assert.strictEqual(through.left.details.real_path, `${root}/outside/x.txt`)
          assert.isNull(yield* r.kind(`${root}/outside/x.txt`))
          assert.strictEqual(codeOf(yield* Effect.either(w.writeFile(scope, `${root}/outside/y.txt`, "no\n"))), "PATH_OUTSIDE_REPOSITORY")
          assert.strictEqual(
            codeOf(yield* Effect.either(w.makeDirectory(scope, `${root}/inside/escape/deep/er`))),
            "PATH_OUTSIDE_REPOSITORY"
          )
          assert.isNull(yield* r.kind(`${root}/outside/deep`))
          assert.strictEqual(codeOf(yield* Effect.either(w.remove(scope, `${root}/inside/escape/..`))), "PATH_OUTSIDE_REPOSITORY")
          assert.isTrue(yield* w.writeFile(scope, `${root}/inside/loop-in/ok.txt`, "in\n"), "a link that stays inside is fine")
          assert.strictEqual(yield* r.readText(`${root}/inside/sub/ok.txt`), "in\n")
        })))

    it.effect("a link at the target is never written through", () =>
      run((w, r, root) =>
        Effect.gen(function*() {
          const e = yield* Effect.either(w.writeFile(scopeOf(root), `${root}/inside/file-link`, "no\n"))
          assert.strictEqual(codeOf(e), "SYMLINK_REFUSED")
          assert.strictEqual(yield* r.readText(`${root}/inside/keep.txt`), "kept\n")
        })))

    it.effect("append: one write at the end, in place (same inode), the offset it landed at; a new file is created", () =>
      run((w, r, root) =>
        Effect.gen(function*() {
          const scope = scopeOf(root)
          const file = `${root}/inside/keep.txt`
          const before = yield* r.signature(file)
          const first = yield* w.append(scope, file, "one\n")
          assert.strictEqual(first.offset, 5)
          assert.deepStrictEqual([first.after.size, first.after.ino, first.after.dev], [9, before?.ino, before?.dev])
          const second = yield* w.append(scope, file, new TextEncoder().encode("two\n"))
          assert.strictEqual(second.offset, 9)
          assert.strictEqual(yield* r.readText(file), "kept\none\ntwo\n")
          assert.isTrue(second.after.ctimeNs >= first.after.ctimeNs)
          const fresh = yield* w.append(scope, `${root}/inside/new.log`, "x\n", { mode: 0o600 })
          assert.strictEqual(fresh.offset, 0)
          assert.strictEqual((yield* r.signature(`${root}/inside/new.log`))?.mode, 0o600)
        })))

    it.effect("append and truncate refuse links, FIFOs and targets outside the scope; nothing is written", () =>
      run((w, r, root) =>
        Effect.gen(function*() {
          const scope = scopeOf(root)
          const ops: ReadonlyArray<(p: string) => Effect.Effect<unknown, RepoWriteError>> = [(p) => w.append(scope, p, "no\n"), (p) => w.truncate(scope, p, 0)]
          for (const op of ops) {
            assert.strictEqual(codeOf(yield* Effect.either(op(`${root}/inside/file-link`))), "SYMLINK_REFUSED")
            assert.strictEqual(codeOf(yield* Effect.either(op(`${root}/inside/escape-file`))), "SYMLINK_REFUSED")
            assert.strictEqual(codeOf(yield* Effect.either(op(`${root}/inside/fifo`))), "NOT_A_REGULAR_FILE")
            assert.strictEqual(codeOf(yield* Effect.either(op(`${root}/inside/escape/target.txt`))), "PATH_OUTSIDE_REPOSITORY")
            assert.strictEqual(codeOf(yield* Effect.either(op(`${root}/outside/target.txt`))), "PATH_OUTSIDE_REPOSITORY")
          }
          assert.strictEqual(yield* r.readText(`${root}/inside/keep.txt`), "kept\n")
          assert.strictEqual(yield* r.readText(`${root}/outside/target.txt`), "theirs\n")
          assert.strictEqual(yield* r.kind(`${root}/inside/fifo`), "Other")
        })))

    it.effect("truncate cuts a torn tail back in place and never grows a file", () =>
      run((w, r, root) =>
        Effect.gen(function*() {
          const scope = scopeOf(root)
          const file = `${root}/inside/keep.txt`
          const ino = (yield* r.signature(file))?.ino
          yield* w.append(scope, file, "{\"torn")
          const after = yield* w.truncate(scope, file, 5)
          assert.deepStrictEqual([after.size, after.ino], [5, ino])
          assert.strictEqual(yield* r.readText(file), "kept\n")
          assert.strictEqual(codeOf(yield* Effect.either(w.truncate(scope, file, 6))), "WRITE_FAILED")
          assert.strictEqual(codeOf(yield* Effect.either(w.truncate(scope, `${root}/inside/absent`, 0))), "WRITE_FAILED")
        })))

    it.effect("directories: created with their parents; removal takes everything below", () =>
      run((w, r, root) =>
        Effect.gen(function*() {
          const scope = scopeOf(root)
          yield* w.makeDirectory(scope, `${root}/inside/a/b/c`)
          assert.strictEqual(yield* r.kind(`${root}/inside/a/b/c`), "Directory")
          yield* w.makeDirectory(scope, `${root}/inside/a/b/c`)
          assert.isTrue(yield* w.writeFile(scope, `${root}/inside/a/b/c/f.txt`, "f\n"))
          yield* w.remove(scope, `${root}/inside/a`)
          assert.isNull(yield* r.kind(`${root}/inside/a`))
          yield* w.remove(scope, `${root}/inside/a`)
        })))
  })

repoWriteContract("live", () =>
  liveTree(WRITE_TREE, () => Layer.mergeAll(RepoFs.layer, RepoWrite.layer.pipe(Layer.provide(Processes.layer)))))
repoWriteContract("memory", () => memoryTree(WRITE_TREE, (mem) => Layer.mergeAll(RepoFs.layerMemoryFs(mem), RepoWrite.layerMemoryFs(mem))))

describe("RepoWrite live: crash leftovers", () => {
  it.effect("a temp file left by a dead writer is swept by the next write to the same target", () => {
    const fixture = liveTree({ "inside/status.json": "{}\n" }, () => RepoWrite.layer.pipe(Layer.provide(Processes.layer)))
    const dir = path.join(fixture.root, "inside")
    // a pid that names no process: the highest pid the kernel hands out, plus one
    const maxPid = Number(fs.readFileSync("/proc/sys/kernel/pid_max", "utf8").trim()) + 1
    const orphan = path.join(dir, RepoWrite.tempNameOf("status.json", maxPid, "0123456789ab"))
    const live = path.join(dir, RepoWrite.tempNameOf("status.json", process.ppid, "ba9876543210"))
    const other = path.join(dir, RepoWrite.tempNameOf("other.json", maxPid, "0123456789ab"))
    for (const f of [orphan, live, other]) fs.writeFileSync(f, "partial")
    return Effect.gen(function*() {
      const w = yield* RepoWrite.RepoWrite
      yield* w.writeFile({ roots: [dir] }, path.join(dir, "status.json"), "{\"a\": 1}\n")
      assert.isFalse(fs.existsSync(orphan), "the dead writer's temp file is gone")
      assert.isTrue(fs.existsSync(live), "a live writer's temp file is kept")
      assert.isTrue(fs.existsSync(other), "another target's temp file is not this write's business")
    }).pipe(Effect.provide(fixture.layer), Effect.ensuring(Effect.sync(fixture.dispose)))
  })
})
