// Cost against the length of the history (status-model §7.7): `status show --json` and `status emit` on
// logs of 100 / 10,000 / 100,000 / 1,000,000 lines, with a valid fold checkpoint (flat) and without one
// (linear, the streaming full fold), each interleaved with a bare node start; the full fold of the
// largest log against the read + JSON.parse floor (both whole processes); peak RSS of each. The logs are
// generated once per run from the corpus's mix of rows, in time order, into the bench's temp dir.
import { execFileSync } from "node:child_process"
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs"
import { join, resolve } from "node:path"
import { BARE, CLI, CORPUS, env, interleaved, makeRepo, maxRssKb, median, ratio, row, spread, work } from "./harness.mjs"

export const title = "History length: show and emit with and without a fold checkpoint (100 / 10k / 100k / 1M lines)"

const SLUG = "big-mission-01KB1G00"
const SIZES = (process.env.KITTYCTX_BENCH_SIZES ?? "100,10000,100000,1000000").split(",").map(Number)

/** The corpus's rows with unique ids, in time order, `n` of them (each source row encoded once). */
const generate = async (n) => {
  const lib = await import(resolve("dist/index.mjs"))
  const templates = []
  for (const m of readdirSync(CORPUS)) {
    let text
    try {
      text = readFileSync(join(CORPUS, m, "status.events.jsonl"), "utf8")
    } catch {
      continue
    }
    for (const l of text.split("\n")) {
      if (l.trim() === "") continue
      const o = JSON.parse(l)
      const at = typeof o.at === "string" ? o.at : null
      if (typeof o.event_id === "string") o.event_id = "@@ID@@"
      if (at !== null) o.at = "@@AT@@"
      if (o.wp_id !== undefined && o.kind !== "annotation") o.mission_slug = SLUG
      // notes accumulate in the snapshot with every lap of the corpus; without them the snapshot stays the
      // size of a real mission's, and the table measures the cost of the history, not of a growing board
      if (o.kind === "annotation" && o.delta !== null && typeof o.delta === "object") delete o.delta.note
      templates.push({ line: lib.encodeLine(o), atRest: at?.slice(7) ?? null, stamp: o.timestamp ?? "" })
    }
  }
  const keyed = new Array(n)
  for (let i = 0; i < n; i++) {
    const t = templates[i % templates.length]
    const id = `01KB${String(i).padStart(22, "0")}`
    // spread the laps over months, so every lap stays in time order after the previous one
    const at = t.atRest === null ? null : `2025-${String(1 + (Math.floor(i / templates.length) % 12)).padStart(2, "0")}${t.atRest}`
    keyed[i] = [`${at ?? t.stamp}\u0000${id}`, t.line.replace("@@ID@@", id).replace("@@AT@@", at)]
  }
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return keyed.map(([, l]) => l)
}

/** Writes lines with their newlines, in batches (a big log is longer than a JavaScript string can be). */
const writeLines = (path, lines) => {
  const fd = openSync(path, "w")
  for (let i = 0; i < lines.length; i += 10_000) writeSync(fd, lines.slice(i, i + 10_000).join("\n") + "\n")
  closeSync(fd)
}

// the floor: read the file in 1 MiB chunks and JSON.parse every line (a log over 512 MiB does not fit one string)
const FLOOR = `
const { openSync, readSync } = require("node:fs")
const fd = openSync(process.argv[1], "r")
const buf = Buffer.alloc(1 << 20)
let carry = "", n = 0, got
while ((got = readSync(fd, buf, 0, buf.length, null)) > 0) {
  const text = carry + buf.toString("utf8", 0, got)
  let start = 0
  for (;;) { const i = text.indexOf("\\n", start); if (i < 0) break; JSON.parse(text.slice(start, i)); start = i + 1; n++ }
  carry = text.slice(start)
}
if (n === 0) process.exit(1)
`

/** Writes the bench logs only (for a look at them): `node scripts/bench/40-history.mjs <dir> <n>`. */
export const writeLog = async (path, n) => writeLines(path, await generate(n))

export const run = async () => {
  const t0 = Date.now()
  const lines = await generate(Math.max(...SIZES))
  console.log(`  (generated ${lines.length.toLocaleString()} lines in ${((Date.now() - t0) / 1000).toFixed(1)} s)`)
  const results = []
  for (const n of SIZES) {
    const repo = makeRepo(`history-${n}`, [])
    const dir = join(repo, "kitty-specs", SLUG)
    mkdirSync(join(dir, "tasks"), { recursive: true })
    // like every real mission (all 206 of the corpus), meta.json names its target branch; without one, the
    // resolver asks git for the refs to infer it (docs/execution-context.md), one subprocess per command
    writeFileSync(join(dir, "meta.json"), JSON.stringify({ mission_id: "01KB1G00000000000000000000", mission_type: "software-dev", target_branch: "main" }))
    writeFileSync(join(dir, "tasks", "WP01-bench.md"), "---\nwork_package_id: WP01\nsubtasks: []\n---\n")
    const log = join(dir, "status.events.jsonl")
    writeLines(log, lines.slice(0, n))
    const checkpoints = join(repo, ".git", "kittyctx")
    const show = [CLI, "status", "show", "--mission", SLUG, "--json"]
    const rounds = n >= 1_000_000 ? 3 : 5

    // a writer leaves a checkpoint
    execFileSync(process.execPath, [CLI, "status", "materialize", "--mission", SLUG, "--json"], { cwd: repo, env, stdio: "ignore" })
    const withCp = interleaved(BARE, [show], repo, rounds)
    const showRss = maxRssKb(show, repo)

    const emits = []
    const emitBase = []
    let emitRss = NaN
    for (let i = 0; i < rounds; i++) {
      const to = i % 2 === 0 ? "blocked" : "planned"
      const args = [CLI, "status", "emit", "WP01", "--to", to, "--actor", "bench", "--force", "--reason", "bench", "--no-auto-commit", "--mission", SLUG, "--json"]
      const r = interleaved(BARE, [args], repo, 1)
      emitBase.push(...r.base)
      emits.push(...r.samples[0])
    }
    emitRss = maxRssKb([CLI, "status", "emit", "WP01", "--to", "in_progress", "--actor", "bench", "--force", "--reason", "bench", "--no-auto-commit", "--mission", SLUG, "--json"], repo)

    const dropCheckpoint = () => rmSync(checkpoints, { recursive: true, force: true })
    const without = interleaved(BARE, [show], repo, rounds, { before: dropCheckpoint })
    dropCheckpoint()
    const fullRss = maxRssKb(show, repo)
    results.push({ n, withCp, showRss, emits, emitBase, emitRss, without, fullRss, log })
  }

  console.log("  lines        show, checkpoint            emit, checkpoint            show, no checkpoint (streaming full fold)")
  for (const r of results) {
    const cell = (xs, base, rss) => `${ratio(xs, base).replace(" bare", "")} ${(median(xs) / 1000).toFixed(2)}s ${(rss / 1024).toFixed(0)}MB`.padEnd(28)
    console.log(
      `  ${r.n.toLocaleString().padStart(9)}    ${cell(r.withCp.samples[0], r.withCp.base, r.showRss)}${cell(r.emits, r.emitBase, r.emitRss)}` +
        `${cell(r.without.samples[0], r.without.base, r.fullRss)}`
    )
  }
  console.log("  (ratio of medians to a bare `node -e \"\"` started in the same rounds; median time; peak RSS)")
  const last = results[results.length - 1]
  for (const r of results) {
    row(`show with checkpoint, ${r.n.toLocaleString()} lines`, spread(r.withCp.samples[0]), `${ratio(r.withCp.samples[0], r.withCp.base)}  (target <= 2x at 1M, RSS < 100 MB)`)
  }
  row(`emit with checkpoint, ${last.n.toLocaleString()} lines`, spread(last.emits), `${ratio(last.emits, last.emitBase)}, ${(last.emitRss / 1024).toFixed(0)} MB  (target <= 2x, < 100 MB)`)

  // the full fold of the largest log against the read + JSON.parse floor, both as whole processes
  const floorArgs = ["-e", FLOOR, last.log]
  const floor = interleaved(floorArgs, [[CLI, "status", "show", "--mission", SLUG, "--json"]], resolve(last.log, "../../.."), 3, {
    before: () => rmSync(join(resolve(last.log, "../../.."), ".git", "kittyctx"), { recursive: true, force: true })
  })
  const floorRss = maxRssKb(floorArgs, work)
  row(`floor: read + JSON.parse, ${last.n.toLocaleString()} lines`, spread(floor.base), `${(floorRss / 1024).toFixed(0)} MB`)
  row(
    `full fold (show, no checkpoint), ${last.n.toLocaleString()} lines`,
    spread(floor.samples[0]),
    `${(median(floor.samples[0]) / median(floor.base)).toFixed(2)}x floor, ${(last.fullRss / 1024).toFixed(0)} MB  (target <= 2x, < 300 MB)`
  )
}
