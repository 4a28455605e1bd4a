/**
 * Work-package prompt files `tasks/WPnn-*.md`: finding the one file of a WP among directory entries,
 * and reading its YAML frontmatter (subtask roster, execution mode, dependencies).
 */
import { Either } from "effect"
import { parse as parseYaml } from "yaml"

/** Entries (file names) of the tasks directory that belong to `wpId`: `WPnn.md` or `WPnn{-,_,.}*.md`. */
export const wpFileCandidates = (entries: ReadonlyArray<string>, wpId: string): ReadonlyArray<string> =>
  entries
    .filter((name) => {
      if (!name.endsWith(".md") || name.toUpperCase().startsWith("README")) return false
      if (name === `${wpId}.md`) return true
      if (!name.startsWith(wpId)) return false
      const sep = name.charAt(wpId.length)
      return sep === "-" || sep === "_" || sep === "."
    })
    .sort()

/** The frontmatter of a markdown file as a mapping; `{}` when the file has none. */
export const parseFrontmatter = (text: string): Either.Either<Record<string, unknown>, string> => {
  const body = text.startsWith("\ufeff") ? text.slice(1) : text
  if (!/^---\r?\n/.test(body)) return Either.right({})
  const rest = body.slice(body.indexOf("\n") + 1)
  const end = /^---[ \t]*$/m.exec(rest)
  if (end === null) return Either.left("frontmatter is not closed by a '---' line")
  let data: unknown
  try {
    data = parseYaml(rest.slice(0, end.index))
  } catch (e) {
    return Either.left(`frontmatter is not valid YAML: ${(e as Error).message}`)
  }
  if (data === null || data === undefined) return Either.right({})
  if (typeof data !== "object" || Array.isArray(data)) return Either.left("frontmatter is not a mapping")
  return Either.right(data as Record<string, unknown>)
}

/**
 * The `subtasks:` roster of a WP's frontmatter: a list of ids (strings, or mappings with an `id`), each
 * trimmed, empty ones dropped, duplicates kept once, in authored order (spec-kitty's roster).
 */
export const subtaskRoster = (frontmatter: Record<string, unknown>): Either.Either<ReadonlyArray<string>, string> => {
  const raw = frontmatter.subtasks
  if (raw === undefined || raw === null) return Either.right([])
  if (!Array.isArray(raw)) return Either.left("frontmatter 'subtasks' is not a list")
  const ids: Array<string> = []
  for (const item of raw) {
    const id = typeof item === "string" || typeof item === "number"
      ? String(item)
      : typeof item === "object" && item !== null && typeof (item as { id?: unknown }).id === "string"
      ? (item as { id: string }).id
      : null
    if (id === null) return Either.left("frontmatter 'subtasks' holds an entry that is neither an id nor {id: ...}")
    const trimmed = id.trim()
    if (trimmed !== "" && !ids.includes(trimmed)) ids.push(trimmed)
  }
  return Either.right(ids)
}

/** The WP's title: frontmatter `title`, else the first markdown heading, else null. */
export const wpTitleOf = (text: string): string | null => {
  const front = parseFrontmatter(text)
  if (Either.isRight(front) && typeof front.right.title === "string" && front.right.title.trim() !== "") {
    return front.right.title.trim()
  }
  const heading = /^#{1,6}[ \t]+(.+?)[ \t#]*$/m.exec(text.replace(/^---\r?\n[\s\S]*?\n---[ \t]*\r?\n/, ""))
  return heading === null ? null : heading[1].trim()
}

/**
 * spec-kitty's phase-1 lane mirror (docs/status-model.md §6.1 step 11): the new text with the
 * frontmatter's top-level `lane:` value replaced, or null when there is no such key or it already holds
 * `lane`. Only that line changes (spec-kitty re-serializes the whole block; the value read back is equal).
 */
export const withFrontmatterLane = (text: string, lane: string): string | null => {
  const open = /^(\ufeff?---\r?\n)/.exec(text)
  if (open === null) return null
  const rest = text.slice(open[1].length)
  const close = /^---[ \t]*$/m.exec(rest)
  if (close === null) return null
  const block = rest.slice(0, close.index)
  const line = /^lane:[ \t]*(.*?)[ \t]*(\r?)$/m.exec(block)
  if (line === null) return null
  const current = line[1].replace(/^(['"])(.*)\1$/, "$2").trim()
  if (current === lane) return null
  const replaced = block.slice(0, line.index) + `lane: ${lane}${line[2]}` + block.slice(line.index + line[0].length)
  return open[1] + replaced + rest.slice(close.index)
}

/**
 * spec-kitty's frontmatter key order (`FrontmatterManager.WP_FIELD_ORDER`); every other key follows
 * these, alphabetically.
 */
const WP_FIELD_ORDER = [
  "work_package_id",
  "title",
  "dependencies",
  "requirement_refs",
  "planning_base_branch",
  "merge_target_branch",
  "branch_strategy",
  "base_branch",
  "base_commit",
  "created_at",
  "subtasks",
  "phase",
  "assignee",
  "agent",
  "shell_pid",
  "shell_pid_created_at",
  "scope",
  "history"
]

const fieldRank = (key: string): number => {
  const i = WP_FIELD_ORDER.indexOf(key)
  return i === -1 ? WP_FIELD_ORDER.length : i
}

/** ruamel's implicit timestamp pattern: such a string is written quoted so that it reads back as a string. */
const YAML_TIMESTAMP =
  /^(?:\d{4}-\d\d-\d\d|\d{4}-\d\d?-\d\d?(?:[Tt]|[ \t]+)\d\d?:\d\d:\d\d(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d\d?(?::\d\d)?))?)$/

/** A string scalar as ruamel writes it: plain when it reads back as the same string, else single-quoted. */
export const yamlScalar = (value: string): string => {
  let plain = false
  if (value !== "" && value.trim() === value && !YAML_TIMESTAMP.test(value) && !/[\n\r\t]/.test(value)) {
    try {
      const back: unknown = parseYaml(`k: ${value}\n`)
      plain = typeof back === "object" && back !== null && (back as { k?: unknown }).k === value
    } catch {
      plain = false
    }
  }
  return plain ? value : `'${value.replace(/'/g, "''")}'`
}

/**
 * The WP file with top-level string fields set in its frontmatter (spec-kitty's `update_fields` on a
 * claim, docs/surfaces.md §2.2): an existing key's line (and its indented continuation) is replaced, a
 * new key goes where spec-kitty's key order puts it among the keys already there; a `"raw"` value is
 * written as given (YAML), any other as a string scalar. Every other byte is kept (spec-kitty
 * re-serializes the whole block; the values read back are equal). Null when the file has no frontmatter block.
 */
export const withFrontmatterFields = (
  text: string,
  fields: ReadonlyArray<readonly [key: string, value: string, yaml?: "raw"]>
): string | null => {
  const open = /^(\ufeff?---\r?\n)/.exec(text)
  if (open === null) return null
  const rest = text.slice(open[1].length)
  const close = /^---[ \t]*$/m.exec(rest)
  if (close === null) return null
  const eol = /\r\n/.test(open[1]) ? "\r\n" : "\n"
  const lines = rest.slice(0, close.index).split(/\r?\n/)
  if (lines[lines.length - 1] === "") lines.pop()
  const keyOf = (line: string): string | null => /^([A-Za-z_][\w-]*)[ \t]*:(?:[ \t]|$)/.exec(line)?.[1] ?? null
  const isContinuation = (line: string) => /^[ \t]/.test(line) || /^-(?:[ \t]|$)/.test(line) || line === ""
  for (const [key, value, yaml] of fields) {
    const line = `${key}: ${yaml === "raw" ? value : yamlScalar(value)}`
    const at = lines.findIndex((l) => keyOf(l) === key)
    if (at !== -1) {
      let end = at + 1
      while (end < lines.length && isContinuation(lines[end])) end++
      lines.splice(at, end - at, line)
      continue
    }
    const rank = fieldRank(key)
    const before = lines.findIndex((l) => {
      const k = keyOf(l)
      return k !== null && (fieldRank(k) > rank || (fieldRank(k) === rank && rank === WP_FIELD_ORDER.length && k > key))
    })
    lines.splice(before === -1 ? lines.length : before, 0, line)
  }
  return open[1] + lines.map((l) => l + eol).join("") + rest.slice(close.index)
}
