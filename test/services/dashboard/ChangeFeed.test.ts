/**
 * The change feed over a fake watcher (the hub) and the live file system: changes map to mission dirs
 * (a coordination copy to its primary mission), a burst is one batch, and without watching the stat
 * fallback notices an append by itself.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, PubSub, Queue } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as FileWatch from "../../../src/services/ports/FileWatch.js"
import * as RepoFs from "../../../src/services/ports/RepoFs.js"
import { classifyPaths, startChangeFeed, watchPlan } from "../../../src/services/dashboard/ChangeFeed.js"
import { makeTemp, removeTemp } from "../../support/repo.js"

const tree = () => {
  const root = path.join(makeTemp("kittyctx-feed-"), "repo")
  for (const d of ["kitty-specs/m-one/tasks", "kitty-specs/003-two", ".worktrees/003-two-01ABCDEF-coord/kitty-specs/003-two-01ABCDEF"]) {
    fs.mkdirSync(path.join(root, d), { recursive: true })
  }
  fs.writeFileSync(path.join(root, "kitty-specs", "m-one", "log"), "")
  return root
}

describe("change feed", () => {
  it.effect("the plan covers the root, kitty-specs, .worktrees and each coordination mission dir", () => {
    const root = tree()
    return Effect.gen(function*() {
      const plan = yield* watchPlan(root)
      assert.deepStrictEqual(plan.map((t) => [path.relative(root, t.dir), t.recursive, t.coordName]), [
        ["", false, null],
        ["kitty-specs", true, null],
        [".worktrees", false, null],
        [".worktrees/003-two-01ABCDEF-coord/kitty-specs/003-two-01ABCDEF", true, "003-two-01ABCDEF"]
      ])
      const c = classifyPaths(root, plan, ["m-one", "003-two"], [
        path.join(root, "kitty-specs/m-one/tasks/WP01.md"),
        path.join(root, ".worktrees/003-two-01ABCDEF-coord/kitty-specs/003-two-01ABCDEF/status.events.jsonl")
      ])
      assert.deepStrictEqual(c, { dirs: ["003-two", "m-one"], replan: false })
      assert.isTrue(classifyPaths(root, plan, [], [path.join(root, ".worktrees/new-coord")]).replan)
    }).pipe(Effect.provide(RepoFs.layer), Effect.ensuring(Effect.sync(() => removeTemp(path.dirname(root)))))
  })

  it.live("a burst of changes is one batch naming the mission dirs", () => {
    const root = tree()
    return Effect.gen(function*() {
      const { hub, layer } = yield* FileWatch.makeHub
      yield* Effect.gen(function*() {
        const feed = yield* startChangeFeed(root, Effect.succeed(["m-one", "003-two"]))
        const sub = yield* PubSub.subscribe(feed.changes)
        assert.strictEqual(yield* feed.mode, "watch")
        assert.isTrue(hub.watched.has(path.join(root, "kitty-specs")))
        yield* hub.push([path.join(root, "kitty-specs/m-one/log")])
        yield* hub.push([path.join(root, ".worktrees/003-two-01ABCDEF-coord/kitty-specs/003-two-01ABCDEF/x")])
        assert.deepStrictEqual(yield* Queue.take(sub), ["003-two", "m-one"])
        assert.strictEqual(yield* Queue.size(sub), 0)
      }).pipe(Effect.scoped, Effect.provide(Layer.merge(layer, RepoFs.layer)))
    }).pipe(Effect.ensuring(Effect.sync(() => removeTemp(path.dirname(root)))))
  })

  it.live("without watching, the stat check notices an append (mode \"stat\")", () => {
    const root = tree()
    return Effect.gen(function*() {
      const { hub, layer } = yield* FileWatch.makeHub
      hub.available = false
      yield* Effect.gen(function*() {
        const feed = yield* startChangeFeed(root, Effect.succeed(["m-one", "003-two"]))
        const sub = yield* PubSub.subscribe(feed.changes)
        assert.strictEqual(yield* feed.mode, "stat")
        yield* Effect.sleep(100)
        fs.appendFileSync(path.join(root, "kitty-specs", "m-one", "log"), "more\n")
        assert.deepStrictEqual(yield* Queue.take(sub), ["m-one"])
      }).pipe(Effect.scoped, Effect.provide(Layer.merge(layer, RepoFs.layer)))
    }).pipe(Effect.ensuring(Effect.sync(() => removeTemp(path.dirname(root)))))
  })
})
