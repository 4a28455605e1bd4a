/**
 * The git ports. `runGit` is the one function that spawns git (docs/surfaces.md §0.4), with the
 * environment built by `gitEnv`. `GitReader` is what readers (the resolver, the dashboard, sync) may do:
 * refs, the registry, read-only subcommands; `Git` is the writers' port. Failures are `GitError`.
 * `layerMemory` is a reader answering from fixed facts that counts its calls (each stands for one
 * subprocess of the live layer).
 */
import { Context, Duration, Effect, Layer, String as Str } from "effect"
import type { RefFacts } from "../../core/context/ExecutionContext.js"
import { resolvePath } from "../../core/repo/Paths.js"
import { GitErrors } from "../../core/repo/RepoError.js"
import type { GitError } from "../../core/repo/RepoError.js"
import { childEnvironment } from "./Settings.js"
import { runCollected } from "./Spawner.js"

/** Read probes never take `index.lock`; writes may. */
export type GitMode = "read" | "write"

/** The result of one git process. */
export interface GitResult {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

/** How one git process runs: in which checkout, reading or writing, and for how long at most. */
export interface GitRunOptions {
  readonly cwd: string
  readonly mode: GitMode
  readonly timeout?: Duration.Duration
}

const LOCATION_VARS = ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX"] as const

/** The environment of every git subprocess: location variables removed, C locale, no prompts. */
export const gitEnv = (mode: GitMode): Record<string, string | undefined> => {
  const env: Record<string, string | undefined> = { LC_ALL: "C", GIT_TERMINAL_PROMPT: "0" }
  for (const v of LOCATION_VARS) env[v] = undefined
  if (mode === "read") env.GIT_OPTIONAL_LOCKS = "0"
  return env
}

const GIT_TIMEOUT = Duration.seconds(10)

/**
 * Runs `git -C <cwd> <args>` (through `Spawner.runCollected`, the one collected spawn): exit code, stdout
 * and stderr, 10 s timeout by default (the child is killed when it runs out).
 */
export const runGit = (args: ReadonlyArray<string>, options: GitRunOptions): Effect.Effect<GitResult, GitError> =>
  runCollected("git", ["-C", options.cwd, ...args], childEnvironment(gitEnv(options.mode))).pipe(
    Effect.map(({ exitCode, stderr, stdout }): GitResult => ({ exitCode, stdout, stderr })),
    Effect.mapError((e) => GitErrors.commandFailed(args, null, e.message)),
    Effect.timeoutFail({
      duration: options.timeout ?? GIT_TIMEOUT,
      onTimeout: () => GitErrors.commandFailed(args, null, "timed out")
    })
  )

/** Parses `for-each-ref --format=%(refname)%00%(symref)` output. */
export const parseRefList = (text: string): RefFacts => {
  const refs: Array<string> = []
  let originHead: string | null = null
  for (const line of text.split("\n")) {
    if (line === "") continue
    const [name, symref] = line.split("\u0000")
    if (name === "refs/remotes/origin/HEAD") {
      if (symref !== undefined && symref !== "") originHead = symref
      continue
    }
    refs.push(name)
  }
  return { refs, originHead }
}

/** One entry of `git worktree list --porcelain`. */
export interface WorktreeEntry {
  readonly path: string
  readonly head: string | null
  readonly branch: string | null
  readonly bare: boolean
  readonly detached: boolean
  readonly prunable: boolean
}

/** Parses `git worktree list --porcelain` output. */
export const parseWorktreeList = (text: string): ReadonlyArray<WorktreeEntry> => {
  const entries: Array<WorktreeEntry> = []
  for (const block of text.split(/\n\n+/)) {
    let path: string | null = null
    let head: string | null = null
    let branch: string | null = null
    let bare = false
    let detached = false
    let prunable = false
    for (const line of Str.linesIterator(block)) {
      if (line.startsWith("worktree ")) path = line.slice(9)
      else if (line.startsWith("HEAD ")) head = line.slice(5)
      else if (line.startsWith("branch ")) branch = line.slice(7)
      else if (line === "bare") bare = true
      else if (line === "detached") detached = true
      else if (line === "prunable" || line.startsWith("prunable ")) prunable = true
    }
    if (path !== null) entries.push({ path, head, branch, bare, detached, prunable })
  }
  return entries
}

/** The git subcommands a reader may run: none of them changes refs, the index or a work tree. */
export const READ_SUBCOMMANDS: ReadonlySet<string> = new Set([
  "rev-parse",
  "status",
  "diff",
  "ls-tree",
  "cat-file",
  "grep",
  "for-each-ref",
  "show",
  "log",
  "merge-base",
  "rev-list",
  "check-attr",
  "check-ignore",
  // these two write objects only (a merged tree, a commit of it), never a ref, the index or a work
  // tree: the merge's dry run predicts with them
  "merge-tree",
  "commit-tree",
  "worktree list"
])

/** Global options that take their value as the next argument. */
const OPTIONS_WITH_VALUE: ReadonlySet<string> = new Set(["-c", "-C", "--config-env", "--git-dir", "--work-tree", "--namespace"])

/** The subcommand of an argument list (`worktree list` for the registry), skipping leading global options. */
export const subcommandOf = (args: ReadonlyArray<string>): string => {
  let i = 0
  while (i < args.length && args[i].startsWith("-")) i += OPTIONS_WITH_VALUE.has(args[i]) ? 2 : 1
  if (i >= args.length) return ""
  return args[i] === "worktree" ? `worktree ${args[i + 1] ?? ""}` : args[i]
}

/**
 * Reading git: refs, the worktree registry and read-only subcommands, always with
 * `GIT_OPTIONAL_LOCKS=0`. A program that requires only this port cannot change a repository through git.
 */
export class GitReader extends Context.Tag("kittyctx/GitReader")<GitReader, {
  /** Runs a read-only subcommand (`READ_SUBCOMMANDS`) in `cwd`; a non-zero exit is returned, not failed. */
  readonly read: (args: ReadonlyArray<string>, cwd: string) => Effect.Effect<GitResult, GitError>
  /** The same; a non-zero exit is `GIT_COMMAND_FAILED`. */
  readonly readChecked: (args: ReadonlyArray<string>, cwd: string) => Effect.Effect<GitResult, GitError>
  /** Every ref under refs/heads and refs/remotes, and the target of refs/remotes/origin/HEAD: one subprocess. */
  readonly refs: (root: string) => Effect.Effect<RefFacts, GitError>
  /** The worktree registry. */
  readonly worktreeList: (root: string) => Effect.Effect<ReadonlyArray<WorktreeEntry>, GitError>
  /** The main worktree of a repository given its common dir (first registry entry). */
  readonly mainWorktreeOf: (commonDir: string) => Effect.Effect<WorktreeEntry | null, GitError>
}>() {}

/** Writing git: any subcommand, for the write surfaces (commits, worktrees, branches, resets). */
export class Git extends Context.Tag("kittyctx/Git")<Git, {
  /** Runs git in `cwd`; a non-zero exit is returned, not failed. */
  readonly run: (args: ReadonlyArray<string>, options: GitRunOptions) => Effect.Effect<GitResult, GitError>
  /** Runs git in `cwd`; a non-zero exit is `GIT_COMMAND_FAILED`. */
  readonly checked: (args: ReadonlyArray<string>, options: GitRunOptions) => Effect.Effect<GitResult, GitError>
}>() {}

const notReadOnly = (args: ReadonlyArray<string>) =>
  GitErrors.commandFailed(args, null, `'${subcommandOf(args)}' is not a read-only git subcommand`)

const makeReader = (
  run: (args: ReadonlyArray<string>, options: GitRunOptions) => Effect.Effect<GitResult, GitError>
): Context.Tag.Service<GitReader> => {
  const read = (args: ReadonlyArray<string>, cwd: string) =>
    READ_SUBCOMMANDS.has(subcommandOf(args)) ? run(args, { cwd, mode: "read" }) : Effect.fail(notReadOnly(args))
  const readChecked = (args: ReadonlyArray<string>, cwd: string) =>
    read(args, cwd).pipe(
      Effect.filterOrFail((r) => r.exitCode === 0, (r) => GitErrors.commandFailed(args, r.exitCode, r.stderr))
    )
  return GitReader.of({
    read,
    readChecked,
    refs: (root) =>
      readChecked(["for-each-ref", "--format=%(refname)%00%(symref)", "refs/heads", "refs/remotes"], root).pipe(
        Effect.map((r) => parseRefList(r.stdout))
      ),
    worktreeList: (root) =>
      read(["worktree", "list", "--porcelain"], root).pipe(
        Effect.flatMap((r) =>
          r.exitCode === 0
            ? Effect.succeed(parseWorktreeList(r.stdout))
            : Effect.fail(GitErrors.registryUnavailable(root, r.stderr))
        )
      ),
    mainWorktreeOf: (commonDir) =>
      readChecked([`--git-dir=${commonDir}`, "worktree", "list", "--porcelain"], commonDir).pipe(
        Effect.map((r) => {
          const first = parseWorktreeList(r.stdout)[0]
          return first === undefined ? null : { ...first, path: resolvePath(commonDir, first.path) }
        })
      )
  })
}

/**
 * Runs `effect` with one snapshot of the repository's refs and worktree registry: `refs` and `worktreeList`
 * answer once per root for the whole effect, so a batch that resolves many missions (the dashboard's
 * mission list) spawns git once instead of once per mission. Only for read-only batches: a write between
 * two reads would not be seen.
 */
export const withSharedRefs = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | GitReader> =>
  Effect.gen(function*() {
    const reader = yield* GitReader
    const refs = yield* Effect.cachedFunction(reader.refs)
    const worktreeList = yield* Effect.cachedFunction(reader.worktreeList)
    return yield* Effect.provideService(effect, GitReader, GitReader.of({ ...reader, refs, worktreeList }))
  })

/** The live reader: every call is one git subprocess through `runGit`, in read mode. */
export const makeReaderLive = () => makeReader(runGit)

/** Its layer. */
export const readerLayer: Layer.Layer<GitReader> = Layer.sync(GitReader, makeReaderLive)

/** The live writer: every call is one git subprocess through `runGit`. */
export const live = Git.of({
  run: runGit,
  checked: (args, options) =>
    runGit(args, options).pipe(
      Effect.filterOrFail((r) => r.exitCode === 0, (r) => GitErrors.commandFailed(args, r.exitCode, r.stderr))
    )
})

/** Its layer. */
export const layer: Layer.Layer<Git> = Layer.succeed(Git, live)

// ---------------------------------------------------------------------------------------------
// Memory

/** The repository facts the memory layer answers from. */
export interface GitWorld {
  /** Full ref names under refs/heads and refs/remotes (without refs/remotes/origin/HEAD). */
  readonly refs: ReadonlyArray<string>
  /** The target of refs/remotes/origin/HEAD (e.g. `refs/remotes/origin/main`), or null. */
  readonly originHead: string | null
  /** The registry, main worktree first, as `git worktree list --porcelain` lists it. */
  readonly worktrees: ReadonlyArray<WorktreeEntry>
  /** Overrides the main worktree `mainWorktreeOf` answers (default: the first registry entry). */
  readonly mainWorktree?: WorktreeEntry | null
}

/** A counted memory `GitReader`: the layer, and the calls made through it. */
export interface GitMemory {
  readonly layer: Layer.Layer<GitReader>
  /** How many port calls were made so far (each one would be a git subprocess in the live layer). */
  readonly calls: () => number
  /** The calls in order, as `<method> <argument>`. */
  readonly log: () => ReadonlyArray<string>
}

/** Builds a counted in-memory `GitReader` over fixed facts; build one per property run. */
export const makeMemory = (world: GitWorld): GitMemory => {
  const calls: Array<string> = []
  const refs = { refs: [...world.refs], originHead: world.originHead }
  const worktrees = [...world.worktrees]
  const main = world.mainWorktree !== undefined ? world.mainWorktree : (worktrees[0] ?? null)
  const counted = <A>(call: string, answer: Effect.Effect<A, GitError>) =>
    Effect.suspend(() => {
      calls.push(call)
      return answer
    })
  const run = (args: ReadonlyArray<string>) =>
    counted(`run ${args.join(" ")}`, Effect.fail(GitErrors.commandFailed(args, null, "the in-memory Git layer runs no commands")))
  const layer = Layer.succeed(
    GitReader,
    GitReader.of({
      read: run,
      readChecked: run,
      refs: (root) => counted(`refs ${root}`, Effect.succeed(refs)),
      worktreeList: (root) => counted(`worktreeList ${root}`, Effect.succeed(worktrees)),
      mainWorktreeOf: (commonDir) => counted(`mainWorktreeOf ${commonDir}`, Effect.succeed(main))
    })
  )
  return { layer, calls: () => calls.length, log: () => [...calls] }
}

/** The in-memory `GitReader` layer over fixed facts (use `makeMemory` to also read the call count). */
export const layerMemory = (world: GitWorld): Layer.Layer<GitReader> => makeMemory(world).layer
