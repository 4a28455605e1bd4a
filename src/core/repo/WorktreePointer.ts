/**
 * The worktree-pointer grammar (docs/execution-context.md §5.1): the text of a `.git` file and of a
 * `commondir` file, resolved as git resolves them. The file reads happen in the RootLocator service;
 * this module is the single parser. Bare section numbers (§N) cite docs/execution-context.md.
 */
import { dirnamePath, resolvePath } from "./Paths.js"

const GITDIR_LINE = /^gitdir:[ \t]*([^ \t][\s\S]*)$/

/**
 * A leading byte-order mark and ASCII white space at either end: git strips only these, and a path may
 * end in U+00A0 or hold U+2028, which JavaScript's `trim` and `.` would eat.
 */
const ASCII_SPACE = /^[\ufeff \t\r\n\f\v]+|[ \t\r\n\f\v]+$/g
const asciiTrim = (s: string): string => s.replace(ASCII_SPACE, "")

/** The outcome of reading a `.git` file's text: the gitdir it names, or malformed. */
export type PointerText = { readonly _tag: "Gitdir"; readonly gitdir: string } | { readonly _tag: "Malformed" }

/**
 * Parses the text of a `.git` file found at `gitFilePath`: the first line of the trimmed text must be
 * `gitdir: <path>`; a relative path is resolved against the directory holding the `.git` file.
 */
export const parsePointerText = (text: string, gitFilePath: string): PointerText => {
  const first = asciiTrim(text).split(/\r?\n/, 1)[0] ?? ""
  const m = GITDIR_LINE.exec(first)
  if (m === null) return { _tag: "Malformed" }
  const value = asciiTrim(m[1])
  return { _tag: "Gitdir", gitdir: resolvePath(dirnamePath(gitFilePath), value) }
}

/** Resolves the content of `<gitdir>/commondir` (relative values are relative to the gitdir). */
export const resolveCommondir = (text: string, gitdir: string): string => resolvePath(gitdir, asciiTrim(text))

/** The outcome of following a `.git` file (§5.1). */
export type GitPointer =
  | { readonly _tag: "LinkedWorktree"; readonly worktreeRoot: string; readonly gitdir: string; readonly commonDir: string }
  | { readonly _tag: "ForeignGitdir"; readonly gitdir: string }
  | { readonly _tag: "Malformed"; readonly path: string }
  | { readonly _tag: "Dangling"; readonly path: string; readonly gitdir: string }
  /** The gitdir exists but does not list this worktree back (its `gitdir` file names another `.git`). */
  | { readonly _tag: "Unregistered"; readonly path: string; readonly gitdir: string }

/** The per-worktree `HEAD` of a linked worktree, as a ref name or a detached sha. */
export type HeadState = { readonly _tag: "Ref"; readonly ref: string } | { readonly _tag: "Detached"; readonly sha: string }

/** Parses the text of a `HEAD` file: `ref: refs/heads/x` or a detached commit id. */
export const parseHeadText = (text: string): HeadState | null => {
  const t = text.trim()
  const m = /^ref:\s*(\S+)$/.exec(t)
  if (m !== null) return { _tag: "Ref", ref: m[1] }
  if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(t)) return { _tag: "Detached", sha: t }
  return null
}
