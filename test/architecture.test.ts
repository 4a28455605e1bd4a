/**
 * The static architecture checks over src/ (and, for the outside-path check, test/ and scripts/): the
 * layers and their folders (downward imports, no cycles between folders, a pure core), one definition
 * of each mechanism in its home module, the usages that belong to exactly one module (a file read, a
 * spawn, a signal, a clock read...), the naming literals and the event log in their owners, disjoint
 * error-code families, and no path outside the repository. Each check is a pure function over source
 * texts (parsed with the TypeScript compiler) and each is shown to fail on a planted violation.
 * See docs/ARCHITECTURE.md.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import * as Kittyctx from "../src/index.js"

const PROJECT = fileURLToPath(new URL("..", import.meta.url))

/** Every `.ts`/`.mjs` file under the given top-level folders, keyed by project-relative POSIX path. */
const readSources = (folders: ReadonlyArray<string>): Record<string, string> => {
  const out: Record<string, string> = {}
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) {
        if (e.name !== "fixtures" && e.name !== "node_modules") walk(p)
      } else if (/\.(ts|mjs)$/.test(e.name)) out[path.relative(PROJECT, p).split(path.sep).join("/")] = fs.readFileSync(p, "utf8")
    }
  }
  for (const f of folders) if (fs.existsSync(path.join(PROJECT, f))) walk(path.join(PROJECT, f))
  return out
}

interface Located {
  readonly file: string
  readonly line: number
  readonly text: string
}

/** A literal token: a string or template (`"string"`) or a regular expression (`"regex"`). */
interface Literal extends Located {
  readonly kind: "string" | "regex"
}

/** What one source file contains, as the checks see it (comments are not tokens, so they never count). */
interface FileFacts {
  readonly definitions: ReadonlyArray<Located>
  /** String, template and regex literal contents (regex `\.` unescaped); module specifiers excluded. */
  readonly literals: ReadonlyArray<Literal>
  readonly imports: ReadonlyArray<Located & { readonly names: ReadonlyArray<string> }>
  readonly identifiers: ReadonlyArray<Located>
  /** `process.…`, `Date.now(`, `new Date()`, `Math.random(`. */
  readonly impure: ReadonlyArray<Located>
  /** A process started as `git` (`runCollected("git", …)`, `Command.make("git", …)`, `spawn("git", …)`). */
  readonly gitCommands: ReadonlyArray<Located>
  /** Every call and `new`, as the callee's source text (`Options.text`, `process.kill`, `TextDecoder`), with its first argument if a string. */
  readonly calls: ReadonlyArray<Located & { readonly arg: string | null }>
}

const factsOf = (file: string, text: string): FileFacts => {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)
  const at = (node: ts.Node, t: string): Located => ({
    file,
    line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1,
    text: t
  })
  const definitions: Array<Located> = []
  const literals: Array<Literal> = []
  const imports: Array<Located & { names: Array<string> }> = []
  const identifiers: Array<Located> = []
  const impure: Array<Located> = []
  const gitCommands: Array<Located> = []
  const calls: Array<Located & { arg: string | null }> = []
  const moduleSpecifiers = new Set<ts.Node>()

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      const spec = node.moduleSpecifier
      if (spec !== undefined && ts.isStringLiteral(spec)) {
        moduleSpecifiers.add(spec)
        const names: Array<string> = []
        if (ts.isImportDeclaration(node)) {
          const clause = node.importClause
          if (clause?.name) names.push(clause.name.text)
          const bindings = clause?.namedBindings
          if (bindings && ts.isNamedImports(bindings)) {
            for (const el of bindings.elements) names.push((el.propertyName ?? el.name).text)
          }
          if (bindings && ts.isNamespaceImport(bindings)) names.push("*")
        }
        imports.push({ ...at(node, spec.text), names })
      }
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0]
      if (arg !== undefined && ts.isStringLiteral(arg)) {
        moduleSpecifiers.add(arg)
        imports.push({ ...at(node, arg.text), names: ["*"] })
      }
    }
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "require") {
      const arg = node.arguments[0]
      if (arg !== undefined && ts.isStringLiteral(arg)) {
        moduleSpecifiers.add(arg)
        imports.push({ ...at(node, arg.text), names: ["*"] })
      }
    }
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name)) definitions.push(at(node, node.name.text))
    if ((ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node)) && node.name) definitions.push(at(node, node.name.text))
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && !moduleSpecifiers.has(node)) {
      literals.push({ ...at(node, node.text), kind: "string" })
    }
    if (ts.isTemplateExpression(node)) {
      const text = node.head.text + node.templateSpans.map((s) => "${}" + s.literal.text).join("")
      literals.push({ ...at(node, text), kind: "string" })
      // the spans' expressions are visited below; their literal parts are already in this token
      node.templateSpans.forEach((s) => visit(s.expression))
      return
    }
    if (ts.isRegularExpressionLiteral(node)) {
      const body = node.text.slice(1, node.text.lastIndexOf("/"))
      literals.push({ ...at(node, body.replace(/\\(.)/g, "$1")), kind: "regex" })
    }
    if (ts.isIdentifier(node)) identifiers.push(at(node, node.text))
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
      const obj = node.expression.text
      const prop = node.name.text
      if (obj === "process") impure.push(at(node, `process.${prop}`))
      if (obj === "Date" && prop === "now") impure.push(at(node, "Date.now("))
      if (obj === "Math" && prop === "random") impure.push(at(node, "Math.random("))
    }
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "Date") {
      if ((node.arguments ?? []).length === 0) impure.push(at(node, "new Date()"))
    }
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const first = node.arguments?.[0]
      const arg = first !== undefined && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first)) ? first.text : null
      calls.push({ ...at(node, node.expression.getText(sf)), arg })
    }
    // a process started as "git": through the collected spawn, the platform's Command or child_process
    if (ts.isCallExpression(node) && /(^|\.)(runCollected|make|spawn|spawnSync|execFile|execFileSync)$/.test(node.expression.getText(sf))) {
      const first = node.arguments[0]
      if (first !== undefined && ts.isStringLiteral(first) && first.text === "git") {
        gitCommands.push(at(node, `${node.expression.getText(sf)}("git"`))
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return { definitions, literals, imports, identifiers, impure, gitCommands, calls }
}

type Sources = Readonly<Record<string, string>>
const factsCache = new Map<string, FileFacts>()
const cachedFacts = (file: string, text: string): FileFacts => {
  const key = `${file}\u0000${text}`
  const hit = factsCache.get(key)
  if (hit !== undefined) return hit
  const facts = factsOf(file, text)
  factsCache.set(key, facts)
  return facts
}
const factsAll = (sources: Sources) => Object.entries(sources).map(([file, text]) => [file, cachedFacts(file, text)] as const)
const show = (l: Located) => `${l.file}:${l.line}: ${JSON.stringify(l.text)}`
const inSrc = (sources: Sources) => factsAll(sources).filter(([file]) => file.startsWith("src/"))

/** The absolute (project-relative) path a relative import of `file` resolves to. */
const importTarget = (file: string, spec: string) => path.posix.normalize(path.posix.join(path.posix.dirname(file), spec))

// ---------------------------------------------------------------------------------------------
// Layers and folders

/** The layer of a source path: core, services or cli. */
const layerOf = (file: string) => file.split("/")[1]

/** The folder (bounded context) of a source path: `core/status`, `services/ports`, `cli`; a root file is its own. */
const folderOf = (file: string) => {
  const parts = file.split("/")
  return parts.length > 3 ? `${parts[1]}/${parts[2]}` : parts.slice(1).join("/").replace(/\.ts$/, "")
}

const LAYER_ORDER: Readonly<Record<string, number>> = { core: 0, services: 1, cli: 2 }

/** Imports point downward: cli -> services -> core (an index.ts at the top may re-export anything). */
const checkLayering = (sources: Sources): Array<string> =>
  inSrc(sources).flatMap(([file, f]) => {
    if (file === "src/index.ts") return []
    const from = LAYER_ORDER[layerOf(file)]
    return f.imports
      .filter((i) => i.text.startsWith("."))
      .filter((i) => {
        const to = LAYER_ORDER[layerOf(importTarget(file, i.text))]
        return to === undefined || to > from
      })
      .map((i) => `upward import ${show(i)}`)
  })

/** The edges between folders (import of a module in another folder). */
const folderGraph = (sources: Sources): Map<string, Set<string>> => {
  const graph = new Map<string, Set<string>>()
  for (const [file, f] of inSrc(sources)) {
    if (file === "src/index.ts") continue
    const from = folderOf(file)
    if (!graph.has(from)) graph.set(from, new Set())
    for (const i of f.imports.filter((x) => x.text.startsWith("."))) {
      const target = importTarget(file, i.text).replace(/\.js$/, ".ts")
      const to = folderOf(target)
      if (to !== from) graph.get(from)!.add(to)
    }
  }
  return graph
}

/** No cycle between folders: each strongly connected component of the folder graph is one folder. */
const checkFolderCycles = (sources: Sources): Array<string> => {
  const graph = folderGraph(sources)
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: Array<string> = []
  const onStack = new Set<string>()
  const out: Array<string> = []
  let n = 0
  const visit = (v: string) => {
    index.set(v, n)
    low.set(v, n++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const component: Array<string> = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1) out.push(`import cycle between folders: ${component.sort().join(" <-> ")}`)
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return out
}

const CORE_PACKAGES = new Set(["effect", "yaml"])

/** src/core is pure: imports only core, effect and yaml; no process, clock or randomness. */
const checkCorePurity = (sources: Sources): Array<string> =>
  inSrc(sources)
    .filter(([file]) => file.startsWith("src/core/"))
    .flatMap(([file, f]) => [
      ...f.imports
        .filter((i) => !(CORE_PACKAGES.has(i.text) || (i.text.startsWith(".") && importTarget(file, i.text).startsWith("src/core/"))))
        .map((i) => `impure or upward import ${show(i)}`),
      ...f.impure.map((i) => `impure call ${show(i)}`)
    ])

// ---------------------------------------------------------------------------------------------
// One mechanism per job: one definition, in its home

/** Each mechanism's building blocks and the module that holds the single definition of each. */
const MECHANISMS: ReadonlyArray<{ readonly job: string; readonly home: string; readonly names: ReadonlyArray<string> }> = [
  { job: "the context resolver", home: "src/services/context/ResolveContext.ts", names: ["resolveWith", "resolveContext"] },
  { job: "root discovery", home: "src/services/context/RootLocator.ts", names: ["discoverPrimaryRoot", "mainRootOf"] },
  { job: "git's own files: walk-up, pointer, HEAD, op detector and refusal", home: "src/services/ports/GitFiles.ts", names: ["walkUpDotGit", "parseGitPointer", "headOf", "gitOperationInProgress", "refuseDuringGitOp"] },
  { job: "the pointer grammar", home: "src/core/repo/WorktreePointer.ts", names: ["parsePointerText", "parseHeadText"] },
  { job: "mission handles", home: "src/core/context/MissionHandle.ts", names: ["checkHandle", "resolveHandleIn"] },
  { job: "meta.json and lanes.json decoding", home: "src/core/context/MissionMeta.ts", names: ["decodeMissionMeta", "decodeLanesManifest"] },
  { job: "context fragments", home: "src/core/context/ExecutionContext.ts", names: ["deriveIdentity", "placementFor"] },
  { job: "lock paths", home: "src/core/repo/Naming.ts", names: ["lockPathOf"] },
  { job: "branch-name validation", home: "src/core/repo/RefName.ts", names: ["branchNameProblem"] },
  { job: "strict UTF-8 and code-point order", home: "src/core/repo/Text.ts", names: ["decodeUtf8", "compareCodePoints"] },
  { job: "Python-compatible JSON", home: "src/core/python/PyJson.ts", names: ["isJsonObject", "encodeLine", "encodePretty"] },
  { job: "Python repr/str", home: "src/core/python/PyRepr.ts", names: ["pyRepr", "pyStr"] },
  { job: "spawning git", home: "src/services/ports/Git.ts", names: ["runGit", "gitEnv"] },
  { job: "the liveness verdict", home: "src/core/process/ProcessIdentity.ts", names: ["livenessOf"] },
  { job: "the one probe and kill path", home: "src/services/ports/Processes.ts", names: ["probeNow"] },
  // docs/surfaces.md §0.5, §7.5, §8.3: what the dashboard and the sync daemon share
  { job: "the kill path (terminate) and the stop of a control server", home: "src/services/background/Terminate.ts", names: ["terminate", "awaitExit"] },
  { job: "the one health probe", home: "src/services/background/Health.ts", names: ["fetchHealth"] },
  { job: "the loopback port picker", home: "src/services/background/PortPicker.ts", names: ["pickFreePort"] },
  { job: "stopping a control server", home: "src/services/background/StopInstance.ts", names: ["stopInstance"] },
  { job: "the control request check (Origin, body, token)", home: "src/services/background/ControlRequest.ts", names: ["refuseControlRequest"] },
  { job: "the detached spawn", home: "src/services/ports/Spawner.ts", names: ["spawnNow"] },
  { job: "the Host/Origin guard and the token compare", home: "src/core/background/LoopbackRules.ts", names: ["isAllowedHost", "constantTimeEqual"] },
  { job: "the commit path", home: "src/services/surfaces/CommitPath.ts", names: ["commitPaths", "dirtyEntries"] },
  { job: "write guards", home: "src/services/surfaces/WriteGuards.ts", names: ["checkCommitTarget", "protectedRefusal", "primaryDivergence"] },
  { job: "residue classification and divergence", home: "src/core/surfaces/Placement.ts", names: ["classifyDirtyPath", "placementDivergence"] },
  { job: "the undo journal", home: "src/services/surfaces/UndoJournal.ts", names: ["makeUndoJournal"] },
  { job: "worktree creation", home: "src/services/context/CoordWorkspace.ts", names: ["ensureWorktree"] },
  // docs/surfaces.md §8.4: one reaper, one positive-attribution predicate
  { job: "the reaper", home: "src/services/sync/Reaper.ts", names: ["reapOrphans"] },
  { job: "the reaper's attribution predicate", home: "src/core/sync/DaemonProcess.ts", names: ["judgeCandidate"] },
  { job: "error families", home: "src/core/CodedError.ts", names: ["CodedError"] },
  { job: "rendering failures", home: "src/cli/Output.ts", names: ["errorEnvelope"] },
  { job: "shared CLI options", home: "src/cli/Options.ts", names: ["missionOption", "jsonOption"] },
  // parser-free, so the start-up bundle of the hot commands can use it (docs/ARCHITECTURE.md, "Start-up")
  { job: "the command's directory and mission request", home: "src/cli/Invocation.ts", names: ["missionRequest", "currentDirectory"] }
]

/** Exactly one definition of each mechanism's building blocks, in its home module. */
const checkSingleDefinitions = (sources: Sources): Array<string> => {
  const all = inSrc(sources).flatMap(([, f]) => f.definitions)
  const out: Array<string> = []
  for (const m of MECHANISMS) {
    for (const name of m.names) {
      const defs = all.filter((d) => d.text === name)
      if (defs.length !== 1) out.push(`${m.job}: ${name} has ${defs.length} definitions ${defs.map(show).join(", ")}`)
      else if (defs[0].file !== m.home) out.push(`${m.job}: ${name} is defined in ${defs[0].file}, expected ${m.home}`)
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// One mechanism per job: usages that belong to one module

interface Usage {
  readonly job: string
  /** The modules allowed to make this usage. */
  readonly owners: ReadonlyArray<string>
  readonly find: (f: FileFacts) => ReadonlyArray<Located>
}

const importsOf = (...modules: ReadonlyArray<string>) => (f: FileFacts) => f.imports.filter((i) => modules.includes(i.text))
const callsOf = (callee: RegExp, arg?: RegExp) => (f: FileFacts) =>
  f.calls.filter((c) => callee.test(c.text) && (arg === undefined || (c.arg !== null && arg.test(c.arg))))
const literalsOf = (re: RegExp) => (f: FileFacts) => f.literals.filter((l) => l.kind === "string" && re.test(l.text))

const USAGES: ReadonlyArray<Usage> = [
  { job: "reading and writing files (node:fs)", owners: ["src/services/ports/RepoFs.ts", "src/services/ports/RepoWrite.ts", "src/services/ports/FileLock.ts", "src/services/ports/Processes.ts", "src/services/ports/Spawner.ts", "src/services/ports/FileWatch.ts", "src/services/ports/Stdio.ts", "src/services/ports/Crypto.ts"], find: importsOf("node:fs", "fs", "node:fs/promises", "fs/promises") },
  { job: "the platform file system (all file access goes through RepoFs/RepoWrite)", owners: [], find: (f) => f.imports.filter((i) => (i.text === "@effect/platform" && i.names.includes("FileSystem")) || i.text === "@effect/platform/FileSystem") },
  { job: "spawning processes (child_process)", owners: ["src/services/ports/Spawner.ts"], find: importsOf("node:child_process", "child_process") },
  { job: "spawning git", owners: ["src/services/ports/Git.ts"], find: (f) => [...f.imports.filter((i) => (i.text === "@effect/platform" && i.names.includes("Command")) || i.text === "@effect/platform/Command"), ...f.gitCommands] },
  { job: "signalling processes and reading /proc", owners: ["src/services/ports/Processes.ts"], find: (f) => [...callsOf(/^process\.kill$/)(f), ...literalsOf(/^\/proc\//)(f)] },
  { job: "hashing and random bytes (node:crypto, loaded on first use)", owners: ["src/services/ports/Crypto.ts"], find: importsOf("node:crypto", "crypto") },
  { job: "writing the process's output (Stdio.writeOut; Effect's Console is routed there)", owners: ["src/services/ports/Stdio.ts"], find: callsOf(/^(process\.(stdout|stderr)\.write|console\.(log|error|warn|info|debug))$/) },
  { job: "strict UTF-8 decoding", owners: ["src/core/repo/Text.ts"], find: callsOf(/^TextDecoder$/) },
  { job: "reading the environment", owners: ["src/services/ports/Settings.ts"], find: (f) => [...f.impure.filter((i) => i.text === "process.env"), ...callsOf(/^Config\./)(f)] },
  { job: "reading the command line", owners: ["src/cli/bin.ts", "src/cli/fast.ts", "src/cli/driverBin.ts", "src/cli/daemonBin.ts", "src/cli/Entry.ts"], find: (f) => f.impure.filter((i) => i.text === "process.argv") },
  { job: "the wall clock and randomness", owners: ["src/services/ports/EventIds.ts"], find: (f) => f.impure.filter((i) => /Date\.now|new Date\(\)|Math\.random/.test(i.text)) },
  { job: "the --mission and --json options", owners: ["src/cli/Options.ts"], find: callsOf(/^Options\.(text|boolean)$/, /^(mission|json)$/) },
  { job: "learning a checkout's branch (GitFiles.headOf reads HEAD)", owners: [], find: literalsOf(/^symbolic-ref$/) },
  { job: "lock file names (Naming.lockPathOf)", owners: ["src/core/repo/Naming.ts", "src/services/ports/GitFiles.ts"], find: literalsOf(/.\.lock$/) },
  // docs/surfaces.md §0.3: only the merge executor holds the merge-bookkeeping capability
  { job: "commits on a protected target (the merge-bookkeeping capability)", owners: ["src/services/merge/MergeExecutor.ts"], find: callsOf(/^commitInMergeWorkspace$/) }
]

/** Each usage appears only in its owners. */
const checkUsages = (sources: Sources): Array<string> =>
  inSrc(sources).flatMap(([file, f]) =>
    USAGES.filter((u) => !u.owners.includes(file)).flatMap((u) => u.find(f).map((l) => `${u.job}: ${show(l)}`))
  )

// ---------------------------------------------------------------------------------------------
// Owners of names and of the event log

const NAMING_LITERALS = ["kitty-specs", ".worktrees", "-coord", "kitty/mission-", "meta.json", "lanes.json", "status.events.jsonl", "status.json"] as const
const GRAMMAR_MODULE = "src/core/repo/Naming.ts"

/** A literal used as a name or path (no whitespace), not prose in a message or a description. */
const isPathLike = (text: string) => !/\s/.test(text)

/** The naming literals appear only in the grammar module (tokens, not comments or prose). */
const checkNamingLiterals = (sources: Sources): Array<string> =>
  inSrc(sources)
    .filter(([file]) => file !== GRAMMAR_MODULE)
    .flatMap(([, f]) => f.literals)
    .filter((l) => isPathLike(l.text) && NAMING_LITERALS.some((lit) => l.text.includes(lit)))
    .map(show)

/** The status facade: its read side and its write side. */
const STATUS_FACADE = ["src/services/status/StatusReader.ts", "src/services/status/MissionStatus.ts"]

/** Only the status facade names the event log to read or write it (by `EVENTS_FILE` or a literal). */
const checkEventLogAccess = (sources: Sources): Array<string> =>
  inSrc(sources)
    .filter(([file]) => !file.startsWith("src/core/") && !STATUS_FACADE.includes(file))
    .flatMap(([, f]) => [
      ...f.identifiers.filter((i) => i.text === "EVENTS_FILE"),
      ...f.literals.filter((l) => l.kind === "string" && isPathLike(l.text) && l.text.includes("status.events.jsonl"))
    ])
    .map(show)

// ---------------------------------------------------------------------------------------------
// Error codes and the repository boundary

/** The closed code sets are pairwise disjoint and well formed. */
const checkCodeFamilies = (families: Readonly<Record<string, ReadonlyArray<string>>>): Array<string> => {
  const out: Array<string> = []
  const owner = new Map<string, string>()
  for (const [family, codes] of Object.entries(families)) {
    for (const code of codes) {
      if (!/^[A-Z][A-Z0-9_]+$/.test(code)) out.push(`${family}: malformed code ${code}`)
      const other = owner.get(code)
      if (other !== undefined) out.push(`${code} is in both ${other} and ${family}`)
      owner.set(code, family)
    }
  }
  return out
}

/** Every exported `*_ERROR_CODES` array of the library. */
const codeFamilies = (): Record<string, ReadonlyArray<string>> =>
  Object.fromEntries(
    Object.entries(Kittyctx as Record<string, unknown>).filter(([name, v]) => /_ERROR_CODES$/.test(name) && Array.isArray(v)) as Array<
      [string, ReadonlyArray<string>]
    >
  )

/** What a fresh clone does not have beside it. */
const OUTSIDE = /(^|[^.])\.\.\/shared\b|shared\/(corpus|spec|reference)\b|^\/work\//

/** Nothing in src/, test/ or scripts/ names a path outside the repository (literals and `new URL` targets). */
const checkOutsidePaths = (sources: Sources): Array<string> =>
  factsAll(sources).flatMap(([file, f]) => {
    const named = f.literals.filter((l) => l.kind === "string" && OUTSIDE.test(l.text)).map((l) => `names ${show(l)}`)
    const climbing = f.calls
      .filter((c) => c.text === "URL" && c.arg !== null && c.arg.startsWith("."))
      .filter((c) => importTarget(file, c.arg!).startsWith(".."))
      .map((c) => `climbs out of the repository ${show({ ...c, text: c.arg! })}`)
    return [...named, ...climbing]
  })


// ---------------------------------------------------------------------------------------------
// Git command lines built from values (docs/surfaces.md §0.4)

const GIT_METHODS = new Set(["run", "checked", "read", "readChecked"])
/** Options whose next argument is their value (git never reads that value as an option). */
const VALUE_OPTIONS = new Set(["-m", "-b", "-B", "-e", "-C", "--format"])
/** Markers of a value that may stand before `--`: a full object id, option values. */
const MARKED_CALLS = new Set(["commitId"])
const MARKED_SPREADS = new Set(["optionValues"])

/** The element sequences an array literal can produce (conditional spreads give one sequence per branch). */
const sequencesOf = (arr: ts.ArrayLiteralExpression): Array<Array<ts.Expression>> => {
  let seqs: Array<Array<ts.Expression>> = [[]]
  for (const el of arr.elements) {
    if (ts.isSpreadElement(el)) {
      let e = el.expression
      while (ts.isParenthesizedExpression(e)) e = e.expression
      if (ts.isArrayLiteralExpression(e)) {
        const inner = sequencesOf(e)
        seqs = seqs.flatMap((s) => inner.map((i) => [...s, ...i]))
        continue
      }
      if (ts.isConditionalExpression(e)) {
        const branch = (b: ts.Expression) => {
          while (ts.isParenthesizedExpression(b)) b = b.expression
          return ts.isArrayLiteralExpression(b) ? sequencesOf(b) : [[b]]
        }
        const options = [...branch(e.whenTrue), ...branch(e.whenFalse)]
        seqs = seqs.flatMap((s) => options.map((o) => [...s, ...o]))
        continue
      }
    }
    seqs = seqs.map((s) => [...s, el as ts.Expression])
  }
  return seqs
}

const literalText = (e: ts.Expression): string | null =>
  ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) ? e.text : null

/** Why an element before `--` is not safe, or null when it is. */
const unsafeElement = (e: ts.Expression, previous: ts.Expression | undefined, sf: ts.SourceFile): string | null => {
  if (literalText(e) !== null) return null
  if (ts.isTemplateExpression(e) && e.head.text.startsWith("--") && e.head.text.includes("=")) return null
  if (previous !== undefined && VALUE_OPTIONS.has(literalText(previous) ?? "")) return null
  if (ts.isCallExpression(e) && MARKED_CALLS.has(e.expression.getText(sf))) return null
  if (ts.isSpreadElement(e as ts.Node) && ts.isCallExpression((e as unknown as ts.SpreadElement).expression)) {
    const callee = ((e as unknown as ts.SpreadElement).expression as ts.CallExpression).expression.getText(sf)
    if (MARKED_SPREADS.has(callee)) return null
  }
  return `${e.getText(sf)} could be read by git as an option`
}

/** The violations of one git argument array. */
const gitArrayViolations = (arr: ts.ArrayLiteralExpression, sf: ts.SourceFile): Array<string> => {
  const out: Array<string> = []
  for (const seq of sequencesOf(arr)) {
    for (let i = 0; i < seq.length; i++) {
      const text = literalText(seq[i])
      if (text === "--" || text === "--end-of-options") break
      const why = unsafeElement(seq[i], seq[i - 1], sf)
      if (why !== null) out.push(why)
    }
  }
  return [...new Set(out)]
}

/** Every git command line in src/services is an array literal whose values stand after `--` (or are marked). */
const checkGitArguments = (sources: Sources): Array<string> =>
  Object.entries(sources)
    .filter(([file]) => file.startsWith("src/services/") && file !== "src/services/ports/Git.ts")
    .flatMap(([file, text]) => {
      const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)
      const out: Array<string> = []
      const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1
      // const initialisers and arrow-function helpers of the file, by name
      const consts = new Map<string, ts.Expression>()
      const helpers = new Map<string, ts.ArrowFunction>()
      const collect = (n: ts.Node): void => {
        if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer !== undefined) {
          if (ts.isArrowFunction(n.initializer)) helpers.set(n.name.text, n.initializer)
          else consts.set(n.name.text, n.initializer)
        }
        ts.forEachChild(n, collect)
      }
      collect(sf)
      const arraysOf = (e: ts.Expression, seen: ReadonlySet<string> = new Set()): Array<ts.ArrayLiteralExpression> | null => {
        while (ts.isParenthesizedExpression(e)) e = e.expression
        if (ts.isArrayLiteralExpression(e)) return [e]
        if (ts.isConditionalExpression(e)) {
          const a = arraysOf(e.whenTrue, seen)
          const b = arraysOf(e.whenFalse, seen)
          return a === null || b === null ? null : [...a, ...b]
        }
        if (ts.isIdentifier(e) && !seen.has(e.text)) {
          const init = consts.get(e.text)
          if (init !== undefined) return arraysOf(init, new Set([...seen, e.text]))
          // a parameter of a helper: every call of the helper passes the array
          for (const [name, fn] of helpers) {
            const index = fn.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === e.text)
            if (index < 0 || !(e.pos >= fn.pos && e.end <= fn.end)) continue
            const found: Array<ts.ArrayLiteralExpression> = []
            let ok = true
            const calls = (n: ts.Node): void => {
              if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === name) {
                const arg = n.arguments[index]
                const arrs = arg === undefined ? null : arraysOf(arg, new Set([...seen, e.text]))
                if (arrs === null) ok = false
                else found.push(...arrs)
              }
              ts.forEachChild(n, calls)
            }
            calls(sf)
            return ok ? found : null
          }
        }
        return null
      }
      const visit = (n: ts.Node): void => {
        if (
          ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && GIT_METHODS.has(n.expression.name.text) &&
          n.arguments.length >= 1
        ) {
          const arrays = arraysOf(n.arguments[0])
          if (arrays === null) out.push(`${file}:${lineOf(n)}: git arguments not built from a checkable array: ${n.arguments[0].getText(sf)}`)
          else for (const arr of arrays) for (const v of gitArrayViolations(arr, sf)) out.push(`${file}:${lineOf(arr)}: ${v}`)
        }
        ts.forEachChild(n, visit)
      }
      visit(sf)
      return out
    })

// ---------------------------------------------------------------------------------------------

const SOURCES = readSources(["src"])
/** Everything the outside-path check reads (this file plants violations in its own tests, so it is left out). */
const EVERYTHING = Object.fromEntries(
  Object.entries(readSources(["src", "test", "scripts"])).filter(([file]) => file !== "test/architecture.test.ts")
)

describe("static architecture checks over src/", () => {
  it("reads the sources and the code families", () => {
    assert.isAbove(Object.keys(SOURCES).length, 40)
    assert.property(SOURCES, GRAMMAR_MODULE)
    assert.isAbove(Object.keys(codeFamilies()).length, 6)
  })
  it("layers: imports point downward (cli -> services -> core)", () => assert.deepStrictEqual(checkLayering(SOURCES), []))
  it("folders: no import cycle between bounded contexts", () => assert.deepStrictEqual(checkFolderCycles(SOURCES), []))
  it("src/core is pure: no platform, fs, child_process, process, clock or randomness", () =>
    assert.deepStrictEqual(checkCorePurity(SOURCES), []))
  it("one definition of each mechanism, in its home module", () => assert.deepStrictEqual(checkSingleDefinitions(SOURCES), []))
  it("usages that belong to one module appear only there", () => assert.deepStrictEqual(checkUsages(SOURCES), []))
  it("the naming literals appear only in Naming.ts", () => assert.deepStrictEqual(checkNamingLiterals(SOURCES), []))
  it("the event log is named only by the status facade", () => assert.deepStrictEqual(checkEventLogAccess(SOURCES), []))
  it("the error-code families are disjoint closed sets", () => assert.deepStrictEqual(checkCodeFamilies(codeFamilies()), []))
  it("nothing under src/, test/ or scripts/ reads a path outside the repository", () =>
    assert.deepStrictEqual(checkOutsidePaths(EVERYTHING), []))
  it("every git command line keeps values after `--` (or marks them as option values or object ids)", () =>
    assert.deepStrictEqual(checkGitArguments(SOURCES), []))
})

describe("each static check fails on a planted violation", () => {
  const base: Sources = Object.fromEntries(
    MECHANISMS.flatMap((m) => m.names.map((n) => [m.home, n] as const)).reduce((acc, [home, n]) => {
      acc.set(home, (acc.get(home) ?? "") + `export const ${n} = () => 1\n`)
      return acc
    }, new Map<string, string>())
  )

  it("the planted base is clean", () => {
    for (const check of [checkLayering, checkFolderCycles, checkCorePurity, checkSingleDefinitions, checkUsages, checkNamingLiterals, checkEventLogAccess, checkOutsidePaths]) {
      assert.deepStrictEqual(check(base), [], check.name)
    }
  })

  it("layering: services importing cli, core importing services", () => {
    assert.strictEqual(checkLayering({ ...base, "src/services/x/A.ts": "import { handle } from \"../../cli/Output.js\"\n" }).length, 1)
    assert.strictEqual(checkLayering({ ...base, "src/core/x/A.ts": "import { Git } from \"../../services/ports/Git.js\"\n" }).length, 1)
    assert.deepStrictEqual(checkLayering({ ...base, "src/cli/A.ts": "import { Git } from \"../services/ports/Git.js\"\n" }), [])
  })

  it("folders: a cycle between two bounded contexts", () => {
    const cyc = {
      ...base,
      "src/core/a/A.ts": "import { b } from \"../b/B.js\"\nexport const a = 1\n",
      "src/core/b/B.ts": "import { a } from \"../a/A.js\"\nexport const b = 1\n"
    }
    assert.match(checkFolderCycles(cyc)[0], /core\/a <-> core\/b/)
    const chain = { ...cyc, "src/core/b/B.ts": "export const b = 1\n" }
    assert.deepStrictEqual(checkFolderCycles(chain), [])
  })

  it("purity: each kind of impurity in core", () => {
    for (const text of ["import * as fs from \"node:fs\"\n", "import { FileSystem } from \"@effect/platform\"\n", "const h = process.env.HOME\n", "const t = Date.now()\n", "const d = new Date()\n", "const r = Math.random()\n"]) {
      assert.strictEqual(checkCorePurity({ ...base, "src/core/x/Bad.ts": text }).length, 1, text)
    }
    assert.deepStrictEqual(checkCorePurity({ ...base, "src/core/x/Fine.ts": "const d = new Date(0)\nimport { x } from \"../repo/Paths.js\"\n" }), [])
  })

  it("single definitions: a second definition, a missing one, one in the wrong module", () => {
    for (const m of MECHANISMS) {
      const name = m.names[0]
      assert.strictEqual(checkSingleDefinitions({ ...base, "src/services/x/Copy.ts": `const ${name} = () => 2\n` }).length, 1, `second ${name}`)
      const without = { ...base, [m.home]: base[m.home].replace(`export const ${name} = () => 1\n`, "") }
      assert.match(checkSingleDefinitions(without)[0], /0 definitions/, `missing ${name}`)
    }
  })

  it("usages: each one outside its owners", () => {
    const planted: ReadonlyArray<string> = [
      "import * as fs from \"node:fs\"\n",
      "import { FileSystem } from \"@effect/platform\"\n",
      "import { spawn } from \"node:child_process\"\n",
      "import { Command } from \"@effect/platform\"\n",
      "yield* runCollected(\"git\", [\"status\"], env)\n",
      "process.kill(pid, 0)\n",
      "const s = \"/proc/1/stat\"\n",
      "import { createHash } from \"node:crypto\"\n",
      "process.stdout.write(\"x\")\n",
      "console.error(\"x\")\n",
      "const d = new TextDecoder(\"utf-8\")\n",
      "const v = process.env.X\n",
      "const c = Config.string(\"X\")\n",
      "const a = process.argv\n",
      "const t = Date.now()\n",
      "const m = Options.text(\"mission\")\n",
      "const j = Options.boolean(\"json\")\n",
      "const r = [\"symbolic-ref\", \"HEAD\"]\n",
      "const l = \"coord.lock\"\n",
      "yield* commitInMergeWorkspace({ checkout, capability, paths, message })\n"
    ]
    assert.strictEqual(planted.length, USAGES.length + 5, "one plant per usage (several usages have two or three forms)")
    for (const text of planted) assert.strictEqual(checkUsages({ ...base, "src/services/x/Bad.ts": text }).length, 1, text)
    assert.deepStrictEqual(checkUsages({ ...base, "src/cli/Fine.ts": "const o = Options.text(\"to\")\nconst d = new Date(0)\n" }), [])
  })

  it("naming literals and the event log outside their owners; prose is not counted", () => {
    const bad = {
      ...base,
      "src/services/x/A.ts": "const a = joinPath(root, \"kitty-specs\")\n",
      "src/services/x/B.ts": "const b = `${root}/.worktrees/${slug}-coord`\n",
      "src/core/x/C.ts": "const c = /^lanes\\.json$/\n",
      "src/cli/D.ts": "// kitty-specs/meta.json in a comment\nconst d = \"see kitty-specs for details\"\n"
    }
    assert.strictEqual(checkNamingLiterals(bad).length, 3)
    const log = {
      ...base,
      "src/services/x/A.ts": "import { EVENTS_FILE } from \"../../core/repo/Naming.js\"\nconst p = joinPath(d, EVENTS_FILE)\n",
      "src/cli/B.ts": "const q = d + \"/status.events.jsonl\"\n",
      "src/services/status/MissionStatus.ts": "const ok = joinPath(d, EVENTS_FILE)\n"
    }
    assert.strictEqual(checkEventLogAccess(log).length, 3)
  })

  it("code families: a code in two families, a malformed code", () => {
    assert.deepStrictEqual(checkCodeFamilies({ A_ERROR_CODES: ["X_FAILED"], B_ERROR_CODES: ["Y_FAILED"] }), [])
    assert.strictEqual(checkCodeFamilies({ A_ERROR_CODES: ["X_FAILED"], B_ERROR_CODES: ["X_FAILED"] }).length, 1)
    assert.strictEqual(checkCodeFamilies({ A_ERROR_CODES: ["x-failed"] }).length, 1)
  })

  it("git arguments: a value before `--`, an unresolvable argument list; marked and option values pass", () => {
    const one = (body: string) => checkGitArguments({ "src/services/x/A.ts": body })
    assert.strictEqual(one("git.run([\"branch\", \"-m\", from, to], o)\n").length, 1, "the -m case of issue 11: `to` is free")
    assert.strictEqual(one("git.run([\"branch\", name, base], o)\n").length, 2, "both values are free")
    assert.strictEqual(one("const args = [\"reset\", \"--soft\", head]\ngit.run(args, o)\n").length, 1)
    assert.strictEqual(one("git.run(makeArgs(), o)\n").length, 1)
    assert.strictEqual(one("git.run([\"worktree\", \"add\", ...(x ? [\"-f\"] : [path])], o)\n").length, 1)
    assert.deepStrictEqual(one("git.run([\"branch\", \"--\", name, base], o)\n"), [])
    assert.deepStrictEqual(one("git.run([\"commit\", \"-m\", msg, \"--\", ...paths], o)\n"), [])
    assert.deepStrictEqual(one("git.run([\"reset\", \"--soft\", commitId(h), \"--\"], o)\n"), [])
    assert.deepStrictEqual(one("g.read([\"grep\", ...optionValues(\"-e\", xs), \"--end-of-options\", h], c)\n"), [])
    assert.deepStrictEqual(one("g.read([`--git-dir=${d}`, \"worktree\", \"list\"], c)\n"), [])
    assert.deepStrictEqual(one("const git = (c, args) => g.readChecked(args, c)\ngit(c, [\"diff\", \"--\", p])\n"), [])
    assert.strictEqual(one("const git = (c, args) => g.readChecked(args, c)\ngit(c, [\"diff\", p])\n").length, 1)
  })

  it("outside paths: a literal naming the sibling reference folder, a URL climbing out of the repository", () => {
    // the planted literal is assembled here, so this file itself names no path outside the repository
    const sibling = ["..", "sha" + "red", "corpus", "spec-kitty"].join("/")
    assert.strictEqual(checkOutsidePaths({ "test/a.test.ts": `const c = "${sibling}"\n` }).length, 1)
    assert.strictEqual(checkOutsidePaths({ "test/x/a.test.ts": "const u = new URL(\"../../../elsewhere/\", import.meta.url)\n" }).length, 1)
    assert.deepStrictEqual(checkOutsidePaths({ "test/x/a.test.ts": "const u = new URL(\"../fixtures/\", import.meta.url)\n" }), [])
  })
})
