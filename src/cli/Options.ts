/**
 * What every command shares: the directory it runs from, and the options defined once here
 * (`--mission`, `--feature-dir`, `--json`).
 */
import { Options } from "@effect/cli"

export { autoCommitOf, currentDirectory, Cwd, missionRequest } from "./Invocation.js"

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

/** `--auto-commit` / `--no-auto-commit`: both absent leaves the project's `.kittify/config.yaml` default. */
export const autoCommitOption = Options.all({
  autoCommit: Options.boolean("auto-commit").pipe(
    Options.withDescription("Commit the status files on the placement ref (default: .kittify/config.yaml auto_commit, on)")
  ),
  noAutoCommit: Options.boolean("no-auto-commit").pipe(
    Options.withDescription("Leave the status files uncommitted (a protected target branch needs this)")
  )
})
