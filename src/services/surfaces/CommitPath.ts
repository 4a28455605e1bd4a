/**
 * The one commit path (surfaces spec §0.2-§0.4): every commit kittyctx makes goes through `commitPaths`,
 * which checks that the checkout's HEAD is the target ref, refuses protected branches unless the
 * operator override is set, and stages and commits exactly the paths it was given.
 */
import { Config, Effect, Option } from "effect"
import type { ContextError } from "../../core/context/ContextError.js"
import { ContextErrors } from "../../core/context/ContextError.js"
import type { CommitTarget } from "../../core/context/ExecutionContext.js"
import { headsRef, WORKTREES_DIR } from "../../core/layout/Naming.js"
import { isProtected, parsePorcelainZ, protectedOverride } from "../../core/surfaces/Placement.js"
import type { StatusEntry } from "../../core/surfaces/Placement.js"
import { surfaceError } from "../../core/surfaces/SurfaceError.js"
import type { SurfaceError } from "../../core/surfaces/SurfaceError.js"
import { Git } from "../ports/Git.js"

/** What to commit, where, and on which ref. */
export interface CommitRequest {
  /** The checkout (worktree root) in which git runs. */
  readonly checkout: string
  /** The ref the checkout's HEAD must be on. */
  readonly target: CommitTarget
  /** Repo-relative POSIX paths to stage and commit (and nothing else). */
  readonly paths: ReadonlyArray<string>
  readonly message: string
}

/** The outcome of a commit request. */
export interface CommitOutcome {
  readonly committed: boolean
  readonly sha: string | null
}

const envOption = (name: string) =>
  Config.string(name).pipe(Config.option, Effect.map(Option.getOrUndefined), Effect.orElseSucceed(() => undefined))

/** True when `ref` is protected and no operator override is set. */
export const protectedRefusal = (target: CommitTarget): Effect.Effect<SurfaceError | null> =>
  Effect.gen(function*() {
    const extra = yield* envOption("KITTYCTX_PROTECTED_BRANCHES")
    const kittyctx = yield* envOption("KITTYCTX_ALLOW_PROTECTED_BRANCH_COMMITS")
    const specKitty = yield* envOption("SPEC_KITTY_ALLOW_PROTECTED_BRANCH_COMMITS")
    if (!isProtected(target.ref, extra) || protectedOverride({ kittyctx, specKitty })) return null
    return surfaceError(
      "PROTECTED_BRANCH_REFUSED",
      `Refusing to commit on protected branch ${target.ref} (the mission's resolved destination).`,
      {
        resolved_destination: { ref: target.ref, kind: target.kind },
        remediation: [
          `Set target_branch in meta.json to a working branch, or commit on ${target.ref} through a pull request.`,
          "Or set KITTYCTX_ALLOW_PROTECTED_BRANCH_COMMITS=1 to allow this commit."
        ]
      }
    )
  })

/** The branch a checkout has checked out (`refs/heads/<x>`), or null when detached. */
export const headRefOf = (checkout: string): Effect.Effect<string | null, ContextError, Git> =>
  Effect.gen(function*() {
    const git = yield* Git
    const r = yield* git.run(["symbolic-ref", "--quiet", "HEAD"], { cwd: checkout, mode: "read" })
    return r.exitCode === 0 ? r.stdout.trim() : null
  })

/** `git status --porcelain=v1 -z --untracked-files=all [-- pathspec]` in a checkout. */
export const dirtyEntries = (
  checkout: string,
  pathspec?: string
): Effect.Effect<ReadonlyArray<StatusEntry>, ContextError, Git> =>
  Effect.gen(function*() {
    const git = yield* Git
    const args = ["status", "--porcelain=v1", "-z", "--untracked-files=all", ...(pathspec === undefined ? [] : ["--", pathspec])]
    const r = yield* git.run(args, { cwd: checkout, mode: "read" })
    if (r.exitCode !== 0) return yield* ContextErrors.gitFailed(args, r.exitCode, r.stderr)
    return parsePorcelainZ(r.stdout)
  })

/** Checks the target ref, then stages and commits exactly `paths`; no commit when nothing changed. */
export const commitPaths = (req: CommitRequest): Effect.Effect<CommitOutcome, SurfaceError | ContextError, Git> =>
  Effect.gen(function*() {
    const git = yield* Git
    const staging = req.paths.filter((p) => p.split("/").includes(WORKTREES_DIR))
    if (staging.length > 0) {
      return yield* surfaceError("GITIGNORED_PATH_STAGING_REFUSED", `Refusing to stage paths under ${WORKTREES_DIR}/`, {
        paths: staging
      })
    }
    const head = yield* headRefOf(req.checkout)
    if (head !== headsRef(req.target.ref)) {
      return yield* surfaceError(
        "PLACEMENT_BRANCH_MISMATCH",
        `Checkout ${req.checkout} is on ${head ?? "a detached HEAD"}, but this commit belongs on ${req.target.ref}`,
        { checkout: req.checkout, expected: headsRef(req.target.ref), actual: head, placement_ref: req.target }
      )
    }
    const refusal = yield* protectedRefusal(req.target)
    if (refusal !== null) return yield* refusal
    if (req.paths.length === 0) return { committed: false, sha: null }
    const checked = (args: ReadonlyArray<string>) =>
      git.run(args, { cwd: req.checkout, mode: "write" }).pipe(
        Effect.filterOrFail((r) => r.exitCode === 0, (r) => ContextErrors.gitFailed(args, r.exitCode, r.stderr))
      )
    yield* checked(["add", "-A", "--", ...req.paths])
    const diff = yield* git.run(["diff", "--cached", "--quiet", "--", ...req.paths], { cwd: req.checkout, mode: "read" })
    if (diff.exitCode === 0) return { committed: false, sha: null }
    yield* checked(["commit", "-q", "-m", req.message, "--", ...req.paths])
    const sha = yield* checked(["rev-parse", "HEAD"])
    return { committed: true, sha: sha.stdout.trim() }
  })
