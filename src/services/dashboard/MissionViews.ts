/**
 * What the dashboard shows, read without writing (docs/surfaces.md §7.1, §7.2): mission discovery in
 * the primary `kitty-specs/`, each mission resolved read-only (`resolve`: the status surface of a
 * coordination mission is its coordination worktree once materialised, never created here), lanes from
 * the event log through `StatusReader` (a snapshot in memory, never `status.json` written), planning
 * content (WP prompts, artifacts) from the primary mission dir, task files decoded leniently. Requires
 * only read ports.
 */
import { Effect, Either } from "effect"
import {
  ARTIFACT_FLAGS,
  ARTIFACTS,
  COLUMNS,
  columnOfLane,
  columnsOf,
  compareRows,
  displayNameOf,
  emptyColumns,
  eventItems,
  LEGACY_LANE_DIRS,
  missionKeyOf,
  missionNumberOf,
  promptBody,
  promptFilesByWp,
  snapshotAt,
  weightedPercentageOf,
  wpIdOfFile,
  cardOf
} from "../../core/dashboard/Board.js"
import type { ArtifactName, Card, Columns, EventItem, KanbanStats, PromptFile } from "../../core/dashboard/Board.js"
import { isUlid, META_FILE, missionDir, missionFile, missionsRoot, TASKS_DIR } from "../../core/repo/Naming.js"
import { joinPath, relativeWithin } from "../../core/repo/Paths.js"
import { decodeUtf8Lossy } from "../../core/repo/Text.js"
import type { EventStream } from "../../core/status/EventRow.js"
import type { Snapshot } from "../../core/status/Snapshot.js"
import { resolve } from "../context/ResolveContext.js"
import type { Resolution, ResolveRequirements } from "../context/ResolveContext.js"
import { RepoFs } from "../ports/RepoFs.js"
import { StatusReader } from "../status/StatusReader.js"
import { renderMarkdown } from "./Markdown.js"

/** The largest prompt or artifact file shown. */
const MAX_DOC_BYTES = 4 * 1024 * 1024

/** One discovered mission, resolved read-only (or the reason it could not be). */
export interface MissionRecord {
  readonly dir: string
  readonly key: string
  readonly resolution: Resolution | null
  readonly error: string | null
}

/** A mission row (§7.1 `MissionItem`). */
export interface MissionItem {
  readonly key: string
  readonly mission_id: string | null
  readonly mission_slug: string
  readonly display_name: string
  readonly mission_number: number | null
  readonly created_at: string | null
  readonly topology: string | null
  readonly artifacts: Readonly<Record<keyof typeof ARTIFACT_FLAGS, { readonly exists: boolean }>>
  readonly kanban_stats: KanbanStats
  readonly is_legacy: boolean
}

/** A board (§7.1 `Kanban`), optionally as it was at an event. */
export interface Kanban {
  readonly project_path: string
  readonly key: string
  readonly mission_slug: string
  readonly display_name: string
  readonly columns: Columns
  readonly weighted_percentage: number | null
  readonly is_legacy: boolean
  readonly at: string | null
  readonly event_count: number
  readonly artifacts: MissionItem["artifacts"]
  readonly error?: string
}

/** A WP's card, its prompt as sanitised HTML and its history. */
export type WorkPackageView = Card & { readonly prompt_html: string; readonly history: ReadonlyArray<EventItem> }

const dirsOf = (root: string) =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const entries = (yield* fs.entries(missionsRoot(root)).pipe(Effect.orElseSucceed(() => null))) ?? []
    const dirs: Array<string> = []
    for (const e of entries) {
      if (e.kind !== "Directory" || e.name.startsWith(".")) continue
      const dir = missionDir(root, e.name)
      const meta = yield* fs.kind(missionFile(dir, META_FILE)).pipe(Effect.orElseSucceed(() => null))
      const tasks = meta === "File" ? null : yield* fs.kind(joinPath(dir, TASKS_DIR)).pipe(Effect.orElseSucceed(() => null))
      if (meta === "File" || tasks === "Directory") dirs.push(e.name)
    }
    return dirs
  })

/** §7.1 discovery: every `kitty-specs/*` of the primary root with `meta.json` or `tasks/`. */
export const missionDirs = (root: string): Effect.Effect<ReadonlyArray<string>, never, RepoFs> => dirsOf(root)

/** Resolves one mission dir read-only; a failure becomes the record's error. */
export const loadMission = (root: string, dir: string): Effect.Effect<MissionRecord, never, ResolveRequirements> =>
  resolve({ cwd: root, mission: dir, action: "status" }).pipe(
    Effect.map((resolution): MissionRecord => ({
      dir,
      key: missionKeyOf(dir, resolution.meta?.mission_id ?? null),
      resolution,
      error: null
    })),
    Effect.catchAll((e) => Effect.succeed<MissionRecord>({ dir, key: `legacy:${dir}`, resolution: null, error: e.message }))
  )

/**
 * The mission of a key, looked up among the discovered missions (never joined into a path): a ULID is
 * resolved as a handle (it matches `meta.json` ids only), `legacy:<dir>` as a directory name; either way the
 * record's own key must be the requested one.
 */
export const findMission = (root: string, key: string): Effect.Effect<MissionRecord | null, never, ResolveRequirements> =>
  Effect.gen(function*() {
    const dirs = yield* missionDirs(root)
    if (key.startsWith("legacy:")) {
      const dir = key.slice("legacy:".length)
      if (!dirs.includes(dir)) return null
      const record = yield* loadMission(root, dir)
      return record.key === key ? record : null
    }
    if (!isUlid(key)) return null
    const resolved = yield* resolve({ cwd: root, mission: key, action: "status" }).pipe(Effect.option)
    if (resolved._tag === "None") return null
    const dir = resolved.value.context.identity.mission_slug
    if (!dirs.includes(dir) || resolved.value.meta?.mission_id !== key) return null
    return { dir, key, resolution: resolved.value, error: null }
  })

/** The event stream of a resolved mission, or the §7.1 error text. */
const streamOf = (resolution: Resolution): Effect.Effect<Either.Either<EventStream, string>, never, StatusReader> =>
  Effect.gen(function*() {
    const status = yield* StatusReader
    const text = yield* status.logText(resolution.statusTarget).pipe(Effect.either)
    if (Either.isLeft(text)) return Either.left("Event log unreadable")
    if (text.right === null) return Either.left("Event log not found")
    const stream = yield* status.stream(resolution.statusTarget, text.right).pipe(Effect.either)
    return Either.mapLeft(stream, () => "Event log unreadable")
  })

const tasksDirOf = (root: string, dir: string) => joinPath(missionDir(root, dir), TASKS_DIR)

/** True for the pre-event-log layout: lane subdirectories under `tasks/`. */
const legacyCounts = (root: string, dir: string) =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const entries = (yield* fs.entries(tasksDirOf(root, dir)).pipe(Effect.orElseSucceed(() => null))) ?? []
    const laneDirs = entries.filter((e) => e.kind === "Directory" && (LEGACY_LANE_DIRS as ReadonlyArray<string>).includes(e.name))
    if (laneDirs.length === 0) return null
    const counts: Record<string, number> = { planned: 0, doing: 0, for_review: 0, approved: 0, done: 0 }
    for (const lane of laneDirs) {
      const files = (yield* fs.entries(joinPath(tasksDirOf(root, dir), lane.name)).pipe(Effect.orElseSucceed(() => null))) ?? []
      counts[lane.name] = files.filter((f) => f.kind === "File" && /^WP.*\.md$/i.test(f.name)).length
    }
    return counts
  })

const taskFileNames = (root: string, dir: string) =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const entries = (yield* fs.entries(tasksDirOf(root, dir)).pipe(Effect.orElseSucceed(() => null))) ?? []
    return entries.filter((e) => e.kind === "File" && wpIdOfFile(e.name) !== null).map((e) => e.name)
  })

/** Reads one file for display: bytes decoded leniently (U+FFFD, flagged), never a link, bounded. */
const readForDisplay = (path: string) =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const bytes = yield* fs.readBytes(path, { noFollow: true, maxBytes: MAX_DOC_BYTES }).pipe(Effect.either)
    if (Either.isLeft(bytes)) return { exists: true, text: `(${bytes.left.message})`, replaced: false }
    if (bytes.right === null) return { exists: false, text: "", replaced: false }
    return { exists: true, ...decodeUtf8Lossy(bytes.right) }
  })

const promptFiles = (root: string, dir: string, names: ReadonlyArray<string>) =>
  Effect.forEach(names, (name) =>
    Effect.map(readForDisplay(joinPath(tasksDirOf(root, dir), name)), (read): PromptFile => ({
      name,
      relPath: relativeWithin(root, joinPath(tasksDirOf(root, dir), name)),
      text: read.text,
      encodingError: read.replaced
    })))

const countsFromNames = (names: ReadonlyArray<string>, snapshot: Snapshot) => {
  const wps = (snapshot.work_packages ?? {}) as Readonly<Record<string, { readonly lane?: unknown }>>
  const counts = { planned: 0, doing: 0, for_review: 0, approved: 0, done: 0 }
  const seen = new Set<string>()
  for (const name of names) {
    const id = wpIdOfFile(name)
    if (id === null || seen.has(id)) continue
    seen.add(id)
    const column = columnOfLane(String(wps[id]?.lane ?? "genesis"))
    if (column !== null) counts[column]++
  }
  return counts
}

const artifactFlags = (root: string, dir: string) =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const out: Record<string, { exists: boolean }> = {}
    for (const [flag, name] of Object.entries(ARTIFACT_FLAGS)) {
      const kind = yield* fs.kind(joinPath(missionDir(root, dir), name)).pipe(Effect.orElseSucceed(() => null))
      out[flag] = { exists: flag === "contracts" || flag === "checklists" ? kind === "Directory" : kind === "File" }
    }
    return out as MissionItem["artifacts"]
  })

const displayOf = (record: MissionRecord) => {
  const meta = record.resolution?.meta ?? null
  const friendly = typeof meta?.friendly_name === "string" && meta.friendly_name.trim() !== "" ? meta.friendly_name.trim() : null
  const number = missionNumberOf(meta?.identity.mission_number ?? null)
  return {
    mission_number: number,
    display_name: displayNameOf(record.dir, { mission_id: null, mission_number: number, friendly_name: friendly, created_at: null }),
    created_at: typeof meta?.created_at === "string" && meta.created_at.trim() !== "" ? meta.created_at.trim() : null
  }
}

/** One mission row. */
export const missionItemOf = (root: string, record: MissionRecord): Effect.Effect<MissionItem, never, RepoFs | StatusReader> =>
  Effect.gen(function*() {
    const display = displayOf(record)
    const artifacts = yield* artifactFlags(root, record.dir)
    const base = {
      key: record.key,
      mission_id: record.resolution?.meta?.mission_id ?? null,
      mission_slug: record.dir,
      ...display,
      topology: record.resolution?.context.topology.value ?? null,
      artifacts
    }
    const zero = { total: 0, planned: 0, doing: 0, for_review: 0, approved: 0, done: 0 }
    if (record.resolution === null) {
      return { ...base, kanban_stats: { ...zero, weighted_percentage: null, error: record.error ?? "unresolved" }, is_legacy: false }
    }
    const legacy = yield* legacyCounts(root, record.dir)
    if (legacy !== null) {
      const total = COLUMNS.reduce((n, c) => n + (legacy[c] ?? 0), 0)
      return { ...base, kanban_stats: { ...zero, ...legacy, total }, is_legacy: true }
    }
    const stream = yield* streamOf(record.resolution)
    if (Either.isLeft(stream)) {
      return { ...base, kanban_stats: { ...zero, weighted_percentage: null, error: stream.left }, is_legacy: false }
    }
    const snapshot = Either.getOrThrow(snapshotAt(stream.right, record.resolution.statusTarget.identity, null))
    const counts = countsFromNames(yield* taskFileNames(root, record.dir), snapshot)
    const total = COLUMNS.reduce((n, c) => n + counts[c], 0)
    return { ...base, kanban_stats: { total, ...counts, weighted_percentage: weightedPercentageOf(snapshot) }, is_legacy: false }
  })

/** Every mission row, newest first (§7.1 order). */
export const missionItems = (root: string): Effect.Effect<ReadonlyArray<MissionItem>, never, ResolveRequirements> =>
  Effect.gen(function*() {
    const dirs = yield* missionDirs(root)
    const items = yield* Effect.forEach(
      dirs,
      (dir) => Effect.flatMap(loadMission(root, dir), (record) => missionItemOf(root, record)),
      { concurrency: 8 }
    )
    return [...items].sort((a, b) =>
      compareRows(
        { created_at: a.created_at, mission_id: a.mission_id, mission_number: a.mission_number, dir: a.mission_slug },
        { created_at: b.created_at, mission_id: b.mission_id, mission_number: b.mission_number, dir: b.mission_slug }
      )
    )
  })

/** The board of a mission, optionally at an event; `null` when that event is not in the log. */
export const kanbanOf = (
  root: string,
  record: MissionRecord,
  at: string | null
): Effect.Effect<Kanban | null, never, RepoFs | StatusReader> =>
  Effect.gen(function*() {
    const base = {
      project_path: root,
      key: record.key,
      mission_slug: record.dir,
      display_name: displayOf(record).display_name,
      at,
      artifacts: yield* artifactFlags(root, record.dir)
    }
    if (record.resolution === null) {
      return { ...base, columns: emptyColumns(), weighted_percentage: null, is_legacy: false, event_count: 0, error: record.error ?? "" }
    }
    if ((yield* legacyCounts(root, record.dir)) !== null) {
      return { ...base, columns: emptyColumns(), weighted_percentage: null, is_legacy: true, event_count: 0 }
    }
    const stream = yield* streamOf(record.resolution)
    if (Either.isLeft(stream)) {
      return { ...base, columns: emptyColumns(), weighted_percentage: null, is_legacy: false, event_count: 0, error: stream.left }
    }
    const snapshot = snapshotAt(stream.right, record.resolution.statusTarget.identity, at)
    if (Either.isLeft(snapshot)) return null
    const files = yield* promptFiles(root, record.dir, yield* taskFileNames(root, record.dir))
    return {
      ...base,
      columns: columnsOf(files, snapshot.right),
      weighted_percentage: weightedPercentageOf(snapshot.right),
      is_legacy: false,
      event_count: Number(snapshot.right.event_count ?? 0)
    }
  })

/** The transitions of a mission (the time-travel list). */
export const missionEventsOf = (record: MissionRecord): Effect.Effect<ReadonlyArray<EventItem>, never, StatusReader> =>
  Effect.gen(function*() {
    if (record.resolution === null) return []
    const stream = yield* streamOf(record.resolution)
    return Either.isLeft(stream) ? [] : eventItems(stream.right)
  })

/** A WP: its card, its prompt rendered, its history; `null` when it has no prompt file or no events. */
export const workPackageOf = (
  root: string,
  record: MissionRecord,
  wp: string
): Effect.Effect<WorkPackageView | null, never, RepoFs | StatusReader> =>
  Effect.gen(function*() {
    if (record.resolution === null) return null
    const names = (yield* taskFileNames(root, record.dir)).filter((n) => wpIdOfFile(n) === wp)
    const file = promptFilesByWp(yield* promptFiles(root, record.dir, names))[0]?.[1]
    if (file === undefined) return null
    const stream = yield* streamOf(record.resolution)
    if (Either.isLeft(stream)) return null
    const snapshot = Either.getOrThrow(snapshotAt(stream.right, record.resolution.statusTarget.identity, null))
    const card = cardOf(file, wp, (snapshot.work_packages as Record<string, Record<string, unknown>>)[wp])
    if (card === null) return null
    return { ...card, prompt_html: renderMarkdown(promptBody(file.text)), history: eventItems(stream.right, wp) }
  })

/** An artifact of the primary mission dir, rendered. */
export const artifactOf = (
  root: string,
  record: MissionRecord,
  name: ArtifactName
): Effect.Effect<{ readonly name: string; readonly exists: boolean; readonly html: string; readonly encoding_error?: true }, never, RepoFs> =>
  Effect.map(readForDisplay(joinPath(missionDir(root, record.dir), ARTIFACTS[name])), (read) => ({
    name,
    exists: read.exists,
    html: read.exists ? renderMarkdown(read.text) : "",
    ...(read.replaced ? { encoding_error: true as const } : {})
  }))
