/**
 * The `MissionExecutionContext` and its fragments (docs/execution-context.md §3, §8-§11), as pure
 * functions of facts the resolver has already read. `resolveContext` (services) is their only caller.
 * Bare section numbers (§N) cite docs/execution-context.md.
 */
import { Either } from "effect"
import { ContextErrors } from "./ContextError.js"
import type { ContextError } from "./ContextError.js"
import type { CommitKind, MissionMeta, Topology } from "./MissionMeta.js"
import {
  coordMissionDir,
  coordWorktree,
  EVENTS_FILE,
  exactNames as exactly,
  headsRef,
  isCoordWorktreeName,
  laneIdOfWorktreeName,
  LANES_FILE,
  laneBranch,
  laneWorktree,
  META_FILE,
  missionDir,
  SNAPSHOT_FILE,
  TASKS_DIR,
  WORKTREES_DIR
} from "../repo/Naming.js"
import { isWithin, joinPath } from "../repo/Paths.js"
import type { HeadState } from "../repo/WorktreePointer.js"

/** The mission-level and WP-level actions (§13), in the documented order. */
export const ACTIONS = [
  "specify",
  "plan",
  "analyze",
  "tasks",
  "tasks_outline",
  "tasks_packages",
  "tasks_finalize",
  "accept",
  "status",
  "implement",
  "review"
] as const
/** An action a context is resolved for. */
export type Action = (typeof ACTIONS)[number]

/** True for the WP-level actions. */
export const isWpAction = (a: Action): boolean => a === "implement" || a === "review"

/** Validates an action name (§13, R-ACT-1). */
export const parseAction = (raw: string): Either.Either<Action, ContextError> =>
  (ACTIONS as ReadonlyArray<string>).includes(raw)
    ? Either.right(raw as Action)
    : Either.left(ContextErrors.invalidAction(raw, ACTIONS))

/** A destination: a short branch name and where it came from. */
export interface CommitTarget {
  readonly ref: string
  readonly kind: CommitKind
}

/** Identity fragment. */
export interface Identity {
  readonly mission_id: string
  readonly mid8: string
  readonly mission_slug: string
}

/** Branch/ref fragment. */
export interface BranchRef {
  readonly target_branch: string
  readonly coordination_branch: string | null
  readonly destination_ref: CommitTarget
}

/** Workspace fragment. */
export interface Workspace {
  readonly primary_root: string
  readonly current_cwd: string
  readonly coord_worktree: string | null
  readonly execution_workspace: string | null
  readonly allowed_command_cwd: string
}

/** The coordination state of the status surface. */
export type CoordState = "NOT_APPLICABLE" | "MATERIALIZED" | "UNMATERIALIZED"

/** Status-surface fragment. */
export interface StatusSurface {
  readonly status_read_dir: string
  readonly status_write_dir: string
  readonly coord_state: CoordState
}

/** The WP-level fragment (implement, review). */
export interface WorkPackageRef {
  readonly wp_id: string
  readonly wp_file: string
  readonly lane_id: string
  readonly lane_branch: string
  readonly execution_mode: string
  readonly resolution_kind: "lane_workspace" | "repo_root"
}

/** The one resolved answer to "where does this mission's state live?". */
export interface MissionExecutionContext {
  readonly action: Action
  readonly topology: { readonly value: Topology; readonly source: "stored" | "derived" }
  readonly identity: Identity
  readonly branch_ref: BranchRef
  readonly workspace: Workspace
  readonly status_surface: StatusSurface
  readonly artifact_placement: { readonly placement_ref: CommitTarget }
  readonly prompt_source: { readonly prompt_source_dir: string }
  readonly work_package: WorkPackageRef | null
  /** The mission dir in the placement checkout (R-PLACE-4). */
  readonly feature_dir: string
}

/** §8.1: the only constructor of an identity; missions without an id get the `legacy-<slug>` sentinel. */
export const deriveIdentity = (missionId: string | undefined, slug: string): Identity => {
  const id = missionId ?? `legacy-${slug}`
  return { mission_id: id, mid8: id.slice(0, 8), mission_slug: slug }
}

/** True for the legacy sentinel identity. */
export const isLegacyIdentity = (identity: Identity): boolean => identity.mission_id.startsWith("legacy-")

/** The refs the target-branch rule reads (§8.3). */
export interface RefFacts {
  /** Full ref names under refs/heads and refs/remotes. */
  readonly refs: ReadonlyArray<string>
  /** The target of `refs/remotes/origin/HEAD`, if it is a symbolic ref. */
  readonly originHead: string | null
}

/** §8.3: meta.target_branch, else origin/HEAD, else main/master/develop, else `main`. Never a checkout's HEAD. */
export const targetBranchOf = (meta: MissionMeta | null, refs: RefFacts | null): { branch: string; source: string } => {
  if (meta?.target_branch !== undefined) return { branch: meta.target_branch, source: "meta.json target_branch" }
  if (refs !== null) {
    if (refs.originHead !== null && refs.originHead.startsWith("refs/remotes/origin/")) {
      return { branch: refs.originHead.slice("refs/remotes/origin/".length), source: "refs/remotes/origin/HEAD" }
    }
    const heads = new Set(refs.refs)
    for (const name of ["main", "master", "develop"]) {
      if (heads.has(headsRef(name))) return { branch: name, source: `refs/heads/${name} exists` }
    }
  }
  return { branch: "main", source: "default (no target_branch, origin/HEAD or main/master/develop)" }
}

/** True when the target-branch rule needs the repository's refs. */
export const targetBranchNeedsRefs = (meta: MissionMeta | null): boolean => meta?.target_branch === undefined

/** §8.4: the branch/ref fragment. */
export const branchRefOf = (kind: CommitKind, meta: MissionMeta | null, targetBranch: string): BranchRef => {
  const coordination_branch = kind === "coordination" ? (meta?.coordination_branch ?? null) : null
  const destination_ref: CommitTarget = {
    ref: kind === "coordination" && coordination_branch !== null ? coordination_branch : targetBranch,
    kind
  }
  return { target_branch: targetBranch, coordination_branch, destination_ref }
}

/** §8.5: the coordination worktree path, or null for non-coordination kinds. */
export const coordWorktreeOf = (
  primaryRoot: string,
  identity: Identity,
  kind: CommitKind
): Either.Either<string | null, ContextError> => {
  if (kind !== "coordination") return Either.right(null)
  if (isLegacyIdentity(identity)) {
    return Either.left(ContextErrors.mid8Required(identity.mission_slug, identity.mission_id))
  }
  return Either.right(coordWorktree(primaryRoot, identity.mission_slug, identity.mid8))
}

/** What the resolver saw at the coordination worktree path (filesystem only, plus refs when absent). */
export interface CoordProbe {
  readonly rootExists: boolean
  /** The root is a linked worktree of this repository (its `.git` pointer and `commondir` agree). */
  readonly isWorktreeOfRepo: boolean
  readonly head: HeadState | null
  readonly coordDirExists: boolean
  /** `refs/heads/<B>` or some `refs/remotes/<r>/<B>` exists (only read when the root is absent). */
  readonly branchExists: boolean | null
}

/** True when `branch` exists locally or on any remote in `refs`. */
export const branchExistsIn = (refs: ReadonlyArray<string>, branch: string): boolean =>
  refs.some((r) => r === headsRef(branch) || (r.startsWith("refs/remotes/") && r.split("/").slice(3).join("/") === branch))

/** §9: the status surface from the probe facts; fails closed where the spec says so. */
export const statusSurfaceOf = (
  primaryRoot: string,
  identity: Identity,
  branchRef: BranchRef,
  coordRoot: string | null,
  probe: CoordProbe | null
): Either.Either<StatusSurface, ContextError> => {
  const primaryDir = missionDir(primaryRoot, identity.mission_slug)
  if (branchRef.destination_ref.kind !== "coordination" || coordRoot === null || probe === null) {
    return Either.right({ status_read_dir: primaryDir, status_write_dir: primaryDir, coord_state: "NOT_APPLICABLE" })
  }
  const branch = branchRef.coordination_branch ?? branchRef.destination_ref.ref
  const coordDir = coordMissionDir(coordRoot, identity.mission_slug, identity.mid8)
  if (probe.rootExists) {
    if (!probe.isWorktreeOfRepo) {
      return Either.left(ContextErrors.statusReadPathNotFound(coordDir, primaryDir, "coord_root_not_a_worktree"))
    }
    const expected = headsRef(branch)
    if (probe.head === null || probe.head._tag !== "Ref" || probe.head.ref !== expected) {
      const actual = probe.head === null ? "unknown" : probe.head._tag === "Ref" ? probe.head.ref : `detached ${probe.head.sha}`
      return Either.left(ContextErrors.branchMismatch(coordRoot, expected, actual))
    }
    if (!probe.coordDirExists) {
      return Either.left(ContextErrors.statusReadPathNotFound(coordDir, primaryDir, "coord_dir_missing"))
    }
    return Either.right({ status_read_dir: coordDir, status_write_dir: coordDir, coord_state: "MATERIALIZED" })
  }
  if (probe.branchExists === true) {
    return Either.right({ status_read_dir: primaryDir, status_write_dir: primaryDir, coord_state: "UNMATERIALIZED" })
  }
  return Either.left(ContextErrors.coordinationBranchDeleted(branch, coordDir, primaryDir))
}

/** The artifact kinds of mission files (R-PLACE-3). */
export const ARTIFACT_KINDS = [
  "STATUS_STATE",
  "ISSUE_MATRIX",
  "ACCEPTANCE_MATRIX",
  "DECISION_LOG",
  "TRACER_FILE",
  "REVIEW_CYCLE",
  "SPEC",
  "DATA_MODEL",
  "RESEARCH",
  "CHECKLIST",
  "FINALIZED_EXECUTION_PLAN",
  "TASKS_INDEX",
  "WORK_PACKAGE_TASK",
  "LANE_STATE",
  "PRIMARY_METADATA",
  "RETROSPECTIVE",
  "ANALYSIS_REPORT"
] as const
/** One artifact kind. */
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number]

/** Lifecycle kinds: their authority is the status surface. */
export const LIFECYCLE_KINDS: ReadonlySet<ArtifactKind> = new Set([
  "STATUS_STATE",
  "ISSUE_MATRIX",
  "ACCEPTANCE_MATRIX",
  "DECISION_LOG",
  "TRACER_FILE",
  "REVIEW_CYCLE"
])

const KIND_RULES: ReadonlyArray<readonly [RegExp, ArtifactKind]> = [
  [exactly(EVENTS_FILE, SNAPSHOT_FILE), "STATUS_STATE"],
  [/^issue-matrix\.(md|json)$/, "ISSUE_MATRIX"],
  [/^acceptance-matrix\.json$/, "ACCEPTANCE_MATRIX"],
  [/^decisions\.events\.jsonl$/, "DECISION_LOG"],
  [/^traces\//, "TRACER_FILE"],
  [/^tasks\/[^/]+\/review-cycle-[^/]*\.md$/, "REVIEW_CYCLE"],
  [/^spec\.md$/, "SPEC"],
  [/^data-model\.md$/, "DATA_MODEL"],
  [/^research\.md$/, "RESEARCH"],
  [/^checklists\//, "CHECKLIST"],
  [/^plan\.md$/, "FINALIZED_EXECUTION_PLAN"],
  [/^tasks\.md$|^wps\.yaml$/, "TASKS_INDEX"],
  [/^tasks\//, "WORK_PACKAGE_TASK"],
  [exactly(LANES_FILE), "LANE_STATE"],
  [exactly(META_FILE), "PRIMARY_METADATA"],
  [/^retrospective\.yaml$/, "RETROSPECTIVE"],
  [/^analysis-report\.md$/, "ANALYSIS_REPORT"]
]

/** R-PLACE-3: the kind of a path relative to the mission dir (first match wins), or null. */
export const kindOfMissionFile = (relPath: string): ArtifactKind | null => {
  for (const [re, kind] of KIND_RULES) if (re.test(relPath)) return kind
  return null
}

/** R-PLACE-2: the single placement function; v1 gives every kind the context's placement ref. */
export const placementFor = (ctx: MissionExecutionContext, _kind: ArtifactKind): CommitTarget =>
  ctx.artifact_placement.placement_ref

/** R-PLACE-4: where a kind is read and written: meta.json in the primary dir, the rest in `feature_dir`. */
export const readDirFor = (ctx: MissionExecutionContext, kind: ArtifactKind): string =>
  kind === "PRIMARY_METADATA" ? missionDir(ctx.workspace.primary_root, ctx.identity.mission_slug) : ctx.feature_dir

/** §3: the placement checkout's mission dir (coord copy when coordination and materialised). */
export const featureDirOf = (primaryRoot: string, identity: Identity, surface: StatusSurface): string =>
  surface.coord_state === "MATERIALIZED" ? surface.status_read_dir : missionDir(primaryRoot, identity.mission_slug)

/** §11 step 1: normalises an explicit WP id (`wp01-foo` → `WP01`); must match `^WP\d{2,}$`. */
export const normalizeWpId = (raw: string, action: Action): Either.Either<string, ContextError> => {
  const id = raw.toUpperCase().split("-")[0]
  return /^WP\d{2,}$/.test(id)
    ? Either.right(id)
    : Either.left(ContextErrors.workPackageUnresolved(action, raw, "invalid work package id"))
}

/** §11 step 1: auto-pick from the WPs' lanes (implement: planned then in_progress; review: for_review then in_review). */
export const autoPickWp = (
  action: Action,
  wpIds: ReadonlyArray<string>,
  laneOf: (wp: string) => string
): Either.Either<string, ContextError> => {
  const order = action === "implement" ? ["planned", "in_progress"] : ["for_review", "in_review"]
  const sorted = [...wpIds].sort()
  for (const lane of order) {
    const hit = sorted.find((wp) => laneOf(wp) === lane)
    if (hit !== undefined) return Either.right(hit)
  }
  return Either.left(ContextErrors.workPackageUnresolved(action, null, `no work package in ${order.join(" or ")}`))
}

/** §11 step 4: the WP's execution workspace from its frontmatter mode and `lanes.json`. */
export const workPackageRefOf = (input: {
  readonly action: Action
  readonly primaryRoot: string
  readonly slug: string
  readonly targetBranch: string
  readonly wpId: string
  readonly wpFile: string
  readonly executionMode: string | null
  readonly laneIdOfWp: string | null
}): Either.Either<{ readonly ref: WorkPackageRef; readonly workspace: string }, ContextError> => {
  const planning = input.executionMode === "planning_artifact" || input.laneIdOfWp === "lane-planning"
  if (planning) {
    return Either.right({
      ref: {
        wp_id: input.wpId,
        wp_file: input.wpFile,
        lane_id: "lane-planning",
        lane_branch: input.targetBranch,
        execution_mode: input.executionMode ?? "planning_artifact",
        resolution_kind: "repo_root"
      },
      workspace: input.primaryRoot
    })
  }
  if (input.laneIdOfWp === null) {
    return Either.left(ContextErrors.workPackageUnresolved(input.action, input.wpId, "not_in_any_lane"))
  }
  return Either.right({
    ref: {
      wp_id: input.wpId,
      wp_file: input.wpFile,
      lane_id: input.laneIdOfWp,
      lane_branch: laneBranch(input.slug, input.laneIdOfWp),
      execution_mode: input.executionMode ?? "code_change",
      resolution_kind: "lane_workspace"
    },
    workspace: laneWorktree(input.primaryRoot, input.slug, input.laneIdOfWp)
  })
}

/** §3.1: checks the invariants of an assembled context. */
export const checkInvariants = (ctx: MissionExecutionContext): Either.Either<MissionExecutionContext, ContextError> => {
  const { branch_ref: b, identity: id, status_surface: s, workspace: w } = ctx
  const fail = (invariant: string, values: Record<string, unknown>) =>
    Either.left(ContextErrors.invariant(invariant, values))
  if (!id.mission_id.startsWith("legacy-") && id.mid8 !== id.mission_id.slice(0, 8)) {
    return fail("I-1", { mid8: id.mid8, mission_id: id.mission_id })
  }
  const expectedRef = b.destination_ref.kind === "coordination" ? b.coordination_branch : b.target_branch
  if (b.destination_ref.ref !== expectedRef) return fail("I-3", { destination_ref: b.destination_ref, expected: expectedRef })
  const coordination = b.destination_ref.kind === "coordination"
  if (coordination !== (b.coordination_branch !== null) || coordination !== (w.coord_worktree !== null)) {
    return fail("I-4", { kind: b.destination_ref.kind, coordination_branch: b.coordination_branch, coord_worktree: w.coord_worktree })
  }
  if (s.status_read_dir !== s.status_write_dir) return fail("I-5", { ...s })
  const p = ctx.artifact_placement.placement_ref
  if (p.ref !== b.destination_ref.ref || p.kind !== b.destination_ref.kind) {
    return fail("I-6", { placement_ref: p, destination_ref: b.destination_ref })
  }
  if (ctx.prompt_source.prompt_source_dir !== joinPath(ctx.feature_dir, TASKS_DIR)) {
    return fail("I-7", { prompt_source_dir: ctx.prompt_source.prompt_source_dir, feature_dir: ctx.feature_dir })
  }
  if (w.allowed_command_cwd !== (w.execution_workspace ?? w.primary_root)) {
    return fail("I-9", { allowed_command_cwd: w.allowed_command_cwd, execution_workspace: w.execution_workspace })
  }
  if (w.coord_worktree !== null && w.coord_worktree.split("/").filter((x) => x === WORKTREES_DIR).length !== 1) {
    return fail("I-11", { coord_worktree: w.coord_worktree })
  }
  if (!isWithin(w.primary_root, missionDir(w.primary_root, id.mission_slug))) return fail("I-8", { ...id })
  return Either.right(ctx)
}

/** The CLI/library JSON form: spec-kitty's flat `mission_slug` and `feature_dir` plus the fragments, in §3 order. */
export const contextToJson = (ctx: MissionExecutionContext) => ({
  action: ctx.action,
  mission_slug: ctx.identity.mission_slug,
  feature_dir: ctx.feature_dir,
  topology: ctx.topology,
  identity: ctx.identity,
  branch_ref: ctx.branch_ref,
  workspace: ctx.workspace,
  status_surface: ctx.status_surface,
  artifact_placement: ctx.artifact_placement,
  prompt_source: ctx.prompt_source,
  work_package: ctx.work_package
})

/** The kinds of checkout a directory can be in (docs/execution-context.md §6). */
export type CheckoutKind = "primary" | "lane_worktree" | "coord_worktree" | "unregistered_husk"

/** A classified checkout: informational only, never used to choose a location (R-CLS-2). */
export interface CheckoutClass {
  readonly kind: CheckoutKind
  readonly root: string
  readonly lane_id: string | null
}

/** §6: classifies `cwd` against the primary root and the worktree registry (first match wins). */
export const classifyCheckoutIn = (
  primaryRoot: string,
  cwd: string,
  registry: ReadonlyArray<{ readonly path: string; readonly prunable: boolean }>
): CheckoutClass => {
  const worktrees = joinPath(primaryRoot, WORKTREES_DIR)
  if (isWithin(worktrees, cwd) && cwd !== worktrees) {
    const name = cwd.slice(worktrees.length + 1).split("/")[0]
    const root = joinPath(worktrees, name)
    const entry = registry.find((e) => e.path === root)
    if (entry === undefined || entry.prunable) return { kind: "unregistered_husk", root, lane_id: null }
    if (isCoordWorktreeName(name)) return { kind: "coord_worktree", root, lane_id: null }
    return { kind: "lane_worktree", root, lane_id: laneIdOfWorktreeName(name) }
  }
  const linked = registry
    .filter((e) => e.path !== primaryRoot && !e.prunable && isWithin(e.path, cwd))
    .sort((a, b) => b.path.length - a.path.length)[0]
  if (linked !== undefined) return { kind: "lane_worktree", root: linked.path, lane_id: null }
  return { kind: "primary", root: primaryRoot, lane_id: null }
}
