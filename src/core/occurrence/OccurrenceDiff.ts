/**
 * The review diff check of a bulk-edit mission (docs/surfaces.md §6.4) and the reference integrity of its
 * declared moves (§6.5), as pure functions of a decoded map, the changed paths and the head tree:
 * fnmatch-style globs, move and structural-target matching, the path heuristic, per-file precedence.
 * Bare section numbers (§N) cite docs/surfaces.md.
 */
import { kindOfMissionFile } from "../context/ExecutionContext.js"
import type { Action, ExceptionEntry, OccurrenceMap, StandardCategory } from "./OccurrenceMap.js"
import { isNarrowStructuralPath } from "./OccurrenceMap.js"

// ---------------------------------------------------------------------------------------------------
// Globs

type ClassSet = {
  readonly negated: boolean
  readonly chars: string
  readonly ranges: ReadonlyArray<readonly [string, string]>
}
type Token =
  | { readonly _tag: "Star" }
  | { readonly _tag: "Any" }
  | { readonly _tag: "Class"; readonly set: ClassSet }
  | { readonly _tag: "Char"; readonly ch: string }

/** The set a bracket body denotes, with Python's range rules: hyphen chunks, empty ranges dropped. */
const classOf = (body: string, negatedSyntax: boolean): ClassSet => {
  let chunks: Array<string>
  if (!body.includes("-")) {
    chunks = [body]
  } else {
    chunks = []
    let start = 0
    let k = negatedSyntax ? 2 : 1
    for (;;) {
      k = body.indexOf("-", k)
      if (k < 0) break
      chunks.push(body.slice(start, k))
      start = k + 1
      k = k + 3
    }
    const last = body.slice(start)
    if (last !== "") chunks.push(last)
    else chunks[chunks.length - 1] += "-"
    for (let i = chunks.length - 1; i > 0; i--) {
      const prev = chunks[i - 1]
      if (prev[prev.length - 1] > chunks[i][0]) {
        chunks[i - 1] = prev.slice(0, -1) + chunks[i].slice(1)
        chunks.splice(i, 1)
      }
    }
  }
  const negated = chunks[0].startsWith("!")
  let chars = ""
  const ranges: Array<readonly [string, string]> = []
  chunks.forEach((chunk, c) => {
    for (let p = 0; p < chunk.length; p++) {
      if (c === 0 && p === 0 && negated) continue
      if (c > 0 && p === 0) continue
      if (c < chunks.length - 1 && p === chunk.length - 1) ranges.push([chunk[p], chunks[c + 1][0]])
      else chars += chunk[p]
    }
  })
  return { negated, chars, ranges }
}

const inClass = (set: ClassSet, ch: string): boolean => {
  const hit = set.chars.includes(ch) || set.ranges.some(([lo, hi]) => lo <= ch && ch <= hi)
  return set.negated ? !hit : hit
}

const tokenize = (pat: string): ReadonlyArray<Token> => {
  const out: Array<Token> = []
  let i = 0
  while (i < pat.length) {
    const c = pat[i++]
    if (c === "*") {
      if (out[out.length - 1]?._tag !== "Star") out.push({ _tag: "Star" })
    } else if (c === "?") {
      out.push({ _tag: "Any" })
    } else if (c === "[") {
      let j = i
      if (pat[j] === "!") j++
      if (pat[j] === "]") j++
      while (j < pat.length && pat[j] !== "]") j++
      if (j >= pat.length) {
        out.push({ _tag: "Char", ch: "[" })
      } else {
        out.push({ _tag: "Class", set: classOf(pat.slice(i, j), pat[i] === "!") })
        i = j + 1
      }
    } else {
      out.push({ _tag: "Char", ch: c })
    }
  }
  return out
}

const single = (t: Token, ch: string): boolean =>
  t._tag === "Any" || (t._tag === "Char" && t.ch === ch) || (t._tag === "Class" && inClass(t.set, ch))

const fnmatchCache = new Map<string, ReadonlyArray<Token>>()

/**
 * Python's `fnmatch.fnmatch` on POSIX: anchored, case-sensitive, `*` matches any run including `/`,
 * `?` one character, `[seq]` / `[!seq]` classes (an unclosed `[` is literal).
 */
export const fnmatch = (name: string, pat: string): boolean => {
  let tokens = fnmatchCache.get(pat)
  if (tokens === undefined) {
    tokens = tokenize(pat)
    if (fnmatchCache.size > 4096) fnmatchCache.clear()
    fnmatchCache.set(pat, tokens)
  }
  let t = 0
  let n = 0
  let starT = -1
  let starN = 0
  while (n < name.length) {
    const tok = tokens[t]
    if (tok !== undefined && tok._tag === "Star") {
      starT = t++
      starN = n
    } else if (tok !== undefined && single(tok, name[n])) {
      t++
      n++
    } else if (starT >= 0) {
      t = starT + 1
      n = ++starN
    } else {
      return false
    }
  }
  while (tokens[t]?._tag === "Star") t++
  return t === tokens.length
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")

const regexCache = new Map<string, RegExp>()

/** The recursive-glob regex: escape, then `**` → `.*`, `*` → `[^/]*`, `?` → `[^/]`, anchored. */
export const recursiveGlobRegex = (pat: string): RegExp => {
  const hit = regexCache.get(pat)
  if (hit !== undefined) return hit
  let src = ""
  let i = 0
  while (i < pat.length) {
    if (pat.startsWith("**", i)) {
      src += ".*"
      i += 2
    } else if (pat[i] === "*") {
      src += "[^/]*"
      i++
    } else if (pat[i] === "?") {
      src += "[^/]"
      i++
    } else {
      src += escapeRegex(pat[i++])
    }
  }
  const rx = new RegExp(`^${src}$`, "s")
  if (regexCache.size > 4096) regexCache.clear()
  regexCache.set(pat, rx)
  return rx
}

/** §6.4: `fnmatch(path, pat) || (pat has "**" && recursiveGlobRegex(pat) matches path)`. */
export const globMatch = (path: string, pat: string): boolean =>
  fnmatch(path, pat) || (pat.includes("**") && recursiveGlobRegex(pat).test(path))

/** A declared move path normalised: trimmed, `\` → `/`, trailing `/` stripped. */
export const normalizeDeclaredPath = (declared: string): string =>
  declared.trim().replace(/\\/g, "/").replace(/\/+$/, "")

/** True when a declared path is a glob (has `*` or `?`). */
export const isGlobPath = (declared: string): boolean => declared.includes("*") || declared.includes("?")

/** Move matching: glob, else exact or directory prefix (`src/auth` covers `src/auth/x`, not `src/authx`). */
export const matchesDeclaredPath = (path: string, declared: string): boolean => {
  const d = normalizeDeclaredPath(declared)
  if (d === "") return false
  if (isGlobPath(d)) return globMatch(path, d)
  return path === d || path.startsWith(`${d}/`)
}

/** Structural-target matching: re-checked for narrowness, then exact or with a segment-bounded `*`. */
export const matchesStructuralTarget = (path: string, declared: string): boolean => {
  if (!isNarrowStructuralPath(declared)) return false
  const d = normalizeDeclaredPath(declared)
  return d.includes("*") ? recursiveGlobRegex(d).test(path) : path === d
}

// ---------------------------------------------------------------------------------------------------
// The path heuristic

const PATH_RULES: ReadonlyArray<readonly [StandardCategory, ReadonlyArray<RegExp>]> = [
  ["tests_fixtures", [
    /(^|\/)(tests|test|testing|fixture|fixtures|__snapshots__|__tests__)\//,
    /(^|\/)conftest\.py$/,
    /_test\.py$/,
    /(^|\/)test_[^/]+\.py$/,
    /\.test\.(ts|tsx|js|jsx)$/
  ]],
  ["cli_commands", [/(^|\/)cli\/commands\//, /(^|\/)commands\/[^/]+\.py$/, /(^|\/)bin\/[^/]+$/]],
  ["user_facing_strings", [/\.(md|rst|txt)$/, /(^|\/)docs\//, /(^|\/)(README|CHANGELOG|LICENSE)[^/]*$/]],
  ["serialized_keys", [/\.(yaml|yml|json|toml|ini|cfg)$/]],
  ["code_symbols", [/\.(py|pyi|ts|tsx|js|jsx|mjs|cjs|go|rs|java|rb|kt|swift|c|cc|cpp|h|hpp)$/]]
]

/** §6.4 path heuristic, first match wins: the primary category of a repo-relative path, or null. */
export const classifyPath = (path: string): StandardCategory | null => {
  for (const [category, rules] of PATH_RULES) if (rules.some((r) => r.test(path))) return category
  return null
}

/** The repo-relative mission dir `path` lies under, if any. */
const dirHolding = (path: string, dirs: ReadonlyArray<string>): string | undefined =>
  dirs.find((d) => d !== "" && (path === d || path.startsWith(`${d}/`)))

/** True when `path` lies under one of the repo-relative mission dirs. */
export const isUnderAny = (path: string, dirs: ReadonlyArray<string>): boolean => dirHolding(path, dirs) !== undefined

/**
 * §6.4 rule 4: the mission's own runtime state. The status log and snapshot, the acceptance matrix and
 * `issue-matrix.md` are recognised by the one mission-file classifier (`kindOfMissionFile`); the review
 * commentary (`notes.md`, `review-cycle-*.md`) by basename anywhere under the mission dir.
 */
export const isOwnRuntimeState = (path: string, ownMissionDirs: ReadonlyArray<string>): boolean => {
  const dir = dirHolding(path, ownMissionDirs)
  if (dir === undefined || path === dir) return false
  const rel = path.slice(dir.length + 1)
  const kind = kindOfMissionFile(rel)
  const name = rel.slice(rel.lastIndexOf("/") + 1)
  return kind === "STATUS_STATE" || kind === "ACCEPTANCE_MATRIX" || (kind === "ISSUE_MATRIX" && name.endsWith(".md")) ||
    name === "notes.md" || /^review-cycle-.*\.md$/s.test(name)
}

// ---------------------------------------------------------------------------------------------------
// Per-file assessment

/** Where a verdict came from, in precedence order. */
export type AssessmentSource = "exception" | "move" | "structural-target" | "runtime-state" | "path-heuristic"

/** One changed file's classification and verdict. */
export interface FileAssessment {
  readonly path: string
  readonly category: StandardCategory | null
  readonly action: Action | "move" | "structural_edit" | null
  readonly source: AssessmentSource
  readonly violation: boolean
  readonly reason: string
  /** Fields pinned by field-scoped exceptions (advisory). */
  readonly field_path_pins: ReadonlyArray<string>
}

/** The message of a path the heuristic cannot classify. */
export const UNCLASSIFIED_REASON = "File path does not match any standard occurrence category"

const moveFor = (path: string, map: OccurrenceMap): { role: string; declared: string } | null => {
  for (const move of map.moves) {
    for (const source of move.from) {
      if (matchesDeclaredPath(path, source)) return { role: "move-source", declared: normalizeDeclaredPath(source) }
    }
    if (!isRetirement(move) && matchesDeclaredPath(path, move.to)) {
      return { role: "move-destination", declared: normalizeDeclaredPath(move.to) }
    }
  }
  return null
}

const isWholeFile = (e: ExceptionEntry): boolean => e.field_path === null || e.field_path === ""

const classify = (
  path: string,
  map: OccurrenceMap,
  ownMissionDirs: ReadonlyArray<string>
): Omit<FileAssessment, "field_path_pins"> => {
  const exception = map.exceptions.find((e) => isWholeFile(e) && e.path !== "" && globMatch(path, e.path))
  if (exception !== undefined) {
    const why = exception.reason === null ? "" : `: ${exception.reason}`
    return exception.action === "do_not_change"
      ? {
        path,
        category: null,
        action: exception.action,
        source: "exception",
        violation: true,
        reason: `Exception '${exception.path}' marks this file do_not_change${why}`
      }
      : {
        path,
        category: null,
        action: exception.action,
        source: "exception",
        violation: false,
        reason: `Exception '${exception.path}' allows '${exception.action}'${why}`
      }
  }
  const move = moveFor(path, map)
  if (move !== null) {
    const reason = `Declared structural ${move.role}: ${move.declared}`
    return { path, category: null, action: "move", source: "move", violation: false, reason }
  }
  const target = map.structural_targets.find((t) => matchesStructuralTarget(path, t.path))
  if (target !== undefined) {
    return {
      path,
      category: null,
      action: "structural_edit",
      source: "structural-target",
      violation: false,
      reason: `Declared structural target: ${target.reason}`
    }
  }
  if (isOwnRuntimeState(path, ownMissionDirs)) {
    return {
      path,
      category: null,
      action: null,
      source: "runtime-state",
      violation: false,
      reason: "The mission's own runtime-state file: exempt from occurrence classification"
    }
  }
  const category = classifyPath(path)
  if (category === null) {
    const reason = UNCLASSIFIED_REASON
    return { path, category: null, action: null, source: "path-heuristic", violation: true, reason }
  }
  const entry = Object.prototype.hasOwnProperty.call(map.categories, category) ? map.categories[category] : undefined
  if (entry === undefined) {
    return {
      path,
      category,
      action: null,
      source: "path-heuristic",
      violation: true,
      reason: `File classified as '${category}' but that category is not present in the occurrence map`
    }
  }
  if (entry.action === "do_not_change") {
    return {
      path,
      category,
      action: entry.action,
      source: "path-heuristic",
      violation: true,
      reason: `File classified as '${category}' which is marked do_not_change`
    }
  }
  return {
    path,
    category,
    action: entry.action,
    source: "path-heuristic",
    violation: false,
    reason: `Category '${category}' action '${entry.action}' permits modification`
  }
}

/**
 * §6.4 precedence, first match wins: whole-file exception → move → structural target → the mission's own
 * runtime state (under `ownMissionDirs`, repo-relative) → path heuristic. Field-path exceptions only pin.
 */
export const assessFile = (path: string, map: OccurrenceMap, ownMissionDirs: ReadonlyArray<string>): FileAssessment => {
  const pins = [
    ...new Set(
      map.exceptions
        .filter((e) => e.field_path !== null && e.field_path !== "" && globMatch(path, e.path))
        .map((e) => e.field_path as string)
    )
  ].sort()
  return { ...classify(path, map, ownMissionDirs), field_path_pins: pins }
}

/** The diff verdict before move integrity. */
export interface ComplianceResult {
  readonly passed: boolean
  readonly assessments: ReadonlyArray<FileAssessment>
  readonly errors: ReadonlyArray<string>
  readonly warnings: ReadonlyArray<string>
}

/** Assesses every changed path: errors are `<path>: <reason>` of the violations; warnings are advisory. */
export const checkDiffCompliance = (
  changed: ReadonlyArray<string>,
  map: OccurrenceMap,
  ownMissionDirs: ReadonlyArray<string>
): ComplianceResult => {
  const assessments = changed.map((p) => assessFile(p, map, ownMissionDirs))
  const violations = assessments.filter((a) => a.violation)
  const warnings: Array<string> = []
  for (const a of assessments) {
    if (a.action === "manual_review") {
      warnings.push(
        a.source === "exception"
          ? `${a.path}: exception requires manual_review — document justification`
          : `${a.path}: category '${a.category}' requires manual_review — document justification`
      )
    }
  }
  for (const a of assessments) {
    if (a.field_path_pins.length > 0) {
      warnings.push(
        `${a.path}: field-path exception pins ${a.field_path_pins.join(", ")} as do_not_change — verify only those ` +
          "fields were left untouched"
      )
    }
  }
  for (const a of assessments) {
    if (a.source === "structural-target") {
      warnings.push(
        `${a.path}: structural-target exemption applied (${a.reason}) — do_not_change bypass; verify this is a ` +
          "genuine structural edit, not a bulk-occurrence change"
      )
    }
  }
  return {
    passed: violations.length === 0,
    assessments,
    errors: violations.map((a) => `${a.path}: ${a.reason}`),
    warnings
  }
}

// ---------------------------------------------------------------------------------------------------
// Move reference integrity (§6.5)

/** The findings carrier's schema id. */
export const INTEGRITY_SCHEMA = "occurrence-moves-integrity/v1"

/** The integrity finding codes. */
export type IntegrityCode = "MOVE_SOURCE_STILL_PRESENT" | "MOVE_DESTINATION_MISSING" | "STALE_PATH_REFERENCE"

/** One integrity finding (`occurrence-moves-integrity/v1`). */
export interface IntegrityFinding {
  readonly code: IntegrityCode
  readonly severity: "error" | "warning"
  readonly move_index: number
  readonly path: string
  readonly line?: number
  readonly detail: string
}

/** How integrity findings count: fail the check, warn, or skip. */
export type IntegrityMode = "enforce" | "warn" | "off"

/** The integrity modes. */
export const INTEGRITY_MODES: ReadonlyArray<IntegrityMode> = ["enforce", "warn", "off"]

/** Largest file scanned for stale references, and the prefix checked for NUL bytes. */
export const MAX_SCANNED_BYTES = 2 * 1024 * 1024
/** The prefix, in bytes, checked for a NUL byte. */
export const BINARY_SNIFF_BYTES = 8 * 1024

/** The literal (non-glob) sources of a move, normalised and non-empty. */
export const literalSources = (move: { readonly from: ReadonlyArray<string> }): ReadonlyArray<string> =>
  [...new Set(move.from.map(normalizeDeclaredPath).filter((s) => s !== "" && !isGlobPath(s)))]

const sample = (paths: ReadonlyArray<string>): string =>
  paths.slice(0, 3).join(", ") + (paths.length > 3 ? ` and ${paths.length - 3} more` : "")

/** The `to` real maps use for a deletion (`{from: [research/], to: RETIRE}`): a move with no destination. */
export const RETIRE_DESTINATION = "RETIRE"

/** True for a move that retires its sources rather than relocating them. */
export const isRetirement = (move: { readonly to: string }): boolean =>
  normalizeDeclaredPath(move.to) === RETIRE_DESTINATION

/**
 * Existence at head: each source gone (no file at or under it, no glob match), each destination present
 * (a retirement has none to check).
 */
export const presenceFindings = (
  map: OccurrenceMap,
  headFiles: ReadonlyArray<string>
): ReadonlyArray<IntegrityFinding> => {
  const out: Array<IntegrityFinding> = []
  map.moves.forEach((move, i) => {
    const seen = new Set<string>()
    for (const raw of move.from) {
      const source = normalizeDeclaredPath(raw)
      if (source === "" || seen.has(source)) continue
      seen.add(source)
      const left = headFiles.filter((f) => matchesDeclaredPath(f, source))
      if (left.length > 0) {
        out.push({
          code: "MOVE_SOURCE_STILL_PRESENT",
          severity: "error",
          move_index: i,
          path: source,
          detail: `moves[${i}] source '${source}' still exists at head: ${sample(left)}`
        })
      }
    }
    const to = normalizeDeclaredPath(move.to)
    if (to !== "" && !isRetirement(move) && !headFiles.some((f) => matchesDeclaredPath(f, to))) {
      out.push({
        code: "MOVE_DESTINATION_MISSING",
        severity: "error",
        move_index: i,
        path: to,
        detail: `moves[${i}] destination '${to}' is neither a file nor a directory at head`
      })
    }
  })
  return out
}

const BEFORE_OK = /[A-Za-z0-9_-]/
const AFTER_OK = /[A-Za-z0-9_.-]/

/** 1-based line numbers where `literal` occurs in `text` as a path token (§6.5 token rule). */
export const pathTokenLines = (text: string, literal: string): ReadonlyArray<number> => {
  const lines: Array<number> = []
  if (literal === "") return lines
  let from = 0
  let line = 1
  let counted = 0
  for (;;) {
    const at = text.indexOf(literal, from)
    if (at < 0) break
    from = at + 1
    const before = at === 0 ? "" : text[at - 1]
    if (before !== "" && BEFORE_OK.test(before)) continue
    const end = at + literal.length
    const after = end >= text.length ? "" : text[end]
    const sentenceEnd = after === "." && (end + 1 >= text.length || /\s/.test(text[end + 1]))
    if (!(after === "" || after === "/" || !AFTER_OK.test(after) || sentenceEnd)) continue
    for (let i = counted; i < at; i++) if (text.charCodeAt(i) === 10) line++
    counted = at
    if (lines[lines.length - 1] !== line) lines.push(line)
  }
  return lines
}

/** Text per §6.5: at most 2 MiB and no NUL in the first 8 KiB. */
export const isScannableText = (byteSize: number, text: string): boolean => {
  if (byteSize > MAX_SCANNED_BYTES) return false
  let bytes = 0
  for (let i = 0; i < text.length && bytes < BINARY_SNIFF_BYTES; i++) {
    const c = text.charCodeAt(i)
    if (c === 0) return false
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 4 : c >= 0xdc00 && c <= 0xdfff ? 0 : 3
  }
  return true
}

/** Stale references in one changed file at head: one finding per move, source and line. */
export const staleReferenceFindings = (
  map: OccurrenceMap,
  file: string,
  text: string
): ReadonlyArray<IntegrityFinding> => {
  const out: Array<IntegrityFinding> = []
  map.moves.forEach((move, i) => {
    for (const source of literalSources(move)) {
      for (const line of pathTokenLines(text, source)) {
        out.push({
          code: "STALE_PATH_REFERENCE",
          severity: "error",
          move_index: i,
          path: file,
          line,
          detail: isRetirement(move)
            ? `line ${line} still references retired path '${source}'`
            : `line ${line} still references moved path '${source}' (moved to '${normalizeDeclaredPath(move.to)}')`
        })
      }
    }
  })
  return out
}

/** True when the map declares a literal move source, i.e. a stale-reference scan can find something. */
export const hasLiteralSources = (map: OccurrenceMap): boolean => map.moves.some((m) => literalSources(m).length > 0)

/** The full check-diff result (§6.4 "Result"). */
export interface DiffCheckResult {
  readonly passed: boolean
  readonly assessments: ReadonlyArray<FileAssessment>
  readonly integrity: ReadonlyArray<IntegrityFinding>
  readonly errors: ReadonlyArray<string>
  readonly warnings: ReadonlyArray<string>
}

const findingLine = (f: IntegrityFinding): string => `${f.path}: ${f.code}: ${f.detail}`

/** Folds integrity findings into the verdict: `enforce` fails on any, `warn` downgrades them, `off` drops them. */
export const withIntegrity = (
  compliance: ComplianceResult,
  findings: ReadonlyArray<IntegrityFinding>,
  mode: IntegrityMode
): DiffCheckResult => {
  if (mode === "off") return { ...compliance, integrity: [] }
  if (mode === "warn") {
    return {
      ...compliance,
      integrity: findings.map((f) => ({ ...f, severity: "warning" as const })),
      warnings: [...compliance.warnings, ...findings.map(findingLine)]
    }
  }
  return {
    ...compliance,
    passed: compliance.passed && findings.length === 0,
    integrity: findings,
    errors: [...compliance.errors, ...findings.map(findingLine)]
  }
}
