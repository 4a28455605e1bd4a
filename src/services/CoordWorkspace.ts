/**
 * `ensureCoordWorkspace` (execution-context spec §12): creates or reuses the coordination worktree,
 * serialized across processes by the one lock primitive keyed on the worktree path. It is the only
 * component that mutates git's worktree registry; it never switches branches and never deletes a husk.
 */
import { Effect } from "effect"
import { createHash } from "node:crypto"
import { ContextErrors } from "../core/ContextError.js"
import type { ContextError } from "../core/ContextError.js"
import { branchExistsIn } from "../core/ExecutionContext.js"
import type { MissionExecutionContext } from "../core/ExecutionContext.js"
import { headsRef, kittyctxLockPath } from "../core/Naming.js"
import { FileLock } from "./FileLock.js"
import { Git } from "./Git.js"
import type { WorktreeEntry } from "./Git.js"
import { RepoFs } from "./RepoFs.js"
import type { RepoLocation } from "./RootLocator.js"

const LOCK_TIMEOUT_MS = 30_000
const MAX_ATTEMPTS = 20
const CONTENTION = /\.lock|File exists|could not lock config file|another git process/

/** The lock file of a coordination worktree path: `<common>/kittyctx-locks/coord-<sha256 prefix>.lock`. */
export const coordLockPath = (commonDir: string, worktreePath: string): string =>
  kittyctxLockPath(commonDir, `coord-${createHash("sha256").update(worktreePath).digest("hex").slice(0, 16)}`)

const findEntry = (entries: ReadonlyArray<WorktreeEntry>, path: string) => entries.find((e) => e.path === path)

/** Creates or reuses the coordination worktree of a coordination-kind context; `null` for other kinds. */
export const ensureCoordWorkspace = (
  ctx: MissionExecutionContext,
  location: RepoLocation
): Effect.Effect<string | null, ContextError, Git | FileLock | RepoFs> =>
  Effect.gen(function*() {
    if (ctx.branch_ref.destination_ref.kind !== "coordination") return null
    const path = ctx.workspace.coord_worktree
    const branch = ctx.branch_ref.coordination_branch
    if (path === null || branch === null) return null
    const git = yield* Git
    const fs = yield* RepoFs
    const locks = yield* FileLock
    const root = ctx.workspace.primary_root
    const lockFile = coordLockPath(location.commonDir, path)

    const registered = Effect.gen(function*() {
      const entries = yield* git.worktreeList(root)
      return findEntry(entries, path)
    })
    const checkBranch = (entry: WorktreeEntry) =>
      entry.branch === headsRef(branch)
        ? Effect.succeed(path)
        : Effect.fail(ContextErrors.branchMismatch(path, headsRef(branch), entry.branch ?? `detached ${entry.head ?? ""}`))

    const body = Effect.gen(function*() {
      const entry = yield* registered
      if (entry !== undefined && !entry.prunable) return yield* checkBranch(entry)
      const exists = yield* fs.kind(path).pipe(Effect.orElseSucceed(() => null))
      if (exists !== null) return yield* ContextErrors.husk(path)
      if (entry !== undefined && entry.prunable) {
        yield* git.run(["worktree", "prune"], { cwd: root, mode: "write" })
      }
      const refs = yield* git.refs(root)
      if (!branchExistsIn(refs.refs, branch)) {
        return yield* ContextErrors.coordinationBranchDeleted(branch, path, ctx.status_surface.status_read_dir)
      }
      let last = { exitCode: 0, stderr: "" }
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const r = yield* git.run(["worktree", "add", path, branch], { cwd: root, mode: "write" })
        if (r.exitCode === 0) return path
        last = r
        const now = yield* registered
        if (now !== undefined && !now.prunable) return yield* checkBranch(now)
        if (r.exitCode !== 128 || !CONTENTION.test(r.stderr)) break
        yield* Effect.sleep(50 * attempt)
      }
      return yield* ContextErrors.worktreeAddFailed(path, branch, last.exitCode, last.stderr)
    })

    return yield* locks.withExclusive(lockFile, LOCK_TIMEOUT_MS)(body).pipe(
      Effect.catchTags({
        LockTimeout: (e) => Effect.fail(ContextErrors.coordLockTimeout(path, lockFile, e.timeoutMs, e.holder)),
        LockUnavailable: (e) => Effect.fail(ContextErrors.coordLockTimeout(path, lockFile, 0, e.reason))
      })
    )
  })
