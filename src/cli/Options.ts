/**
 * What every command shares: the directory it runs from, and the options defined once here
 * (`--mission`, `--feature-dir`, `--json`).
 */
import { Options } from "@effect/cli"
import { Context, Effect, Option } from "effect"
import { basenamePath, resolvePath } from "../core/repo/Paths.js"
import { IoErrors } from "../core/repo/RepoError.js"
import type { IoError } from "../core/repo/RepoError.js"

/** The directory the command runs from (the process CWD in the binary; fixed in tests); null when it was deleted. */
export class Cwd extends Context.Tag("kittyctx/Cwd")<Cwd, string | null>() {}

/** The command's directory, or `CWD_UNAVAILABLE` when it no longer exists. */
export const currentDirectory: Effect.Effect<string, IoError, Cwd> = Effect.flatMap(Cwd, (cwd) =>
  cwd === null ? Effect.fail(IoErrors.cwdUnavailable()) : Effect.succeed(cwd))

/** `--mission <handle>` (alias `--feature`). */
export const missionOption = Options.text("mission").pipe(
  Options.withAlias("feature"),
  Options.withDescription("Mission handle: dir name, slug, human slug, mid8, ULID or NNN"),
  Options.optional
)

/** `--feature-dir <path>`: the mission directory itself, instead of `--mission`. */
export const featureDirOption = Options.text("feature-dir").pipe(
  Options.withDescription("Path of the mission directory (instead of --mission)"),
  Options.optional
)

/** `--json`: exactly one JSON object on stdout. */
export const jsonOption = Options.boolean("json").pipe(Options.withDescription("Print one JSON object on stdout"))

/** The resolver request of `--mission` / `--feature-dir` from the command's directory. */
export const missionRequest = (
  mission: Option.Option<string>,
  featureDir: Option.Option<string> = Option.none()
): Effect.Effect<{ readonly cwd: string; readonly mission: string | undefined }, IoError, Cwd> =>
  Effect.map(currentDirectory, (cwd) =>
    Option.match(featureDir, {
      onNone: () => ({ cwd, mission: Option.getOrUndefined(mission) }),
      onSome: (d) => {
        const abs = resolvePath(cwd, d)
        return { cwd: abs, mission: basenamePath(abs) }
      }
    }))
