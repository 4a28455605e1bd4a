// CLI start-up on a real corpus mission, interleaved with a bare node start; and an emit on it.
import { join } from "node:path"
import { BARE, CLI, CORPUS, env, interleaved, makeRepo, ratio, row, spread, work } from "./harness.mjs"
import { execFileSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { build } from "esbuild"

/** The stack's floor (`effect-floor.mjs`), bundled like the CLI and started by a launcher like the CLI's. */
const buildFloor = async () => {
  const dir = join(work, "effect-floor")
  mkdirSync(dir, { recursive: true })
  await build({
    entryPoints: [new URL("./effect-floor.mjs", import.meta.url).pathname],
    outfile: join(dir, "floor.cjs"),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    logLevel: "warning"
  })
  const launcher = join(dir, "launch.cjs")
  writeFileSync(launcher, `"use strict"
const { readFileSync, writeFileSync } = require("node:fs")
const vm = require("node:vm")
const file = ${JSON.stringify(join(dir, "floor.cjs"))}
let cachedData
try { cachedData = readFileSync(file + ".cache") } catch {}
const script = new vm.Script("(function (exports, require, module, __filename, __dirname) {" + readFileSync(file, "utf8") + "\\n})", { filename: file, cachedData })
if (process.env.FLOOR_WRITE_CACHE === "1") process.on("exit", () => writeFileSync(file + ".cache", script.createCachedData()))
const mod = { exports: {} }
script.runInThisContext()(mod.exports, require, mod, file, ${JSON.stringify(dir)})
`)
  return launcher
}

export const title = "CLI start-up on a real corpus mission (interleaved with a bare `node -e \"\"`, 15 rounds)"

export const run = async () => {
  const real = "deliver-loaded-doctrine-01M0DSQM"
  const repo = makeRepo("real", [[real, join(CORPUS, real)]])
  const { base, samples } = interleaved(BARE, [
    [CLI, "--version"],
    [CLI, "status", "show", "--mission", real, "--json"],
    [CLI, "context", "resolve", "--mission", real, "--json"]
  ], repo, 15)
  row("bare `node -e \"\"`", spread(base))
  row("`--version`", spread(samples[0]), ratio(samples[0], base))
  row("`status show --json`", spread(samples[1]), `${ratio(samples[1], base)}  (spec-kitty ~3000 ms)`)
  row("`context resolve --json`", spread(samples[2]), ratio(samples[2], base))

  // the floor: a minimal Effect program started the same way (two warm runs write its code cache)
  const launcher = await buildFloor()
  const meta = join(repo, "kitty-specs", real, "meta.json")
  for (let i = 0; i < 2; i++) execFileSync(process.execPath, [launcher, meta], { env: { ...env, FLOOR_WRITE_CACHE: "1" }, stdio: "ignore" })
  const floor = interleaved(BARE, [[launcher, meta]], repo, 15)
  row("floor: minimal Effect program, started like the CLI", spread(floor.samples[0]), `${ratio(floor.samples[0], floor.base)}  (what the stack costs before any command runs)`)

  // emit: alternate two legal moves of one WP so every round appends exactly one event; without the
  // auto-commit (the mission's target branch is not checked out here, so a commit would be refused)
  const wp = "WP01"
  const lanes = JSON.parse(execFileSync(process.execPath, [CLI, "status", "show", "--mission", real, "--json"], { cwd: repo, encoding: "utf8" }))
  const lane = lanes.work_packages?.[wp]?.lane
  const [a, b] = lane === "blocked" ? ["planned", "blocked"] : ["blocked", "planned"]
  const emits = []
  const emitBase = []
  for (let i = 0; i < 11; i++) {
    const to = i % 2 === 0 ? a : b
    const r = interleaved(BARE, [[CLI, "status", "emit", wp, "--to", to, "--actor", "bench", "--force", "--reason", "bench", "--no-auto-commit", "--mission", real, "--json"]], repo, 1)
    emitBase.push(...r.base)
    emits.push(...r.samples[0])
  }
  row("`status emit --json` (forced move, small log)", spread(emits), ratio(emits, emitBase))
}
