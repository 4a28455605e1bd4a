/**
 * The read side of the status facade: the only code that reads `status.events.jsonl` and `status.json`.
 * Reads are lock-free snapshots and never write; a program that requires only this (the resolver, the
 * dashboard, sync) cannot change a status file. The write side is `MissionStatus`.
 */
import { Context, Effect, Either, Layer } from "effect"
import type { ConfigError } from "../../core/config/ConfigError.js"
import { EVENTS_FILE, foldCheckpointPath, SNAPSHOT_FILE } from "../../core/repo/Naming.js"
import { joinPath } from "../../core/repo/Paths.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { readEventStream } from "../../core/status/EventRow.js"
import type { EventStream } from "../../core/status/EventRow.js"
import { snapshotOf, streamUpTo } from "../../core/status/Snapshot.js"
import type { Snapshot, SnapshotIdentity, TimePoint } from "../../core/status/Snapshot.js"
import { statusError } from "../../core/status/StatusError.js"
import type { StatusError } from "../../core/status/StatusError.js"
import { validateStatus } from "../../core/status/StatusValidate.js"
import type { IncrementalFold } from "../../core/status/IncrementalFold.js"
import { foldForRead, snapshotOfFold, streamOfLog } from "./LogFold.js"
import type { Finding } from "../../core/status/StatusValidate.js"
import type { LockSpec } from "../ports/FileLock.js"
import { RepoFs } from "../ports/RepoFs.js"
import type { ChunkOptions, FileSignature } from "../ports/RepoFs.js"
import type { WriteScope } from "../ports/RepoWrite.js"

/** Where one mission's status lives, as resolved by the execution context (built only by the resolver). */
export interface StatusTarget {
  /** The canonical mission name (directory name): written into rows, keys the lock. */
  readonly missionSlug: string
  /** `meta.json` `mission_id`, written into rows; null for legacy missions. */
  readonly missionId: string | null
  /** The snapshot identity decoded from `meta.json` by the resolver. */
  readonly identity: SnapshotIdentity
  /** The status surface: `status_read_dir === status_write_dir`. */
  readonly statusDir: string
  /** The WP prompt directory (prompt source). */
  readonly tasksDir: string
  /** spec-kitty's status lock of the mission. */
  readonly lock: LockSpec
  /** Where the facade's writes may land: the repository's work tree and git dir. */
  readonly scope: WriteScope
  /** Used for the inferred `workspace_context` of an emit, and for the derived views. */
  readonly workspaceRoot: string
  /** The repository's git common dir: where the fold checkpoint lives, outside the work tree. */
  readonly gitCommonDir: string
}

/** Everything the facade can fail with. */
export type StatusFailure = StatusError | IoError | GitError | ConfigError

/** The event log of a status target. */
export const logPathOf = (t: StatusTarget): string => joinPath(t.statusDir, EVENTS_FILE)

/** The `status.json` of a status target. */
export const snapshotPathOf = (t: StatusTarget): string => joinPath(t.statusDir, SNAPSHOT_FILE)

/** The fold checkpoint of a status target's log (status-model §7.7). */
export const checkpointPathOf = (t: StatusTarget): string => foldCheckpointPath(t.gitCommonDir, t.missionSlug, logPathOf(t))

/** The two files of a status surface (the facade's own, e.g. for a commit that must contain them). */
export const statusFiles = (t: StatusTarget): ReadonlyArray<string> => [logPathOf(t), snapshotPathOf(t)]

/** The largest event log read into memory at once (a JavaScript string's limit is about 512 MiB). */
const MAX_LOG_BYTES = 500 * 1024 * 1024

/** The read side of the status facade. */
export class StatusReader extends Context.Tag("kittyctx/StatusReader")<StatusReader, {
  /** The log's text (`null` when absent), read without following a link. */
  readonly logText: (target: StatusTarget) => Effect.Effect<string | null, StatusFailure>
  /** The log parsed by the strict reader (`text`: already read under a lock). */
  readonly stream: (target: StatusTarget, text?: string | null) => Effect.Effect<EventStream, StatusFailure>
  /** The snapshot `materialize` would write (optionally replayed up to a point); never writes. */
  readonly snapshot: (target: StatusTarget, at?: TimePoint) => Effect.Effect<Snapshot, StatusFailure>
  /**
   * The fold of the log (status-model §7.7): resumed from the fold checkpoint when it still describes the
   * log, streamed otherwise (any size, memory bounded by the state). Never writes, not even the checkpoint.
   */
  readonly fold: (target: StatusTarget) => Effect.Effect<IncrementalFold, StatusFailure>
  /** spec-kitty's checks plus kittyctx's integrity checks. */
  readonly validate: (target: StatusTarget) => Effect.Effect<ReadonlyArray<Finding>, StatusFailure>
  /**
   * The log's raw bytes in chunks (`RepoFs.readChunks`, without following a link; `null` when absent): for
   * readers that keep byte offsets and read only part of the log (sync). `visit` sees each chunk only during
   * the call.
   */
  readonly logChunks: (
    target: StatusTarget,
    options: Omit<ChunkOptions, "noFollow">,
    visit: (chunk: Uint8Array) => boolean | void
  ) => Effect.Effect<FileSignature | null, StatusFailure>
  /** The log's size, mtime and inode (`null` when absent), without reading it: sync skips a log that did not change. */
  readonly logSignature: (target: StatusTarget) => Effect.Effect<FileSignature | null, StatusFailure>
}>() {}

/** The live reader over the read port. */
export const make = Effect.gen(function*() {
  const repoFs = yield* RepoFs
  const logText = (t: StatusTarget) => repoFs.readText(logPathOf(t), { noFollow: true, maxBytes: MAX_LOG_BYTES })
  const parse = (t: StatusTarget, text: string | null) =>
    Either.mapLeft(readEventStream(text ?? ""), (e) =>
      statusError("STATUS_LOG_INVALID", e.message, { path: logPathOf(t), line: e.line }))
  const stream = (t: StatusTarget, text?: string | null) =>
    text === undefined ? streamOfLog(repoFs, t) : parse(t, text)
  const fold = (t: StatusTarget) => Effect.map(foldForRead(repoFs, t), (f) => f.fold)
  return StatusReader.of({
    logText,
    stream,
    fold,
    snapshot: (t, at) =>
      Effect.gen(function*() {
        if (at === undefined) return snapshotOfFold(yield* fold(t), t)
        const s = yield* Either.mapLeft(streamUpTo(yield* stream(t), at), (e) =>
          statusError("AT_POINT_NOT_FOUND", `Cannot replay to ${at._tag === "EventId" ? at.eventId : at.input}: ${e.detail}`, {
            reason: e.reason
          }))
        return snapshotOf(s, t.identity)
      }),
    validate: (t) =>
      Effect.gen(function*() {
        const text = yield* logText(t)
        const statusJsonText = yield* repoFs.readText(snapshotPathOf(t), { noFollow: true })
        return validateStatus({ logText: text, statusJsonText, identity: t.identity, missionId: t.missionId, canonicalSlug: t.missionSlug })
      }),
    logChunks: (t, options, visit) => repoFs.readChunks(logPathOf(t), { ...options, noFollow: true }, visit),
    logSignature: (t) => repoFs.signature(logPathOf(t))
  })
})

/** Its layer. */
export const layer: Layer.Layer<StatusReader, never, RepoFs> = Layer.effect(StatusReader, make)
