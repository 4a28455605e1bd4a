/**
 * The merge drivers' registration as text (docs/surfaces.md §5.2): the git config values, the driver
 * command line, attribute-file edits that add or remove whole lines only, and the parsers of what git
 * reports (`config -z --get-regexp`, `check-attr -z`).
 */
import { DERIVED_DRIVER, EVENT_LOG_DRIVER } from "../repo/Naming.js"

/** The CLI subcommand git runs for the event-log driver. */
export const DRIVER_SUBCOMMAND = "merge-driver-event-log"

/** One driver's git config: `merge.<key>.name` and `merge.<key>.driver`. */
export interface DriverEntry {
  readonly key: string
  readonly name: string
  readonly driver: string
}

/** POSIX shell single quoting (git runs a driver through `sh -c`). */
export const shellQuote = (s: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`)

/** The event-log driver's command: the absolute Node and launcher, then `%O %A %B`. */
export const driverCommand = (node: string, script: string): string =>
  `${shellQuote(node)} ${shellQuote(script)} ${DRIVER_SUBCOMMAND} %O %A %B`

/** The two drivers kittyctx registers, for a launcher. */
export const driverEntries = (node: string, script: string): ReadonlyArray<DriverEntry> => [
  { key: EVENT_LOG_DRIVER, name: "kittyctx event-log union", driver: driverCommand(node, script) },
  // the snapshot keeps ours and is regenerated from the merged log (status materialize, or the merge executor)
  { key: DERIVED_DRIVER, name: "kittyctx derived snapshot", driver: "true" }
]

/** The words of a POSIX command line (quotes and backslashes); null when a quote is unterminated. */
export const shellWords = (command: string): Array<string> | null => {
  const words: Array<string> = []
  let word: string | null = null
  let i = 0
  while (i < command.length) {
    const c = command[i]
    if (c === " " || c === "\t" || c === "\n") {
      if (word !== null) words.push(word)
      word = null
      i++
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1)
      if (end < 0) return null
      word = (word ?? "") + command.slice(i + 1, end)
      i = end + 1
    } else if (c === "\"") {
      let j = i + 1
      let part = ""
      while (j < command.length && command[j] !== "\"") {
        if (command[j] === "\\" && j + 1 < command.length && "\"\\$`".includes(command[j + 1])) j++
        part += command[j]
        j++
      }
      if (j >= command.length) return null
      word = (word ?? "") + part
      i = j + 1
    } else if (c === "\\" && i + 1 < command.length) {
      word = (word ?? "") + command[i + 1]
      i += 2
    } else {
      word = (word ?? "") + c
      i++
    }
  }
  if (word !== null) words.push(word)
  return words
}

/**
 * The programs a driver command starts: the words before the first `%` placeholder or subcommand
 * (`node`, the launcher), which must exist for the driver to run.
 */
export const launcherWords = (command: string): ReadonlyArray<string> => {
  const words = shellWords(command) ?? []
  const end = words.findIndex((w) => w.startsWith("%") || w === DRIVER_SUBCOMMAND)
  return end < 0 ? words.slice(0, 1) : words.slice(0, end)
}

/** `git config -z --get-regexp` output (`key\nvalue\0` records) as a map; section and key names lowercased by git, driver names as written. */
export const parseConfigZ = (text: string): ReadonlyMap<string, string> => {
  const out = new Map<string, string>()
  for (const record of text.split("\u0000")) {
    if (record === "") continue
    const nl = record.indexOf("\n")
    out.set(nl < 0 ? record : record.slice(0, nl), nl < 0 ? "" : record.slice(nl + 1))
  }
  return out
}

/** `git check-attr -z <attr> -- <paths>` output (`path\0attr\0value\0` triples): path → value. */
export const parseCheckAttrZ = (text: string): ReadonlyMap<string, string> => {
  const parts = text.split("\u0000")
  const out = new Map<string, string>()
  for (let i = 0; i + 2 < parts.length; i += 3) out.set(parts[i], parts[i + 2])
  return out
}

/** Values of the `merge` attribute that name no driver (git's built-in behaviours). */
export const BUILTIN_MERGE_VALUES: ReadonlySet<string> = new Set(["unspecified", "set", "unset", "text", "binary", "union"])

const linesOf = (text: string | null): Array<string> =>
  text === null || text === "" ? [] : text.replace(/\n$/, "").split("\n")

/** `text` with every missing line of `wanted` appended (whole lines; existing ones untouched). */
export const withLines = (
  text: string | null,
  wanted: ReadonlyArray<string>
): { readonly text: string; readonly added: ReadonlyArray<string> } => {
  const lines = linesOf(text)
  const present = new Set(lines.map((l) => l.trim()))
  const added = wanted.filter((w) => !present.has(w))
  if (added.length === 0) return { text: text ?? "", added }
  return { text: [...lines, ...added].join("\n") + "\n", added }
}

/** `text` without the given whole lines; null when nothing else remains (the file can go). */
export const withoutLines = (
  text: string | null,
  unwanted: ReadonlyArray<string>
): { readonly text: string | null; readonly removed: ReadonlyArray<string> } => {
  const drop = new Set(unwanted)
  const lines = linesOf(text)
  const kept = lines.filter((l) => !drop.has(l.trim()))
  const removed = lines.filter((l) => drop.has(l.trim())).map((l) => l.trim())
  if (removed.length === 0) return { text, removed }
  return { text: kept.every((l) => l.trim() === "") ? null : kept.join("\n") + "\n", removed }
}

/** The lines of an attribute file that route a mission file through a `merge=` driver. */
export const mergeRoutingLines = (text: string | null, patternMarker: string): ReadonlyArray<string> =>
  linesOf(text).map((l) => l.trim()).filter((l) => l.includes(patternMarker) && /\smerge=/.test(l))
