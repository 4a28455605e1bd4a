/**
 * Git access. `runGit` is the one function that spawns git (surfaces spec §0.4), with the environment
 * built by `gitEnv`; the `Git` port exposes the operations the resolver and the write surfaces need.
 */
import { Command, CommandExecutor } from "@effect/platform"
import { Context, Data, Duration, Effect, Layer, Stream, String as Str } from "effect"
import { ContextErrors } from "../../core/context/ContextError.js"
import type { ContextError } from "../../core/context/ContextError.js"
import type { RefFacts } from "../../core/context/ExecutionContext.js"
import { resolvePath } from "../../core/layout/Paths.js"

/** Read probes never take `index.lock`; writes may. */
export type GitMode = "read" | "write"

/** The result of one git process. */
export interface GitResult {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

/** A git process that could not be run or did not finish in time. */
export class GitSpawnError extends Data.TaggedError("GitSpawnError")<{
  readonly args: ReadonlyArray<string>
  readonly reason: string
}> {}

const LOCATION_VARS = ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX"] as const

/** The environment of every git subprocess: location variables removed, C locale, no prompts. */
export const gitEnv = (mode: GitMode): Record<string, string | undefined> => {
  const env: Record<string, string | undefined> = { LC_ALL: "C", GIT_TERMINAL_PROMPT: "0" }
  for (const v of LOCATION_VARS) env[v] = undefined
  if (mode === "read") env.GIT_OPTIONAL_LOCKS = "0"
  return env
}

const GIT_TIMEOUT = Duration.seconds(10)

const collect = <E>(s: Stream.Stream<Uint8Array, E>) =>
  s.pipe(Stream.decodeText(), Stream.runFold("", (acc, chunk) => acc + chunk))

/** Runs `git -C <cwd> <args>`: exit code, stdout and stderr read concurrently, 10 s timeout. */
export const runGit = (
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly mode: GitMode; readonly timeout?: Duration.Duration }
): Effect.Effect<GitResult, GitSpawnError, CommandExecutor.CommandExecutor> =>
  Effect.scoped(
    Effect.gen(function*() {
      const command = Command.make("git", "-C", options.cwd, ...args).pipe(
        Command.env(gitEnv(options.mode))
      )
      const proc = yield* Command.start(command)
      const [exitCode, stdout, stderr] = yield* Effect.all(
        [proc.exitCode, collect(proc.stdout), collect(proc.stderr)],
        { concurrency: "unbounded" }
      )
      return { exitCode: Number(exitCode), stdout, stderr }
    })
  ).pipe(
    Effect.timeoutFail({
      duration: options.timeout ?? GIT_TIMEOUT,
      onTimeout: () => new GitSpawnError({ args, reason: "timed out" })
    }),
    Effect.mapError((e) => e._tag === "GitSpawnError" ? e : new GitSpawnError({ args, reason: e.message }))
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
    const lines = Str.linesIterator(block)
    let path: string | null = null
    let head: string | null = null
    let branch: string | null = null
    let bare = false
    let detached = false
    let prunable = false
    for (const line of lines) {
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

/** The git operations kittyctx needs, with errors already mapped to context codes. */
export class Git extends Context.Tag("kittyctx/Git")<Git, {
  /** Runs git in `cwd`; a non-zero exit is returned, not failed. */
  readonly run: (
    args: ReadonlyArray<string>,
    options: { readonly cwd: string; readonly mode: GitMode }
  ) => Effect.Effect<GitResult, ContextError>
  /** Every ref under refs/heads and refs/remotes, and the target of refs/remotes/origin/HEAD: one subprocess. */
  readonly refs: (root: string) => Effect.Effect<RefFacts, ContextError>
  /** The worktree registry. */
  readonly worktreeList: (root: string) => Effect.Effect<ReadonlyArray<WorktreeEntry>, ContextError>
  /** The main worktree of a repository given its common dir (first registry entry). */
  readonly mainWorktreeOf: (commonDir: string) => Effect.Effect<WorktreeEntry | null, ContextError>
}>() {}

/** The live layer: every call is one git subprocess through `runGit`. */
export const layer: Layer.Layer<Git, never, CommandExecutor.CommandExecutor> = Layer.effect(
  Git,
  Effect.gen(function*() {
    const executor = yield* CommandExecutor.CommandExecutor
    const run = (args: ReadonlyArray<string>, options: { readonly cwd: string; readonly mode: GitMode }) =>
      runGit(args, options).pipe(
        Effect.provideService(CommandExecutor.CommandExecutor, executor),
        Effect.mapError((e) => ContextErrors.gitFailed(e.args, null, e.reason))
      )
    const checked = (args: ReadonlyArray<string>, cwd: string) =>
      run(args, { cwd, mode: "read" }).pipe(
        Effect.filterOrFail(
          (r) => r.exitCode === 0,
          (r) => ContextErrors.gitFailed(args, r.exitCode, r.stderr)
        )
      )
    return Git.of({
      run,
      refs: (root) =>
        checked(["for-each-ref", "--format=%(refname)%00%(symref)", "refs/heads", "refs/remotes"], root).pipe(
          Effect.map((r) => parseRefList(r.stdout))
        ),
      worktreeList: (root) =>
        run(["worktree", "list", "--porcelain"], { cwd: root, mode: "read" }).pipe(
          Effect.flatMap((r) =>
            r.exitCode === 0
              ? Effect.succeed(parseWorktreeList(r.stdout))
              : Effect.fail(ContextErrors.registryUnavailable(root, r.stderr))
          )
        ),
      mainWorktreeOf: (commonDir) =>
        checked([`--git-dir=${commonDir}`, "worktree", "list", "--porcelain"], commonDir).pipe(
          Effect.map((r) => {
            const first = parseWorktreeList(r.stdout)[0]
            return first === undefined ? null : { ...first, path: resolvePath(commonDir, first.path) }
          })
        )
    })
  })
)
