/**
 * `kittyctx merge` (docs/surfaces.md §5.4-§5.9) through the built binary on real repositories: a clean
 * two-lane merge, a lane conflict stopped, resolved and resumed, the same conflict aborted, an
 * integration conflict that is never settled by `-X theirs`, the configured strategy, the dry run's
 * exact prediction with nothing touched, and the refusals that leave nothing behind. Needs `npm run
 * build` first.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { git, removeTemp } from "../support/repo.js"
import { mergeFixture, refsOf, repoFingerprint } from "../support/merge.js"
import type { MergeFixture } from "../support/merge.js"

const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

const fixture = (opts: Parameters<typeof mergeFixture>[0] = {}) => {
  const f = mergeFixture(opts)
  temps.push(f.base)
  return f
}

const json = (run: { stdout: string }) => JSON.parse(run.stdout) as Record<string, any>

const merge = (f: MergeFixture, ...args: ReadonlyArray<string>) => f.cli(["merge", "--mission", f.slug, "--json", ...args])

/** The lanes of every WP in the target branch's committed log, by `status show` on a scratch checkout of it. */
const lanesOnTarget = (f: MergeFixture): Record<string, string> => {
  const log = git(f.root, ["show", `${f.target}:${f.logRel}`])
  const lanes: Record<string, string> = {}
  const rows = log.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))
  rows.sort((a, b) => (a.at === b.at ? (a.event_id < b.event_id ? -1 : 1) : a.at < b.at ? -1 : 1))
  for (const r of rows) lanes[r.wp_id] = r.to_lane
  return lanes
}

const noMergeLeftovers = (f: MergeFixture) => {
  assert.isFalse(fs.existsSync(f.stateFile), "no state file")
  assert.isFalse(fs.existsSync(path.dirname(f.stateFile)), "no state directory (workspace included)")
  assert.notInclude(git(f.root, ["worktree", "list"]), "kittyctx/merge", "no merge workspace registered")
  assert.isFalse(fs.existsSync(path.join(f.root, ".git", "info", "attributes")), "the attribute lines added for the run are gone")
}

describe("a clean two-lane merge", () => {
  it("lanes into the mission branch, the bake, the squash, done rows on the target; the user's checkout stays on its branch", () => {
    const f = fixture()
    const head = git(f.root, ["symbolic-ref", "HEAD"])
    const run = merge(f)
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    const out = json(run)
    assert.deepStrictEqual(out.merged_lanes, ["lane-a", "lane-b"])
    assert.strictEqual(out.mission_number, 8, "max(7) + 1 over the target's metas")
    assert.deepStrictEqual(lanesOnTarget(f), { WP01: "done", WP02: "done" })
    assert.strictEqual(git(f.root, ["symbolic-ref", "HEAD"]), head)
    assert.strictEqual(git(f.root, ["status", "--porcelain"]), "", "the primary checkout was fast-forwarded cleanly")
    assert.deepStrictEqual(git(f.root, ["log", "--format=%s", f.target, "-3"]).split("\n"), [
      `chore(${f.slug}): record done transitions for merged WPs`,
      `feat(${f.slug}): squash merge of mission`,
      "mission approved"
    ])

    assert.strictEqual(fs.readFileSync(path.join(f.root, "src/a.txt"), "utf8"), "alpha\n")
    assert.strictEqual(JSON.parse(fs.readFileSync(path.join(f.root, `kitty-specs/${f.slug}/meta.json`), "utf8")).mission_number, 8)
    // the done commit holds only the log and the snapshot; the snapshot is the fold of the log
    assert.deepStrictEqual(
      git(f.root, ["show", "--pretty=format:", "--name-only", f.target]).split("\n").filter((l) => l !== ""),
      [`kitty-specs/${f.slug}/status.events.jsonl`, `kitty-specs/${f.slug}/status.json`]
    )
    const show = f.cli(["status", "show", "--mission", f.slug, "--json"])
    assert.strictEqual(show.stdout, fs.readFileSync(path.join(f.root, `kitty-specs/${f.slug}/status.json`), "utf8"))
    const rows = fs.readFileSync(path.join(f.root, f.logRel), "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))
    const done = rows.filter((r) => r.to_lane === "done")
    assert.deepStrictEqual(done.map((r) => [r.wp_id, r.from_lane, r.actor, r.evidence.review.reviewer]), [
      ["WP01", "approved", "kittyctx-merge", "rita"],
      ["WP02", "approved", "kittyctx-merge", "rita"]
    ])
    assert.deepStrictEqual(done[0].policy_metadata, { merge_phase: "lane_integrated", target_branch: f.target })
    // lanes and the mission branch are cleaned up; nothing of the run is left
    assert.deepStrictEqual(git(f.root, ["branch", "--format=%(refname:short)"]).split("\n").sort(), ["develop", "main"])
    noMergeLeftovers(f)
  })

  it("the protected target main is merged without the operator override (the merge's own capability, A5.6)", () => {
    const f = fixture({ target: "main" })
    const run = merge(f)
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    assert.deepStrictEqual(lanesOnTarget(f), { WP01: "done", WP02: "done" })
  })
})

describe("a lane conflict", () => {
  const conflicting = () =>
    fixture({
      lanes: {
        "lane-a": { wps: ["WP01"], files: { "src/shared.txt": "from lane a\n" } },
        "lane-b": { wps: ["WP02"], files: { "src/shared.txt": "from lane b\n" } }
      }
    })

  it("stops with MERGE_CONFLICT and the workspace kept; resolved there, --resume completes", () => {
    const f = conflicting()
    const run = merge(f)
    assert.strictEqual(run.code, 1)
    const err = json(run).error
    assert.strictEqual(err.code, "MERGE_CONFLICT")
    assert.deepStrictEqual(err.conflicted_files, ["src/shared.txt"])
    assert.strictEqual(err.lane_id, "lane-b")
    const state = JSON.parse(fs.readFileSync(f.stateFile, "utf8"))
    assert.strictEqual(state.phase, "merge_lanes")
    assert.deepStrictEqual(state.lanes_completed, ["lane-a"])
    assert.isTrue(state.has_pending_conflicts)
    const ws = err.workspace_path as string
    assert.isTrue(fs.existsSync(path.join(ws, "src/shared.txt")))
    // the user's checkout did not move and is clean
    assert.strictEqual(git(f.root, ["symbolic-ref", "--short", "HEAD"]), f.target)
    assert.strictEqual(git(f.root, ["status", "--porcelain"]), "")
    // --resume with the conflict still there refuses
    const early = merge(f, "--resume")
    assert.strictEqual(early.code, 1)
    assert.strictEqual(json(early).error.code, "MERGE_UNRESOLVED_PATHS")
    fs.writeFileSync(path.join(ws, "src/shared.txt"), "from both lanes\n")
    git(ws, ["add", "src/shared.txt"])
    const resumed = merge(f, "--resume")
    assert.strictEqual(resumed.code, 0, resumed.stdout + resumed.stderr)
    assert.isTrue(json(resumed).resumed)
    assert.deepStrictEqual(lanesOnTarget(f), { WP01: "done", WP02: "done" })
    assert.strictEqual(fs.readFileSync(path.join(f.root, "src/shared.txt"), "utf8"), "from both lanes\n")
    noMergeLeftovers(f)
  })

  it("--abort removes state, lock and workspace, and lists the ref it had already moved (lane-a into the mission)", () => {
    const f = conflicting()
    const before = git(f.root, ["rev-parse", f.missionBranch])
    assert.strictEqual(merge(f).code, 1)
    const aborted = merge(f, "--abort")
    assert.strictEqual(aborted.code, 0, aborted.stdout + aborted.stderr)
    const out = json(aborted)
    assert.deepStrictEqual(out.advanced_refs.map((m: any) => [m.ref, m.from]), [[f.missionBranch, before]])
    assert.strictEqual(git(f.root, ["rev-parse", f.missionBranch]), out.advanced_refs[0].to, "not rolled back")
    noMergeLeftovers(f)
    // the lock is free: a dry run and a new merge can start
    assert.strictEqual(merge(f, "--dry-run").code, 0)
    assert.strictEqual(json(merge(f, "--abort")).error.code, "NO_MERGE_TO_RESUME")
  })
})

describe("which merge --resume means", () => {
  it("without --mission: the one merge in progress; with two in progress: MERGE_STATE_AMBIGUOUS", () => {
    const f = fixture({
      lanes: {
        "lane-a": { wps: ["WP01"], files: { "src/shared.txt": "from lane a\n" } },
        "lane-b": { wps: ["WP02"], files: { "src/shared.txt": "from lane b\n" } }
      }
    })
    assert.strictEqual(merge(f).code, 1)
    // a second (hand-made) state: another mission's merge in progress
    const other = path.join(path.dirname(path.dirname(f.stateFile)), "01JZMH00000000000000000000")
    fs.mkdirSync(other)
    const state = JSON.parse(fs.readFileSync(f.stateFile, "utf8"))
    fs.writeFileSync(path.join(other, "state.json"), JSON.stringify({ ...state, mission_id: "01JZMH00000000000000000000", mission_slug: "other-01JZMH00" }))
    const ambiguous = f.cli(["merge", "--resume", "--json"])
    assert.strictEqual(ambiguous.code, 1)
    assert.strictEqual(json(ambiguous).error.code, "MERGE_STATE_AMBIGUOUS")
    assert.deepStrictEqual(json(ambiguous).error.missions.sort(), ["other-01JZMH00", f.slug].sort())
    fs.rmSync(other, { recursive: true })
    const still = f.cli(["merge", "--resume", "--json"])
    assert.strictEqual(json(still).error.code, "MERGE_UNRESOLVED_PATHS", "resumes this mission's merge, which still has its conflict")
  })
})

describe("the integration", () => {
  it("a target change conflicting with the mission stops the run; nothing on the target is overwritten (never -X theirs)", () => {
    const f = fixture({ targetFiles: { "src/a.txt": "the target's own alpha\n" } })
    const targetBefore = git(f.root, ["rev-parse", f.target])
    const run = merge(f)
    assert.strictEqual(run.code, 1)
    const err = json(run).error
    assert.strictEqual(err.code, "MERGE_CONFLICT")
    assert.deepStrictEqual(err.conflicted_files, ["src/a.txt"])
    assert.strictEqual(git(f.root, ["rev-parse", f.target]), targetBefore)
    assert.strictEqual(fs.readFileSync(path.join(f.root, "src/a.txt"), "utf8"), "the target's own alpha\n")
    assert.strictEqual(JSON.parse(fs.readFileSync(f.stateFile, "utf8")).phase, "integrate")
    fs.writeFileSync(path.join(err.workspace_path, "src/a.txt"), "alpha, reconciled\n")
    git(err.workspace_path, ["add", "src/a.txt"])
    const resumed = merge(f, "--resume")
    assert.strictEqual(resumed.code, 0, resumed.stdout + resumed.stderr)
    assert.strictEqual(fs.readFileSync(path.join(f.root, "src/a.txt"), "utf8"), "alpha, reconciled\n")
    assert.deepStrictEqual(lanesOnTarget(f), { WP01: "done", WP02: "done" })
  })

  it("merge.strategy from .kittify/config.yaml: merge gives a two-parent commit; an invalid value is CONFIG_INVALID", () => {
    const f = fixture({ config: "project: test\nmerge:\n  strategy: merge\n" })
    const run = merge(f)
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    assert.strictEqual(json(run).strategy, "merge")
    const integration = json(run).integration_commit as string
    assert.strictEqual(git(f.root, ["rev-list", "--parents", "-n", "1", integration]).split(" ").length, 3)
    const bad = fixture({ config: "merge:\n  strategy: theirs\n" })
    const refused = merge(bad)
    assert.strictEqual(refused.code, 1)
    assert.strictEqual(json(refused).error.code, "CONFIG_INVALID")
    assert.isFalse(fs.existsSync(bad.stateFile))
  })
})

describe("rebase and push", () => {
  it("--strategy rebase puts the mission's commits on the target linearly; --push updates origin", () => {
    const f = fixture({ targetFiles: { "src/other.txt": "the target moved on\n" } })
    const origin = path.join(f.base, "origin.git")
    git(f.base, ["init", "-q", "--bare", origin])
    git(f.root, ["remote", "add", "origin", origin])
    git(f.root, ["push", "-q", "origin", f.target])
    const run = merge(f, "--strategy", "rebase", "--push")
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    const out = json(run)
    assert.strictEqual(out.strategy, "rebase")
    assert.isTrue(out.pushed)
    assert.strictEqual(git(origin, ["rev-parse", f.target]), git(f.root, ["rev-parse", f.target]))
    assert.strictEqual(git(f.root, ["rev-list", "--merges", "--count", `${f.target}~2..${f.target}`]), "0")
    const subjects = git(f.root, ["log", "--format=%s", f.target]).split("\n")
    assert.includeMembers(subjects, ["lane-a work", "lane-b work", `chore(${f.slug}): assign mission number 8`, "target moved on"])
    assert.deepStrictEqual(lanesOnTarget(f), { WP01: "done", WP02: "done" })
  })
})

describe("--dry-run", () => {
  it("touches nothing and predicts the conflict the real run meets", () => {
    const f = fixture({
      lanes: {
        "lane-a": { wps: ["WP01"], files: { "src/shared.txt": "from lane a\n" } },
        "lane-b": { wps: ["WP02"], files: { "src/shared.txt": "from lane b\n" } }
      }
    })
    const before = repoFingerprint(f.root)
    const dry = merge(f, "--dry-run")
    assert.strictEqual(dry.code, 0, dry.stdout + dry.stderr)
    const out = json(dry)
    assert.deepStrictEqual(repoFingerprint(f.root), before)
    assert.deepStrictEqual(out.conflicts, [{ step: `lane-b into ${f.missionBranch}`, files: ["src/shared.txt"] }])
    assert.strictEqual(out.would_bake_mission_number, 8)
    assert.deepStrictEqual(out.wps, [{ id: "WP01", lane: "approved" }, { id: "WP02", lane: "approved" }])
    assert.isTrue(out.drivers_emulated)
    const real = json(merge(f)).error
    assert.deepStrictEqual([`${real.lane_id} into ${f.missionBranch}`, real.conflicted_files], [out.conflicts[0].step, out.conflicts[0].files])
  })

  it("predicts a clean merge where the logs diverged (the driver runs in the prediction), and the real run is clean", () => {
    // each lane appends its own row to the mission's log: a text merge conflicts, the union does not
    const f = fixture()
    const extra = (n: number, wp: string) =>
      `{"actor": "dev", "at": "2026-01-02T00:00:0${n}.000000+00:00", "event_id": "01JZMG000000000000000009${n}0", "kind": "annotation", "delta": {"note": "n${n}"}, "wp_id": "${wp}"}\n`
    for (const [lane, n, wp] of [["lane-a", 1, "WP01"], ["lane-b", 2, "WP02"]] as const) {
      git(f.root, ["checkout", "-q", f.laneBranch(lane)])
      fs.appendFileSync(path.join(f.root, f.logRel), extra(n, wp))
      git(f.root, ["commit", "-qam", `${lane} note`])
    }
    git(f.root, ["checkout", "-q", f.target])
    const before = repoFingerprint(f.root)
    const out = json(merge(f, "--dry-run"))
    assert.deepStrictEqual(repoFingerprint(f.root), before)
    assert.deepStrictEqual(out.conflicts, [])
    const run = merge(f)
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    const log = git(f.root, ["show", `${f.target}:${f.logRel}`])
    assert.include(log, "\"n1\"")
    assert.include(log, "\"n2\"")
  })
})

describe("refusals leave nothing behind", () => {
  it("WPS_NOT_APPROVED names the open work packages; no state, no workspace, refs unchanged", () => {
    const f = fixture({ wpLanes: { WP02: "in_progress" } })
    const refs = refsOf(f.root)
    const run = merge(f)
    assert.strictEqual(run.code, 1)
    const err = json(run).error
    assert.strictEqual(err.code, "WPS_NOT_APPROVED")
    assert.include(err.message, "WP02 (in_progress)")
    assert.strictEqual(refsOf(f.root), refs)
    assert.isFalse(fs.existsSync(path.join(f.root, ".git", "kittyctx")))
  })

  it("a spec-kitty merge in progress refuses with MERGE_FOREIGN_IN_PROGRESS, and kittyctx leaves its state alone", () => {
    const f = fixture()
    const foreign = path.join(f.root, ".kittify/runtime/merge/__global_merge__/lock")
    fs.mkdirSync(path.dirname(foreign), { recursive: true })
    fs.writeFileSync(foreign, "2026-01-01T00:00:00\n")
    const run = merge(f)
    assert.strictEqual(run.code, 1)
    assert.strictEqual(json(run).error.code, "MERGE_FOREIGN_IN_PROGRESS")
    assert.strictEqual(fs.readFileSync(foreign, "utf8"), "2026-01-01T00:00:00\n")
    assert.isFalse(fs.existsSync(f.stateFile))
  })

  it("--resume without an interrupted merge is NO_MERGE_TO_RESUME", () => {
    const f = fixture()
    const run = merge(f, "--resume")
    assert.strictEqual(run.code, 1)
    assert.strictEqual(json(run).error.code, "NO_MERGE_TO_RESUME")
    assert.strictEqual(json(run).error.message, "No interrupted merge to resume.")
  })
})
