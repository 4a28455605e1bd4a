/**
 * Forwarding's files under the runtime root (docs/surfaces.md §8.1): the configuration, the registered
 * projects, and per sink scope the log cursors, the delivery state and the dead letters. Reads go through
 * `RepoFs`; every write goes through the runtime-root writer, whose write scope has no other root, so
 * nothing here can write into a repository (`RuntimeFiles`). A record that cannot be trusted is `SYNC_STATE_UNREADABLE`
 * (a malformed configuration `CONFIG_INVALID`), never read as absent.
 */
import { Effect, Either } from "effect"
import { configInvalid } from "../../core/config/ConfigError.js"
import type { ConfigError } from "../../core/config/ConfigError.js"
import {
  syncConfigFile,
  syncCursorFile,
  syncProjectsFile,
  syncRoot,
  syncScopeDir,
  syncScopeFile,
  syncSeenFile,
  syncSeenFilterFile,
  syncSeenLinesFile
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
  decodeSeenLines,
  decodeState,
  encodeCursorHead,
  encodeProjects,
  encodeSeenLines,
  encodeState
} from "../../core/sync/SyncRecords.js"
import type { CursorHead, CursorKey, DeadLetter, DeliveryState, ProjectList, WrittenHead } from "../../core/sync/SyncRecords.js"
import { decodeUtf8 } from "../../core/repo/Text.js"
import { IdFilter } from "../../core/status/IdFilter.js"
import { readRange, RepoFs } from "../ports/RepoFs.js"
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

const writeText = (path: string, text: string | Uint8Array, mode?: number) =>
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

/**
 * Every id a cursor's head counts as delivered, read exactly (docs/surfaces.md §8.5): the first
 * `seen_bytes` of the seen-id lines, or a version-1 cursor's JSON seen file. Read only when a round needs
 * them (a rescan, an upgrade, or an id the filter may hold).
 */
export const readSeenIds = (rt: Runtime, scopeId: string, key: CursorKey, head: CursorHead): Effect.Effect<ReadonlyArray<string>, StoreError, RepoFs> =>
  Effect.gen(function*() {
    const h = cursorHashOf(key)
    if (head.seen_bytes === null) {
      const path = syncSeenFile(rt.root, scopeId, h)
      const value = yield* readJson(path)
      if (value === undefined && head.seen_count > 0) return yield* unreadable(path, `missing, its cursor counted ${head.seen_count} ids`)
      const seen = value === undefined ? Either.right([]) : decodeSeen(value, head.seen_count)
      return Either.isLeft(seen) ? yield* unreadable(path, seen.left) : seen.right
    }
    const path = syncSeenLinesFile(rt.root, scopeId, h)
    if (head.seen_bytes === 0) return []
    const fs = yield* RepoFs
    const read = yield* readRange(fs, path, { noFollow: true, from: 0, to: head.seen_bytes })
    if (read === null || read.bytes.length !== head.seen_bytes) {
      return yield* unreadable(path, `shorter than the ${head.seen_bytes} bytes its cursor counted`)
    }
    const text = decodeUtf8(read.bytes)
    if (Either.isLeft(text)) return yield* unreadable(path, "not UTF-8")
    const ids = decodeSeenLines(text.right, head.seen_count)
    return Either.isLeft(ids) ? yield* unreadable(path, ids.left) : ids.right
  })

/** The filter of a cursor's seen ids, or null when there is none to trust (the caller rebuilds it from the ids). */
export const readSeenFilter = (rt: Runtime, scopeId: string, key: CursorKey): Effect.Effect<IdFilter | null, IoError, RepoFs> =>
  Effect.flatMap(RepoFs, (fs) => fs.readBytes(syncSeenFilterFile(rt.root, scopeId, cursorHashOf(key)), { noFollow: true })).pipe(
    Effect.map((bytes) => (bytes === null ? null : IdFilter.fromBytes(bytes)))
  )

/**
 * Adds ids to a cursor's seen-id lines, which hold `at` bytes for its head (null: a version-1 cursor,
 * whose ids `all` are written out whole, once). An interrupted earlier append's leftovers past `at` are
 * cut first. Returns the new length.
 */
export const appendSeenIds = (
  rt: Runtime,
  scopeId: string,
  key: CursorKey,
  at: number | null,
  ids: ReadonlyArray<string>,
  all: () => ReadonlyArray<string>
): Effect.Effect<number, StoreError, RepoFs | RuntimeFiles> =>
  Effect.gen(function*() {
    const path = syncSeenLinesFile(rt.root, scopeId, cursorHashOf(key))
    const files = yield* RuntimeFiles
    if (at === null) {
      const text = encodeSeenLines(all())
      yield* files.write(path, text)
      return Buffer.byteLength(text)
    }
    const fs = yield* RepoFs
    const sig = yield* fs.signature(path)
    const size = sig === null ? 0 : sig.size
    if (size < at) return yield* unreadable(path, `shorter than the ${at} bytes its cursor counted`)
    if (size > at) yield* files.truncate(path, at)
    if (ids.length === 0) return at
    const text = encodeSeenLines(ids)
    if (sig === null) yield* files.write(path, text)
    else yield* files.append(path, text)
    return at + Buffer.byteLength(text)
  })

/**
 * Writes a log's cursor after its seen ids were appended: the filter of the ids, then the head (each
 * atomic; a crash between leaves more ids than the head counts, never fewer). A version-1 seen file goes
 * once the head no longer names it.
 */
export const writeCursorHead = (rt: Runtime, scopeId: string, key: CursorKey, head: WrittenHead, filter: IdFilter, upgraded: boolean) =>
  Effect.gen(function*() {
    const h = cursorHashOf(key)
    yield* writeText(syncSeenFilterFile(rt.root, scopeId, h), filter.toBytes())
    yield* writeText(syncCursorFile(rt.root, scopeId, h), encodeCursorHead(key, head))
    if (upgraded) yield* Effect.flatMap(RuntimeFiles, (files) => files.remove(syncSeenFile(rt.root, scopeId, h)))
  })

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
