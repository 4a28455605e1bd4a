/**
 * Interim mission lookup for the status commands: the repository root found by walking up from the
 * CWD, then `kitty-specs/<handle>` by exact directory name, or an explicit `--feature-dir`. The
 * execution-context resolver replaces this.
 */
import { Effect } from "effect"
import { ContextErrors } from "../core/ContextError.js"
import type { ContextError } from "../core/ContextError.js"
import { basenamePath, joinPath, resolvePath } from "../core/Paths.js"
import type { Git } from "./Git.js"
import type { StatusTarget } from "./MissionStatus.js"
import { RepoFs } from "./RepoFs.js"
import { discoverPrimaryRoot } from "./RootLocator.js"
import type { KittyEnv } from "./RootLocator.js"

/** Locates a mission's status target from a CWD and a handle (exact dir name) or a feature dir. */
export const locateStatusTarget = (
  cwd: string,
  handle: string | undefined,
  featureDir: string | undefined
): Effect.Effect<StatusTarget, ContextError, RepoFs | Git | KittyEnv> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const location = yield* discoverPrimaryRoot(featureDir === undefined ? cwd : resolvePath(cwd, featureDir))
    const specs = joinPath(location.primaryRoot, "kitty-specs")
    const available = ((yield* fs.readDir(specs).pipe(Effect.orElseSucceed(() => null))) ?? [])
      .filter((n) => !n.startsWith("."))
      .sort()
    let dir: string
    if (featureDir !== undefined) {
      dir = resolvePath(cwd, featureDir)
    } else {
      if (handle === undefined || handle === "") return yield* ContextErrors.unresolved(null, available, "missing")
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(handle) || handle.includes("..") || handle.length > 255) {
        return yield* ContextErrors.invalidHandle(handle, "unsafe characters")
      }
      dir = joinPath(specs, handle)
    }
    const kind = yield* fs.kind(dir).pipe(Effect.orElseSucceed(() => null))
    if (kind !== "Directory") return yield* ContextErrors.unresolved(handle ?? dir, available.slice(0, 15))
    const slug = basenamePath(dir)
    return {
      missionSlug: slug,
      statusDir: dir,
      metaPath: joinPath(dir, "meta.json"),
      tasksDir: joinPath(dir, "tasks"),
      lockPath: joinPath(location.commonDir, "spec-kitty-locks", `${slug}.status.lock`),
      workspaceRoot: location.primaryRoot
    }
  })
