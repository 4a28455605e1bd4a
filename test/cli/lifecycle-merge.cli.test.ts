/**
 * A mission from claim to done on every topology, through kittyctx alone: `implement`, work committed in
 * the lane worktrees, `status emit` to approved (no --force anywhere), `merge`, `retrospect create`.
 * Lanes with a protected target (main), lanes with an unprotected one, a coordination mission, a
 * flattened one. Until the lifecycle issue's auto-commit lands, the primary-kind fixtures commit the
 * status files kittyctx wrote with plain git between steps (the coordination kind commits its own), and
 * the setup steps that commit on the protected `main` (record-analysis) run with the operator override;
 * `merge` itself never gets it. Needs `npm run build` first.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { commitAll, git, isolatedEnv, makeRepo, makeTemp, removeTemp, runCli, wpFile, writeFiles } from "../support/repo.js"

const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

const OVERRIDE = { KITTYCTX_ALLOW_PROTECTED_BRANCH_COMMITS: "1" }
const EVIDENCE = JSON.stringify({ review: { reviewer: "rita", verdict: "approved", reference: "review-1" } })

type Topology = "protected" | "unprotected" | "coordination" | "flattened"

interface Mission {
  readonly base: string
  readonly root: string
  readonly slug: string
  readonly target: string
  readonly coordination: boolean
  readonly kitty: (args: ReadonlyArray<string>, env?: Record<string, string>) => { code: number | null; stdout: string; stderr: string }
  readonly ok: (args: ReadonlyArray<string>, env?: Record<string, string>) => string
}

/** A planned two-lane mission on the topology's target, with a fresh analysis report. */
const planned = (topology: Topology): Mission => {
  const base = makeTemp("kittyctx-lifecycle-")
  temps.push(base)
  const root = makeRepo(path.join(base, "repo"))
  const slug = `ship-${topology}-01JZA1FE`
  const id = "01JZA1FE000000000000000000"
  const target = topology === "protected" || topology === "coordination" ? "main" : "develop"
  if (target !== "main") git(root, ["checkout", "-q", "-b", target])
  const coordination = topology === "coordination"
  const missionBranch = `kitty/mission-${slug}`
  const dir = `kitty-specs/${slug}`
  const meta: Record<string, unknown> = { mission_id: id, mission_slug: slug, slug, mission_type: "software-dev", target_branch: target }
  if (topology === "flattened") meta.flattened = true
  if (coordination) Object.assign(meta, { topology: "lanes_with_coord", coordination_branch: missionBranch })
  const rows = ["WP01", "WP02"].map((wp, i) =>
    `{"actor": "finalize-tasks", "at": "2026-01-01T00:00:0${i}+00:00", "event_id": "01JZA1FE00000000000000000${i}", "evidence": null, ` +
    `"execution_mode": "worktree", "force": false, "from_lane": "genesis", "mission_id": "${id}", "mission_slug": "${slug}", ` +
    `"policy_metadata": null, "reason": "canonical bootstrap", "review_ref": null, "to_lane": "planned", "wp_id": "${wp}"}`
  )
  writeFiles(root, {
    [`${dir}/meta.json`]: JSON.stringify(meta, null, 2) + "\n",
    [`${dir}/lanes.json`]: JSON.stringify({
      version: 1,
      mission_branch: missionBranch,
      lanes: [{ lane_id: "lane-a", wp_ids: ["WP01"] }, { lane_id: "lane-b", wp_ids: ["WP02"] }]
    }, null, 2) + "\n",
    [`${dir}/status.events.jsonl`]: rows.join("\n") + "\n",
    [`${dir}/spec.md`]: "# Ship it\n",
    [`${dir}/plan.md`]: "# Plan\n",
    [`${dir}/tasks.md`]: "# Tasks\n",
    [`${dir}/tasks/WP01-core.md`]: wpFile("WP01", { subtasks: [] }),
    [`${dir}/tasks/WP02-cli.md`]: wpFile("WP02", { subtasks: [] })
  })
  commitAll(root, "mission planned")
  if (coordination) git(root, ["branch", missionBranch])
  const kitty = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => runCli(root, args, isolatedEnv(base, env))
  const ok = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
    const r = kitty(args, env)
    assert.strictEqual(r.code, 0, `kittyctx ${args.join(" ")}: ${r.stdout}${r.stderr}`)
    return r.stdout
  }
  const m = { base, root, slug, target, coordination, kitty, ok }
  ok(["mission", "record-analysis", "--mission", slug, "--input-file", path.join(root, dir, "spec.md")], OVERRIDE)
  return m
}

/** Commits the status files kittyctx wrote in the primary checkout (until status moves auto-commit). */
const commitStatus = (m: Mission, message: string) => {
  if (m.coordination) return
  if (git(m.root, ["status", "--porcelain"]) !== "") commitAll(m.root, message)
}

/** Claims both WPs (a claim ends in in_progress), commits work in each lane worktree, and takes both to approved. */
const toApproved = (m: Mission) => {
  for (const [wp, lane, file] of [["WP01", "lane-a", "src/core.txt"], ["WP02", "lane-b", "src/cli.txt"]] as const) {
    m.ok(["implement", wp, "--mission", m.slug, "--agent", `agent-${lane}`, "--json"])
    commitStatus(m, `status: ${wp} claimed`)
    const worktree = path.join(m.root, ".worktrees", `${m.slug}-${lane}`)
    writeFiles(worktree, { [file]: `${wp} was built\n` })
    commitAll(worktree, `${wp}: the work`)
  }
  for (const wp of ["WP01", "WP02"]) {
    m.ok(["status", "emit", wp, "--to", "approved", "--actor", "rita", "--mission", m.slug, "--evidence-json", EVIDENCE, "--json"])
  }
  commitStatus(m, "status: approved")
}

/** Lanes of every WP in the log the target branch holds (its last move by the (at, event_id) order). */
const lanesOnTarget = (m: Mission): Record<string, string> => {
  const rows = git(m.root, ["show", `${m.target}:kitty-specs/${m.slug}/status.events.jsonl`]).split("\n")
    .filter((l) => l !== "").map((l) => JSON.parse(l)).filter((r) => typeof r.to_lane === "string")
  rows.sort((a, b) => (a.at === b.at ? (a.event_id < b.event_id ? -1 : 1) : a.at < b.at ? -1 : 1))
  return Object.fromEntries(rows.map((r) => [r.wp_id, r.to_lane]))
}

const TOPOLOGIES: ReadonlyArray<Topology> = ["protected", "unprotected", "coordination", "flattened"]

describe("claim to done on every topology", () => {
  for (const topology of TOPOLOGIES) {
    it(`${topology}: implement, work, approve, merge, retrospect create`, () => {
      const m = planned(topology)
      toApproved(m)
      const before = git(m.root, ["symbolic-ref", "--short", "HEAD"])

      const merged = JSON.parse(m.ok(["merge", "--mission", m.slug, "--json"]))
      assert.deepStrictEqual(merged.merged_lanes, ["lane-a", "lane-b"])
      assert.deepStrictEqual(lanesOnTarget(m), { WP01: "done", WP02: "done" })
      assert.strictEqual(git(m.root, ["symbolic-ref", "--short", "HEAD"]), before, "the primary checkout kept its branch")
      assert.strictEqual(git(m.root, ["show", `${m.target}:src/core.txt`]), "WP01 was built")
      assert.strictEqual(git(m.root, ["show", `${m.target}:src/cli.txt`]), "WP02 was built")
      assert.strictEqual(JSON.parse(git(m.root, ["show", `${m.target}:kitty-specs/${m.slug}/meta.json`])).mission_number, 1)
      assert.isFalse(fs.existsSync(path.join(m.root, ".worktrees", `${m.slug}-lane-a`)), "lane worktrees removed")
      assert.notInclude(git(m.root, ["branch"]), "lane-a")
      const show = JSON.parse(m.ok(["status", "show", "--mission", m.slug, "--json"]))
      assert.deepStrictEqual(Object.values(show.work_packages).map((w: any) => w.lane), ["done", "done"])

      const env = topology === "protected" ? OVERRIDE : {}
      if (topology === "protected") {
        // a retrospective is an ordinary commit on the placement ref: refused on main without the override, nothing written
        const refused = m.kitty(["retrospect", "create", "--mission", m.slug, "--json"])
        assert.strictEqual(JSON.parse(refused.stdout).error.code, "PROTECTED_BRANCH_REFUSED")
        assert.isFalse(fs.existsSync(path.join(m.root, `kitty-specs/${m.slug}/retrospective.yaml`)))
      }
      const retro = JSON.parse(m.ok(["retrospect", "create", "--mission", m.slug, "--json"], env))
      assert.isTrue(retro.committed)
      const checkout = m.coordination ? path.join(m.root, ".worktrees", `${m.slug}-coord`) : m.root
      assert.include(git(checkout, ["show", "--name-only", "--format=", "HEAD"]).split("\n"), `kitty-specs/${m.slug}/retrospective.yaml`)
      assert.strictEqual(git(checkout, ["status", "--porcelain"]), "")
      const shown = JSON.parse(m.ok(["retrospect", "show", "--mission", m.slug, "--json"]))
      assert.strictEqual(shown.record.findings_status, "ran_no_findings")
      assert.strictEqual(shown.record.mission_number, 1)
    }, 240_000)
  }
})
