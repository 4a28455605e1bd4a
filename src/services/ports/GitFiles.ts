/**
 * git's own files, read directly (docs/execution-context.md §5.1): the one `.git` walk-up, the one
 * pointer parser (`.git` file → gitdir → `commondir`), the one reader of a checkout's `HEAD`, and the
 * git-operation detector (docs/status-model.md §9.3). All over `RepoFs`, so they run on real trees and on
 * memory ones; none of them spawns git. Bare section numbers (§N) cite docs/execution-context.md.
 */
import { Effect, Option } from "effect"
import { dirnamePath, joinPath, normalizePath } from "../../core/repo/Paths.js"
import { GitErrors } from "../../core/repo/RepoError.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { parseHeadText, parsePointerText, resolveCommondir } from "../../core/repo/WorktreePointer.js"
import type { GitPointer, HeadState } from "../../core/repo/WorktreePointer.js"
import { RepoFs } from "./RepoFs.js"

/** Follows the `.git` file at `file` (§5.1). */
export const parseGitPointer = (file: string): Effect.Effect<GitPointer, IoError, RepoFs> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const text = yield* fs.readText(file, { maxBytes: 64 * 1024 })
    if (text === null) return { _tag: "Malformed", path: file } as const
    const pointer = parsePointerText(text, file)
    if (pointer._tag === "Malformed") return { _tag: "Malformed", path: file } as const
    const gitdir = yield* fs.realpath(pointer.gitdir)
    if (gitdir === null) return { _tag: "Dangling", path: file, gitdir: pointer.gitdir } as const
    const commondirText = yield* fs.readText(joinPath(gitdir, "commondir"), { maxBytes: 64 * 1024 })
    if (commondirText === null) return { _tag: "ForeignGitdir", gitdir } as const
    // a linked worktree's gitdir names its worktree back; a .git file pointing into some other
    // repository's gitdir without that back-reference is not one of its worktrees
    const backText = yield* fs.readText(joinPath(gitdir, "gitdir"), { maxBytes: 64 * 1024 })
    const back = backText === null ? null : yield* fs.realpath(resolveCommondir(backText, gitdir))
    if (back === null || back !== ((yield* fs.realpath(file)) ?? file)) {
      return { _tag: "Unregistered", path: file, gitdir } as const
    }
    const common = resolveCommondir(commondirText, gitdir)
    const commonDir = (yield* fs.realpath(common)) ?? normalizePath(common)
    return { _tag: "LinkedWorktree", worktreeRoot: dirnamePath(file), gitdir, commonDir } as const
  })

/** What a directory's `.git` entry is: a git dir, a pointer file (followed), or nothing. */
export type DotGit = { readonly _tag: "GitDir"; readonly gitdir: string } | GitPointer

/** The `.git` entry of `dir`, or null when it has none. */
export const dotGitOf = (dir: string): Effect.Effect<DotGit | null, IoError, RepoFs> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const dotGit = joinPath(dir, ".git")
    const kind = yield* fs.kind(dotGit)
    if (kind === "Directory") return { _tag: "GitDir", gitdir: (yield* fs.realpath(dotGit)) ?? dotGit } as const
    if (kind === "File") return yield* parseGitPointer(dotGit)
    return null
  })

/**
 * The one `.git` walk-up: from `start` towards `/`, calls `visit` on every directory that has a `.git`
 * entry until it answers `Some`; `None` when it reaches the root.
 */
export const walkUpDotGit = <A, E, R>(
  start: string,
  visit: (dir: string, dotGit: DotGit) => Effect.Effect<Option.Option<A>, E, R>
): Effect.Effect<Option.Option<A>, E | IoError, R | RepoFs> =>
  Effect.gen(function*() {
    let dir = normalizePath(start)
    while (true) {
      const dotGit = yield* dotGitOf(dir)
      if (dotGit !== null) {
        const found = yield* visit(dir, dotGit)
        if (Option.isSome(found)) return found
      }
      const parent = dirnamePath(dir)
      if (parent === dir) return Option.none()
      dir = parent
    }
  })

/** The gitdirs of the checkout holding `path`: `[.git]`, or `[per-worktree gitdir, common dir]`; `[]` outside git. */
export const gitdirsOf = (path: string): Effect.Effect<ReadonlyArray<string>, IoError, RepoFs> =>
  Effect.map(
    walkUpDotGit(path, (_dir, dotGit) =>
      Effect.succeed(Option.some(
        dotGit._tag === "GitDir"
          ? [dotGit.gitdir]
          : dotGit._tag === "LinkedWorktree"
          ? [dotGit.gitdir, dotGit.commonDir]
          : dotGit._tag === "ForeignGitdir"
          ? [dotGit.gitdir]
          : []
      ))),
    Option.getOrElse((): ReadonlyArray<string> => [])
  )

/** The `HEAD` of the checkout rooted at `checkout` (its own `.git`), or null when it has none or it is unreadable. */
export const headOf = (checkout: string): Effect.Effect<HeadState | null, IoError, RepoFs> =>
  Effect.gen(function*() {
    const dotGit = yield* dotGitOf(checkout)
    const gitdir = dotGit === null
      ? null
      : dotGit._tag === "GitDir" || dotGit._tag === "LinkedWorktree" || dotGit._tag === "ForeignGitdir"
      ? dotGit.gitdir
      : null
    if (gitdir === null) return null
    const text = yield* (yield* RepoFs).readText(joinPath(gitdir, "HEAD"), { maxBytes: 64 * 1024 })
    return text === null ? null : parseHeadText(text)
  })

/** The branch ref (`refs/heads/<x>`) a checkout has checked out, or null when detached or unknown. */
export const headRefOf = (checkout: string): Effect.Effect<string | null, IoError, RepoFs> =>
  Effect.map(headOf(checkout), (h) => (h?._tag === "Ref" ? h.ref : null))

/** The markers of an operation in progress, checked in every gitdir. */
export const GIT_OP_MARKERS = ["rebase-merge", "rebase-apply", "MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "index.lock"]

/** The first git-operation marker (its absolute path) in the checkout holding `path`, or null. */
export const gitOperationInProgress = (path: string): Effect.Effect<string | null, IoError, RepoFs> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    for (const gitdir of yield* gitdirsOf(path)) {
      for (const marker of GIT_OP_MARKERS) {
        const p = joinPath(gitdir, marker)
        if ((yield* fs.kind(p)) !== null) return p
      }
    }
    return null
  })

/** `GIT_OPERATION_IN_PROGRESS` when git is rewriting any of `checkouts`; `remedy` says what the user does then. */
export const refuseDuringGitOp = (
  checkouts: ReadonlyArray<string>,
  remedy: string
): Effect.Effect<void, GitError | IoError, RepoFs> =>
  Effect.gen(function*() {
    for (const dir of [...new Set(checkouts)]) {
      const marker = yield* gitOperationInProgress(dir)
      if (marker === null) continue
      // a lock with no git behind it (a crashed git) is never waited out: say how to clear it
      const stale = marker.endsWith("/index.lock")
        ? `if no git process is running in ${dir}, the lock is left over from a crashed git: remove ${marker}; ` +
          remedy.replace(/^finish or abort it, then /, "then ")
        : remedy
      return yield* GitErrors.operationInProgress(dir, marker, stale)
    }
  })
