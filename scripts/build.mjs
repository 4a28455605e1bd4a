// Builds dist/: the CLI as CommonJS bundles started by a small CommonJS launcher (dist/kittyctx.cjs) that
// compiles each with a V8 code cache made here, and the library as one ESM bundle (dist/index.mjs).
// Start-up is lazy (docs/ARCHITECTURE.md, "Start-up"): the launcher answers `--version` itself, runs the
// hot commands from the start-up bundle (dist/fast.cjs: no command-line parser, only the services those
// commands use), the sync daemon and git's merge driver from their lean bundles (dist/daemon.cjs,
// dist/merge-driver.cjs), and loads the full command tree (dist/full.cjs) for everything else, or when a
// lean bundle does not recognise its argv exactly. The launcher is CommonJS: an ES module launcher costs
// node's ESM loader, and its named imports from "node:fs" build fs's ESM facade, which loads fs/promises. A cache from another Node build is
// rejected by V8 and the launcher then simply compiles.
import { execFileSync } from "node:child_process"
import { build } from "esbuild"
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { readFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { resolve } from "node:path"

rmSync("dist", { recursive: true, force: true })
mkdirSync("dist", { recursive: true })

const common = { bundle: true, platform: "node", target: "node20", external: ["fs-ext", "@parcel/watcher"], legalComments: "none", logLevel: "warning" }
// effect's Schema module imports fast-check (through effect/FastCheck) only to build Arbitrary instances,
// which property tests use and no command does; the CLI bundles get a stub instead of ~90 KB of fast-check
// and pure-rand (docs/ARCHITECTURE.md, "Start-up"). A name effect starts to use shows up as a build warning.
const noFastCheck = {
  name: "no-fast-check",
  setup(b) {
    b.onResolve({ filter: /^fast-check$/ }, () => ({ path: "fast-check", namespace: "no-fast-check" }))
    b.onLoad({ filter: /.*/, namespace: "no-fast-check" }, () => ({
      contents: "const unavailable = () => { throw new Error(\"kittyctx: fast-check is not bundled with the CLI\") }\n" +
        "export const array = unavailable\n",
      loader: "js"
    }))
  }
}
// `import { Effect, Schema } from "effect"` goes through effect's index module, which names every effect
// module; once a module of the bundle is loaded lazily (the git process machinery, src/services/ports/Git.ts)
// esbuild wraps effect's modules in lazy initialisers and the index initialises each of them at start-up.
// Our sources' named imports from "effect" are read as the modules themselves (`import * as Effect from
// "effect/Effect"`), so a module is initialised only when something imports it (docs/ARCHITECTURE.md,
// "Start-up").
const effectModules = {
  name: "effect-modules",
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const text = await readFile(args.path, "utf8")
      const contents = text.replace(/import\s+\{([^}]*)\}\s+from\s+"effect"/g, (_, names) =>
        names
          .split(",")
          .map((n) => n.trim())
          .filter((n) => n !== "" && !n.startsWith("type "))
          .map((n) => {
            const [name, local = name] = n.split(/\s+as\s+/)
            return `import * as ${local} from "effect/${name}"`
          })
          .join("; "))
      return { contents, loader: "ts" }
    })
  }
}
// Two of effect's modules read a lazily created node global while they are initialised, which every
// command then pays for even when it never uses what the reading decides: the logger builds its default
// pretty logger, which reads `process.stdout` to choose its colours (node then builds the stream, and
// loads the stream, net or tty modules under it), though the CLI never installs it; the clock reads
// `performance` (node loads perf_hooks) for the epoch of its nanosecond time. The CLI bundles defer both
// to first use, with the same values. The CLI writes its output through the descriptors
// (src/services/ports/Stdio.ts), so a command that prints a line loads none of it (docs/ARCHITECTURE.md,
// "Start-up"). Each replacement must match effect's text exactly once: an effect whose text differs
// fails this build, never bundles a half-patched module.
const deferred = [
  {
    file: /[\\/]effect[\\/]dist[\\/]esm[\\/]internal[\\/]logger\.js$/,
    edits: [
      [
        `const hasProcessStdout = typeof process === "object" && process !== null && typeof process.stdout === "object" && process.stdout !== null;
const processStdoutIsTTY = hasProcessStdout && process.stdout.isTTY === true;
const hasProcessStdoutOrDeno = hasProcessStdout || "Deno" in globalThis;`,
        `const hasProcessStdout = () => typeof process === "object" && process !== null && typeof process.stdout === "object" && process.stdout !== null;
const processStdoutIsTTY = () => hasProcessStdout() && process.stdout.isTTY === true;
const hasProcessStdoutOrDeno = () => hasProcessStdout() || "Deno" in globalThis;`
      ],
      [`const mode = mode_ === "auto" ? hasProcessStdoutOrDeno ? "tty" : "browser" : mode_;`, `const mode = mode_ === "auto" ? hasProcessStdoutOrDeno() ? "tty" : "browser" : mode_;`],
      [`options.colors : processStdoutIsTTY || isBrowser;`, `options.colors : processStdoutIsTTY() || isBrowser;`],
      [
        `export const prettyLoggerDefault = /*#__PURE__*/globalValue("effect/Logger/prettyLoggerDefault", () => prettyLogger());`,
        `export const prettyLoggerDefault = /*#__PURE__*/globalValue("effect/Logger/prettyLoggerDefault", () => {
  let made;
  return makeLogger((options) => (made ??= prettyLogger()).log(options));
});`
      ]
    ],
    // the three readings become functions, read when a pretty logger is made (each use changes with them:
    // a use left reading a function as a boolean would make it always true; effect uses them only there),
    // and the default pretty logger is made on the first line it logs
  },
  {
    file: /[\\/]effect[\\/]dist[\\/]esm[\\/]internal[\\/]clock\.js$/,
    edits: [
      [
        `  if (typeof performance === "undefined" || typeof performance.now !== "function") {
    return () => BigInt(Date.now()) * bigint1e6;
  }
  let origin;
  return () => {
    if (origin === undefined) {`,
        `  let origin;
  return () => {
    if (typeof performance === "undefined" || typeof performance.now !== "function") {
      return BigInt(Date.now()) * bigint1e6;
    }
    if (origin === undefined) {`
      ],
      [
        `  const origin = /*#__PURE__*/performanceNowNanos() - /*#__PURE__*/processHrtime.bigint();
  return () => origin + processHrtime.bigint();`,
        `  let origin;
  return () => {
    if (origin === undefined) origin = performanceNowNanos() - processHrtime.bigint();
    return origin + processHrtime.bigint();
  };`
      ]
    ]
  }
]
const deferGlobals = {
  name: "defer-node-globals",
  setup(b) {
    for (const { file, edits } of deferred) {
      b.onLoad({ filter: file }, async (args) => {
        let text = await readFile(args.path, "utf8")
        for (const [from, to] of edits) {
          const at = text.indexOf(from)
          if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`defer-node-globals: effect's ${args.path} no longer reads as expected:\n${from}`)
          text = text.slice(0, at) + to + text.slice(at + from.length)
        }
        return { contents: text, loader: "js" }
      })
    }
  }
}
// yaml (about 115 KB: some 70 CommonJS modules, each initialised when its bundle loads) parses only
// config, frontmatter, analysis and retrospective files; the hot commands never reach it. In the CLI
// bundles our sources' imports of "yaml" read a small module whose functions load yaml on first call.
// Our sources import yaml's functions by name; a name this module lacks, or a default or namespace
// import, fails this build (it would otherwise fail only when a command calls it).
const YAML_NAMES = ["parse", "parseDocument", "stringify"]
const lazyYaml = {
  name: "lazy-yaml",
  setup(b) {
    const importers = new Set()
    b.onResolve({ filter: /^yaml$/ }, (args) => {
      // @effect/cli's own import (its config-file reader, in the full bundle only) keeps the package itself
      if (args.namespace === "lazy-yaml" || !/[\\/]src[\\/]/.test(args.importer) || /node_modules/.test(args.importer)) return undefined
      importers.add(args.importer)
      return { path: "yaml", namespace: "lazy-yaml" }
    })
    b.onLoad({ filter: /.*/, namespace: "lazy-yaml" }, async () => {
      for (const file of importers) {
        const text = await readFile(file, "utf8")
        for (const m of text.matchAll(/import\s+(type\s+)?(\w+|\*\s+as\s+\w+|\{[^}]*\})\s+from\s+"yaml"/g)) {
          if (m[1] !== undefined) continue
          const named = /^\{([^}]*)\}$/.exec(m[2])
          const names = named === null ? [m[2]] : named[1].split(",").map((n) => n.trim().split(/\s+as\s+/)[0]).filter((n) => n !== "")
          const unknown = names.filter((n) => !YAML_NAMES.includes(n))
          if (named === null || unknown.length > 0) {
            throw new Error(`lazy-yaml: ${file} imports ${named === null ? m[2] : unknown.join(", ")} from yaml; the lazy module has ${YAML_NAMES.join(", ")}`)
          }
        }
      }
      return {
        contents: "let yaml\nconst load = () => (yaml ??= require(\"yaml\"))\n" +
          YAML_NAMES.map((n) => `export const ${n} = (...args) => load().${n}(...args)\n`).join(""),
        resolveDir: process.cwd(),
        loader: "js"
      }
    })
  }
}
const cli = {
  ...common,
  plugins: [noFastCheck, effectModules, deferGlobals, lazyYaml],
  format: "cjs",
  minify: process.env.KITTYCTX_NO_MINIFY !== "1",
  define: { "import.meta.url": "__kittyctx_url" }
}

// Each CLI bundle is written as the function the launcher calls (the wrapper of a CommonJS module, and
// the bundle's own URL): V8 compiles the file's text as it is read, with no second 500 KB copy of it to
// join the wrapper to. These files are not modules of their own; only the launcher runs them.
const WRAPPER = "(function (exports, require, module, __filename, __dirname, __kittyctx_url) {"
const buildCli = async (entry, outfile) => {
  await build({ ...cli, entryPoints: [entry], outfile })
  writeFileSync(outfile, WRAPPER + readFileSync(outfile, "utf8") + "\n})\n")
}

await buildCli("src/cli/bin.ts", "dist/full.cjs")
await buildCli("src/cli/fast.ts", "dist/fast.cjs")

const version = /VERSION = "([^"]+)"/.exec(readFileSync("src/core/Version.ts", "utf8"))[1]
// the command paths src/cli/FastPath.ts runs (a path missing here only costs start-up time)
const fastPaths = ["status show", "status emit", "context resolve"]

// The merge driver git runs on every merge that touches an event log: a lean bundle without the command tree.
await buildCli("src/cli/driverBin.ts", "dist/merge-driver.cjs")
// The sync daemon (`sync daemon run`, spawned by `sync daemon start`): a lean bundle, so an idle daemon holds
// only the delivery, its control plane and the file watch, not the whole command tree.
await buildCli("src/cli/daemonBin.ts", "dist/daemon.cjs")

writeFileSync(
  "dist/kittyctx.cjs",
  `#!/usr/bin/env node
// kittyctx launcher: answers --version, runs git's merge driver (merge-driver-event-log %O %A %B) from the
// lean driver bundle, the hot commands from the start-up bundle, the sync daemon from its own bundle and
// everything else from the full one, each compiled with its V8 code cache (the start-up bundle with the
// cache of the command it runs, in the form it runs, --json or not: a command does not read and deserialise
// the code only the others run).
"use strict"
const { readFileSync, renameSync, writeFileSync } = require("node:fs")
const { createRequire } = require("node:module")
const { join } = require("node:path")
const { pathToFileURL } = require("node:url")
const vm = require("node:vm")
const load = (name, cacheOf = "") => {
  const file = join(__dirname, name)
  const cacheFile = file + cacheOf + ".cache"
  let cachedData
  try { cachedData = readFileSync(cacheFile) } catch {}
  const script = new vm.Script(readFileSync(file, "utf8"), { filename: file, cachedData })
  if (process.env.KITTYCTX_WRITE_CODE_CACHE === "1") {
    process.on("exit", () => { writeFileSync(cacheFile + ".tmp", script.createCachedData()); renameSync(cacheFile + ".tmp", cacheFile) })
  }
  const module = { exports: {} }
  script.runInThisContext()(module.exports, createRequire(file), module, file, __dirname, pathToFileURL(file).href)
  return module.exports
}
const argv = process.argv.slice(2)
const driver = argv[0] === "merge-driver-event-log" && argv.length === 4 && !argv.slice(1).some((a) => a.startsWith("-"))
if (argv.length === 1 && argv[0] === "--version") {
  require("node:fs").writeSync(1, ${JSON.stringify(version + "\n")})
} else if (driver) {
  load("merge-driver.cjs")
} else if (!(${JSON.stringify(fastPaths)}.includes(argv[0] + " " + argv[1]) && load("fast.cjs", "." + argv[0] + "-" + argv[1] + (argv.includes("--json") ? "-json" : "")).started === true) &&
  !(argv[0] === "sync" && argv[1] === "daemon" && argv[2] === "run" && load("daemon.cjs").started === true)) {
  load("full.cjs")
}
`
)
chmodSync("dist/kittyctx.cjs", 0o755)

// Warm the code caches with the paths the commands take (argument parsing, layers, an error render, and
// the hot commands' whole way on a small mission: resolution, the fold, the snapshot, an emit). Each run
// starts from the cache the previous one wrote, so the cache accumulates what they compiled.
const warm = (args, cwd = tmpdir(), { mustSucceed = false } = {}) => {
  try {
    execFileSync(process.execPath, [resolve("dist/kittyctx.cjs"), ...args], {
      cwd,
      env: { ...process.env, KITTYCTX_WRITE_CODE_CACHE: "1" },
      stdio: "ignore"
    })
  } catch (e) {
    // a hot command's warm-up that fails would leave its cache with an error's code instead of its way
    if (mustSucceed) throw new Error(`build: warming the cache with \`kittyctx ${args.join(" ")}\` failed: ${e.message}`)
  }
}
// The dashboard page (docs/surfaces.md §7): one script and one stylesheet beside the CLI bundle, served
// from dist/web; nothing is loaded from the network.
mkdirSync("dist/web", { recursive: true })
await build({
  entryPoints: ["src/web/app.ts"],
  outfile: "dist/web/app.js",
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2020",
  minify: true,
  legalComments: "none",
  logLevel: "warning"
})
copyFileSync("src/web/index.html", "dist/web/index.html")
copyFileSync("src/web/app.css", "dist/web/app.css")

// Each hot command's cache, with --json and without, holds what that form compiled on its way to success
// (the launcher reads only that one); an error it reports is compiled when it happens.
warm(["status", "validate", "--mission", "warmup", "--json"])
{
  // a scratch repository with one small mission (spec-kitty's own row format), removed afterwards
  const scratch = mkdtempSync(resolve(tmpdir(), "kittyctx-warm-"))
  const slug = "warm-up-01KB1G00"
  const id = "01KB1G00000000000000000000"
  const dir = resolve(scratch, "kitty-specs", slug)
  mkdirSync(resolve(dir, "tasks"), { recursive: true })
  writeFileSync(resolve(dir, "meta.json"), JSON.stringify({ mission_id: id, mission_slug: slug, mission_type: "software-dev", target_branch: "main" }, null, 2) + "\n")
  writeFileSync(resolve(dir, "tasks", "WP01-warm-up.md"), "---\nwork_package_id: WP01\ntitle: Warm up\nsubtasks: []\n---\n# WP01\n")
  const row = (n, from, to) =>
    `{"actor": "build", "at": "2026-01-01T00:00:0${n}.000000+00:00", "event_id": "01KB1G0000000000000000000${n}", "evidence": null, ` +
    `"execution_mode": "worktree", "force": false, "from_lane": "${from}", "mission_id": "${id}", "mission_slug": "${slug}", ` +
    `"policy_metadata": null, "reason": null, "review_ref": null, "review_result": null, "to_lane": "${to}", "wp_id": "WP01"}`
  writeFileSync(resolve(dir, "status.events.jsonl"), [row(1, "genesis", "planned"), row(2, "planned", "claimed"), row(3, "claimed", "planned")].join("\n") + "\n")
  const git = (...args) => execFileSync("git", ["-c", "user.name=kittyctx build", "-c", "user.email=build@kittyctx.invalid", ...args], { cwd: scratch, stdio: "ignore" })
  try {
    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "warm-up mission")
    for (const args of [
      ["status", "show", "--mission", slug, "--json"],
      ["status", "show", "--mission", slug],
      ["context", "resolve", "--mission", slug, "--json"],
      ["context", "resolve", "--mission", slug],
      ["status", "emit", "WP01", "--to", "claimed", "--actor", "build", "--no-auto-commit", "--mission", slug, "--json"],
      ["status", "emit", "WP01", "--to", "in_progress", "--actor", "build", "--no-auto-commit", "--mission", slug],
      ["status", "show", "--mission", slug, "--json"]
    ]) warm(args, scratch, { mustSucceed: true })
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}
// the daemon's bundle: its entry, layer and the refusal of a start without its secret line (stdin closed)
warm(["sync", "daemon", "run", "--scope", "0000000000000000", "--port", "9", "--kittyctx-daemon-root=/nonexistent", "--kittyctx-daemon-exec=/nonexistent"])
{
  // the driver bundle: one merge of three one-line logs in a scratch directory
  const scratch = mkdtempSync(resolve(tmpdir(), "kittyctx-warm-"))
  for (const f of ["O", "A", "B"]) writeFileSync(resolve(scratch, f), '{"event_id": "warm", "at": ""}\\n')
  try {
    execFileSync(process.execPath, [resolve("dist/kittyctx.cjs"), "merge-driver-event-log", "O", "A", "B"], {
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
