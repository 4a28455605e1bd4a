/**
 * The daemon's argv, written by `daemonArgv` (what `sync daemon start` spawns) and read back by
 * `readDaemonArgv` (what the daemon's lean entry runs): every argv the spawn writes is read back exactly,
 * and anything else is declined so the full command line answers it.
 */
import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { argvShape, daemonArgv, readDaemonArgv } from "../../../src/core/sync/DaemonProcess.js"

const SELF = { executable: "/usr/bin/node", entry: "/opt/kittyctx/dist/kittyctx.cjs" }
const scope = fc.stringMatching(/^[0-9a-f]{16}$/)
const port = fc.integer({ min: 1, max: 65535 })
const root = fc.string({ minLength: 1 }).map((s) => `/${s}`)

describe("readDaemonArgv", () => {
  it.prop("reads back what daemonArgv writes, and the reaper sees the same shape", [scope, port, root], ([s, p, r]) => {
    const argv = daemonArgv(SELF, r, s, p)
    assert.deepStrictEqual(readDaemonArgv(argv.slice(2)), { scope: s, port: p, root: r, exec: SELF.executable })
    const shape = argvShape(argv)
    assert.strictEqual(shape._tag, "Shape")
    assert.deepStrictEqual(shape._tag === "Shape" ? [shape.scope, shape.root, shape.exec] : null, [s, r, SELF.executable])
  })

  it("declines every other form (the full command line answers it)", () => {
    const good = daemonArgv(SELF, "/runtime", "0123456789abcdef", 9400).slice(2)
    assert.isNotNull(readDaemonArgv(good))
    const variants: Array<ReadonlyArray<string>> = [
      good.slice(0, -1),
      [...good, "--json"],
      ["sync", "daemon", "start", ...good.slice(3)],
      good.map((a) => (a === "--scope" ? "--scope=0123456789abcdef" : a)),
      good.map((a) => (a === "0123456789abcdef" ? "0123456789ABCDEF" : a)),
      good.map((a) => (a === "9400" ? "0" : a)),
      good.map((a) => (a === "9400" ? "65536" : a)),
      good.map((a) => (a === "9400" ? "09400" : a)),
      good.map((a) => (a === "9400" ? "-1" : a)),
      [...good.slice(0, 3), good[5], good[6], good[3], good[4], ...good.slice(7)],
      [...good.slice(0, -2), good[good.length - 1], good[good.length - 2]]
    ]
    for (const v of variants) assert.isNull(readDaemonArgv(v), v.join(" "))
  })
})
