/**
 * Subtask ids as `tasks mark-status` finds them (docs/status-model.md §6.7), following spec-kitty's
 * resolvers in order: a checkbox row, a pipe-table row, an inline `Subtasks:` list, then the WPs'
 * authored `subtasks:` rosters; and the WP owning each id (the nearest `WPnn` heading, a table's WP
 * column, the row's own `WPnn`, else the roster). `tasks.md` is only read. Pure.
 */

/** A WP's authored roster (its prompt file's frontmatter `subtasks:`), in file-name order. */
export interface Roster {
  readonly wpId: string
  readonly ids: ReadonlyArray<string>
}

/** Where an id was found. */
export type TaskFormat = "checkbox" | "pipe_table" | "inline_subtasks" | "authored_roster"

/** A resolved id: as given, as written in its source (the spelling recorded), where, and its WP. */
export interface ResolvedTask {
  readonly input: string
  readonly id: string
  readonly format: TaskFormat
  readonly wpId: string | null
}

/** What the ids given resolve to; `unknown` and `workPackages` must be empty before anything is written. */
export interface TaskIdPlan {
  readonly resolved: ReadonlyArray<ResolvedTask>
  /** Ids found in no supported format. */
  readonly unknown: ReadonlyArray<string>
  /** Work-package ids given (mark-status does not move WPs). */
  readonly workPackages: ReadonlyArray<string>
  /** Resolved ids no WP could be found for. */
  readonly unowned: ReadonlyArray<string>
}

const QUALIFIED = /^[A-Za-z0-9][A-Za-z0-9._-]*[/:]([A-Za-z]+\d+)$/
const WP_ID = /^WP\d+$/i
const INLINE = /(?:Subtasks|\*\*Subtasks\*\*):\s*((?:T|WP)\d+(?:\s*,\s*(?:T|WP)\d+)*)/gi
const HEADING = /^\s{0,3}#{1,6}\s+(.+?)\s*$/
const HEADING_WP = /^(?:Work Package\s+)?(WP\d+)(?:\b|:)/i
const SEPARATOR_ROW = /^\s*\|[\s\-:]+\|/

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** `my-mission/t001` → `T001`; anything else trimmed, its case kept (spec-kitty's input rule). */
export const normalizeTaskIdInput = (raw: string): string => {
  const trimmed = raw.trim()
  const m = QUALIFIED.exec(trimmed)
  return m === null ? trimmed : m[1].toUpperCase()
}

const checkboxRe = (id: string) => new RegExp(`-\\s*\\[[ x]\\]\\s*(${escape(id)})\\b`, "i")
const pipeCellRe = (id: string, flags = "") => new RegExp(`\\|\\s*(${escape(id)})\\s*\\|`, flags)

const isPipeRow = (line: string, id: string, flags = ""): RegExpExecArray | null =>
  SEPARATOR_ROW.test(line) ? null : pipeCellRe(id, flags).exec(line)

const pipeHeader = (lines: ReadonlyArray<string>, row: number): ReadonlyMap<string, number> => {
  for (let i = row - 1; i >= 0; i--) {
    const candidate = lines[i].trim()
    if (/^\|[\s\-:]+\|/.test(candidate)) continue
    if (candidate.includes("|")) {
      const cells = candidate.split("|").slice(1, -1).map((c) => c.trim().toLowerCase())
      return new Map(cells.map((name, idx) => [name, idx] as const).filter(([name]) => name !== ""))
    }
    break
  }
  return new Map()
}

const pipeRowWp = (line: string, header: ReadonlyMap<string, number>): string | null => {
  const cells = line.split("|").slice(1, -1).map((c) => c.trim())
  for (const column of ["wp", "work package", "work_package", "work package id", "work_package_id"]) {
    const idx = header.get(column)
    if (idx !== undefined && idx < cells.length) {
      const m = /\b(WP\d+)\b/.exec(cells[idx].toUpperCase())
      if (m !== null) return m[1]
    }
  }
  for (const cell of cells) if (/^WP\d+$/.test(cell.toUpperCase())) return cell.toUpperCase()
  return null
}

const headingWp = (line: string): string | null => {
  const h = HEADING.exec(line)
  if (h === null) return null
  const title = h[1].trim()
  const m = HEADING_WP.exec(title)
  if (m !== null) return m[1].toUpperCase()
  const prefix = "Work Package "
  if (!title.startsWith(prefix)) return null
  const digits = /^\d{1,2}/.exec(title.slice(prefix.length))?.[0]
  if (digits === undefined) return null
  const rest = title.slice(prefix.length + digits.length)
  if (/^\d/.test(rest)) return null
  return rest === "" || /^[\s:\-\u2014]/.test(rest) ? `WP${String(Number(digits)).padStart(2, "0")}` : null
}

/** spec-kitty's `_resolve_history_wp_id`: the WP that owns `id` by the structure of `tasks.md`. */
export const owningWpInTasks = (tasksText: string, id: string): string | null => {
  const upper = id.toUpperCase()
  const lines = tasksText.split("\n")
  let current: string | null = null
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    current = headingWp(line) ?? current
    if (isPipeRow(line, upper) !== null) return pipeRowWp(line, pipeHeader(lines, i)) ?? current
    if (checkboxRe(upper).test(line)) {
      if (current !== null) return current
      const explicit = /\b(WP\d+)\b/i.exec(line)
      return explicit === null ? null : explicit[1].toUpperCase()
    }
    for (const m of line.matchAll(INLINE)) {
      if (m[1].split(",").map((v) => v.trim().toUpperCase()).includes(upper)) return current
    }
  }
  return null
}

const rosterOwner = (rosters: ReadonlyArray<Roster>, id: string): { wpId: string; id: string } | null => {
  const upper = id.toUpperCase()
  for (const r of rosters) {
    const hit = r.ids.find((x) => x.toUpperCase() === upper)
    if (hit !== undefined) return { wpId: r.wpId, id: hit }
  }
  return null
}

const findIn = (tasksText: string, id: string): { format: TaskFormat; id: string } | null => {
  const lines = tasksText.split("\n")
  for (const line of lines) {
    const m = checkboxRe(id).exec(line)
    if (m !== null) return { format: "checkbox", id: m[1] }
  }
  for (const line of lines) {
    const m = isPipeRow(line, id, "i")
    if (m !== null) return { format: "pipe_table", id: m[1] }
  }
  const upper = id.toUpperCase()
  for (const m of tasksText.matchAll(INLINE)) {
    const hit = m[1].split(",").map((v) => v.trim()).find((v) => v.toUpperCase() === upper)
    if (hit !== undefined) return { format: "inline_subtasks", id: hit }
  }
  return null
}

/** Resolves the ids given (already normalised) against `tasks.md` and the rosters. */
export const resolveTaskIds = (
  ids: ReadonlyArray<string>,
  tasksText: string,
  rosters: ReadonlyArray<Roster>
): TaskIdPlan => {
  const resolved: Array<ResolvedTask> = []
  const unknown: Array<string> = []
  const workPackages: Array<string> = []
  const unowned: Array<string> = []
  for (const input of [...new Set(ids)]) {
    const found = findIn(tasksText, input)
    if (found === null && WP_ID.test(input)) {
      workPackages.push(input.toUpperCase())
      continue
    }
    const owner = rosterOwner(rosters, input)
    const hit = found ?? (owner === null ? null : { format: "authored_roster" as const, id: owner.id })
    if (hit === null) {
      unknown.push(input)
      continue
    }
    const wpId = owningWpInTasks(tasksText, hit.id) ?? owner?.wpId ?? null
    if (wpId === null) unowned.push(hit.id)
    resolved.push({ input, id: hit.id, format: hit.format, wpId })
  }
  return { resolved, unknown, workPackages, unowned }
}

/** Every subtask id `tasks.md` and the rosters know (for an error naming the known ids), sorted. */
export const knownTaskIds = (tasksText: string, rosters: ReadonlyArray<Roster>): ReadonlyArray<string> => {
  const ids = new Set<string>()
  for (const m of tasksText.matchAll(/-\s*\[[ x]\]\s*([A-Za-z]+\d+)\b/gi)) ids.add(m[1])
  for (const line of tasksText.split("\n")) {
    if (SEPARATOR_ROW.test(line) || !line.trim().startsWith("|")) continue
    for (const cell of line.split("|").slice(1, -1).map((c) => c.trim())) {
      if (/^[A-Za-z]+\d+$/.test(cell) && !WP_ID.test(cell)) ids.add(cell)
    }
  }
  for (const m of tasksText.matchAll(INLINE)) {
    for (const v of m[1].split(",").map((x) => x.trim())) if (!WP_ID.test(v)) ids.add(v)
  }
  for (const r of rosters) for (const id of r.ids) ids.add(id)
  return [...ids].sort()
}

/** The annotation groups: one per WP, ids in order of first appearance, WPs in order of first appearance. */
export const groupByWp = (resolved: ReadonlyArray<ResolvedTask>): ReadonlyArray<readonly [string, ReadonlyArray<string>]> => {
  const groups = new Map<string, Array<string>>()
  for (const r of resolved) {
    if (r.wpId === null) continue
    const list = groups.get(r.wpId) ?? []
    if (!list.includes(r.id)) list.push(r.id)
    groups.set(r.wpId, list)
  }
  return [...groups.entries()]
}
