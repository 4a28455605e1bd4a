/**
 * `sync daemon start|stop|status|reap` (docs/surfaces.md §8.3, §8.4): at most one daemon per (host,
 * runtime root, scope). Starting runs under the scope's spawn lock (the one lock primitive): reuse a
 * healthy daemon of this build, stop a mismatched or unhealthy one through the shared stop helper (token
 * shutdown, bounded wait, then the identity-checked kill path), reap orphans, pick a free loopback port,
 * spawn detached through the one spawner with the token on stdin, and wait for the new instance's health.
 * Nothing that cannot be attributed to a recorded identity is ever signalled.
 */
import { Effect } from "effect"
import { lockPathOf, syncScopeFile } from "../../core/repo/Naming.js"
import { DAEMON_PORT_RANGE, ownerIdentity, PROTOCOL_VERSION, redactedOwner } from "../../core/sync/DaemonOwner.js"
import type { OwnerRecord } from "../../core/sync/DaemonOwner.js"
import { daemonArgv } from "../../core/sync/DaemonProcess.js"
import { syncError } from "../../core/sync/SyncError.js"
import { awaitHealthy, fetchHealth } from "../background/Health.js"
import { pickFreePort } from "../background/PortPicker.js"
import { stopInstance } from "../background/StopInstance.js"
import { terminate } from "../background/Terminate.js"
import { FileLock, lockTimeoutAs } from "../ports/FileLock.js"
import { Processes } from "../ports/Processes.js"
import { Settings } from "../ports/Settings.js"
import { Spawner } from "../ports/Spawner.js"
import { ownerPathOf, readOwner } from "./DaemonRecord.js"
import { configuredSink, headersOf } from "./Delivery.js"
import { reapOrphans } from "./Reaper.js"
import type { ReapReport } from "./Reaper.js"
import { RuntimeFiles } from "./RuntimeFiles.js"
import type { Runtime } from "./RuntimeFiles.js"
import { readConfig, readProjects, runtimeOf, scopeDirOf, scopeIdOf } from "./SyncStore.js"
import { randomBytes, randomUUID } from "../ports/Crypto.js"

/** How long a start waits for the new daemon's health. */
export const HEALTH_WAIT_MS = 10_000
/** How long a superseded daemon gets to shut down after the request, before the kill path. */
export const SUPERSEDE_GRACE_MS = 3_000
/** How many children one start spawns at most when each exits before answering (a port taken under it). */
export const START_ATTEMPTS = 3
/** How long `sync daemon stop` waits after the shutdown request, before the kill path. */
export const STOP_GRACE_MS = 5_000

/** What `sync daemon start` did. */
export type StartOutcome =
  | { readonly started: false; readonly skipped_reason: string }
  | {
    readonly started: boolean
    readonly reused: boolean
    readonly pid: number
    readonly port: number
    readonly url: string
    readonly scope_id: string
    readonly reaped: ReadonlyArray<number>
  }

/** Runs `effect` under a scope's spawn lock; a lock that stays taken is `DAEMON_START_FAILED`. */
const withSpawnLock = (rt: Runtime, scopeId: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(FileLock, (locks) =>
    locks.withExclusive({ path: lockPathOf(rt.root, { _tag: "SyncSpawn", scopeId }), scope: rt.scope })(effect).pipe(
      lockTimeoutAs((e) =>
        syncError("DAEMON_START_FAILED", `could not acquire the daemon lock within ${e.timeoutMs} ms`, { lock: e.path, holder: e.holder })
      )
    ))

/** True when a recorded daemon is this build serving this root and scope. */
const sameBuild = (owner: OwnerRecord, rt: Runtime, scopeId: string, self: { executable: string; entry: string }, version: string) =>
  owner.protocol_version === PROTOCOL_VERSION && owner.kittyctx_version === version && owner.executable_path === self.executable &&
  owner.entry_path === self.entry && owner.runtime_root === rt.root && owner.scope_id === scopeId

const url = (port: number) => `http://127.0.0.1:${port}`

/** `ensureDaemonRunning` with the explicit intent (docs/surfaces.md §8.3). */
export const startDaemon = (version: string) =>
  Effect.gen(function*() {
    const settings = yield* Settings
    if (yield* settings.daemonDisabled) return { started: false, skipped_reason: "KITTYCTX_DAEMON_DISABLE is set" } as StartOutcome
    const rt = yield* runtimeOf
    const config = yield* readConfig(rt)
    if (config.sink === null) return { started: false, skipped_reason: "no_sink_configured" } as StartOutcome
    yield* headersOf(config) // a daemon whose token variable is unset would fail every round: refuse now
    const scopeId = scopeIdOf(config.sink.url)
    // a healthy daemon of this build is reused without queueing on the lock (reuse changes nothing)
    const reusable = yield* reusableDaemon(rt, scopeId, version)
    if (reusable !== null) return reusable
    return yield* withSpawnLock(rt, scopeId)(lockedStart(rt, scopeId, version))
  })

/** How long the reuse decision waits for a health answer (a busy machine must not make a healthy daemon look dead). */
export const REUSE_HEALTH_TIMEOUT_MS = 2_000

/** The recorded daemon when it is alive, healthy and this build; otherwise null. */
const reusableDaemon = (rt: Runtime, scopeId: string, version: string) =>
  Effect.gen(function*() {
    const processes = yield* Processes
    const spawner = yield* Spawner
    const existing = yield* readOwner(rt, scopeId)
    if (existing === null || (yield* processes.probe(ownerIdentity(existing))) !== "alive") return null
    const health = yield* fetchHealth(existing.port, REUSE_HEALTH_TIMEOUT_MS)
    if (health === null || health.status !== "ok" || health.instance_id !== existing.instance_id) return null
    if (!sameBuild(existing, rt, scopeId, spawner.self, version)) return null
    return { started: false, reused: true, pid: existing.pid, port: existing.port, url: url(existing.port), scope_id: scopeId, reaped: [] } as StartOutcome
  })

const lockedStart = (rt: Runtime, scopeId: string, version: string) =>
  Effect.gen(function*() {
    const processes = yield* Processes
    const spawner = yield* Spawner
    const files = yield* RuntimeFiles
    // 1-2. reuse, or stop a mismatched or unhealthy daemon
    const reusable = yield* reusableDaemon(rt, scopeId, version)
    if (reusable !== null) return reusable
    const existing = yield* readOwner(rt, scopeId)
    if (existing !== null) {
      const identity = ownerIdentity(existing)
      if ((yield* processes.probe(identity)) === "alive") {
        const health = yield* fetchHealth(existing.port, REUSE_HEALTH_TIMEOUT_MS)
        const healthy = health !== null && health.status === "ok" && health.instance_id === existing.instance_id
        const stopped = yield* stopInstance({
          identity,
          port: healthy ? existing.port : null,
          token: healthy ? existing.token : null,
          graceMs: SUPERSEDE_GRACE_MS
        })
        if (!stopped.stopped) {
          return yield* syncError("DAEMON_START_FAILED", `the previous daemon (pid ${existing.pid}) could not be stopped: ${stopped.failure ?? stopped.liveness}`, {
            pid: existing.pid
          })
        }
      }
    }
    // 3. reap orphans (never fails the start)
    const reap = yield* reapOrphans(rt, { dryRun: false, lockedScope: scopeId }).pipe(
      Effect.orElseSucceed((): ReapReport => ({ reaped: [], would_reap: [], skipped: [], failed: [] }))
    )
    // 4-6. a free port, a fresh token, the detached child and its health; a child that exits before it
    // answers (another process bound the port between the probe and its own bind) is tried again on the next free port
    const logPath = syncScopeFile(rt.root, scopeId, "daemonLog")
    yield* files.makeDirectory(scopeDirOf(rt, scopeId))
    let started: { readonly pid: number; readonly port: number } | null = null
    for (let attempt = 1; started === null; attempt++) {
      const port = yield* pickFreePort(DAEMON_PORT_RANGE, null)
      if (port === null) {
        return yield* syncError("DAEMON_START_FAILED", `no free loopback port in ${DAEMON_PORT_RANGE.first}-${DAEMON_PORT_RANGE.last}`)
      }
      const token = randomBytes(16).toString("hex")
      const instanceId = randomUUID()
      const child = yield* spawner.spawnDetached({
        argv: daemonArgv(spawner.self, rt.root, scopeId, port),
        cwd: rt.root,
        secret: { token, instance_id: instanceId },
        log: { scope: rt.scope, path: logPath }
      })
      const gone = Effect.map(processes.probe(child), (l) => l !== "alive")
      const healthy = yield* awaitHealthy({
        port,
        expected: { instance_id: instanceId, scope_id: scopeId },
        totalMs: HEALTH_WAIT_MS,
        firstMs: 50,
        maxMs: 500,
        gone
      })
      if (healthy) started = { pid: child.pid, port }
      else if (!(yield* gone) || attempt >= START_ATTEMPTS) {
        yield* terminate(child)
        return yield* syncError("DAEMON_START_FAILED", `the daemon did not become healthy; see ${logPath}`, { log: logPath, pid: child.pid })
      }
    }
    const { pid, port } = started
    return {
      started: true,
      reused: false,
      pid,
      port,
      url: url(port),
      scope_id: scopeId,
      reaped: reap.reaped
    } as StartOutcome
  })

/** `sync daemon stop`: token shutdown, bounded wait, then the kill path; a stale record is removed. */
export const stopDaemon = Effect.gen(function*() {
  const { rt, scopeId } = yield* configuredSink
  const files = yield* RuntimeFiles
  const owner = yield* readOwner(rt, scopeId)
  if (owner === null) return { stopped: false, running: false, via: null, liveness: "absent" }
  const outcome = yield* stopInstance({ identity: ownerIdentity(owner), port: owner.port, token: owner.token, graceMs: STOP_GRACE_MS })
  // the record is stale once its process is gone (dead, or the pid now names another process)
  if (outcome.stopped || outcome.liveness === "dead" || outcome.liveness === "reused") {
    const current = yield* Effect.either(readOwner(rt, scopeId))
    if (current._tag === "Right" && current.right?.instance_id === owner.instance_id) yield* files.remove(ownerPathOf(rt, scopeId))
  }
  if (outcome.wasRunning && !outcome.stopped) {
    return yield* syncError("DAEMON_STOP_FAILED", `the daemon (pid ${owner.pid}) did not stop: ${outcome.failure ?? "unknown"}`, {
      pid: owner.pid,
      via: outcome.via
    })
  }
  return { stopped: outcome.wasRunning && outcome.stopped, running: false, via: outcome.via, liveness: outcome.liveness }
})

/** `sync daemon status`: the owner (token redacted), its health, the projects, and how the reaper judges every marked process. */
export const daemonStatus = Effect.gen(function*() {
  const { rt, scopeId } = yield* configuredSink
  const processes = yield* Processes
  const owner = yield* Effect.either(readOwner(rt, scopeId))
  const projects = (yield* readProjects(rt)).projects.map((p) => p.root)
  const orphans = yield* reapOrphans(rt, { dryRun: true, lockedScope: null })
  if (owner._tag === "Left") {
    return { scope_id: scopeId, running: false, healthy: false, owner: null, owner_problem: owner.left.message, health: null, projects, orphans }
  }
  if (owner.right === null) return { scope_id: scopeId, running: false, healthy: false, owner: null, health: null, projects, orphans }
  const liveness = yield* processes.probe(ownerIdentity(owner.right))
  const health = liveness === "alive" ? yield* fetchHealth(owner.right.port) : null
  const healthy = health !== null && health.instance_id === owner.right.instance_id
  return { scope_id: scopeId, running: liveness === "alive", healthy, liveness, owner: redactedOwner(owner.right), health, projects, orphans }
})

/** `sync daemon reap [--dry-run]`: under this scope's spawn lock when a sink is configured. */
export const reapCommand = (dryRun: boolean) =>
  Effect.gen(function*() {
    const rt = yield* runtimeOf
    const config = yield* readConfig(rt)
    if (config.sink === null) return yield* reapOrphans(rt, { dryRun, lockedScope: null })
    const scopeId = scopeIdOf(config.sink.url)
    return yield* withSpawnLock(rt, scopeId)(reapOrphans(rt, { dryRun, lockedScope: scopeId }))
  })
