import { build } from "esbuild"
const r = await build({ entryPoints: ["src/cli/fast.ts"], bundle: true, platform: "node", target: "node20", external: ["fs-ext", "@parcel/watcher", "fast-check"], format: "cjs", minify: true, write: false, metafile: true, outfile: "/tmp/x.cjs", define: { "import.meta.url": "__u" } })
const ins = r.metafile.inputs
const importers = new Map()
for (const [k, v] of Object.entries(ins)) for (const im of v.imports) { if (!importers.has(im.path)) importers.set(im.path, []); importers.get(im.path).push(k) }
const chain = (target) => { // BFS back to a src/ file
  const seen = new Set([target]); let q = [[target]]
  while (q.length) { const nq = []; for (const p of q) { for (const i of importers.get(p[0]) || []) { if (seen.has(i)) continue; seen.add(i); const np = [i, ...p]; if (!i.includes("node_modules")) return np; nq.push(np) } } q = nq }
}
for (const t of process.argv.slice(2)) { const k = Object.keys(ins).find((x) => x.endsWith(t)); console.log(t, "<=", (chain(k) || []).map((s) => s.replace(/.*node_modules\//, "")).join(" -> ")) }
