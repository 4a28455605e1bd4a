/**
 * What every command shares: the directory it runs from, and the options defined once here
 * (`--mission`, `--feature-dir`, `--json`).
 */
import { Options } from "@effect/cli"
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

/** `--mission <handle>` (alias `--feature`). */
export const missionOption = Options.text("mission").pipe(
  Options.withAlias("feature"),
  Options.withPseudoName("handle"),
  Options.withDescription(
    "Mission handle: dir name, slug, human slug, mid8, ULID or NNN. May be omitted inside a lane or coordination " +
      "worktree, or when the repository has one mission"
  ),
  Options.optional
)

/** `--feature-dir <path>`: the mission directory itself, instead of `--mission`. */
export const featureDirOption = Options.text("feature-dir").pipe(
  Options.withPseudoName("path"),
  Options.withDescription("Path of the mission directory (instead of --mission)"),
  Options.optional
)

/** `--json`: exactly one JSON object on stdout. */
export const jsonOption = Options.boolean("json").pipe(Options.withDescription("Print one JSON object on stdout"))

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

/** `--auto-commit` / `--no-auto-commit`: both absent leaves the project's `.kittify/config.yaml` default. */
export const autoCommitOption = Options.all({
  autoCommit: Options.boolean("auto-commit").pipe(
    Options.withDescription("Commit the status files on the placement ref (default: .kittify/config.yaml auto_commit, on)")
  ),
  noAutoCommit: Options.boolean("no-auto-commit").pipe(
    Options.withDescription("Leave the status files uncommitted (a protected target branch needs this)")
  )
})

/** The chosen auto-commit mode: `undefined` for the project default; both flags at once is a usage error. */
export const autoCommitOf = (o: { readonly autoCommit: boolean; readonly noAutoCommit: boolean }) =>
  o.autoCommit && o.noAutoCommit
    ? Effect.fail(new UsageError({ message: "--auto-commit and --no-auto-commit exclude each other", details: {} }))
    : Effect.succeed(o.autoCommit ? true : o.noAutoCommit ? false : undefined)
