/**
 * The sync daemon seen from outside (docs/surfaces.md §8.2-§8.6): the built binary as real processes,
 * a real loopback sink, real child processes for the reaper. At most one daemon per scope (50
 * concurrent starts), delivery on file changes, SIGKILL and restart without loss, supersede and orphan
 * retirement, stop through the shutdown request, and a reaper that signals only what it can positively
 * attribute. Needs `npm run build` first.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { ChildProcess } from "node:child_process"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Processes from "../../src/services/ports/Processes.js"
import { pyJson, transitionRow } from "../support/fixtures.js"
import { CLI, commitAll, git, isolatedEnv, makeRepo, makeTemp, removeTemp, runCliAsync, writeFiles } from "../support/repo.js"
import type { CliRun } from "../support/repo.js"
import { seenIdsOf, startSink } from "../support/sink.js"
import type { TestSink } from "../support/sink.js"
import { treeMap } from "../support/fingerprint.js"

const temps: Array<string> = []
const sinks: Array<TestSink> = []
const children: Array<ChildProcess> = []
const daemons: Array<number> = []
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL")
  for (const pid of daemons) {
    try {
      process.kill(pid, "SIGKILL")
    } catch {
      // already gone
    }
  }
  for (const s of sinks) await s.close()
  temps.forEach(removeTemp)
})

const run = <A>(eff: Effect.Effect<A, never, Processes.Processes>) => Effect.runPromise(Effect.provide(eff, Processes.layer))
const identityOf = (pid: number) => run(Effect.flatMap(Processes.Processes, (p) => p.identity(pid)))
const alive = (pid: number, startedAt: string | null) =>
  run(Effect.flatMap(Processes.Processes, (p) => p.probe({ pid, started_at: startedAt }))).then((l) => l === "alive")

/** The pids of every process carrying this runtime root's marker. */
const daemonPids = (root: string) =>
  run(
    Effect.gen(function*() {
      const p = yield* Processes.Processes
      const out: Array<number> = []
      for (const pid of yield* p.list) {
        const argv = yield* p.argv(pid)
        if (argv !== null && argv.includes(`--kittyctx-daemon-root=${root}`) && argv.includes("run")) out.push(pid)
      }
      return out
    })
  )

/** Polls until `check` holds (bounded): for process exits, which cannot be awaited from a non-parent. */
const eventually = async (what: string, check: () => Promise<boolean> | boolean, ms = 60_000) => {
  const end = performance.now() + ms
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const evId = (k: number, i: number) => `01JZ${String(k).padStart(2, "0")}${String(i).padStart(20, "0")}`
const MID = (k: number) => `01JZDMN${String(k).padStart(3, "0")}${"0".repeat(16)}`
const row = (slug: string, k: number, i: number) =>
  pyJson(transitionRow({
    wp: "WP01",
    from: "planned",
    to: "claimed",
    missionId: MID(k),
    slug,
    eventId: evId(k, i),
    at: `2026-01-01T00:${String(Math.floor(i / 60) % 60).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}.000000+00:00`,
    actor: "agent"
  }))

const project = (slug: string, k: number, events: number) => {
  const root = makeRepo()
  temps.push(path.dirname(root))
  const rows = Array.from({ length: events }, (_, i) => row(slug, k, i))
  writeFiles(root, {
    [`kitty-specs/${slug}/meta.json`]: JSON.stringify({ mission_id: MID(k), mission_slug: slug, slug, target_branch: "main" }) + "\n",
    [`kitty-specs/${slug}/status.events.jsonl`]: rows.join("\n") + "\n"
  })
  commitAll(root, "mission")
  const log = path.join(root, "kitty-specs", slug, "status.events.jsonl")
  return { root, log, ids: rows.map((r) => JSON.parse(r).event_id as string) }
}

/** A runtime root (canonical, as the daemon records it) and the CLI in its environment. */
const runtime = (extra: Record<string, string> = {}) => {
  const base = makeTemp("kittyctx-daemon-")
  temps.push(base)
  const home = path.join(base, "runtime")
  fs.mkdirSync(home)
  const env = isolatedEnv(base, { KITTYCTX_HOME: home, KITTYCTX_LOCK_TIMEOUT_MS: "120000", ...extra })
  const cli = (cwd: string, args: ReadonlyArray<string>): Promise<CliRun> => runCliAsync(cwd, args, env)
  const scopeDir = () => {
    const s = fs.readdirSync(path.join(home, "sync")).find((n) => /^[0-9a-f]{16}$/.test(n))
    return s === undefined ? null : path.join(home, "sync", s)
  }
  const owner = () => {
    const dir = scopeDir()
    const p = dir === null ? null : path.join(dir, "owner.json")
    return p !== null && fs.existsSync(p) ? JSON.parse(fs.readFileSync(p, "utf8")) : null
  }
  return { base, home, env, cli, scopeDir, owner }
}

const ok = (r: CliRun, what: string): Record<string, any> => {
  assert.strictEqual(r.code, 0, `${what} failed (${r.code}): ${r.stdout}${r.stderr}`)
  const lines = r.stdout.split("\n").filter((l) => l !== "")
  return lines.length === 1 && lines[0].startsWith("{") ? JSON.parse(lines[0]) : {}
}

const configure = async (rt: ReturnType<typeof runtime>, sink: TestSink, roots: ReadonlyArray<string>, extra: ReadonlyArray<string> = []) => {
  ok(await rt.cli(rt.base, ["sync", "config", "--sink", sink.url, "--backoff-base-ms", "20", "--backoff-cap-ms", "200", ...extra, "--json"]), "config")
  for (const r of roots) ok(await rt.cli(r, ["sync", "register", "--json"]), "register")
}

describe("one daemon per scope", () => {
  it.live("50 concurrent 'sync daemon start' from separate processes: exactly one daemon runs, every start names it", () =>
    Effect.promise(async () => {
      const p = project("one-mission", 1, 3)
      const sink = await startSink()
      sinks.push(sink)
      const rt = runtime()
      await configure(rt, sink, [p.root])
      const runs = await Promise.all(Array.from({ length: 50 }, () => rt.cli(p.root, ["sync", "daemon", "start", "--json"])))
      const outs = runs.map((r, i) => ok(r, `start ${i}`))
      const pids = new Set(outs.map((o) => o.pid as number))
      pids.forEach((pid) => daemons.push(pid))
      const daemonLog = () => fs.readFileSync(path.join(rt.scopeDir()!, "daemon.log"), "utf8")
      assert.strictEqual(pids.size, 1, `one pid named by every start: ${[...pids].join(", ")}\n${JSON.stringify(outs)}\n${daemonLog()}`)
      assert.strictEqual(outs.filter((o) => o.started === true).length, 1, "exactly one start spawned")
      assert.strictEqual(outs.filter((o) => o.reused === true).length, 49)
      const running = await daemonPids(fs.realpathSync(rt.home))
      assert.deepStrictEqual(running, [...pids], "exactly one daemon process of this root")
      const owner = rt.owner()
      assert.strictEqual(owner.pid, [...pids][0])
      assert.strictEqual((fs.statSync(path.join(rt.scopeDir()!, "owner.json")).mode & 0o777).toString(8), "600")
      // health carries no token; status redacts it
      const status = ok(await rt.cli(p.root, ["sync", "daemon", "status", "--check", "--json"]), "status")
      assert.isTrue(status.healthy)
      assert.strictEqual(status.owner.token, "<redacted>")
      assert.notInclude(JSON.stringify(status), owner.token)
      // it delivered what was pending
      await eventually("the daemon's first delivery", () => sink.delivered.size === 3)
      const stop = ok(await rt.cli(p.root, ["sync", "daemon", "stop", "--json"]), "stop")
      assert.deepStrictEqual([stop.stopped, stop.via], [true, "shutdown"])
      assert.isNull(rt.owner(), "the daemon removed its own owner record")
      await eventually("the daemon's exit", async () => (await daemonPids(fs.realpathSync(rt.home))).length === 0)
      const check = await rt.cli(p.root, ["sync", "daemon", "status", "--check", "--json"])
      assert.strictEqual(check.code, 1)
      assert.strictEqual(JSON.parse(check.stdout).error.code, "DAEMON_NOT_RUNNING")
    }), 240_000)
})

describe("delivery by the daemon", () => {
  it.live("file watching triggers the same delivery as sync push; while the daemon is alive, status writes do not warn", () =>
    Effect.promise(async () => {
      const p = project("watch-mission", 2, 2)
      const sink = await startSink()
      sinks.push(sink)
      const rt = runtime()
      await configure(rt, sink, [p.root])
      const start = ok(await rt.cli(p.root, ["sync", "daemon", "start", "--json"]), "start")
      daemons.push(start.pid)
      await eventually("the pending events", () => sink.delivered.size === 2)
      const more = [row("watch-mission", 2, 10), row("watch-mission", 2, 11)]
      fs.appendFileSync(p.log, more.join("\n") + "\n")
      await eventually("the appended events", () => sink.delivered.size === 4)
      assert.deepStrictEqual(sink.order, [...p.ids, evId(2, 10), evId(2, 11)])
      const status = ok(await rt.cli(p.root, ["sync", "status", "--json"]), "sync status")
      assert.isTrue(status.daemon.running)
      assert.strictEqual(status.projects[0].pending, 0)
      ok(await rt.cli(p.root, ["sync", "daemon", "stop", "--json"]), "stop")
    }), 180_000)

  it.live("SIGKILL of the daemon at random points during delivery, then a restart: nothing lost, the cursor never moves backwards", () =>
    Effect.promise(async () => {
      const p = project("kill-mission", 3, 2400)
      let total = 0
      let killAt = -1
      const rt = runtime()
      const sink = await startSink(
        () => ({ status: 200 }),
        () => {
          total++
          if (total === killAt) {
            const o = rt.owner()
            if (o !== null) process.kill(o.pid, "SIGKILL")
          }
        }
      )
      sinks.push(sink)
      await configure(rt, sink, [p.root], ["--batch-max-events", "40"])
      const cursorOf = () => {
        const dir = path.join(rt.scopeDir()!, "cursors")
        const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => !n.includes(".seen.")) : []
        if (files.length === 0) return null
        const head = JSON.parse(fs.readFileSync(path.join(dir, files[0]), "utf8"))
        return { ...head, seen: seenIdsOf(path.join(dir, files[0].replace(/\.json$/, ".seen.jsonl"))) }
      }
      let seed = 7
      const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
      let previous = { offset: 0, seen: new Set<string>() }
      let kills = 0
      for (let i = 0; i < 5; i++) {
        // kill while the request after 10..35 more is in flight; 25 requests of 40 events pass the 1,000-event checkpoint
        killAt = total + 10 + Math.floor(random() * 26)
        const start = ok(await rt.cli(p.root, ["sync", "daemon", "start", "--json"]), `start ${i}`)
        daemons.push(start.pid)
        assert.isTrue(start.started, "a killed daemon is not reused: a new one starts")
        const id = await identityOf(start.pid)
        await eventually("the SIGKILL or the end of the log", async () => !(await alive(start.pid, id.started_at)) || sink.delivered.size === 2400)
        if (await alive(start.pid, id.started_at)) {
          ok(await rt.cli(p.root, ["sync", "daemon", "stop", "--json"]), "stop")
          break
        }
        kills++
        const cursor = cursorOf()
        if (cursor !== null) {
          assert.isAtLeast(cursor.offset, previous.offset, "the cursor never moves backwards")
          const seen = new Set<string>(cursor.seen)
          for (const x of previous.seen) assert.isTrue(seen.has(x))
          for (const x of seen) assert.isTrue(sink.delivered.has(x), "the cursor covers only acknowledged events")
          previous = { offset: cursor.offset, seen }
        }
      }
      assert.isAtLeast(kills, 2, "daemons were killed mid-delivery")
      assert.isAbove(previous.offset, 0, "some kill came after a checkpoint")
      killAt = -1
      const last = ok(await rt.cli(p.root, ["sync", "daemon", "start", "--json"]), "restart")
      daemons.push(last.pid)
      await eventually("every event", () => sink.delivered.size === 2400, 60_000)
      assert.deepStrictEqual(sink.order, p.ids, "nothing lost, in order")
      await eventually("the final cursor", () => cursorOf()?.offset === fs.statSync(p.log).size)
      ok(await rt.cli(p.root, ["sync", "daemon", "stop", "--json"]), "stop")
    }), 180_000)
})

describe("self-retirement", () => {
  it.live("superseded (the record names another live instance) and orphaned (the record is removed): the daemon exits at once", () =>
    Effect.promise(async () => {
      const p = project("retire-mission", 4, 1)
      const sink = await startSink()
      sinks.push(sink)
      const rt = runtime()
      await configure(rt, sink, [p.root])
      const first = ok(await rt.cli(p.root, ["sync", "daemon", "start", "--json"]), "start")
      daemons.push(first.pid)
      const firstId = await identityOf(first.pid)
      const me = await identityOf(process.pid)
      const ownerPath = path.join(rt.scopeDir()!, "owner.json")
      const record = JSON.parse(fs.readFileSync(ownerPath, "utf8"))
      // another live instance takes over the record (this test process stands in for it), replacing it
      // atomically like every record writer: a write in place could be read half-written, which the daemon
      // rightly takes for no record at all (it then retires as orphaned, not superseded)
      fs.writeFileSync(`${ownerPath}.tmp-test`, JSON.stringify({ ...record, pid: process.pid, pid_started_at: me.started_at, instance_id: "another-instance" }))
      fs.renameSync(`${ownerPath}.tmp-test`, ownerPath)
      await eventually("the superseded daemon's exit", async () => !(await alive(first.pid, firstId.started_at)))
      assert.strictEqual(JSON.parse(fs.readFileSync(ownerPath, "utf8")).instance_id, "another-instance", "it left the other's record alone")
      assert.include(fs.readFileSync(path.join(rt.scopeDir()!, "daemon.log"), "utf8"), "retiring: superseded")
      fs.rmSync(ownerPath)
      const second = ok(await rt.cli(p.root, ["sync", "daemon", "start", "--json"]), "start again")
      daemons.push(second.pid)
      const secondId = await identityOf(second.pid)
      fs.rmSync(ownerPath)
      await eventually("the orphaned daemon's exit", async () => !(await alive(second.pid, secondId.started_at)))
      assert.include(fs.readFileSync(path.join(rt.scopeDir()!, "daemon.log"), "utf8"), "retiring: orphaned")
    }), 180_000)

  it.live("idle: with no new event and no authenticated request for idle_retire_seconds, the daemon retires and removes its record", () =>
    Effect.promise(async () => {
      const p = project("idle-mission", 5, 1)
      const sink = await startSink()
      sinks.push(sink)
      const rt = runtime()
      await configure(rt, sink, [p.root], ["--idle-retire", "2"])
      const start = ok(await rt.cli(p.root, ["sync", "daemon", "start", "--json"]), "start")
      daemons.push(start.pid)
      const id = await identityOf(start.pid)
      await eventually("the idle daemon's exit", async () => !(await alive(start.pid, id.started_at)))
      assert.isNull(rt.owner())
      assert.include(fs.readFileSync(path.join(rt.scopeDir()!, "daemon.log"), "utf8"), "retiring: idle")
    }), 180_000)
  it.live("reconfigured (the sink is no longer its scope) and no registered project: the daemon exits by itself", () =>
    Effect.promise(async () => {
      const p = project("reconf-mission", 10, 1)
      const sink = await startSink()
      const other = await startSink()
      sinks.push(sink, other)
      const rt = runtime()
      await configure(rt, sink, [p.root])
      const first = ok(await rt.cli(p.root, ["sync", "daemon", "start", "--json"]), "start")
      daemons.push(first.pid)
      const firstId = await identityOf(first.pid)
      const scopeDir = rt.scopeDir()!
      await eventually("the first delivery", () => sink.delivered.size === 1)
      // the configuration now names another sink (another scope): the daemon of the old scope retires
      ok(await rt.cli(p.root, ["sync", "config", "--sink", other.url, "--json"]), "reconfigure")
      await eventually("the reconfigured daemon's exit", async () => !(await alive(first.pid, firstId.started_at)))
      assert.include(fs.readFileSync(path.join(scopeDir, "daemon.log"), "utf8"), "retiring: reconfigured")
      assert.isFalse(fs.existsSync(path.join(scopeDir, "owner.json")), "it removed its own record")
      // a daemon with no registered project retires (here after the 2 s idle period, which is shorter than 60 s)
      ok(await rt.cli(p.root, ["sync", "config", "--idle-retire", "2", "--json"]), "idle period")
      ok(await rt.cli(p.root, ["sync", "unregister", "--json"]), "unregister")
      const second = ok(await rt.cli(p.root, ["sync", "daemon", "start", "--json"]), "start without projects")
      daemons.push(second.pid)
      const secondId = await identityOf(second.pid)
      await eventually("the daemon's exit with no project", async () => !(await alive(second.pid, secondId.started_at)))
      const otherScope = fs.readdirSync(path.join(rt.home, "sync")).map((n) => path.join(rt.home, "sync", n)).find((d) => d !== scopeDir && fs.existsSync(path.join(d, "daemon.log")))!
      const secondLog = fs.readFileSync(path.join(otherScope, "daemon.log"), "utf8")
      assert.include(secondLog, "retiring: no_projects", secondLog)
      assert.strictEqual(other.delivered.size, 0, "nothing registered, nothing sent")
    }), 180_000)
})

/** A stub with a daemon's argv that runs nothing of ours: a preload blocks its main thread forever. */
const stub = (rt: ReturnType<typeof runtime>, argv: ReadonlyArray<string>) => {
  const block = path.join(rt.base, "block.cjs")
  if (!fs.existsSync(block)) fs.writeFileSync(block, "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)\n")
  const child = spawn(argv[0], argv.slice(1), { env: { ...rt.env, NODE_OPTIONS: `--require=${block}` }, stdio: "ignore" })
  children.push(child)
  return child
}

const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null

describe("the reaper", () => {
  it.live("orphans of this root and build are reaped; another root, another executable, a wrong argv shape and the recorded owner never are", () =>
    Effect.promise(async () => {
      const sink = await startSink()
      sinks.push(sink)
      const rt = runtime()
      const p = project("reap-mission", 6, 1)
      await configure(rt, sink, [p.root])
      const root = fs.realpathSync(rt.home)
      const scope = ok(await rt.cli(p.root, ["sync", "config", "--json"]), "config").scope_id as string
      const node = fs.realpathSync(process.execPath)
      const entry = fs.realpathSync(CLI)
      const shape = (port: number, r = root, exec = node) => [
        "sync",
        "daemon",
        "run",
        "--scope",
        scope,
        "--port",
        String(port),
        `--kittyctx-daemon-root=${r}`,
        `--kittyctx-daemon-exec=${exec}`
      ]
      const otherNode = path.join(rt.base, "node-copy")
      try {
        fs.linkSync(node, otherNode)
      } catch {
        fs.copyFileSync(node, otherNode)
      }
      fs.chmodSync(otherNode, 0o755)
      const orphan1 = stub(rt, [node, entry, ...shape(9401)])
      const orphan2 = stub(rt, [node, entry, ...shape(9402)])
      const foreign = stub(rt, [node, entry, ...shape(9403, path.join(rt.base, "another-root"))])
      const otherExe = stub(rt, [otherNode, entry, ...shape(9404, root, otherNode)])
      const badShape = stub(rt, [node, entry, "some_script.js", "--scope", scope, `--kittyctx-daemon-root=${root}`, `--kittyctx-daemon-exec=${node}`])
      const owner = stub(rt, [node, entry, ...shape(9405)])
      const all = [orphan1, orphan2, foreign, otherExe, badShape, owner]
      await eventually("the stubs", async () => {
        for (const c of all) {
          const argv = await run(Effect.flatMap(Processes.Processes, (x) => x.argv(c.pid!)))
          if (argv === null || !argv.some((a) => a.startsWith("--kittyctx-daemon-root="))) return false
        }
        return true
      })
      const ownerId = await identityOf(owner.pid!)
      fs.mkdirSync(path.join(rt.home, "sync", scope), { recursive: true })
      fs.writeFileSync(
        path.join(rt.home, "sync", scope, "owner.json"),
        JSON.stringify({
          schema: "kittyctx.daemon-owner/v1",
          pid: owner.pid,
          pid_started_at: ownerId.started_at,
          port: 9405,
          token: "0123456789abcdef0123456789abcdef",
          instance_id: "recorded-owner",
          protocol_version: 1,
          kittyctx_version: "0.0.0-other",
          executable_path: node,
          entry_path: entry,
          runtime_root: root,
          scope_id: scope,
          sink_url: sink.url,
          auth_principal: null,
          started_at: "2026-01-01T00:00:00.000Z"
        })
      )
      const reasons = (out: Record<string, any>) =>
        Object.fromEntries((out.skipped as Array<{ pid: number; reason: string }>).map((s) => [s.pid, s.reason]))
      const dry = ok(await rt.cli(p.root, ["sync", "daemon", "reap", "--dry-run", "--json"]), "dry run")
      assert.sameMembers(dry.would_reap, [orphan1.pid, orphan2.pid])
      assert.deepStrictEqual(dry.reaped, [])
      const skipped = reasons(dry)
      assert.strictEqual(skipped[foreign.pid!], "foreign_root")
      assert.strictEqual(skipped[otherExe.pid!], "executable_mismatch")
      assert.strictEqual(skipped[badShape.pid!], "shape_mismatch")
      assert.strictEqual(skipped[owner.pid!], "recorded_owner")
      assert.isTrue(all.every((c) => !exited(c)), "a dry run signals nothing")
      const real = ok(await rt.cli(p.root, ["sync", "daemon", "reap", "--json"]), "reap")
      assert.sameMembers(real.reaped, [orphan1.pid, orphan2.pid])
      await eventually("the orphans' exit", () => exited(orphan1) && exited(orphan2))
      assert.strictEqual(orphan1.signalCode, "SIGTERM")
      for (const c of [foreign, otherExe, badShape, owner]) assert.isFalse(exited(c), `pid ${c.pid} was never signalled`)
      assert.deepStrictEqual(reasons(real), skipped)
    }), 180_000)

  it.live("a live process whose pid the owner record names with another start time (pid reuse) is never signalled", () =>
    Effect.promise(async () => {
      const sink = await startSink()
      sinks.push(sink)
      const rt = runtime()
      const p = project("reuse-mission", 7, 1)
      await configure(rt, sink, [p.root])
      const sleeper = spawn("sleep", ["600"], { stdio: "ignore" })
      children.push(sleeper)
      const sleepId = await identityOf(sleeper.pid!)
      const scope = ok(await rt.cli(p.root, ["sync", "config", "--json"]), "config").scope_id as string
      const ownerPath = path.join(rt.home, "sync", scope, "owner.json")
      fs.mkdirSync(path.dirname(ownerPath), { recursive: true })
      const record = {
        schema: "kittyctx.daemon-owner/v1",
        pid: sleeper.pid,
        pid_started_at: (Number(sleepId.started_at) - 3600).toFixed(2),
        port: 9449,
        token: "0123456789abcdef0123456789abcdef",
        instance_id: "long-gone",
        protocol_version: 1,
        kittyctx_version: "0.1.0",
        executable_path: fs.realpathSync(process.execPath),
        entry_path: fs.realpathSync(CLI),
        runtime_root: fs.realpathSync(rt.home),
        scope_id: scope,
        sink_url: sink.url,
        auth_principal: null,
        started_at: "2026-01-01T00:00:00.000Z"
      }
      fs.writeFileSync(ownerPath, JSON.stringify(record))
      const stop = ok(await rt.cli(p.root, ["sync", "daemon", "stop", "--json"]), "stop")
      assert.deepStrictEqual([stop.stopped, stop.liveness], [false, "reused"])
      assert.isFalse(exited(sleeper), "the sleep was not signalled")
      assert.isFalse(fs.existsSync(ownerPath), "the stale record is removed")
      fs.writeFileSync(ownerPath, JSON.stringify(record))
      const start = ok(await rt.cli(p.root, ["sync", "daemon", "start", "--json"]), "start")
      daemons.push(start.pid)
      assert.isTrue(start.started)
      assert.isFalse(exited(sleeper), "starting over a reused pid signals nothing")
      assert.strictEqual(rt.owner().pid, start.pid)
      ok(await rt.cli(p.root, ["sync", "daemon", "stop", "--json"]), "stop")
      // an owner record that cannot be trusted blocks reuse and is never signalled through
      fs.writeFileSync(ownerPath, "{\"schema\": \"kittyctx.daemon-owner/v1\", \"pid\": \"nope\"}")
      const blocked = await rt.cli(p.root, ["sync", "daemon", "start", "--json"])
      assert.strictEqual(blocked.code, 1)
      assert.strictEqual(JSON.parse(blocked.stdout).error.code, "DAEMON_OWNER_RECORD_UNREADABLE")
    }), 180_000)
})

/** Every entry under `root` (directories and the git dir included): kind, content hash, size, mtime. */
const snapshotTree = (root: string): Map<string, string> => treeMap(root, { dirs: true, stat: true })

describe("the daemon reads, never writes, the repositories", () => {
  it.live("while it delivers through a failing then recovering sink, and through rescans: bytes, mtimes, git status unchanged, no file event at all", () =>
    Effect.promise(async () => {
      const a = project("ro-alpha", 8, 40)
      const b = project("ro-beta", 9, 40)
      let n = 0
      const sink = await startSink(() => (++n <= 4 ? { status: 503 } : { status: 200 }))
      sinks.push(sink)
      const rt = runtime()
      await configure(rt, sink, [a.root, b.root], ["--batch-max-events", "5"])
      const roots = [a.root, b.root]
      // git's own view, without the optional index refresh (which would write the index)
      const porcelain = (r: string) => git(r, ["status", "--porcelain", "--ignored"], { ...isolatedEnv(path.dirname(r)), GIT_OPTIONAL_LOCKS: "0" })
      const statusBefore = roots.map(porcelain)
      const before = roots.map(snapshotTree)
      const events: Array<string> = []
      const watchers = roots.map((r) => fs.watch(r, { recursive: true }, (kind, name) => events.push(`${kind} ${r}/${String(name)}`)))
      try {
        const start = ok(await rt.cli(a.root, ["sync", "daemon", "start", "--json"]), "start")
        daemons.push(start.pid)
        await eventually("every event through the flaky sink", () => sink.delivered.size === 80, 60_000)
        const token = rt.owner().token as string
        const wake = await fetch(`http://127.0.0.1:${start.port}/api/wake`, { method: "POST", body: JSON.stringify({ token }) })
        assert.strictEqual(wake.status, 202)
        const bad = await fetch(`http://127.0.0.1:${start.port}/api/wake`, { method: "POST", body: JSON.stringify({ token: "0".repeat(32) }) })
        assert.strictEqual(bad.status, 403)
        ok(await rt.cli(a.root, ["sync", "daemon", "stop", "--json"]), "stop")
        await new Promise((resolve) => setTimeout(resolve, 100)) // let the watchers report
      } finally {
        watchers.forEach((w) => w.close())
      }
      assert.deepStrictEqual(events, [], "no file in either repository was created, changed or removed")
      roots.forEach((r, i) => assert.deepStrictEqual(snapshotTree(r), before[i], r))
      assert.deepStrictEqual(roots.map(porcelain), statusBefore, "git status --porcelain --ignored unchanged")
      assert.deepStrictEqual(statusBefore, ["", ""], "clean before and after")
    }), 180_000)
})
