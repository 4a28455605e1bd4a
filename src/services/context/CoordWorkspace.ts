/**
 * `ensureCoordWorkspace` (execution-context spec §12): creates or reuses the coordination worktree,
 * serialized across processes by the one lock primitive keyed on the worktree path. It is the only
 * component that mutates git's worktree registry; it never switches branches and never deletes a husk.
 */
import { Effect } from "effect"
import { ContextErrors } from "../../core/context/ContextError.js"
import type { ContextError } from "../../core/context/ContextError.js"
import { branchExistsIn } from "../../core/context/ExecutionContext.js"
import type { MissionExecutionContext } from "../../core/context/ExecutionContext.js"
import { headsRef, lockPathOf } from "../../core/repo/Naming.js"
import { dirnamePath } from "../../core/repo/Paths.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import type { ConfigError } from "../../core/config/ConfigError.js"
import { FileLock, LockTimeout } from "../ports/FileLock.js"
import { Git, GitReader } from "../ports/Git.js"
import { RepoFs } from "../ports/RepoFs.js"
import { repositoryScope, RepoWrite } from "../ports/RepoWrite.js"
import type { RepoLocation } from "./RootLocator.js"

const MAX_ATTEMPTS = 20
const CONTENTION = /\.lock|File exists|could not lock config file|another git process/

/** What the registry and the file system say about a worktree path, for the branch it must be on. */
export type WorktreeState =
  | { readonly _tag: "OnBranch" }
  | { readonly _tag: "OtherBranch"; readonly expected: string; readonly actual: string }
  | { readonly _tag: "Husk" }
  | { readonly _tag: "Free"; readonly prunable: boolean }

/** Registered on `branch`, registered on another branch, an unregistered directory (husk), or free. */
export const worktreeState = (
  root: string,
  path: string,
  branch: string
): Effect.Effect<WorktreeState, GitError, GitReader | RepoFs> =>
  Effect.gen(function*() {
    const git = yield* GitReader
    const fs = yield* RepoFs
    const entry = (yield* git.worktreeList(root)).find((e) => e.path === path)
    if (entry !== undefined && !entry.prunable) {
      return entry.branch === headsRef(branch)
        ? { _tag: "OnBranch" as const }
        : {
          _tag: "OtherBranch" as const,
          expected: headsRef(branch),
          actual: entry.branch ?? `detached ${entry.head ?? ""}`
        }
    }
    const exists = yield* fs.kind(path).pipe(Effect.orElseSucceed(() => null))
    if (exists !== null) return { _tag: "Husk" as const }
    return { _tag: "Free" as const, prunable: entry !== undefined }
  })

/** How `ensureWorktree` creates one worktree, and the errors it reports (each surface has its own codes). */
export interface WorktreePlan<E> {
  /** The primary root, where `git worktree` runs. */
  readonly root: string
  /** The git common dir (the lock lives there). */
  readonly commonDir: string
  /** The worktree path (canonical: it keys the lock and is compared with the registry). */
  readonly path: string
  /** The branch (short name) the worktree must have checked out. */
  readonly branch: string
  /** Under the lock, once the path is known to be free: the arguments after `git worktree add`. */
  readonly prepare: Effect.Effect<ReadonlyArray<string>, E | GitError, Git | GitReader>
  /** Under the lock, right after this call's `git worktree add` succeeded. */
  readonly finish?: Effect.Effect<void, E | GitError, Git | GitReader>
  readonly onBranchMismatch: (expected: string, actual: string) => E
  readonly onHusk: () => E
  readonly onAddFailed: (exitCode: number, stderr: string) => E
  readonly onLockTimeout: (lockFile: string, timeoutMs: number, holder: unknown) => E
}

/** What `ensureWorktree` did. */
export interface WorktreeOutcome {
  readonly path: string
  readonly created: boolean
  /** The worktree's parent directory when `git worktree add` created it too (for an undo). */
  readonly createdParent?: string | null
}

/**
 * Creates or reuses a worktree under the cross-process lock keyed on its path (execution-context §12,
 * surfaces §2.2): a registered worktree on the branch is reused, one on another branch or an
 * unregistered directory is refused (never switched, never deleted), a prunable entry is pruned, and
 * `git worktree add` is retried on lock contention, re-probing the registry before each retry.
 */
export const ensureWorktree = <E>(
  plan: WorktreePlan<E>
): Effect.Effect<WorktreeOutcome, E | GitError | IoError | ConfigError, Git | GitReader | FileLock | RepoFs> =>
  Effect.gen(function*() {
    const git = yield* Git
    const locks = yield* FileLock
    const { branch, path, root } = plan
    const reused = { path, created: false }

    const body = Effect.gen(function*() {
      const state = yield* worktreeState(root, path, branch)
      switch (state._tag) {
        case "OnBranch":
          return reused
        case "OtherBranch":
          return yield* Effect.fail(plan.onBranchMismatch(state.expected, state.actual))
        case "Husk":
          return yield* Effect.fail(plan.onHusk())
        case "Free":
          if (state.prunable) yield* git.run(["worktree", "prune"], { cwd: root, mode: "write" })
      }
      const args = yield* plan.prepare
      const parent = dirnamePath(path)
      const parentExisted = (yield* (yield* RepoFs).kind(parent)) !== null
      let last = { exitCode: 0, stderr: "" }
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const r = yield* git.run(["worktree", "add", ...args], { cwd: root, mode: "write" })
        if (r.exitCode === 0) {
          if (plan.finish !== undefined) yield* plan.finish
          return { path, created: true, createdParent: parentExisted ? null : parent }
        }
        last = r
        const now = yield* worktreeState(root, path, branch)
        if (now._tag === "OnBranch") return reused
        if (now._tag === "OtherBranch") return yield* Effect.fail(plan.onBranchMismatch(now.expected, now.actual))
        if (r.exitCode !== 128 || !CONTENTION.test(r.stderr)) break
        yield* Effect.sleep(50 * attempt)
      }
      return yield* Effect.fail(plan.onAddFailed(last.exitCode, last.stderr))
    })

    const lock = {
      path: lockPathOf(plan.commonDir, { _tag: "Worktree", path }),
      scope: repositoryScope(root, plan.commonDir)
    }
    return yield* locks.withExclusive(lock)(body).pipe(
      Effect.catchIf(
        (e): e is LockTimeout => e instanceof LockTimeout,
        (e) => Effect.fail(plan.onLockTimeout(e.path, e.timeoutMs, e.holder))
      )
    )
  })

/** Where a coordination worktree goes: what `ensureCoordWorktreeAt` needs from a resolution. */
export interface CoordPlan {
  readonly primaryRoot: string
  readonly commonDir: string
  readonly path: string
  readonly branch: string
  /** Named in a `COORDINATION_BRANCH_DELETED` refusal. */
  readonly primaryDir: string
}

/** Creates or reuses the coordination worktree of a coordination-kind context; `null` for other kinds. */
export const ensureCoordWorkspace = (
  ctx: MissionExecutionContext,
  location: RepoLocation
): Effect.Effect<string | null, ContextError | GitError | IoError | ConfigError, Git | GitReader | FileLock | RepoFs> => {
  const path = ctx.workspace.coord_worktree
  const branch = ctx.branch_ref.coordination_branch
  if (ctx.branch_ref.destination_ref.kind !== "coordination" || path === null || branch === null) {
    return Effect.succeed(null)
  }
  return Effect.map(
    ensureCoordWorktreeAt({
      primaryRoot: ctx.workspace.primary_root,
      commonDir: location.commonDir,
      path,
      branch,
      primaryDir: ctx.status_surface.status_read_dir
    }),
    (o) => o.path
  )
}

/**
 * Undoes a worktree this command created and then did not use (docs/surfaces.md §0.7): `git worktree
 * remove --force`, and its parent directory when the add created it and it is empty again. Never fails.
 */
export const removeCreatedWorktree = (
  plan: { readonly primaryRoot: string; readonly commonDir: string },
  outcome: WorktreeOutcome
): Effect.Effect<void, never, Git | GitReader | RepoFs | RepoWrite> =>
  Effect.gen(function*() {
    if (!outcome.created) return
    const git = yield* Git
    yield* git.run(["worktree", "remove", "--force", "--", outcome.path], { cwd: plan.primaryRoot, mode: "write" })
    yield* git.run(["worktree", "prune"], { cwd: plan.primaryRoot, mode: "write" })
    const parent = outcome.createdParent ?? null
    if (parent !== null && ((yield* (yield* RepoFs).entries(parent)) ?? []).length === 0) {
      yield* (yield* RepoWrite).remove(repositoryScope(plan.primaryRoot, plan.commonDir), parent)
    }
  }).pipe(Effect.ignore)

/** §12 for a planned coordination worktree, under its path-keyed lock. */
export const ensureCoordWorktreeAt = (
  plan: CoordPlan
): Effect.Effect<WorktreeOutcome, ContextError | GitError | IoError | ConfigError, Git | GitReader | FileLock | RepoFs> =>
  Effect.gen(function*() {
    const { branch, path } = plan
    const root = plan.primaryRoot
    const outcome = yield* ensureWorktree<ContextError>({
      root,
      commonDir: plan.commonDir,
      path,
      branch,
      prepare: Effect.flatMap(GitReader, (git) => git.refs(root)).pipe(
        Effect.flatMap((refs) =>
          branchExistsIn(refs.refs, branch)
            ? Effect.succeed([path, branch])
            : Effect.fail(ContextErrors.coordinationBranchDeleted(branch, path, plan.primaryDir))
        )
      ),
      onBranchMismatch: (expected, actual) => ContextErrors.branchMismatch(path, expected, actual),
      onHusk: () => ContextErrors.husk(path),
      onAddFailed: (exitCode, stderr) => ContextErrors.worktreeAddFailed(path, branch, exitCode, stderr),
      onLockTimeout: (lockFile, timeoutMs, holder) => ContextErrors.coordLockTimeout(path, lockFile, timeoutMs, holder)
    })
    return outcome
  })
