import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { classifyCheckoutIn } from "../../src/core/context/ExecutionContext.js"
import { commitAll, git, makeRepo, missionFiles, removeTemp, runCli, writeFiles } from "../support/repo.js"

describe("context classify (docs/execution-context.md §6), real git", () => {
  it("primary, lane, coordination, husk, a linked worktree outside .worktrees, and their subdirectories", () => {
    const root = makeRepo()
    try {
      writeFiles(root, missionFiles("m-01JZC1A5", "01JZC1A5000000000000000000", ["WP01"]))
      commitAll(root, "mission")
      const lane = path.join(root, ".worktrees", "m-01JZC1A5-lane-c")
      const coord = path.join(root, ".worktrees", "m-01JZC1A5-coord")
      const outside = path.join(path.dirname(root), "elsewhere")
      git(root, ["worktree", "add", "-q", "-b", "lane-c", lane])
      git(root, ["worktree", "add", "-q", "-b", "coord", coord])
      git(root, ["worktree", "add", "-q", "-b", "other", outside])
      const husk = path.join(root, ".worktrees", "leftover")
      fs.mkdirSync(path.join(husk, "deep"), { recursive: true })
      const classify = (cwd: string) => {
        const r = runCli(cwd, ["context", "classify", "--json"])
        assert.strictEqual(r.code, 0, r.stdout + r.stderr)
        return JSON.parse(r.stdout).checkout
      }
      assert.deepStrictEqual(classify(path.join(root, "kitty-specs")), { kind: "primary", root, lane_id: null })
      assert.deepStrictEqual(classify(path.join(lane, "kitty-specs")), { kind: "lane_worktree", root: lane, lane_id: "lane-c" })
      assert.deepStrictEqual(classify(coord), { kind: "coord_worktree", root: coord, lane_id: null })
      assert.deepStrictEqual(classify(path.join(husk, "deep")), { kind: "unregistered_husk", root: husk, lane_id: null })
      assert.deepStrictEqual(classify(outside), { kind: "lane_worktree", root: outside, lane_id: null })
      // a pruned registration turns a lane into a husk
      git(root, ["worktree", "remove", "--force", lane])
      fs.mkdirSync(lane, { recursive: true })
      assert.strictEqual(classify(lane).kind, "unregistered_husk")
      // classification never changes where status is read
      const fromHusk = JSON.parse(runCli(husk, ["context", "resolve", "--mission", "m-01JZC1A5", "--json"]).stdout)
      const fromRoot = JSON.parse(runCli(root, ["context", "resolve", "--mission", "m-01JZC1A5", "--json"]).stdout)
      assert.deepStrictEqual(fromHusk.context.status_surface, fromRoot.context.status_surface)
    } finally {
      removeTemp(path.dirname(root))
    }
  })

  it("the pure rule: `.worktrees/<x>` needs a live registration; nested linked worktrees pick the deepest", () => {
    const reg = [
      { path: "/r", prunable: false },
      { path: "/r/.worktrees/a-lane-b", prunable: false },
      { path: "/r/.worktrees/gone-lane-a", prunable: true },
      { path: "/x/wt", prunable: false }
    ]
    assert.deepStrictEqual(classifyCheckoutIn("/r", "/r/.worktrees/a-lane-b/src", reg), {
      kind: "lane_worktree",
      root: "/r/.worktrees/a-lane-b",
      lane_id: "lane-b"
    })
    assert.strictEqual(classifyCheckoutIn("/r", "/r/.worktrees/gone-lane-a", reg).kind, "unregistered_husk")
    assert.strictEqual(classifyCheckoutIn("/r", "/r/.worktrees", reg).kind, "primary")
    assert.deepStrictEqual(classifyCheckoutIn("/r", "/x/wt/a", reg), { kind: "lane_worktree", root: "/x/wt", lane_id: null })
    assert.strictEqual(classifyCheckoutIn("/r", "/r/src", reg).kind, "primary")
  })
})
