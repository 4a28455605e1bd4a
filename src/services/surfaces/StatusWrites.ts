/**
 * Status writes routed by the context: a transition lands on the status surface, and on a
 * coordination mission it is committed in the coordination worktree on the coordination branch,
 * under the same status lock (materialising that worktree first).
 */
import { Effect } from "effect"
import type { ContextError } from "../../core/context/ContextError.js"
import { headsRef } from "../../core/layout/Naming.js"
import { relativeWithin } from "../../core/layout/Paths.js"
import type { TransitionRequest } from "../../core/status/StatusEvent.js"
import type { StatusError } from "../../core/status/StatusError.js"
import { surfaceError } from "../../core/surfaces/SurfaceError.js"
import type { SurfaceError } from "../../core/surfaces/SurfaceError.js"
import { commitPaths, headRefOf, protectedRefusal } from "./CommitPath.js"
import type { CommitOutcome } from "./CommitPath.js"
import { ensureCoordWorktreeAt } from "../context/CoordWorkspace.js"
import type { FileLock } from "../ports/FileLock.js"
import type { Git } from "../ports/Git.js"
import { MissionStatus, statusFiles } from "../status/MissionStatus.js"
import type { StatusTarget, TransitionOutcome } from "../status/MissionStatus.js"
import type { RepoFs } from "../ports/RepoFs.js"
import { resolve, statusTargetOf } from "../context/ResolveContext.js"
import type { ContextRequest, Resolution, ResolveRequirements } from "../context/ResolveContext.js"

/** A resolution ready for a write: coordination worktrees materialised and the context re-resolved. */
export const resolveForWrite = (
  req: ContextRequest
): Effect.Effect<Resolution, ContextError, ResolveRequirements | FileLock> =>
  Effect.gen(function*() {
    return yield* resolve(req, ensureCoordWorktreeAt)
  })

/** The outcome of an emit: the transition and, on coordination missions, its commit. */
export interface EmitOutcome {
  readonly outcome: TransitionOutcome
  readonly target: StatusTarget
  readonly commit: CommitOutcome | null
}

/** One transition through the context: lock, append, materialize, and commit where the context says. */
export const emitTransition = (
  req: ContextRequest,
  request: TransitionRequest
): Effect.Effect<EmitOutcome, StatusError | ContextError | SurfaceError, ResolveRequirements | FileLock | Git | RepoFs> =>
  Effect.gen(function*() {
    const r = yield* resolveForWrite({ ...req, action: "status" })
    const target = statusTargetOf(r)
    const status = yield* MissionStatus
    const dest = r.context.branch_ref.destination_ref
    const coordRoot = r.context.workspace.coord_worktree
    if (dest.kind !== "coordination" || coordRoot === null) {
      return { outcome: yield* status.transition(target, request), target, commit: null }
    }
    const head = yield* headRefOf(coordRoot)
    if (head !== headsRef(dest.ref)) {
      return yield* surfaceError("PLACEMENT_BRANCH_MISMATCH", `Coordination worktree ${coordRoot} is not on ${dest.ref}`, {
        checkout: coordRoot,
        expected: headsRef(dest.ref),
        actual: head
      })
    }
    const refusal = yield* protectedRefusal(dest)
    if (refusal !== null) return yield* refusal
    return yield* status.withLock(
      target,
      Effect.gen(function*() {
        const outcome = yield* status.transition(target, request)
        if (outcome.event === null) return { outcome, target, commit: null }
        const paths = statusFiles(target).map((f) => relativeWithin(coordRoot, f))
        const commit = yield* commitPaths({
          checkout: coordRoot,
          target: dest,
          paths,
          message: `chore(${target.missionSlug}): status ${request.wpId} ${outcome.from} -> ${outcome.to}`
        })
        return { outcome, target, commit }
      })
    )
  })
