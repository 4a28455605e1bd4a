/**
 * The process table (docs/surfaces.md §0.5): process identity, the one liveness probe and the one
 * kill path, on real processes through the live layer, and the pure verdict.
 * Bare section numbers (§N) cite docs/surfaces.md.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { livenessOf, parseBootTime, parseProcStartTicks, renderStartedAt } from "../../../src/core/process/ProcessIdentity.js"
import type { ProcessIdentity } from "../../../src/core/process/ProcessIdentity.js"
import * as Processes from "../../../src/services/ports/Processes.js"

const processIdentity = (pid: number) =>
  Effect.flatMap(Processes.Processes, (p) => p.identity(pid)).pipe(Effect.provide(Processes.layer))
const probe = (identity: ProcessIdentity) =>
  Effect.flatMap(Processes.Processes, (p) => p.probe(identity)).pipe(Effect.provide(Processes.layer))
const signal = (identity: ProcessIdentity, sig: NodeJS.Signals) =>
  Effect.flatMap(Processes.Processes, (p) => p.signal(identity, sig)).pipe(Effect.provide(Processes.layer))

const linux = process.platform === "linux"

describe("Processes (§0.5)", () => {
  it("parses field 22 after the last ')' (a comm may hold spaces and parentheses)", () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3))
    fields[0] = "S"
    fields[22 - 3] = "239541"
    assert.strictEqual(parseProcStartTicks(`4242 (my (odd) name) ${fields.join(" ")}`), 239541)
    assert.strictEqual(parseProcStartTicks("garbage"), null)
    assert.strictEqual(parseBootTime("cpu 1 2 3\nbtime 1795494556\nprocesses 9\n"), 1795494556)
    assert.strictEqual(parseBootTime("cpu 1\n"), null)
    assert.strictEqual(renderStartedAt(1795494556, 239541), "1795496951.41")
    assert.strictEqual(renderStartedAt(1785321330, 213), "1785321332.13")
  })

  it.effect.skipIf(!linux)("this process's identity: its start time, in epoch seconds with two decimals", () =>
    Effect.gen(function*() {
      const me = yield* processIdentity(process.pid)
      assert.match(me.started_at ?? "", /^\d+\.\d\d$/)
      assert.strictEqual(yield* probe(me), "alive")
    }))

  it.effect.skipIf(!linux)("another start time is a reused pid; an unknown start time is unknown", () =>
    Effect.gen(function*() {
      const me = yield* processIdentity(process.pid)
      const later = (Number(me.started_at) + 30).toFixed(2)
      assert.strictEqual(yield* probe({ pid: process.pid, started_at: later }), "reused")
      const close = (Number(me.started_at) + 0.5).toFixed(2)
      assert.strictEqual(yield* probe({ pid: process.pid, started_at: close }), "alive", "within the ±1.0 s tolerance")
      assert.strictEqual(yield* probe({ pid: process.pid, started_at: null }), "unknown")
    }))

  it.live("an exited process is dead; pids that address process groups are never probed as processes", () =>
    Effect.gen(function*() {
      const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" })
      const pid = child.pid!
      const identity = yield* processIdentity(pid)
      if (linux) assert.strictEqual(yield* probe(identity), "alive")
      yield* Effect.async<void>((resume) => {
        child.once("exit", () => resume(Effect.void))
        child.kill("SIGKILL")
      })
      assert.strictEqual(yield* probe(identity), "dead")
      for (const bad of [0, -1, 1.5, Number.NaN]) {
        assert.strictEqual(yield* probe({ pid: bad, started_at: "1.00" }), "dead")
        assert.strictEqual((yield* processIdentity(bad)).started_at, null)
      }
    }))

  it("the verdict is a pure function of what the OS says", () => {
    const id = { pid: 7, started_at: "100.00" }
    assert.strictEqual(livenessOf(id, { exists: false, started_at: null }), "dead")
    assert.strictEqual(livenessOf(id, { exists: true, started_at: null }), "unknown")
    assert.strictEqual(livenessOf(id, { exists: true, started_at: "101.00" }), "alive")
    assert.strictEqual(livenessOf(id, { exists: true, started_at: "101.01" }), "reused")
    assert.strictEqual(livenessOf({ pid: 7, started_at: null }, { exists: true, started_at: "100.00" }), "unknown")
  })

})

describe("the one kill path (§0.5)", () => {
  it.live("signals a live process it can attribute; never a reused pid or an unknown start time", () =>
    Effect.gen(function*() {
      const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" })
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
      const identity = yield* processIdentity(child.pid!)
      const reused = { pid: child.pid!, started_at: (Number(identity.started_at) + 30).toFixed(2) }
      assert.deepStrictEqual(yield* signal(reused, "SIGTERM"), { _tag: "NotAttributable", liveness: linux ? "reused" : "unknown" })
      assert.deepStrictEqual(yield* signal({ pid: child.pid!, started_at: null }, "SIGTERM"), {
        _tag: "NotAttributable",
        liveness: "unknown"
      })
      assert.isNull(child.exitCode, "nothing was sent to the unattributed identities")
      if (linux) {
        assert.deepStrictEqual(yield* signal(identity, "SIGTERM"), { _tag: "Signalled" })
        yield* Effect.promise(() => exited)
        assert.deepStrictEqual(yield* signal(identity, "SIGTERM"), { _tag: "Gone" })
      } else {
        child.kill("SIGKILL")
        yield* Effect.promise(() => exited)
      }
    }))

  it("the memory table: only an attributable process is signalled, and it leaves the table", () =>
    Effect.gen(function*() {
      const table: Processes.ProcessTable = { processes: new Map([[41, "100.00"], [42, null]]), signalled: [] }
      const run = <A>(eff: Effect.Effect<A, never, Processes.Processes>) => Effect.provide(eff, Processes.layerMemory(table))
      const send = (identity: ProcessIdentity) => run(Effect.flatMap(Processes.Processes, (p) => p.signal(identity, "SIGTERM")))
      assert.deepStrictEqual(yield* send({ pid: 41, started_at: "130.00" }), { _tag: "NotAttributable", liveness: "reused" })
      assert.deepStrictEqual(yield* send({ pid: 42, started_at: "100.00" }), { _tag: "NotAttributable", liveness: "unknown" })
      assert.deepStrictEqual(yield* send({ pid: 43, started_at: "100.00" }), { _tag: "Gone" })
      assert.deepStrictEqual(table.signalled, [])
      assert.deepStrictEqual(yield* send({ pid: 41, started_at: "100.40" }), { _tag: "Signalled" })
      assert.deepStrictEqual(table.signalled, [{ pid: 41, signal: "SIGTERM" }])
      assert.deepStrictEqual(yield* send({ pid: 41, started_at: "100.40" }), { _tag: "Gone" })
    }).pipe(Effect.runSync))
})

/**
 * The reaper's facts (docs/surfaces.md §8.4), one contract for both layers: a process is listed, its
 * argv reads exactly (NUL-separated, an argument with spaces kept whole), its executable reads as a
 * path; once it is gone every read is null and it is no longer listed.
 */
interface FactsFixture {
  readonly layer: Layer.Layer<Processes.Processes>
  readonly pid: number
  readonly argv: ReadonlyArray<string>
  readonly executable: string
  readonly end: Effect.Effect<void>
}

const factsContract = (name: string, make: Effect.Effect<FactsFixture>) =>
  it.live(`${name}: list, argv and executable of a process, and null once it is gone`, () =>
    Effect.gen(function*() {
      const f = yield* make
      const run = <A>(eff: Effect.Effect<A, never, Processes.Processes>) => Effect.provide(eff, f.layer)
      const p = <A>(use: (p: Context.Tag.Service<Processes.Processes>) => Effect.Effect<A>) => run(Effect.flatMap(Processes.Processes, use))
      assert.include(yield* p((x) => x.list), f.pid)
      assert.deepStrictEqual(yield* p((x) => x.argv(f.pid)), f.argv)
      assert.strictEqual(yield* p((x) => x.executable(f.pid)), f.executable)
      yield* f.end
      assert.notInclude(yield* p((x) => x.list), f.pid)
      assert.isNull(yield* p((x) => x.argv(f.pid)))
      assert.isNull(yield* p((x) => x.executable(f.pid)))
      for (const bad of [0, -1, 1.5]) assert.isNull(yield* p((x) => x.argv(bad)))
    }))

describe.skipIf(!linux)("the reaper's facts (live)", () => {
  factsContract(
    "live",
    Effect.sync(() => {
      const args = ["-e", "setTimeout(() => {}, 60000)", "--", "an argument with spaces", "--kittyctx-daemon-root=/x"]
      const child = spawn(process.execPath, args, { stdio: "ignore" })
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
      return {
        layer: Processes.layer,
        pid: child.pid!,
        argv: [process.execPath, ...args],
        executable: fs.realpathSync(process.execPath),
        end: Effect.promise(async () => {
          child.kill("SIGKILL")
          await exited
        })
      }
    })
  )
})

describe("the reaper's facts (memory)", () => {
  factsContract(
    "memory",
    Effect.sync(() => {
      const table: Processes.ProcessTable = {
        processes: new Map([[501, "100.00"], [502, null]]),
        signalled: [],
        argv: new Map([[501, ["/usr/bin/node", "/k.mjs", "an argument with spaces"]]]),
        executables: new Map([[501, "/usr/bin/node"]])
      }
      return {
        layer: Processes.layerMemory(table),
        pid: 501,
        argv: ["/usr/bin/node", "/k.mjs", "an argument with spaces"],
        executable: "/usr/bin/node",
        end: Effect.sync(() => void table.processes.delete(501))
      }
    })
  )
})
