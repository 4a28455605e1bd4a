/**
 * `sync config` and `sync register|unregister` (docs/surfaces.md §8.1): the sink and the delivery
 * knobs, and which projects forwarding reads. A project is registered by its canonical primary root, so
 * registering from a lane worktree or a subdirectory names the same project.
 */
import { Clock, Effect, Either } from "effect"
import { configInvalid } from "../../core/config/ConfigError.js"
import { resolvePath } from "../../core/repo/Paths.js"
import { checkNumber, checkSinkUrl, checkTokenEnv, displaySink } from "../../core/sync/SyncConfig.js"
import type { NumericSetting, SyncConfig } from "../../core/sync/SyncConfig.js"
import { discoverPrimaryRoot } from "../context/RootLocator.js"
import { RepoFs } from "../ports/RepoFs.js"
import { Settings } from "../ports/Settings.js"
import { readConfig, readProjects, runtimeOf, scopeIdOf, writeConfig, writeProjects } from "./SyncStore.js"
import { formatIsoUtcMillis } from "../../core/status/Ulid.js"

/** What `sync config` may change (absent: unchanged; `tokenEnv: null` removes the token). */
export interface ConfigChange {
  readonly sink?: string
  readonly tokenEnv?: string | null
  readonly numbers?: Partial<Record<NumericSetting, number>>
}

/** The configuration as shown (`--json` and text): the sink without a query string, its scope id. */
export const shownConfig = (config: SyncConfig, runtimeRoot: string) => ({
  runtime_root: runtimeRoot,
  sink: config.sink === null ? null : displaySink(config.sink.url),
  token_env: config.sink?.token_env ?? null,
  scope_id: config.sink === null ? null : scopeIdOf(config.sink.url),
  warn_after_seconds: config.warn_after_seconds,
  idle_retire_seconds: config.idle_retire_seconds,
  delivery: config.delivery
})

/** Applies a change to the configuration (each value checked) and writes it when anything changed. */
export const configure = (change: ConfigChange) =>
  Effect.gen(function*() {
    const rt = yield* runtimeOf
    const current = yield* readConfig(rt)
    let next: SyncConfig = current
    if (change.sink !== undefined) {
      const url = yield* checkSinkUrl(change.sink)
      next = { ...next, sink: { url, token_env: next.sink?.token_env ?? null } }
    }
    if (change.tokenEnv !== undefined) {
      if (next.sink === null) {
        return yield* Either.left(configInvalid("token_env", change.tokenEnv, "a sink first (--sink URL, in the same command or before)"))
      }
      const tokenEnv = change.tokenEnv === null ? null : yield* checkTokenEnv(change.tokenEnv)
      next = { ...next, sink: { ...next.sink, token_env: tokenEnv } }
    }
    for (const [key, value] of Object.entries(change.numbers ?? {}) as Array<[NumericSetting, number]>) {
      const v = yield* checkNumber(key, value)
      next = key === "warn_after_seconds" || key === "idle_retire_seconds"
        ? { ...next, [key]: v }
        : { ...next, delivery: { ...next.delivery, [key]: v } }
    }
    const changed = JSON.stringify(next) !== JSON.stringify(current)
    if (changed) yield* writeConfig(rt, next)
    return { changed, config: shownConfig(next, rt.root) }
  })

/** The canonical primary root of the project containing `path` (resolved from `cwd`). */
const projectRootOf = (cwd: string, path: string | undefined) =>
  Effect.gen(function*() {
    const settings = yield* Settings
    const start = path === undefined ? cwd : resolvePath(cwd, path)
    const location = yield* discoverPrimaryRoot(start).pipe(
      Effect.provideService(Settings, { ...settings, specifyRepoRoot: undefined })
    )
    return location.primaryRoot
  })

/** Registers the project containing `path` (default: the current directory). */
export const register = (cwd: string, path: string | undefined) =>
  Effect.gen(function*() {
    const root = yield* projectRootOf(cwd, path)
    const rt = yield* runtimeOf
    const list = yield* readProjects(rt)
    if (list.projects.some((p) => p.root === root)) return { root, registered: false, already: true }
    const now = formatIsoUtcMillis(yield* Clock.currentTimeMillis)
    yield* writeProjects(rt, { projects: [...list.projects, { root, registered_at: now }] })
    return { root, registered: true, already: false }
  })

/**
 * Unregisters a project: by its canonical root when the path still resolves to a project, else by the
 * path as registered (a project that was deleted can still be removed).
 */
export const unregister = (cwd: string, path: string | undefined) =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const rt = yield* runtimeOf
    const list = yield* readProjects(rt)
    const given = path === undefined ? cwd : resolvePath(cwd, path)
    const resolved = yield* Effect.either(projectRootOf(cwd, path))
    const real = (yield* fs.realpath(given).pipe(Effect.orElseSucceed(() => null))) ?? given
    const candidates = new Set([given, real, ...(Either.isRight(resolved) ? [resolved.right] : [])])
    const kept = list.projects.filter((p) => !candidates.has(p.root))
    if (kept.length === list.projects.length) {
      if (Either.isLeft(resolved)) return yield* Either.left(resolved.left)
      return { root: resolved.right, unregistered: false }
    }
    yield* writeProjects(rt, { projects: kept })
    const removed = list.projects.filter((p) => candidates.has(p.root)).map((p) => p.root)
    return { root: removed[0], unregistered: true }
  })
