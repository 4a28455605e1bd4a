/**
 * The process environment kittyctx reads, in one place: read once when the layer is built, each value
 * checked when it is used (a malformed value fails the command that needs it with `CONFIG_INVALID`,
 * never silently meaning a default). Tests supply fixed values with `layerFixed`.
 */
import { Context, Effect, Either, Layer } from "effect"
import { parseCommitTimeout, parseLockTimeout, parseSwitch } from "../../core/config/ConfigError.js"
import type { ConfigError } from "../../core/config/ConfigError.js"

/** The variables kittyctx reads. */
export const SETTING_VARIABLES = [
  "KITTYCTX_LOCK_TIMEOUT_MS",
  "KITTYCTX_COMMIT_TIMEOUT_MS",
  "SPECIFY_REPO_ROOT",
  "KITTYCTX_PROTECTED_BRANCHES",
  "KITTYCTX_ALLOW_PROTECTED_BRANCH_COMMITS",
  "SPEC_KITTY_ALLOW_PROTECTED_BRANCH_COMMITS",
  "NO_COLOR"
] as const

/** The raw values (absent variables are undefined). */
export type SettingValues = Partial<Record<(typeof SETTING_VARIABLES)[number], string>>

/** The settings port. */
export class Settings extends Context.Tag("kittyctx/Settings")<Settings, {
  /** Where root discovery starts instead of the current directory (`SPECIFY_REPO_ROOT`). */
  readonly specifyRepoRoot: string | undefined
  /** How long any lock is waited for (`KITTYCTX_LOCK_TIMEOUT_MS`, default 30000). */
  readonly lockTimeoutMs: Effect.Effect<number, ConfigError>
  /** How long a commit, hooks included, may take (`KITTYCTX_COMMIT_TIMEOUT_MS`, default 60000). */
  readonly commitTimeoutMs: Effect.Effect<number, ConfigError>
  /** Extra protected branch names (`KITTYCTX_PROTECTED_BRANCHES`, comma-separated). */
  readonly extraProtectedBranches: ReadonlyArray<string>
  /** `NO_COLOR` set to anything non-empty: no ANSI codes in any output. */
  readonly noColor: boolean
  /** The operator override for commits on protected branches. */
  readonly allowProtectedCommits: Effect.Effect<boolean, ConfigError>
}>() {}

/** Settings from raw values. */
export const fromValues = (values: SettingValues): Context.Tag.Service<Settings> => {
  const root = values.SPECIFY_REPO_ROOT
  const timeout = parseLockTimeout(values.KITTYCTX_LOCK_TIMEOUT_MS)
  const allow = Either.flatMap(
    parseSwitch("KITTYCTX_ALLOW_PROTECTED_BRANCH_COMMITS", values.KITTYCTX_ALLOW_PROTECTED_BRANCH_COMMITS),
    (a) =>
      a ? Either.right(true) : parseSwitch("SPEC_KITTY_ALLOW_PROTECTED_BRANCH_COMMITS", values.SPEC_KITTY_ALLOW_PROTECTED_BRANCH_COMMITS)
  )
  return Settings.of({
    specifyRepoRoot: root === undefined || root === "" ? undefined : root,
    lockTimeoutMs: timeout,
    commitTimeoutMs: parseCommitTimeout(values.KITTYCTX_COMMIT_TIMEOUT_MS),
    extraProtectedBranches: (values.KITTYCTX_PROTECTED_BRANCHES ?? "").split(",").map((s) => s.trim()).filter((s) => s !== ""),
    allowProtectedCommits: allow,
    noColor: (values.NO_COLOR ?? "") !== ""
  })
}

/** The live layer: the process environment, read once. */
export const layer: Layer.Layer<Settings> = Layer.sync(Settings, () => {
  const values: SettingValues = {}
  for (const name of SETTING_VARIABLES) {
    const v = process.env[name]
    if (v !== undefined) values[name] = v
  }
  return fromValues(values)
})

/** Fixed values, for tests. */
export const layerFixed = (values: SettingValues = {}): Layer.Layer<Settings> => Layer.succeed(Settings, fromValues(values))
