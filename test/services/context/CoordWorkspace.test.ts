/**
 * Taking back a coordination worktree a writer created (`ensureCoordWorktreeUndoable`), on a real
 * repository: a pristine worktree is removed; one another writer has changed meanwhile (a concurrent emit
 * appended to its log), or has taken after its creation (it resolved the mission and is about to write),
 * is left as it is.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { ensureCoordWorktreeUndoable } from "../../../src/services/context/CoordWorkspace.js"
import { MainLayer } from "../../../src/services/MainLayer.js"
import { git, makeRepo, removeTemp } from "../../support/repo.js"

const setup = () => {
  const root = makeRepo()
  fs.mkdirSync(path.join(root, "kitty-specs", "m-01KX0000"), { recursive: true })
  fs.writeFileSync(path.join(root, "kitty-specs", "m-01KX0000", "status.events.jsonl"), "")
  git(root, ["add", "-A"])
  git(root, ["commit", "-q", "-m", "mission"])
  git(root, ["branch", "kitty/mission-m-01KX0000"])
  const plan = {
    primaryRoot: root,
    commonDir: path.join(root, ".git"),
    path: path.join(root, ".worktrees", "m-01KX0000-coord"),
    branch: "kitty/mission-m-01KX0000",
    primaryDir: path.join(root, "kitty-specs", "m-01KX0000")
  }
  return { root, plan }
}

describe("ensureCoordWorktreeUndoable (real git)", () => {
  it.live("a worktree nobody changed is taken back; one another writer changed is left with the change", () => {
    const { plan, root } = setup()
    return Effect.gen(function*() {
      const undo = yield* ensureCoordWorktreeUndoable(plan)
      assert.isTrue(fs.existsSync(plan.path), "created")
      yield* undo
      assert.isFalse(fs.existsSync(plan.path), "a pristine worktree is removed")
      assert.notInclude(git(root, ["worktree", "list", "--porcelain"]), plan.path)

      const again = yield* ensureCoordWorktreeUndoable(plan)
      const log = path.join(plan.path, "kitty-specs", "m-01KX0000", "status.events.jsonl")
      // another writer's append, made between this writer's resolution and its undo
      fs.appendFileSync(log, "{\"event_id\": \"01KX0000000000000000000000\"}\n")
      yield* again
      assert.isTrue(fs.existsSync(log), "the changed worktree stays")
      assert.include(fs.readFileSync(log, "utf8"), "01KX0000000000000000000000", "with the other writer's line")
    }).pipe(Effect.provide(MainLayer), Effect.ensuring(Effect.sync(() => removeTemp(path.dirname(root)))))
  })

  it.live("a worktree another writer took after its creation is left to that writer, even unchanged", () => {
    const { plan, root } = setup()
    return Effect.gen(function*() {
      const mine = yield* ensureCoordWorktreeUndoable(plan)
      // a concurrent writer resolves the same mission: it finds the worktree in place and will write there
      const theirs = yield* ensureCoordWorktreeUndoable(plan)
      yield* mine
      assert.isTrue(fs.existsSync(path.join(plan.path, "kitty-specs", "m-01KX0000")), "still there for the other writer")
      assert.include(git(root, ["worktree", "list", "--porcelain"]), plan.path)
      yield* theirs // it did not create it: nothing to take back
      assert.isTrue(fs.existsSync(plan.path))
    }).pipe(Effect.provide(MainLayer), Effect.ensuring(Effect.sync(() => removeTemp(path.dirname(root)))))
  })
})
