/**
 * What a merge would do, read without writing (docs/surfaces.md §5.4, §5.6): the target, the strategy,
 * the mission branch, the lanes in `lanes.json` order, every WP's lane on the canonical status surface,
 * and the preflight refusals. Shared by the executor and `--dry-run`.
 */
import { Effect, Either } from "effect"
import type { ConfigError } from "../../core/config/ConfigError.js"
import type { ContextError } from "../../core/context/ContextError.js"
import type { MissionExecutionContext } from "../../core/context/ExecutionContext.js"
import type { CommitKind } from "../../core/context/MissionMeta.js"
import { isLegacyIdentity } from "../../core/context/ExecutionContext.js"
import { decodeLanesManifest } from "../../core/context/MissionMeta.js"
import { mergeError } from "../../core/merge/MergeError.js"
import type { MergeError } from "../../core/merge/MergeError.js"
import { blockingWps, strategyFromConfig } from "../../core/merge/MergeRules.js"
import type { MergeStrategy } from "../../core/merge/MergeState.js"
import {
  kittifyConfig,
  LANES_FILE,
  laneBranch,
  META_FILE,
  missionBranch as defaultMissionBranch,
  missionDir,
  missionFile,
  SPEC_KITTY_GLOBAL_MERGE,
  specKittyMergeRuntime,
  TASKS_DIR
} from "../../core/repo/Naming.js"
import { joinPath, relativeWithin } from "../../core/repo/Paths.js"
import { checkBranchName } from "../../core/repo/RefName.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import type { EventStream } from "../../core/status/EventRow.js"
import { foldTransitions } from "../../core/status/StatusFold.js"
import { actorName } from "../../core/status/Transition.js"
import type { Resolution } from "../context/ResolveContext.js"
import type { RepoLocation } from "../context/RootLocator.js"
import { GitReader } from "../ports/Git.js"
import { RepoFs } from "../ports/RepoFs.js"
import { branchTip } from "./MergeGit.js"
import { logPathOf, snapshotPathOf, StatusReader } from "../status/StatusReader.js"
import type { StatusFailure, StatusTarget } from "../status/StatusReader.js"

/** One lane to merge into the mission branch. */
export interface LanePlan {
  readonly laneId: string
  readonly branch: string
  readonly wps: ReadonlyArray<string>
  /** The lane branch's tip, or null when it does not exist. */
  readonly tip: string | null
}

/** Everything a merge reads before it writes. */
export interface MergePlan {
  readonly r: Resolution
  readonly ctx: MissionExecutionContext
  readonly location: RepoLocation
  readonly root: string
  readonly slug: string
  /** The state key: the mission id, or the slug for a legacy mission. */
  readonly key: string
  readonly missionId: string
  readonly target: string
  readonly targetTip: string | null
  readonly strategy: MergeStrategy
  readonly kind: CommitKind
  /** The mission branch, and its tip (null when it does not exist). */
  readonly missionBranch: string
  readonly missionTip: string | null
  readonly lanes: ReadonlyArray<LanePlan>
  /** Every WP's lane on the canonical status surface (`planned` for a WP with no event). */
  readonly wpLanes: ReadonlyMap<string, string>
  /** Who approved each WP (the actor of its last move to approved). */
  readonly reviewers: ReadonlyMap<string, string>
  /** The mission's files relative to a checkout's root (the same in every tree). */
  readonly rel: { readonly log: string; readonly snapshot: string; readonly meta: string }
}

/** What planning can fail with. */
export type PlanError = MergeError | ContextError | StatusFailure | GitError | IoError | ConfigError

/** The status target of the mission's copy in another checkout (the merge workspace, a tree). */
export const treeTarget = (r: Resolution, checkoutRoot: string): StatusTarget => {
  const dir = missionDir(checkoutRoot, r.context.identity.mission_slug)
  return { ...r.statusTarget, statusDir: dir, tasksDir: joinPath(dir, TASKS_DIR), workspaceRoot: checkoutRoot }
}

const branchOk = (value: string, source: string) => Either.mapLeft(checkBranchName(value, source), (e) => e)


/** Reads a plan; writes nothing. */
export const planMerge = (
  r: Resolution,
  options: { readonly target?: string | undefined; readonly strategy?: MergeStrategy | undefined }
): Effect.Effect<MergePlan, PlanError, RepoFs | GitReader | StatusReader> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const ctx = r.context
    const root = ctx.workspace.primary_root
    const slug = ctx.identity.mission_slug
    const target = yield* branchOk(options.target ?? r.meta?.merge_target_branch ?? ctx.branch_ref.target_branch, "the merge target")
    const configured = yield* strategyFromConfig(yield* fs.readText(kittifyConfig(root)))
    const strategy = options.strategy ?? configured ?? "squash"
    const kind = ctx.branch_ref.destination_ref.kind

    const lanesText = yield* fs.readText(missionFile(ctx.feature_dir, LANES_FILE))
    const manifest = lanesText === null ? null : yield* decodeLanesManifest(missionFile(ctx.feature_dir, LANES_FILE), lanesText)
    const declared = manifest?.mission_branch
    const missionBranch = yield* branchOk(
      kind === "coordination" && ctx.branch_ref.coordination_branch !== null
        ? ctx.branch_ref.coordination_branch
        : typeof declared === "string" && declared !== ""
        ? declared
        : defaultMissionBranch(slug),
      "the mission branch"
    )
    const lanes: Array<LanePlan> = []
    for (const lane of manifest?.lanes ?? []) {
      if (lane.lane_id === "lane-planning") continue
      const branch = yield* branchOk(laneBranch(slug, lane.lane_id), "a lane branch")
      lanes.push({ laneId: lane.lane_id, branch, wps: lane.wp_ids, tip: yield* branchTip(root, branch) })
    }

    const stream: EventStream = yield* (yield* StatusReader).stream(r.statusTarget)
    const folded = foldTransitions(stream.transitions)
    const wpLanes = new Map<string, string>()
    for (const [wp, state] of folded.states) wpLanes.set(wp, state.lane)
    for (const lane of manifest?.lanes ?? []) for (const wp of lane.wp_ids) if (!wpLanes.has(wp)) wpLanes.set(wp, "planned")
    const reviewers = new Map<string, string>()
    for (const t of folded.sorted) if (t.to_lane === "approved") reviewers.set(t.wp_id, actorName(t.actor) || "unknown")

    const tree = treeTarget(r, root)
    return {
      r,
      ctx,
      location: r.location,
      root,
      slug,
      key: isLegacyIdentity(ctx.identity) ? slug : ctx.identity.mission_id,
      missionId: ctx.identity.mission_id,
      target,
      targetTip: yield* branchTip(root, target),
      strategy,
      kind,
      missionBranch,
      missionTip: yield* branchTip(root, missionBranch),
      lanes,
      wpLanes,
      reviewers,
      rel: {
        log: relativeWithin(root, logPathOf(tree)),
        snapshot: relativeWithin(root, snapshotPathOf(tree)),
        meta: relativeWithin(root, missionFile(missionDir(root, slug), META_FILE))
      }
    }
  })

/** The lanes that will be merged: those whose branch exists (a lane of only canceled WPs may have none). */
export const lanesToMerge = (plan: MergePlan): ReadonlyArray<LanePlan & { readonly tip: string }> =>
  plan.lanes.filter((l): l is LanePlan & { tip: string } => l.tip !== null)

/** A spec-kitty merge in progress: its state files or its global lock (kittyctx never touches them). */
export const foreignMergeState = (root: string): Effect.Effect<ReadonlyArray<string>, IoError, RepoFs> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const dir = specKittyMergeRuntime(root)
    const found: Array<string> = []
    for (const e of (yield* fs.entries(dir)) ?? []) {
      if (e.kind !== "Directory") continue
      for (const name of ["state.json", ...(e.name === SPEC_KITTY_GLOBAL_MERGE ? ["lock"] : [])]) {
        const p = joinPath(dir, e.name, name)
        if ((yield* fs.kind(p)) !== null) found.push(p)
      }
    }
    return found
  })

/** The preflight refusals of a plan (docs/surfaces.md §5.6 P0), in the order they are reported. */
export const preflightBlockers = (plan: MergePlan): ReadonlyArray<MergeError> => {
  const blockers: Array<MergeError> = []
  if (plan.targetTip === null) {
    blockers.push(
      mergeError("MERGE_BRANCH_MISSING", `The target branch ${plan.target} does not exist in this repository`, {
        branch: plan.target
      })
    )
  }
  const waiting = plan.lanes.filter((l) => l.tip === null && l.wps.some((wp) => plan.wpLanes.get(wp) !== "canceled"))
  if (waiting.length > 0) {
    blockers.push(
      mergeError("MERGE_BRANCH_MISSING", `Lane branches are missing: ${waiting.map((l) => l.branch).join(", ")}`, {
        branches: waiting.map((l) => l.branch)
      })
    )
  }
  if (lanesToMerge(plan).length > 0 && plan.missionTip === null) {
    blockers.push(
      mergeError("MERGE_BRANCH_MISSING", `The mission branch ${plan.missionBranch} does not exist, but lanes do`, {
        branch: plan.missionBranch
      })
    )
  }
  const blocking = blockingWps(plan.wpLanes)
  if (blocking.length > 0) {
    blockers.push(
      mergeError(
        "WPS_NOT_APPROVED",
        `Every work package must be approved, done or canceled before merging: ${
          blocking.map((b) => `${b.wp_id} (${b.lane})`).join(", ")
        }`,
        { wps: blocking }
      )
    )
  }
  return blockers
}
