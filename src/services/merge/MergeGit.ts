/**
 * The git steps of the merge executor (docs/surfaces.md §5.4): its one detached workspace inside the
 * git dir (created through `ensureWorktree`, under the worktree lock), resetting it to a tip, merging a
 * branch into it without committing, the conflicted paths, and advancing a branch to a commit the
 * workspace built: by a fast-forward in the checkout that has it checked out (the user's checkouts never
 * change branch), else by a compare-and-swap `update-ref`.
 */
import { Effect } from "effect"
import type { ConfigError } from "../../core/config/ConfigError.js"
import { mergeError } from "../../core/merge/MergeError.js"
import type { MergeError } from "../../core/merge/MergeError.js"
import { gitIndexLock, headsRef } from "../../core/repo/Naming.js"
import { commitId } from "../../core/repo/RefName.js"
import { joinPath } from "../../core/repo/Paths.js"
import { GitErrors } from "../../core/repo/RepoError.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { ensureWorktree } from "../context/CoordWorkspace.js"
import type { RepoLocation } from "../context/RootLocator.js"
import type { FileLock } from "../ports/FileLock.js"
import { Git, GitReader } from "../ports/Git.js"
import { gitOperationInProgress, parseGitPointer } from "../ports/GitFiles.js"
import { RepoFs } from "../ports/RepoFs.js"
import { RepoWrite, repositoryScope } from "../ports/RepoWrite.js"

/** The commit a branch points at, or null when it does not exist. */
export const branchTip = (root: string, branch: string): Effect.Effect<string | null, GitError, GitReader> =>
  Effect.map(
    Effect.flatMap(GitReader, (git) => git.read(["rev-parse", "-q", "--verify", "--end-of-options", `${headsRef(branch)}^{commit}`], root)),
    (r) => (r.exitCode === 0 ? r.stdout.trim() : null)
  )

/** `git merge-base --is-ancestor a b`. */
export const isAncestor = (root: string, a: string, b: string): Effect.Effect<boolean, GitError, GitReader> =>
  Effect.flatMap(GitReader, (git) =>
    Effect.flatMap(git.read(["merge-base", "--is-ancestor", "--end-of-options", a, b], root), (r) =>
      r.exitCode === 0
        ? Effect.succeed(true)
        : r.exitCode === 1
        ? Effect.succeed(false)
        : Effect.fail(GitErrors.commandFailed(["merge-base", "--is-ancestor", a, b], r.exitCode, r.stderr))))

/** The checkout (worktree path) that has `branch` checked out, if any. */
export const checkoutOf = (root: string, branch: string): Effect.Effect<string | null, GitError, GitReader> =>
  Effect.map(
    Effect.flatMap(GitReader, (git) => git.worktreeList(root)),
    (list) => list.find((e) => !e.prunable && e.branch === headsRef(branch))?.path ?? null
  )

/** Creates (or reuses) the merge's detached workspace at `path`, at commit `at`. */
export const ensureMergeWorkspace = (
  location: RepoLocation,
  path: string,
  at: string
): Effect.Effect<string, MergeError | GitError | IoError | ConfigError, Git | GitReader | FileLock | RepoFs> =>
  Effect.map(
    ensureWorktree<MergeError>({
      root: location.primaryRoot,
      commonDir: location.commonDir,
      path,
      branch: null,
      prepare: Effect.succeed({ _tag: "Detached" as const, start: at }),
      onBranchMismatch: (expected, actual) =>
        mergeError("MERGE_STATE_INVALID", `The merge workspace ${path} is on ${actual}, not ${expected}`, { path }),
      onHusk: () =>
        mergeError("MERGE_STATE_INVALID", `${path} exists but is not a registered worktree; run kittyctx merge --abort`, {
          path
        }),
      onAddFailed: (exitCode, stderr) =>
        mergeError("MERGE_STATE_INVALID", `git worktree add ${path} failed: ${stderr.trim()}`, { path, exit_code: exitCode }),
      onLockTimeout: (lockFile, timeoutMs) =>
        mergeError("MERGE_LOCKED", `Timed out after ${timeoutMs} ms waiting for the lock on ${path}`, { lock_file: lockFile })
    }),
    (o) => o.path
  )

/** The workspace's own git dir (`<common>/worktrees/<name>`). */
const gitdirOf = (ws: string): Effect.Effect<string | null, IoError, RepoFs> =>
  Effect.map(parseGitPointer(joinPath(ws, ".git")), (p) => (p._tag === "LinkedWorktree" ? p.gitdir : null))

/**
 * Aborts a merge or rebase a crash (or an operator) left in the workspace, and removes a stale
 * `index.lock` there (the workspace is the executor's own, used only under the merge lock).
 */
export const abortInWorkspace = (
  location: RepoLocation,
  ws: string
): Effect.Effect<void, GitError | IoError, Git | RepoFs | RepoWrite> =>
  Effect.gen(function*() {
    const git = yield* Git
    const fs = yield* RepoFs
    const opts = { cwd: ws, mode: "write" } as const
    const gitdir = yield* gitdirOf(ws)
    if (gitdir !== null) {
      const lock = gitIndexLock(gitdir)
      if ((yield* fs.kind(lock)) !== null) {
        yield* (yield* RepoWrite).remove(repositoryScope(location.primaryRoot, location.commonDir), lock)
      }
      if ((yield* fs.kind(joinPath(gitdir, "rebase-merge"))) !== null || (yield* fs.kind(joinPath(gitdir, "rebase-apply"))) !== null) {
        yield* git.run(["rebase", "--abort"], opts)
      }
      if ((yield* fs.kind(joinPath(gitdir, "MERGE_HEAD"))) !== null) yield* git.run(["merge", "--abort"], opts)
    }
  })

/** Puts the workspace at commit `sha` with a clean tree (after `abortInWorkspace`). */
export const resetWorkspace = (
  location: RepoLocation,
  ws: string,
  sha: string
): Effect.Effect<void, GitError | IoError, Git | RepoFs | RepoWrite> =>
  Effect.gen(function*() {
    const git = yield* Git
    const opts = { cwd: ws, mode: "write" } as const
    yield* abortInWorkspace(location, ws)
    yield* git.checked(["-c", "advice.detachedHead=false", "checkout", "-q", "--force", "--detach", commitId(sha), "--"], opts)
    yield* git.checked(["clean", "-q", "-fdx"], opts)
  })

/** The workspace's unmerged (conflicted) paths. */
export const unmergedPaths = (ws: string): Effect.Effect<ReadonlyArray<string>, GitError, GitReader> =>
  Effect.map(
    Effect.flatMap(GitReader, (git) => git.readChecked(["diff", "--name-only", "-z", "--diff-filter=U"], ws)),
    (r) => [...new Set(r.stdout.split("\u0000").filter((p) => p !== ""))].sort()
  )

/** What merging a branch into the workspace did. */
export type MergeOutcome = { readonly _tag: "Staged" } | { readonly _tag: "Conflicted"; readonly files: ReadonlyArray<string> }

/**
 * Merges `source` into the workspace's HEAD without committing (`--no-ff --no-commit`, or `--squash`):
 * the result is staged, or the conflicted paths are returned (the merge is left in place for the
 * operator). Never `-X theirs`: a conflict stops the merge.
 */
export const mergeIntoWorkspace = (
  ws: string,
  source: string,
  squash: boolean
): Effect.Effect<MergeOutcome, GitError, Git | GitReader> =>
  Effect.gen(function*() {
    const git = yield* Git
    const args = squash
      ? ["merge", "--squash", "--no-edit", "--end-of-options", source]
      : ["merge", "--no-ff", "--no-commit", "--no-edit", "--end-of-options", source]
    const r = yield* git.run(args, { cwd: ws, mode: "write" })
    const conflicted = yield* unmergedPaths(ws)
    if (conflicted.length > 0) return { _tag: "Conflicted", files: conflicted } as const
    if (r.exitCode !== 0) return yield* GitErrors.commandFailed(args, r.exitCode, r.stderr + r.stdout)
    return { _tag: "Staged" } as const
  })

/** Rebases the workspace (detached at the mission's tip) onto the commit `onto`; the conflicted paths when it stops. */
export const rebaseWorkspace = (ws: string, onto: string): Effect.Effect<MergeOutcome, GitError, Git | GitReader> =>
  Effect.gen(function*() {
    const git = yield* Git
    const r = yield* git.run(["rebase", "-q", commitId(onto)], { cwd: ws, mode: "write" })
    const conflicted = yield* unmergedPaths(ws)
    if (conflicted.length > 0) return { _tag: "Conflicted", files: conflicted } as const
    if (r.exitCode !== 0) return yield* GitErrors.commandFailed(["rebase", onto], r.exitCode, r.stderr + r.stdout)
    return { _tag: "Staged" } as const
  })

/** The workspace's HEAD commit. */
export const workspaceHead = (ws: string): Effect.Effect<string, GitError, GitReader> =>
  Effect.map(Effect.flatMap(GitReader, (git) => git.readChecked(["rev-parse", "--verify", "HEAD"], ws)), (r) => r.stdout.trim())

/**
 * Moves `branch` from `from` to `to` (a descendant the workspace built). Already at `to`: nothing to do.
 * Elsewhere than `from`: someone moved it (`MERGE_REF_MOVED`). Checked out somewhere: `merge --ff-only`
 * there, refused with `TARGET_CHECKOUT_DIRTY` when it would overwrite local changes or git is busy
 * there. Otherwise `update-ref <new> <old>` (compare-and-swap).
 */
export const advanceBranch = (
  root: string,
  branch: string,
  from: string,
  to: string
): Effect.Effect<void, MergeError | GitError | IoError, Git | GitReader | RepoFs> =>
  Effect.gen(function*() {
    const git = yield* Git
    const current = yield* branchTip(root, branch)
    if (current === to) return
    const moved = (now: string | null) =>
      mergeError(
        "MERGE_REF_MOVED",
        `${branch} moved while the merge ran (expected ${from.slice(0, 12)}, found ${now?.slice(0, 12) ?? "nothing"}); ` +
          "run kittyctx merge --abort and merge again",
        { branch, expected: from, actual: now, wanted: to }
      )
    if (current !== from) return yield* moved(current)
    const checkout = yield* checkoutOf(root, branch)
    if (checkout === null) {
      const r = yield* git.run(["update-ref", "-m", "kittyctx merge", "--end-of-options", headsRef(branch), to, from], {
        cwd: root,
        mode: "write"
      })
      if (r.exitCode !== 0) return yield* moved(yield* branchTip(root, branch))
      return
    }
    const busy = yield* gitOperationInProgress(checkout)
    const r = busy === null
      ? yield* git.run(["merge", "-q", "--ff-only", "--end-of-options", to], { cwd: checkout, mode: "write" })
      : { exitCode: 1, stdout: "", stderr: `a git operation is in progress (${busy})` }
    if (r.exitCode !== 0) {
      return yield* mergeError(
        "TARGET_CHECKOUT_DIRTY",
        `Cannot fast-forward ${branch} in ${checkout}: ${(r.stderr + r.stdout).trim()}`,
        {
          branch,
          checkout,
          remediation: [`Commit or stash the local changes in ${checkout}, then run kittyctx merge --resume.`]
        }
      )
    }
  })
