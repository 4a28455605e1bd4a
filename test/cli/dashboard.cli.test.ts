/**
 * `kittyctx dashboard` as a real process: start, reuse, --status, --kill; the lifecycle file's format
 * and mode; a recorded pid that was reused is never signalled (A7.9); a live spec-kitty dashboard is
 * refused and never signalled; an unhealthy own instance is replaced through the kill path.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { startDashboard } from "../../src/services/dashboard/Lifecycle.js"
import * as Git from "../../src/services/ports/Git.js"
import * as Loopback from "../../src/services/ports/Loopback.js"
import * as Processes from "../../src/services/ports/Processes.js"
import * as RepoFs from "../../src/services/ports/RepoFs.js"
import * as RepoWrite from "../../src/services/ports/RepoWrite.js"
import * as Settings from "../../src/services/ports/Settings.js"
import * as Spawner from "../../src/services/ports/Spawner.js"
import * as NodeCommandExecutor from "@effect/platform-node/NodeCommandExecutor"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { request } from "../support/http.js"
import { makeRepo, removeTemp, runCli } from "../support/repo.js"

const lifecycle = (root: string) => path.join(root, ".kittify", ".dashboard")

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return !/^\S+ \(.*\) [ZX]/.test(stat)
  } catch {
    return false
  }
}

/** A live process that is not a dashboard (killed by the test). */
const sleeper = (): ChildProcess => spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" })

const startedAtOf = (pid: number) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  const ticks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19])
  const btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync("/proc/stat", "utf8"))![1])
  return ((btime * 100 + ticks) / 100).toFixed(2)
}

describe("dashboard lifecycle", () => {
  it("start, reuse, status, kill", async () => {
    const root = makeRepo()
    try {
      const first = runCli(root, ["dashboard", "--json"])
      assert.strictEqual(first.code, 0, first.stdout + first.stderr)
      const out = JSON.parse(first.stdout)
      assert.include(out, { ok: true, started: true, project_path: root })
      assert.strictEqual(out.url, `http://127.0.0.1:${out.port}`)
      const file = lifecycle(root)
      assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600)
      const lines = fs.readFileSync(file, "utf8").split("\n")
      assert.strictEqual(lines[0], out.url)
      assert.strictEqual(lines[1], String(out.port))
      assert.match(lines[2], /^[0-9a-f]{32}$/)
      assert.strictEqual(lines[3], String(out.pid))
      assert.include(lines, "owner=kittyctx")
      assert.include(lines, `instance_id=${out.instance_id}`)
      assert.match(lines.find((l) => l.startsWith("pid_started_at="))!, /^pid_started_at=\d+\.\d\d$/)
      const token = lines[2]
      const health = await request(out.port, "/api/health")
      assert.notInclude(health.body, token)
      assert.strictEqual(JSON.parse(health.body).pid, out.pid)
      const cmdline = fs.readFileSync(`/proc/${out.pid}/cmdline`, "utf8")
      assert.notInclude(cmdline, token, "the token never appears in argv")

      const again = JSON.parse(runCli(root, ["dashboard", "--json"]).stdout)
      assert.include(again, { ok: true, started: false, pid: out.pid, instance_id: out.instance_id })

      const status = JSON.parse(runCli(root, ["dashboard", "--status", "--json"]).stdout)
      assert.include(status, { ok: true, running: true, owner: "kittyctx", healthy: true, pid: out.pid, live_updates: "watch" })

      const killed = runCli(root, ["dashboard", "--kill", "--json"])
      assert.deepStrictEqual(JSON.parse(killed.stdout), { ok: true, stopped: true, via: "shutdown", liveness: "alive" })
      assert.isFalse(alive(out.pid))
      assert.isFalse(fs.existsSync(file))
      assert.deepStrictEqual(JSON.parse(runCli(root, ["dashboard", "--kill", "--json"]).stdout), { ok: true, stopped: false })
      assert.deepStrictEqual(JSON.parse(runCli(root, ["dashboard", "--status", "--json"]).stdout), { ok: true, running: false, owner: null })
      const human = runCli(root, ["dashboard", "--status"])
      assert.strictEqual(human.stdout.trim(), "No dashboard is recorded for this project")
    } finally {
      runCli(root, ["dashboard", "--kill"])
      removeTemp(path.dirname(root))
    }
  })

  it("a recorded pid now naming another process is never signalled; --kill removes the file (A7.9)", () => {
    const root = makeRepo()
    const other = sleeper()
    try {
      const pid = other.pid!
      fs.writeFileSync(
        lifecycle(root),
        `http://127.0.0.1:9299\n9299\n${"a".repeat(32)}\n${pid}\npid_started_at=1000000000.00\ninstance_id=x\nowner=kittyctx\nversion=0\n`
      )
      const r = runCli(root, ["dashboard", "--kill", "--json"])
      assert.strictEqual(r.code, 0, r.stdout + r.stderr)
      assert.deepStrictEqual(JSON.parse(r.stdout), { ok: true, stopped: false, via: null, liveness: "reused" })
      assert.isTrue(alive(pid), "the unrelated process was not signalled")
      assert.isFalse(fs.existsSync(lifecycle(root)))
    } finally {
      other.kill()
      removeTemp(path.dirname(root))
    }
  })

  it("a live spec-kitty dashboard is refused and never signalled; a dead one is replaced", () => {
    const root = makeRepo()
    const other = sleeper()
    try {
      const text = `http://127.0.0.1:9298\n9298\nsometoken\n${other.pid}\n`
      fs.writeFileSync(lifecycle(root), text)
      const r = runCli(root, ["dashboard", "--json"])
      assert.strictEqual(r.code, 1)
      assert.strictEqual(JSON.parse(r.stdout).error.code, "DASHBOARD_FOREIGN_RUNNING")
      const k = runCli(root, ["dashboard", "--kill", "--json"])
      assert.strictEqual(JSON.parse(k.stdout).error.code, "DASHBOARD_FOREIGN_RUNNING")
      assert.isTrue(alive(other.pid!))
      assert.strictEqual(fs.readFileSync(lifecycle(root), "utf8"), text, "left untouched")
      const status = JSON.parse(runCli(root, ["dashboard", "--status", "--json"]).stdout)
      assert.include(status, { running: true, owner: "spec-kitty" })
      other.kill("SIGKILL")
      while (alive(other.pid!)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20)
      const started = runCli(root, ["dashboard", "--json"])
      assert.strictEqual(started.code, 0, started.stdout + started.stderr)
      assert.include(fs.readFileSync(lifecycle(root), "utf8"), "owner=kittyctx")
    } finally {
      other.kill()
      runCli(root, ["dashboard", "--kill"])
      removeTemp(path.dirname(root))
    }
  })

  it("an own record naming a live but unhealthy process is stopped through the kill path and replaced", () => {
    const root = makeRepo()
    const stuck = sleeper()
    try {
      const pid = stuck.pid!
      fs.writeFileSync(
        lifecycle(root),
        `http://127.0.0.1:9297\n9297\n${"b".repeat(32)}\n${pid}\npid_started_at=${startedAtOf(pid)}\ninstance_id=old\nowner=kittyctx\nversion=0\n`
      )
      const r = runCli(root, ["dashboard", "--json"])
      assert.strictEqual(r.code, 0, r.stdout + r.stderr)
      assert.isTrue(JSON.parse(r.stdout).started)
      assert.isFalse(alive(pid), "the recorded, attributable process was stopped")
    } finally {
      stuck.kill()
      runCli(root, ["dashboard", "--kill"])
      removeTemp(path.dirname(root))
    }
  })

  it("usage and unreadable lifecycle files are refused with their codes", () => {
    const root = makeRepo()
    try {
      const both = runCli(root, ["dashboard", "--status", "--kill", "--json"])
      assert.strictEqual(both.code, 1)
      assert.strictEqual(JSON.parse(both.stdout).error.code, "DASHBOARD_OPTIONS_CONFLICT")
      fs.writeFileSync(lifecycle(root), "garbage\nnot a port\n")
      const bad = runCli(root, ["dashboard", "--json"])
      assert.strictEqual(bad.code, 1)
      assert.strictEqual(JSON.parse(bad.stdout).error.code, "DASHBOARD_LIFECYCLE_INVALID")
      const human = runCli(root, ["dashboard"])
      assert.match(human.stderr, /^error\[DASHBOARD_LIFECYCLE_INVALID\]/)
    } finally {
      removeTemp(path.dirname(root))
    }
  })

  it.effect("no free port in the range is DASHBOARD_PORT_UNAVAILABLE, and nothing is spawned or signalled", () => {
    const root = makeRepo()
    const loopback: Loopback.LoopbackTable = { servers: new Map(), busy: new Set(), requests: [] }
    for (let p = 9237; p <= 9336; p++) loopback.busy.add(p)
    loopback.busy.add(5000)
    const table: Processes.ProcessTable = { processes: new Map(), signalled: [] }
    const spawns: Spawner.SpawnLog = { spawned: [], identities: [], secret: null }
    const platform = NodeCommandExecutor.layer.pipe(Layer.provide(NodeFileSystem.layer))
    const layer = Layer.mergeAll(
      RepoFs.layer,
      Git.readerLayer.pipe(Layer.provide(platform)),
      Settings.layerFixed(),
      Processes.layerMemory(table),
      RepoWrite.layer.pipe(Layer.provide(Processes.layerMemory(table))),
      Loopback.layerMemory(loopback),
      Spawner.layerMemory(spawns)
    )
    return Effect.gen(function*() {
      const e = yield* Effect.flip(startDashboard({ cwd: root, port: 5000, version: "t" }))
      assert.strictEqual(e.code, "DASHBOARD_PORT_UNAVAILABLE")
      assert.deepStrictEqual(spawns.spawned, [])
      assert.deepStrictEqual(table.signalled, [])
      assert.strictEqual(loopback.requests.length, 0)
    }).pipe(Effect.provide(layer), Effect.ensuring(Effect.sync(() => removeTemp(path.dirname(root)))))
  })
})
