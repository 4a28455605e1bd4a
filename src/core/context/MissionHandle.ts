/**
 * Mission handle resolution (docs/execution-context.md §7): the safety gate and the precedence ladder,
 * pure over the index of mission directories. The canonical slug is the matched directory's name.
 * Bare section numbers (§N) cite docs/execution-context.md.
 */
import { Either } from "effect"
import { ContextErrors } from "./ContextError.js"
import type { ContextError } from "./ContextError.js"
import { nearest } from "../Nearest.js"
import { isMid8, isUlid, mid8SuffixOf, stripNumberPrefix } from "../repo/Naming.js"

/** One candidate mission directory; `missionId` is `null` when its meta is missing, invalid or id-less. */
export interface HandleCandidate {
  readonly name: string
  readonly missionId: string | null
}

/** A resolved handle: the canonical slug and the ladder level that matched. */
export interface ResolvedHandle {
  readonly slug: string
  readonly level: string
}

const SAFE_CHARS = /^[A-Za-z0-9._-]+$/

/** §7.1: rejects unsafe handles before any path is composed; `null`/empty is "missing". */
export const checkHandle = (handle: string | null | undefined, available: ReadonlyArray<string>) => {
  if (handle === null || handle === undefined || handle === "") {
    return Either.left(ContextErrors.unresolved(null, available, { reason: "missing" }))
  }
  const reason = /\s/.test(handle)
    ? "contains whitespace"
    : handle.includes("/") || handle.includes("\\")
    ? "contains a path separator"
    : handle.includes("..")
    ? "contains '..'"
    : handle.startsWith(".")
    ? "starts with '.'"
    : !SAFE_CHARS.test(handle)
    ? "contains characters outside [A-Za-z0-9._-]"
    : handle.length > 255
    ? "is longer than 255 characters"
    : null
  return reason === null ? Either.right(handle) : Either.left(ContextErrors.invalidHandle(handle, reason))
}

/** True when the id levels (1, 2, 7) apply, so candidates' mission ids must be read. */
export const handleNeedsIds = (handle: string): boolean =>
  isUlid(handle) || isMid8(handle) || isUlid(handle.toUpperCase()) || isMid8(handle.toUpperCase())

const idLevel = (handle: string, candidates: ReadonlyArray<HandleCandidate>) => {
  if (isUlid(handle)) return { level: "ulid", matches: candidates.filter((c) => c.missionId === handle) }
  if (isMid8(handle)) return { level: "mid8", matches: candidates.filter((c) => c.missionId?.startsWith(handle) === true) }
  return null
}

/** §7.3: the precedence ladder; the first level with a match decides. */
export const resolveHandleIn = (
  handle: string,
  candidates: ReadonlyArray<HandleCandidate>
): Either.Either<ResolvedHandle, ContextError> => {
  const allDigits = /^\d+$/.test(handle)
  const levels: Array<() => { level: string; matches: ReadonlyArray<HandleCandidate> } | null> = [
    () => idLevel(handle, candidates),
    () => ({ level: "dir_name", matches: candidates.filter((c) => c.name === handle) }),
    () => allDigits ? null : { level: "slug", matches: candidates.filter((c) => stripNumberPrefix(c.name) === handle) },
    () =>
      allDigits ? null : {
        level: "human_slug",
        matches: candidates.filter((c) => {
          const stripped = stripNumberPrefix(c.name)
          const mid8 = mid8SuffixOf(c.name)
          return mid8 !== null && stripped.slice(0, -(mid8.length + 1)) === handle
        })
      },
    () =>
      /^\d{3}$/.test(handle)
        ? { level: "number", matches: candidates.filter((c) => c.name.startsWith(handle + "-")) }
        : null,
    () => handle !== handle.toUpperCase() ? idLevel(handle.toUpperCase(), candidates) : null
  ]
  for (const level of levels) {
    const result = level()
    if (result === null || result.matches.length === 0) continue
    if (result.matches.length === 1) return Either.right({ slug: result.matches[0].name, level: result.level })
    return Either.left(ContextErrors.ambiguous(handle, result.level, result.matches.map((c) => c.name).sort()))
  }
  const names = candidates.map((c) => c.name)
  return Either.left(ContextErrors.unresolved(handle, names, { suggestions: handleSuggestions(handle, names) }))
}

/** The mission dirs nearest to a mistyped handle: by dir name, slug, human slug and mid8. */
export const handleSuggestions = (handle: string, names: ReadonlyArray<string>): ReadonlyArray<string> =>
  nearest(handle, names, {
    keys: (name) => {
      const slug = stripNumberPrefix(name)
      const mid8 = mid8SuffixOf(name)
      return mid8 === null ? [name, slug] : [name, slug, slug.slice(0, -(mid8.length + 1)), mid8]
    }
  })
