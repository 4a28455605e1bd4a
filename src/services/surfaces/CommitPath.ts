/**
 * The one commit path (docs/surfaces.md §0.2-§0.4): every commit kittyctx makes goes through
 * `commitPaths`, which makes the commit-target check (`WriteGuards.checkCommitTarget`) and stages and
 * commits exactly the paths it was given, with options and operands separated.
 * Bare section numbers (§N) cite docs/surfaces.md.
 */
import { Duration, Effect } from "effect"
import type { ConfigError } from "../../core/config/ConfigError.js"
import type { CommitTarget } from "../../core/context/ExecutionContext.js"
import { WORKTREES_DIR } from "../../core/repo/Naming.js"
import { joinPath } from "../../core/repo/Paths.js"
import { commitId } from "../../core/repo/RefName.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { parsePorcelainZ } from "../../core/surfaces/Placement.js"
import type { ProtectionPolicy, StatusEntry } from "../../core/surfaces/Placement.js"
import { surfaceError } from "../../core/surfaces/SurfaceError.js"
import type { SurfaceError } from "../../core/surfaces/SurfaceError.js"
import { Git, GitReader } from "../ports/Git.js"
import { headRefOf } from "../ports/GitFiles.js"
import { RepoFs } from "../ports/RepoFs.js"
import { Settings } from "../ports/Settings.js"
import { checkCommitTarget } from "./WriteGuards.js"
import type { Bookkeeping } from "./WriteGuards.js"

/** What to commit, where, and on which ref. */
export interface CommitRequest {
  /** The checkout (worktree root) in which git runs. */
  readonly checkout: string
  /** The ref the checkout's HEAD must be on. */
  readonly target: CommitTarget
  /** Repo-relative POSIX paths to stage and commit (and nothing else). */
  readonly paths: ReadonlyArray<string>
  readonly message: string
  /** The project's protected branches. */
  readonly protection: ProtectionPolicy
  /** Set for a status bookkeeping commit: the refusal then reads as spec-kitty's. */
  readonly bookkeeping?: Bookkeeping
  /**
   * Texts the commit must hold exactly (checkout-relative path → the bytes kittyctx wrote): anything else
   * (a hook that edited and re-staged a file) is `COMMIT_FAILED` after the commit; the caller undoes it.
   */
  readonly expect?: ReadonlyMap<string, string>
}

/** The outcome of a commit request. */
export interface CommitOutcome {
  readonly committed: boolean
  readonly sha: string | null
}

/** `git status --porcelain=v1 -z --untracked-files=all [-- pathspec]` in a checkout. */
export const dirtyEntries = (
  checkout: string,
  pathspec?: string
): Effect.Effect<ReadonlyArray<StatusEntry>, GitError, GitReader> =>
  Effect.gen(function*() {
    const git = yield* GitReader
    const args = ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ...(pathspec === undefined ? [] : [pathspec])]
    const r = yield* git.readChecked(args, checkout)
    return parsePorcelainZ(r.stdout)
  })

const refuseWorktreesStaging = (paths: ReadonlyArray<string>) => {
  const staging = paths.filter((p) => p.split("/").includes(WORKTREES_DIR))
  return staging.length > 0
    ? Effect.fail(
      surfaceError("GITIGNORED_PATH_STAGING_REFUSED", `Refusing to stage paths under ${WORKTREES_DIR}/`, { paths: staging })
    )
    : Effect.void
}

/**
 * The merge executor's capability (docs/surfaces.md §0.3): it commits, in its own detached workspace,
 * the next tip of `branch`, protected or not. Only the merge executor creates one (checked statically).
 */
export interface MergeBookkeeping {
  readonly _tag: "MergeBookkeeping"
  /** The branch whose next tip the workspace builds (advanced afterwards by the executor). */
  readonly branch: string
}

/** A commit in the merge executor's workspace: exactly `paths`, or the index as it stands (a merge). */
export interface WorkspaceCommitRequest {
  readonly checkout: string
  readonly capability: MergeBookkeeping
  readonly paths: ReadonlyArray<string> | "index"
  readonly message: string
}

/**
 * Commits in the merge executor's detached workspace: the workspace's HEAD must be detached (it builds
 * the next tip of `capability.branch`; no branch is checked out there, so no one else's checkout moves);
 * the protected-branch check is waived by the capability. `"index"` commits what the index holds (a
 * merge or a squash that git staged); otherwise exactly `paths`. No commit when nothing changed.
 */
export const commitInMergeWorkspace = (
  req: WorkspaceCommitRequest
): Effect.Effect<CommitOutcome, SurfaceError | GitError | IoError, Git | GitReader | RepoFs> =>
  Effect.gen(function*() {
    const git = yield* Git
    const reader = yield* GitReader
    const head = yield* headRefOf(req.checkout)
    if (head !== null) {
      return yield* surfaceError(
        "PLACEMENT_BRANCH_MISMATCH",
        `The merge workspace ${req.checkout} is on ${head}; it must be detached while it builds ${req.capability.branch}`,
        { checkout: req.checkout, expected: "detached HEAD", actual: head }
      )
    }
    const opts = { cwd: req.checkout, mode: "write" } as const
    if (req.paths === "index") {
      const staged = yield* reader.read(["diff", "--cached", "--quiet"], req.checkout)
      const merging = yield* git.run(["rev-parse", "-q", "--verify", "MERGE_HEAD"], opts)
      if (staged.exitCode === 0 && merging.exitCode !== 0) return { committed: false, sha: null }
      yield* git.checked(["commit", "-q", "--no-edit", "--allow-empty", "-m", req.message], opts)
    } else {
      yield* refuseWorktreesStaging(req.paths)
      if (req.paths.length === 0) return { committed: false, sha: null }
      yield* git.checked(["add", "-A", "--", ...req.paths], opts)
      const diff = yield* reader.read(["diff", "--cached", "--quiet", "--", ...req.paths], req.checkout)
      if (diff.exitCode === 0) return { committed: false, sha: null }
      yield* git.checked(["commit", "-q", "-m", req.message, "--", ...req.paths], opts)
    }
    const sha = yield* git.checked(["rev-parse", "--verify", "HEAD"], opts)
    return { committed: true, sha: sha.stdout.trim() }
  })

/** Checks the target ref, then stages and commits exactly `paths`; no commit when nothing changed. */
export const commitPaths = (
  req: CommitRequest
): Effect.Effect<CommitOutcome, SurfaceError | GitError | IoError | ConfigError, Git | GitReader | RepoFs | Settings> =>
  Effect.gen(function*() {
    const git = yield* Git
    yield* refuseWorktreesStaging(req.paths)
    yield* checkCommitTarget(req.checkout, req.target, req.protection, {
      ...(req.bookkeeping === undefined ? {} : { bookkeeping: req.bookkeeping })
    })
    if (req.paths.length === 0) return { committed: false, sha: null }
    const opts = { cwd: req.checkout, mode: "write" } as const
    const reader = yield* GitReader
    const fs = yield* RepoFs
    yield* git.checked(["add", "-A", "--", ...req.paths], opts)
    const diff = yield* reader.read(["diff", "--cached", "--quiet", "--", ...req.paths], req.checkout)
    if (diff.exitCode === 0) return { committed: false, sha: null }
    const timeoutMs = yield* (yield* Settings).commitTimeoutMs
    const commit = yield* git.run(["commit", "-q", "-m", req.message, "--", ...req.paths], {
      ...opts,
      timeout: Duration.millis(timeoutMs)
    }).pipe(
      Effect.mapError((e) =>
        surfaceError(
          "COMMIT_FAILED",
          e.message.endsWith("timed out")
            ? `git commit in ${req.checkout} did not finish within ${timeoutMs} ms (a slow hook?); it was stopped`
            : `git commit in ${req.checkout} could not run: ${e.message}`,
          {
            checkout: req.checkout,
            paths: req.paths,
            reason: e.message.endsWith("timed out") ? "git_commit_timed_out" : "git_commit_failed",
            timeout_ms: timeoutMs
          }
        )
      )
    )
    if (commit.exitCode !== 0) {
      return yield* surfaceError(
        "COMMIT_FAILED",
        `git commit in ${req.checkout} failed (exit ${commit.exitCode})` +
          (firstLine(commit.stderr) === "" ? "" : `: ${firstLine(commit.stderr)}`),
        { checkout: req.checkout, paths: req.paths, reason: "git_commit_failed", exit_code: commit.exitCode, stderr: commit.stderr }
      )
    }
    const sha = (yield* git.checked(["rev-parse", "--verify", "HEAD"], opts)).stdout.trim()
    const expect = req.expect ?? new Map<string, string>()
    if (expect.size > 0) {
      const listing = yield* reader.readChecked(["ls-tree", "-z", commitId(sha), "--", ...expect.keys()], req.checkout)
      const oids = new Map(
        listing.stdout.split("\u0000").filter((l) => l !== "").map((l) => {
          const tab = l.indexOf("\t")
          return [l.slice(tab + 1), l.slice(0, tab).split(" ")[2] ?? ""] as const
        })
      )
      for (const [path, text] of expect) {
        const oid = oids.get(path)
        const blob = oid === undefined ? null : yield* reader.read(["cat-file", "blob", commitId(oid)], req.checkout)
        const onDisk = yield* fs.readText(joinPath(req.checkout, path), { noFollow: true })
        if (blob === null || blob.exitCode !== 0 || blob.stdout !== text || onDisk !== text) {
          return yield* surfaceError(
            "COMMIT_FAILED",
            `The commit ${sha.slice(0, 12)} or the file on disk no longer holds ${path} as kittyctx wrote it (a hook ` +
              "changed it); the commit is undone",
            {
              checkout: req.checkout,
              path,
              commit: sha,
              reason: "committed_content_differs",
              committed_matches: blob !== null && blob.exitCode === 0 && blob.stdout === text,
              file_matches: onDisk === text
            }
          )
        }
      }
    }
    return { committed: true, sha }
  })

const firstLine = (text: string): string => text.trim().split("\n")[0] ?? ""
