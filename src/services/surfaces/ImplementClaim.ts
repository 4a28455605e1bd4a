/**
 * `implement` (surfaces spec §2): claims a work package. Under the mission's status lock, so that
 * concurrent claims serialise and a loser sees the winner's claim, every check runs before the first
 * write: the claimable lane (or an idempotent re-entry), dependencies, the analysis gate, the planning
 * artifacts on the placement ref (#1816: "committed" means "not dirty in the placement checkout", never
 * a comparison with some ref's blobs), the bulk-edit gates, the lane worktree's state and the transition
 * itself. Then it writes, in order: the adopted copies and the planning commit, the lane worktree, and
 * the planned → claimed event with the claim sidecar.
 */
import { FileSystem } from "@effect/platform"
import { Effect, Either } from "effect"
import { createHash } from "node:crypto"
import { analysisRequired } from "../../core/surfaces/AnalysisReport.js"
import type { Freshness } from "../../core/surfaces/AnalysisReport.js"
import { ContextErrors } from "../../core/context/ContextError.js"
import type { ContextError } from "../../core/context/ContextError.js"
import { branchExistsIn, readDirFor } from "../../core/context/ExecutionContext.js"
import type { MissionExecutionContext } from "../../core/context/ExecutionContext.js"
import { decodeLanesManifest } from "../../core/context/MissionMeta.js"
import {
  headsRef,
  kittyctxLockPath,
  LANES_FILE,
  laneSparsePatterns,
  missionBranch,
  missionDir,
  missionFile,
  suffixed
} from "../../core/layout/Naming.js"
import { BULK_EDIT, OccurrenceErrors } from "../../core/occurrence/OccurrenceMap.js"
import type { GateResult, OccurrenceError } from "../../core/occurrence/OccurrenceMap.js"
import { dirnamePath, isWithin, joinPath, relativeWithin } from "../../core/layout/Paths.js"
import { entryPaths, isStructural, placementDivergence, RESIDUE_RULES } from "../../core/surfaces/Placement.js"
import type { StatusEntry } from "../../core/surfaces/Placement.js"
import { decideTransition } from "../../core/status/StatusEvent.js"
import type { TransitionRequest } from "../../core/status/StatusEvent.js"
import { statusError } from "../../core/status/StatusError.js"
import type { StatusError } from "../../core/status/StatusError.js"
import { foldTransitions, reduce } from "../../core/status/StatusFold.js"
import { surfaceError } from "../../core/surfaces/SurfaceError.js"
import type { SurfaceError } from "../../core/surfaces/SurfaceError.js"
import { parseFrontmatter } from "../../core/status/WorkPackageFile.js"
import { writeAtomic } from "../ports/AtomicFile.js"
import { commitPaths, dirtyEntries, headRefOf, protectedRefusal } from "./CommitPath.js"
import { ensureWorktree, worktreeState } from "../context/CoordWorkspace.js"
import type { WorktreeOutcome } from "../context/CoordWorkspace.js"
import type { FileLock } from "../ports/FileLock.js"
import { Git } from "../ports/Git.js"
import { gitOperationInProgress } from "../ports/GitOpGuard.js"
import { MissionStatus } from "../status/MissionStatus.js"
import { ensureOccurrenceClassificationReady } from "./OccurrenceCheck.js"
import { probe, processIdentity } from "../ports/ProcessIdentity.js"
import type { Liveness } from "../ports/ProcessIdentity.js"
import { byteString, checkAnalysisFreshness, placementCheckoutOf, readBytes, unreadable } from "./RecordAnalysis.js"
import { RepoFs } from "../ports/RepoFs.js"
import { statusTargetOf } from "../context/ResolveContext.js"
import type { Resolution, ResolveRequirements } from "../context/ResolveContext.js"
import { emitTransition, resolveForWrite } from "./StatusWrites.js"

// ---------------------------------------------------------------------------------------------
// Request, outcome, gates

/** How uncommitted planning artifacts are handled: commit them (default), adopt primary edits too, or refuse. */
export type PlanningMode = "auto-commit" | "adopt" | "no-auto-commit"

/** One claim: the WP, who claims it, and from which shell. */
export interface ClaimRequest {
  readonly cwd: string
  readonly mission?: string | undefined
  readonly wpId: string
  readonly agent: string
  /** The claiming shell; the parent of this process when absent. */
  readonly shellPid?: number | undefined
  readonly planning?: PlanningMode | undefined
  readonly acknowledgeNotBulkEdit?: boolean | undefined
}

/** §2.3 output (`workspace_path` relative to the primary root). */
export interface ClaimOutcome {
  readonly wp_id: string
  readonly mission_slug: string
  readonly lane_id: string
  readonly workspace_path: string
  readonly branch: string
  readonly parent: string | null
  readonly event_id: string
  readonly from_lane: string
  readonly to_lane: string
  readonly planning_commit: string | null
  readonly adopted: ReadonlyArray<string>
  /** True for the idempotent re-entry of a live claim by its own agent (no new event). */
  readonly reentered: boolean
  readonly warnings: ReadonlyArray<string>
}

/** The two gates the claim consults (§2 steps 4 and 6), as functions so a test can isolate one step. */
export interface ClaimGates {
  readonly analysis: (r: Resolution) => Effect.Effect<Freshness, SurfaceError, FileSystem.FileSystem>
  readonly occurrence: (ctx: MissionExecutionContext) => Effect.Effect<GateResult, ContextError, RepoFs>
}

/** The gates of record-analysis (§1.7) and of occurrence maps (§6.3). */
export const LIVE_GATES: ClaimGates = {
  analysis: checkAnalysisFreshness,
  occurrence: ensureOccurrenceClassificationReady
}

/** Every failure a claim can end with. */
export type ClaimError = SurfaceError | ContextError | StatusError | OccurrenceError

/** The services a claim runs on. */
export type ClaimRequirements = ResolveRequirements | FileLock | FileSystem.FileSystem

// ---------------------------------------------------------------------------------------------
// Bulk-edit inference (§6.5, implement time)

const HIGH_PHRASES = [
  "rename across",
  "bulk edit",
  "codemod",
  "find-and-replace",
  "find and replace",
  "replace everywhere",
  "terminology migration",
  "rename all occurrences"
]
const MEDIUM_PHRASES = [
  "rename",
  "migrate",
  "replace all",
  "across the codebase",
  "globally",
  "sed",
  "search and replace"
]
const ALWAYS_TRIGGER = new Set(["replace all", "across the codebase"])

/** What the spec's wording suggests: the phrases found (each once), their score, and whether that triggers. */
export interface BulkEditInference {
  readonly score: number
  readonly phrases: ReadonlyArray<string>
  readonly triggered: boolean
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * §6.5: HIGH phrases score 3, MEDIUM 2, each phrase once; word-bounded, case-insensitive; a match inside a
 * longer phrase's match is not counted again ("rename across" is not also "rename"). Triggered at score
 * ≥ 4, by any HIGH phrase, or by "replace all" / "across the codebase".
 */
export const bulkEditInference = (specText: string): BulkEditInference => {
  const text = specText.toLowerCase()
  const weighted = [...HIGH_PHRASES.map((p) => [p, 3] as const), ...MEDIUM_PHRASES.map((p) => [p, 2] as const)]
    .sort((a, b) => b[0].length - a[0].length)
  const taken: Array<readonly [number, number]> = []
  const found = new Map<string, number>()
  for (const [phrase, weight] of weighted) {
    const re = new RegExp(`(?<![a-z0-9_])${escapeRegex(phrase)}(?![a-z0-9_])`, "g")
    for (const m of text.matchAll(re)) {
      const start = m.index
      const end = start + phrase.length
      if (taken.some(([s, e]) => start < e && s < end)) continue
      taken.push([start, end])
      found.set(phrase, weight)
    }
  }
  const phrases = [...found.keys()].sort()
  const score = [...found.values()].reduce((a, b) => a + b, 0)
  const triggered = score >= 4 || HIGH_PHRASES.some((p) => found.has(p)) || phrases.some((p) => ALWAYS_TRIGGER.has(p))
  return { score, phrases, triggered }
}

// ---------------------------------------------------------------------------------------------
// Small readers

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
const utf8OrNull = (bytes: Uint8Array): string | null => {
  try {
    return strictUtf8.decode(bytes)
  } catch {
    return null
  }
}

const readTextVia = (path: string) =>
  Effect.flatMap(RepoFs, (fs) => fs.readText(path)).pipe(Effect.mapError((e) => unreadable(path, e.message)))

// ---------------------------------------------------------------------------------------------
// Step 2: the claimable lane and the re-entry rule

/** The claim a WP's state holds (from the planned → claimed sidecar, as the fold keeps it). */
interface HeldClaim {
  readonly agent: string | null
  readonly pid: number | null
  readonly startedAt: string | null
}

const pidOf = (v: unknown): number | null =>
  typeof v === "number" && Number.isSafeInteger(v) ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : null

const heldClaimOf = (state: Record<string, unknown> | undefined): HeldClaim => {
  const created = state?.shell_pid_created_at
  return {
    agent: typeof state?.agent === "string" && state.agent !== "" ? state.agent : null,
    pid: pidOf(state?.shell_pid),
    startedAt: typeof created === "string" && created !== ""
      ? created
      : typeof created === "number" && Number.isFinite(created)
      ? created.toFixed(2)
      : null
  }
}

const livenessOfClaim = (claim: HeldClaim): Effect.Effect<Liveness> =>
  claim.pid === null ? Effect.succeed("unknown") : probe({ pid: claim.pid, started_at: claim.startedAt })

// ---------------------------------------------------------------------------------------------
// Step 3: dependencies

const dependenciesOf = (wpFile: string, text: string): Either.Either<ReadonlyArray<string>, StatusError> => {
  const malformed = (why: string) =>
    Either.left(statusError("WP_METADATA_INVALID", `Malformed work package metadata ${wpFile}: ${why}`, { path: wpFile }))
  const front = parseFrontmatter(text)
  if (Either.isLeft(front)) return malformed(front.left)
  const raw = front.right.dependencies
  if (raw === undefined || raw === null) return Either.right([])
  const list: unknown = typeof raw === "string" ? [raw] : raw
  if (!Array.isArray(list) || !list.every((d) => typeof d === "string")) {
    return malformed("'dependencies' is not a list of WP ids")
  }
  const ids = list.map((d) => d.trim().toUpperCase().split("-")[0]).filter((d) => d !== "")
  return Either.right([...new Set(ids)].sort())
}

// ---------------------------------------------------------------------------------------------
// Step 5: planning artifacts on the placement ref (§2.1)

/** A primary edit to copy into the placement mission dir. */
interface Adoption {
  /** Repo-relative path in the primary checkout (`kitty-specs/<slug>/…`). */
  readonly path: string
  /** Absolute path of the copy in the placement mission dir. */
  readonly target: string
  readonly text: string
}

/** What step 5 decided: the paths to commit in the placement checkout and the copies to make first. */
export interface PlanningPlan {
  readonly checkout: string
  /** Checkout-relative paths to stage and commit (entries and adopted copies), sorted. */
  readonly paths: ReadonlyArray<string>
  /** The paths among them that nothing had staged before this claim (unstaged again if the commit fails). */
  readonly unstaged: ReadonlyArray<string>
  readonly adoptions: ReadonlyArray<Adoption>
}

/**
 * §2.1 steps 1-8, without writing: the placement checkout's entries under the placement mission dir
 * (structural changes fail closed), the primary checkout's entries under coordination placement
 * through the one divergence function, then `--no-auto-commit`, branch and protected-branch checks.
 */
export const planPlanningCommit = (
  r: Resolution,
  wpId: string,
  mode: PlanningMode
): Effect.Effect<PlanningPlan, SurfaceError | ContextError, Git | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const ctx = r.context
    const dest = ctx.artifact_placement.placement_ref
    const checkout = placementCheckoutOf(ctx)
    const primary = ctx.workspace.primary_root
    const featureDir = ctx.feature_dir
    const entries = yield* dirtyEntries(checkout, relativeWithin(checkout, featureDir) || ".")

    const structural = [...new Set(entries.filter(isStructural).flatMap(entryPaths))].sort()
    if (structural.length > 0) {
      return yield* surfaceError(
        "PLANNING_ARTIFACTS_STRUCTURAL_CHANGE",
        `Uncommitted structural planning-artifact changes (deletions/renames) cannot be auto-committed: ${
          structural.join(", ")
        }. Commit them manually on ${dest.ref}.`,
        { paths: structural, placement_ref: dest, placement_checkout: checkout }
      )
    }

    const adoptions: Array<Adoption> = []
    if (dest.kind === "coordination" && checkout !== primary) {
      const primaryDirRel = relativeWithin(primary, missionDir(primary, ctx.identity.mission_slug))
      const prefix = primaryDirRel + "/"
      const toPrimaryForm = (e: StatusEntry) =>
        entryPaths(e).map((p) => joinPath(primaryDirRel, relativeWithin(featureDir, joinPath(checkout, p))))
      const placementDirty = new Set(entries.flatMap(toPrimaryForm))
      const primaryDirty = [...new Set((yield* dirtyEntries(primary, primaryDirRel)).flatMap(entryPaths))]
      const primaryCopies = new Map<string, string | null>()
      const placementCopies = new Map<string, string | null>()
      for (const path of primaryDirty.filter((p) => p.startsWith(prefix))) {
        primaryCopies.set(path, byteString(yield* readBytes(joinPath(primary, path))))
        placementCopies.set(path, byteString(yield* readBytes(joinPath(featureDir, path.slice(prefix.length)))))
      }
      const d = placementDivergence(primaryDirty, {
        missionDir: primaryDirRel,
        placementKind: dest.kind,
        rules: RESIDUE_RULES,
        primaryBytes: (p) => primaryCopies.get(p) ?? null,
        placementBytes: (p) => placementCopies.get(p) ?? null,
        placementDirty
      })
      if (d.blocking.length > 0) {
        return yield* surfaceError("DIRTY_WORKTREE", `Refusing to claim ${wpId} with pre-existing dirty working tree.`, {
          dirty_paths: d.blocking,
          remediation: [`Commit or stash the listed paths in ${primary}, then re-run implement.`]
        })
      }
      const notAdoptable = [...d.notAdoptable]
      if (mode === "adopt") {
        for (const path of d.divergent.filter((p) => !d.notAdoptable.includes(p))) {
          const bytes = yield* readBytes(joinPath(primary, path))
          const text = bytes === null ? null : utf8OrNull(bytes)
          if (text === null) notAdoptable.push(path)
          else adoptions.push({ path, target: joinPath(featureDir, path.slice(prefix.length)), text })
        }
      }
      if (d.divergent.length > 0 && (mode !== "adopt" || notAdoptable.length > 0)) {
        return yield* surfaceError(
          "PLACEMENT_DIVERGENCE",
          `Mission files edited in the primary checkout differ from the placement checkout ${checkout} (placement ref ${dest.ref}).`,
          {
            divergent_paths: d.divergent,
            not_adoptable: notAdoptable.sort(),
            placement_ref: { ref: dest.ref, kind: dest.kind },
            placement_checkout: checkout,
            remediation: [
              "Re-run with --adopt to copy the listed primary edits into the placement checkout and commit them on the placement ref.",
              "Or make the edits in the placement checkout and restore the primary copies."
            ]
          }
        )
      }
    }

    const paths = [
      ...new Set([
        ...entries.map((e) => e.path),
        ...adoptions.map((a) => relativeWithin(checkout, a.target))
      ])
    ].sort()
    const adoptedPaths = adoptions.map((a) => relativeWithin(checkout, a.target))
    const wasUnstaged = entries.filter((e) => e.x === " " || e.x === "?").map((e) => e.path)
    const unstaged = [...new Set([...wasUnstaged, ...adoptedPaths])].sort()
    if (paths.length === 0) return { checkout, paths, unstaged, adoptions }
    if (mode === "no-auto-commit") {
      const message = `chore(${ctx.identity.mission_slug}): commit planning artifacts before claiming ${wpId}`
      return yield* surfaceError(
        "PLANNING_ARTIFACTS_UNCOMMITTED",
        `Planning artifacts are not committed on ${dest.ref}: ${paths.join(", ")}`,
        {
          paths,
          placement_ref: dest,
          placement_checkout: checkout,
          commands: [
            `git -C ${checkout} add -- ${paths.join(" ")}`,
            `git -C ${checkout} commit -m ${JSON.stringify(message)} -- ${paths.join(" ")}`
          ]
        }
      )
    }
    const head = yield* headRefOf(checkout)
    if (head !== headsRef(dest.ref)) {
      return yield* surfaceError("PLANNING_BRANCH_MISMATCH", `Planning artifacts must be committed on ${dest.ref}`, {
        placement_checkout: checkout,
        expected: headsRef(dest.ref),
        actual: head,
        placement_ref: dest
      })
    }
    const refusal = yield* protectedRefusal(dest)
    if (refusal !== null) return yield* refusal
    return { checkout, paths, unstaged, adoptions }
  })

/**
 * §2.1 step 9: copies the adopted edits, then commits exactly the planned paths. If the commit fails
 * (a hook, a git error) the claim's staging is undone and the copies are restored, so nothing changed.
 */
const commitPlanning = (
  r: Resolution,
  plan: PlanningPlan,
  wpId: string
): Effect.Effect<string | null, SurfaceError | ContextError, Git | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    if (plan.paths.length === 0) return null
    const ctx = r.context
    const outside = plan.paths.filter((p) => !isWithin(ctx.feature_dir, joinPath(plan.checkout, p)))
    if (outside.length > 0) {
      return yield* Effect.die(
        new Error(`planning commit would stage paths outside ${ctx.feature_dir}: ${outside.join(", ")}`)
      )
    }
    const fs = yield* FileSystem.FileSystem
    const git = yield* Git
    const previous: Array<{ readonly target: string; readonly bytes: Uint8Array | null }> = []
    const undo = Effect.gen(function*() {
      if (plan.unstaged.length > 0) {
        const reset = ["reset", "-q", "--", ...plan.unstaged]
        yield* git.run(reset, { cwd: plan.checkout, mode: "write" }).pipe(Effect.ignore)
      }
      for (const p of [...previous].reverse()) {
        yield* (p.bytes === null ? fs.remove(p.target) : fs.writeFile(p.target, p.bytes)).pipe(Effect.ignore)
      }
    })
    const ioFailure = (path: string, reason: string) =>
      surfaceError("COMMIT_FAILED", `Cannot write ${path}: ${reason}`, { path, reason })
    const copy = Effect.forEach(plan.adoptions, (a) =>
      Effect.gen(function*() {
        previous.push({ target: a.target, bytes: yield* readBytes(a.target) })
        yield* fs.makeDirectory(dirnamePath(a.target), { recursive: true }).pipe(
          Effect.mapError((e) => ioFailure(a.target, e.message))
        )
        yield* writeAtomic(a.target, a.text).pipe(Effect.mapError((e) => ioFailure(e.path, e.reason)))
      }), { discard: true })
    const commit = yield* Effect.zipRight(
      copy,
      commitPaths({
        checkout: plan.checkout,
        target: ctx.artifact_placement.placement_ref,
        paths: plan.paths,
        message: `chore(${ctx.identity.mission_slug}): commit planning artifacts before claiming ${wpId}`
      })
    ).pipe(Effect.tapError(() => undo))
    return commit.sha
  })

// ---------------------------------------------------------------------------------------------
// Step 7: the lane worktree (§2.2)

/** Where the claimed WP is worked on, and whether a worktree must be allocated for it. */
export interface LanePlan {
  readonly laneId: string
  /** Absolute path: the lane worktree, or the primary root for planning work. */
  readonly workspace: string
  readonly branch: string
  /** The mission branch a new lane branch starts from; null when no worktree is allocated. */
  readonly parent: string | null
  readonly allocate: boolean
}

const LANE_LOCK_TIMEOUT_MS = 30_000

/** `<git common dir>/kittyctx-locks/wt-<sha1(path)>.lock`: path-keyed, so different lanes never contend. */
export const laneLockPath = (commonDir: string, worktreePath: string): string =>
  kittyctxLockPath(commonDir, `wt-${createHash("sha1").update(worktreePath).digest("hex")}`)

/** §2.2: lane, path, branch and parent of the WP (parent: the coordination branch, else lanes.json mission_branch). */
export const lanePlanOf = (
  ctx: MissionExecutionContext
): Effect.Effect<LanePlan, ContextError | SurfaceError, RepoFs> =>
  Effect.gen(function*() {
    const wp = ctx.work_package
    if (wp === null) return yield* Effect.die(new Error("implement resolved without a work package"))
    if (wp.resolution_kind === "repo_root" || ctx.workspace.execution_workspace === null) {
      const workspace = ctx.workspace.primary_root
      return { laneId: wp.lane_id, workspace, branch: wp.lane_branch, parent: null, allocate: false }
    }
    // the context exposes the coordination branch exactly when the mission routes through it (R-KIND-2)
    let parent = ctx.branch_ref.coordination_branch
    if (parent === null) {
      const lanesPath = missionFile(readDirFor(ctx, "LANE_STATE"), LANES_FILE)
      const manifest = yield* decodeLanesManifest(lanesPath, yield* readTextVia(lanesPath))
      parent = typeof manifest.mission_branch === "string" && manifest.mission_branch !== ""
        ? manifest.mission_branch
        : missionBranch(ctx.identity.mission_slug)
    }
    const workspace = ctx.workspace.execution_workspace
    return { laneId: wp.lane_id, workspace, branch: wp.lane_branch, parent, allocate: true }
  })

const laneBranchMismatch = (path: string, expected: string, actual: string) =>
  surfaceError(
    "LANE_WORKTREE_BRANCH_MISMATCH",
    `Lane worktree ${path} has ${actual} checked out, not ${expected}; kittyctx never switches branches.`,
    { path, expected, actual }
  )

const laneOccupied = (path: string) =>
  surfaceError(
    "LANE_WORKTREE_PATH_OCCUPIED",
    `Lane worktree path ${path} exists but is not a registered git worktree; move it away and re-run implement.`,
    { path }
  )

/** §2.2 rules checked before anything is written: a registered worktree on another branch, or a husk, refuses. */
const checkLaneWorkspace = (ctx: MissionExecutionContext, plan: LanePlan) =>
  Effect.gen(function*() {
    if (!plan.allocate) return
    const state = yield* worktreeState(ctx.workspace.primary_root, plan.workspace, plan.branch)
    if (state._tag === "OtherBranch") return yield* laneBranchMismatch(plan.workspace, state.expected, state.actual)
    if (state._tag === "Husk") return yield* laneOccupied(plan.workspace)
  })

/** The full ref a branch name resolves to: local first, else a remote's copy; null when neither exists. */
const startRefOf = (refs: ReadonlyArray<string>, name: string): string | null =>
  refs.includes(headsRef(name))
    ? headsRef(name)
    : refs.find((r) => r.startsWith("refs/remotes/") && r.split("/").slice(3).join("/") === name) ?? null

/**
 * §2.2: creates or reuses the lane worktree under its path-keyed lock. A new branch starts from the
 * mission branch (created at the target branch's tip when missing); under coordination topologies the
 * worktree gets the non-cone sparse checkout without the mission's status files.
 */
export const allocateLaneWorktree = (
  r: Resolution,
  plan: LanePlan
): Effect.Effect<WorktreeOutcome, SurfaceError | ContextError, Git | FileLock | RepoFs> =>
  Effect.gen(function*() {
    const ctx = r.context
    if (!plan.allocate || plan.parent === null) return { path: plan.workspace, created: false }
    const git = yield* Git
    const root = ctx.workspace.primary_root
    const path = plan.workspace
    const parent = plan.parent
    const coordination = ctx.branch_ref.destination_ref.kind === "coordination"
    const noCheckout = coordination ? ["--no-checkout"] : []
    const slug = ctx.identity.mission_slug
    const sparse = laneSparsePatterns([slug, suffixed(slug, ctx.identity.mid8)])
    let newBranch = false

    const checked = (args: ReadonlyArray<string>, cwd: string) =>
      git.run(args, { cwd, mode: "write" }).pipe(
        Effect.filterOrFail((x) => x.exitCode === 0, (x) => ContextErrors.gitFailed(args, x.exitCode, x.stderr))
      )

    const prepare = Effect.gen(function*() {
      const refs = (yield* git.refs(root)).refs
      if (branchExistsIn(refs, plan.branch)) return [...noCheckout, path, plan.branch]
      let start = startRefOf(refs, parent)
      if (start === null) {
        const target = ctx.branch_ref.target_branch
        const base = startRefOf(refs, target)
        if (base === null) {
          const why = `target branch ${target} does not exist`
          return yield* ContextErrors.gitFailed(["branch", parent, target], null, why)
        }
        const created = yield* git.run(["branch", parent, base], { cwd: root, mode: "write" })
        if (created.exitCode !== 0 && !branchExistsIn((yield* git.refs(root)).refs, parent)) {
          return yield* ContextErrors.gitFailed(["branch", parent, base], created.exitCode, created.stderr)
        }
        start = headsRef(parent)
      }
      newBranch = true
      return ["-b", plan.branch, ...noCheckout, path, start]
    })

    const undo = Effect.gen(function*() {
      yield* git.run(["worktree", "remove", "--force", path], { cwd: root, mode: "write" })
      if (newBranch) yield* git.run(["branch", "-D", plan.branch], { cwd: root, mode: "write" })
    }).pipe(Effect.ignore)

    const finish = coordination
      ? Effect.zipRight(
        checked(["sparse-checkout", "set", "--no-cone", ...sparse], path),
        checked(["read-tree", "-mu", "HEAD"], path)
      ).pipe(Effect.asVoid, Effect.tapError(() => undo))
      : undefined

    const lockFile = laneLockPath(r.location.commonDir, path)
    return yield* ensureWorktree<SurfaceError | ContextError>({
      root,
      path,
      branch: plan.branch,
      lockFile,
      lockTimeoutMs: LANE_LOCK_TIMEOUT_MS,
      prepare,
      ...(finish === undefined ? {} : { finish }),
      onBranchMismatch: (expected, actual) => laneBranchMismatch(path, expected, actual),
      onHusk: () => laneOccupied(path),
      onAddFailed: (exitCode, stderr) => ContextErrors.gitFailed(["worktree", "add", path], exitCode, stderr),
      onLockTimeout: (timeoutMs, holder) => ContextErrors.coordLockTimeout(path, lockFile, timeoutMs, holder)
    })
  })

// ---------------------------------------------------------------------------------------------
// The claim

type OutcomeFields = Omit<ClaimOutcome, "wp_id" | "mission_slug" | "lane_id" | "workspace_path" | "branch" | "parent">

const CLAIMABLE_FROM = "planned"
const SATISFIED = new Set(["approved", "done"])

/**
 * `kittyctx implement <WP>` (§2): resolve (materialising the placement checkout), then under the status
 * lock: lane and re-entry, dependencies, analysis gate, planning artifacts, bulk-edit gates, lane
 * worktree and git-operation checks, a dry run of the transition; then the planning commit, the lane
 * worktree and the claim event. A refusal writes nothing.
 */
export const claimWorkPackage = (
  req: ClaimRequest,
  gates: ClaimGates = LIVE_GATES
): Effect.Effect<ClaimOutcome, ClaimError, ClaimRequirements> =>
  Effect.gen(function*() {
    // 1. context and WP
    const r = yield* resolveForWrite({ cwd: req.cwd, mission: req.mission, action: "implement", wp_id: req.wpId })
    const ctx = r.context
    const wp = ctx.work_package
    if (wp === null) return yield* Effect.die(new Error("implement resolved without a work package"))
    const wpId = wp.wp_id
    const slug = ctx.identity.mission_slug
    const primary = ctx.workspace.primary_root
    const target = statusTargetOf(r)
    const status = yield* MissionStatus
    const mode = req.planning ?? "auto-commit"
    const shellPid = req.shellPid ?? process.ppid

    return yield* status.withLock(
      target,
      Effect.gen(function*() {
        const stream = yield* status.stream(target)
        const folded = foldTransitions(stream.transitions)
        const laneOf = (id: string) => folded.states.get(id)?.lane
        const lanePlan = yield* lanePlanOf(ctx)
        const outcome = (fields: OutcomeFields): ClaimOutcome => ({
          wp_id: wpId,
          mission_slug: slug,
          lane_id: lanePlan.laneId,
          workspace_path: relativeWithin(primary, lanePlan.workspace) || ".",
          branch: lanePlan.branch,
          parent: lanePlan.parent,
          ...fields
        })

        // 2. claimable lane, or the re-entry of a live claim
        const lane = laneOf(wpId) ?? "genesis"
        if (lane !== CLAIMABLE_FROM) {
          if (lane === "claimed" || lane === "in_progress") {
            const claim = heldClaimOf(reduce(stream.transitions, stream.annotations).work_packages[wpId])
            const liveness = yield* livenessOfClaim(claim)
            const details = {
              wp_id: wpId,
              lane,
              claimed_by: claim.agent,
              shell_pid: claim.pid,
              shell_pid_created_at: claim.startedAt,
              liveness
            }
            if (liveness === "alive" && claim.agent === req.agent) {
              yield* checkLaneWorkspace(ctx, lanePlan)
              yield* allocateLaneWorktree(r, lanePlan)
              const claimEvent = [...folded.sorted].reverse().find((t) => t.wp_id === wpId && t.to_lane === "claimed")
              return outcome({
                event_id: claimEvent?.event_id ?? "",
                from_lane: claimEvent?.from_lane ?? lane,
                to_lane: claimEvent?.to_lane ?? lane,
                planning_commit: null,
                adopted: [],
                reentered: true,
                warnings: []
              })
            }
            if (liveness === "alive") {
              return yield* surfaceError(
                "WP_ALREADY_CLAIMED",
                `${wpId} is already claimed by ${claim.agent ?? "another agent"} (shell ${String(claim.pid)} is alive).`,
                details
              )
            }
            return yield* surfaceError(
              "WP_NOT_CLAIMABLE",
              `${wpId} is ${lane} and its claim cannot be re-entered (claim by ${claim.agent ?? "unknown"}, shell ${liveness}).`,
              details
            )
          }
          return yield* surfaceError(
            "WP_NOT_CLAIMABLE",
            lane === "genesis" || lane === "uninitialized"
              ? `${wpId} has no planned status event; finalize the tasks before claiming it.`
              : `${wpId} is ${lane}; only a planned work package can be claimed.`,
            { wp_id: wpId, lane }
          )
        }

        // 3. dependencies
        const wpText = (yield* readTextVia(wp.wp_file)) ?? ""
        const deps = yield* dependenciesOf(wp.wp_file, wpText)
        const unsatisfied = deps
          .map((d) => [d, laneOf(d) ?? "planned"] as const)
          .filter(([, l]) => !SATISFIED.has(l))
          .map(([d, l]) => `${d} (${l})`)
        if (unsatisfied.length > 0) {
          return yield* surfaceError(
            "DEPENDENCIES_NOT_SATISFIED",
            `${wpId} depends on work packages that are not approved or done: ${unsatisfied.join(", ")}`,
            { wp_id: wpId, dependencies: deps, unsatisfied }
          )
        }

        // 4. analysis gate
        const freshness = yield* gates.analysis(r)
        if (!freshness.ok) {
          const refusal = analysisRequired(slug, freshness)
          return yield* surfaceError(refusal.code, refusal.message, { ...refusal.details, mission_slug: slug })
        }

        // 5. planning artifacts on the placement ref (checks only)
        const planning = yield* planPlanningCommit(r, wpId, mode)

        // 6. bulk-edit gate and inference
        const warnings: Array<string> = []
        const gate = yield* gates.occurrence(ctx)
        if (!gate.passed) return yield* OccurrenceErrors.gateBlocked(gate)
        warnings.push(...gate.warnings)
        if (gate.change_mode !== BULK_EDIT) {
          const specPath = missionFile(readDirFor(ctx, "SPEC"), "spec.md")
          const inference = bulkEditInference((yield* readTextVia(specPath)) ?? "")
          if (inference.triggered && req.acknowledgeNotBulkEdit !== true) {
            const ownsMissionFiles = ownedFilesOf(wpText).some((p) => isWithin(missionDir("", slug), p))
            const text = `spec.md reads like a bulk edit (score ${inference.score}: ${inference.phrases.join(", ")}) ` +
              `but the mission's change_mode is not ${BULK_EDIT}`
            if (!ownsMissionFiles) {
              return yield* surfaceError(
                "BULK_EDIT_INFERENCE_UNACKNOWLEDGED",
                `${text}. Re-run with --acknowledge-not-bulk-edit, or set change_mode: ${BULK_EDIT} and add an occurrence map.`,
                { spec_path: specPath, score: inference.score, phrases: inference.phrases }
              )
            }
            warnings.push(`${text} (informational: ${wpId} owns files of the mission dir)`)
          }
        }

        // 7 (checks). lane worktree state; the status commit's branch; no git operation under way
        yield* checkLaneWorkspace(ctx, lanePlan)
        const dest = ctx.branch_ref.destination_ref
        const coordRoot = ctx.workspace.coord_worktree
        if (dest.kind === "coordination" && coordRoot !== null) {
          const head = yield* headRefOf(coordRoot)
          if (head !== headsRef(dest.ref)) {
            const message = `Coordination worktree ${coordRoot} is not on ${dest.ref}`
            return yield* surfaceError("PLACEMENT_BRANCH_MISMATCH", message, {
              checkout: coordRoot,
              expected: headsRef(dest.ref),
              actual: head
            })
          }
          const refusal = yield* protectedRefusal(dest)
          if (refusal !== null) return yield* refusal
        }
        for (const dir of [...new Set([planning.checkout, primary])]) {
          const marker = yield* gitOperationInProgress(dir)
          if (marker !== null) {
            const message = `A git operation is in progress in ${dir} (${marker}).`
            return yield* surfaceError("GIT_OPERATION_IN_PROGRESS", message, {
              checkout: dir,
              marker,
              remediation: ["Finish or abort the git operation, then re-run implement."]
            })
          }
        }

        // 8 (checks). the transition itself, decided on the current log
        const identity = yield* processIdentity(shellPid)
        const request: TransitionRequest = {
          wpId,
          to: "claimed",
          actor: req.agent,
          force: false,
          reason: null,
          reviewRef: null,
          evidence: null,
          reviewResult: null,
          executionMode: lanePlan.allocate ? "worktree" : "direct_repo",
          workspaceContext: null,
          subtasksComplete: null,
          implementationEvidencePresent: null,
          policyMetadata: { agent: req.agent, shell_pid: shellPid, shell_pid_created_at: identity.started_at }
        }
        yield* decideTransition(stream, request, {
          missionSlug: slug,
          missionId: null,
          eventId: "0".repeat(26),
          at: "1970-01-01T00:00:00+00:00",
          workspaceRoot: primary,
          roster: null
        })

        // writes: planning commit, lane worktree, claim event
        const planningCommit = yield* commitPlanning(r, planning, wpId)
        yield* allocateLaneWorktree(r, lanePlan)
        const emitted = yield* emitTransition({ cwd: req.cwd, mission: slug }, request)
        const event = emitted.outcome.event
        warnings.push(...emitted.outcome.warnings)
        return outcome({
          event_id: typeof event?.event_id === "string" ? event.event_id : "",
          from_lane: emitted.outcome.from,
          to_lane: emitted.outcome.to,
          planning_commit: planningCommit,
          adopted: planning.adoptions.map((a) => a.path),
          reentered: false,
          warnings
        })
      })
    )
  }).pipe(Effect.withSpan("kittyctx.implementClaim"))

/** The WP's `owned_files` frontmatter (repo-relative paths), for the inference exemption. */
const ownedFilesOf = (wpText: string): ReadonlyArray<string> => {
  const front = parseFrontmatter(wpText)
  if (Either.isLeft(front)) return []
  const owned = front.right.owned_files
  if (!Array.isArray(owned)) return []
  return owned.filter((x): x is string => typeof x === "string").map((p) => p.replace(/^\.\//, ""))
}
