/**
 * The git-operation guard (surfaces spec §3.1, status-model §9.3): is git rewriting the work tree
 * of this path right now? Filesystem only, through the one pointer parser; never spawns git, never
 * throws, and answers "no" when unsure.
 */
import { Effect } from "effect"
import { dirnamePath, joinPath } from "../../core/layout/Paths.js"
import { RepoFs } from "./RepoFs.js"
import { parseGitPointer } from "../context/RootLocator.js"

/** The markers of an operation in progress, checked in every gitdir. */
export const GIT_OP_MARKERS = ["rebase-merge", "rebase-apply", "MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "index.lock"]

/** The gitdirs of the checkout holding `path`: `[.git]`, or `[per-worktree gitdir, common dir]`. */
export const gitdirsOf = (path: string): Effect.Effect<ReadonlyArray<string>, never, RepoFs> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    let dir = path
    while (true) {
      const dotGit = joinPath(dir, ".git")
      const kind = yield* fs.kind(dotGit)
      if (kind === "Directory") return [dotGit]
      if (kind === "File") {
        const pointer = yield* parseGitPointer(dotGit)
        if (pointer._tag === "LinkedWorktree") return [pointer.gitdir, pointer.commonDir]
        if (pointer._tag === "ForeignGitdir") return [pointer.gitdir]
        return []
      }
      const parent = dirnamePath(dir)
      if (parent === dir) return []
      dir = parent
    }
  }).pipe(Effect.orElseSucceed(() => []))

/** The first marker found (its absolute path), or null when no git operation is in progress. */
export const gitOperationInProgress = (path: string): Effect.Effect<string | null, never, RepoFs> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    for (const gitdir of yield* gitdirsOf(path)) {
      for (const marker of GIT_OP_MARKERS) {
        const p = joinPath(gitdir, marker)
        if ((yield* fs.kind(p).pipe(Effect.orElseSucceed(() => null))) !== null) return p
      }
    }
    return null
  })
