/**
 * The pure rules of the implement claim (docs/surfaces.md §2, §6.5): the bulk-edit inference from a
 * spec's wording, the dependencies and owned files a WP's frontmatter declares, and the claim a WP's
 * folded state holds. Bare section numbers (§N) cite docs/surfaces.md.
 */
import { Either } from "effect"
import { encodePretty, isJsonObject, parseLossless } from "../python/PyJson.js"
import type { JsonValue } from "../python/PyJson.js"
import { statusError } from "../status/StatusError.js"
import type { StatusError } from "../status/StatusError.js"
import { parseFrontmatter } from "../status/WorkPackageFile.js"

// ---------------------------------------------------------------------------------------------
// Bulk-edit inference (§6.5, implement time)

const HIGH_PHRASES = [
  "rename across",
  "bulk edit",
  "codemod",
  "find-and-replace",
  "find and replace",
  "replace everywhere",
  "terminology migration",
  "rename all occurrences"
]
const MEDIUM_PHRASES = [
  "rename",
  "migrate",
  "replace all",
  "across the codebase",
  "globally",
  "sed",
  "search and replace"
]
const ALWAYS_TRIGGER = new Set(["replace all", "across the codebase"])

/** What the spec's wording suggests: the phrases found (each once), their score, and whether that triggers. */
export interface BulkEditInference {
  readonly score: number
  readonly phrases: ReadonlyArray<string>
  readonly triggered: boolean
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * §6.5: HIGH phrases score 3, MEDIUM 2, each phrase once; word-bounded, case-insensitive; a match inside a
 * longer phrase's match is not counted again ("rename across" is not also "rename"). Triggered at score
 * ≥ 4, by any HIGH phrase, or by "replace all" / "across the codebase".
 */
export const bulkEditInference = (specText: string): BulkEditInference => {
  const text = specText.toLowerCase()
  const weighted = [...HIGH_PHRASES.map((p) => [p, 3] as const), ...MEDIUM_PHRASES.map((p) => [p, 2] as const)]
    .sort((a, b) => b[0].length - a[0].length)
  const taken: Array<readonly [number, number]> = []
  const found = new Map<string, number>()
  for (const [phrase, weight] of weighted) {
    const re = new RegExp(`(?<![a-z0-9_])${escapeRegex(phrase)}(?![a-z0-9_])`, "g")
    for (const m of text.matchAll(re)) {
      const start = m.index
      const end = start + phrase.length
      if (taken.some(([s, e]) => start < e && s < end)) continue
      taken.push([start, end])
      found.set(phrase, weight)
    }
  }
  const phrases = [...found.keys()].sort()
  const score = [...found.values()].reduce((a, b) => a + b, 0)
  const triggered = score >= 4 || HIGH_PHRASES.some((p) => found.has(p)) || phrases.some((p) => ALWAYS_TRIGGER.has(p))
  return { score, phrases, triggered }
}

// ---------------------------------------------------------------------------------------------
// The WP's frontmatter

/** The lane a WP must be in to be claimed. */
export const CLAIMABLE_FROM = "planned"

/** The lanes in which a dependency counts as satisfied. */
export const SATISFIED_LANES: ReadonlySet<string> = new Set(["approved", "done"])

/** The WP ids a WP's `dependencies:` frontmatter names (`WP01`, `WP02-title` → `WP02`), sorted and unique. */
export const dependenciesOf = (wpFile: string, text: string): Either.Either<ReadonlyArray<string>, StatusError> => {
  const malformed = (why: string) =>
    Either.left(statusError("WP_METADATA_INVALID", `Malformed work package metadata ${wpFile}: ${why}`, { path: wpFile }))
  const front = parseFrontmatter(text)
  if (Either.isLeft(front)) return malformed(front.left)
  const raw = front.right.dependencies
  if (raw === undefined || raw === null) return Either.right([])
  const list: unknown = typeof raw === "string" ? [raw] : raw
  if (!Array.isArray(list) || !list.every((d) => typeof d === "string")) {
    return malformed("'dependencies' is not a list of WP ids")
  }
  const ids = list.map((d) => d.trim().toUpperCase().split("-")[0]).filter((d) => d !== "")
  return Either.right([...new Set(ids)].sort())
}

/** The WP's `owned_files` frontmatter (repo-relative paths), for the inference exemption. */
export const ownedFilesOf = (wpText: string): ReadonlyArray<string> => {
  const front = parseFrontmatter(wpText)
  if (Either.isLeft(front)) return []
  const owned = front.right.owned_files
  if (!Array.isArray(owned)) return []
  return owned.filter((x): x is string => typeof x === "string").map((p) => p.replace(/^\.\//, ""))
}

// ---------------------------------------------------------------------------------------------
// The claim a WP holds

/** The claim a WP's state holds (from the planned → claimed sidecar, as the fold keeps it). */
export interface HeldClaim {
  readonly agent: string | null
  readonly pid: number | null
  readonly startedAt: string | null
}

const pidOf = (v: unknown): number | null =>
  typeof v === "number" && Number.isSafeInteger(v) ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : null

/** The claim recorded in a WP's folded state. */
export const heldClaimOf = (state: Record<string, unknown> | undefined): HeldClaim => {
  const created = state?.shell_pid_created_at
  return {
    agent: typeof state?.agent === "string" && state.agent !== "" ? state.agent : null,
    pid: pidOf(state?.shell_pid),
    startedAt: typeof created === "string" && created !== ""
      ? created
      : typeof created === "number" && Number.isFinite(created)
      ? created.toFixed(2)
      : null
  }
}

// ---------------------------------------------------------------------------------------------
// The claim's writes into meta.json and the WP file (§2.2)

/**
 * spec-kitty's VCS lock (`_ensure_vcs_in_meta`): the new `meta.json` text with `vcs: "git"` and
 * `vcs_locked_at` added, written as spec-kitty's `write_meta` does (sorted keys, indent 2, non-ASCII
 * kept); null when the mapping already has a `vcs` key or the text is not a JSON object.
 */
export const vcsLockedMeta = (metaText: string, lockedAt: string): string | null => {
  const parsed = parseLossless(metaText)
  if (!parsed.ok || !isJsonObject(parsed.value)) return null
  const meta = parsed.value as { readonly [key: string]: JsonValue }
  if (Object.prototype.hasOwnProperty.call(meta, "vcs")) return null
  return encodePretty({ ...meta, vcs: "git", vcs_locked_at: lockedAt })
}

/** The subject of spec-kitty's claim commit (WP file, meta.json, tasks.md, config and status files). */
export const claimCommitMessage = (wpId: string): string => `chore: ${wpId} claimed for implementation`
