/**
 * What every command shares: the directory it runs from, and the options defined once here
 * (`--mission`, `--feature-dir`, `--json`).
 */
import { Options } from "@effect/cli"

export { currentDirectory, Cwd, missionRequest } from "./Invocation.js"

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
