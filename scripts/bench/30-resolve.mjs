// Context resolution cost against 10 vs 400 missions, in process (the library program).
import { readFileSync, writeFileSync, readdirSync } from "node:fs"
import { join, resolve } from "node:path"
import { CORPUS, makeRepo, median, row } from "./harness.mjs"

export const title = "resolveContext in process, 10 vs 400 missions (median of 25)"

export const run = async () => {
  const lib = await import(resolve("dist/index.mjs"))
  const { Effect } = await import("effect")
  const real = "deliver-loaded-doctrine-01M0DSQM"
  const corpusMissions = readdirSync(CORPUS)
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
  row("by dir name, 10 missions", `${r10.toFixed(2)} ms`)
  row("by dir name, 400 missions", `${r400.toFixed(2)} ms`, `${(r400 / r10).toFixed(2)}x  (target <= 1.5x)`)
  row("by mid8 (reads every meta.json), 10 missions", `${r10id.toFixed(2)} ms`)
  row("by mid8 (reads every meta.json), 400 missions", `${r400id.toFixed(2)} ms`, `${(r400id / r10id).toFixed(2)}x`)

}
