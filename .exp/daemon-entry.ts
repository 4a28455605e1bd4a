import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Layer } from "effect"
import { createServer } from "node:http"
import { MainLayer } from "../src/services/MainLayer.js"
import { runDaemon } from "../src/services/sync/Daemon.js"
import { configuredSink } from "../src/services/sync/Delivery.js"
const prog = Effect.gen(function*() {
  const { rt, scopeId, sink } = yield* configuredSink
  yield* runDaemon({ rt, scopeId, port: 9411, token: "0123456789abcdef0123456789abcdef", instanceId: "exp", version: "x", identity: { pid: process.pid, started_at: "1" }, executable: "/usr/bin/node", entry: "/x", sinkUrl: sink.url }).pipe(Effect.provide(NodeHttpServer.layerServer(() => createServer(), { port: 9411, host: "127.0.0.1" })))
}).pipe(Effect.provide(MainLayer))
NodeRuntime.runMain(prog as any)
