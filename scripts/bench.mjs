// npm run bench: kittyctx's performance targets as ratios against baselines measured in the same run.
// Nothing here passes or fails; it prints measurements. Uses the built CLI and library (dist/).
import { execFileSync, spawnSync } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const lib = await import(resolve("dist/index.mjs"))
const { Effect } = await import("effect")
const CLI = resolve("dist/kittyctx.mjs")
const CORPUS = fileURLToPath(new URL("../test/fixtures/spec-kitty/missions/", import.meta.url))
const work = realpathSync(mkdtempSync(join(tmpdir(), "kittyctx-bench-")))
const env = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: work }

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}
const timeProcess = (args, cwd, runs) => {
  const times = []
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint()
    const r = spawnSync(process.execPath, args, { cwd, env, stdio: ["ignore", "ignore", "pipe"] })
    times.push(Number(process.hrtime.bigint() - t0) / 1e6)
    if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr}`)
  }
  return median(times)
}
const maxRssKb = (args, cwd) => {
  const r = spawnSync("/usr/bin/time", ["-f", "maxrss=%M", process.execPath, ...args], { cwd, env, encoding: "utf8", maxBuffer: 1 << 28 })
  const m = /maxrss=(\d+)/.exec(r.stderr ?? "")
  return m === null ? NaN : Number(m[1])
}
const git = (cwd, ...args) => execFileSync("git", ["-C", cwd, ...args], { env, stdio: "ignore" })
const makeRepo = (name, missions) => {
  const root = join(work, name)
  mkdirSync(join(root, ".kittify"), { recursive: true })
  mkdirSync(join(root, "kitty-specs"), { recursive: true })
  for (const [dir, src] of missions) cpSync(src, join(root, "kitty-specs", dir), { recursive: true })
  git(root, "init", "-q", "-b", "main")
  return root
}
const row = (label, value, note = "") => console.log(`  ${label.padEnd(58)} ${String(value).padStart(12)}  ${note}`)

console.log(`kittyctx bench  (node ${process.version}, ${new Date().toISOString()})\n`)

// 1. Start-up: status show --json and context resolve --json on a real corpus mission vs a bare node start.
const corpusMissions = readdirSync(CORPUS).filter((m) => {
  try {
    readFileSync(join(CORPUS, m, "status.events.jsonl"))
    return true
  } catch {
    return false
  }
})
const real = "deliver-loaded-doctrine-01M0DSQM"
const repo = makeRepo("real", [[real, join(CORPUS, real)]])
const runs = 15
const bare = timeProcess(["-e", ""], repo, runs)
const show = timeProcess([CLI, "status", "show", "--mission", real, "--json"], repo, runs)
const ctx = timeProcess([CLI, "context", "resolve", "--mission", real, "--json"], repo, runs)
console.log("1. CLI start-up on a real corpus mission (median of 15 runs)")
row("bare `node -e \"\"`", `${bare.toFixed(0)} ms`)
row("`status show --json`", `${show.toFixed(0)} ms`, `${(show / bare).toFixed(2)}x bare  (target <= 3x; spec-kitty ~3000 ms)`)
row("`context resolve --json`", `${ctx.toFixed(0)} ms`, `${(ctx / bare).toFixed(2)}x bare  (target <= 3x)`)

// 2. Read + decode + fold of a 100,000-line log with the corpus's mix of rows.
const corpusLines = []
for (const m of corpusMissions) {
  for (const l of readFileSync(join(CORPUS, m, "status.events.jsonl"), "utf8").split("\n")) if (l.trim()) corpusLines.push(l)
}
const N = 100_000
const lines = []
for (let i = 0; i < N; i++) {
  const src = corpusLines[i % corpusLines.length]
  const o = JSON.parse(src)
  if (typeof o.event_id === "string" && /^[0-9A-Z]{26}$/.test(o.event_id)) {
    o.event_id = o.event_id.slice(0, 18) + String(i).padStart(8, "0")
  }
  if (o.wp_id !== undefined && o.kind !== "annotation") o.mission_slug = "big-mission-01KB1G00"
  lines.push(lib.encodeLine(o))
}
// A real log is append-only: rows arrive in time order (and spec-kitty's merge driver re-sorts merged logs).
const sortKey = (line) => {
  const o = JSON.parse(line)
  return `${o.at ?? o.timestamp ?? ""}\u0000${o.event_id ?? ""}`
}
const keyed = lines.map((l) => [sortKey(l), l]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
const bigText = keyed.map(([, l]) => l).join("\n") + "\n"
const shuffledText = lines.join("\n") + "\n"
const mix = { transitions: 0, annotations: 0, envelopes: 0 }
const s0 = lib.readEventStream(bigText)
if (s0._tag !== "Right") throw new Error(`bench log does not parse: ${s0.left.message}`)
mix.transitions = s0.right.transitions.length
mix.annotations = s0.right.annotations.length
mix.envelopes = s0.right.envelopes.length
const bigRepo = makeRepo("big", [])
const bigDir = join(bigRepo, "kitty-specs", "big-mission-01KB1G00")
mkdirSync(bigDir, { recursive: true })
writeFileSync(join(bigDir, "status.events.jsonl"), bigText)
writeFileSync(join(bigDir, "meta.json"), JSON.stringify({ mission_id: "01KB1G00000000000000000000", mission_type: "software-dev" }))
const logPath = join(bigDir, "status.events.jsonl")

const floorRun = () => {
  const t0 = process.hrtime.bigint()
  const text = readFileSync(logPath, "utf8")
  let start = 0
  let n = 0
  while (true) {
    const i = text.indexOf("\n", start)
    if (i < 0) break
    const l = text.slice(start, i)
    start = i + 1
    if (l.length > 0) {
      JSON.parse(l)
      n++
    }
  }
  return Number(process.hrtime.bigint() - t0) / 1e6
}
const oursRun = (path = logPath) => {
  const t0 = process.hrtime.bigint()
  const text = readFileSync(path, "utf8")
  const s = lib.readEventStream(text)
  const snap = lib.snapshotOf(s.right, { mission_number: null, mission_type: "software-dev" })
  if (snap.event_count === 0) throw new Error("empty fold")
  return Number(process.hrtime.bigint() - t0) / 1e6
}
for (let i = 0; i < 2; i++) {
  floorRun()
  oursRun()
}
const floorTimes = []
const oursTimes = []
for (let i = 0; i < 7; i++) {
  globalThis.gc?.()
  floorTimes.push(floorRun())
  globalThis.gc?.()
  oursTimes.push(oursRun())
}
const floor = median(floorTimes)
const ours = median(oursTimes)
const shuffledPath = join(work, "shuffled.events.jsonl")
writeFileSync(shuffledPath, shuffledText)
const shuffledTimes = []
for (let i = 0; i < 5; i++) {
  globalThis.gc?.()
  shuffledTimes.push(oursRun(shuffledPath))
}
const shuffled = median(shuffledTimes)
console.log(`\n2. Read + decode + fold, in process, ${N.toLocaleString()} lines (${(bigText.length / 1e6).toFixed(1)} MB; ` +
  `${mix.transitions} transitions, ${mix.annotations} annotations, ${mix.envelopes} envelopes; median of 7)`)
row("floor: read file + JSON.parse of every line", `${floor.toFixed(0)} ms`, `${(N / floor).toFixed(0)}k lines/s`)
row("kittyctx: read + strict decode + fold + snapshot", `${ours.toFixed(0)} ms`,
  `${(N / ours).toFixed(0)}k events/s, ${(ours / floor).toFixed(2)}x floor  (targets: >= 1000k/s, <= 3x floor; spec-kitty ~90k/s)`)
row("kittyctx, same rows in corpus (not time) order: full sort", `${shuffled.toFixed(0)} ms`,
  `${(N / shuffled).toFixed(0)}k events/s, ${(shuffled / floor).toFixed(2)}x floor`)
console.log(`  note: at ${(bigText.length / N).toFixed(0)} bytes per line the JSON.parse floor alone is ${(N / floor).toFixed(0)}k lines/s, so 1,000k events/s is out of reach for any strict reader here`)

// 3. status show --json end to end on that log.
const bigShow = timeProcess([CLI, "status", "show", "--mission", "big-mission-01KB1G00", "--json"], bigRepo, 5)
const rss = maxRssKb([CLI, "status", "show", "--mission", "big-mission-01KB1G00", "--json"], bigRepo)
console.log(`\n3. \`status show --json\` end to end on the ${N.toLocaleString()}-line log (median of 5)`)
row("wall time", `${bigShow.toFixed(0)} ms`, "(target < 600 ms; spec-kitty 6400 ms)")
row("max RSS", `${(rss / 1024).toFixed(0)} MB`)

// 4. Context resolution cost against 10 vs 400 missions (in process, the library program).
const makeMany = (name, count) => {
  const pairs = []
  for (let i = 0; i < count; i++) pairs.push([`${corpusMissions[i % corpusMissions.length]}-${i}`, join(CORPUS, corpusMissions[i % corpusMissions.length])])
  pairs.push([real, join(CORPUS, real)])
  const root = makeRepo(name, pairs)
  // every copy gets its own mission id, so id handles stay unambiguous
  pairs.forEach(([dir], i) => {
    if (dir === real) return
    const metaPath = join(root, "kitty-specs", dir, "meta.json")
    try {
      const meta = JSON.parse(readFileSync(metaPath, "utf8"))
      meta.mission_id = `01KC${String(i).padStart(22, "0")}`
      writeFileSync(metaPath, JSON.stringify(meta))
    } catch {}
  })
  return root
}
const repo10 = makeMany("m10", 10)
const repo400 = makeMany("m400", 400)
const resolveTimes = (root, handle) => {
  const program = lib.resolveContext({ cwd: root, mission: handle, action: "status" }).pipe(Effect.provide(lib.MainLayer))
  return (async () => {
    const out = []
    for (let i = 0; i < 30; i++) {
      const t0 = process.hrtime.bigint()
      await Effect.runPromise(program)
      out.push(Number(process.hrtime.bigint() - t0) / 1e6)
    }
    return median(out.slice(5))
  })()
}
const r10 = await resolveTimes(repo10, real)
const r400 = await resolveTimes(repo400, real)
const r10id = await resolveTimes(repo10, "01M0DSQM")
const r400id = await resolveTimes(repo400, "01M0DSQM")
console.log("\n4. resolveContext in process, 10 vs 400 missions (median of 25)")
row("by dir name, 10 missions", `${r10.toFixed(2)} ms`)
row("by dir name, 400 missions", `${r400.toFixed(2)} ms`, `${(r400 / r10).toFixed(2)}x  (target <= 1.5x)`)
row("by mid8 (reads every meta.json), 10 missions", `${r10id.toFixed(2)} ms`)
row("by mid8 (reads every meta.json), 400 missions", `${r400id.toFixed(2)} ms`, `${(r400id / r10id).toFixed(2)}x`)

if (process.env.KITTYCTX_BENCH_KEEP !== "1") rmSync(work, { recursive: true, force: true })
