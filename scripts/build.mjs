// Builds dist/: the CLI as one CommonJS bundle (dist/kittyctx.cjs) started by a small ESM launcher
// (dist/kittyctx.mjs) that compiles it with a V8 code cache made here, and the library as one ESM
// bundle (dist/index.mjs). Startup is dominated by compiling the bundle; the cache removes most of it
// (a cache from another Node build is rejected by V8 and the launcher then simply compiles).
import { execFileSync } from "node:child_process"
import { build } from "esbuild"
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { resolve } from "node:path"

rmSync("dist", { recursive: true, force: true })
mkdirSync("dist", { recursive: true })

const common = { bundle: true, platform: "node", target: "node20", external: ["fs-ext"], legalComments: "none", logLevel: "warning" }

await build({
  ...common,
  entryPoints: ["src/cli/bin.ts"],
  outfile: "dist/kittyctx.cjs",
  format: "cjs",
  minify: process.env.KITTYCTX_NO_MINIFY !== "1",
  define: { "import.meta.url": "__kittyctx_url" }
})

// The merge driver git runs on every merge that touches an event log: a lean bundle without the command tree.
await build({
  ...common,
  entryPoints: ["src/cli/driverBin.ts"],
  outfile: "dist/merge-driver.cjs",
  format: "cjs",
  minify: process.env.KITTYCTX_NO_MINIFY !== "1",
  define: { "import.meta.url": "__kittyctx_url" }
})

writeFileSync(
  "dist/kittyctx.mjs",
  `#!/usr/bin/env node
// kittyctx launcher: compiles a bundle with its V8 code cache, then runs it. git's merge driver
// (merge-driver-event-log %O %A %B) gets the lean driver bundle; everything else the full CLI.
import { readFileSync, renameSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import vm from "node:vm"
const argv = process.argv
const driver = argv[2] === "merge-driver-event-log" && argv.length === 6 && !argv.slice(3).some((a) => a.startsWith("-"))
const file = fileURLToPath(new URL(driver ? "./merge-driver.cjs" : "./kittyctx.cjs", import.meta.url))
const cacheFile = file + ".cache"
let cachedData
try { cachedData = readFileSync(cacheFile) } catch {}
const wrapped = "(function (exports, require, module, __filename, __dirname, __kittyctx_url) {" + readFileSync(file, "utf8") + "\\n})"
const script = new vm.Script(wrapped, { filename: file, cachedData })
if (process.env.KITTYCTX_WRITE_CODE_CACHE === "1") {
  process.on("exit", () => { writeFileSync(cacheFile + ".tmp", script.createCachedData()); renameSync(cacheFile + ".tmp", cacheFile) })
}
const module = { exports: {} }
script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file), pathToFileURL(file).href)
`
)
chmodSync("dist/kittyctx.mjs", 0o755)

// Warm the code cache with the paths every command takes (argument parsing, layers, an error render).
const warm = (args) => {
  try {
    execFileSync(process.execPath, [resolve("dist/kittyctx.mjs"), ...args], {
      cwd: tmpdir(),
      env: { ...process.env, KITTYCTX_WRITE_CODE_CACHE: "1" },
      stdio: "ignore"
    })
  } catch {}
}
warm(["--version"])
warm(["status", "show", "--mission", "warmup", "--json"])
warm(["context", "resolve", "--mission", "warmup", "--json"])
{
  // the driver bundle: one merge of three one-line logs in a scratch directory
  const scratch = mkdtempSync(resolve(tmpdir(), "kittyctx-warm-"))
  for (const f of ["O", "A", "B"]) writeFileSync(resolve(scratch, f), '{"event_id": "warm", "at": ""}\\n')
  try {
    execFileSync(process.execPath, [resolve("dist/kittyctx.mjs"), "merge-driver-event-log", "O", "A", "B"], {
      cwd: scratch,
      env: { ...process.env, KITTYCTX_WRITE_CODE_CACHE: "1" },
      stdio: "ignore"
    })
  } catch {}
  rmSync(scratch, { recursive: true, force: true })
}

// The merge drivers' attribute lines beside the launcher: the merge's dry run configures them for its
// prediction without writing into the repository (written once the library bundle below exists).
const writeAttributes = async () => {
  const lib = await import(resolve("dist/index.mjs"))
  writeFileSync("dist/merge.gitattributes", lib.mergeAttributeLines().join("\n") + "\n")
}

// The library keeps its dependencies external, so embedders share one copy of effect with it.
await build({
  ...common,
  entryPoints: ["src/index.ts"],
  outfile: "dist/index.mjs",
  format: "esm",
  packages: "external"
})
await writeAttributes()
