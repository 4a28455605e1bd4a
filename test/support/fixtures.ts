/**
 * The parity-ratchet fixtures of docs/execution-context.md §16.1, built per test run with real git in a
 * temp directory: fixed ids, fixed commit and event timestamps, sorted-key JSON, valid ULID event ids.
 * Each builder returns the paths a test needs and a `cleanup` that removes the temp tree.
 * Bare section numbers (§N) cite docs/execution-context.md.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { JsonValue } from "../../src/core/python/PyJson.js"
import { git as gitIn, isolatedEnv, makeRepo, makeTemp, removeTemp, wpFile, writeFiles } from "./repo.js"

/** A built repository: the temp base (also `HOME`), the primary root and the git environment used. */
export interface Fixture {
  readonly base: string
  readonly root: string
  readonly env: NodeJS.ProcessEnv
  readonly cleanup: () => void
}

/** A mission of a fixture: its directory name, id and mid8. */
export interface MissionSpec {
  readonly slug: string
  readonly missionId: string
  readonly mid8: string
}

/** F1's mission (the id is a valid 26-character Crockford ULID, as the spec gives it). */
export const F1_MISSION: MissionSpec = {
  slug: "parity-mission-01JZPART",
  missionId: "01JZPARTEST0000000000000A1",
  mid8: "01JZPART"
}
/** F2's mission. */
export const F2_MISSION: MissionSpec = {
  slug: "coord-mission-01JZCRDM",
  missionId: "01JZCRDM000000000000000000",
  mid8: "01JZCRDM"
}
/** F2's coordination branch (meta.coordination_branch, verbatim). */
export const F2_COORD_BRANCH = "kitty/mission-coord-mission-01JZCRDM"
/** F3's mission. */
export const F3_MISSION: MissionSpec = {
  slug: "flat-mission-01JZFXT0",
  missionId: "01JZFXT0000000000000000000",
  mid8: "01JZFXT0"
}

/** Recursively key-sorted JSON, Python `json.dumps(sort_keys=True)` style (`", "` and `": "`). */
export const pyJson = (value: unknown): string => {
  if (value === null || typeof value !== "object") return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(pyJson).join(", ")}]`
  const o = value as Record<string, unknown>
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}: ${pyJson(o[k])}`).join(", ")}}`
}

const sortKeys = (value: unknown): unknown => {
  if (value === null || typeof value !== "object") return value
  if (Array.isArray(value)) return value.map(sortKeys)
  const o = value as Record<string, unknown>
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortKeys(o[k])]))
}

/** Key-sorted, 2-space indented JSON with a trailing newline (how the fixtures write meta.json, lanes.json). */
export const sortedJsonFile = (value: unknown): string => JSON.stringify(sortKeys(value), null, 2) + "\n"

/** A valid ULID event id: the mission's mid8, zeros, and a two-digit sequence number. */
export const eventId = (mission: MissionSpec, n: number): string =>
  `${mission.mid8}${"0".repeat(16)}${String(n).padStart(2, "0")}`

/** What a test names of one transition row; everything else takes the value spec-kitty writes by default. */
export interface TransitionFields {
  readonly wp: string
  readonly from: string
  readonly to: string
  /** null for a legacy row without a mission id */
  readonly missionId: string | null
  readonly slug: string
  readonly eventId: string
  readonly at: string
  readonly actor?: string
  readonly evidence?: JsonValue
  readonly force?: boolean
  readonly reason?: string | null
  /** Leave `review_result` out, as rows written before it existed do. */
  readonly withoutReviewResult?: true
}

/** One transition row of `status.events.jsonl` as an object (the tests' one builder of that shape). */
export const transitionRow = (r: TransitionFields): { readonly [key: string]: JsonValue } => ({
  actor: r.actor ?? "finalize-tasks",
  at: r.at,
  event_id: r.eventId,
  evidence: r.evidence ?? null,
  execution_mode: "worktree",
  force: r.force ?? false,
  from_lane: r.from,
  mission_id: r.missionId,
  mission_slug: r.slug,
  policy_metadata: null,
  reason: r.reason ?? null,
  review_ref: null,
  ...(r.withoutReviewResult === true ? {} : { review_result: null }),
  to_lane: r.to,
  wp_id: r.wp
})

/** One transition row of `status.events.jsonl` in spec-kitty's line format (fixed time from `n`). */
export const transitionLine = (
  mission: MissionSpec,
  n: number,
  row: {
    readonly wp: string
    readonly from: string
    readonly to: string
    readonly actor?: string
    readonly force?: boolean
    readonly reason?: string | null
  }
): string =>
  pyJson(transitionRow({
    ...row,
    missionId: mission.missionId,
    slug: mission.slug,
    eventId: eventId(mission, n),
    at: `2026-01-01T00:00:${String(n).padStart(2, "0")}.000000+00:00`
  }))

/** The bootstrap rows (genesis → planned) of WP01..WP03, numbered 1..3. */
export const bootstrapLog = (mission: MissionSpec): string =>
  ["WP01", "WP02", "WP03"].map((wp, i) =>
    transitionLine(mission, i + 1, { wp, from: "genesis", to: "planned", reason: "canonical bootstrap" })
  ).join("\n") + "\n"

/** The row that makes lane copies stale: WP01 forced to `for_review` (number 4). */
export const staleMakerLine = (mission: MissionSpec): string =>
  transitionLine(mission, 4, { wp: "WP01", from: "planned", to: "for_review", force: true, reason: "parity fixture" })

const laneEntry = (laneId: string, wps: ReadonlyArray<string>, scope: string) => ({
  depends_on_lanes: [],
  lane_id: laneId,
  parallel_group: 0,
  predicted_surfaces: [],
  wp_ids: wps,
  write_scope: [scope]
})

/** The files of a three-WP mission (WP03 is a planning artifact); `lanes` false for single-branch missions. */
export const missionTree = (
  mission: MissionSpec,
  meta: Record<string, unknown>,
  opts: { readonly lanes: boolean }
): Record<string, string> => {
  const dir = `kitty-specs/${mission.slug}`
  const files: Record<string, string> = {
    [`${dir}/meta.json`]: sortedJsonFile({
      created_at: "2026-01-01T00:00:00+00:00",
      friendly_name: mission.slug,
      mission_id: mission.missionId,
      mission_slug: mission.slug,
      mission_type: "software-dev",
      slug: mission.slug,
      ...meta
    }),
    [`${dir}/spec.md`]: `# ${mission.slug}\n`,
    [`${dir}/plan.md`]: "# plan\n",
    [`${dir}/tasks.md`]: "# tasks\n",
    [`${dir}/tasks/WP01-build-core.md`]: wpFile("WP01", { subtasks: [], executionMode: "code_change" }),
    [`${dir}/tasks/WP02-build-cli.md`]: wpFile("WP02", { subtasks: [], executionMode: "code_change" }),
    [`${dir}/tasks/WP03-write-docs.md`]: wpFile("WP03", { subtasks: [], executionMode: "planning_artifact" }),
    [`${dir}/status.events.jsonl`]: bootstrapLog(mission),
    [`${dir}/status.json`]: sortedJsonFile({ event_count: 3, mission_slug: mission.slug, stub: true })
  }
  if (opts.lanes) {
    files[`${dir}/lanes.json`] = sortedJsonFile({
      computed_at: "2026-01-01T00:00:00+00:00",
      computed_from: "tasks.md",
      lanes: [
        laneEntry("lane-a", ["WP01"], "src/core/**"),
        laneEntry("lane-b", ["WP02"], "src/cli/**")
      ],
      mission_branch: `kitty/mission-${mission.slug}`,
      mission_id: mission.missionId,
      mission_slug: mission.slug,
      planning_artifact_wps: ["WP03"],
      planning_commit_sha: null,
      // R-LANES-2: never a target branch; a decoy value makes a resolver that reads it visible.
      target_branch: "lanes-json-decoy",
      version: 1
    })
  }
  return files
}

/** The non-cone sparse patterns of a `lanes_with_coord` lane (§2.6). */
export const sparsePatterns = (slug: string): ReadonlyArray<string> => [
  "/*",
  `!kitty-specs/${slug}/status.events.jsonl`,
  `!kitty-specs/${slug}/status.json`
]

interface Repo {
  readonly base: string
  readonly root: string
  readonly env: NodeJS.ProcessEnv
  readonly git: (cwd: string, args: ReadonlyArray<string>) => string
}

const newRepo = (): Repo => {
  const base = makeTemp("kittyctx-parity-")
  const env = isolatedEnv(base)
  const root = makeRepo(path.join(base, "repo"))
  return { base, root, env, git: (cwd, args) => gitIn(cwd, args, env) }
}

const fixtureOf = (r: Repo): Fixture => ({ base: r.base, root: r.root, env: r.env, cleanup: () => removeTemp(r.base) })

const commit = (r: Repo, cwd: string, message: string) => {
  r.git(cwd, ["add", "-A"])
  r.git(cwd, ["commit", "-q", "-m", message])
}

const appendFile = (file: string, text: string) => fs.appendFileSync(file, text)

/** Adds a worktree on an existing branch; with `sparse`, excludes the mission's status files from disk. */
const addWorktree = (r: Repo, wtPath: string, branch: string, sparseSlug?: string) => {
  r.git(r.root, ["worktree", "add", wtPath, branch])
  if (sparseSlug !== undefined) {
    r.git(wtPath, ["sparse-checkout", "set", "--no-cone", ...sparsePatterns(sparseSlug)])
    for (const f of ["status.events.jsonl", "status.json"]) {
      if (fs.existsSync(path.join(wtPath, "kitty-specs", sparseSlug, f))) {
        throw new Error(`fixture: sparse checkout left ${f} on disk in ${wtPath}`)
      }
    }
  }
}

/** A deep directory of the primary checkout (committed, so lanes have it too). */
const DEEP = "docs/guides/deep/nested"

/** F1 and its derivatives: paths of the primary checkout and of the two lane worktrees. */
export interface LanesFixture extends Fixture {
  readonly mission: MissionSpec
  readonly primaryDir: string
  readonly deepSubdir: string
  /** Plain lane worktree (full stale copy). */
  readonly laneA: string
  /** `laneA`'s own copy of the mission dir (a subdirectory of it, `tasks/`, is in the CWD matrix). */
  readonly laneAMissionDir: string
  /** Sparse lane worktree (status files absent from disk). */
  readonly laneB: string
  readonly laneBMissionDir: string
}

const buildLanes = (r: Repo): LanesFixture => {
  const m = F1_MISSION
  writeFiles(r.root, { ...missionTree(m, { topology: "lanes" }, { lanes: true }), [`${DEEP}/.gitkeep`]: "" })
  commit(r, r.root, `mission ${m.slug}`)
  r.git(r.root, ["branch", `kitty/mission-${m.slug}`])
  r.git(r.root, ["branch", `kitty/mission-${m.slug}-lane-a`])
  r.git(r.root, ["branch", `kitty/mission-${m.slug}-lane-b`])
  const laneA = path.join(r.root, ".worktrees", `${m.slug}-lane-a`)
  const laneB = path.join(r.root, ".worktrees", `${m.slug}-lane-b`)
  addWorktree(r, laneA, `kitty/mission-${m.slug}-lane-a`)
  addWorktree(r, laneB, `kitty/mission-${m.slug}-lane-b`, m.slug)
  const primaryDir = path.join(r.root, "kitty-specs", m.slug)
  appendFile(path.join(primaryDir, "status.events.jsonl"), staleMakerLine(m) + "\n")
  commit(r, r.root, "status: WP01 for_review")
  return {
    ...fixtureOf(r),
    mission: m,
    primaryDir,
    deepSubdir: path.join(r.root, DEEP),
    laneA,
    laneAMissionDir: path.join(laneA, "kitty-specs", m.slug),
    laneB,
    laneBMissionDir: path.join(laneB, "kitty-specs", m.slug)
  }
}

/** F1 lanes: `topology: lanes`, no target_branch, plain lane-a and sparse lane-b, both stale. */
export const buildF1 = (): LanesFixture => buildLanes(newRepo())

/** F1b: F1 with the primary checkout switched to `feat/elsewhere`. */
export const buildF1b = (): LanesFixture => {
  const r = newRepo()
  const f = buildLanes(r)
  r.git(r.root, ["checkout", "-q", "-b", "feat/elsewhere"])
  return f
}

/** The six coordination states of F2. */
export type F2Variant = "MATERIALIZED" | "EMPTY" | "UNMATERIALIZED-local" | "UNMATERIALIZED-remote" | "DELETED" | "MISMATCH"

/** F2: the coordination mission. */
export interface CoordFixture extends Fixture {
  readonly variant: F2Variant
  readonly mission: MissionSpec
  readonly primaryDir: string
  readonly deepSubdir: string
  /** `<root>/.worktrees/coord-mission-01JZCRDM-coord` (present for MATERIALIZED, EMPTY, MISMATCH). */
  readonly coordRoot: string
  /** `<coordRoot>/kitty-specs/coord-mission-01JZCRDM`. */
  readonly coordDir: string
  /** Sparse lane-a parented on the coordination branch. */
  readonly laneA: string
  readonly laneAMissionDir: string
  /** The branch a MISMATCH coord worktree is on. */
  readonly otherBranch: string
}

/** F2 coord (`lanes_with_coord`), in one of its six variants. */
export const buildF2 = (variant: F2Variant): CoordFixture => {
  const r = newRepo()
  const m = F2_MISSION
  const B = F2_COORD_BRANCH
  const initCommit = r.git(r.root, ["rev-parse", "HEAD"])
  writeFiles(r.root, {
    ...missionTree(m, { topology: "lanes_with_coord", coordination_branch: B, target_branch: "main" }, { lanes: true }),
    [`${DEEP}/.gitkeep`]: ""
  })
  commit(r, r.root, `mission ${m.slug}`)
  const coordRoot = path.join(r.root, ".worktrees", `${m.slug}-coord`)
  const coordDir = path.join(coordRoot, "kitty-specs", m.slug)
  r.git(r.root, ["branch", B])
  addWorktree(r, coordRoot, B)
  appendFile(path.join(coordDir, "status.events.jsonl"), staleMakerLine(m) + "\n")
  commit(r, coordRoot, "status: WP01 for_review (coordination branch)")
  const coordCommit = r.git(coordRoot, ["rev-parse", "HEAD"])
  const laneBranch = `kitty/mission-${m.slug}-lane-a`
  r.git(r.root, ["branch", laneBranch, B])
  const laneA = path.join(r.root, ".worktrees", `${m.slug}-lane-a`)
  addWorktree(r, laneA, laneBranch, m.slug)
  const otherBranch = "kitty/not-the-coordination-branch"
  const removeCoord = () => r.git(r.root, ["worktree", "remove", coordRoot])
  switch (variant) {
    case "MATERIALIZED":
      break
    case "EMPTY":
      removeCoord()
      r.git(r.root, ["branch", "-f", B, initCommit])
      addWorktree(r, coordRoot, B)
      break
    case "UNMATERIALIZED-local":
      removeCoord()
      break
    case "UNMATERIALIZED-remote":
      removeCoord()
      r.git(r.root, ["update-ref", `refs/remotes/origin/${B}`, coordCommit])
      r.git(r.root, ["branch", "-D", B])
      break
    case "DELETED":
      removeCoord()
      r.git(r.root, ["branch", "-D", B])
      break
    case "MISMATCH":
      removeCoord()
      r.git(r.root, ["worktree", "add", "-b", otherBranch, coordRoot, coordCommit])
      break
  }
  return {
    ...fixtureOf(r),
    variant,
    mission: m,
    primaryDir: path.join(r.root, "kitty-specs", m.slug),
    deepSubdir: path.join(r.root, DEEP),
    coordRoot,
    coordDir,
    laneA,
    laneAMissionDir: path.join(laneA, "kitty-specs", m.slug),
    otherBranch
  }
}

/** F3 flattened. */
export interface FlatFixture extends Fixture {
  readonly mission: MissionSpec
  readonly primaryDir: string
  readonly deepSubdir: string
}

/** F3: flattened `single_branch` mission, no target_branch, primary on `fixups/stabilization`. */
export const buildF3 = (): FlatFixture => {
  const r = newRepo()
  const m = F3_MISSION
  writeFiles(r.root, {
    ...missionTree(m, { flattened: true, topology: "single_branch" }, { lanes: false }),
    [`${DEEP}/.gitkeep`]: ""
  })
  commit(r, r.root, `mission ${m.slug}`)
  r.git(r.root, ["checkout", "-q", "-b", "fixups/stabilization"])
  return {
    ...fixtureOf(r),
    mission: m,
    primaryDir: path.join(r.root, "kitty-specs", m.slug),
    deepSubdir: path.join(r.root, DEEP)
  }
}

/** F4: F1 plus a relative-pointer worktree, a submodule-style dir and a husk. */
export interface PointerFixture extends LanesFixture {
  /** Linked worktree whose `.git` file holds a relative `gitdir: ../../.git/worktrees/<name>`. */
  readonly relativeWorktree: string
  readonly relativeWorktreeSubdir: string
  /** A directory whose `.git` file points to a gitdir without `commondir` (submodule style). */
  readonly submoduleDir: string
  /** A directory under `.worktrees/` that is not a registered worktree (no `.git`). */
  readonly husk: string
  /** The husk's stale copy of the mission dir. */
  readonly huskMissionDir: string
}

/** F4 pointers. */
export const buildF4 = (): PointerFixture => {
  const r = newRepo()
  const f = buildLanes(r)
  const m = f.mission
  const name = `${m.slug}-lane-c`
  const relativeWorktree = path.join(r.root, ".worktrees", name)
  r.git(r.root, ["branch", `kitty/mission-${name}`, `kitty/mission-${m.slug}-lane-a`])
  addWorktree(r, relativeWorktree, `kitty/mission-${name}`)
  const dotGit = path.join(relativeWorktree, ".git")
  const absolute = /^gitdir:\s*(.*)$/m.exec(fs.readFileSync(dotGit, "utf8"))![1].trim()
  const relative = path.relative(relativeWorktree, absolute)
  if (relative !== `../../.git/worktrees/${path.basename(absolute)}`) throw new Error(`fixture: unexpected gitdir ${absolute}`)
  fs.writeFileSync(dotGit, `gitdir: ${relative}\n`)
  const modules = path.join(r.root, ".git", "modules", "sub")
  r.git(r.root, ["init", "-q", "--bare", modules])
  const submoduleDir = path.join(r.root, "vendor", "sub")
  fs.mkdirSync(path.join(submoduleDir, "src"), { recursive: true })
  fs.writeFileSync(path.join(submoduleDir, ".git"), "gitdir: ../../.git/modules/sub\n")
  fs.writeFileSync(path.join(submoduleDir, "src", "lib.txt"), "vendored\n")
  if (fs.existsSync(path.join(modules, "commondir"))) throw new Error("fixture: a bare gitdir must not have commondir")
  // A husk: the remains of a removed lane worktree, holding a stale copy of the mission dir.
  const husk = path.join(r.root, ".worktrees", `${m.slug}-lane-z`)
  fs.cpSync(f.laneAMissionDir, path.join(husk, "kitty-specs", m.slug), { recursive: true })
  return {
    ...f,
    relativeWorktree,
    relativeWorktreeSubdir: path.join(relativeWorktree, "kitty-specs", m.slug, "tasks"),
    submoduleDir: path.join(submoduleDir, "src"),
    husk,
    huskMissionDir: path.join(husk, "kitty-specs", m.slug)
  }
}

/** The extra missions of F5. */
export const F5_MISSIONS = {
  legacy: { slug: "034-legacy-mission", missionId: "01JZ0340000000000000000000", mid8: "01JZ0340" },
  noIdentity: { slug: "035-no-identity", missionId: null, mid8: null },
  alpha: { slug: "083-alpha", missionId: null, mid8: null },
  beta: { slug: "083-beta", missionId: null, mid8: null },
  backfilled: { slug: "083-my-feature-01JZ0830", missionId: "01JZ0830000000000000000000", mid8: "01JZ0830" }
} as const

/** F5 handles: F1's repository plus the five handle-matrix missions (committed on main). */
export const buildF5 = (): LanesFixture => {
  const r = newRepo()
  const f = buildLanes(r)
  const files: Record<string, string> = {}
  for (const x of Object.values(F5_MISSIONS)) {
    const meta: Record<string, unknown> = {
      mission_slug: x.slug,
      mission_type: "software-dev",
      slug: x.slug,
      target_branch: "main"
    }
    if (x.missionId !== null) meta.mission_id = x.missionId
    files[`kitty-specs/${x.slug}/meta.json`] = sortedJsonFile(meta)
    files[`kitty-specs/${x.slug}/spec.md`] = `# ${x.slug}\n`
  }
  writeFiles(r.root, files)
  commit(r, r.root, "handle-matrix missions")
  return f
}
