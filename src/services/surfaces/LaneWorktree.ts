/**
 * The lane worktree of a claimed WP (docs/surfaces.md §2.2): where the WP is worked on, the checks made
 * before any write, and the allocation itself, under the one worktree lock, through `ensureWorktree`.
 * Bare section numbers (§N) cite docs/surfaces.md.
 */
import { Effect } from "effect"
import type { ConfigError } from "../../core/config/ConfigError.js"
import { branchExistsIn } from "../../core/context/ExecutionContext.js"
import type { MissionExecutionContext } from "../../core/context/ExecutionContext.js"
import { headsRef, laneSparsePatterns, missionBranch, suffixed } from "../../core/repo/Naming.js"
import { GitErrors } from "../../core/repo/RepoError.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { surfaceError } from "../../core/surfaces/SurfaceError.js"
import type { SurfaceError } from "../../core/surfaces/SurfaceError.js"
import { ensureWorktree, worktreeState } from "../context/CoordWorkspace.js"
import type { WorktreeOutcome } from "../context/CoordWorkspace.js"
import type { Resolution } from "../context/ResolveContext.js"
import type { FileLock } from "../ports/FileLock.js"
import { Git, GitReader } from "../ports/Git.js"
import type { RepoFs } from "../ports/RepoFs.js"

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

/** §2.2: lane, path, branch and parent of the WP (parent: the coordination branch, else lanes.json mission_branch). */
export const lanePlanOf = (r: Resolution): LanePlan => {
  const ctx = r.context
  const wp = ctx.work_package
  if (wp === null) throw new Error("implement resolved without a work package")
  if (wp.resolution_kind === "repo_root" || ctx.workspace.execution_workspace === null) {
    return { laneId: wp.lane_id, workspace: ctx.workspace.primary_root, branch: wp.lane_branch, parent: null, allocate: false }
  }
  // the context exposes the coordination branch exactly when the mission routes through it (R-KIND-2)
  const declared = r.lanes?.mission_branch
  const parent = ctx.branch_ref.coordination_branch ??
    (typeof declared === "string" && declared !== "" ? declared : missionBranch(ctx.identity.mission_slug))
  return { laneId: wp.lane_id, workspace: ctx.workspace.execution_workspace, branch: wp.lane_branch, parent, allocate: true }
}

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
export const checkLaneWorkspace = (
  ctx: MissionExecutionContext,
  plan: LanePlan
): Effect.Effect<void, SurfaceError | GitError, GitReader | RepoFs> =>
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
): Effect.Effect<WorktreeOutcome, SurfaceError | GitError | IoError | ConfigError, Git | GitReader | FileLock | RepoFs> =>
  Effect.gen(function*() {
    const ctx = r.context
    if (!plan.allocate || plan.parent === null) return { path: plan.workspace, created: false }
    const git = yield* Git
    const reader = yield* GitReader
    const root = ctx.workspace.primary_root
    const path = plan.workspace
    const parent = plan.parent
    const coordination = ctx.branch_ref.destination_ref.kind === "coordination"
    const slug = ctx.identity.mission_slug
    const sparse = laneSparsePatterns([slug, suffixed(slug, ctx.identity.mid8)])
    let newBranch = false

    const prepare = Effect.gen(function*() {
      const refs = (yield* reader.refs(root)).refs
      if (branchExistsIn(refs, plan.branch)) return { _tag: "Existing", noCheckout: coordination } as const
      let start = startRefOf(refs, parent)
      if (start === null) {
        const target = ctx.branch_ref.target_branch
        const base = startRefOf(refs, target)
        if (base === null) {
          return yield* GitErrors.commandFailed(["branch", "--", parent, target], null, `target branch ${target} does not exist`)
        }
        const created = yield* git.run(["branch", "--", parent, base], { cwd: root, mode: "write" })
        if (created.exitCode !== 0 && !branchExistsIn((yield* reader.refs(root)).refs, parent)) {
          return yield* GitErrors.commandFailed(["branch", "--", parent, base], created.exitCode, created.stderr)
        }
        start = headsRef(parent)
      }
      newBranch = true
      return { _tag: "NewBranch", start, noCheckout: coordination } as const
    })

    const undo = Effect.gen(function*() {
      yield* git.run(["worktree", "remove", "--force", "--", path], { cwd: root, mode: "write" })
      if (newBranch) yield* git.run(["branch", "-D", "--", plan.branch], { cwd: root, mode: "write" })
    }).pipe(Effect.ignore)

    const finish = coordination
      ? Effect.zipRight(
        git.checked(["sparse-checkout", "set", "--no-cone", "--", ...sparse], { cwd: path, mode: "write" }),
        git.checked(["read-tree", "-mu", "HEAD"], { cwd: path, mode: "write" })
      ).pipe(Effect.asVoid, Effect.tapError(() => undo))
      : undefined

    return yield* ensureWorktree<SurfaceError>({
      root,
      commonDir: r.location.commonDir,
      path,
      branch: plan.branch,
      prepare,
      ...(finish === undefined ? {} : { finish }),
      onBranchMismatch: (expected, actual) => laneBranchMismatch(path, expected, actual),
      onHusk: () => laneOccupied(path),
      onAddFailed: (exitCode, stderr) =>
        surfaceError("LANE_WORKTREE_ADD_FAILED", `git worktree add ${path} failed: ${stderr.trim()}`, {
          path,
          branch: plan.branch,
          exit_code: exitCode,
          stderr
        }),
      onLockTimeout: (lockFile, timeoutMs, holder) =>
        surfaceError("LANE_WORKTREE_LOCK_TIMEOUT", `Timed out after ${timeoutMs} ms waiting for the lock on ${path}`, {
          path,
          lock_file: lockFile,
          timeout_ms: timeoutMs,
          holder
        })
    })
  })
