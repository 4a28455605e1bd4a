/**
 * Forwarding's files under the runtime root (docs/surfaces.md §8.1): the configuration, the registered
 * projects, and per sink scope the log cursors, the delivery state and the dead letters. Reads go through
 * `RepoFs`; every write goes through the runtime-root writer, whose write scope has no other root, so
 * nothing here can write into a repository (`RuntimeFiles`). A record that cannot be trusted is `SYNC_STATE_UNREADABLE`
 * (a malformed configuration `CONFIG_INVALID`), never read as absent.
 */
import { Clock, Effect, Either } from "effect"
import { configInvalid } from "../../core/config/ConfigError.js"
import type { ConfigError } from "../../core/config/ConfigError.js"
import {
  syncConfigFile,
  syncCursorFile,
  syncProjectsFile,
  syncRoot,
  syncScopeDir,
  syncScopeFile,
  syncSeenFile
} from "../../core/repo/Naming.js"
import type { IoError } from "../../core/repo/RepoError.js"
import { decodeConfig, EMPTY_CONFIG, encodeConfig, scopeInput } from "../../core/sync/SyncConfig.js"
import type { SyncConfig } from "../../core/sync/SyncConfig.js"
import { syncError } from "../../core/sync/SyncError.js"
import type { SyncError } from "../../core/sync/SyncError.js"
import {
  cursorKeyText,
  deadLetterProject,
  decodeCursorHead,
  decodeProjects,
  decodeSeen,
  decodeState,
  encodeCursorHead,
  encodeProjects,
  encodeSeen,
  encodeState
} from "../../core/sync/SyncRecords.js"
import type { CursorHead, CursorKey, DeadLetter, DeliveryState, LogCursor, ProjectList } from "../../core/sync/SyncRecords.js"
import { RepoFs } from "../ports/RepoFs.js"
import { RuntimeFiles } from "./RuntimeFiles.js"
import type { Runtime } from "./RuntimeFiles.js"
import { sha256Hex } from "../ports/Crypto.js"

export type { Runtime }

/** The runtime root (see `RuntimeFiles`). */
export const runtimeOf = Effect.flatMap(RuntimeFiles, (files) => files.runtime)

/** Everything reading or writing a runtime file can fail with. */
export type StoreError = SyncError | ConfigError | IoError


/** The scope id of a sink (docs/surfaces.md §8.1): the first 16 hex digits of sha256(url NUL principal). */
export const scopeIdOf = (sinkUrl: string): string => sha256Hex(scopeInput(sinkUrl)).slice(0, 16)

/** A project's id on the wire: the first 16 hex digits of sha256 of its canonical root. */
export const projectIdOf = (root: string): string => sha256Hex(root).slice(0, 16)

/** The file name hash of a cursor key. */
export const cursorHashOf = (key: CursorKey): string => sha256Hex(cursorKeyText(key)).slice(0, 32)

/** An ISO-8601 UTC time from epoch milliseconds. */
export const isoOf = (ms: number): string => new Date(ms).toISOString()

/** The current time as ISO-8601 UTC. */
export const nowIso = Effect.map(Clock.currentTimeMillis, isoOf)

const unreadable = (path: string, problem: string) =>
  syncError("SYNC_STATE_UNREADABLE", `${path} cannot be trusted (${problem}); fix or remove it`, { path, problem })

const readJson = (path: string): Effect.Effect<unknown | undefined, IoError | SyncError, RepoFs> =>
  Effect.flatMap(RepoFs, (fs) => fs.readText(path, { noFollow: true })).pipe(
    Effect.flatMap((text) => {
      if (text === null) return Effect.succeed(undefined)
      try {
        return Effect.succeed(JSON.parse(text) as unknown)
      } catch (e) {
        return Effect.fail(unreadable(path, `not JSON: ${(e as Error).message}`))
      }
    })
  )

const writeText = (path: string, text: string, mode?: number) =>
  Effect.flatMap(RuntimeFiles, (files) => files.write(path, text, mode))

/** The configuration (`EMPTY_CONFIG` when the file is absent). */
export const readConfig = (rt: Runtime): Effect.Effect<SyncConfig, StoreError, RepoFs> =>
  Effect.gen(function*() {
    const path = syncConfigFile(rt.root)
    const value = yield* readJson(path).pipe(
      Effect.catchIf(
        (e): e is SyncError => e._tag === "SyncError",
        (e) => Effect.fail(configInvalid(path, "unparseable", `JSON (${String(e.details.problem)})`))
      )
    )
    if (value === undefined) return EMPTY_CONFIG
    return yield* decodeConfig(value)
  })

/** Replaces the configuration. */
export const writeConfig = (rt: Runtime, config: SyncConfig) => writeText(syncConfigFile(rt.root), encodeConfig(config), 0o600)

/** The registered projects (none when the file is absent). */
export const readProjects = (rt: Runtime): Effect.Effect<ProjectList, StoreError, RepoFs> =>
  Effect.gen(function*() {
    const path = syncProjectsFile(rt.root)
    const value = yield* readJson(path)
    if (value === undefined) return { projects: [] }
    const decoded = decodeProjects(value)
    return Either.isLeft(decoded) ? yield* unreadable(path, decoded.left) : decoded.right
  })

/** Replaces the registered projects. */
export const writeProjects = (rt: Runtime, list: ProjectList) => writeText(syncProjectsFile(rt.root), encodeProjects(list))

/** A log's cursor head, or null when the log was never delivered from. */
export const readCursorHead = (rt: Runtime, scopeId: string, key: CursorKey): Effect.Effect<CursorHead | null, StoreError, RepoFs> =>
  Effect.gen(function*() {
    const path = syncCursorFile(rt.root, scopeId, cursorHashOf(key))
    const value = yield* readJson(path)
    if (value === undefined) return null
    const decoded = decodeCursorHead(value)
    if (Either.isLeft(decoded)) return yield* unreadable(path, decoded.left)
    if (cursorKeyText(decoded.right.key) !== cursorKeyText(key)) return yield* unreadable(path, "it belongs to another log")
    return decoded.right.head
  })

/** The whole cursor of a head: its seen ids read. */
export const readCursor = (rt: Runtime, scopeId: string, key: CursorKey, head: CursorHead): Effect.Effect<LogCursor, StoreError, RepoFs> =>
  Effect.gen(function*() {
    const path = syncSeenFile(rt.root, scopeId, cursorHashOf(key))
    const value = yield* readJson(path)
    if (value === undefined && head.seen_count > 0) return yield* unreadable(path, `missing, its cursor counted ${head.seen_count} ids`)
    const seen = value === undefined ? Either.right([]) : decodeSeen(value, head.seen_count)
    if (Either.isLeft(seen)) return yield* unreadable(path, seen.left)
    return { path: head.path, offset: head.offset, prefix_sha256: head.prefix_sha256, signature: head.signature, seen: seen.right }
  })

/** Replaces a log's cursor: the seen ids first, then the head (each atomic; a crash between leaves more ids, never fewer). */
export const writeCursor = (rt: Runtime, scopeId: string, key: CursorKey, cursor: LogCursor) =>
  Effect.zipRight(
    writeText(syncSeenFile(rt.root, scopeId, cursorHashOf(key)), encodeSeen(cursor.seen)),
    writeText(syncCursorFile(rt.root, scopeId, cursorHashOf(key)), encodeCursorHead(key, cursor))
  )

/** The delivery state of a scope (empty when absent). */
export const readState = (rt: Runtime, scopeId: string): Effect.Effect<DeliveryState, StoreError, RepoFs> =>
  Effect.gen(function*() {
    const path = syncScopeFile(rt.root, scopeId, "state")
    const value = yield* readJson(path)
    if (value === undefined) return { projects: {} }
    const decoded = decodeState(value)
    return Either.isLeft(decoded) ? yield* unreadable(path, decoded.left) : decoded.right
  })

/** Replaces the delivery state of a scope. */
export const writeState = (rt: Runtime, scopeId: string, state: DeliveryState) =>
  writeText(syncScopeFile(rt.root, scopeId, "state"), encodeState(state))

/** The dead-letter lines of a scope. */
export const readDeadLetterLines = (rt: Runtime, scopeId: string): Effect.Effect<ReadonlyArray<string>, IoError, RepoFs> =>
  Effect.map(
    Effect.flatMap(RepoFs, (fs) => fs.readText(syncScopeFile(rt.root, scopeId, "deadLetters"), { noFollow: true })),
    (text) => (text === null ? [] : text.split("\n").filter((l) => l.trim() !== ""))
  )

/** Dead letters per project root. */
export const deadLettersByProject = (rt: Runtime, scopeId: string) =>
  Effect.map(readDeadLetterLines(rt, scopeId), (lines) => {
    const counts = new Map<string, number>()
    for (const line of lines) {
      const root = deadLetterProject(line)
      if (root !== null) counts.set(root, (counts.get(root) ?? 0) + 1)
    }
    return counts
  })

/** Adds dead letters (the file is rewritten atomically; callers hold the scope's delivery lock). */
export const appendDeadLetters = (rt: Runtime, scopeId: string, letters: ReadonlyArray<DeadLetter>) =>
  letters.length === 0 ? Effect.void : Effect.gen(function*() {
    const existing = yield* readDeadLetterLines(rt, scopeId)
    const lines = [...existing, ...letters.map((l) => JSON.stringify(l))]
    yield* writeText(syncScopeFile(rt.root, scopeId, "deadLetters"), lines.join("\n") + "\n")
  })

/** The scope directory (for the daemon's files). */
export const scopeDirOf = (rt: Runtime, scopeId: string): string => syncScopeDir(rt.root, scopeId)

/** The forwarding directory (created on the first write). */
export const syncDirOf = (rt: Runtime): string => syncRoot(rt.root)
