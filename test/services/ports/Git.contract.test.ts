/**
 * The contract of the git port: for one repository (branches, a remote-tracking ref with origin/HEAD,
 * two linked worktrees, one of them deleted from disk), the live layer and the memory layer built from
 * the same facts give the same refs, worktree registry and main worktree. The facts are read here with
 * plain git commands, independently of the port's own parsing. `run`/`checked` are live-only: the memory
 * layer spawns nothing and says so.
 */
import { assert, describe, it } from "@effect/vitest"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Either, Layer } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Git from "../../../src/services/ports/Git.js"
import { git, makeRepo, removeTemp } from "../../support/repo.js"

interface Facts {
  readonly root: string
  readonly world: Git.GitWorld
}

const buildRepo = (): Facts => {
  const root = makeRepo()
  git(root, ["branch", "feature"])
  git(root, ["branch", "kitty/mission-x-lane-a"])
  git(root, ["update-ref", "refs/remotes/origin/main", "HEAD"])
  git(root, ["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"])
  git(root, ["worktree", "add", "-q", path.join(root, ".worktrees", "lane-a"), "kitty/mission-x-lane-a"])
  git(root, ["worktree", "add", "-q", "--detach", path.join(root, ".worktrees", "gone")])
  fs.rmSync(path.join(root, ".worktrees", "gone"), { recursive: true })
  const refs = git(root, ["for-each-ref", "--format=%(refname)", "refs/heads", "refs/remotes"]).split("\n")
    .filter((r) => r !== "" && r !== "refs/remotes/origin/HEAD")
  const head = git(root, ["rev-parse", "HEAD"])
  const worktrees: Array<Git.WorktreeEntry> = [
    { path: root, head, branch: "refs/heads/main", bare: false, detached: false, prunable: false },
    // linked worktrees in the order of their administrative dirs' names (git reads .git/worktrees sorted)
    { path: path.join(root, ".worktrees", "gone"), head, branch: null, bare: false, detached: true, prunable: true },
    { path: path.join(root, ".worktrees", "lane-a"), head, branch: "refs/heads/kitty/mission-x-lane-a", bare: false, detached: false, prunable: false }
  ]
  return { root, world: { refs, originHead: "refs/remotes/origin/main", worktrees } }
}

/** Registers the git-port contract for one implementation built over the repository's facts. */
export const gitContract = (name: string, layerOf: (facts: Facts) => Layer.Layer<Git.GitReader>) =>
  describe(`Git contract: ${name}`, () => {
    it.effect("refs, registry and main worktree match the repository's facts", () => {
      const facts = buildRepo()
      return Effect.gen(function*() {
        const g = yield* Git.GitReader
        const refs = yield* g.refs(facts.root)
        assert.deepStrictEqual([...refs.refs].sort(), [...facts.world.refs].sort())
        assert.strictEqual(refs.originHead, facts.world.originHead)
        assert.deepStrictEqual(yield* g.worktreeList(facts.root), facts.world.worktrees)
        assert.deepStrictEqual(yield* g.mainWorktreeOf(path.join(facts.root, ".git")), facts.world.worktrees[0])
      }).pipe(
        Effect.provide(layerOf(facts)),
        Effect.ensuring(Effect.sync(() => removeTemp(path.dirname(facts.root))))
      )
    })
  })

gitContract("live", () => Git.readerLayer.pipe(Layer.provide(NodeContext.layer)))
gitContract("memory", (facts) => Git.layerMemory(facts.world))

describe("Git: commands (live) and their absence (memory)", () => {
  it.effect("the reader refuses any subcommand that can change a repository, before spawning git", () =>
    Effect.gen(function*() {
      const g = yield* Git.GitReader
      for (const args of [["commit", "-m", "x"], ["reset", "--hard"], ["worktree", "add", "x"], ["branch", "-D", "main"], ["-c", "x=y", "push"]]) {
        const e = yield* Effect.either(g.read(args, "/nonexistent"))
        assert.isTrue(Either.isLeft(e) && e.left.code === "GIT_COMMAND_FAILED" && /not a read-only git subcommand/.test(e.left.message), args.join(" "))
      }
    }).pipe(Effect.provide(Git.readerLayer.pipe(Layer.provide(NodeContext.layer)))))

  it.effect("checked fails with GIT_COMMAND_FAILED and the exit code; run returns it", () => {
    const facts = buildRepo()
    return Effect.gen(function*() {
      const g = yield* Git.Git
      const ran = yield* g.run(["rev-parse", "--verify", "no-such-ref"], { cwd: facts.root, mode: "read" })
      assert.notStrictEqual(ran.exitCode, 0)
      const e = yield* Effect.either(g.checked(["rev-parse", "--verify", "no-such-ref"], { cwd: facts.root, mode: "read" }))
      assert.isTrue(Either.isLeft(e))
      if (Either.isLeft(e)) assert.deepInclude(e.left, { code: "GIT_COMMAND_FAILED" })
    }).pipe(
      Effect.provide(Git.layer.pipe(Layer.provide(NodeContext.layer))),
      Effect.ensuring(Effect.sync(() => removeTemp(path.dirname(facts.root))))
    )
  })

  it.effect("the memory layer runs nothing and counts every call", () =>
    Effect.gen(function*() {
      const memory = Git.makeMemory({ refs: [], originHead: null, worktrees: [] })
      const e = yield* Effect.either(Effect.flatMap(Git.GitReader, (g) => g.read(["status"], "/")).pipe(Effect.provide(memory.layer)))
      assert.isTrue(Either.isLeft(e))
      yield* Effect.flatMap(Git.GitReader, (g) => g.refs("/r")).pipe(Effect.provide(memory.layer))
      assert.deepStrictEqual(memory.log(), ["run status", "refs /r"])
    }))
})
