/**
 * Root discovery (docs/execution-context.md §5): `discoverPrimaryRoot` folds any directory (primary
 * checkout, lane or coordination worktree, any subdirectory) to the primary root and the git common
 * dir, through the one `.git` walk-up and pointer parser of `GitFiles`.
 * Bare section numbers (§N) cite docs/execution-context.md.
 */
import { Effect, Option } from "effect"
import { ContextErrors } from "../../core/context/ContextError.js"
import type { ContextError } from "../../core/context/ContextError.js"
import { kittifyDir, missionsRoot, WORKTREES_DIR } from "../../core/repo/Naming.js"
import { basenamePath, dirnamePath, joinPath } from "../../core/repo/Paths.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { GitReader } from "../ports/Git.js"
import { parseGitPointer, walkUpDotGit } from "../ports/GitFiles.js"
import { RepoFs } from "../ports/RepoFs.js"
import { Settings } from "../ports/Settings.js"

/** Where the repository of a checkout keeps its shared state (the git common dir). */
export interface RepoLocation {
  readonly primaryRoot: string
  readonly commonDir: string
}

/** True when `root/.git` points at `commonDir` (a checkout of that repository). */
const checkoutOf = (root: string, commonDir: string): Effect.Effect<boolean, IoError, RepoFs> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const dotGit = joinPath(root, ".git")
    const kind = yield* fs.kind(dotGit)
    if (kind === "Directory") return (yield* fs.realpath(dotGit)) === commonDir
    if (kind !== "File") return false
    const pointer = yield* parseGitPointer(dotGit)
    return pointer._tag === "ForeignGitdir" ? pointer.gitdir === commonDir : false
  })

/**
 * `mainRootOf(common_dir)` (§5.1): the parent of a `.git` dir, else the registry's main worktree. For a
 * `--separate-git-dir` repository git records no main-checkout path (the registry's first entry is the
 * git dir itself); then a lane under `<root>/.worktrees/` names its primary, verified by the primary's
 * own `.git` pointing at the same git dir.
 */
export const mainRootOf = (
  commonDir: string,
  start: string,
  worktreeRoot?: string
): Effect.Effect<string, ContextError | GitError | IoError, GitReader | RepoFs> =>
  Effect.gen(function*() {
    if (basenamePath(commonDir) === ".git") return dirnamePath(commonDir)
    const git = yield* GitReader
    const fs = yield* RepoFs
    const main = yield* git.mainWorktreeOf(commonDir)
    if (main !== null && !main.bare) {
      const path = (yield* fs.realpath(main.path)) ?? main.path
      if (path !== commonDir && (yield* checkoutOf(path, commonDir))) return path
    }
    if (worktreeRoot !== undefined && basenamePath(dirnamePath(worktreeRoot)) === WORKTREES_DIR) {
      const candidate = dirnamePath(dirnamePath(worktreeRoot))
      if (yield* checkoutOf(candidate, commonDir)) return candidate
    }
    return yield* ContextErrors.projectRootUnresolved(start, "bare_repository", commonDir)
  })

const kittyMarkers = (root: string) =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    if ((yield* fs.kind(kittifyDir(root))) === "Directory") return true
    return (yield* fs.kind(missionsRoot(root))) === "Directory"
  })

/** The nearest directory at or above `start` that is a bare repository's git dir (HEAD, objects/, refs/). */
const bareGitDirAbove = (start: string): Effect.Effect<string | null, IoError, RepoFs> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    for (let dir = start;; dir = dirnamePath(dir)) {
      if (
        (yield* fs.kind(joinPath(dir, "HEAD"))) === "File" &&
        (yield* fs.kind(joinPath(dir, "objects"))) === "Directory" &&
        (yield* fs.kind(joinPath(dir, "refs"))) === "Directory"
      ) return dir
      if (dirnamePath(dir) === dir) return null
    }
  })

/** §5.2: folds any CWD (primary, worktree, subdirectory) to the primary root and the common dir. */
export const discoverPrimaryRoot = (
  cwd: string
): Effect.Effect<RepoLocation, ContextError | GitError | IoError, RepoFs | GitReader | Settings> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const settings = yield* Settings
    let start = cwd
    if (settings.specifyRepoRoot !== undefined) {
      if ((yield* fs.kind(settings.specifyRepoRoot)) !== "Directory") {
        return yield* ContextErrors.projectRootUnresolved(settings.specifyRepoRoot, "env_root_missing", settings.specifyRepoRoot)
      }
      start = settings.specifyRepoRoot
    }
    const real = yield* fs.realpath(start)
    if (real === null) return yield* ContextErrors.projectRootUnresolved(start, "no_repository")
    const found = yield* walkUpDotGit(real, (dir, dotGit) =>
      Effect.gen(function*() {
        switch (dotGit._tag) {
          case "GitDir":
            return Option.some({ primaryRoot: dir, commonDir: dotGit.gitdir })
          case "LinkedWorktree": {
            const primaryRoot = yield* mainRootOf(dotGit.commonDir, real, dotGit.worktreeRoot)
            return Option.some({ primaryRoot, commonDir: dotGit.commonDir })
          }
          case "ForeignGitdir":
            // a checkout whose git dir lives elsewhere (--separate-git-dir) counts only with the project marker
            return (yield* fs.kind(kittifyDir(dir))) === "Directory"
              ? Option.some({ primaryRoot: dir, commonDir: dotGit.gitdir })
              : Option.none()
          case "Malformed":
          case "Dangling":
          case "Unregistered":
            return yield* ContextErrors.projectRootUnresolved(
              real,
              dotGit._tag === "Malformed"
                ? "malformed_git_pointer"
                : dotGit._tag === "Dangling"
                ? "dangling_git_pointer"
                : "unregistered_worktree",
              joinPath(dir, ".git")
            )
        }
      }))
    if (Option.isNone(found)) {
      const bare = yield* bareGitDirAbove(real)
      return yield* bare === null
        ? ContextErrors.projectRootUnresolved(real, "no_repository")
        : ContextErrors.projectRootUnresolved(real, "bare_repository", bare)
    }
    if (!(yield* kittyMarkers(found.value.primaryRoot))) {
      return yield* ContextErrors.projectRootUnresolved(real, "not_a_kitty_project", found.value.primaryRoot)
    }
    return found.value
  })
