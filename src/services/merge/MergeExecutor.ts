/**
 * `kittyctx merge` (docs/surfaces.md §5.4-§5.8): lanes into the mission branch, the mission-number
 * bake, the mission into the target with the configured strategy, the done bookkeeping, verification,
 * push and cleanup. Every merge and commit happens in one detached workspace inside the git dir; refs
 * move only by a fast-forward in the checkout that holds them or by compare-and-swap, so the user's
 * checkouts never change branch. Each ref move is recorded in the state before and after it is made,
 * and every step is re-verified from git on resume, so a run killed anywhere and resumed ends with the
 * same trees and refs as an uninterrupted one. A conflict stops the run with the workspace kept for
 * the operator; `--resume` commits the resolution, `--abort` removes the workspace and the state.
 */
import { Clock, Duration, Effect, Layer } from "effect"
import type { ConfigError } from "../../core/config/ConfigError.js"
import type { ContextError } from "../../core/context/ContextError.js"
import { mergeError } from "../../core/merge/MergeError.js"
import type { MergeError } from "../../core/merge/MergeError.js"
import { doneRequest, doneTimes, missionNumberOf, nextMissionNumber, setMissionNumber } from "../../core/merge/MergeRules.js"
import {
  decodeMergeState,
  encodeMergeState,
  MERGE_PHASES,
  MERGE_STATE_SCHEMA,
  phaseAfter
} from "../../core/merge/MergeState.js"
import type { MergePhase, MergeState, MergeStrategy, PlannedDone, RefMove } from "../../core/merge/MergeState.js"
import {
  headsRef,
  infoAttributesPath,
  laneWorktree,
  lockPathOf,
  mergeStateDir,
  mergeStateFile,
  mergeStateRoot,
  mergeWorkspace,
  metaPathspec
} from "../../core/repo/Naming.js"
import { isWithin, joinPath, relativeWithin } from "../../core/repo/Paths.js"
import { commitId } from "../../core/repo/RefName.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { decodeMissionMeta } from "../../core/context/MissionMeta.js"
import { foldTransitions } from "../../core/status/StatusFold.js"
import { encodeUlid, formatIsoUtcMillis } from "../../core/status/Ulid.js"
import type { SurfaceError } from "../../core/surfaces/SurfaceError.js"
import { VERSION } from "../../core/Version.js"
import { resolve, resolveForWrite } from "../context/ResolveContext.js"
import type { Resolution, ResolveError, ResolveForWriteRequirements } from "../context/ResolveContext.js"
import { discoverPrimaryRoot } from "../context/RootLocator.js"
import type { RepoLocation } from "../context/RootLocator.js"
import { EventIds } from "../ports/EventIds.js"
import type { Stamp } from "../ports/EventIds.js"
import { FileLock, lockTimeoutAs } from "../ports/FileLock.js"
import type { LockError } from "../ports/FileLock.js"
import { Git, GitReader } from "../ports/Git.js"
import type { Launcher } from "../ports/Launcher.js"
import { refuseDuringGitOp } from "../ports/GitFiles.js"
import { RepoFs } from "../ports/RepoFs.js"
import { RepoWrite, repositoryScope } from "../ports/RepoWrite.js"
import * as MissionStatusLive from "../status/MissionStatus.js"
import { MissionStatus } from "../status/MissionStatus.js"
import { statusFiles, StatusReader } from "../status/StatusReader.js"
import type { StatusFailure, StatusTarget } from "../status/StatusReader.js"
import { commitInMergeWorkspace, commitPaths } from "../surfaces/CommitPath.js"
import { protectionPolicy } from "../surfaces/WriteGuards.js"
import { ensureDriversFor, removeAttributeLines } from "./DriverInstall.js"
import {
  abortInWorkspace,
  advanceBranch,
  branchTip,
  checkoutOf,
  ensureMergeWorkspace,
  isAncestor,
  mergeIntoWorkspace,
  rebaseWorkspace,
  resetWorkspace,
  unmergedPaths,
  workspaceHead
} from "./MergeGit.js"
import { foreignMergeState, lanesToMerge, planMerge, preflightBlockers, treeTarget } from "./MergePlan.js"
import type { MergePlan } from "./MergePlan.js"
import { sha256 } from "../ports/Crypto.js"

/** What `kittyctx merge` is asked to do. */
export interface MergeRequest {
  readonly cwd: string
  readonly mission?: string | undefined
  readonly target?: string | undefined
  readonly strategy?: MergeStrategy | undefined
  readonly push: boolean
  readonly keepBranch: boolean
  readonly keepWorktree: boolean
  readonly resume: boolean
}

/** A completed merge. */
export interface MergeOutcome {
  readonly mission_slug: string
  readonly target_branch: string
  readonly strategy: MergeStrategy
  readonly phase: "complete"
  readonly resumed: boolean
  readonly merged_lanes: ReadonlyArray<string>
  readonly mission_number: number | null
  readonly integration_commit: string | null
  readonly done_commit: string | null
  readonly pushed: boolean
  readonly advanced_refs: ReadonlyArray<RefMove>
  readonly warnings: ReadonlyArray<string>
}

/** What `--abort` did. */
export interface AbortOutcome {
  readonly mission_slug: string
  readonly aborted: boolean
  readonly workspace_removed: boolean
  /** Refs the merge had already moved; they are not rolled back. */
  readonly advanced_refs: ReadonlyArray<RefMove>
}

/** Everything a merge can fail with. */
export type MergeRunError =
  | MergeError
  | ResolveError
  | StatusFailure
  | SurfaceError
  | LockError
  | GitError
  | IoError
  | ConfigError
  | ContextError

/** The services a merge runs on. */
export type MergeRequirements = ResolveForWriteRequirements | Launcher

// ---------------------------------------------------------------------------------------------
// State file

const readState = (commonDir: string, key: string): Effect.Effect<MergeState | null, MergeError | IoError, RepoFs> =>
  Effect.gen(function*() {
    const path = mergeStateFile(commonDir, key)
    const text = yield* (yield* RepoFs).readText(path)
    return text === null ? null : yield* decodeMergeState(path, text)
  })

/** Every kittyctx merge state of the repository. */
const allStates = (commonDir: string): Effect.Effect<ReadonlyArray<MergeState>, MergeError | IoError, RepoFs> =>
  Effect.gen(function*() {
    const out: Array<MergeState> = []
    for (const e of (yield* (yield* RepoFs).entries(mergeStateRoot(commonDir))) ?? []) {
      if (e.kind !== "Directory") continue
      const s = yield* readState(commonDir, e.name)
      if (s !== null) out.push(s)
    }
    return out
  })

/** The state's key: the mission id, or the slug of a legacy mission (whose id is the `legacy-` sentinel). */
const stateKeyOf = (s: { readonly mission_id: string; readonly mission_slug: string }) =>
  s.mission_id.startsWith("legacy-") ? s.mission_slug : s.mission_id

const isoNow = Effect.map(Clock.currentTimeMillis, formatIsoUtcMillis)

/**
 * The mission a `--resume` / `--abort` without `--mission` means: the one merge in progress
 * (`NO_MERGE_TO_RESUME` with none, `MERGE_STATE_AMBIGUOUS` with several).
 */
const missionOfState = (cwd: string, mission: string | undefined) =>
  Effect.gen(function*() {
    if (mission !== undefined) return mission
    const location = yield* discoverPrimaryRoot(cwd)
    const states = yield* allStates(location.commonDir)
    if (states.length === 0) return yield* mergeError("NO_MERGE_TO_RESUME", "No interrupted merge to resume.")
    if (states.length > 1) {
      return yield* mergeError(
        "MERGE_STATE_AMBIGUOUS",
        `Several merges are in progress; pass --mission: ${states.map((s) => s.mission_slug).join(", ")}`,
        { missions: states.map((s) => s.mission_slug) }
      )
    }
    return states[0].mission_slug
  })

// ---------------------------------------------------------------------------------------------
// Locks

const withMergeLock = <A, E, R>(plan: { readonly root: string; readonly commonDir: string }, body: Effect.Effect<A, E, R>) =>
  Effect.flatMap(FileLock, (locks) =>
    locks.withExclusive({
      path: lockPathOf(plan.commonDir, { _tag: "Merge" }),
      scope: repositoryScope(plan.root, plan.commonDir)
    })(body).pipe(
      lockTimeoutAs((e) =>
        mergeError("MERGE_LOCKED", `Another merge is running in this repository (lock ${e.path} held)`, {
          lock_file: e.path,
          holder: e.holder,
          timeout_ms: e.timeoutMs
        })
      )
    ))

// ---------------------------------------------------------------------------------------------
// Done bookkeeping through the status facade, with stamps fixed in the state

/** The status facade with a clock that hands out exactly the planned stamp. */
const facadeWithStamp = (stamp: Stamp | null) =>
  MissionStatusLive.layer.pipe(
    Layer.provide(
      Layer.succeed(
        EventIds,
        EventIds.of({
          next: stamp === null ? Effect.dieMessage("the merge bookkeeping asked for an unplanned event stamp") : Effect.succeed(stamp)
        })
      )
    )
  )

/** A done row's id: a ULID at its time whose random part derives from the mission, the WP and the integration. */
const doneEventId = (missionId: string, wpId: string, integration: string, at: string): string => {
  const digest = sha256().update(`${missionId}\u0000${wpId}\u0000${integration}`).digest()
  const ms = Date.parse(at)
  return encodeUlid(ms, new Uint8Array(digest.subarray(0, 10)))
}

// ---------------------------------------------------------------------------------------------
// The run

/** Runs (or resumes) a merge to completion. */
export const runMerge = (req: MergeRequest): Effect.Effect<MergeOutcome, MergeRunError, MergeRequirements> =>
  Effect.gen(function*() {
    const mission = req.resume ? yield* missionOfState(req.cwd, req.mission) : req.mission
    const r0 = yield* resolve({ cwd: req.cwd, mission, action: "status" })
    const location = r0.location
    const root = r0.context.workspace.primary_root
    const foreign = yield* foreignMergeState(root)
    if (foreign.length > 0) {
      return yield* mergeError(
        "MERGE_FOREIGN_IN_PROGRESS",
        "A spec-kitty merge is in progress in this repository; finish or abort it with spec-kitty first",
        { paths: foreign }
      )
    }
    return yield* withMergeLock({ root, commonDir: location.commonDir }, execute(req, r0))
  }).pipe(Effect.withSpan("kittyctx.merge"))

const execute = (req: MergeRequest, r0: Resolution) =>
  Effect.gen(function*() {
    const git = yield* Git
    const reader = yield* GitReader
    const fs = yield* RepoFs
    const write = yield* RepoWrite
    const location = r0.location
    const commonDir = location.commonDir
    const root = r0.context.workspace.primary_root
    const scope = repositoryScope(root, commonDir)
    const warnings: Array<string> = []

    let plan = yield* planMerge(r0, { target: req.target, strategy: req.strategy })
    const existing = yield* readState(commonDir, plan.key)
    if (req.resume && existing === null) return yield* mergeError("NO_MERGE_TO_RESUME", "No interrupted merge to resume.")
    const resumed = existing !== null
    if (existing !== null) {
      // the state fixes what the interrupted run decided
      plan = yield* planMerge(r0, { target: existing.target_branch, strategy: existing.strategy })
    } else {
      const blockers = preflightBlockers(plan)
      if (blockers.length > 0) return yield* Effect.fail(blockers[0])
      yield* refuseDuringGitOp([root], "finish or abort it, then run kittyctx merge again")
      if (plan.kind !== "coordination") yield* requireStatusCommitted(plan)
    }

    const now = yield* isoNow
    let state: MergeState = existing ?? {
      schema: MERGE_STATE_SCHEMA,
      mission_id: plan.missionId,
      mission_slug: plan.slug,
      target_branch: plan.target,
      mission_branch: plan.missionTip === null ? null : plan.missionBranch,
      strategy: plan.strategy,
      phase: "merge_lanes",
      lanes_order: lanesToMerge(plan).map((l) => l.laneId),
      lanes_completed: [],
      current_lane: null,
      has_pending_conflicts: false,
      pending_step: null,
      conflicted_files: [],
      workspace_path: mergeWorkspace(commonDir, plan.key),
      target_baseline_sha: null,
      mission_tip_integrated: null,
      integration_sha: null,
      mission_number: null,
      mission_number_baked: false,
      done_plan: null,
      done_commit_sha: null,
      pending_advance: null,
      advanced_refs: [],
      attributes_added: [],
      push_requested: req.push,
      pushed: false,
      keep_branch: req.keepBranch,
      keep_worktree: req.keepWorktree,
      started_at: now,
      updated_at: now,
      kittyctx_version: VERSION
    }
    const save = (patch: Partial<MergeState>) =>
      Effect.gen(function*() {
        state = { ...state, ...patch, updated_at: yield* isoNow }
        yield* write.makeDirectory(scope, mergeStateDir(commonDir, plan.key))
        yield* write.writeFile(scope, mergeStateFile(commonDir, plan.key), encodeMergeState(state))
      })
    yield* save({})

    // the drivers, with this launcher; attribute lines added now are removed when the run ends
    const added = yield* ensureDriversFor(location)
    if (added.length > 0) yield* save({ attributes_added: [...new Set([...state.attributes_added, ...added])] })

    const ws = yield* ensureMergeWorkspace(location, state.workspace_path, headsRef(state.target_branch))
    const missionBranch = state.mission_branch
    const target = state.target_branch

    /** Moves `ref` with the move recorded before (pending) and after (advanced). */
    const move = (ref: string, from: string, to: string) =>
      Effect.gen(function*() {
        if (from === to) return
        yield* save({ pending_advance: { ref, from, to } })
        yield* advanceBranch(root, ref, from, to)
        yield* save({ pending_advance: null, advanced_refs: [...state.advanced_refs, { ref, from, to }] })
      })

    const tipOf = (branch: string) =>
      Effect.flatMap(branchTip(root, branch), (tip) =>
        tip === null
          ? Effect.fail(mergeError("MERGE_BRANCH_MISSING", `The branch ${branch} no longer exists`, { branch }))
          : Effect.succeed(tip))

    const conflict = (
      step: { readonly kind: "lane" | "integrate"; readonly laneId: string | null; readonly message: string; readonly onto: string },
      files: ReadonlyArray<string>
    ) =>
      Effect.gen(function*() {
        yield* save({
          has_pending_conflicts: true,
          pending_step: { kind: step.kind, lane_id: step.laneId, message: step.message, onto: step.onto },
          conflicted_files: [...files]
        })
        const what = step.kind === "lane" ? `${step.laneId} into ${missionBranch}` : `${missionBranch} into ${target}`
        return yield* mergeError("MERGE_CONFLICT", `Merging ${what} conflicts in ${files.length} file(s): ${files.join(", ")}`, {
          phase: state.phase,
          lane_id: step.laneId,
          workspace_path: ws,
          conflicted_files: files,
          has_pending_conflicts: true,
          remediation: [
            `Resolve the conflicts in ${ws} and stage them (git add), then run kittyctx merge --resume.`,
            "Or run kittyctx merge --abort to stop (refs already moved stay where they are)."
          ]
        })
      })

    const capability = (branch: string) => ({ _tag: "MergeBookkeeping" as const, branch })

    // -- a move recorded as pending when the last run stopped
    if (state.pending_advance !== null) {
      const p = state.pending_advance
      const tip = yield* branchTip(root, p.ref)
      if (tip === p.to) yield* save({ pending_advance: null, advanced_refs: [...state.advanced_refs, p] })
      else {
        yield* advanceBranch(root, p.ref, p.from, p.to)
        yield* save({ pending_advance: null, advanced_refs: [...state.advanced_refs, p] })
      }
    }

    // -- a step stopped on conflicts: the operator resolved it in the workspace
    if (state.has_pending_conflicts && state.pending_step !== null) {
      const step = state.pending_step
      const left = yield* unmergedPaths(ws)
      if (left.length > 0) {
        return yield* mergeError("MERGE_UNRESOLVED_PATHS", `Unresolved conflicts remain in ${ws}: ${left.join(", ")}`, {
          workspace_path: ws,
          conflicted_files: left
        })
      }
      if (step.kind === "integrate" && state.strategy === "rebase") {
        yield* git.run(["-c", "core.editor=true", "rebase", "--continue"], { cwd: ws, mode: "write" })
        const again = yield* unmergedPaths(ws)
        if (again.length > 0) return yield* conflict({ kind: "integrate", laneId: null, message: step.message, onto: step.onto }, again)
      } else {
        yield* commitInMergeWorkspace({
          checkout: ws,
          capability: capability(step.kind === "lane" ? missionBranch! : target),
          paths: "index",
          message: step.message
        })
      }
      const head = yield* workspaceHead(ws)
      if (head === step.onto) {
        return yield* mergeError(
          "MERGE_UNRESOLVED_PATHS",
          `Nothing was merged in ${ws}: the pending merge was abandoned there; run kittyctx merge --abort, then merge again`,
          { workspace_path: ws }
        )
      }
      yield* save({ has_pending_conflicts: false, pending_step: null, conflicted_files: [] })
      if (step.kind === "lane") {
        yield* move(missionBranch!, step.onto, head)
        yield* save({
          lanes_completed: [...new Set([...state.lanes_completed, step.lane_id!])],
          current_lane: null
        })
      } else {
        yield* save({ integration_sha: head })
        yield* move(target, step.onto, head)
        yield* save({ phase: "record_done" })
      }
    }

    const phases: Record<MergePhase, Effect.Effect<void, MergeRunError, MergeRequirements>> = {
      merge_lanes: Effect.gen(function*() {
        for (const lane of lanesToMerge(plan)) {
          if (!state.lanes_order.includes(lane.laneId)) continue
          const missionTip = yield* tipOf(missionBranch!)
          if (yield* isAncestor(root, headsRef(lane.branch), missionTip)) {
            if (!state.lanes_completed.includes(lane.laneId)) {
              yield* save({ lanes_completed: [...state.lanes_completed, lane.laneId] })
            }
            continue
          }
          yield* save({ current_lane: lane.laneId })
          yield* resetWorkspace(location, ws, missionTip)
          const message = `Merge ${lane.branch} into ${missionBranch}`
          const out = yield* mergeIntoWorkspace(ws, headsRef(lane.branch), false)
          if (out._tag === "Conflicted") {
            return yield* conflict({ kind: "lane", laneId: lane.laneId, message, onto: missionTip }, out.files)
          }
          yield* commitInMergeWorkspace({ checkout: ws, capability: capability(missionBranch!), paths: "index", message })
          yield* move(missionBranch!, missionTip, yield* workspaceHead(ws))
          yield* save({ lanes_completed: [...state.lanes_completed, lane.laneId], current_lane: null })
        }
      }),

      bake_number: Effect.gen(function*() {
        if (state.mission_number_baked) return
        const showMeta = (rev: string) =>
          Effect.map(reader.read(["show", "--end-of-options", `${rev}:${plan.rel.meta}`], root), (r) => {
            if (r.exitCode !== 0) return undefined
            try {
              return JSON.parse(r.stdout) as unknown
            } catch {
              return null
            }
          })
        const onTarget = yield* showMeta(headsRef(target))
        const holder = missionBranch !== null && (yield* showMeta(headsRef(missionBranch))) !== undefined
          ? missionBranch
          : onTarget !== undefined
          ? target
          : null
        if (holder === null) {
          return yield* mergeError(
            "MISSION_META_MISSING",
            `Neither ${missionBranch ?? "a mission branch"} nor ${target} holds ${plan.rel.meta}; cannot assign a mission number`,
            { path: plan.rel.meta }
          )
        }
        const known = missionNumberOf(onTarget) ?? missionNumberOf(yield* showMeta(headsRef(holder)))
        if (known !== null) return yield* save({ mission_number: known, mission_number_baked: true })
        const targetNow = yield* tipOf(target)
        const grep = yield* reader.read(["grep", "-h", "-e", "\"mission_number\"", commitId(targetNow), "--", metaPathspec()], root)
        const next = nextMissionNumber(grep.exitCode === 0 ? grep.stdout.split("\n") : [])
        const tip = yield* tipOf(holder)
        yield* resetWorkspace(location, ws, tip)
        const metaPath = joinPath(ws, plan.rel.meta)
        const text = (yield* fs.readText(metaPath)) ?? ""
        const edited = setMissionNumber(text, next)
        if (edited._tag === "Left") {
          return yield* mergeError("MISSION_META_MISSING", `${plan.rel.meta} on ${holder} cannot be edited: ${edited.left}`, {
            path: plan.rel.meta
          })
        }
        yield* write.writeFile(scope, metaPath, edited.right)
        const commit = yield* commitInMergeWorkspace({
          checkout: ws,
          capability: capability(holder),
          paths: [plan.rel.meta],
          message: `chore(${plan.slug}): assign mission number ${next}`
        })
        if (commit.sha !== null) yield* move(holder, tip, commit.sha)
        yield* save({ mission_number: next, mission_number_baked: true })
      }),

      integrate: Effect.gen(function*() {
        if (missionBranch === null || state.integration_sha !== null) return
        const targetTip = yield* tipOf(target)
        const missionTip = yield* tipOf(missionBranch)
        yield* save({ target_baseline_sha: targetTip, mission_tip_integrated: missionTip })
        const message = state.strategy === "squash"
          ? `feat(${plan.slug}): squash merge of mission`
          : `Merge ${missionBranch} into ${target}`
        const step = { kind: "integrate" as const, laneId: null, message, onto: targetTip }
        let sha: string
        if (state.strategy === "rebase") {
          yield* resetWorkspace(location, ws, missionTip)
          const out = yield* rebaseWorkspace(ws, targetTip)
          if (out._tag === "Conflicted") return yield* conflict(step, out.files)
          sha = yield* workspaceHead(ws)
          if (sha === targetTip || !(yield* isAncestor(root, targetTip, sha))) sha = targetTip
        } else {
          yield* resetWorkspace(location, ws, targetTip)
          const out = yield* mergeIntoWorkspace(ws, headsRef(missionBranch), state.strategy === "squash")
          if (out._tag === "Conflicted") return yield* conflict(step, out.files)
          const commit = yield* commitInMergeWorkspace({ checkout: ws, capability: capability(target), paths: "index", message })
          sha = commit.sha ?? targetTip
        }
        if (sha === targetTip) {
          return yield* mergeError(
            "MERGE_NOTHING_TO_INTEGRATE",
            `Merging ${missionBranch} into ${target} changes nothing: ${target} already holds the mission's work`,
            { mission_branch: missionBranch, target_branch: target }
          )
        }
        yield* save({ integration_sha: sha })
        yield* move(target, targetTip, sha)
      }),

      record_done: Effect.gen(function*() {
        if (state.done_commit_sha !== null && (yield* isAncestor(root, state.done_commit_sha, headsRef(target)))) return
        const integration = state.integration_sha ?? (yield* tipOf(target))
        const commitTime = Number((yield* reader.readChecked(["show", "-s", "--format=%ct", commitId(integration)], root)).stdout.trim())
        const statusReader = yield* StatusReader

        const planDone = (stream: import("../../core/status/EventRow.js").EventStream) =>
          Effect.gen(function*() {
            if (state.done_plan !== null) return state.done_plan
            const lanes = foldTransitions(stream.transitions).states
            const approved = [...lanes.entries()].filter(([, s]) => s.lane === "approved").map(([wp]) => wp).sort()
            const ats = [...stream.transitions.map((t) => t.at), ...stream.annotations.map((a) => a.at)]
            const times = doneTimes(commitTime, ats, approved.length)
            const planned: Array<PlannedDone> = approved.map((wp, i) => ({
              wp_id: wp,
              at: times[i],
              event_id: doneEventId(plan.missionId, wp, integration, times[i]),
              reviewer: plan.reviewers.get(wp) ?? "unknown"
            }))
            yield* save({ done_plan: planned })
            return planned
          })

        const emitDone = (t: StatusTarget, planned: ReadonlyArray<PlannedDone>) =>
          Effect.gen(function*() {
            const lanes = foldTransitions((yield* statusReader.stream(t)).transitions).states
            for (const p of planned) {
              if (lanes.get(p.wp_id)?.lane !== "approved") continue
              yield* Effect.flatMap(MissionStatus, (s) =>
                s.transition(t, doneRequest(p.wp_id, p.reviewer, target, integration))).pipe(
                  Effect.provide(facadeWithStamp({ eventId: p.event_id, at: p.at }))
                )
            }
          })

        const targetTip = yield* tipOf(target)
        // the snapshot's identity comes from the target tree's meta.json (the bake reached it), read below
        const wsTargetNow = Effect.gen(function*() {
          const metaPath = joinPath(ws, plan.rel.meta)
          const meta = yield* decodeMissionMeta(metaPath, yield* fs.readText(metaPath))
          return { ...treeTarget(plan.r, ws), identity: meta?.identity ?? plan.r.statusTarget.identity }
        })
        if (plan.kind === "coordination") {
          // on the placement ref first (the coordination branch), then projected onto the target
          const rw = yield* resolveForWrite({ cwd: root, mission: plan.slug, action: "status" })
          const coord = rw.statusTarget
          const planned = yield* planDone(yield* statusReader.stream(coord))
          yield* emitDone(coord, planned)
          const coordRoot = rw.context.workspace.coord_worktree
          if (coordRoot !== null) {
            yield* commitPaths({
              checkout: coordRoot,
              target: rw.context.branch_ref.destination_ref,
              protection: yield* protectionPolicy(rw),
              paths: statusFiles(coord).map((f) => relativeWithin(coordRoot, f)),
              message: `chore(${plan.slug}): record done transitions for merged WPs`
            })
          }
          const coordText = (yield* statusReader.logText(coord)) ?? ""
          yield* resetWorkspace(location, ws, targetTip)
          const wsTarget = yield* wsTargetNow
          yield* Effect.flatMap(MissionStatus, (s) => s.mergeLog(wsTarget, { source: coord.statusDir, text: coordText })).pipe(
            Effect.provide(facadeWithStamp(null))
          )
        } else {
          yield* resetWorkspace(location, ws, targetTip)
          const wsTarget = yield* wsTargetNow
          const planned = yield* planDone(yield* statusReader.stream(wsTarget))
          yield* emitDone(wsTarget, planned)
          if (planned.length > 0) {
            yield* Effect.flatMap(MissionStatus, (s) => s.materialize(wsTarget, { force: true })).pipe(
              Effect.provide(facadeWithStamp(null))
            )
          }
        }
        const commit = yield* commitInMergeWorkspace({
          checkout: ws,
          capability: capability(target),
          paths: [plan.rel.log, plan.rel.snapshot],
          message: `chore(${plan.slug}): record done transitions for merged WPs`
        })
        if (commit.sha !== null) {
          yield* save({ done_commit_sha: commit.sha })
          yield* move(target, targetTip, commit.sha)
        }
      }),

      verify: Effect.gen(function*() {
        const logText = yield* reader.read(["show", "--end-of-options", `${headsRef(target)}:${plan.rel.log}`], root)
        const stream = yield* (yield* StatusReader).stream(treeTarget(plan.r, root), logText.exitCode === 0 ? logText.stdout : "")
        const lanes = foldTransitions(stream.transitions).states
        const open = [...plan.wpLanes.keys()]
          .map((wp) => ({ wp, lane: lanes.get(wp)?.lane ?? "planned" }))
          .filter((x) => x.lane !== "done" && x.lane !== "canceled")
        if (open.length > 0) {
          return yield* mergeError(
            "MERGE_VERIFY_FAILED",
            `After the merge, ${target} still has open work packages: ${open.map((x) => `${x.wp} (${x.lane})`).join(", ")}`,
            { open }
          )
        }
        if (state.mission_number !== null) {
          const meta = yield* reader.read(["show", "--end-of-options", `${headsRef(target)}:${plan.rel.meta}`], root)
          let onTarget: number | null = null
          try {
            onTarget = missionNumberOf(JSON.parse(meta.stdout))
          } catch {
            onTarget = null
          }
          if (onTarget !== state.mission_number) {
            return yield* mergeError(
              "MERGE_VERIFY_FAILED",
              `The mission number ${state.mission_number} did not reach ${target} (it holds ${String(onTarget)})`,
              { expected: state.mission_number, actual: onTarget }
            )
          }
        }
        if (state.done_commit_sha !== null) {
          const changed = (yield* reader.readChecked(["show", "--pretty=format:", "--name-only", commitId(state.done_commit_sha)], root)).stdout
            .split("\n")
            .filter((p) => p !== "")
          const unexpected = changed.filter((p) => p !== plan.rel.log && p !== plan.rel.snapshot)
          if (unexpected.length > 0) {
            return yield* mergeError("MERGE_VERIFY_FAILED", `The done commit changed unexpected paths: ${unexpected.join(", ")}`, {
              paths: unexpected
            })
          }
        }
      }),

      push: Effect.gen(function*() {
        if (!state.push_requested || state.pushed) return
        const origin = yield* git.run(["remote", "get-url", "origin"], { cwd: root, mode: "write" })
        if (origin.exitCode !== 0) {
          warnings.push("--push was given but the repository has no remote named origin; nothing was pushed")
          return
        }
        yield* git.checked(["push", "-q", "--end-of-options", "origin", `${headsRef(target)}:${headsRef(target)}`], {
          cwd: root,
          mode: "write",
          timeout: Duration.seconds(120)
        })
        yield* save({ pushed: true })
      }),

      cleanup: Effect.gen(function*() {
        for (const lane of plan.lanes) {
          if (!state.keep_worktree) {
            const path = laneWorktree(root, plan.slug, lane.laneId)
            if (isWithin(path, req.cwd)) {
              warnings.push(`kept the lane worktree ${path}: the merge runs from inside it`)
            } else if ((yield* reader.worktreeList(root)).some((e) => e.path === path)) {
              const r = yield* git.run(["worktree", "remove", "--", path], { cwd: root, mode: "write" })
              if (r.exitCode !== 0) warnings.push(`kept the lane worktree ${path}: ${r.stderr.trim()}`)
            }
          }
          if (!state.keep_branch && missionBranch !== null) {
            const tip = yield* branchTip(root, lane.branch)
            if (tip === null || (yield* checkoutOf(root, lane.branch)) !== null) continue
            if (yield* isAncestor(root, tip, headsRef(missionBranch))) {
              yield* git.checked(["branch", "-D", "--", lane.branch], { cwd: root, mode: "write" })
            } else warnings.push(`kept ${lane.branch}: it holds commits the mission branch does not`)
          }
        }
        if (!state.keep_branch && missionBranch !== null && plan.kind !== "coordination") {
          const tip = yield* branchTip(root, missionBranch)
          if (tip !== null && tip === state.mission_tip_integrated && (yield* checkoutOf(root, missionBranch)) === null) {
            yield* git.checked(["branch", "-D", "--", missionBranch], { cwd: root, mode: "write" })
          }
        }
      })
    }

    for (const phase of MERGE_PHASES) {
      if (phaseAfter(state.phase, phase)) continue
      if (state.phase !== phase) yield* save({ phase })
      yield* phases[phase]
    }

    const outcome: MergeOutcome = {
      mission_slug: plan.slug,
      target_branch: target,
      strategy: state.strategy,
      phase: "complete",
      resumed,
      merged_lanes: state.lanes_completed,
      mission_number: state.mission_number,
      integration_commit: state.integration_sha,
      done_commit: state.done_commit_sha,
      pushed: state.pushed,
      advanced_refs: state.advanced_refs,
      warnings
    }
    yield* finish(location, root, state)
    return outcome
  })

/** Removes the workspace, the attribute lines the run added and the state (the end of a run, or an abort). */
const finish = (location: RepoLocation, root: string, state: MergeState) =>
  Effect.gen(function*() {
    const git = yield* Git
    const reader = yield* GitReader
    const write = yield* RepoWrite
    const scope = repositoryScope(root, location.commonDir)
    const ws = state.workspace_path
    let removed = false
    if ((yield* reader.worktreeList(root)).some((e) => e.path === ws)) {
      yield* abortInWorkspace(location, ws).pipe(Effect.ignore)
      yield* git.checked(["worktree", "remove", "--force", "--", ws], { cwd: root, mode: "write" })
      removed = true
    }
    yield* git.run(["worktree", "prune"], { cwd: root, mode: "write" })
    if (state.attributes_added.length > 0) {
      yield* removeAttributeLines(location, infoAttributesPath(location.commonDir), state.attributes_added)
    }
    yield* write.remove(scope, mergeStateDir(location.commonDir, stateKeyOf(state)))
    return removed
  })

/** `kittyctx merge --abort`: the workspace, the added attribute lines and the state go; moved refs are listed. */
export const abortMerge = (req: { readonly cwd: string; readonly mission?: string | undefined }): Effect.Effect<
  AbortOutcome,
  MergeRunError,
  MergeRequirements
> =>
  Effect.gen(function*() {
    const mission = yield* missionOfState(req.cwd, req.mission)
    const r = yield* resolve({ cwd: req.cwd, mission, action: "status" })
    const root = r.context.workspace.primary_root
    const commonDir = r.location.commonDir
    const key = stateKeyOf({ mission_id: r.context.identity.mission_id, mission_slug: r.context.identity.mission_slug })
    return yield* withMergeLock(
      { root, commonDir },
      Effect.gen(function*() {
        const state = yield* readState(commonDir, key)
        if (state === null) return yield* mergeError("NO_MERGE_TO_RESUME", "No interrupted merge to abort.")
        const advanced = [...state.advanced_refs]
        const p = state.pending_advance
        if (p !== null && (yield* branchTip(root, p.ref)) === p.to) advanced.push(p)
        const removed = yield* finish(r.location, root, state)
        return { mission_slug: state.mission_slug, aborted: true, workspace_removed: removed, advanced_refs: advanced }
      })
    )
  })

/** For the primary kinds the bookkeeping starts from the target's committed log: it must be what the status surface holds. */
const requireStatusCommitted = (plan: MergePlan) =>
  Effect.gen(function*() {
    const reader = yield* GitReader
    const fs = yield* RepoFs
    const checkout = plan.root
    const onTarget = yield* reader.read(["show", "--end-of-options", `${headsRef(plan.target)}:${plan.rel.log}`], plan.root)
    const surface = (yield* fs.readText(joinPath(checkout, plan.rel.log))) ?? ""
    const dirty = (yield* reader.readChecked(["status", "--porcelain", "--", plan.rel.log, plan.rel.snapshot], checkout)).stdout
    if (dirty.trim() !== "" || (onTarget.exitCode === 0 ? onTarget.stdout : "") !== surface) {
      return yield* mergeError(
        "TARGET_CHECKOUT_DIRTY",
        `The mission's status in ${checkout} is not what ${plan.target} holds; commit the status files on ${plan.target} first`,
        {
          checkout,
          paths: [plan.rel.log, plan.rel.snapshot],
          remediation: [
            `git -C ${checkout} add -- ${plan.rel.log} ${plan.rel.snapshot} && git -C ${checkout} commit -m "chore: status"`
          ]
        }
      )
    }
  })

