/**
 * Starting, inspecting and stopping the dashboard (docs/surfaces.md §7.5). This is the one dashboard
 * module that writes: the lifecycle file `.kittify/.dashboard` (atomic, 0600, through `RepoWrite`) and
 * its removal. It reuses a healthy instance of its own, replaces an unhealthy one through the
 * identity-checked stop, refuses a live spec-kitty dashboard (never signalled), spawns the server
 * detached with the token on stdin only, and waits for the new instance's health. Nothing here sweeps
 * ports or signals a process it cannot attribute.
 */
import { Effect, Either } from "effect"
import type { PortRange } from "../../core/background/LoopbackRules.js"
import { healthMatches } from "../../core/background/LoopbackRules.js"
import { DashboardErrors } from "../../core/dashboard/DashboardError.js"
import type { DashboardError } from "../../core/dashboard/DashboardError.js"
import { isOwnRecord, OWNER, parseLifecycle, renderLifecycle } from "../../core/dashboard/LifecycleFile.js"
import type { LifecycleRecord } from "../../core/dashboard/LifecycleFile.js"
import type { ProcessIdentity } from "../../core/process/ProcessIdentity.js"
import type { BackgroundError } from "../../core/background/BackgroundError.js"
import type { ContextError } from "../../core/context/ContextError.js"
import { dashboardFile, dashboardLog, kittifyDir } from "../../core/repo/Naming.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { awaitHealthy, fetchHealth } from "../background/Health.js"
import { pickFreePort } from "../background/PortPicker.js"
import { stopInstance } from "../background/StopInstance.js"
import { terminate } from "../background/Terminate.js"
import { discoverPrimaryRoot } from "../context/RootLocator.js"
import type { GitReader } from "../ports/Git.js"
import type { Loopback } from "../ports/Loopback.js"
import { Processes } from "../ports/Processes.js"
import { RepoFs } from "../ports/RepoFs.js"
import { RepoWrite, repositoryScope } from "../ports/RepoWrite.js"
import type { Settings } from "../ports/Settings.js"
import { Spawner } from "../ports/Spawner.js"
import { randomBytes, randomUUID } from "../ports/Crypto.js"

/** §7.5: the ports tried when no `--port` is given (or it is taken). */
export const DASHBOARD_PORTS: PortRange = { first: 9237, last: 9336 }

/** How long a new server has to become healthy, and the probe backoff. */
const START_TIMEOUT_MS = 20_000
/** How long a stopped server has to exit after the shutdown request. */
const STOP_GRACE_MS = 5_000

/** What the lifecycle needs. */
export type LifecycleRequirements = RepoFs | RepoWrite | GitReader | Settings | Processes | Loopback | Spawner

/** What a lifecycle command can fail with. */
export type LifecycleError = DashboardError | ContextError | GitError | IoError | BackgroundError

/** A running (or reused) instance. */
export interface DashboardInstance {
  readonly started: boolean
  readonly url: string
  readonly port: number
  readonly pid: number
  readonly instance_id: string
  readonly project_path: string
}

const urlOf = (port: number) => `http://127.0.0.1:${port}`

const locate = (cwd: string) =>
  Effect.map(discoverPrimaryRoot(cwd), (location) => ({
    root: location.primaryRoot,
    scope: repositoryScope(location.primaryRoot, location.commonDir),
    file: dashboardFile(location.primaryRoot),
    log: dashboardLog(location.commonDir)
  }))

const readRecord = (file: string): Effect.Effect<LifecycleRecord | null, DashboardError | IoError, RepoFs> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const text: string | null = yield* fs.readText(file, { noFollow: true, maxBytes: 64 * 1024 }).pipe(
      Effect.mapError((e): DashboardError | IoError =>
        e.code === "FILE_NOT_UTF8" || e.code === "SYMLINK_REFUSED" || e.code === "NOT_A_REGULAR_FILE"
          ? DashboardErrors.lifecycleInvalid(file, e.message)
          : e
      )
    )
    if (text === null) return null
    const parsed = parseLifecycle(text)
    return typeof parsed === "string" ? yield* DashboardErrors.lifecycleInvalid(file, parsed) : parsed
  })

const identityOf = (r: LifecycleRecord): ProcessIdentity | null =>
  r.pid === null ? null : { pid: r.pid, started_at: r.extra.pid_started_at ?? null }

/** The expected health fields of a recorded instance. */
const expectedOf = (r: LifecycleRecord, root: string) => ({ instance_id: r.extra.instance_id ?? "", project_path: root })

/** A spec-kitty record whose pid still names a process (a pid alone is all it records). */
const foreignAlive = (r: LifecycleRecord) =>
  Effect.gen(function*() {
    if (r.pid === null) return false
    const processes = yield* Processes
    return (yield* processes.probe({ pid: r.pid, started_at: null })) !== "dead"
  })

/** `kittyctx dashboard`: reuse, replace or start (§7.5 steps 1-5). */
export const startDashboard = (request: {
  readonly cwd: string
  readonly port: number | null
  readonly version: string
}): Effect.Effect<DashboardInstance, LifecycleError, LifecycleRequirements> =>
  Effect.gen(function*() {
    const { file, log, root, scope } = yield* locate(request.cwd)
    const write = yield* RepoWrite
    const processes = yield* Processes
    const spawner = yield* Spawner
    const existing = yield* readRecord(file)
    if (existing !== null) {
      if (isOwnRecord(existing)) {
        const identity = identityOf(existing)
        const liveness = identity === null ? "dead" : yield* processes.probe(identity)
        const health = liveness === "dead" || liveness === "reused" ? null : yield* fetchHealth(existing.port)
        if (identity !== null && liveness !== "dead" && liveness !== "reused" && healthMatches(health, expectedOf(existing, root))) {
          return {
            started: false,
            url: urlOf(existing.port),
            port: existing.port,
            pid: identity.pid,
            instance_id: existing.extra.instance_id ?? "",
            project_path: root
          }
        }
        if (identity !== null && liveness === "alive") {
          yield* stopInstance({ identity, port: existing.port, token: existing.token, graceMs: STOP_GRACE_MS })
        }
      } else if (yield* foreignAlive(existing)) {
        return yield* DashboardErrors.foreignRunning(file, existing.pid!, existing.url)
      }
      yield* write.remove(scope, file)
    }

    const port = yield* pickFreePort(DASHBOARD_PORTS, request.port)
    if (port === null) return yield* DashboardErrors.portUnavailable(DASHBOARD_PORTS.first, DASHBOARD_PORTS.last, request.port)
    const token = randomBytes(16).toString("hex")
    const instanceId = randomUUID()
    yield* write.makeDirectory(scope, kittifyDir(root))
    const identity = yield* spawner.spawnDetached({
      argv: [spawner.self.executable, spawner.self.entry, "dashboard", "serve", "--port", String(port), "--project", root],
      cwd: root,
      secret: { token, instance_id: instanceId },
      log: { scope, path: log }
    })
    const healthy = yield* awaitHealthy({
      port,
      expected: { instance_id: instanceId, project_path: root, pid: identity.pid },
      totalMs: START_TIMEOUT_MS,
      firstMs: 100,
      maxMs: 500,
      gone: Effect.map(processes.probe(identity), (l) => l === "dead" || l === "reused")
    })
    if (!healthy) {
      const killed = yield* terminate(identity)
      return yield* DashboardErrors.startFailed("the server did not become healthy", {
        port,
        pid: identity.pid,
        log,
        reaped: killed.reaped
      })
    }
    const record: LifecycleRecord = {
      url: urlOf(port),
      port,
      token,
      pid: identity.pid,
      extra: {
        pid_started_at: identity.started_at ?? "",
        instance_id: instanceId,
        owner: OWNER,
        version: request.version
      }
    }
    yield* write.writeFile(scope, file, renderLifecycle(record), { mode: 0o600 })
    return { started: true, url: urlOf(port), port, pid: identity.pid, instance_id: instanceId, project_path: root }
  })

/** Opens a URL with the system's opener (detached; its output goes to the dashboard log). False when it cannot start. */
export const openInBrowser = (
  cwd: string,
  url: string,
  opener: string | null
): Effect.Effect<boolean, LifecycleError, RepoFs | RepoWrite | GitReader | Settings | Spawner> =>
  Effect.gen(function*() {
    if (opener === null) return false
    const { log, root, scope } = yield* locate(cwd)
    const spawner = yield* Spawner
    return yield* spawner.spawnDetached({ argv: [opener, url], cwd: root, secret: null, log: { scope, path: log } }).pipe(
      Effect.as(true),
      Effect.orElseSucceed(() => false)
    )
  })

/** What `dashboard --status` reports. */
export interface DashboardStatus {
  readonly running: boolean
  readonly owner: "kittyctx" | "spec-kitty" | null
  readonly url?: string
  readonly port?: number
  readonly pid?: number | null
  readonly liveness?: string
  readonly healthy?: boolean
  readonly live_updates?: unknown
  readonly instance_id?: string
}

/** `kittyctx dashboard --status`: the recorded instance, probed (never changed). */
export const dashboardStatus = (cwd: string): Effect.Effect<DashboardStatus, LifecycleError, RepoFs | GitReader | Settings | Processes | Loopback> =>
  Effect.gen(function*() {
    const { file, root } = yield* locate(cwd)
    const processes = yield* Processes
    const record = yield* readRecord(file)
    if (record === null) return { running: false, owner: null }
    const identity = identityOf(record)
    if (!isOwnRecord(record)) {
      const alive = yield* foreignAlive(record)
      return { running: alive, owner: "spec-kitty", url: record.url, port: record.port, pid: record.pid }
    }
    const liveness = identity === null ? "dead" : yield* processes.probe(identity)
    const health = liveness === "alive" ? yield* fetchHealth(record.port) : null
    const healthy = healthMatches(health, expectedOf(record, root))
    return {
      running: liveness === "alive" && healthy,
      owner: "kittyctx",
      url: record.url,
      port: record.port,
      pid: record.pid,
      liveness,
      healthy,
      instance_id: record.extra.instance_id ?? "",
      ...(health === null ? {} : { live_updates: health.live_updates })
    }
  })

/** What `dashboard --kill` did. */
export interface KillOutcome {
  readonly stopped: boolean
  readonly via?: string | null
  readonly liveness?: string
  readonly failure?: string
}

/** `kittyctx dashboard --kill`: shutdown with the token, bounded wait, the kill path; the file is removed. */
export const killDashboard = (cwd: string): Effect.Effect<KillOutcome, LifecycleError, RepoFs | RepoWrite | GitReader | Settings | Processes | Loopback> =>
  Effect.gen(function*() {
    const { file, scope } = yield* locate(cwd)
    const write = yield* RepoWrite
    const record = yield* readRecord(file).pipe(Effect.either)
    if (Either.isLeft(record)) {
      if (record.left._tag === "DashboardError") {
        yield* write.remove(scope, file)
        return { stopped: false, failure: record.left.message }
      }
      return yield* record.left
    }
    if (record.right === null) return { stopped: false }
    const r = record.right
    if (!isOwnRecord(r)) {
      if (yield* foreignAlive(r)) return yield* DashboardErrors.foreignRunning(file, r.pid!, r.url)
      yield* write.remove(scope, file)
      return { stopped: false, liveness: "dead" }
    }
    const identity = identityOf(r)
    if (identity === null) {
      yield* write.remove(scope, file)
      return { stopped: false }
    }
    const outcome = yield* stopInstance({ identity, port: r.port, token: r.token, graceMs: STOP_GRACE_MS })
    yield* write.remove(scope, file)
    return {
      stopped: outcome.wasRunning && outcome.stopped,
      via: outcome.via,
      liveness: outcome.liveness,
      ...(outcome.failure === undefined ? {} : { failure: outcome.failure })
    }
  })
