// CLI start-up on a real corpus mission, interleaved with a bare node start; and an emit on it.
import { join } from "node:path"
import { BARE, CLI, CORPUS, interleaved, makeRepo, ratio, row, spread } from "./harness.mjs"
import { execFileSync } from "node:child_process"

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
