/**
 * `MissionStatus`, the one status facade: the only code that reads or writes `status.events.jsonl`
 * and `status.json`. Reads are lock-free snapshots; every write holds the mission's status lock.
 */
import { Config, Context, Effect, Either, Layer } from "effect"
import type { EventStream } from "../core/EventRow.js"
import { readEventStream } from "../core/EventRow.js"
import type { Lane } from "../core/Lane.js"
import { joinPath } from "../core/Paths.js"
import { encodeLine } from "../core/PyJson.js"
import type { JsonValue } from "../core/PyJson.js"
import { snapshotBytes, snapshotIdentity, snapshotOf, streamUpTo } from "../core/Snapshot.js"
import type { Snapshot, SnapshotIdentity, TimePoint } from "../core/Snapshot.js"
import { decideTransition, needsRoster } from "../core/StatusEvent.js"
import type { TransitionRequest } from "../core/StatusEvent.js"
import { statusError, StatusError } from "../core/StatusError.js"
import { validateStatus } from "../core/StatusValidate.js"
import type { Finding } from "../core/StatusValidate.js"
import { parseFrontmatter, subtaskRoster, wpFileCandidates } from "../core/WorkPackageFile.js"
import { signatureOf, writeAtomic } from "./AtomicFile.js"
import type { FileIoError } from "./AtomicFile.js"
import { EventIds } from "./EventIds.js"
import { FileLock } from "./FileLock.js"
import { RepoFs } from "./RepoFs.js"
import type { FsError } from "./RepoFs.js"

/** Where one mission's status lives, as resolved by the execution context. */
export interface StatusTarget {
  /** The canonical mission name (directory name): written into rows, keys the lock. */
  readonly missionSlug: string
  /** The status surface: `status_read_dir === status_write_dir`. */
  readonly statusDir: string
  /** The authoritative `meta.json` (primary checkout). */
  readonly metaPath: string
  /** The WP prompt directory (prompt source). */
  readonly tasksDir: string
  /** `<git-common-dir>/spec-kitty-locks/<slug>.status.lock`. */
  readonly lockPath: string
  /** Used for the inferred `workspace_context` of an emit. */
  readonly workspaceRoot: string
}

/** The result of one emit. */
export interface TransitionOutcome {
  /** The row as written, or `null` for an alias no-op. */
  readonly event: Record<string, JsonValue> | null
  readonly from: Lane
  readonly to: Lane
  readonly statusEventsPath: string
  readonly warnings: ReadonlyArray<string>
}

/** The result of a materialize. */
export interface MaterializeOutcome {
  readonly path: string
  readonly written: boolean
  readonly snapshot: Snapshot
}

/** The status facade port. */
export class MissionStatus extends Context.Tag("kittyctx/MissionStatus")<MissionStatus, {
  /** The parsed log (strict reader). */
  readonly stream: (target: StatusTarget) => Effect.Effect<EventStream, StatusError>
  /** The snapshot `materialize` would write (optionally replayed up to a point); never writes. */
  readonly snapshot: (target: StatusTarget, at?: TimePoint) => Effect.Effect<Snapshot, StatusError>
  /** One validated transition: lock, decide, atomic append, read back, materialize. */
  readonly transition: (target: StatusTarget, request: TransitionRequest) => Effect.Effect<TransitionOutcome, StatusError>
  /** Writes `status.json` unless it already holds exactly the snapshot's bytes. */
  readonly materialize: (target: StatusTarget) => Effect.Effect<MaterializeOutcome, StatusError>
  /** spec-kitty's checks plus kittyctx's integrity checks. */
  readonly validate: (target: StatusTarget) => Effect.Effect<ReadonlyArray<Finding>, StatusError>
}>() {}

/** The file names of the status surface. */
export const EVENTS_FILE = "status.events.jsonl"
/** The snapshot file name. */
export const SNAPSHOT_FILE = "status.json"

const ioError = (e: FileIoError): StatusError =>
  e.symlink
    ? statusError("STATUS_LOG_SYMLINK_REFUSED", `Refusing to read symbolic link event log: ${e.path}`, { path: e.path })
    : statusError("STATUS_FILE_UNREADABLE", `Cannot access ${e.path}: ${e.reason}`, { path: e.path, reason: e.reason })

const fsError = (e: FsError): StatusError =>
  e.code === "SYMLINK_REFUSED"
    ? statusError("STATUS_LOG_SYMLINK_REFUSED", `Refusing to read symbolic link event log: ${e.path}`, { path: e.path })
    : statusError("STATUS_FILE_UNREADABLE", e.message, { path: e.path, reason: e.reason })

/** Parses `meta.json` text; `undefined` when absent. */
const parseMeta = (path: string, text: string | null): Either.Either<unknown, StatusError> => {
  if (text === null) return Either.right(undefined)
  try {
    return Either.right(JSON.parse(text))
  } catch (e) {
    return Either.left(
      statusError("MISSION_META_INVALID", `Invalid mission metadata ${path}: ${(e as Error).message}`, {
        path,
        reason: (e as Error).message
      })
    )
  }
}

const identityOf = (path: string, meta: unknown): Either.Either<SnapshotIdentity, StatusError> =>
  Either.mapLeft(snapshotIdentity(meta), (e) =>
    statusError("MISSION_META_INVALID", `Invalid mission metadata ${path}: ${e.reason}`, {
      path,
      field: e.field,
      reason: e.reason
    }))

const MAX_APPEND_ATTEMPTS = 5

/** The live facade over the real file system, the flock primitive and the event clock. */
export const layer: Layer.Layer<MissionStatus, never, RepoFs | FileLock | EventIds> = Layer.effect(
  MissionStatus,
  Effect.gen(function*() {
    const repoFs = yield* RepoFs
    const locks = yield* FileLock
    const ids = yield* EventIds
    const lockTimeoutMs = yield* Config.integer("KITTYCTX_LOCK_TIMEOUT_MS").pipe(
      Config.withDefault(30_000),
      Effect.orElseSucceed(() => 30_000)
    )

    const logPath = (t: StatusTarget) => joinPath(t.statusDir, EVENTS_FILE)
    const snapshotPath = (t: StatusTarget) => joinPath(t.statusDir, SNAPSHOT_FILE)

    const readLogText = (t: StatusTarget) => repoFs.readText(logPath(t), { noFollow: true }).pipe(Effect.mapError(fsError))
    const readSnapshotText = (t: StatusTarget) =>
      repoFs.readText(snapshotPath(t), { noFollow: true }).pipe(Effect.mapError(fsError))

    const parseStream = (t: StatusTarget, text: string | null) =>
      Either.mapLeft(readEventStream(text ?? ""), (e) =>
        statusError("STATUS_LOG_INVALID", e.message, { path: logPath(t), line: e.line }))

    const stream = (t: StatusTarget) => Effect.flatMap(readLogText(t), (text) => parseStream(t, text))

    const readMeta = (t: StatusTarget) =>
      repoFs.readText(t.metaPath).pipe(
        Effect.mapError(fsError),
        Effect.flatMap((text) => parseMeta(t.metaPath, text))
      )

    const snapshot = (t: StatusTarget, at?: TimePoint) =>
      Effect.gen(function*() {
        const meta = yield* readMeta(t)
        const identity = yield* identityOf(t.metaPath, meta)
        let s = yield* stream(t)
        if (at !== undefined) {
          s = yield* Either.mapLeft(streamUpTo(s, at), (e) =>
            statusError("AT_POINT_NOT_FOUND", `Cannot replay to ${at._tag === "EventId" ? at.eventId : at.input}: ${e.detail}`, {
              reason: e.reason
            }))
        }
        return snapshotOf(s, identity)
      })

    const withLock = <A>(t: StatusTarget, effect: Effect.Effect<A, StatusError>) =>
      locks.withExclusive(t.lockPath, lockTimeoutMs)(effect).pipe(
        Effect.catchTags({
          LockTimeout: (e) =>
            Effect.fail(
              statusError("STATUS_LOCK_TIMEOUT", `Timed out acquiring feature status lock for ${t.missionSlug}: ${e.path}`, {
                mission_slug: t.missionSlug,
                lock_path: e.path,
                timeout_ms: e.timeoutMs
              })
            ),
          LockUnavailable: (e) =>
            Effect.fail(
              statusError("STATUS_FILE_UNREADABLE", `Cannot open the status lock ${e.path}: ${e.reason}`, {
                path: e.path,
                reason: e.reason
              })
            )
        })
      )

    const materializeLocked = (t: StatusTarget) =>
      Effect.gen(function*() {
        const snap = yield* snapshot(t)
        const bytes = snapshotBytes(snap)
        const path = snapshotPath(t)
        const current = yield* readSnapshotText(t)
        if (current === bytes) return { path, written: false, snapshot: snap }
        yield* writeAtomic(path, bytes).pipe(Effect.mapError(ioError))
        return { path, written: true, snapshot: snap }
      })

    const loadRoster = (t: StatusTarget, wpId: string) =>
      Effect.gen(function*() {
        const entries = (yield* repoFs.entries(t.tasksDir).pipe(Effect.mapError(fsError))) ?? []
        const candidates = wpFileCandidates(entries.filter((e) => e.kind === "File").map((e) => e.name), wpId)
        if (candidates.length !== 1) {
          return yield* statusError(
            "WP_METADATA_INVALID",
            candidates.length === 0
              ? `No work package file for ${wpId} in ${t.tasksDir}`
              : `Several work package files for ${wpId}: ${candidates.join(", ")}`,
            { wp_id: wpId, tasks_dir: t.tasksDir, candidates }
          )
        }
        const file = joinPath(t.tasksDir, candidates[0])
        const text = (yield* repoFs.readText(file).pipe(Effect.mapError(fsError))) ?? ""
        const roster = Either.flatMap(parseFrontmatter(text), subtaskRoster)
        if (Either.isLeft(roster)) {
          return yield* statusError("WP_METADATA_INVALID", `Malformed work package metadata ${file}: ${roster.left}`, {
            wp_id: wpId,
            path: file
          })
        }
        return roster.right
      })

    const appendOnce = (t: StatusTarget, request: TransitionRequest, missionId: string | null) =>
      Effect.gen(function*() {
        const path = logPath(t)
        const before = yield* signatureOf(path).pipe(Effect.mapError(ioError))
        const text = yield* readLogText(t)
        const current = yield* parseStream(t, text)
        const roster = needsRoster(current, request) ? yield* loadRoster(t, request.wpId) : null
        const stamp = yield* ids.next
        const decision = yield* decideTransition(current, request, {
          missionSlug: t.missionSlug,
          missionId,
          eventId: stamp.eventId,
          at: stamp.at,
          workspaceRoot: t.workspaceRoot,
          roster
        })
        if (decision._tag === "NoOp") return { decision, written: true }
        const existing = text ?? ""
        const prefix = existing === "" || existing.endsWith("\n") ? existing : existing + "\n"
        const written = yield* writeAtomic(path, prefix + encodeLine(decision.event) + "\n", {
          mode: before?.mode ?? 0o644,
          expect: before
        }).pipe(Effect.mapError(ioError))
        return { decision, written }
      })

    const verify = (t: StatusTarget, event: Record<string, JsonValue>, missionId: string | null) =>
      Effect.gen(function*() {
        const back = yield* stream(t)
        const found = back.transitions.find((r) => r.event_id === event.event_id)
        const problem = found === undefined
          ? "event not found after append"
          : found.mission_slug !== event.mission_slug || found.wp_id !== event.wp_id || found.to_lane !== event.to_lane
          ? "event fields differ after append"
          : missionId !== null && found.mission_id !== missionId
          ? "mission_id differs after append"
          : null
        if (problem !== null) {
          return yield* statusError(
            "STATUS_EVENT_PERSISTENCE_VERIFICATION_FAILED",
            `Status transition event persistence verification failed: ${problem}; mission_slug=${t.missionSlug}; ` +
              `mission_id=${missionId}; wp_id=${event.wp_id}; target_lane=${event.to_lane}; event_id=${event.event_id}; ` +
              `event_path=${logPath(t)}`,
            { invariant: "STA-002", event_id: event.event_id, event_path: logPath(t) }
          )
        }
      })

    const transition = (t: StatusTarget, request: TransitionRequest) =>
      withLock(
        t,
        Effect.gen(function*() {
          const meta = yield* readMeta(t)
          const missionId = typeof meta === "object" && meta !== null &&
              typeof (meta as Record<string, unknown>).mission_id === "string"
            ? (meta as Record<string, string>).mission_id
            : null
          let attempt = 0
          while (true) {
            attempt++
            const { decision, written } = yield* appendOnce(t, request, missionId)
            if (decision._tag === "NoOp") {
              return { event: null, from: decision.from, to: decision.to, statusEventsPath: logPath(t), warnings: [] }
            }
            if (!written) {
              if (attempt < MAX_APPEND_ATTEMPTS) continue
              return yield* statusError(
                "STATUS_WRITE_FAILED",
                `The event log changed during every one of ${MAX_APPEND_ATTEMPTS} append attempts: ${logPath(t)}`,
                { path: logPath(t) }
              )
            }
            yield* verify(t, decision.event, missionId)
            const warnings = yield* materializeLocked(t).pipe(
              Effect.as([] as Array<string>),
              Effect.catchAll((e) =>
                Effect.succeed([
                  `The event was recorded but status.json was not updated (${e.message}); run 'kittyctx status materialize'.`
                ])
              )
            )
            return { event: decision.event, from: decision.from, to: decision.to, statusEventsPath: logPath(t), warnings }
          }
        })
      )

    const validate = (t: StatusTarget) =>
      Effect.gen(function*() {
        const logText = yield* readLogText(t)
        const statusJsonText = yield* readSnapshotText(t)
        const meta = yield* readMeta(t)
        return validateStatus({ logText, statusJsonText, meta, canonicalSlug: t.missionSlug })
      })

    return MissionStatus.of({
      stream,
      snapshot,
      transition,
      materialize: (t) => withLock(t, materializeLocked(t)),
      validate
    })
  })
)

export { StatusError }
