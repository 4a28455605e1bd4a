/**
 * The launcher's routing (docs/ARCHITECTURE.md, "Start-up"): `--version` answered by the launcher, the hot
 * commands by the start-up bundle, the sync daemon (`sync daemon run` exactly as `sync daemon start` spawns
 * it) by its lean bundle, and every other form by the full command line, which answers the lean entries'
 * forms alike. Checked on a copy of the build whose full bundle is replaced by a marker.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { daemonArgv } from "../../src/core/sync/DaemonProcess.js"
import { CLI, isolatedEnv, makeTemp, removeTemp, runCli } from "../support/repo.js"

const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

const FULL_MARKER = "the full command line was loaded"

/** A copy of dist/ whose full bundle only says that it was loaded. */
const markedCopy = () => {
  const dir = makeTemp()
  temps.push(dir)
  const copy = path.join(dir, "dist")
  fs.cpSync(path.dirname(CLI), copy, { recursive: true })
  // the bundles load their native bindings from node_modules
  fs.symlinkSync(path.resolve(path.dirname(CLI), "../node_modules"), path.join(dir, "node_modules"))
  // written as the build writes a bundle: the function the launcher calls
  fs.writeFileSync(path.join(copy, "full.cjs"), `(function () { process.stderr.write(${JSON.stringify(FULL_MARKER + "\n")}); process.exitCode = 3\n})\n`)
  fs.rmSync(path.join(copy, "full.cjs.cache"))
  return { launcher: path.join(copy, "kittyctx.cjs"), cwd: dir }
}

const runWith = (launcher: string, cwd: string, args: ReadonlyArray<string>) => {
  const r = spawnSync(process.execPath, [launcher, ...args], { cwd, env: isolatedEnv(cwd), encoding: "utf8", input: "" })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

// the daemon's arguments as `sync daemon start` writes them (stdin then closes without the secret line)
const daemonArgs = (root: string) => daemonArgv({ executable: process.execPath, entry: CLI }, root, "0123456789abcdef", 9).slice(2)

describe("the launcher's routing", () => {
  it("the daemon's exact argv runs in its lean bundle; any other spelling goes to the full command line", () => {
    const { launcher, cwd } = markedCopy()
    const lean = runWith(launcher, cwd, daemonArgs(cwd))
    assert.notInclude(lean.stderr, FULL_MARKER)
    assert.strictEqual(lean.code, 1)
    assert.match(lean.stderr, /^error\[SPAWN_SECRET_INVALID\]/)
    const spelled = daemonArgs(cwd).map((a) => (a === "--scope" ? "--scope=0123456789abcdef" : a)).filter((a) => a !== "0123456789abcdef")
    const full = runWith(launcher, cwd, spelled)
    assert.strictEqual(full.code, 3)
    assert.include(full.stderr, FULL_MARKER)
  })

  it("the hot commands run in the start-up bundle, `--version` in the launcher, help in the full command line", () => {
    const { launcher, cwd } = markedCopy()
    const show = runWith(launcher, cwd, ["status", "show", "--mission", "none", "--json"])
    assert.notInclude(show.stderr, FULL_MARKER)
    assert.strictEqual(show.code, 1)
    assert.strictEqual(JSON.parse(show.stdout).ok, false)
    const version = runWith(launcher, cwd, ["--version"])
    assert.strictEqual(version.code, 0)
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/)
    const help = runWith(launcher, cwd, ["status", "show", "--help"])
    assert.strictEqual(help.code, 3)
    assert.include(help.stderr, FULL_MARKER)
  })

  it("the lean daemon entry and the full command line answer the daemon's request alike", () => {
    const cwd = makeTemp()
    temps.push(cwd)
    const lean = runCli(cwd, daemonArgs(cwd))
    const spelled = daemonArgs(cwd).map((a) => (a === "--port" ? "--port=9" : a)).filter((a, i, all) => !(a === "9" && all[i - 1] === "--port=9"))
    const full = runCli(cwd, spelled)
    assert.strictEqual(lean.code, 1)
    assert.deepStrictEqual(full, lean)
  })
})

describe("the code caches", () => {
  it("each bundle, and the start-up bundle for each of its commands, has a cache this node accepts", async () => {
    const vm = await import("node:vm")
    const dist = path.dirname(CLI)
    const launcher = fs.readFileSync(CLI, "utf8")
    const caches: Array<readonly [string, string]> = [
      ["full.cjs", "full.cjs.cache"],
      ["daemon.cjs", "daemon.cjs.cache"],
      ["merge-driver.cjs", "merge-driver.cjs.cache"],
      ...["status show", "status emit", "context resolve"].flatMap((cmd) => {
        assert.include(launcher, JSON.stringify(cmd), "the launcher routes the command to the start-up bundle")
        return ["", "-json"].map((form) => ["fast.cjs", `fast.cjs.${cmd.replace(" ", "-")}${form}.cache`] as const)
      })
    ]
    for (const [bundle, cache] of caches) {
      const file = path.join(dist, bundle)
      // the bundle's text as the launcher compiles it (the cache is bound to that source)
      const script = new vm.Script(fs.readFileSync(file, "utf8"), { filename: file, cachedData: fs.readFileSync(path.join(dist, cache)) })
      assert.isFalse(script.cachedDataRejected, cache)
    }
  })
})
