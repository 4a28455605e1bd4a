// Shared bench harness: temp repos, whole-process timing interleaved with a baseline round by round
// (so a change in the machine's load moves both), medians with their spread, and one printed row format.
import { execFileSync, spawnSync } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

export const CLI = resolve("dist/kittyctx.cjs")
export const CORPUS = fileURLToPath(new URL("../../test/fixtures/spec-kitty/missions/", import.meta.url))
export const work = realpathSync(mkdtempSync(join(tmpdir(), "kittyctx-bench-")))
export const env = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: "1",
  HOME: work,
  GIT_AUTHOR_NAME: "Bench",
  GIT_AUTHOR_EMAIL: "bench@example.com",
  GIT_COMMITTER_NAME: "Bench",
  GIT_COMMITTER_EMAIL: "bench@example.com"
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/** `median [min–max]` of a sample, in ms. */
export const spread = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return `${median(s).toFixed(0)} ms [${s[0].toFixed(0)}–${s[s.length - 1].toFixed(0)}]`
}

const once = (args, cwd, options = {}) => {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, args, { cwd, env: { ...env, ...options.env }, stdio: ["ignore", "ignore", "pipe"] })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0 && options.allowFailure !== true) {
    // stdout is not captured while timing; run it again to say why it failed (a --json error is on stdout)
    const again = spawnSync(process.execPath, args, { cwd, env: { ...env, ...options.env }, encoding: "utf8" })
    throw new Error(`${args.join(" ")} failed (exit ${r.status}): ${r.stderr}${again.stdout ?? ""}${again.stderr ?? ""}`)
  }
  return ms
}

/**
 * Times each command against the baseline, interleaved round by round (baseline, a, b, ..., baseline, a, ...).
 * `before(i)` runs untimed before round i (e.g. to reset a file). Returns the samples per command and per baseline.
 */
export const interleaved = (baseline, commands, cwd, runs, options = {}) => {
  const base = []
  const samples = commands.map(() => [])
  for (let i = 0; i < runs + 1; i++) {
    options.before?.(i)
    const b = once(baseline, cwd)
    const xs = commands.map((c) => once(c, cwd, options))
    if (i === 0) continue // warm-up round
    base.push(b)
    xs.forEach((x, k) => samples[k].push(x))
  }
  return { base, samples }
}

/** The bare `node -e ""` start, the baseline of every whole-process figure. */
export const BARE = ["-e", ""]

export const maxRssKb = (args, cwd) => {
  const r = spawnSync("/usr/bin/time", ["-f", "maxrss=%M", process.execPath, ...args], { cwd, env, encoding: "utf8", maxBuffer: 1 << 28 })
  const m = /maxrss=(\d+)/.exec(r.stderr ?? "")
  return m === null ? NaN : Number(m[1])
}

export const git = (cwd, ...args) => execFileSync("git", ["-C", cwd, ...args], { env, stdio: "ignore" })

/** A repository with `.kittify/` and the given corpus missions copied in (`[dir, sourceDir]` pairs), committed. */
export const makeRepo = (name, missions) => {
  const root = join(work, name)
  mkdirSync(join(root, ".kittify"), { recursive: true })
  mkdirSync(join(root, "kitty-specs"), { recursive: true })
  for (const [dir, src] of missions) cpSync(src, join(root, "kitty-specs", dir), { recursive: true })
  git(root, "init", "-q", "-b", "main")
  git(root, "add", "-A")
  git(root, "commit", "-q", "--allow-empty", "-m", "bench")
  return root
}

export const row = (label, value, note = "") => console.log(`  ${label.padEnd(58)} ${String(value).padStart(22)}  ${note}`)

/** A ratio of medians, as printed. */
export const ratio = (xs, base) => `${(median(xs) / median(base)).toFixed(2)}x bare`

export const cleanup = () => {
  if (process.env.KITTYCTX_BENCH_KEEP !== "1") rmSync(work, { recursive: true, force: true })
}
