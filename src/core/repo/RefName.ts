/**
 * Branch names read from files or the command line, checked before any reaches git: git's own
 * `check-ref-format` rules for `refs/heads/<name>`, plus no leading `-` (a value that git would read as
 * an option). Every ref-like value goes through `checkBranchName` first (docs/surfaces.md §0.4).
 */
import { Either } from "effect"
import { GitErrors } from "./RepoError.js"
import type { GitError } from "./RepoError.js"

// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARS = /[\u0000-\u0020\u007f~^:?*[\\]/

/** Why `name` is not a usable branch name (short form, e.g. `kitty/mission-x`), or null when it is. */
export const branchNameProblem = (name: string): string | null => {
  if (name === "") return "it is empty"
  if (name.startsWith("-")) return "it starts with '-'"
  if (name === "@" || name === "HEAD") return `'${name}' is reserved`
  if (name.startsWith("refs/")) return "it is a full ref, not a branch name"
  if (FORBIDDEN_CHARS.test(name)) return "it contains a space, a control character or one of ~ ^ : ? * [ \\"
  if (name.includes("..")) return "it contains '..'"
  if (name.includes("@{")) return "it contains '@{'"
  if (name.includes("//") || name.startsWith("/") || name.endsWith("/")) return "it has an empty path component"
  if (name.endsWith(".")) return "it ends with '.'"
  for (const part of name.split("/")) {
    if (part.startsWith(".")) return "a component starts with '.'"
    if (part.endsWith(".lock")) return "a component ends with '.lock'"
  }
  return null
}

/** True for a name git accepts as `refs/heads/<name>` that cannot be mistaken for an option. */
export const isBranchName = (name: string): boolean => branchNameProblem(name) === null

/** `value` as a branch name, or `INVALID_REF_NAME` naming where it came from. */
export const checkBranchName = (value: string, source: string): Either.Either<string, GitError> => {
  const problem = branchNameProblem(value)
  return problem === null ? Either.right(value) : Either.left(GitErrors.invalidRefName(value, source, problem))
}

const OBJECT_ID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/

/**
 * A full object id (40 or 64 lower-case hex digits), as git printed it. Marks a value that may stand
 * before `--` in a git command line; anything else here is a bug, never an input (it is a defect).
 */
export const commitId = (value: string): string => {
  if (!OBJECT_ID.test(value)) throw new Error(`not a full object id: ${JSON.stringify(value.slice(0, 80))}`)
  return value
}

/** `flag value flag value ...`: each value is the argument of its option, never read as an option itself. */
export const optionValues = (flag: string, values: ReadonlyArray<string>): ReadonlyArray<string> =>
  values.flatMap((v) => [flag, v])
