/**
 * An in-memory `Git` for the parity properties (execution-context spec §15.1, §16.6): refs and the
 * worktree registry are given facts, nothing is spawned, and every call is counted because each one
 * stands for one git subprocess of the live layer (the resolver's budget is at most 2 per resolution).
 */
import { Effect, Layer } from "effect"
import { ContextErrors } from "../../core/context/ContextError.js"
import { Git } from "./Git.js"
import type { WorktreeEntry } from "./Git.js"

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

/** A counted memory `Git`: the layer, and the calls made through every instance built from it. */
export interface GitMemory {
  readonly layer: Layer.Layer<Git>
  /** How many port calls were made so far (each one would be a git subprocess in the live layer). */
  readonly calls: () => number
  /** The calls in order, as `<method> <argument>`. */
  readonly log: () => ReadonlyArray<string>
}

/** Builds a counted in-memory `Git` over fixed facts; build one per property run. */
export const makeMemory = (world: GitWorld): GitMemory => {
  const calls: Array<string> = []
  const refs = { refs: [...world.refs], originHead: world.originHead }
  const worktrees = [...world.worktrees]
  const main = world.mainWorktree !== undefined ? world.mainWorktree : (worktrees[0] ?? null)
  const counted = <A>(call: string, answer: Effect.Effect<A, ReturnType<typeof ContextErrors.gitFailed>>) =>
    Effect.suspend(() => {
      calls.push(call)
      return answer
    })
  const layer = Layer.succeed(
    Git,
    Git.of({
      run: (args) =>
        counted(
          `run ${args.join(" ")}`,
          Effect.fail(ContextErrors.gitFailed(args, null, "the in-memory Git layer runs no commands"))
        ),
      refs: (root) => counted(`refs ${root}`, Effect.succeed(refs)),
      worktreeList: (root) => counted(`worktreeList ${root}`, Effect.succeed(worktrees)),
      mainWorktreeOf: (commonDir) => counted(`mainWorktreeOf ${commonDir}`, Effect.succeed(main))
    })
  )
  return { layer, calls: () => calls.length, log: () => [...calls] }
}

/** The in-memory `Git` layer over fixed facts (use `makeMemory` to also read the call count). */
export const layerMemory = (world: GitWorld): Layer.Layer<Git> => makeMemory(world).layer
