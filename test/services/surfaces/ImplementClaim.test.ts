/**
 * The pure and process-level parts of the claim: process identity and the one liveness probe
 * (surfaces §0.5), and the implement-time bulk-edit inference (§6.5). The claim itself runs against
 * real git in test/cli/implement.cli.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { bulkEditInference } from "../../../src/services/surfaces/ImplementClaim.js"
import {
  livenessOf,
  parseBootTime,
  parseProcStartTicks,
  probe,
  processIdentity,
  renderStartedAt
} from "../../../src/services/ports/ProcessIdentity.js"

const linux = process.platform === "linux"

describe("ProcessIdentity (§0.5)", () => {
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
      const expected = Date.now() / 1000 - process.uptime()
      assert.isBelow(Math.abs(Number(me.started_at) - expected), 1.5)
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

  it("static: one module reads process start times and defines the probe", () => {
    const src = fileURLToPath(new URL("../../../src", import.meta.url))
    const files: Array<string> = []
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name)
        if (e.isDirectory()) walk(p)
        else if (e.name.endsWith(".ts")) files.push(p)
      }
    }
    walk(src)
    const reading = files.filter((f) => /\/proc\/|lstart|process\.kill\(/.test(fs.readFileSync(f, "utf8")))
    assert.deepStrictEqual(reading.map((f) => path.relative(src, f)), ["services/ProcessIdentity.ts"])
    const probes = files.filter((f) => /export const probe\b/.test(fs.readFileSync(f, "utf8")))
    assert.deepStrictEqual(probes.map((f) => path.relative(src, f)), ["services/ProcessIdentity.ts"])
  })
})

describe("bulk-edit inference (§6.5)", () => {
  const cases: ReadonlyArray<readonly [string, number, ReadonlyArray<string>, boolean]> = [
    ["Add a health endpoint.", 0, [], false],
    ["Rename the flag.", 2, ["rename"], false],
    ["Rename the flag and migrate the config.", 4, ["migrate", "rename"], true],
    ["Run a codemod.", 3, ["codemod"], true],
    ["Rename across the repo.", 3, ["rename across"], true],
    ["Replace all callers.", 2, ["replace all"], true],
    ["Update docs across the codebase.", 2, ["across the codebase"], true],
    ["Rename all occurrences of Foo.", 3, ["rename all occurrences"], true],
    ["Renamed files and a migration.", 0, [], false],
    ["Use sed, then sed again. SED!", 2, ["sed"], false],
    ["Find-and-replace, or find and replace.", 6, ["find and replace", "find-and-replace"], true],
    ["A search and replace, not a replace everywhere.", 5, ["replace everywhere", "search and replace"], true]
  ]
  for (const [text, score, phrases, triggered] of cases) {
    it(`${JSON.stringify(text)} → ${score}`, () => {
      assert.deepStrictEqual(bulkEditInference(text), { score, phrases, triggered })
    })
  }
})
