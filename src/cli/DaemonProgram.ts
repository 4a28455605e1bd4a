/**
 * The sync daemon's process (docs/surfaces.md §8.3): what `sync daemon start` spawns, run by the full
 * command line's `sync daemon run` and by the daemon's lean bundle (`daemonBin.ts`, docs/ARCHITECTURE.md
 * "Start-up"), which the launcher loads for exactly the argv `daemonArgv` writes, so an idle daemon holds
 * only the delivery, the control plane and the file watch in memory, not the whole command tree.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Console, Effect, Layer } from "effect"
import { createServer } from "node:http"
import { isToken } from "../core/background/LoopbackRules.js"
import type { DaemonRequest } from "../core/sync/DaemonProcess.js"
import { syncError } from "../core/sync/SyncError.js"
import { VERSION } from "../core/Version.js"
import * as FileWatch from "../services/ports/FileWatch.js"
import * as HttpSink from "../services/ports/HttpSink.js"
import type * as Launcher from "../services/ports/Launcher.js"
import { Processes } from "../services/ports/Processes.js"
import * as Spawner from "../services/ports/Spawner.js"
import { makeStatusLayer } from "../services/StatusLayer.js"
import { runDaemon } from "../services/sync/Daemon.js"
import { configuredSink } from "../services/sync/Delivery.js"

/** Runs the daemon of one scope until it retires (its secret line comes from `sync daemon start` on stdin). */
export const daemonRunProgram = (request: DaemonRequest) =>
  Effect.gen(function*() {
    const spawner = yield* Spawner.Spawner
    const processes = yield* Processes
    const secret = yield* spawner.receiveSecret(5_000)
    if (!isToken(secret.token) || typeof secret.instance_id !== "string" || secret.instance_id === "") {
      return yield* syncError("DAEMON_START_FAILED", "the daemon's secret line lacks a token and an instance id")
    }
    const { rt, scopeId, sink } = yield* configuredSink
    if (rt.root !== request.root || scopeId !== request.scope) {
      return yield* syncError(
        "DAEMON_START_FAILED",
        `this daemon was started for ${request.root} scope ${request.scope}, not ${rt.root} scope ${scopeId}`
      )
    }
    const server = NodeHttpServer.layerServer(() => createServer(), { port: request.port, host: "127.0.0.1" })
    const why = yield* runDaemon({
      rt,
      scopeId,
      port: request.port,
      token: secret.token,
      instanceId: secret.instance_id,
      version: VERSION,
      identity: yield* processes.identity(process.pid),
      executable: spawner.self.executable,
      entry: spawner.self.entry,
      sinkUrl: sink.url
    }).pipe(
      Effect.provide(server),
      Effect.catchTag("ServeError", (e) =>
        syncError("DAEMON_START_FAILED", `cannot listen on 127.0.0.1:${request.port}: ${String(e.cause)}`))
    )
    yield* Console.log(`retired: ${why}`)
  })

/** The services the daemon uses (the lean bundle's layer; the full command line provides a superset). */
export const makeDaemonLayer = (launcher: Layer.Layer<Launcher.Launcher>) =>
  Layer.mergeAll(
    FileWatch.layer,
    HttpSink.layer,
    Spawner.layer.pipe(Layer.provide(launcher))
  ).pipe(Layer.provideMerge(makeStatusLayer()))
