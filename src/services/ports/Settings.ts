/**
 * The process environment kittyctx reads, in one place: read once when the layer is built, each value
 * checked when it is used (a malformed value fails the command that needs it with `CONFIG_INVALID`,
 * never silently meaning a default). Tests supply fixed values with `layerFixed`.
 */
import { Context, Effect, Either, Layer } from "effect"
import { configInvalid, parseCommitTimeout, parseLockTimeout, parseSwitch } from "../../core/config/ConfigError.js"
import type { ConfigError } from "../../core/config/ConfigError.js"
import { RUNTIME_HOME_DIR } from "../../core/repo/Naming.js"
import { isAbsolutePath, joinPath, normalizePath } from "../../core/repo/Paths.js"

/** The variables kittyctx reads. */
export const SETTING_VARIABLES = [
  "KITTYCTX_LOCK_TIMEOUT_MS",
  "KITTYCTX_COMMIT_TIMEOUT_MS",
  "SPECIFY_REPO_ROOT",
  "KITTYCTX_PROTECTED_BRANCHES",
  "KITTYCTX_ALLOW_PROTECTED_BRANCH_COMMITS",
  "SPEC_KITTY_ALLOW_PROTECTED_BRANCH_COMMITS",
  "NO_COLOR",
  "KITTYCTX_HOME",
  "HOME",
  "KITTYCTX_DAEMON_DISABLE"
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
  /** The runtime root (docs/surfaces.md §8.1): `KITTYCTX_HOME`, else `$HOME/.kittyctx`; absolute. */
  readonly runtimeRoot: Effect.Effect<string, ConfigError>
  /** `KITTYCTX_DAEMON_DISABLE`: `sync daemon start` starts nothing. */
  readonly daemonDisabled: Effect.Effect<boolean, ConfigError>
  /** A variable the user named in the configuration (the sink's token); undefined when unset or empty. */
  readonly secret: (name: string) => string | undefined
}>() {}

/** `KITTYCTX_HOME`, else `$HOME/.kittyctx`; each must be absolute. */
const runtimeRootOf = (values: SettingValues): Either.Either<string, ConfigError> => {
  const home = values.KITTYCTX_HOME
  if (home !== undefined && home !== "") {
    return isAbsolutePath(home)
      ? Either.right(normalizePath(home))
      : Either.left(configInvalid("KITTYCTX_HOME", home, "an absolute directory path"))
  }
  const user = values.HOME
  if (user === undefined || user === "" || !isAbsolutePath(user)) {
    return Either.left(configInvalid("HOME", user ?? null, "an absolute directory path (or set KITTYCTX_HOME)"))
  }
  return Either.right(joinPath(user, RUNTIME_HOME_DIR))
}

/** Settings from raw values (`secrets`: the variables a configuration may name). */
export const fromValues = (
  values: SettingValues,
  secrets: (name: string) => string | undefined = () => undefined
): Context.Tag.Service<Settings> => {
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
    noColor: (values.NO_COLOR ?? "") !== "",
    runtimeRoot: runtimeRootOf(values),
    daemonDisabled: parseSwitch("KITTYCTX_DAEMON_DISABLE", values.KITTYCTX_DAEMON_DISABLE),
    secret: (name) => {
      const v = secrets(name)
      return v === undefined || v === "" ? undefined : v
    }
  })
}

/** The live service: the process environment, read once. */
export const makeLive = () => {
  const values: SettingValues = {}
  for (const name of SETTING_VARIABLES) {
    const v = process.env[name]
    if (v !== undefined) values[name] = v
  }
  return fromValues(values, (name) => process.env[name])
}

/** Its layer. */
export const layer: Layer.Layer<Settings> = Layer.sync(Settings, makeLive)

/**
 * The environment a child process starts with: this process's own, with `overrides` applied (an
 * `undefined` value removes the variable). Git's subprocesses get theirs from here (`Git.gitEnv`).
 */
export const childEnvironment = (
  overrides: Readonly<Record<string, string | undefined>>
): Record<string, string | undefined> => ({ ...process.env, ...overrides })

/** Fixed values, for tests. */
export const layerFixed = (values: SettingValues = {}, secrets: Readonly<Record<string, string>> = {}): Layer.Layer<Settings> =>
  Layer.succeed(Settings, fromValues(values, (name) => secrets[name]))
