import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { readEventStream } from "../../src/core/status/EventRow.js"
import { commitAll, git, makeRepo, missionFiles, removeTemp, runCli, runCliAsync, writeFiles } from "../support/repo.js"
import { treeHashes } from "../support/fingerprint.js"

const SLUG = "coord-demo-01JZC00D"
const ID = "01JZC00D000000000000000000"
const BRANCH = `kitty/mission-${SLUG}`

/** Every file under `dir` with its hash (links hashed by what they point to). */
const hashTree = (dir: string): Record<string, string> => treeHashes(dir, { followLinks: true })

/** A coordination mission: meta routes through `BRANCH`; two lane worktrees with their own copies. */
const coordinationRepo = () => {
  const root = makeRepo(undefined, { autoCommit: true })
  writeFiles(root, {
    ...missionFiles(SLUG, ID, ["WP01", "WP02", "WP03"], {
      topology: "lanes_with_coord",
      coordination_branch: BRANCH
    }),
    [`kitty-specs/${SLUG}/lanes.json`]: JSON.stringify({
      version: 1,
      mission_branch: BRANCH,
      lanes: [{ lane_id: "lane-a", wp_ids: ["WP01"] }, { lane_id: "lane-b", wp_ids: ["WP02"] }, { lane_id: "lane-c", wp_ids: ["WP03"] }]
    })
  })
  commitAll(root, "mission planned")
  git(root, ["branch", BRANCH])
  const lanes = ["lane-a", "lane-b"].map((lane) => {
    const wt = path.join(root, ".worktrees", `${SLUG}-${lane}`)
    git(root, ["worktree", "add", "-q", "-b", `${BRANCH}-${lane}`, wt, "main"])
    return wt
  })
  return { root, lanes, coord: path.join(root, ".worktrees", `${SLUG}-coord`) }
}

const coordLog = (coord: string) => path.join(coord, "kitty-specs", SLUG, "status.events.jsonl")

describe("status writes on a coordination mission", () => {
  it("an emit materialises the coordination worktree and commits on the coordination branch only", async () => {
    const { coord, lanes, root } = coordinationRepo()
    try {
      const primaryBefore = hashTree(path.join(root, "kitty-specs", SLUG))
      const laneBefore = hashTree(path.join(lanes[0], "kitty-specs", SLUG))
      const mainHead = git(root, ["rev-parse", "main"])
      const r = runCli(lanes[0], ["status", "emit", "WP01", "--to", "claimed", "--actor", "alice", "--mission", SLUG, "--json"])
      assert.strictEqual(r.code, 0, r.stdout + r.stderr)
      const out = JSON.parse(r.stdout)
      assert.match(out.commit, /^[0-9a-f]{40}$/)
      assert.strictEqual(git(coord, ["rev-parse", "HEAD"]), out.commit)
      assert.strictEqual(git(coord, ["symbolic-ref", "HEAD"]), `refs/heads/${BRANCH}`)
      assert.deepStrictEqual(git(coord, ["show", "--name-only", "--format=", "HEAD"]).split("\n").sort(), [
        `kitty-specs/${SLUG}/status.events.jsonl`,
        `kitty-specs/${SLUG}/status.json`
      ])
      assert.strictEqual(git(root, ["rev-parse", "main"]), mainHead, "nothing committed on the target branch")
      assert.deepStrictEqual(hashTree(path.join(root, "kitty-specs", SLUG)), primaryBefore, "primary copy untouched")
      assert.deepStrictEqual(hashTree(path.join(lanes[0], "kitty-specs", SLUG)), laneBefore, "lane copy untouched")
      const shown = runCli(root, ["status", "show", "--mission", SLUG, "--json"])
      assert.strictEqual(JSON.parse(shown.stdout).work_packages.WP01.lane, "claimed")
      assert.strictEqual(git(coord, ["status", "--porcelain"]), "")
    } finally {
      removeTemp(path.dirname(root))
    }
  })

  it("concurrent emits from the primary and two lane worktrees land once each, with intact commits", async () => {
    const { coord, lanes, root } = coordinationRepo()
    try {
      const laneBefore = lanes.map((l) => hashTree(path.join(l, "kitty-specs", SLUG)))
      const primaryBefore = hashTree(path.join(root, "kitty-specs", SLUG))
      // create the coordination worktree once so the race is on the status lock and the commits
      assert.strictEqual(runCli(root, ["status", "emit", "WP03", "--to", "blocked", "--actor", "ops", "--mission", SLUG]).code, 0)
      const chain = (cwd: string, wp: string) => async () => {
        const steps = ["claimed", "in_progress", "blocked", "in_progress", "blocked", "canceled"]
        const results = []
        for (const to of steps) {
          results.push(await runCliAsync(cwd, ["status", "emit", wp, "--to", to, "--actor", "bot", "--mission", SLUG, "--json"]))
        }
        return results
      }
      const all = await Promise.all([chain(root, "WP01")(), chain(lanes[0], "WP02")(), chain(lanes[1], "WP03")().catch(() => [])])
      const ok = all.flat().filter((r) => r.code === 0)
      for (const r of all.slice(0, 2).flat()) assert.strictEqual(r.code, 0, r.stdout + r.stderr)
      const stream = readEventStream(fs.readFileSync(coordLog(coord), "utf8"))
      assert.isTrue(Either.isRight(stream))
      if (Either.isLeft(stream)) return
      const ids = stream.right.transitions.map((t) => t.event_id)
      assert.strictEqual(new Set(ids).size, ids.length, "no event twice")
      for (const r of ok) assert.include(ids, JSON.parse(r.stdout).event.event_id)
      const commits = git(coord, ["rev-list", "--count", `main..${BRANCH}`])
      assert.strictEqual(Number(commits), ok.length + 1, "one commit per recorded event")
      assert.strictEqual(git(coord, ["status", "--porcelain"]), "")
      const shown = JSON.parse(runCli(lanes[1], ["status", "show", "--mission", SLUG, "--json"]).stdout)
      assert.strictEqual(shown.work_packages.WP01.lane, "canceled")
      assert.strictEqual(shown.work_packages.WP02.lane, "canceled")
      lanes.forEach((l, i) => assert.deepStrictEqual(hashTree(path.join(l, "kitty-specs", SLUG)), laneBefore[i]))
      assert.deepStrictEqual(hashTree(path.join(root, "kitty-specs", SLUG)), primaryBefore)
    } finally {
      removeTemp(path.dirname(root))
    }
  })

  it("a coordination worktree on the wrong branch is refused and never switched", async () => {
    const { coord, root } = coordinationRepo()
    try {
      git(root, ["branch", "elsewhere"])
      git(root, ["worktree", "add", "-q", coord, "elsewhere"])
      const r = runCli(root, ["status", "emit", "WP01", "--to", "claimed", "--actor", "a", "--mission", SLUG, "--json"])
      assert.strictEqual(r.code, 1)
      const err = JSON.parse(r.stdout).error
      assert.strictEqual(err.code, "COORDINATION_WORKTREE_BRANCH_MISMATCH")
      assert.strictEqual(err.expected, `refs/heads/${BRANCH}`)
      assert.strictEqual(err.actual, "refs/heads/elsewhere")
      assert.strictEqual(git(coord, ["symbolic-ref", "HEAD"]), "refs/heads/elsewhere")
    } finally {
      removeTemp(path.dirname(root))
    }
  })

  it("eight processes materialising the coordination worktree at once register it once", async () => {
    const { coord, root } = coordinationRepo()
    try {
      const runs = await Promise.all(
        Array.from({ length: 8 }, () => runCliAsync(root, ["status", "show", "--mission", SLUG, "--json"]))
      )
      for (const r of runs) assert.strictEqual(r.code, 0)
      // show is read-only: nothing was created
      assert.isFalse(fs.existsSync(coord))
      const emits = await Promise.all(
        ["WP01", "WP02", "WP03", "WP01", "WP02", "WP03", "WP01", "WP02"].map((wp, i) =>
          runCliAsync(root, ["status", "emit", wp, "--to", i < 3 ? "claimed" : "blocked", "--actor", `p${i}`, "--mission", SLUG, "--json"])
        )
      )
      const failures = emits.filter((r) => r.code !== 0)
      for (const f of failures) assert.strictEqual(JSON.parse(f.stdout).error.code, "TRANSITION_REFUSED", f.stdout + f.stderr)
      const registered = git(root, ["worktree", "list", "--porcelain"]).split("\n").filter((l) => l === `worktree ${coord}`)
      assert.strictEqual(registered.length, 1)
    } finally {
      removeTemp(path.dirname(root))
    }
  })
})
