/**
 * The contract of the read port, run against every implementation (the live layer on a real
 * directory, the memory layer on a `MemoryFs`): the same tree gives the same answers, including the
 * refusals (symbolic links under `noFollow`, non-regular files, text that is not UTF-8, size limits).
 * `repoFsContract` is exported so that another implementation can be held to it.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as RepoFs from "../../../src/services/ports/RepoFs.js"
import { liveTree, memoryTree, TREE } from "../../support/trees.js"
import type { TreeFixture } from "../../support/trees.js"

const failureCode = <A>(e: Either.Either<A, { readonly code: string }>) => (Either.isLeft(e) ? e.left.code : "ok")

/** Registers the contract tests for one implementation; `make` builds a fixture of `TREE`. */
export const repoFsContract = (name: string, make: () => TreeFixture<RepoFs.RepoFs>) =>
  describe(`RepoFs contract: ${name}`, () => {
    const withFs = <A, E>(f: (fs: RepoFs.RepoFs["Type"], root: string) => Effect.Effect<A, E>) => {
      const fixture = make()
      return Effect.flatMap(RepoFs.RepoFs, (fs) => f(fs, fixture.root)).pipe(
        Effect.provide(fixture.layer),
        Effect.ensuring(Effect.sync(fixture.dispose))
      )
    }

    it.effect("kinds: files, directories, links followed, other nodes, absence", () =>
      withFs((fs, root) =>
        Effect.gen(function*() {
          assert.strictEqual(yield* fs.kind(`${root}/a.txt`), "File")
          assert.strictEqual(yield* fs.kind(`${root}/dir`), "Directory")
          assert.strictEqual(yield* fs.kind(`${root}/link-to-a`), "File")
          assert.strictEqual(yield* fs.kind(`${root}/link-to-dir`), "Directory")
          assert.strictEqual(yield* fs.kind(`${root}/fifo`), "Other")
          assert.isNull(yield* fs.kind(`${root}/missing`))
          assert.isNull(yield* fs.kind(`${root}/a.txt/below-a-file`))
          assert.isNull(yield* fs.kind(`${root}/dangling`))
        })))

    it.effect("text: strict UTF-8 with the line of the first bad byte; absent is null", () =>
      withFs((fs, root) =>
        Effect.gen(function*() {
          assert.strictEqual(yield* fs.readText(`${root}/a.txt`), "alpha\n")
          assert.strictEqual(yield* fs.readText(`${root}/dir/utf8.txt`), "héllo ✓\n")
          assert.isNull(yield* fs.readText(`${root}/missing`))
          const bad = yield* Effect.either(fs.readText(`${root}/latin1.txt`))
          assert.strictEqual(failureCode(bad), "FILE_NOT_UTF8")
          if (Either.isLeft(bad)) assert.deepInclude(bad.left.details, { line: 2, byte_offset: 9 })
          const bytes = yield* fs.readBytes(`${root}/latin1.txt`)
          assert.deepStrictEqual([...(bytes ?? [])].slice(6, 10), [0x63, 0x61, 0x66, 0xe9])
        })))

    it.effect("links: followed by default, refused with noFollow, dangling reads as absent", () =>
      withFs((fs, root) =>
        Effect.gen(function*() {
          assert.strictEqual(yield* fs.readText(`${root}/link-to-a`), "alpha\n")
          assert.strictEqual(failureCode(yield* Effect.either(fs.readText(`${root}/link-to-a`, { noFollow: true }))), "SYMLINK_REFUSED")
          assert.strictEqual(yield* fs.readText(`${root}/link-to-dir/utf8.txt`, { noFollow: true }), "héllo ✓\n")
          assert.isNull(yield* fs.readText(`${root}/dangling`))
        })))

    it.effect("non-regular files and size limits are refused before anything is read", () =>
      withFs((fs, root) =>
        Effect.gen(function*() {
          assert.strictEqual(failureCode(yield* Effect.either(fs.readText(`${root}/fifo`))), "NOT_A_REGULAR_FILE")
          assert.strictEqual(failureCode(yield* Effect.either(fs.readBytes(`${root}/fifo`))), "NOT_A_REGULAR_FILE")
          assert.strictEqual(failureCode(yield* Effect.either(fs.readText(`${root}/dir`))), "NOT_A_REGULAR_FILE")
          assert.strictEqual(failureCode(yield* Effect.either(fs.readText(`${root}/a.txt`, { maxBytes: 3 }))), "FILE_TOO_LARGE")
          assert.strictEqual(yield* fs.readText(`${root}/a.txt`, { maxBytes: 6 }), "alpha\n")
        })))

    it.effect("entries: sorted, with kinds seen through links; absent is null", () =>
      withFs((fs, root) =>
        Effect.gen(function*() {
          const entries = yield* fs.entries(root)
          assert.deepStrictEqual(entries, [
            { name: "a.txt", kind: "File" },
            { name: "dangling", kind: "Other" },
            { name: "dir", kind: "Directory" },
            { name: "fifo", kind: "Other" },
            { name: "latin1.txt", kind: "File" },
            { name: "link-to-a", kind: "File" },
            { name: "link-to-dir", kind: "Directory" }
          ])
          assert.isNull(yield* fs.entries(`${root}/missing`))
        })))

    it.effect("chunks: a byte range in chunks of any size, stopping early; links and FIFOs refused; absent is null", () =>
      withFs((fs, root) =>
        Effect.gen(function*() {
          const seen: Array<string> = []
          const sig = yield* fs.readChunks(`${root}/latin1.txt`, { from: 2, chunkBytes: 3 }, (c) => void seen.push(Buffer.from(c).toString("latin1")))
          assert.deepStrictEqual(seen, ["pha", "\nca", "f\xe9\n"])
          assert.deepInclude(sig, { size: 11, isSymlink: false })
          const range = yield* RepoFs.readRange(fs, `${root}/a.txt`, { from: 1, to: 4 })
          assert.strictEqual(Buffer.from(range?.bytes ?? []).toString(), "lph")
          let calls = 0
          yield* fs.readChunks(`${root}/a.txt`, { chunkBytes: 1 }, () => (calls++, false))
          assert.strictEqual(calls, 1, "visit returning false stops the read")
          assert.isNull(yield* fs.readChunks(`${root}/missing`, {}, () => {}))
          assert.strictEqual(failureCode(yield* Effect.either(fs.readChunks(`${root}/fifo`, {}, () => {}))), "NOT_A_REGULAR_FILE")
          assert.strictEqual(
            failureCode(yield* Effect.either(fs.readChunks(`${root}/link-to-a`, { noFollow: true }, () => {}))),
            "SYMLINK_REFUSED"
          )
          const sig2 = yield* fs.signature(`${root}/a.txt`)
          const sig3 = yield* fs.readChunks(`${root}/a.txt`, {}, () => {})
          assert.deepStrictEqual([sig3?.ino, sig3?.dev, sig3?.ctimeNs], [sig2?.ino, sig2?.dev, sig2?.ctimeNs], "the same identity")
        })))

    it.effect("realpath resolves every link; signature sees the link itself", () =>
      withFs((fs, root) =>
        Effect.gen(function*() {
          assert.strictEqual(yield* fs.realpath(`${root}/link-to-dir/utf8.txt`), `${root}/dir/utf8.txt`)
          assert.strictEqual(yield* fs.realpath(`${root}/dir/../link-to-a`), `${root}/a.txt`)
          assert.isNull(yield* fs.realpath(`${root}/dangling`))
          const file = yield* fs.signature(`${root}/a.txt`)
          assert.deepInclude(file, { size: 6, isSymlink: false })
          assert.isTrue((yield* fs.signature(`${root}/link-to-a`))?.isSymlink)
          assert.isNull(yield* fs.signature(`${root}/missing`))
        })))
  })

repoFsContract("live", () => liveTree(TREE, () => RepoFs.layer))
repoFsContract("memory", () => memoryTree(TREE, (mem) => RepoFs.layerMemoryFs(mem)))
