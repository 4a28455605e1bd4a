/**
 * Fixtures of missions ready to merge, built with plain git (fixed ids, times and commit dates, so two
 * builds give the same commits), and fingerprints of a repository for "nothing changed" checks.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { JsonValue } from "../../src/core/python/PyJson.js"
import { fileSha256, treeHashes } from "./fingerprint.js"
import { pyJson, transitionRow } from "./fixtures.js"
import { commitAll, git, isolatedEnv, makeRepo, makeTemp, runCli, wpFile, writeFiles } from "./repo.js"
import type { CliRun } from "./repo.js"

/** A lane of a fixture: its WPs, and the files its branch commits. */
export interface LaneSpec {
  readonly wps: ReadonlyArray<string>
  readonly files: Readonly<Record<string, string>>
}

/** A mission ready to merge (every WP approved, lane branches with work, a mission branch). */
export interface MergeFixture {
  readonly base: string
  readonly root: string
  readonly slug: string
  readonly missionId: string
  readonly target: string
  readonly missionBranch: string
  readonly laneBranch: (laneId: string) => string
  readonly logRel: string
  readonly cli: (args: ReadonlyArray<string>, env?: Record<string, string>) => CliRun
  readonly env: (extra?: Record<string, string>) => NodeJS.ProcessEnv
  readonly stateFile: string
}

const SLUG = "ship-it-01JZMG00"
const MISSION_ID = "01JZMG00000000000000000000"

const row = (n: number, wp: string, from: string, to: string, extra: { readonly actor?: string; readonly evidence?: JsonValue } = {}) =>
  pyJson(transitionRow({
    wp,
    from,
    to,
    missionId: MISSION_ID,
    slug: SLUG,
    eventId: `01JZMG00${"0".repeat(14)}${String(n).padStart(4, "0")}`,
    at: `2026-01-01T00:${String(Math.floor(n / 60)).padStart(2, "0")}:${String(n % 60).padStart(2, "0")}.000000+00:00`,
    actor: extra.actor ?? "dev",
    ...(extra.evidence === undefined ? {} : { evidence: extra.evidence }),
    withoutReviewResult: true
  }))

/** The rows that take each WP from genesis to `lane` (approved by default). */
const logFor = (wps: ReadonlyArray<string>, lanes: Readonly<Record<string, string>>): string => {
  const path_ = ["planned", "claimed", "in_progress", "approved"]
  const lines: Array<string> = []
  let n = 1
  for (const wp of wps) lines.push(row(n++, wp, "genesis", "planned", { actor: "finalize-tasks" }))
  for (const wp of wps) {
    const end = lanes[wp] ?? "approved"
    for (let i = 1; i < path_.length && path_.indexOf(end) >= i; i++) {
      const evidence = path_[i] === "approved" ? { review: { reviewer: "rita", verdict: "approved", reference: `review-${wp}` } } : null
      lines.push(row(n++, wp, path_[i - 1], path_[i], { actor: path_[i] === "approved" ? "rita" : "dev", evidence }))
    }
  }
  return lines.join("\n") + "\n"
}

/**
 * A lanes mission on `target` (checked out in the primary root): its mission branch forked from the
 * target, a branch per lane forked from it with the lane's files committed, and every WP approved in
 * the committed log (or the lane given in `wpLanes`). `targetFiles` are committed on the target after
 * the fork (to make the integration conflict).
 */
export const mergeFixture = (opts: {
  readonly target?: string
  readonly lanes?: Readonly<Record<string, LaneSpec>>
  readonly wpLanes?: Readonly<Record<string, string>>
  readonly targetFiles?: Readonly<Record<string, string>>
  readonly config?: string
  /** A legacy mission: meta.json has no mission_id (kittyctx keys its merge state on the slug). */
  readonly legacy?: boolean
  /** A coordination mission: its coordination branch is the mission branch (materialised by kittyctx on demand). */
  readonly coordination?: boolean
} = {}): MergeFixture => {
  const target = opts.target ?? "develop"
  const lanes = opts.lanes ?? {
    "lane-a": { wps: ["WP01"], files: { "src/a.txt": "alpha\n" } },
    "lane-b": { wps: ["WP02"], files: { "src/b.txt": "beta\n" } }
  }
  const base = makeTemp("kittyctx-merge-")
  const root = makeRepo(path.join(base, "repo"))
  const envOf = (extra: Record<string, string> = {}) => isolatedEnv(base, extra)
  const g = (args: ReadonlyArray<string>) => git(root, args, envOf())
  if (target !== "main") g(["checkout", "-q", "-b", target])
  const dir = `kitty-specs/${SLUG}`
  const wps = Object.values(lanes).flatMap((l) => l.wps).sort()
  const missionBranch = `kitty/mission-${SLUG}`
  const files: Record<string, string> = {
    [`${dir}/meta.json`]: JSON.stringify(
      {
        ...(opts.legacy === true ? {} : { mission_id: MISSION_ID }),
        mission_slug: SLUG,
        slug: SLUG,
        mission_type: "software-dev",
        target_branch: target,
        ...(opts.coordination === true ? { topology: "lanes_with_coord", coordination_branch: `kitty/mission-${SLUG}` } : {})
      },
      null,
      2
    ) + "\n",
    [`${dir}/lanes.json`]: JSON.stringify({
      version: 1,
      mission_branch: missionBranch,
      lanes: Object.entries(lanes).map(([lane_id, l]) => ({ lane_id, wp_ids: l.wps }))
    }, null, 2) + "\n",
    [`${dir}/status.events.jsonl`]: logFor(wps, opts.wpLanes ?? {}),
    [`${dir}/spec.md`]: "# spec\n",
    "src/shared.txt": "shared\n",
    "kitty-specs/older-01JZMA00/meta.json": JSON.stringify({ mission_id: "01JZMA00000000000000000000", mission_number: 7 }, null, 2) +
      "\n",
    ...(opts.config === undefined ? {} : { ".kittify/config.yaml": opts.config })
  }
  for (const wp of wps) files[`${dir}/tasks/${wp}-work.md`] = wpFile(wp, { subtasks: [] })
  writeFiles(root, files)
  commitAll(root, "mission approved")
  g(["branch", missionBranch, target])
  const laneBranch = (laneId: string) => `kitty/mission-${SLUG}-${laneId}`
  for (const [laneId, l] of Object.entries(lanes)) {
    g(["checkout", "-q", "-b", laneBranch(laneId), missionBranch])
    writeFiles(root, l.files)
    commitAll(root, `${laneId} work`)
  }
  g(["checkout", "-q", target])
  if (opts.targetFiles !== undefined) {
    writeFiles(root, opts.targetFiles)
    commitAll(root, "target moved on")
  }
  return {
    base,
    root,
    slug: SLUG,
    missionId: MISSION_ID,
    target,
    missionBranch,
    laneBranch,
    logRel: `${dir}/status.events.jsonl`,
    cli: (args, env = {}) => runCli(root, args, envOf(env)),
    env: envOf,
    stateFile: path.join(root, ".git", "kittyctx", "merge", opts.legacy === true ? SLUG : MISSION_ID, "state.json")
  }
}

/** Every ref with the commit it names. */
export const refsOf = (root: string): string => git(root, ["for-each-ref", "--format=%(refname) %(objectname)"])

/** The files under `dir` (links recorded by target), nothing when it does not exist. */
const filesUnder = (dir: string, skip: (rel: string) => boolean): Record<string, string> =>
  fs.existsSync(dir) ? treeHashes(dir, { skip }) : {}

/**
 * A fingerprint of what a command must not change: refs, reflogs, every checkout's index and files,
 * the worktree registry, and the repository's config and attributes. Objects may be added.
 */
export const repoFingerprint = (root: string): Record<string, unknown> => {
  const gitDir = path.join(root, ".git")
  const worktrees = git(root, ["worktree", "list", "--porcelain"])
  const checkouts = worktrees.split("\n").filter((l) => l.startsWith("worktree ")).map((l) => l.slice(9))
  return {
    refs: refsOf(root),
    reflogs: filesUnder(path.join(gitDir, "logs"), () => false),
    worktrees,
    config: fileSha256(path.join(gitDir, "config")),
    info: filesUnder(path.join(gitDir, "info"), () => false),
    admin: filesUnder(gitDir, (rel) => rel.startsWith("objects") || rel.startsWith("logs")),
    checkouts: Object.fromEntries(checkouts.map((c) => [c, filesUnder(c, (rel) => rel === ".git" || rel.startsWith(".git/"))]))
  }
}
