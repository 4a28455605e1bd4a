/**
 * `sync status` and the backlog warning (docs/surfaces.md §8.5): per registered project, the events not
 * yet delivered and the oldest one's age, the last success, consecutive failures and dead letters, and
 * the daemon's state. Everything is read read-only (logs through the status reader, cursors and state
 * from the runtime root); nothing is locked or written. The warning is what every status-writing command
 * prints when events have waited longer than the threshold and no daemon is alive: delivery is never
 * silently stuck.
 */
import { Clock, Effect, Either } from "effect"
import { NO_DELIVERY } from "../../core/sync/SyncRecords.js"
import { displaySink } from "../../core/sync/SyncConfig.js"
import { redactedOwner } from "../../core/sync/DaemonOwner.js"
import { discoverPrimaryRoot } from "../context/RootLocator.js"
import { daemonState } from "./DaemonRecord.js"
import type { DaemonState } from "./DaemonRecord.js"
import { eachSlice, openLog, projectSources, sourceOf } from "./LogSources.js"
import type { LogSource } from "./LogSources.js"
import type { StatusTarget } from "../status/StatusReader.js"
import { deadLettersByProject, readConfig, readProjects, readState, runtimeOf, scopeIdOf } from "./SyncStore.js"
import type { Runtime } from "./SyncStore.js"

/** What is left to deliver from one log. */
export interface LogBacklog {
  readonly pending: number
  /** Epoch ms of the oldest pending event's own time (null when none has a readable time). */
  readonly oldestMs: number | null
  readonly rescanned: boolean
}

/** The backlog of one log (its cursor against its current bytes, read slice by slice); zero when the log does not exist. */
export const logBacklog = (rt: Runtime, scopeId: string, source: LogSource) =>
  Effect.gen(function*() {
    const log = yield* openLog(rt, scopeId, source)
    if (log === null) return { pending: 0, oldestMs: null, rescanned: false } satisfies LogBacklog
    let oldest: number | null = null
    let pending = 0
    yield* eachSlice(rt, scopeId, log, (slice) =>
      Effect.sync(() => {
        pending += slice.backlog.pending.length
        for (const e of slice.backlog.pending) {
          const t = e.time === null ? Number.NaN : Date.parse(e.time)
          if (!Number.isNaN(t) && (oldest === null || t < oldest)) oldest = t
        }
      }))
    return { pending, oldestMs: oldest, rescanned: log.rescanned } satisfies LogBacklog
  })

/** The daemon's state as shown: the token never appears. */
export const shownDaemon = (state: DaemonState) => {
  switch (state._tag) {
    case "Absent":
      return { running: false, state: "absent" as const, owner: null }
    case "Unreadable":
      return { running: false, state: "unreadable" as const, owner: null, path: state.path, problem: state.problem }
    case "Recorded":
      return { running: state.liveness === "alive", state: state.liveness, owner: redactedOwner(state.owner) }
  }
}

const ageSeconds = (nowMs: number, ms: number | null) => (ms === null ? null : Math.max(0, Math.floor((nowMs - ms) / 1000)))

/** The `sync status` report. */
export const syncStatus = Effect.gen(function*() {
  const rt = yield* runtimeOf
  const config = yield* readConfig(rt)
  const list = yield* readProjects(rt)
  if (config.sink === null) {
    return {
      configured: false as const,
      runtime_root: rt.root,
      projects: list.projects.map((p) => ({ root: p.root, registered_at: p.registered_at }))
    }
  }
  const scopeId = scopeIdOf(config.sink.url)
  const state = yield* readState(rt, scopeId)
  const dead = yield* deadLettersByProject(rt, scopeId)
  const daemon = yield* daemonState(rt, scopeId)
  const now = yield* Clock.currentTimeMillis
  const projects = yield* Effect.forEach(list.projects, (p) =>
    Effect.gen(function*() {
      const found = yield* projectSources(p.root)
      const missions = yield* Effect.forEach(found.sources, (s) =>
        Effect.map(Effect.either(logBacklog(rt, scopeId, s)), (b) =>
          Either.isRight(b)
            ? { mission: s.missionSlug, pending: b.right.pending, oldest_pending_age_seconds: ageSeconds(now, b.right.oldestMs), rescan_needed: b.right.rescanned }
            : { mission: s.missionSlug, pending: null, error: { code: b.left.code, message: b.left.message } }))
      const pending = missions.reduce((a, m) => a + (m.pending ?? 0), 0)
      const ages = missions.map((m) => ("oldest_pending_age_seconds" in m ? m.oldest_pending_age_seconds : null)).filter((a): a is number => a !== null)
      const delivery = state.projects[p.root] ?? NO_DELIVERY
      return {
        root: p.root,
        registered_at: p.registered_at,
        pending,
        oldest_pending_age_seconds: ages.length === 0 ? null : Math.max(...ages),
        ...delivery,
        dead_letters: dead.get(p.root) ?? 0,
        missions: missions.filter((m) => m.pending !== 0),
        skipped: found.skipped,
        error: found.error
      }
    }))
  return {
    configured: true as const,
    runtime_root: rt.root,
    scope_id: scopeId,
    sink: displaySink(config.sink.url),
    warn_after_seconds: config.warn_after_seconds,
    daemon: shownDaemon(daemon),
    projects
  }
})

/** How long the oldest pending event of a mission has waited, for the warning. */
export interface BacklogWarning {
  readonly pending: number
  readonly age_seconds: number
  readonly message: string
}

/**
 * The backlog warning after a status write to `written` (the target the write resolved, run from `cwd`):
 * when a sink is configured, the project is registered, no daemon is alive, and the mission's oldest
 * undelivered event is older than the threshold. Any failure means no warning (the command that asks has
 * already succeeded).
 */
export const backlogWarning = (cwd: string, written: StatusTarget) =>
  Effect.gen(function*() {
    const rt = yield* runtimeOf
    const config = yield* readConfig(rt)
    if (config.sink === null) return null
    const location = yield* discoverPrimaryRoot(cwd)
    const list = yield* readProjects(rt)
    if (!list.projects.some((p) => p.root === location.primaryRoot)) return null
    const scopeId = scopeIdOf(config.sink.url)
    const daemon = yield* daemonState(rt, scopeId)
    if (daemon._tag === "Recorded" && daemon.liveness === "alive") return null
    // the log the status write just wrote: its resolved target, not a second resolution
    const b = yield* logBacklog(rt, scopeId, sourceOf(written, location.primaryRoot))
    const now = yield* Clock.currentTimeMillis
    const age = ageSeconds(now, b.oldestMs)
    if (b.pending === 0 || age === null || age < config.warn_after_seconds) return null
    return {
      pending: b.pending,
      age_seconds: age,
      message: `${b.pending} status event(s) of this mission have waited ${humanAge(age)} for the sync sink and no sync daemon is ` +
        "running; run 'kittyctx sync push' (or 'kittyctx sync daemon start')"
    } satisfies BacklogWarning
  }).pipe(Effect.orElseSucceed(() => null))

/** `3h 5m`, `12m`, `40s`. */
export const humanAge = (seconds: number): string => {
  if (seconds < 60) return `${seconds}s`
  const m = Math.floor(seconds / 60)
  if (m < 60) return `${m}m`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h ${m % 60}m`
  return `${Math.floor(h / 24)}d ${h % 24}h`
}
