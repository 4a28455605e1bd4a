/**
 * `sync daemon start` in process over the live layers (docs/surfaces.md §8.3), with the built binary as
 * the real detached child: a port that another process binds between the start's probe and the child's
 * own bind makes that child exit, and the start tries again on the next free port instead of failing.
 * Needs `npm run build` first.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { VERSION } from "../../../src/core/Version.js"
import { DAEMON_PORT_RANGE } from "../../../src/core/sync/DaemonOwner.js"
import { makeMainLayer } from "../../../src/services/MainLayer.js"
import * as Launcher from "../../../src/services/ports/Launcher.js"
import { Loopback } from "../../../src/services/ports/Loopback.js"
import * as LiveLoopback from "../../../src/services/ports/Loopback.js"
import * as Settings from "../../../src/services/ports/Settings.js"
import { startDaemon } from "../../../src/services/sync/DaemonControl.js"
import { CLI, isolatedEnv, makeTemp, removeTemp, runCliAsync } from "../../support/repo.js"
import { startSink } from "../../support/sink.js"
import type { TestSink } from "../../support/sink.js"

const temps: Array<string> = []
const sinks: Array<TestSink> = []
const servers: Array<net.Server> = []
afterAll(async () => {
  for (const s of servers) s.close()
  for (const s of sinks) await s.close()
  temps.forEach(removeTemp)
})

/** Holds the first port of the daemon range this process can listen on. */
const holdFreePort = async (): Promise<{ readonly port: number; readonly server: net.Server }> => {
  for (let port = DAEMON_PORT_RANGE.first; port <= DAEMON_PORT_RANGE.last; port++) {
    const server = net.createServer()
    const bound = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false))
      server.listen({ host: "127.0.0.1", port, exclusive: true }, () => resolve(true))
    })
    if (bound) return { port, server }
  }
  throw new Error("no free port in the daemon range")
}

/**
 * The live loopback, except that during the first pick every port below `taken` looks busy and `taken`
 * (which the test holds) looks free: the race in which another process binds the port after the probe.
 */
const racingLoopback = (taken: number) => {
  let raced = false
  return Layer.effect(
    Loopback,
    Effect.map(Loopback, (live) =>
      Loopback.of({
        request: live.request,
        isListening: (port, timeoutMs) => (raced ? live.isListening(port, timeoutMs) : Effect.succeed(port !== taken)),
        canBind: (port) =>
          raced ? live.canBind(port) : Effect.sync(() => {
            if (port === taken) raced = true
            return port === taken
          })
      }))
  ).pipe(Layer.provide(LiveLoopback.layer))
}

describe("startDaemon (in process, a real child)", () => {
  it.live("a child that loses its port to another process before binding is replaced by one on the next free port", () =>
    Effect.promise(async () => {
      const base = makeTemp("kittyctx-daemon-start-")
      temps.push(base)
      const home = path.join(base, "runtime")
      fs.mkdirSync(home)
      const env = isolatedEnv(base, { KITTYCTX_HOME: home })
      const sink = await startSink()
      sinks.push(sink)
      const config = await runCliAsync(base, ["sync", "config", "--sink", sink.url, "--json"], env)
      assert.strictEqual(config.code, 0, config.stdout + config.stderr)
      const held = await holdFreePort()
      servers.push(held.server)
      const layer = Layer.mergeAll(
        makeMainLayer({ settings: Settings.layerFixed({ KITTYCTX_HOME: home }), launcher: Launcher.layerFixed(process.execPath, CLI) }),
        NodeContext.layer
      )
      // the child inherits this process's environment, and checks that its runtime root is the one it was started for
      process.env.KITTYCTX_HOME = home
      const started = await Effect.runPromise(
        startDaemon(VERSION).pipe(Effect.provide(racingLoopback(held.port)), Effect.provide(layer), Effect.either)
      )
      try {
        const logs = fs.existsSync(path.join(home, "sync"))
          ? fs.readdirSync(path.join(home, "sync")).filter((n) => /^[0-9a-f]{16}$/.test(n)).map((n) => fs.readFileSync(path.join(home, "sync", n, "daemon.log"), "utf8"))
          : []
        assert.strictEqual(started._tag, "Right", JSON.stringify(started) + logs.join(""))
        if (started._tag !== "Right") return
        const outcome = started.right as Record<string, any>
        assert.isTrue(outcome.started)
        assert.notStrictEqual(outcome.port, held.port, "the second child listens on another port")
        const scope = fs.readdirSync(path.join(home, "sync")).find((n) => /^[0-9a-f]{16}$/.test(n))!
        const log = fs.readFileSync(path.join(home, "sync", scope, "daemon.log"), "utf8")
        assert.include(log, `cannot listen on 127.0.0.1:${held.port}`, "the first child lost the race")
        const health = (await (await fetch(`http://127.0.0.1:${outcome.port}/api/health`)).json()) as Record<string, unknown>
        assert.strictEqual(health.pid, outcome.pid)
      } finally {
        delete process.env.KITTYCTX_HOME
        const stop = await runCliAsync(base, ["sync", "daemon", "stop", "--json"], env)
        assert.strictEqual(stop.code, 0, stop.stdout + stop.stderr)
      }
    }), 120_000)
})
