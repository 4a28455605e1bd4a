// npm run bench: kittyctx's performance figures as ratios against baselines measured in the same run.
// Nothing here passes or fails; it prints measurements. Each section is a module in scripts/bench/
// (`export const title`, `export const run`), run in file-name order; `npm run bench -- <name>` runs
// only the sections whose file name contains <name>. Uses the built CLI and library (dist/).
import { readdirSync } from "node:fs"
import { cleanup } from "./bench/harness.mjs"

const only = process.argv.slice(2)
const sections = readdirSync(new URL("./bench/", import.meta.url))
  .filter((f) => /^\d\d-.*\.mjs$/.test(f))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()

console.log(`kittyctx bench  (node ${process.version}, ${new Date().toISOString()})`)
try {
  for (const [i, file] of sections.entries()) {
    const section = await import(new URL(`./bench/${file}`, import.meta.url).href)
    console.log(`\n${i + 1}. ${section.title}`)
    await section.run()
  }
} finally {
  cleanup()
}
