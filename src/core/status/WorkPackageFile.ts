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

/** The `subtasks:` roster of a WP's frontmatter: a list of ids (strings, or mappings with an `id`). */
export const subtaskRoster = (frontmatter: Record<string, unknown>): Either.Either<ReadonlyArray<string>, string> => {
  const raw = frontmatter.subtasks
  if (raw === undefined || raw === null) return Either.right([])
  if (!Array.isArray(raw)) return Either.left("frontmatter 'subtasks' is not a list")
  const ids: Array<string> = []
  for (const item of raw) {
    if (typeof item === "string") ids.push(item)
    else if (typeof item === "object" && item !== null && typeof (item as { id?: unknown }).id === "string") {
      ids.push((item as { id: string }).id)
    } else return Either.left("frontmatter 'subtasks' holds an entry that is neither an id nor {id: ...}")
  }
  return Either.right(ids)
}
