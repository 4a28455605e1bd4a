/**
 * Status writes routed by the context: a transition lands on the status surface, and on a
 * coordination mission it is committed in the coordination worktree on the coordination branch,
 * under the same status lock (the writer's resolution has materialised that worktree first).
 */
import { Effect } from "effect"
import type { ConfigError } from "../../core/config/ConfigError.js"
import { relativeWithin } from "../../core/repo/Paths.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import type { TransitionRequest } from "../../core/status/StatusEvent.js"
import type { SurfaceError } from "../../core/surfaces/SurfaceError.js"
import type { LockError } from "../ports/FileLock.js"
import { resolveForWrite } from "../context/ResolveContext.js"
import type { ContextRequest, ResolveError, ResolveForWriteRequirements } from "../context/ResolveContext.js"
import { MissionStatus } from "../status/MissionStatus.js"
import type { TransitionOutcome } from "../status/MissionStatus.js"
import { statusFiles } from "../status/StatusReader.js"
import type { StatusFailure, StatusTarget } from "../status/StatusReader.js"
import { commitPaths } from "./CommitPath.js"
import type { CommitOutcome } from "./CommitPath.js"
import { checkCommitTarget } from "./WriteGuards.js"

/** The outcome of an emit: the transition and, on coordination missions, its commit. */
export interface EmitOutcome {
  readonly outcome: TransitionOutcome
  readonly target: StatusTarget
  readonly commit: CommitOutcome | null
}

/** Everything an emit can fail with. */
export type EmitError = StatusFailure | ResolveError | LockError | SurfaceError | GitError | IoError | ConfigError

/** One transition through the context: lock, append, materialize, and commit where the context says. */
export const emitTransition = (
  req: ContextRequest,
  request: TransitionRequest
): Effect.Effect<EmitOutcome, EmitError, ResolveForWriteRequirements | MissionStatus> =>
  Effect.gen(function*() {
    const r = yield* resolveForWrite({ ...req, action: "status" })
    const target = r.statusTarget
    const status = yield* MissionStatus
    const dest = r.context.branch_ref.destination_ref
    const coordRoot = r.context.workspace.coord_worktree
    if (dest.kind !== "coordination" || coordRoot === null) {
      return { outcome: yield* status.transition(target, request), target, commit: null }
    }
    yield* checkCommitTarget(coordRoot, dest)
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
