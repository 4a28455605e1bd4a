/**
 * The dashboard server program (docs/surfaces.md §7): a loopback HTTP app on `@effect/platform`'s
 * HttpServer with the JSON API, the bundled page, server-sent events from the change feed, and the
 * token-protected shutdown. Read-only by construction: its requirements are the read ports (`RepoFs`,
 * `GitReader`, `Settings`, `StatusReader`), `FileWatch` and the HTTP server; no writer service
 * (`RepoWrite`, `Git`, `MissionStatus`, `FileLock`) is reachable, so a write is a type error
 * (test/services/dashboard/ReadOnly.test.ts asserts it). Handlers start and stop no process: a
 * shutdown request ends this program, which closes the server.
 */
import { HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Deferred, Effect, PubSub, Ref, Schedule, Stream } from "effect"
import { isAllowedHost, isAllowedOrigin, judgeShutdown } from "../../core/background/LoopbackRules.js"
import {
  changedFrame,
  contentTypeOf,
  HEARTBEAT_FRAME,
  MAX_EVENT_STREAMS,
  routeOf,
  SECURITY_HEADERS
} from "../../core/dashboard/HttpRules.js"
import type { Route } from "../../core/dashboard/HttpRules.js"
import { isWithin, joinPath } from "../../core/repo/Paths.js"
import type { ResolveRequirements } from "../context/ResolveContext.js"
import type { FileWatch } from "../ports/FileWatch.js"
import { RepoFs } from "../ports/RepoFs.js"
import { startChangeFeed } from "./ChangeFeed.js"
import type { LiveMode } from "./ChangeFeed.js"
import { artifactOf, findMission, kanbanOf, loadMission, missionDirs, missionEventsOf, missionItems, workPackageOf } from "./MissionViews.js"

/** What one server instance is. */
export interface DashboardConfig {
  /** The primary root (realpath). */
  readonly root: string
  readonly port: number
  readonly token: string
  readonly instanceId: string
  readonly version: string
  readonly pid: number
  /** ISO-8601 UTC start time. */
  readonly startedAt: string
  /** The bundled page's directory (index.html, app.js, app.css). */
  readonly staticRoot: string
}

/** Everything the server program reads through: no writer. */
export type DashboardRequirements = ResolveRequirements | FileWatch | HttpServer.HttpServer

/** The heartbeat period of an event stream (§7.4). */
export const HEARTBEAT_MS = 25_000

const encoder = new TextEncoder()

const withHeaders = (response: HttpServerResponse.HttpServerResponse, api: boolean) =>
  HttpServerResponse.setHeaders(response, api ? { ...SECURITY_HEADERS, "cache-control": "no-cache" } : SECURITY_HEADERS)

const json = (status: number, body: unknown) => withHeaders(HttpServerResponse.unsafeJson(body, { status }), true)

const notFound = () => json(404, { error: "not_found" })

/** The health body (never the token). */
export const healthBody = (config: DashboardConfig, mode: LiveMode) => ({
  status: "ok",
  service: "kittyctx-dashboard",
  version: config.version,
  project_path: config.root,
  instance_id: config.instanceId,
  pid: config.pid,
  started_at: config.startedAt,
  live_updates: mode
})

/** Runs the server until a valid shutdown request arrives. */
export const dashboardServer = (config: DashboardConfig): Effect.Effect<void, never, DashboardRequirements> =>
  Effect.scoped(
    Effect.gen(function*() {
      const shutdown = yield* Deferred.make<void>()
      const closing = yield* Deferred.make<void>()
      const frames = yield* PubSub.unbounded<string>()
      const streams = yield* Ref.make(0)
      const seq = yield* Ref.make(0)
      const feed = yield* startChangeFeed(config.root, missionDirs(config.root))

      // changed mission dirs -> their keys -> one `changed` frame for every open stream
      yield* Effect.gen(function*() {
        const sub = yield* PubSub.subscribe(feed.changes)
        while (true) {
          const dirs = yield* sub.take
          const keys = yield* Effect.forEach(dirs, (dir) => Effect.map(loadMission(config.root, dir), (r) => r.key), {
            concurrency: 4
          })
          const n = yield* Ref.updateAndGet(seq, (x) => x + 1)
          yield* PubSub.publish(frames, changedFrame(n, [...new Set(keys)].sort()))
        }
      }).pipe(Effect.scoped, Effect.forkScoped)

      const eventStream = Effect.gen(function*() {
        const open = yield* Ref.modify(streams, (n) => (n >= MAX_EVENT_STREAMS ? [false, n] : [true, n + 1]))
        if (!open) return json(503, { error: "too_many_streams" })
        const body = Stream.unwrapScoped(
          Effect.gen(function*() {
            const sub = yield* PubSub.subscribe(frames)
            return Stream.make("retry: 2000\n: connected\n\n").pipe(
              Stream.concat(
                Stream.merge(
                  Stream.fromQueue(sub),
                  Stream.fromSchedule(Schedule.spaced(HEARTBEAT_MS)).pipe(Stream.as(HEARTBEAT_FRAME))
                )
              )
            )
          })
        ).pipe(
          Stream.interruptWhen(Deferred.await(closing)),
          Stream.map((s) => encoder.encode(s)),
          Stream.ensuring(Ref.update(streams, (n) => n - 1))
        )
        return HttpServerResponse.stream(body, {
          contentType: "text/event-stream",
          headers: { ...SECURITY_HEADERS, "cache-control": "no-cache", "x-accel-buffering": "no" }
        })
      })

      const staticFile = (rel: string) =>
        Effect.gen(function*() {
          const fs = yield* RepoFs
          const rootReal = yield* fs.realpath(config.staticRoot)
          const real = yield* fs.realpath(joinPath(config.staticRoot, rel))
          if (rootReal === null || real === null || !isWithin(rootReal, real) || real === rootReal) return notFound()
          const bytes = yield* fs.readBytes(real, { noFollow: true, maxBytes: 16 * 1024 * 1024 })
          if (bytes === null) return notFound()
          return withHeaders(
            HttpServerResponse.uint8Array(bytes, { contentType: contentTypeOf(rel), headers: { "cache-control": "no-cache" } }),
            false
          )
        }).pipe(Effect.catchAll(() => Effect.succeed(notFound())))

      const withMission = <A>(key: string, body: (record: Parameters<typeof kanbanOf>[1]) => Effect.Effect<A | null, never, ResolveRequirements>) =>
        Effect.flatMap(findMission(config.root, key), (record) =>
          record === null
            ? Effect.succeed(notFound())
            : Effect.map(body(record), (value) => (value === null ? notFound() : json(200, value))))

      const doShutdown = (request: HttpServerRequest.HttpServerRequest) =>
        Effect.gen(function*() {
          if (!isAllowedOrigin(request.headers.origin, config.port)) return json(403, { error: "invalid_origin" })
          const length = Number(request.headers["content-length"] ?? "0")
          if (!Number.isFinite(length) || length > 4096) return json(400, { error: "invalid_payload" })
          const text = yield* request.text.pipe(Effect.orElseSucceed(() => ""))
          const verdict = judgeShutdown(text, config.token)
          if (verdict === "invalid_payload") return json(400, { error: "invalid_payload" })
          if (verdict === "invalid_token") return json(403, { error: "invalid_token" })
          yield* Deferred.succeed(closing, undefined)
          yield* Deferred.succeed(shutdown, undefined).pipe(Effect.delay(50), Effect.forkDaemon)
          return json(200, { status: "stopping" })
        })

      const dispatch = (route: Route, request: HttpServerRequest.HttpServerRequest, query: URLSearchParams) => {
        switch (route._tag) {
          case "Index":
            return staticFile("index.html")
          case "Static":
            return staticFile(route.rel)
          case "Health":
            return Effect.map(feed.mode, (mode) => json(200, healthBody(config, mode)))
          case "Missions":
            return Effect.map(missionItems(config.root), (missions) => json(200, { project_path: config.root, missions }))
          case "Kanban": {
            const at = query.get("at")
            return withMission(route.key, (record) => kanbanOf(config.root, record, at === null || at === "" ? null : at))
          }
          case "MissionEvents":
            return withMission(route.key, (record) => Effect.map(missionEventsOf(record), (events) => ({ key: record.key, events })))
          case "WorkPackage":
            return withMission(route.key, (record) => workPackageOf(config.root, record, route.wp))
          case "Artifact":
            return withMission(route.key, (record) => artifactOf(config.root, record, route.name))
          case "Events":
            return eventStream
          case "Shutdown":
            return doShutdown(request)
          case "MethodNotAllowed":
            return Effect.succeed(HttpServerResponse.setHeader(json(405, { error: "method_not_allowed" }), "allow", route.allow))
          case "NotFound":
            return Effect.succeed(notFound())
        }
      }

      const app = Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        if (!isAllowedHost(request.headers.host, config.port)) return json(421, { error: "invalid_host" })
        let url: URL
        try {
          url = new URL(request.url, `http://127.0.0.1:${config.port}`)
        } catch {
          return notFound()
        }
        return yield* dispatch(routeOf(request.method, url.pathname), request, url.searchParams)
      }).pipe(Effect.catchAllCause(() => Effect.succeed(json(500, { error: "internal" }))))

      yield* HttpServer.serveEffect()(app)
      yield* Effect.logInfo(`kittyctx dashboard serving ${config.root} on http://127.0.0.1:${config.port}`)
      yield* Deferred.await(shutdown)
    })
  )
