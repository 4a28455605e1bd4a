/**
 * The project's `.kittify/config.yaml` as spec-kitty reads it for bookkeeping (docs/surfaces.md §0.3,
 * §0.10): the auto-commit default and the protected-branch list. Parsed once per command; a value that
 * cannot be used is a `CONFIG_INVALID` for the commands that need it (a reader never fails on it).
 */
import { Either } from "effect"
import { parse as parseYaml } from "yaml"
import { pyRepr } from "../python/PyRepr.js"
import { ConfigError } from "./ConfigError.js"

/** The config file, relative to the project root (for messages). */
export const PROJECT_CONFIG_PATH = ".kittify/config.yaml"

/** The decoded file: its mapping (empty when absent or empty), or why it cannot be read. */
export interface ProjectConfig {
  /** `null` when the file is absent. */
  readonly path: string | null
  readonly data: Either.Either<Readonly<Record<string, unknown>>, ConfigError>
}

const invalid = (path: string, message: string, details: Record<string, unknown> = {}) =>
  new ConfigError({ code: "CONFIG_INVALID", message, details: { path, ...details } })

/** Decodes the text of `.kittify/config.yaml` (`null` = absent: every default applies). */
export const parseProjectConfig = (path: string, text: string | null): ProjectConfig => {
  if (text === null) return { path: null, data: Either.right({}) }
  let raw: unknown
  try {
    raw = parseYaml(text, { maxAliasCount: 100, prettyErrors: false })
  } catch (e) {
    const detail = (e as Error).message.split("\n")[0]
    return { path, data: Either.left(invalid(path, `Failed to parse ${path}: ${detail}`, { reason: detail })) }
  }
  if (raw === null || raw === undefined) return { path, data: Either.right({}) }
  if (typeof raw !== "object" || Array.isArray(raw)) {
    return { path, data: Either.left(invalid(path, `${path} must hold a mapping, got ${pythonType(raw)}`)) }
  }
  return { path, data: Either.right(raw as Record<string, unknown>) }
}

/** A config with every default (no file). */
export const DEFAULT_PROJECT_CONFIG: ProjectConfig = { path: null, data: Either.right({}) }

/** Python's type name of a YAML value, as spec-kitty's messages print it. */
const pythonType = (v: unknown): string =>
  v === null || v === undefined
    ? "NoneType"
    : typeof v === "string"
    ? "str"
    : typeof v === "boolean"
    ? "bool"
    : typeof v === "number"
    ? (Number.isInteger(v) ? "int" : "float")
    : Array.isArray(v)
    ? "list"
    : "dict"

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/**
 * The auto-commit default: `agents.auto_commit` (or `tools.auto_commit`), else top-level `auto_commit`,
 * else on. spec-kitty silently reads any non-boolean as "on"; kittyctx refuses it (`auto_commit: no` is a
 * string in YAML 1.2 and would otherwise mean the opposite of what it says).
 */
export const autoCommitOf = (config: ProjectConfig): Either.Either<boolean, ConfigError> =>
  Either.flatMap(config.data, (data) => {
    const agents = isMapping(data.agents) ? data.agents : isMapping(data.tools) ? data.tools : {}
    const section = "auto_commit" in agents ? "agents.auto_commit" : "auto_commit"
    const value = "auto_commit" in agents ? agents.auto_commit : data.auto_commit
    if (value === undefined || value === null) return Either.right(true)
    if (typeof value === "boolean") return Either.right(value)
    return Either.left(
      invalid(
        config.path ?? PROJECT_CONFIG_PATH,
        `${section} in ${PROJECT_CONFIG_PATH} must be true or false, got ${pythonType(value)}: ${pyRepr(value)}`,
        { setting: section, value }
      )
    )
  })

/**
 * `protection.protected_branches`: the list as written (entries as Python's `str()` gives them), `null`
 * when absent (the defaults apply), `[]` for "nothing is protected"; any other value is `CONFIG_INVALID`
 * with spec-kitty's message.
 */
export const protectedBranchesOf = (config: ProjectConfig): Either.Either<ReadonlyArray<string> | null, ConfigError> =>
  Either.flatMap(config.data, (data) => {
    const protection = data.protection
    if (!isMapping(protection)) return Either.right(null)
    const raw = protection.protected_branches
    if (raw === undefined || raw === null) return Either.right(null)
    if (!Array.isArray(raw)) {
      return Either.left(
        invalid(
          config.path ?? PROJECT_CONFIG_PATH,
          `protection.protected_branches in ${PROJECT_CONFIG_PATH} must be a list, got ${pythonType(raw)}: ${pyRepr(raw)}`,
          { setting: "protection.protected_branches", value: raw }
        )
      )
    }
    return Either.right(raw.map((x) => (typeof x === "string" ? x : pyRepr(x))))
  })
