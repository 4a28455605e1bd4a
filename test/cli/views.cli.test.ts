/**
 * The read views of issue 9: `mission list` (every mission with number, slug, id, topology, lane
 * counts, progress and where its status lives; newest first) and the human `status show` board (WP
 * titles from the prompt files, subtasks done/total, the agent, what each WP waits for; columns that hold
 * with long actor names).
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as path from "node:path"
import { commitAll, makeRepo, missionFiles, removeTemp, runCli, wpFile, writeFiles } from "../support/repo.js"

const ALPHA = "alpha-feature-01JZ0000"
const BETA = "002-beta-thing"
const LONG_ACTOR = "a-very-long-agent-name-claude-opus-4-implementer"
const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

const setup = () => {
  const repo = makeRepo()
  temps.push(path.dirname(repo))
  writeFiles(repo, missionFiles(ALPHA, "01JZ0000000000000000000000", ["WP01", "WP02"]))
  writeFiles(repo, { [`kitty-specs/${ALPHA}/tasks/WP01-work.md`]: wpFile("WP01", { subtasks: ["T001", "T002"] }) })
  writeFiles(repo, missionFiles(BETA, "01JZ1111000000000000000000", ["WP01"], { mission_number: "002" }))
  commitAll(repo, "missions")
  const M = ["--mission", ALPHA]
  for (const to of ["claimed", "in_progress"]) {
    const r = runCli(repo, ["status", "emit", "WP01", "--to", to, "--actor", LONG_ACTOR, ...M])
    assert.strictEqual(r.code, 0, r.stderr)
  }
  return { repo, M }
}

describe("mission list", () => {
  it("lists every mission, newest first, with its lanes, progress and status location", { timeout: 60_000 }, () => {
    const { repo } = setup()
    const r = runCli(repo, ["mission", "list", "--json"])
    assert.strictEqual(r.code, 0, r.stderr)
    const missions = JSON.parse(r.stdout).missions as Array<Record<string, any>>
    assert.deepStrictEqual(missions.map((m) => m.mission_slug), [BETA, ALPHA])
    const alpha = missions[1]
    assert.strictEqual(alpha.mission_id, "01JZ0000000000000000000000")
    assert.strictEqual(alpha.topology, "single_branch")
    assert.deepStrictEqual(alpha.lanes, { planned: 1, in_progress: 1 })
    assert.deepStrictEqual({ done: alpha.progress.done, total: alpha.progress.total }, { done: 0, total: 2 })
    assert.strictEqual(alpha.status_dir, `kitty-specs/${ALPHA}`)
    assert.strictEqual(missions[0].mission_number, "2")
    const names = runCli(repo, ["mission", "list", "--names"])
    assert.deepStrictEqual(names.stdout.trim().split("\n").sort(), [BETA, ALPHA].sort())
    const text = runCli(repo, ["mission", "list"]).stdout
    assert.include(text, ALPHA)
    assert.include(text, `kitty-specs/${BETA}`)
  })
})

describe("status show (human form)", () => {
  it("shows titles, subtasks, the agent and what each WP waits for, in columns that hold", { timeout: 60_000 }, () => {
    const { M, repo } = setup()
    const r = runCli(repo, ["status", "show", ...M])
    assert.strictEqual(r.code, 0, r.stderr)
    const lines = r.stdout.split("\n")
    const header = lines.find((l) => l.trim().startsWith("WP "))!
    const wp1 = lines.find((l) => l.trim().startsWith("WP01"))!
    const wp2 = lines.find((l) => l.trim().startsWith("WP02"))!
    assert.include(wp1, LONG_ACTOR)
    assert.include(wp1, "0/2")
    assert.include(wp1, "WP01 work")
    assert.include(wp1, "needs subtasks T001,T002")
    assert.include(wp2, "ready to claim")
    // every column starts at the same offset in the header and in each row, however long the actor
    for (const column of ["title", "waiting for"]) {
      const at = header.indexOf(column)
      assert.isAbove(at, 0)
      const value = column === "title" ? "WP01 work" : "needs subtasks"
      assert.strictEqual(wp1.indexOf(value), at, column)
    }
  })

  it("after the subtasks are marked, the WP waits for its for_review move", { timeout: 60_000 }, () => {
    const { M, repo } = setup()
    writeFiles(repo, { [`kitty-specs/${ALPHA}/tasks.md`]: "# Tasks\n\n## WP01\n\n- [ ] T001 a\n- [ ] T002 b\n" })
    const m = runCli(repo, ["tasks", "mark-status", "T001", "T002", "--status", "done", ...M])
    assert.strictEqual(m.code, 0, m.stderr)
    const wp1 = runCli(repo, ["status", "show", ...M]).stdout.split("\n").find((l) => l.trim().startsWith("WP01"))!
    assert.include(wp1, "2/2")
    assert.notInclude(wp1, "needs subtasks")
  })
})
