// Read + decode + fold of a 100,000-line log with the corpus's mix of rows, in process, against the
// read + JSON.parse floor; then `status show --json` end to end on that log.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { BARE, CLI, CORPUS, interleaved, makeRepo, maxRssKb, median, ratio, row, spread, work } from "./harness.mjs"

export const title = "Read + decode + fold, and `status show --json` on a 100,000-line log"

export const run = async () => {
  const lib = await import(resolve("dist/index.mjs"))
  const corpusMissions = readdirSync(CORPUS).filter((m) => {
    try {
      readFileSync(join(CORPUS, m, "status.events.jsonl"))
      return true
    } catch {
      return false
    }
  })
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
  // like every real mission (all 206 of the corpus), meta.json names its target branch; without one, the
  // resolver asks git for the refs to infer it (docs/execution-context.md), one subprocess per command
  writeFileSync(join(bigDir, "meta.json"), JSON.stringify({ mission_id: "01KB1G00000000000000000000", mission_type: "software-dev", target_branch: "main" }))
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
  console.log(`  Read + decode + fold, in process, ${N.toLocaleString()} lines (${(bigText.length / 1e6).toFixed(1)} MB; ` +
    `${mix.transitions} transitions, ${mix.annotations} annotations, ${mix.envelopes} envelopes; median of 7)`)
  row("floor: read file + JSON.parse of every line", `${floor.toFixed(0)} ms`, `${(N / floor).toFixed(0)}k lines/s`)
  row("kittyctx: read + strict decode + fold + snapshot", `${ours.toFixed(0)} ms`,
    `${(N / ours).toFixed(0)}k events/s, ${(ours / floor).toFixed(2)}x floor  (targets: >= 1000k/s, <= 3x floor; spec-kitty ~90k/s)`)
  row("kittyctx, same rows in corpus (not time) order: full sort", `${shuffled.toFixed(0)} ms`,
    `${(N / shuffled).toFixed(0)}k events/s, ${(shuffled / floor).toFixed(2)}x floor`)
  console.log(`  note: at ${(bigText.length / N).toFixed(0)} bytes per line the JSON.parse floor alone is ${(N / floor).toFixed(0)}k lines/s, so 1,000k events/s is out of reach for any strict reader here`)

  const bigShow = interleaved(BARE, [[CLI, "status", "show", "--mission", "big-mission-01KB1G00", "--json"]], bigRepo, 5)
  const rss = maxRssKb([CLI, "status", "show", "--mission", "big-mission-01KB1G00", "--json"], bigRepo)
  row(`\`status show --json\` end to end, ${N.toLocaleString()} lines`, spread(bigShow.samples[0]), ratio(bigShow.samples[0], bigShow.base))
  row("max RSS", `${(rss / 1024).toFixed(0)} MB`)
}
