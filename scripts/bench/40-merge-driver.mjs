// The event-log merge driver: the union of two 10,000-event logs with a common 9,000-event base, in
// process against reading and JSON.parse-ing the three inputs; then the driver as git runs it (a whole
// process on those files) against a bare node start.
import { readFileSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { BARE, CLI, CORPUS, interleaved, median, ratio, row, spread, work } from "./harness.mjs"

export const title = "Event-log merge driver: 10,000 + 10,000 events over a 9,000-event base"

const ROUNDS = 15

export const run = async () => {
  const lib = await import(resolve("dist/index.mjs"))
  const source = readFileSync(join(CORPUS, "lifecycle-gate-execution-context-01KY72GQ", "status.events.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l))
  const event = (i, side) => {
    const o = { ...source[i % source.length] }
    o.event_id = `01KB${side}${String(i).padStart(21, "0")}`
    const seconds = 1_780_000_000 + i
    o.at = new Date(seconds * 1000).toISOString().replace(".000Z", `.${String(i % 1_000_000).padStart(6, "0")}+00:00`)
    delete o.timestamp
    return lib.encodeLine(o)
  }
  const base = Array.from({ length: 9000 }, (_, i) => event(i, "B"))
  const ours = [...base, ...Array.from({ length: 1000 }, (_, i) => event(9000 + 2 * i, "O"))]
  const theirs = [...base, ...Array.from({ length: 1000 }, (_, i) => event(9001 + 2 * i, "T"))]
  const files = { O: join(work, "O"), A: join(work, "A"), B: join(work, "B") }
  const texts = { O: base.join("\n") + "\n", A: ours.join("\n") + "\n", B: theirs.join("\n") + "\n" }
  for (const k of ["O", "A", "B"]) writeFileSync(files[k], texts[k])
  const bytes = Object.values(texts).reduce((n, t) => n + t.length, 0)

  const floor = () => {
    const t0 = process.hrtime.bigint()
    let n = 0
    for (const k of ["O", "A", "B"]) {
      for (const line of readFileSync(files[k], "utf8").split("\n")) if (line !== "") n += JSON.parse(line).event_id.length
    }
    return [Number(process.hrtime.bigint() - t0) / 1e6, n]
  }
  let expected = null
  const union = () => {
    const t0 = process.hrtime.bigint()
    const inputs = ["O", "A", "B"].map((k) => ({ source: files[k], text: readFileSync(files[k], "utf8") }))
    const r = lib.mergeEventLogs(inputs)
    const ms = Number(process.hrtime.bigint() - t0) / 1e6
    if (r._tag !== "Right") throw new Error(r.left.message)
    if (expected === null) expected = r.right
    else if (r.right !== expected) throw new Error("the union is not deterministic")
    return ms
  }
  const floors = []
  const unions = []
  for (let i = 0; i < ROUNDS + 1; i++) {
    globalThis.gc?.()
    const f = floor()[0]
    globalThis.gc?.()
    const u = union()
    if (i === 0) continue
    floors.push(f)
    unions.push(u)
  }
  const lines = expected.split("\n").length - 1
  row(`read + JSON.parse of the 3 inputs (${(bytes / 1e6).toFixed(1)} MB)`, spread(floors))
  row(`read + mergeEventLogs (${lines} rows out)`, spread(unions), `${(median(unions) / median(floors)).toFixed(2)}x the floor`)

  // the driver process, as git runs it: start-up on a small log against a bare node start
  const small = { O: join(work, "sO"), A: join(work, "sA"), B: join(work, "sB") }
  for (const k of ["O", "A", "B"]) writeFileSync(small[k], base.slice(0, 20).join("\n") + "\n")
  const tiny = interleaved(BARE, [[CLI, "merge-driver-event-log", "sO", "sA", "sB"]], work, ROUNDS)
  row("bare `node -e \"\"`", spread(tiny.base))
  row("`kittyctx merge-driver-event-log` on 20-event logs (process)", spread(tiny.samples[0]), ratio(tiny.samples[0], tiny.base))

  // and on the big inputs, against a bare node process that only reads and JSON.parses them; %A is
  // reset before each round (untimed)
  const parseOnly = ["-e", "const fs=require('fs');for(const f of ['O','A','B'])for(const l of fs.readFileSync(f,'utf8').split('\\n'))if(l)JSON.parse(l)"]
  const big = interleaved(parseOnly, [[CLI, "merge-driver-event-log", "O", "A", "B"]], work, ROUNDS, {
    before: () => writeFileSync(files.A, texts.A)
  })
  if (readFileSync(files.A, "utf8") !== expected) throw new Error("the driver wrote something else than the union")
  row("node process: read + JSON.parse of the 3 inputs", spread(big.base))
  row("`kittyctx merge-driver-event-log O A B` (process, writes %A)", spread(big.samples[0]),
    `${(median(big.samples[0]) / median(big.base)).toFixed(2)}x that process`)
}
