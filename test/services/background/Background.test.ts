/**
 * The shared background pieces: the health probe, the port picker, the kill path and the stop helper
 * against fake process and loopback tables (every signal recorded), plus the live loopback and the live
 * spawner against real processes and a real HTTP server.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"
import * as Launcher from "../../../src/services/ports/Launcher.js"
import * as Loopback from "../../../src/services/ports/Loopback.js"
import type { LoopbackRequest, LoopbackResponse, LoopbackTable } from "../../../src/services/ports/Loopback.js"
import * as Processes from "../../../src/services/ports/Processes.js"
import type { ProcessTable } from "../../../src/services/ports/Processes.js"
import * as RepoWrite from "../../../src/services/ports/RepoWrite.js"
import * as Spawner from "../../../src/services/ports/Spawner.js"
import { awaitHealthy, fetchHealth } from "../../../src/services/background/Health.js"
import { pickFreePort } from "../../../src/services/background/PortPicker.js"
import { stopInstance } from "../../../src/services/background/StopInstance.js"
import { terminate } from "../../../src/services/background/Terminate.js"
import { makeTemp, removeTemp } from "../../support/repo.js"

const json = (status: number, body: unknown): LoopbackResponse => ({ status, headers: {}, body: JSON.stringify(body) })

const tables = () => {
  const processes: ProcessTable = { processes: new Map(), signalled: [] }
  const loopback: LoopbackTable = { servers: new Map(), busy: new Set(), requests: [] }
  const layer = Layer.mergeAll(Processes.layerMemory(processes), Loopback.layerMemory(loopback))
  return { processes, loopback, layer }
}

describe("health probe", () => {
  it.effect("a 200 JSON object is the answer; anything else is null", () => {
    const t = tables()
    t.loopback.servers.set(1, () => json(200, { status: "ok", instance_id: "x" }))
    t.loopback.servers.set(2, () => json(500, { status: "ok" }))
    t.loopback.servers.set(3, () => ({ status: 200, headers: {}, body: "[1]" }))
    t.loopback.servers.set(4, () => ({ status: 200, headers: {}, body: "not json" }))
    return Effect.gen(function*() {
      assert.deepStrictEqual(yield* fetchHealth(1), { status: "ok", instance_id: "x" })
      for (const port of [2, 3, 4, 5]) assert.isNull(yield* fetchHealth(port), String(port))
      assert.strictEqual(t.loopback.requests[0].path, "/api/health")
    }).pipe(Effect.provide(t.layer))
  })

  it.live("waiting for health stops early when the process is gone", () => {
    const t = tables()
    return Effect.gen(function*() {
      const healthy = yield* awaitHealthy({
        port: 9,
        expected: { instance_id: "x" },
        totalMs: 60_000,
        firstMs: 10,
        maxMs: 20,
        gone: Effect.succeed(true)
      })
      assert.isFalse(healthy)
    }).pipe(Effect.provide(t.layer))
  })
})

describe("port picker", () => {
  it.effect("skips ports with a listener or that cannot be bound; the preferred port comes first", () => {
    const t = tables()
    t.loopback.servers.set(9237, () => null)
    t.loopback.busy.add(9238)
    return Effect.gen(function*() {
      assert.strictEqual(yield* pickFreePort({ first: 9237, last: 9240 }, null), 9239)
      assert.strictEqual(yield* pickFreePort({ first: 9237, last: 9240 }, 9240), 9240)
      assert.strictEqual(yield* pickFreePort({ first: 9237, last: 9240 }, 9237), 9239)
      assert.isNull(yield* pickFreePort({ first: 9237, last: 9238 }, null))
      assert.strictEqual(t.loopback.requests.length, 0, "probing never sends a request")
    }).pipe(Effect.provide(t.layer))
  })
})

describe("kill path and stop", () => {
  it.effect("never signals a reused or unknown pid", () => {
    const t = tables()
    t.processes.processes.set(100, "2000.00")
    t.processes.processes.set(101, null)
    return Effect.gen(function*() {
      const reused = yield* terminate({ pid: 100, started_at: "1000.00" })
      assert.deepStrictEqual(reused, { reaped: false, via: null, failure: "reused" })
      const unknown = yield* terminate({ pid: 101, started_at: "1000.00" })
      assert.deepStrictEqual(unknown, { reaped: false, via: null, failure: "unknown" })
      const dead = yield* terminate({ pid: 102, started_at: "1000.00" })
      assert.deepStrictEqual(dead, { reaped: true, via: null })
      assert.deepStrictEqual(t.processes.signalled, [])
      const stop = yield* stopInstance({ identity: { pid: 100, started_at: "1000.00" }, port: 9237, token: "t", graceMs: 10 })
      assert.deepStrictEqual(stop, { wasRunning: false, stopped: false, via: null, liveness: "reused" })
      assert.strictEqual(t.loopback.requests.length, 0, "no shutdown request to a reused pid's port")
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a live identity gets SIGTERM", () => {
    const t = tables()
    t.processes.processes.set(200, "1000.00")
    return Effect.gen(function*() {
      assert.deepStrictEqual(yield* terminate({ pid: 200, started_at: "1000.40" }), { reaped: true, via: "terminate" })
      assert.deepStrictEqual(t.processes.signalled, [{ pid: 200, signal: "SIGTERM" }])
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("stop asks with the token first and signals nothing when the server exits", () => {
    const t = tables()
    t.processes.processes.set(300, "1000.00")
    t.loopback.servers.set(9240, (r: LoopbackRequest) => {
      if (r.method === "POST" && r.path === "/api/shutdown" && JSON.parse(r.body ?? "{}").token === "tok") {
        t.processes.processes.delete(300)
        return json(200, { status: "stopping" })
      }
      return json(403, { error: "invalid_token" })
    })
    return Effect.gen(function*() {
      const out = yield* stopInstance({ identity: { pid: 300, started_at: "1000.00" }, port: 9240, token: "tok", graceMs: 100 })
      assert.deepStrictEqual(out, { wasRunning: true, stopped: true, via: "shutdown", liveness: "alive" })
      assert.deepStrictEqual(t.processes.signalled, [])
    }).pipe(Effect.provide(t.layer))
  })

  it.live("stop falls back to the kill path when the shutdown is refused", () => {
    const t = tables()
    t.processes.processes.set(400, "1000.00")
    t.loopback.servers.set(9241, () => json(403, { error: "invalid_token" }))
    return Effect.gen(function*() {
      const out = yield* stopInstance({ identity: { pid: 400, started_at: "1000.00" }, port: 9241, token: "bad", graceMs: 50 })
      assert.deepStrictEqual(out, { wasRunning: true, stopped: true, via: "terminate", liveness: "alive" })
      assert.deepStrictEqual(t.processes.signalled, [{ pid: 400, signal: "SIGTERM" }])
    }).pipe(Effect.provide(t.layer))
  })
})

describe("live loopback", () => {
  it.live("requests carry the loopback Host header; the connect and bind probes see a listener", () =>
    Effect.gen(function*() {
      const seen: Array<string | undefined> = []
      const server = http.createServer((req, res) => {
        seen.push(req.headers.host)
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ status: "ok" }))
      })
      yield* Effect.promise(() => new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r())))
      const port = (server.address() as { port: number }).port
      try {
        const lb = yield* Loopback.Loopback
        assert.deepStrictEqual(yield* fetchHealth(port), { status: "ok" })
        assert.deepStrictEqual(seen, [`127.0.0.1:${port}`])
        assert.isTrue(yield* lb.isListening(port, 500))
        assert.isFalse(yield* lb.canBind(port))
      } finally {
        yield* Effect.promise(() => new Promise<void>((r) => server.close(() => r())))
      }
      const lb = yield* Loopback.Loopback
      assert.isFalse(yield* lb.isListening(port, 500))
      assert.isNull(yield* fetchHealth(port, 300))
    }).pipe(Effect.provide(Loopback.layer)))
})

describe("live spawner", () => {
  it.live("starts a detached child in its own session, hands it the secret on stdin only, logs to a 0600 file", () => {
    const dir = makeTemp("kittyctx-spawn-")
    const out = path.join(dir, "received.json")
    const log = path.join(dir, "child.log")
    // the child echoes its stdin line to a file, prints to its log, then waits to be stopped
    const script = "let d='';process.stdin.on('data',c=>d+=c).on('end',()=>{require('fs').writeFileSync(process.argv[1],d);" +
      "console.log('child up');setInterval(()=>{},1000)})"
    const secret = { token: "0123456789abcdef0123456789abcdef" }
    const processes = Processes.layer
    const layer = Spawner.layer.pipe(Layer.provide(Launcher.layerUnknown), Layer.provide(RepoWrite.layer), Layer.provideMerge(processes))
    return Effect.gen(function*() {
      const spawner = yield* Spawner.Spawner
      const identity = yield* spawner.spawnDetached({
        argv: [process.execPath, "-e", script, out],
        cwd: dir,
        secret,
        log: { scope: { roots: [dir] }, path: log }
      })
      try {
        assert.isString(identity.started_at)
        while (!fs.existsSync(out) || fs.readFileSync(out, "utf8") === "" || !fs.readFileSync(log, "utf8").includes("child up")) {
          yield* Effect.sleep(20)
        }
        assert.deepStrictEqual(JSON.parse(fs.readFileSync(out, "utf8")), secret)
        const cmdline = fs.readFileSync(`/proc/${identity.pid}/cmdline`, "utf8")
        const environ = fs.readFileSync(`/proc/${identity.pid}/environ`, "utf8")
        assert.notInclude(cmdline, secret.token)
        assert.notInclude(environ, secret.token)
        const stat = fs.readFileSync(`/proc/${identity.pid}/stat`, "utf8")
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
        assert.strictEqual(Number(fields[3]), identity.pid, "the child leads its own session (detached)")
        assert.strictEqual(fs.statSync(log).mode & 0o777, 0o600)
      } finally {
        const killed = yield* terminate(identity)
        assert.isTrue(killed.reaped)
        removeTemp(dir)
      }
    }).pipe(Effect.provide(layer))
  })

  it.live("a log path outside the scope is refused before anything starts", () => {
    const dir = makeTemp("kittyctx-spawn-")
    const layer = Spawner.layer.pipe(Layer.provide(Launcher.layerUnknown), Layer.provide(RepoWrite.layer), Layer.provideMerge(Processes.layer))
    return Effect.gen(function*() {
      const spawner = yield* Spawner.Spawner
      const failed = yield* Effect.flip(spawner.spawnDetached({
        argv: [process.execPath, "-e", ""],
        cwd: dir,
        secret: null,
        log: { scope: { roots: [path.join(dir, "inside")] }, path: path.join(dir, "outside.log") }
      }))
      assert.strictEqual(failed.code, "PATH_OUTSIDE_REPOSITORY")
      const missing = yield* Effect.flip(spawner.spawnDetached({
        argv: [path.join(dir, "no-such-binary")],
        cwd: dir,
        secret: null,
        log: { scope: { roots: [dir] }, path: path.join(dir, "x.log") }
      }))
      assert.strictEqual(missing.code, "SPAWN_FAILED")
      removeTemp(dir)
    }).pipe(Effect.provide(layer))
  })
})
