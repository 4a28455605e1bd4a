/**
 * The coordination worktree (docs/execution-context.md §12): `ensureCoordWorktreeUndoable`, which writers
 * reach through `resolveForWrite` (the only way in), creates or reuses it,
 * serialized across processes by the one lock primitive keyed on the worktree path. It is the only
 * component that mutates git's worktree registry; it never switches branches and never deletes a husk.
 * Bare section numbers (§N) cite docs/execution-context.md.
 */
import { Effect } from "effect"
import { ContextErrors } from "../../core/context/ContextError.js"
import type { ContextError } from "../../core/context/ContextError.js"
import { branchExistsIn } from "../../core/context/ExecutionContext.js"
import { headsRef, lockPathOf, worktreeTakerPath } from "../../core/repo/Naming.js"
import { IoErrors } from "../../core/repo/RepoError.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { basenamePath, dirnamePath, isWithin, joinPath } from "../../core/repo/Paths.js"
import { checkBranchName } from "../../core/repo/RefName.js"
import type { ConfigError } from "../../core/config/ConfigError.js"
import { FileLock, lockTimeoutAs } from "../ports/FileLock.js"
import { Git, GitReader } from "../ports/Git.js"
import { RepoFs } from "../ports/RepoFs.js"
import { randomUUID } from "../ports/Crypto.js"
import { repositoryScope, RepoWrite } from "../ports/RepoWrite.js"

const MAX_ATTEMPTS = 20

/**
 * A worktree path must stay in the repository: the real location of its parent (every link resolved)
 * lies inside the primary work tree, so a `.worktrees` that is a link to elsewhere is refused before
 * git creates anything there.
 */
const insideRepository = (root: string, commonDir: string, path: string): Effect.Effect<void, IoError, RepoFs> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const realRoot = (yield* fs.realpath(root)) ?? root
    let dir = dirnamePath(path)
    const missing: Array<string> = []
    let real = yield* fs.realpath(dir)
    while (real === null && dir !== dirnamePath(dir)) {
      missing.unshift(basenamePath(dir))
      dir = dirnamePath(dir)
      real = yield* fs.realpath(dir)
    }
    const realParent = joinPath(real ?? dir, ...missing)
    if (!isWithin(realRoot, realParent)) {
      return yield* IoErrors.outside(path, joinPath(realParent, basenamePath(path)), [root, commonDir], "create")
    }
  })
const CONTENTION = /\.lock|File exists|could not lock config file|another git process/

/** What the registry and the file system say about a worktree path, for the branch it must be on. */
export type WorktreeState =
  | { readonly _tag: "OnBranch" }
  | { readonly _tag: "OtherBranch"; readonly expected: string; readonly actual: string }
  | { readonly _tag: "Husk" }
  | { readonly _tag: "Free"; readonly prunable: boolean }

/**
 * Registered on `branch`, registered on another branch, an unregistered directory (husk), or free. With
 * `branch` null the worktree is a detached one: any registered worktree at the path is `OnBranch`.
 */
export const worktreeState = (
  root: string,
  path: string,
  branch: string | null
): Effect.Effect<WorktreeState, GitError, GitReader | RepoFs> =>
  Effect.gen(function*() {
    const git = yield* GitReader
    const fs = yield* RepoFs
    const entry = (yield* git.worktreeList(root)).find((e) => e.path === path)
    if (entry !== undefined && !entry.prunable) {
      if (branch === null) return { _tag: "OnBranch" as const }
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
  /** The branch (short name) the worktree must have checked out; null for a detached worktree. */
  readonly branch: string | null
  /** Under the lock, once the path is known to be free: how `git worktree add` checks the branch out. */
  readonly prepare: Effect.Effect<WorktreeAdd, E | GitError, Git | GitReader>
  /** Under the lock, right after this call's `git worktree add` succeeded. */
  readonly finish?: Effect.Effect<void, E | GitError, Git | GitReader>
  /** Under the lock, once the worktree is this call's (created by it, or found in place on its branch). */
  readonly taken?: Effect.Effect<void, IoError>
  readonly onBranchMismatch: (expected: string, actual: string) => E
  readonly onHusk: () => E
  readonly onAddFailed: (exitCode: number, stderr: string) => E
  readonly onLockTimeout: (lockFile: string, timeoutMs: number, holder: unknown) => E
}

/**
 * How a free worktree path is populated: check out an existing branch, or create `branch` at the
 * commit-ish `start`; `noCheckout` leaves the work tree empty (a sparse checkout follows). `Detached`
 * checks out the commit `start` on no branch (the plan's branch is null).
 */
export type WorktreeAdd =
  | { readonly _tag: "Existing"; readonly noCheckout: boolean }
  | { readonly _tag: "NewBranch"; readonly start: string; readonly noCheckout: boolean }
  | { readonly _tag: "Detached"; readonly start: string }

/** What `ensureWorktree` did. */
export interface WorktreeOutcome {
  readonly path: string
  readonly created: boolean
  /** The worktree's parent directory when `git worktree add` created it too (for an undo). */
  readonly createdParent?: string | null
}

/**
 * Creates or reuses a worktree under the cross-process lock keyed on its path (docs/execution-context.md §12,
 * docs/surfaces.md §2.2): a registered worktree on the branch is reused, one on another branch or an
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
    const checkedBranch = branch === null ? null : yield* checkBranchName(branch, "the worktree's branch")

    const body = Effect.gen(function*() {
      yield* insideRepository(root, plan.commonDir, path)
      const state = yield* worktreeState(root, path, branch)
      switch (state._tag) {
        case "OnBranch":
          if (plan.taken !== undefined) yield* plan.taken
          return reused
        case "OtherBranch":
          return yield* Effect.fail(plan.onBranchMismatch(state.expected, state.actual))
        case "Husk":
          return yield* Effect.fail(plan.onHusk())
        case "Free":
          if (state.prunable) yield* git.run(["worktree", "prune"], { cwd: root, mode: "write" })
      }
      const add = yield* plan.prepare
      const args = add._tag === "Detached" || checkedBranch === null
        ? ["worktree", "add", "--detach", "--", path, add._tag === "Existing" ? "HEAD" : add.start]
        : add._tag === "Existing"
        ? ["worktree", "add", ...(add.noCheckout ? ["--no-checkout"] : []), "--", path, checkedBranch]
        : ["worktree", "add", "-b", checkedBranch, ...(add.noCheckout ? ["--no-checkout"] : []), "--", path, add.start]
      const parent = dirnamePath(path)
      const parentExisted = (yield* (yield* RepoFs).kind(parent)) !== null
      let last = { exitCode: 0, stderr: "" }
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const r = yield* git.run(args, { cwd: root, mode: "write" })
        if (r.exitCode === 0) {
          if (plan.finish !== undefined) yield* plan.finish
          if (plan.taken !== undefined) yield* plan.taken
          return { path, created: true, createdParent: parentExisted ? null : parent }
        }
        last = r
        const now = yield* worktreeState(root, path, branch)
        if (now._tag === "OnBranch") {
          if (plan.taken !== undefined) yield* plan.taken
          return reused
        }
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
      lockTimeoutAs((e) => plan.onLockTimeout(e.path, e.timeoutMs, e.holder))
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

/** §12 for a planned coordination worktree, under its path-keyed lock (`taken` runs under it too). */
export const ensureCoordWorktreeAt = (
  plan: CoordPlan,
  taken?: Effect.Effect<void, IoError>
): Effect.Effect<WorktreeOutcome, ContextError | GitError | IoError | ConfigError, Git | GitReader | FileLock | RepoFs> =>
  Effect.gen(function*() {
    const { branch, path } = plan
    const root = plan.primaryRoot
    const outcome = yield* ensureWorktree<ContextError>({
      root,
      commonDir: plan.commonDir,
      path,
      branch,
      ...(taken === undefined ? {} : { taken }),
      prepare: Effect.flatMap(GitReader, (git) => git.refs(root)).pipe(
        Effect.flatMap((refs) =>
          branchExistsIn(refs.refs, branch)
            ? Effect.succeed<WorktreeAdd>({ _tag: "Existing", noCheckout: false })
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

/**
 * Creates the coordination worktree if needed and returns how to take it away again: a writer whose
 * resolution then fails (a mission dir missing on the branch, a mid8 that does not match) leaves no
 * worktree behind that it created itself. A worktree that already existed is never removed. Other
 * writers may have taken the worktree meanwhile: each writer that takes it (creates it, or finds it in
 * place) names itself its last taker under the worktree's lock (`Naming.worktreeTakerPath`), and the
 * removal, under the same lock, happens only while the taker is still this writer; it is git's plain
 * `worktree remove`, which also refuses a worktree with changes or untracked files.
 */
export const ensureCoordWorktreeUndoable = (
  plan: CoordPlan
): Effect.Effect<
  Effect.Effect<void>,
  ContextError | GitError | IoError | ConfigError,
  Git | GitReader | FileLock | RepoFs | RepoWrite
> =>
  Effect.gen(function*() {
    const git = yield* Git
    const fs = yield* RepoFs
    const write = yield* RepoWrite
    const scope = repositoryScope(plan.primaryRoot, plan.commonDir)
    // every writer that takes the worktree names itself its last taker, under the worktree's lock
    const taker = worktreeTakerPath(plan.commonDir, plan.path)
    const me = `${randomUUID()}\n`
    const outcome = yield* ensureCoordWorktreeAt(plan, Effect.asVoid(write.writeFile(scope, taker, me, { durable: false })))
    if (!outcome.created) return Effect.void
    const parent = outcome.createdParent ?? null
    // the parent `.worktrees` too when this add created it and nothing else is in it now
    const removeParent = parent === null ? Effect.void : Effect.flatMap(fs.entries(parent), (entries) =>
      (entries ?? []).length === 0 ? write.remove(scope, parent) : Effect.void)
    const locks = yield* FileLock
    const lock = { path: lockPathOf(plan.commonDir, { _tag: "Worktree", path: plan.path }), scope }
    return locks.withExclusive(lock)(
      Effect.gen(function*() {
        // another writer took the worktree after this one created it: it is theirs now
        if ((yield* fs.readText(taker)) !== me) return
        const r = yield* git.run(["worktree", "remove", "--", plan.path], { cwd: plan.primaryRoot, mode: "write" })
        if (r.exitCode !== 0) return // changes are there (a writer that did not go through this lock)
        yield* git.run(["worktree", "prune"], { cwd: plan.primaryRoot, mode: "write" })
        yield* write.remove(scope, taker)
        yield* removeParent
      })
    ).pipe(Effect.ignore)
  })
