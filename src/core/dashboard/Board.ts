/**
 * The dashboard's view of missions (docs/surfaces.md §7.1): mission keys, the lane-to-column table,
 * cards from WP prompt files and the read-only snapshot, mission rows and their order, the event
 * history of a WP, and the board at an earlier event. Pure: the server reads, this module shapes.
 */
import { Either } from "effect"
import { pyRound1 } from "../python/PyRepr.js"
import { parseIsoMicros, snapshotOf, streamUpTo, weightedProgress } from "../status/Snapshot.js"
import type { Snapshot, SnapshotIdentity } from "../status/Snapshot.js"
import type { EventStream } from "../status/EventRow.js"
import { actorName } from "../status/Transition.js"
import { parseFrontmatter, subtaskRoster } from "../status/WorkPackageFile.js"
import { compareCodePoints } from "../repo/Text.js"

/** The five board columns, in display order. */
export const COLUMNS = ["planned", "doing", "for_review", "approved", "done"] as const
/** A board column. */
export type Column = (typeof COLUMNS)[number]

/** §7.1 lane → column; `genesis`/`uninitialized` (no events) are hidden. */
export const columnOfLane = (lane: string): Column | null => {
  switch (lane) {
    case "planned":
    case "blocked":
      return "planned"
    case "claimed":
    case "in_progress":
      return "doing"
    case "for_review":
    case "in_review":
      return "for_review"
    case "approved":
      return "approved"
    case "done":
    case "canceled":
      return "done"
    default:
      return null
  }
}

const KEY_RE = /^(?:[0-9A-HJKMNP-TV-Z]{26}|legacy:[A-Za-z0-9][A-Za-z0-9._-]{0,127})$/

/** §7.1: a mission key is a ULID or `legacy:<dir name>`; anything else is not looked up at all. */
export const isMissionKey = (key: string): boolean => KEY_RE.test(key)

/** §7.1: a WP id in a URL. */
export const isWpId = (wp: string): boolean => /^WP\d{2,3}$/.test(wp)

/** The key of a mission: its `mission_id`, else `legacy:<dir>`. */
export const missionKeyOf = (dirName: string, missionId: string | null): string =>
  missionId !== null && isMissionKey(missionId) ? missionId : `legacy:${dirName}`

/** The artifacts the page can show, with their file names in the mission dir. */
export const ARTIFACTS = {
  spec: "spec.md",
  plan: "plan.md",
  tasks: "tasks.md",
  research: "research.md",
  quickstart: "quickstart.md",
  "data-model": "data-model.md"
} as const
/** An artifact name of a URL. */
export type ArtifactName = keyof typeof ARTIFACTS

/** True for the fixed artifact names (never a path). */
export const isArtifactName = (name: string): name is ArtifactName => Object.prototype.hasOwnProperty.call(ARTIFACTS, name)

/** The presence flags of a mission row (`data_model` for `data-model.md`; two directories). */
export const ARTIFACT_FLAGS = {
  spec: "spec.md",
  plan: "plan.md",
  tasks: "tasks.md",
  research: "research.md",
  quickstart: "quickstart.md",
  data_model: "data-model.md",
  contracts: "contracts",
  checklists: "checklists"
} as const

/** The lane directories of the pre-event-log layout (`tasks/<lane>/WP*.md`). */
export const LEGACY_LANE_DIRS = ["planned", "doing", "for_review", "done"] as const

/** The WP id of a prompt file name (`WP04-slug.md` → `WP04`), or null for other files. */
export const wpIdOfFile = (name: string): string | null => {
  if (!name.toLowerCase().endsWith(".md")) return null
  const m = /^(WP\d+)/i.exec(name)
  return m === null ? null : m[1].toUpperCase()
}

/** Natural order of WP ids (`WP2` before `WP10`). */
export const compareWpIds = (a: string, b: string): number => {
  const na = Number(/\d+/.exec(a)?.[0] ?? "0")
  const nb = Number(/\d+/.exec(b)?.[0] ?? "0")
  return na !== nb ? na - nb : compareCodePoints(a.toLowerCase(), b.toLowerCase())
}

/** One card of the board. */
export interface Card {
  readonly id: string
  readonly title: string
  readonly lane: string
  readonly subtasks_done: number
  readonly subtasks_total: number
  readonly agent: string
  readonly assignee: string
  readonly prompt_path: string
  readonly encoding_error?: true
}

/** One prompt file as read: its name, its path relative to the primary root, its text and whether it was decoded with replacements. */
export interface PromptFile {
  readonly name: string
  readonly relPath: string
  readonly text: string
  readonly encodingError: boolean
}

/** The title: the `# Work Package Prompt:` header, else frontmatter `title`, else the file stem. */
export const cardTitle = (text: string, frontmatter: Readonly<Record<string, unknown>>, name: string): string => {
  const header = /^#\s+Work Package Prompt:\s+(.+)$/m.exec(text)
  if (header !== null) return header[1].trim()
  const t = frontmatter.title
  if (t !== undefined && t !== null && String(t).trim() !== "") return String(t).trim()
  return name.replace(/\.md$/i, "")
}

/** The markdown body after the frontmatter. */
export const promptBody = (text: string): string => {
  const body = text.startsWith("\ufeff") ? text.slice(1) : text
  if (!/^---\r?\n/.test(body)) return body.trim()
  const rest = body.slice(body.indexOf("\n") + 1)
  const end = /^---[ \t]*$/m.exec(rest)
  return end === null ? body.trim() : rest.slice(end.index + end[0].length).trim()
}

const str = (v: unknown): string => (typeof v === "string" ? v : "")

/** A card from a prompt file and the WP's state in the snapshot (null: no events, hidden). */
export const cardOf = (file: PromptFile, wpId: string, state: Readonly<Record<string, unknown>> | undefined): Card | null => {
  if (state === undefined) return null
  const lane = str(state.lane)
  if (columnOfLane(lane) === null) return null
  const front = parseFrontmatter(file.text)
  const frontmatter = Either.isRight(front) ? front.right : {}
  const roster = Either.isRight(front) ? Either.getOrElse(subtaskRoster(front.right), () => [] as ReadonlyArray<string>) : []
  const resolved = typeof state.subtasks === "object" && state.subtasks !== null ? (state.subtasks as Record<string, unknown>) : {}
  return {
    id: wpId,
    title: cardTitle(file.text, frontmatter, file.name),
    lane,
    subtasks_done: roster.filter((id) => resolved[id] === "done").length,
    subtasks_total: roster.length,
    agent: str(state.agent),
    assignee: str(state.assignee),
    prompt_path: file.relPath,
    ...(file.encodingError ? { encoding_error: true as const } : {})
  }
}

/** The board's columns. */
export type Columns = Readonly<Record<Column, ReadonlyArray<Card>>>

/** One prompt file per WP (the first by name), in natural order. */
export const promptFilesByWp = (files: ReadonlyArray<PromptFile>): ReadonlyArray<readonly [string, PromptFile]> => {
  const byWp = new Map<string, PromptFile>()
  for (const f of [...files].sort((a, b) => compareCodePoints(a.name, b.name))) {
    const id = wpIdOfFile(f.name)
    if (id !== null && !byWp.has(id)) byWp.set(id, f)
  }
  return [...byWp.entries()].sort((a, b) => compareWpIds(a[0], b[0]))
}

/** Cards grouped into columns (natural order within each). */
export const columnsOf = (files: ReadonlyArray<PromptFile>, snapshot: Snapshot): Columns => {
  const wps = (snapshot.work_packages ?? {}) as Readonly<Record<string, Readonly<Record<string, unknown>>>>
  const out: Record<Column, Array<Card>> = { planned: [], doing: [], for_review: [], approved: [], done: [] }
  for (const [id, file] of promptFilesByWp(files)) {
    const card = cardOf(file, id, wps[id])
    if (card !== null) out[columnOfLane(card.lane)!].push(card)
  }
  return out
}

/** The empty board. */
export const emptyColumns = (): Columns => ({ planned: [], doing: [], for_review: [], approved: [], done: [] })

/** §7.1 counts of a board. */
export interface KanbanStats {
  readonly total: number
  readonly planned: number
  readonly doing: number
  readonly for_review: number
  readonly approved: number
  readonly done: number
  readonly weighted_percentage?: number | null
  readonly error?: string
}

/** The weighted percentage of a snapshot, rounded to 0.1 like spec-kitty's `round(p, 1)`. */
export const weightedPercentageOf = (snapshot: Snapshot): number | null => {
  try {
    const wps = snapshot.work_packages as Readonly<Record<string, { readonly lane: unknown }>>
    return pyRound1(weightedProgress(wps).percentage)
  } catch {
    return null
  }
}

/** The snapshot of a stream, optionally as it was at an event (inclusive). */
export const snapshotAt = (
  stream: EventStream,
  identity: SnapshotIdentity,
  eventId: string | null
): Either.Either<Snapshot, string> => {
  if (eventId === null) return Either.right(snapshotOf(stream, identity))
  return Either.map(
    Either.mapLeft(streamUpTo(stream, { _tag: "EventId", eventId }), (e) => e.detail),
    (cut) => snapshotOf(cut, identity)
  )
}

/** One transition as the page shows it (history of a WP, the time-travel list). */
export interface EventItem {
  readonly event_id: string
  readonly at: string
  readonly wp_id: string
  readonly from_lane: string
  readonly to_lane: string
  readonly actor: string
  readonly reason: string | null
  readonly force: boolean
}

/** The transitions of a stream in log order (the fold's order), optionally of one WP. */
export const eventItems = (stream: EventStream, wpId: string | null = null): ReadonlyArray<EventItem> =>
  stream.transitions
    .filter((t) => wpId === null || t.wp_id === wpId)
    .map((t) => ({
      event_id: t.event_id,
      at: t.at,
      wp_id: t.wp_id,
      from_lane: t.from_lane,
      to_lane: t.to_lane,
      actor: actorName(t.actor),
      reason: typeof t.row.reason === "string" ? t.row.reason : null,
      force: t.force === true
    }))
    .sort((a, b) => (a.at !== b.at ? compareCodePoints(a.at, b.at) : compareCodePoints(a.event_id, b.event_id)))

/** What a mission row shows of `meta.json`. */
export interface MetaFacts {
  readonly mission_id: string | null
  readonly mission_number: number | null
  readonly friendly_name: string | null
  readonly created_at: string | null
}

/** `mission_number` as an integer (a number, or a string of digits), else null. */
export const missionNumberOf = (raw: unknown): number | null => {
  if (typeof raw === "number" && Number.isSafeInteger(raw)) return raw
  if (typeof raw === "string" && /^\d+$/.test(raw.trim())) return Number(raw.trim())
  return null
}

/** The facts of a decoded `meta.json` object (or null). */
export const metaFactsOf = (meta: Readonly<Record<string, unknown>> | null): MetaFacts => ({
  mission_id: typeof meta?.mission_id === "string" && meta.mission_id.trim() !== "" ? meta.mission_id.trim() : null,
  mission_number: missionNumberOf(meta?.mission_number),
  friendly_name: typeof meta?.friendly_name === "string" && meta.friendly_name.trim() !== "" ? meta.friendly_name.trim() : null,
  created_at: typeof meta?.created_at === "string" && meta.created_at.trim() !== "" ? meta.created_at.trim() : null
})

/** §7.1: `"<NNN> - <friendly_name>"` when numbered, else the friendly name, else the dir name. */
export const displayNameOf = (dirName: string, facts: MetaFacts): string => {
  const name = facts.friendly_name ?? dirName
  return facts.mission_number === null ? name : `${String(facts.mission_number).padStart(3, "0")} - ${name}`
}

/** The sort key of a mission row: newest first by `created_at`, then `mission_id`, `mission_number`, dir name. */
export interface RowOrder {
  readonly created_at: string | null
  readonly mission_id: string | null
  readonly mission_number: number | null
  readonly dir: string
}

/** §7.1 order (spec-kitty's recency key, descending): rows with each field before rows without it. */
export const compareRows = (a: RowOrder, b: RowOrder): number => {
  const ta = a.created_at === null ? null : parseIsoMicros(a.created_at)
  const tb = b.created_at === null ? null : parseIsoMicros(b.created_at)
  if ((ta === null) !== (tb === null)) return ta === null ? 1 : -1
  if (ta !== null && tb !== null && ta !== tb) return ta > tb ? -1 : 1
  if ((a.mission_id === null) !== (b.mission_id === null)) return a.mission_id === null ? 1 : -1
  if (a.mission_id !== null && b.mission_id !== null && a.mission_id !== b.mission_id) {
    return -compareCodePoints(a.mission_id, b.mission_id)
  }
  if ((a.mission_number === null) !== (b.mission_number === null)) return a.mission_number === null ? 1 : -1
  if (a.mission_number !== null && b.mission_number !== null && a.mission_number !== b.mission_number) {
    return b.mission_number - a.mission_number
  }
  return -compareCodePoints(a.dir, b.dir)
}
