/**
 * The sync daemon (docs/surfaces.md §8.2, §8.5, §8.6): an optional accelerator that runs the same
 * delivery round as `sync push` whenever a watched status log changes (and on a full rescan every 60 s),
 * behind a loopback control plane (health without a token; wake and shutdown with it). It writes its
 * owner record once, right after binding, and removes it at exit only if the record still names it. It
 * retires by itself when superseded (the record names another live instance), orphaned (the record is
 * gone, unreadable, or names a dead instance) or idle. Like `sync push`, it reads repositories read-only
 * and writes only under the runtime root.
 */
import { HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Cause, Clock, Console, Deferred, Duration, Effect, Exit, Fiber, Queue, Random, Ref, Scope, Stream } from "effect"
import { isAllowedHost } from "../../core/background/LoopbackRules.js"
import { refuseControlRequest } from "../background/ControlRequest.js"
import type { ProcessIdentity } from "../../core/process/ProcessIdentity.js"
import { missionsRoot, SYNC_SCOPE_FILES } from "../../core/repo/Naming.js"
import { basenamePath, dirnamePath } from "../../core/repo/Paths.js"
import { backoffCeilingMs, fullJitterMs } from "../../core/sync/Backoff.js"
import { encodeOwner, PROTOCOL_VERSION } from "../../core/sync/DaemonOwner.js"
import { scopeIdOf } from "./SyncStore.js"
import type { OwnerRecord } from "../../core/sync/DaemonOwner.js"
import { ownerIdentity } from "../../core/sync/DaemonOwner.js"
import { FileWatch } from "../ports/FileWatch.js"
import { Processes } from "../ports/Processes.js"
import { deliverRound } from "./Delivery.js"
import type { DeliveryRequirements, RoundOutcome } from "./Delivery.js"
import { ownerPathOf, readOwner } from "./DaemonRecord.js"
import { projectSources } from "./LogSources.js"
import type { ProjectSources } from "./LogSources.js"
import { RuntimeFiles } from "./RuntimeFiles.js"
import type { Runtime } from "./RuntimeFiles.js"
import { readConfig, readProjects, scopeDirOf, syncDirOf } from "./SyncStore.js"
import { formatIsoUtcMillis } from "../../core/status/Ulid.js"

/** What one daemon instance is. */
export interface DaemonConfig {
  readonly rt: Runtime
  readonly scopeId: string
  readonly port: number
  readonly token: string
  readonly instanceId: string
  readonly version: string
  readonly identity: ProcessIdentity
  readonly executable: string
  readonly entry: string
  readonly sinkUrl: string
}

/** Everything the daemon program needs: the delivery round's services, watching, the process table and the server. */
export type DaemonRequirements = DeliveryRequirements | FileWatch | Processes | HttpServer.HttpServer

/** How often the daemon checks whether to retire (also at once when its owner record or the configuration changes). */
export const RETIRE_CHECK_MS = 30_000
/** How often every project's missions are resolved again (new missions, moved status surfaces). */
export const RESCAN_MS = 60_000
/** Changes within this window are delivered in one round. */
export const DEBOUNCE_MS = 250
/** With no registered project for this long, the daemon retires. */
export const NO_PROJECT_RETIRE_MS = 60_000
/** How long retirement waits for the round in flight. */
export const FLUSH_MS = 5_000

/** Why the daemon stopped. */
export type Retirement = "shutdown" | "superseded" | "orphaned" | "reconfigured" | "idle" | "no_projects"

const json = (status: number, body: unknown) =>
  HttpServerResponse.unsafeJson(body, { status, headers: { "cache-control": "no-cache", "x-content-type-options": "nosniff" } })

/** Runs the daemon until it retires or is told to stop; returns why it stopped. */
export const runDaemon = (config: DaemonConfig): Effect.Effect<Retirement, never, DaemonRequirements> =>
  Effect.scoped(
    Effect.gen(function*() {
      const files = yield* RuntimeFiles
      const processes = yield* Processes
      const watch = yield* FileWatch
      const now = Clock.currentTimeMillis
      const log = (line: string) => Effect.flatMap(now, (t) => Console.log(`${formatIsoUtcMillis(t)} ${line}`))
      const startedMs = yield* now
      const stop = yield* Deferred.make<Retirement>()
      // a wake-up (coalesced) and whether the next round must resolve every project's missions again
      const wakeUp = yield* Queue.sliding<void>(1)
      const needRescan = yield* Ref.make(true)
      const signal = (kind: "change" | "wake" | "timer" | "rescan") =>
        Effect.zipRight(kind === "rescan" ? Ref.set(needRescan, true) : Effect.void, wakeUp.offer(undefined))
      const lastActivity = yield* Ref.make(startedMs)
      const noProjectsSince = yield* Ref.make<number | null>(null)
      const refreshed = yield* Ref.make(false)
      const stats = yield* Ref.make({
        last_success_at: null as string | null,
        consecutive_failures: 0,
        next_attempt_at: null as string | null,
        pending: null as number | null,
        last_error: null as string | null,
        rounds: 0
      })
      const inFlight = yield* Ref.make<Fiber.RuntimeFiber<unknown> | null>(null)
      const sourcesCache = yield* Ref.make(new Map<string, ProjectSources>())

      // -- the owner record: written once, right after binding; removed at exit only if it still names us
      const owner: OwnerRecord = {
        pid: config.identity.pid,
        pid_started_at: config.identity.started_at ?? "0",
        port: config.port,
        token: config.token,
        instance_id: config.instanceId,
        protocol_version: PROTOCOL_VERSION,
        kittyctx_version: config.version,
        executable_path: config.executable,
        entry_path: config.entry,
        runtime_root: config.rt.root,
        scope_id: config.scopeId,
        sink_url: config.sinkUrl,
        auth_principal: null,
        started_at: formatIsoUtcMillis(startedMs)
      }
      const ownerPath = ownerPathOf(config.rt, config.scopeId)
      yield* Effect.acquireRelease(files.write(ownerPath, encodeOwner(owner), 0o600).pipe(Effect.orDie), () =>
        Effect.gen(function*() {
          const current = yield* Effect.either(readOwner(config.rt, config.scopeId))
          if (current._tag === "Right" && current.right?.instance_id === config.instanceId) {
            yield* files.remove(ownerPath).pipe(Effect.ignore)
          }
        }))

      // -- the control plane
      const healthBody = Effect.map(Ref.get(stats), (s) => ({
        status: "ok",
        service: "kittyctx-daemon",
        protocol_version: PROTOCOL_VERSION,
        version: config.version,
        scope_id: config.scopeId,
        runtime_root: config.rt.root,
        instance_id: config.instanceId,
        pid: config.identity.pid,
        started_at: owner.started_at,
        delivery: {
          last_success_at: s.last_success_at,
          consecutive_failures: s.consecutive_failures,
          next_attempt_at: s.next_attempt_at,
          pending: s.pending,
          last_error: s.last_error,
          rounds: s.rounds
        }
      }))
      const authenticated = (request: HttpServerRequest.HttpServerRequest, then: Effect.Effect<HttpServerResponse.HttpServerResponse>) =>
        Effect.gen(function*() {
          const refusal = yield* refuseControlRequest(request, config.port, config.token)
          if (refusal !== null) return json(refusal.status, { error: refusal.error })
          yield* Ref.set(lastActivity, yield* now)
          return yield* then
        })
      const app = Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        if (!isAllowedHost(request.headers.host, config.port)) return json(421, { error: "invalid_host" })
        const path = request.url.split("?")[0]
        const route = `${request.method} ${path}`
        switch (route) {
          case "GET /api/health":
            return json(200, yield* healthBody)
          case "POST /api/wake":
            return yield* authenticated(request, Effect.as(signal("wake"), json(202, { status: "scheduled" })))
          case "POST /api/shutdown":
            return yield* authenticated(
              request,
              Effect.as(Effect.forkDaemon(Effect.delay(Deferred.succeed(stop, "shutdown"), Duration.millis(50))), json(200, { status: "stopping" }))
            )
          default:
            return ["/api/health", "/api/wake", "/api/shutdown"].includes(path)
              ? json(405, { error: "method_not_allowed" })
              : json(404, { error: "not_found" })
        }
      }).pipe(Effect.catchAllCause(() => Effect.succeed(json(500, { error: "internal" }))))

      // -- sources: every project's missions, resolved read-only, kept between rounds
      const refreshSources = Effect.gen(function*() {
        const list = yield* readProjects(config.rt).pipe(Effect.orElseSucceed(() => ({ projects: [] })))
        const next = new Map<string, ProjectSources>()
        for (const p of list.projects) next.set(p.root, yield* projectSources(p.root))
        yield* Ref.set(sourcesCache, next)
        // without a project since the start, the daemon has had none since its start
        const none = (yield* Ref.get(noProjectsSince)) ?? ((yield* Ref.getAndSet(refreshed, true)) ? yield* now : startedMs)
        yield* Ref.set(noProjectsSince, list.projects.length === 0 ? none : null)
        yield* rewatch(next)
      })
      const cachedSources = (root: string) =>
        Effect.flatMap(Ref.get(sourcesCache), (m) => {
          const hit = m.get(root)
          return hit !== undefined ? Effect.succeed(hit) : projectSources(root)
        })

      // -- watching: each status directory, each missions directory, and the runtime files
      const watched = new Map<string, Scope.CloseableScope>()
      const missionRoots = new Set<string>()
      const scopeDir = scopeDirOf(config.rt, config.scopeId)
      const syncDir = syncDirOf(config.rt)
      const onChange = (paths: ReadonlyArray<string>) =>
        Effect.gen(function*() {
          const ownerChanged = paths.some((p) => dirnamePath(p) === scopeDir && basenamePath(p) === SYNC_SCOPE_FILES.owner)
          if (ownerChanged || paths.some((p) => dirnamePath(p) === syncDir)) yield* retireCheck
          // the runtime files (projects, configuration) or a missions directory (a mission added): resolve again
          const structural = paths.some((p) => dirnamePath(p) === syncDir || missionRoots.has(dirnamePath(p)))
          if (structural) yield* signal("rescan")
          else if (paths.some((p) => dirnamePath(p) !== scopeDir)) yield* signal("change")
        })
      const rewatch = (sources: ReadonlyMap<string, ProjectSources>) =>
        Effect.gen(function*() {
          const wanted = new Set<string>([syncDir, scopeDir])
          missionRoots.clear()
          for (const [root, ps] of sources) {
            missionRoots.add(missionsRoot(root))
            wanted.add(missionsRoot(root))
            for (const s of ps.sources) wanted.add(dirnamePath(s.logPath))
          }
          for (const [dir, scope] of watched) {
            if (!wanted.has(dir)) {
              watched.delete(dir)
              yield* Scope.close(scope, Exit.void)
            }
          }
          for (const dir of wanted) {
            if (watched.has(dir)) continue
            const scope = yield* Scope.make()
            const subscribed = yield* Effect.either(Scope.extend(watch.subscribe(dir, { recursive: false }), scope))
            if (subscribed._tag === "Left") {
              yield* Scope.close(scope, Exit.void)
              continue // the full rescan covers what cannot be watched
            }
            watched.set(dir, scope)
            yield* Effect.forkIn(Stream.runForEach(subscribed.right, onChange).pipe(Effect.ignore), scope)
          }
        })

      // -- retirement (docs/surfaces.md §8.6)
      const retireCheck: Effect.Effect<void, never, DaemonRequirements> = Effect.gen(function*() {
        const record = yield* Effect.either(readOwner(config.rt, config.scopeId))
        if (record._tag === "Left" || record.right === null) return yield* Deferred.succeed(stop, "orphaned")
        if (record.right.instance_id !== config.instanceId) {
          const other = yield* processes.probe(ownerIdentity(record.right))
          return yield* Deferred.succeed(stop, other === "alive" ? "superseded" : "orphaned")
        }
        const cfg = yield* Effect.either(readConfig(config.rt))
        if (cfg._tag === "Right" && (cfg.right.sink === null || scopeIdOf(cfg.right.sink.url) !== config.scopeId)) {
          return yield* Deferred.succeed(stop, "reconfigured")
        }
        if ((yield* Ref.get(inFlight)) !== null) return
        const t = yield* now
        const since = yield* Ref.get(noProjectsSince)
        const idleMs = (cfg._tag === "Right" ? cfg.right.idle_retire_seconds : 900) * 1000
        if (since !== null && t - since >= Math.min(NO_PROJECT_RETIRE_MS, idleMs)) return yield* Deferred.succeed(stop, "no_projects")
        const s = yield* Ref.get(stats)
        if (t - (yield* Ref.get(lastActivity)) >= idleMs && s.pending === 0 && s.consecutive_failures === 0) {
          yield* Deferred.succeed(stop, "idle")
        }
      }).pipe(Effect.asVoid)

      // -- delivery: the same round as `sync push`, one attempt per request; the daemon backs off between rounds
      const round = Effect.gen(function*() {
        const result = yield* Effect.either(deliverRound({ maxAttempts: 1, sources: cachedSources }))
        const t = yield* now
        const failures = (yield* Ref.get(stats)).consecutive_failures
        let retryIn: number | null = null
        if (result._tag === "Left") {
          const e = result.left
          retryIn = fullJitterMs(backoffCeilingMs(failures, 500, 60_000), yield* Random.next)
          yield* Ref.update(stats, (s) => ({ ...s, consecutive_failures: failures + 1, last_error: `${e.code}: ${e.message}`, next_attempt_at: formatIsoUtcMillis(t + retryIn!), rounds: s.rounds + 1 }))
          yield* log(`round failed: ${e.code}: ${e.message}`)
        } else {
          const o: RoundOutcome = result.right
          if (o.delivered > 0) yield* Ref.set(lastActivity, t)
          if (o.stopped !== null) {
            const cfg = yield* Effect.either(readConfig(config.rt))
            const d = cfg._tag === "Right" ? cfg.right.delivery : { backoff_base_ms: 500, backoff_cap_ms: 60_000 }
            const backoff = fullJitterMs(backoffCeilingMs(failures, d.backoff_base_ms, d.backoff_cap_ms), yield* Random.next)
            retryIn = Math.max(backoff, o.stopped.retryAtMs === null ? 0 : o.stopped.retryAtMs - t)
            yield* log(`round stopped: ${o.stopped.code}: ${o.stopped.reason}; delivered ${o.delivered}, retry in ${retryIn} ms`)
          } else if (o.delivered > 0 || o.dead_lettered > 0) {
            yield* log(`delivered ${o.delivered}${o.dead_lettered > 0 ? `, dead-lettered ${o.dead_lettered}` : ""}`)
          }
          yield* Ref.update(stats, (s) => ({
            last_success_at: o.stopped === null ? formatIsoUtcMillis(t) : s.last_success_at,
            consecutive_failures: o.stopped === null ? 0 : failures + 1,
            next_attempt_at: retryIn === null ? null : formatIsoUtcMillis(t + retryIn),
            pending: o.pending,
            last_error: o.stopped === null ? null : `${o.stopped.code}: ${o.stopped.reason}`,
            rounds: s.rounds + 1
          }))
        }
        if (retryIn !== null) yield* Effect.forkDaemon(Effect.delay(signal("timer"), Duration.millis(retryIn)))
      })

      const deliveryLoop = Effect.gen(function*() {
        while (true) {
          yield* wakeUp.take
          yield* Effect.sleep(DEBOUNCE_MS)
          yield* wakeUp.takeAll
          if (yield* Ref.getAndSet(needRescan, false)) yield* refreshSources
          // a round that dies is logged and retried later: the loop itself never stops delivering
          const fiber = yield* Effect.fork(
            round.pipe(
              Effect.catchAllCause((c) =>
                Effect.zipRight(log(`round died: ${Cause.pretty(c)}`), Effect.forkDaemon(Effect.delay(signal("timer"), Duration.millis(RESCAN_MS))))
              )
            )
          )
          yield* Ref.set(inFlight, fiber)
          yield* Fiber.join(fiber)
          yield* Ref.set(inFlight, null)
        }
      })

      // the runtime files are watched before health is served: a record changed right after the start is seen
      yield* rewatch(new Map())
      yield* HttpServer.serveEffect()(app)
      yield* Effect.forkScoped(deliveryLoop.pipe(Effect.catchAllCause((c) => log(`delivery loop ended: ${Cause.pretty(c)}`))))
      yield* Effect.forkScoped(Effect.forever(Effect.delay(signal("rescan"), Duration.millis(RESCAN_MS))))
      // every 30 s, or twice per idle period when that is shorter
      const startConfig = yield* Effect.either(readConfig(config.rt))
      const idleS = startConfig._tag === "Right" ? startConfig.right.idle_retire_seconds : 900
      const checkMs = Math.min(RETIRE_CHECK_MS, Math.max(1000, idleS * 500))
      yield* Effect.forkScoped(Effect.forever(Effect.delay(retireCheck, Duration.millis(checkMs))))
      yield* signal("rescan")
      yield* log(`kittyctx sync daemon ${config.instanceId} serving scope ${config.scopeId} on 127.0.0.1:${config.port}`)

      const why = yield* Deferred.await(stop)
      const flying = yield* Ref.get(inFlight)
      if (flying !== null) yield* Fiber.await(flying).pipe(Effect.timeout(Duration.millis(FLUSH_MS)), Effect.ignore)
      for (const scope of watched.values()) yield* Scope.close(scope, Exit.void)
      yield* log(`retiring: ${why}`)
      return why
    })
  )
