/**
 * Status writes routed by the context (docs/surfaces.md §0.10): a transition (`status emit`), subtask
 * marks (`tasks mark-status`) and the claim batch of `implement` land on the status surface through the
 * status facade and, with auto-commit (the project's default), the status files and nothing else are
 * committed on the placement ref in the placement checkout, as spec-kitty's bookkeeping transaction does
 * (`chore(spec-kitty): status transition WP01`). Every check comes before the first write: the branch,
 * the protected-branch policy, a git operation or a stale `index.lock`; a commit that still fails (a
 * hook, a full disk) or commits other bytes than kittyctx wrote is undone and the log returns to its
 * previous bytes, so no event is left for the next commit to carry.
 */
import { Effect, Either } from "effect"
import { autoCommitOf } from "../../core/config/ProjectConfig.js"
import type { ConfigError } from "../../core/config/ConfigError.js"
import { readDirFor } from "../../core/context/ExecutionContext.js"
import { decodeLanesManifest, mirrorsFrontmatterLane } from "../../core/context/MissionMeta.js"
import type { ContextError } from "../../core/context/ContextError.js"
import { isJsonObject } from "../../core/python/PyJson.js"
import { laneBranch, LANES_FILE, laneWorktree, missionDir, missionFile, workspaceRecordFile } from "../../core/repo/Naming.js"
import { joinPath, relativeWithin } from "../../core/repo/Paths.js"
import { checkBranchName } from "../../core/repo/RefName.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { subtaskDelta } from "../../core/status/Annotation.js"
import type { AnnotationRequest } from "../../core/status/Annotation.js"
import type { JsonValue } from "../../core/python/PyJson.js"
import { resolveLaneAlias } from "../../core/status/Lane.js"
import type { TransitionRequest } from "../../core/status/StatusEvent.js"
import { statusError } from "../../core/status/StatusError.js"
import type { StatusError } from "../../core/status/StatusError.js"
import { groupByWp, knownTaskIds, normalizeTaskIdInput, resolveTaskIds } from "../../core/status/TaskIds.js"
import type { ResolvedTask, Roster } from "../../core/status/TaskIds.js"
import { parseFrontmatter, subtaskRoster, withFrontmatterLane, wpFileCandidates } from "../../core/status/WorkPackageFile.js"
import type { ProtectionPolicy } from "../../core/surfaces/Placement.js"
import type { SurfaceError } from "../../core/surfaces/SurfaceError.js"
import type { LockError } from "../ports/FileLock.js"
import { GitReader } from "../ports/Git.js"
import { RepoFs } from "../ports/RepoFs.js"
import type { Settings } from "../ports/Settings.js"
import { resolveForWrite } from "../context/ResolveContext.js"
import type { ContextRequest, Resolution, ResolveError, ResolveForWriteRequirements } from "../context/ResolveContext.js"
import { MissionStatus } from "../status/MissionStatus.js"
import type { AnnotateOutcome, TransitionOutcome } from "../status/MissionStatus.js"
import { logPathOf, snapshotPathOf, statusFiles, StatusReader } from "../status/StatusReader.js"
import type { StatusFailure, StatusTarget } from "../status/StatusReader.js"
import { commitPaths } from "./CommitPath.js"
import type { CommitOutcome } from "./CommitPath.js"
import { placementCheckoutOf } from "./RecordAnalysis.js"
import { makeUndoJournal } from "./UndoJournal.js"
import type { UndoJournal } from "./UndoJournal.js"
import { refuseDuringGitOp } from "../ports/GitFiles.js"
import { checkCommitTarget, protectionPolicy } from "./WriteGuards.js"

/** How a status write is committed: `autoCommit` overrides the project's `.kittify/config.yaml` default. */
export interface BookkeepingOptions {
  readonly autoCommit?: boolean | undefined
}

/** What a bookkeeping write did: its result, whether auto-commit was on, and the commit (null: none made). */
export interface Bookkept<A> {
  readonly result: A
  readonly autoCommit: boolean
  readonly commit: CommitOutcome | null
  /** The WP prompt file whose `lane:` was mirrored (spec-kitty's phase-1 missions), if any. */
  readonly mirrored: string | null
}

/** The outcome of an emit: the transition, its commit, and the status target. */
export interface EmitOutcome extends Bookkept<TransitionOutcome> {
  readonly outcome: TransitionOutcome
  readonly target: StatusTarget
}

/** Everything a status write can fail with. */
export type EmitError = StatusFailure | ResolveError | LockError | SurfaceError | GitError | IoError | ConfigError

/** The services a status write runs on. */
export type EmitRequirements = ResolveForWriteRequirements | MissionStatus

/** What one body of a bookkeeping write appended, and which other files it changed (absolute paths). */
interface Written<A> {
  readonly result: A
  readonly appended: boolean
  readonly extraPaths: ReadonlyArray<string>
}

/**
 * The one bookkeeping write (docs/surfaces.md §0.10): checks, then `write` under the status lock with
 * rollback, then (auto-commit) the commit of exactly the status files and `extraPaths`, verified blob
 * by blob. Any failure after the first write undoes the commit and the files and restores the log.
 */
/** What a bookkeeping write was cleared to do: commit or not, under which protection policy. */
export interface BookkeepingClearance {
  readonly autoCommit: boolean
  readonly policy: ProtectionPolicy | null
}

/** A bookkeeping write's spec: what it records (the commit subject after `chore(spec-kitty): `) and for which command. */
export interface BookkeepingSpec {
  readonly operation: string
  readonly command: string
  readonly autoCommit?: boolean | undefined
}

/**
 * The checks of a bookkeeping write, made before anything is written: with auto-commit the placement
 * checkout must be on the placement ref and the ref must not be protected (spec-kitty's `Bookkeeping
 * refused` with its remedy). The git-operation check (a merge, a stale `index.lock`) is made under the
 * status lock, where no other status writer can be committing.
 */
export const clearBookkeeping = (
  r: Resolution,
  spec: BookkeepingSpec
): Effect.Effect<BookkeepingClearance, SurfaceError | GitError | IoError | ConfigError, GitReader | RepoFs | Settings> =>
  Effect.gen(function*() {
    const autoCommit = spec.autoCommit ?? (yield* autoCommitOf(r.projectConfig))
    if (!autoCommit) return { autoCommit, policy: null }
    const policy = yield* protectionPolicy(r)
    const checkout = placementCheckoutOf(r.context)
    yield* checkCommitTarget(checkout, r.context.artifact_placement.placement_ref, policy, {
      bookkeeping: { operation: spec.operation }
    })
    return { autoCommit, policy }
  })

export const recordBookkeeping = <A, E, R>(
  r: Resolution,
  spec: BookkeepingSpec,
  write: (journal: UndoJournal | null) => Effect.Effect<Written<A>, E, R>,
  cleared?: BookkeepingClearance
): Effect.Effect<
  Bookkept<A>,
  E | StatusFailure | SurfaceError | GitError | IoError | ConfigError,
  R | MissionStatus | ResolveForWriteRequirements
> =>
  Effect.gen(function*() {
    const ctx = r.context
    const target = r.statusTarget
    const status = yield* MissionStatus
    const { autoCommit, policy } = cleared ?? (yield* clearBookkeeping(r, spec))
    const dest = ctx.artifact_placement.placement_ref
    const checkout = placementCheckoutOf(ctx)
    const bookkeeping = { operation: spec.operation }
    const needsJournal = policy !== null || mirrorsFrontmatterLane(r.meta, ctx.identity.mission_slug)
    return yield* status.withRollback(
      target,
      Effect.gen(function*() {
        if (policy !== null) yield* refuseDuringGitOp([checkout], `finish or abort it, then re-run ${spec.command}`)
        const journal = needsJournal ? yield* makeUndoJournal(target.scope, checkout) : null
        const body = Effect.gen(function*() {
          const written = yield* write(journal)
          const mirrored = written.extraPaths[0] ?? null
          if (policy === null || (!written.appended && written.extraPaths.length === 0)) {
            return { result: written.result, autoCommit, commit: null, mirrored }
          }
          const files = [...statusFiles(target), ...written.extraPaths]
          const paths = files.map((f) => relativeWithin(checkout, f))
          const fs = yield* RepoFs
          const expect = new Map<string, string>()
          const logText = yield* (yield* StatusReader).logText(target)
          if (logText !== null) expect.set(relativeWithin(checkout, logPathOf(target)), logText)
          const snapText = yield* fs.readText(snapshotPathOf(target), { noFollow: true })
          if (snapText !== null) expect.set(relativeWithin(checkout, snapshotPathOf(target)), snapText)
          yield* journal!.staging(paths)
          const commit = yield* commitPaths({
            checkout,
            target: dest,
            paths,
            message: `chore(spec-kitty): ${spec.operation}`,
            protection: policy,
            bookkeeping,
            expect
          })
          return { result: written.result, autoCommit, commit, mirrored }
        })
        return yield* journal === null ? body : body.pipe(Effect.tapError(() => journal.undo))
      })
    )
  })

// ---------------------------------------------------------------------------------------------
// Checks of an emit made before the lock (docs/status-model.md §6.1)

/** `UNKNOWN_WORK_PACKAGE` unless the WP has a prompt file or any row in the log. */
const checkKnownWp = (target: StatusTarget, wpId: string) =>
  Effect.gen(function*() {
    const files = ((yield* (yield* RepoFs).entries(target.tasksDir)) ?? []).filter((e) => e.kind === "File").map((e) => e.name)
    if (wpFileCandidates(files, wpId).length > 0) return
    const stream = yield* (yield* StatusReader).stream(target)
    if (stream.transitions.some((t) => t.wp_id === wpId) || stream.annotations.some((a) => a.wp_id === wpId)) return
    const known = [
      ...new Set([
        ...files.map((n) => /^(WP\d+)/.exec(n)?.[1]).filter((x): x is string => x !== undefined),
        ...stream.transitions.map((t) => t.wp_id)
      ])
    ].sort()
    return yield* statusError(
      "UNKNOWN_WORK_PACKAGE",
      `Unknown work package ${wpId} in mission ${target.missionSlug}: no prompt file in ${target.tasksDir} and no status ` +
        `event. Its work packages: ${known.length === 0 ? "(none)" : known.join(", ")}.`,
      { wp_id: wpId, mission_slug: target.missionSlug, known_work_packages: known, tasks_dir: target.tasksDir }
    )
  })

/**
 * spec-kitty's for_review gate (docs/status-model.md §6.1 step 3b): a WP of a lane can move to
 * `for_review` only when its lane worktree has a commit beyond the lane's base (the workspace record's
 * `base_branch`, else the placement ref). Planning-lane WPs, WPs in no lane and missions without
 * `lanes.json` pass.
 */
export const forReviewGate = (
  r: Resolution,
  wpId: string
): Effect.Effect<void, StatusError | ContextError | GitError | IoError, RepoFs | GitReader> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const ctx = r.context
    const lanesPath = missionFile(readDirFor(ctx, "LANE_STATE"), LANES_FILE)
    const lanesText = yield* fs.readText(lanesPath)
    if (lanesText === null) return
    const manifest = yield* decodeLanesManifest(lanesPath, lanesText)
    const lane = manifest.lanes.find((l) => l.wp_ids.includes(wpId))
    if (lane === undefined || lane.lane_id === "lane-planning") return
    const slug = ctx.identity.mission_slug
    const root = ctx.workspace.primary_root
    const worktree = laneWorktree(root, slug, lane.lane_id)
    const recordPath = workspaceRecordFile(root, slug, lane.lane_id)
    const record = yield* fs.readText(recordPath)
    let base = ctx.artifact_placement.placement_ref.ref
    if (record !== null) {
      let parsed: unknown = null
      try {
        parsed = JSON.parse(record)
      } catch {
        parsed = null
      }
      if (isJsonObject(parsed) && typeof parsed.base_branch === "string" && parsed.base_branch !== "") {
        base = yield* checkBranchName(parsed.base_branch, `${recordPath} base_branch`)
      }
    }
    const branch = laneBranch(slug, lane.lane_id)
    const refused = statusError(
      "TRANSITION_REFUSED",
      `${wpId} cannot move to for_review: no implementation commit on lane ${lane.lane_id} (${branch}) beyond ${base}. ` +
        "Commit the work in the lane worktree first, or pass --force if there is genuinely nothing to commit.",
      { wp_id: wpId, lane_id: lane.lane_id, lane_branch: branch, base_ref: base, worktree }
    )
    if ((yield* fs.kind(worktree)) !== "Directory") return yield* refused
    const count = yield* (yield* GitReader).read(["rev-list", "--count", "--end-of-options", `${base}..HEAD`], worktree)
    if (count.exitCode !== 0) {
      return yield* statusError(
        "TRANSITION_REFUSED",
        `${wpId} cannot move to for_review: lane ${lane.lane_id} (${branch}) cannot be compared with its base ${base} ` +
          `(${count.stderr.trim().split("\n")[0] || `git exited ${count.exitCode}`}). Create or fix the base branch, or pass --force.`,
        { wp_id: wpId, lane_id: lane.lane_id, lane_branch: branch, base_ref: base, worktree }
      )
    }
    if (!(Number(count.stdout.trim()) > 0)) return yield* refused
  })

/** The WP prompt file a phase-1 mission mirrors `lane` into, with its new text; null when nothing changes. */
const laneMirror = (r: Resolution, wpId: string, lane: string) =>
  Effect.gen(function*() {
    if (!mirrorsFrontmatterLane(r.meta, r.context.identity.mission_slug)) return null
    const fs = yield* RepoFs
    const dir = r.statusTarget.tasksDir
    const files = wpFileCandidates(((yield* fs.entries(dir)) ?? []).filter((e) => e.kind === "File").map((e) => e.name), wpId)
    if (files.length !== 1) return null
    const path = joinPath(dir, files[0])
    const text = yield* fs.readText(path)
    const next = text === null ? null : withFrontmatterLane(text, lane)
    return next === null ? null : { path, text: next }
  })

// ---------------------------------------------------------------------------------------------
// status emit

/** `kittyctx status emit`: one transition through the context; committed where the context says. */
export const emitTransition = (
  req: ContextRequest,
  request: TransitionRequest,
  options: BookkeepingOptions = {}
): Effect.Effect<EmitOutcome, EmitError, EmitRequirements> =>
  Effect.gen(function*() {
    const r = yield* resolveForWrite({ ...req, action: "status" })
    return yield* emitResolved(r, request, options).pipe(Effect.onError(() => r.undoMaterialisation))
  })

/** An emit on a resolution already made (the claim batch of `implement` uses the same path). */
export const emitResolved = (
  r: Resolution,
  request: TransitionRequest,
  options: BookkeepingOptions = {}
): Effect.Effect<EmitOutcome, EmitError, EmitRequirements> =>
  Effect.gen(function*() {
    const target = r.statusTarget
    const status = yield* MissionStatus
    yield* checkKnownWp(target, request.wpId)
    if (!request.force && resolveLaneAlias(request.to) === "for_review") yield* forReviewGate(r, request.wpId)
    const done = yield* recordBookkeeping(
      r,
      { operation: `status transition ${request.wpId}`, command: "kittyctx status emit", autoCommit: options.autoCommit },
      (journal) =>
        Effect.gen(function*() {
          const outcome = yield* status.transition(target, request)
          const mirror = yield* laneMirror(r, request.wpId, outcome.to)
          if (mirror !== null && journal !== null) yield* journal.write(mirror.path, mirror.text)
          return { result: outcome, appended: outcome.event !== null, extraPaths: mirror === null ? [] : [mirror.path] }
        })
    )
    return { ...done, outcome: done.result, target }
  })

/**
 * The claim batch (docs/surfaces.md §2.3): several transitions of one WP under one lock, committed
 * together (`status transition batch WP01`); a failure anywhere leaves none of them.
 */
export const emitBatch = (
  r: Resolution,
  requests: ReadonlyArray<TransitionRequest>,
  cleared: BookkeepingClearance
): Effect.Effect<Bookkept<ReadonlyArray<TransitionOutcome>>, EmitError, EmitRequirements> =>
  Effect.gen(function*() {
    const status = yield* MissionStatus
    return yield* recordBookkeeping(
      r,
      batchSpec(requests[0]?.wpId ?? "", cleared.autoCommit),
      () =>
        Effect.gen(function*() {
          const outcomes: Array<TransitionOutcome> = []
          for (const request of requests) outcomes.push(yield* status.transition(r.statusTarget, request))
          return { result: outcomes, appended: outcomes.some((o) => o.event !== null), extraPaths: [] }
        }),
      cleared
    )
  })

/** The bookkeeping spec of the claim batch of `wpId`. */
export const batchSpec = (wpId: string, autoCommit?: boolean): BookkeepingSpec => ({
  operation: `status transition batch ${wpId}`,
  command: "kittyctx implement",
  autoCommit
})

// ---------------------------------------------------------------------------------------------
// tasks mark-status

/** A mark-status request. */
export interface MarkRequest extends Pick<ContextRequest, "cwd" | "mission" | "missionCheck"> {
  readonly ids: ReadonlyArray<string>
  readonly status: "done" | "pending"
  readonly autoCommit?: boolean | undefined
}

/** One id's result, as spec-kitty reports it. */
export interface MarkResult {
  readonly id: string
  readonly outcome: "updated"
  readonly format: string
  readonly wp_id: string
  readonly message: string
}

/** The outcome of mark-status. */
export interface MarkOutcome extends Bookkept<AnnotateOutcome> {
  readonly results: ReadonlyArray<MarkResult>
  readonly mission_slug: string
}

const resultMessage = (t: ResolvedTask, status: string): string =>
  t.format === "checkbox"
    ? `Marked ${t.id} as ${status} (checkbox row updated).`
    : t.format === "pipe_table"
    ? `Marked ${t.id} as ${status} (pipe-table row updated).`
    : t.format === "inline_subtasks"
    ? `Recorded inline Subtasks reference ${t.id} as ${status} (event-sourced).`
    : `${t.id} resolved from ${t.wpId}'s authored subtasks roster.`

/** The WPs' authored rosters, prompt files in name order (an unreadable file is skipped, as spec-kitty does). */
const rostersOf = (tasksDir: string) =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const names = ((yield* fs.entries(tasksDir)) ?? [])
      .filter((e) => e.kind === "File" && e.name.endsWith(".md") && e.name.toLowerCase() !== "readme.md")
      .map((e) => e.name)
    const rosters: Array<Roster> = []
    for (const name of names) {
      const text = yield* fs.readText(joinPath(tasksDir, name)).pipe(Effect.orElseSucceed(() => null))
      if (text === null) continue
      const roster = Either.flatMap(parseFrontmatter(text), subtaskRoster)
      if (Either.isRight(roster)) rosters.push({ wpId: name.split("-")[0].replace(/\.md$/, ""), ids: roster.right })
    }
    return rosters
  })

/**
 * `kittyctx tasks mark-status` (docs/status-model.md §6.7): resolves every id first (any unknown id,
 * a WP id, or an id without an owning WP refuses, naming the known ids; nothing written), then records
 * one annotation per WP (`{"subtasks": {<id>: "done"|"planned"}}`, actor `user`) in one append;
 * `tasks.md` is never rewritten.
 */
export const markSubtasks = (
  req: MarkRequest
): Effect.Effect<MarkOutcome, EmitError, EmitRequirements> =>
  Effect.gen(function*() {
    const r = yield* resolveForWrite({ cwd: req.cwd, mission: req.mission, missionCheck: req.missionCheck, action: "status" })
    return yield* Effect.gen(function*() {
      const fs = yield* RepoFs
      const ctx = r.context
      const target = r.statusTarget
      const placed = missionFile(readDirFor(ctx, "TASKS_INDEX"), "tasks.md")
      const primaryCopy = missionFile(missionDir(ctx.workspace.primary_root, ctx.identity.mission_slug), "tasks.md")
      let tasksText = yield* fs.readText(placed)
      if (tasksText === null && primaryCopy !== placed) tasksText = yield* fs.readText(primaryCopy)
      if (tasksText === null) {
        return yield* statusError("TASKS_FILE_NOT_FOUND", `tasks.md not found: ${placed}`, {
          path: placed,
          remediation: ["Generate the tasks with spec-kitty's /spec-kitty.tasks, then re-run mark-status."]
        })
      }
      const rosters = yield* rostersOf(target.tasksDir)
      const plan = resolveTaskIds(req.ids.map(normalizeTaskIdInput), tasksText, rosters)
      if (plan.workPackages.length > 0) {
        return yield* statusError(
          "INVALID_REQUEST",
          plan.workPackages.map((wp) =>
            `${wp}: mark-status does not change work-package lanes. Use \`kittyctx status emit ${wp} --to <lane>\`.`
          ).join("; "),
          { work_packages: plan.workPackages }
        )
      }
      if (plan.unknown.length > 0) {
        const known = knownTaskIds(tasksText, rosters)
        return yield* statusError(
          "TASK_IDS_UNKNOWN",
          `No task IDs found in tasks.md or the WP files' subtasks: ${plan.unknown.join(", ")}. Known ids: ` +
            `${known.length === 0 ? "(none)" : known.join(", ")}.`,
          { unknown: plan.unknown, known_ids: known, tasks_md: placed, tasks_dir: target.tasksDir }
        )
      }
      if (plan.unowned.length > 0) {
        return yield* statusError(
          "TASK_IDS_UNKNOWN",
          `Could not resolve owning work package for subtask event: ${plan.unowned.join(", ")}. Put each id under a ` +
            "`## WPnn` heading of tasks.md or in a WP file's `subtasks:` list.",
          { unowned: plan.unowned, tasks_md: placed }
        )
      }
      const lane = req.status === "done" ? "done" : "planned"
      const groups = groupByWp(plan.resolved)
      const requests: Array<AnnotationRequest> = groups.map(([wpId, ids]) => ({
        wpId,
        actor: "user",
        delta: subtaskDelta(ids.map((id) => [id, lane] as const)) as Record<string, JsonValue>
      }))
      const status = yield* MissionStatus
      const done = yield* recordBookkeeping(
        r,
        {
          operation: `inner-state annotation ${groups.map(([wp]) => wp).join(", ")}`,
          command: "kittyctx tasks mark-status",
          autoCommit: req.autoCommit
        },
        () => Effect.map(status.annotate(target, requests), (out) => ({ result: out, appended: true, extraPaths: [] }))
      )
      return {
        ...done,
        mission_slug: ctx.identity.mission_slug,
        results: plan.resolved.map((t) => ({
          id: t.id,
          outcome: "updated" as const,
          format: t.format,
          wp_id: t.wpId ?? "",
          message: resultMessage(t, req.status)
        }))
      }
    }).pipe(Effect.onError(() => r.undoMaterialisation))
  })
