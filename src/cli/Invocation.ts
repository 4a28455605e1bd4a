/**
 * What every command body needs from its invocation, without the command-line parser: the directory it
 * runs from and the resolver request of `--mission` / `--feature-dir` (shared by the parsed commands and
 * the start-up fast path, so neither pulls in the other).
 */
import { Context, Effect, Option } from "effect"
import { basenamePath, resolvePath } from "../core/repo/Paths.js"
import { IoErrors } from "../core/repo/RepoError.js"
import type { IoError } from "../core/repo/RepoError.js"
import { UsageError } from "./Output.js"

/** The directory the command runs from (the process CWD in the binary; fixed in tests); null when it was deleted. */
export class Cwd extends Context.Tag("kittyctx/Cwd")<Cwd, string | null>() {}

/** The command's directory, or `CWD_UNAVAILABLE` when it no longer exists. */
export const currentDirectory: Effect.Effect<string, IoError, Cwd> = Effect.flatMap(Cwd, (cwd) =>
  cwd === null ? Effect.fail(IoErrors.cwdUnavailable()) : Effect.succeed(cwd))

/**
 * The resolver request of `--mission` / `--feature-dir` from the command's directory. Without either, the
 * resolver picks the mission of the worktree the command runs in, or the only mission (and otherwise
 * lists the candidates). Both given: they must name the same mission.
 */
export const missionRequest = (
  mission: Option.Option<string>,
  featureDir: Option.Option<string> = Option.none()
): Effect.Effect<
  {
    readonly cwd: string
    readonly mission: string | undefined
    readonly missionCheck?: { readonly handle: string; readonly featureDir: string }
  },
  IoError,
  Cwd
> =>
  Effect.map(currentDirectory, (cwd) =>
    Option.match(featureDir, {
      onNone: () => ({ cwd, mission: Option.getOrUndefined(mission) }),
      onSome: (d) => {
        const abs = resolvePath(cwd, d)
        return Option.match(mission, {
          onNone: () => ({ cwd: abs, mission: basenamePath(abs) }),
          onSome: (handle) => ({ cwd: abs, mission: basenamePath(abs), missionCheck: { handle, featureDir: abs } })
        })
      }
    }))

/** `--auto-commit` / `--no-auto-commit` as given. */
export interface AutoCommitFlags {
  readonly autoCommit: boolean
  readonly noAutoCommit: boolean
}

/** The chosen auto-commit mode: `undefined` for the project default; both flags at once is a usage error. */
export const autoCommitOf = (o: AutoCommitFlags) =>
  o.autoCommit && o.noAutoCommit
    ? Effect.fail(new UsageError({ message: "--auto-commit and --no-auto-commit exclude each other", details: {} }))
    : Effect.succeed(o.autoCommit ? true : o.noAutoCommit ? false : undefined)

