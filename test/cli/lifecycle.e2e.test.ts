/**
 * A mission from claim to approved with kittyctx alone, per topology (issue 9, "Must show"): through the
 * built CLI in a real repository, from the primary checkout, a subdirectory and the lane worktrees, with
 * no `--force`: record-analysis, implement every WP (a second claim right after the first, an analysis
 * in between), mark every subtask, for_review, in_review, approved. After every step the driver checks
 * that `status show --json` is identical from every checkout and that `git status` shows exactly what
 * the auto-commit mode leaves (lanes with a protected target run with `auto_commit: false`; the other
 * topologies commit every status move). Needs `npm run build` first.
 *
 * To extend the day (merge, retrospect), append steps to `dayOf`'s table; `runLifecycle` needs no change.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { ANALYSIS, buildLifecycle, implementationCommit, runLifecycle, SUBTASKS } from "../support/lifecycle.js"
import type { LifecycleRepo, Step, Topology } from "../support/lifecycle.js"
import { removeTemp } from "../support/repo.js"

const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

const REVIEW = JSON.stringify({ reviewer: "rev", verdict: "approved", reference: "PR#1" })

const analysisFile = (m: LifecycleRepo) => {
  const file = path.join(m.base, "analysis.md")
  if (!fs.existsSync(file)) fs.writeFileSync(file, ANALYSIS)
  return file
}

const transition = (wp: string) => `chore(spec-kitty): status transition ${wp}`

/**
 * A claim's last commit on the placement ref: spec-kitty's claim commit (the WP file and meta.json) where
 * the mission's files live in the primary checkout, its status batch under coordination placement.
 */
const claimCommit = (wp: string) => (m: LifecycleRepo) =>
  m.coordBranch === null ? `chore: ${wp} claimed for implementation` : `chore(spec-kitty): status transition batch ${wp}`

/** The day of a mission: the same table for every topology (each step names where it runs). */
export const dayOf = (topology: Topology): ReadonlyArray<Step> => [
  {
    name: "record the analysis",
    from: "primary",
    args: (m) => ["mission", "record-analysis", "--mission", m.slug, "--input-file", analysisFile(m), "--agent", "analyst"],
    leaves: ["report"],
    check: (out, m) => {
      assert.strictEqual(out.verdict, "ready")
      assert.strictEqual(out.committed, m.topology !== "lanes-protected", JSON.stringify(out))
      if (m.topology === "lanes-protected") assert.strictEqual(out.commit_skipped.reason, "protected_branch")
    },
    commits: (m) => `Add analysis report for mission ${m.slug}`
  },
  {
    name: "claim WP01",
    from: "subdir",
    args: (m) => ["implement", "WP01", "--mission", m.slug, "--agent", "codex", "--shell-pid", String(process.pid)],
    leaves: ["status"],
    check: (out) => {
      assert.strictEqual(out.to_lane, "in_progress")
      assert.strictEqual(out.event_ids.length, 2)
      assert.strictEqual(out.lane_id, "lane-a")
    },
    commits: claimCommit("WP01")
  },
  {
    name: "analyse again between the claims",
    from: "lane-a",
    args: (m) => ["mission", "record-analysis", "--input-file", analysisFile(m)],
    leaves: ["report"],
    check: (out) => assert.strictEqual(out.verdict, "ready")
  },
  {
    name: "claim WP02 right after (the first claim's status files do not block it)",
    from: "primary",
    args: (m) => ["implement", "WP02", "--mission", m.slug, "--agent", "claude", "--shell-pid", String(process.pid)],
    leaves: ["status"],
    check: (out) => assert.strictEqual(out.lane_id, "lane-b"),
    commits: claimCommit("WP02")
  },
  {
    name: "mark WP01's subtasks done, from its lane (no --mission: the lane's branch names it)",
    from: "lane-a",
    before: (m) => implementationCommit(m, "lane-a", "core.ts"),
    args: () => ["tasks", "mark-status", ...SUBTASKS.WP01, "--status", "done"],
    leaves: ["status"],
    check: (out) => {
      assert.deepStrictEqual(out.results.map((r: { id: string }) => r.id), SUBTASKS.WP01)
      assert.strictEqual(out.events.length, 1)
      assert.deepStrictEqual(out.events[0].delta, { subtasks: { T001: "done", T002: "done" } })
    },
    commits: "chore(spec-kitty): inner-state annotation WP01"
  },
  {
    name: "WP01 for review",
    from: "lane-a",
    args: () => ["status", "emit", "WP01", "--to", "for_review", "--actor", "codex"],
    leaves: ["status"],
    commits: transition("WP01")
  },
  {
    name: "WP01 in review",
    from: "subdir",
    args: (m) => ["status", "emit", "WP01", "--to", "in_review", "--actor", "rev", "--mission", m.slug],
    leaves: ["status"],
    commits: transition("WP01")
  },
  {
    name: "WP01 approved",
    from: "primary",
    args: (m) => ["status", "emit", "WP01", "--to", "approved", "--actor", "rev", "--review-result-json", REVIEW, "--mission", m.slug],
    leaves: ["status"],
    check: (out) => assert.strictEqual(out.event.to_lane, "approved"),
    commits: transition("WP01")
  },
  {
    name: "mark WP02's subtasks done",
    from: "primary",
    before: (m) => implementationCommit(m, "lane-b", "cli.ts"),
    args: (m) => ["tasks", "mark-status", ...SUBTASKS.WP02.map((t) => `${m.slug}/${t}`), "--status", "done", "--mission", m.slug],
    leaves: ["status"],
    commits: "chore(spec-kitty): inner-state annotation WP02"
  },
  {
    name: "WP02 for review, from its lane",
    from: "lane-b",
    args: () => ["status", "emit", "WP02", "--to", "for_review", "--actor", "claude"],
    leaves: ["status"],
    commits: transition("WP02")
  },
  {
    name: "WP02 in review",
    from: "lane-a",
    args: (m) => ["status", "emit", "WP02", "--to", "in_review", "--actor", "rev", "--mission", m.slug],
    leaves: ["status"],
    commits: transition("WP02")
  },
  {
    name: "WP02 approved",
    from: "subdir",
    args: (m) => ["status", "emit", "WP02", "--to", "approved", "--actor", "rev", "--review-result-json", REVIEW, "--mission", m.slug],
    leaves: ["status"],
    commits: transition("WP02"),
    check: (_out, m) => {
      const board = m.cli("primary", ["status", "show", "--mission", m.slug, "--json"])
      const wps = JSON.parse(board.stdout).work_packages
      assert.deepStrictEqual([wps.WP01.lane, wps.WP02.lane], ["approved", "approved"], `${topology}: both approved`)
    }
  }
]

const TOPOLOGIES: ReadonlyArray<Topology> = ["lanes-protected", "lanes-unprotected", "coordination", "flattened"]

describe("a mission from claim to approved, per topology (built CLI, no --force)", () => {
  for (const topology of TOPOLOGIES) {
    it(topology, async () => {
      const m = buildLifecycle(topology)
      temps.push(m.base)
      await runLifecycle(m, dayOf(topology))
      if (!m.autoCommit) {
        // nothing of the day was committed on the protected target
        assert.strictEqual(m.git(m.root, ["rev-list", "--count", "main"]), "1")
      }
    }, 300_000)
  }
})
