import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as EventIds from "../../../src/services/ports/EventIds.js"
import { GIT_OP_MARKERS, gitdirsOf, gitOperationInProgress } from "../../../src/services/ports/GitFiles.js"
import * as MissionStatus from "../../../src/services/status/MissionStatus.js"
import { resolveStatusTarget } from "../../../src/services/context/ResolveContext.js"
import { makeMainLayer } from "../../../src/services/MainLayer.js"
import { layerFixed as settingsFixed } from "../../../src/services/ports/Settings.js"
import { commitAll, git, isolatedEnv, makeRepo, missionFiles, removeTemp, runCli, writeFiles } from "../../support/repo.js"

const live = makeMainLayer({ eventIds: EventIds.layerFixed(1_700_000_000_000_000n), settings: settingsFixed() })
const run = <A, E>(effect: Effect.Effect<A, E, any>) => Effect.runPromise(Effect.provide(effect, live) as Effect.Effect<A, E>)

const withRepo = async (f: (root: string) => Promise<void>) => {
  const root = makeRepo()
  try {
    await f(root)
  } finally {
    removeTemp(path.dirname(root))
  }
}

describe("git-operation detector (filesystem only)", () => {
  it("each marker in .git turns the detector on; removing it turns it off", () =>
    withRepo(async (root) => {
      assert.isNull(await run(gitOperationInProgress(root)))
      for (const marker of GIT_OP_MARKERS) {
        const p = path.join(root, ".git", marker)
        if (marker.startsWith("rebase")) fs.mkdirSync(p)
        else fs.writeFileSync(p, "")
        assert.strictEqual(await run(gitOperationInProgress(path.join(root, ".kittify"))), p, marker)
        fs.rmSync(p, { recursive: true })
        assert.isNull(await run(gitOperationInProgress(root)), marker)
      }
    }))

  it("a directory outside any repository answers no", async () => {
    const dir = fs.mkdtempSync(path.join(fs.realpathSync("/tmp"), "kittyctx-nogit-"))
    try {
      assert.isNull(await run(gitOperationInProgress(dir)))
    } finally {
      removeTemp(dir)
    }
  })

  it("a linked worktree checks its own gitdir and the common dir, with absolute or relative pointers", () =>
    withRepo(async (root) => {
      git(root, ["branch", "lane"])
      const wt = path.join(root, ".worktrees", "wt")
      git(root, ["worktree", "add", "-q", wt, "lane"])
      const own = path.join(root, ".git", "worktrees", "wt")
      assert.deepStrictEqual(await run(gitdirsOf(wt)), [own, path.join(root, ".git")])
      fs.mkdirSync(path.join(own, "rebase-merge"))
      assert.strictEqual(await run(gitOperationInProgress(wt)), path.join(own, "rebase-merge"))
      assert.isNull(await run(gitOperationInProgress(root)), "the primary checkout is not rebasing")
      fs.rmSync(path.join(own, "rebase-merge"), { recursive: true })
      fs.writeFileSync(path.join(root, ".git", "index.lock"), "")
      assert.strictEqual(await run(gitOperationInProgress(wt)), path.join(root, ".git", "index.lock"))
      fs.rmSync(path.join(root, ".git", "index.lock"))
      // rewrite the pointer relative, as git >= 2.48 with worktree.useRelativePaths writes it
      fs.writeFileSync(path.join(wt, ".git"), "gitdir: ../../.git/worktrees/wt\n")
      assert.deepStrictEqual(await run(gitdirsOf(wt)), [own, path.join(root, ".git")])
      fs.writeFileSync(path.join(own, "MERGE_HEAD"), "")
      assert.strictEqual(await run(gitOperationInProgress(path.join(wt, ".kittify"))), path.join(own, "MERGE_HEAD"))
    }))
})

describe("SC-5: a real conflicted rebase never rewrites tracked or derived status", () => {
  it("materializeIfStale skips during the rebase and regenerates byte-identically after --continue", () =>
    withRepo(async (root) => {
      const slug = "rebase-mission"
      writeFiles(root, { ...missionFiles(slug, "01JZREBASE0000000000000000", ["WP01", "WP02"]), "conflict.txt": "base\n" })
      commitAll(root, "baseline")
      const target = await run(resolveStatusTarget({ cwd: root, mission: slug }))
      const first = await run(Effect.flatMap(MissionStatus.MissionStatus, (s) => s.materializeIfStale(target)))
      assert.isTrue(first.regenerated)
      const sentinel = path.join(root, ".kittify", "derived", slug, "status.json")
      const before = fs.readFileSync(sentinel, "utf8")
      commitAll(root, "materialized")

      git(root, ["checkout", "-q", "-b", "kitty/mission-rebase-mission"])
      fs.writeFileSync(path.join(root, "conflict.txt"), "mission-line\n")
      commitAll(root, "mission side")
      git(root, ["checkout", "-q", "main"])
      fs.writeFileSync(path.join(root, "conflict.txt"), "main-line\n")
      commitAll(root, "main side")
      git(root, ["checkout", "-q", "kitty/mission-rebase-mission"])
      const env = isolatedEnv(path.dirname(root), { GIT_EDITOR: "true" })
      let failed = false
      try {
        git(root, ["rebase", "main"], env)
      } catch {
        failed = true
      }
      assert.isTrue(failed, "the rebase must stop on the conflict")
      assert.isNotNull(await run(gitOperationInProgress(root)))

      fs.rmSync(sentinel)
      const during = await run(Effect.flatMap(MissionStatus.MissionStatus, (s) => s.materializeIfStale(target)))
      assert.isFalse(during.regenerated)
      assert.isNotNull(during.blockedBy)
      assert.isFalse(fs.existsSync(sentinel), "the derived snapshot must not be recreated during the rebase")
      const cli = runCli(root, ["status", "materialize", "--mission", slug, "--json"])
      assert.strictEqual(cli.code, 1)
      assert.strictEqual(JSON.parse(cli.stdout).error.code, "GIT_OPERATION_IN_PROGRESS")
      assert.isFalse(fs.existsSync(sentinel))

      fs.writeFileSync(path.join(root, "conflict.txt"), "resolved\n")
      git(root, ["add", "conflict.txt"])
      git(root, ["rebase", "--continue"], env)
      assert.isNull(await run(gitOperationInProgress(root)))
      assert.strictEqual(git(root, ["status", "--porcelain"]), "")
      const after = await run(Effect.flatMap(MissionStatus.MissionStatus, (s) => s.materializeIfStale(target)))
      assert.isTrue(after.regenerated)
      assert.strictEqual(fs.readFileSync(sentinel, "utf8"), before)
      assert.strictEqual(git(root, ["status", "--porcelain"]), "", "tracked status.json is byte-identical")
    }))

  it("control: with --force the explicit materialize does write during the operation", () =>
    withRepo(async (root) => {
      const slug = "force-mission"
      writeFiles(root, missionFiles(slug, "01JZF0RCE00000000000000000", ["WP01"]))
      commitAll(root, "baseline")
      fs.mkdirSync(path.join(root, ".git", "rebase-merge"))
      const refused = runCli(root, ["status", "materialize", "--mission", slug, "--json"])
      assert.strictEqual(refused.code, 1)
      assert.isFalse(fs.existsSync(path.join(root, "kitty-specs", slug, "status.json")))
      const forced = runCli(root, ["status", "materialize", "--mission", slug, "--force", "--json"])
      assert.strictEqual(forced.code, 0, forced.stdout + forced.stderr)
      assert.isTrue(fs.existsSync(path.join(root, "kitty-specs", slug, "status.json")))
    }))
})
