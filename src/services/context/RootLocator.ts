/**
 * Root discovery (execution-context spec §5): the one `parseGitPointer` and the one
 * `discoverPrimaryRoot`, both over the RepoFs port, so they run on real trees and in-memory ones.
 */
import { Context, Effect, Layer, Option } from "effect"
import { ContextErrors } from "../../core/context/ContextError.js"
import type { ContextError } from "../../core/context/ContextError.js"
import { kittifyDir, missionsRoot, WORKTREES_DIR } from "../../core/layout/Naming.js"
import { basenamePath, dirnamePath, joinPath, normalizePath } from "../../core/layout/Paths.js"
import { parsePointerText, resolveCommondir } from "../../core/layout/WorktreePointer.js"
import type { GitPointer } from "../../core/layout/WorktreePointer.js"
import { Git } from "../ports/Git.js"
import { RepoFs } from "../ports/RepoFs.js"
import type { FsError } from "../ports/RepoFs.js"

/** The environment the resolver reads (`SPECIFY_REPO_ROOT`). */
export class KittyEnv extends Context.Tag("kittyctx/KittyEnv")<KittyEnv, {
  readonly specifyRepoRoot: string | undefined
}>() {}

/** The live environment layer. */
export const kittyEnvLayer: Layer.Layer<KittyEnv> = Layer.sync(KittyEnv, () => {
  const v = process.env.SPECIFY_REPO_ROOT
  return { specifyRepoRoot: v === undefined || v === "" ? undefined : v }
})

/** A fixed environment, for tests. */
export const kittyEnvFixed = (specifyRepoRoot?: string): Layer.Layer<KittyEnv> =>
  Layer.succeed(KittyEnv, { specifyRepoRoot })

const fsToContext = (e: FsError): ContextError => ContextErrors.projectRootUnresolved(e.path, "no_repository", e.path)

/** §5.1: follows the `.git` file at `file`. */
export const parseGitPointer = (file: string): Effect.Effect<GitPointer, ContextError, RepoFs> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const text = yield* fs.readText(file).pipe(Effect.mapError(fsToContext))
    if (text === null) return { _tag: "Malformed", path: file } as const
    const pointer = parsePointerText(text, file)
    if (pointer._tag === "Malformed") return { _tag: "Malformed", path: file } as const
    const gitdir = (yield* fs.realpath(pointer.gitdir).pipe(Effect.mapError(fsToContext)))
    if (gitdir === null) return { _tag: "Dangling", path: file, gitdir: pointer.gitdir } as const
    const commondirText = yield* fs.readText(joinPath(gitdir, "commondir")).pipe(Effect.mapError(fsToContext))
    if (commondirText === null) return { _tag: "ForeignGitdir", gitdir } as const
    const common = resolveCommondir(commondirText, gitdir)
    const commonDir = (yield* fs.realpath(common).pipe(Effect.mapError(fsToContext))) ?? normalizePath(common)
    return { _tag: "LinkedWorktree", worktreeRoot: dirnamePath(file), gitdir, commonDir } as const
  })

/** True when `root/.git` points at `commonDir` (a checkout of that repository). */
const checkoutOf = (root: string, commonDir: string): Effect.Effect<boolean, ContextError, RepoFs> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const dotGit = joinPath(root, ".git")
    const kind = yield* fs.kind(dotGit).pipe(Effect.mapError(fsToContext))
    if (kind === "Directory") return (yield* fs.realpath(dotGit).pipe(Effect.mapError(fsToContext))) === commonDir
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
): Effect.Effect<string, ContextError, Git | RepoFs> =>
  Effect.gen(function*() {
    if (basenamePath(commonDir) === ".git") return dirnamePath(commonDir)
    const git = yield* Git
    const fs = yield* RepoFs
    const main = yield* git.mainWorktreeOf(commonDir)
    if (main !== null && !main.bare) {
      const path = (yield* fs.realpath(main.path).pipe(Effect.mapError(fsToContext))) ?? main.path
      if (path !== commonDir && (yield* checkoutOf(path, commonDir))) return path
    }
    if (worktreeRoot !== undefined && basenamePath(dirnamePath(worktreeRoot)) === WORKTREES_DIR) {
      const candidate = dirnamePath(dirnamePath(worktreeRoot))
      if (yield* checkoutOf(candidate, commonDir)) return candidate
    }
    return yield* ContextErrors.projectRootUnresolved(start, "bare_repository", commonDir)
  })

/** Where the repository of a checkout keeps its shared state (the git common dir). */
export interface RepoLocation {
  readonly primaryRoot: string
  readonly commonDir: string
}

const kittyMarkers = (root: string) =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const kittify = yield* fs.kind(kittifyDir(root)).pipe(Effect.mapError(fsToContext))
    if (kittify === "Directory") return true
    const specs = yield* fs.kind(missionsRoot(root)).pipe(Effect.mapError(fsToContext))
    return specs === "Directory"
  })

/** §5.2: folds any CWD (primary, worktree, subdirectory) to the primary root and the common dir. */
export const discoverPrimaryRoot = (cwd: string): Effect.Effect<RepoLocation, ContextError, RepoFs | Git | KittyEnv> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const env = yield* KittyEnv
    let start = cwd
    if (env.specifyRepoRoot !== undefined) {
      const kind = yield* fs.kind(env.specifyRepoRoot).pipe(Effect.mapError(fsToContext))
      if (kind !== "Directory") {
        return yield* ContextErrors.projectRootUnresolved(env.specifyRepoRoot, "env_root_missing", env.specifyRepoRoot)
      }
      start = env.specifyRepoRoot
    }
    const real = yield* fs.realpath(start).pipe(Effect.mapError(fsToContext))
    if (real === null) return yield* ContextErrors.projectRootUnresolved(start, "no_repository")
    let found = Option.none<RepoLocation>()
    let dir = real
    while (Option.isNone(found)) {
      const dotGit = joinPath(dir, ".git")
      const kind = yield* fs.kind(dotGit).pipe(Effect.mapError(fsToContext))
      if (kind === "Directory") {
        found = Option.some({ primaryRoot: dir, commonDir: dotGit })
        break
      }
      if (kind === "File") {
        const pointer = yield* parseGitPointer(dotGit)
        if (pointer._tag === "LinkedWorktree") {
          const primaryRoot = yield* mainRootOf(pointer.commonDir, real, pointer.worktreeRoot)
          found = Option.some({ primaryRoot, commonDir: pointer.commonDir })
          break
        }
        if (pointer._tag === "ForeignGitdir") {
          const kittify = yield* fs.kind(kittifyDir(dir)).pipe(Effect.mapError(fsToContext))
          if (kittify === "Directory") {
            found = Option.some({ primaryRoot: dir, commonDir: pointer.gitdir })
            break
          }
        } else {
          return yield* ContextErrors.projectRootUnresolved(
            real,
            pointer._tag === "Malformed" ? "malformed_git_pointer" : "dangling_git_pointer",
            dotGit
          )
        }
      }
      const parent = dirnamePath(dir)
      if (parent === dir) break
      dir = parent
    }
    if (Option.isNone(found)) return yield* ContextErrors.projectRootUnresolved(real, "no_repository")
    const location = found.value
    if (!(yield* kittyMarkers(location.primaryRoot))) {
      return yield* ContextErrors.projectRootUnresolved(real, "not_a_kitty_project", location.primaryRoot)
    }
    return location
  })
