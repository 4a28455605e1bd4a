/**
 * `MissionStatus`, the one status facade: the only code that reads or writes `status.events.jsonl`
 * and `status.json`. Reads are lock-free snapshots; every write holds the mission's status lock.
 */
import { Config, Context, Effect, Either, Layer } from "effect"
import { mkdirSync } from "node:fs"
import type { EventStream } from "../../core/status/EventRow.js"
import { readEventStream } from "../../core/status/EventRow.js"
import type { Lane } from "../../core/status/Lane.js"
import { DERIVED_FILES, derivedViews } from "../../core/status/DerivedViews.js"
import { derivedDir, EVENTS_FILE, SNAPSHOT_FILE } from "../../core/layout/Naming.js"
import { joinPath } from "../../core/layout/Paths.js"
import { encodeLine } from "../../core/python/PyJson.js"
import type { JsonValue } from "../../core/python/PyJson.js"
import { snapshotBytes, snapshotIdentity, snapshotOf, streamUpTo } from "../../core/status/Snapshot.js"
import type { Snapshot, SnapshotIdentity, TimePoint } from "../../core/status/Snapshot.js"
import { decideTransition, needsRoster } from "../../core/status/StatusEvent.js"
import type { TransitionRequest } from "../../core/status/StatusEvent.js"
import { statusError, StatusError } from "../../core/status/StatusError.js"
import { validateStatus } from "../../core/status/StatusValidate.js"
import type { Finding } from "../../core/status/StatusValidate.js"
import { parseFrontmatter, subtaskRoster, wpFileCandidates } from "../../core/status/WorkPackageFile.js"
import { signatureOf, writeAtomic } from "../ports/AtomicFile.js"
import { gitOperationInProgress } from "../ports/GitOpGuard.js"
import type { FileIoError } from "../ports/AtomicFile.js"
import { EventIds } from "../ports/EventIds.js"
import { FileLock, LockTimeout, LockUnavailable } from "../ports/FileLock.js"
import { RepoFs } from "../ports/RepoFs.js"
import type { FsError } from "../ports/RepoFs.js"

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

/** The result of a materialize: the tracked snapshot and the derived views. */
export interface MaterializeOutcome {
  readonly path: string
  readonly written: boolean
  readonly snapshot: Snapshot
  readonly derived: { readonly written: ReadonlyArray<string>; readonly unchanged: ReadonlyArray<string> }
}

/** The result of `materializeIfStale`: the snapshot always; what was (re)generated, or why nothing was. */
export interface RefreshOutcome {
  readonly snapshot: Snapshot
  readonly regenerated: boolean
  /** The git-operation marker that blocked a stale regeneration, if any. */
  readonly blockedBy: string | null
}

/** The two files of a status surface (the facade's own, e.g. for a commit that must contain them). */
export const statusFiles = (target: StatusTarget): ReadonlyArray<string> => [
  joinPath(target.statusDir, EVENTS_FILE),
  joinPath(target.statusDir, SNAPSHOT_FILE)
]

/** The status facade port. */
export class MissionStatus extends Context.Tag("kittyctx/MissionStatus")<MissionStatus, {
  /** The parsed log (strict reader). */
  readonly stream: (target: StatusTarget) => Effect.Effect<EventStream, StatusError>
  /** The snapshot `materialize` would write (optionally replayed up to a point); never writes. */
  readonly snapshot: (target: StatusTarget, at?: TimePoint) => Effect.Effect<Snapshot, StatusError>
  /** One validated transition: lock, decide, atomic append, read back, materialize. */
  readonly transition: (target: StatusTarget, request: TransitionRequest) => Effect.Effect<TransitionOutcome, StatusError>
  /**
   * Writes `status.json` (and the derived views) unless they already hold exactly those bytes; refuses
   * with `GIT_OPERATION_IN_PROGRESS` while git rewrites the work tree, unless `force`.
   */
  readonly materialize: (
    target: StatusTarget,
    options?: { readonly force?: boolean }
  ) => Effect.Effect<MaterializeOutcome, StatusError>
  /** Regenerates the tracked snapshot and derived views only when stale and no git operation is running. */
  readonly materializeIfStale: (target: StatusTarget) => Effect.Effect<RefreshOutcome, StatusError>
  /** Runs `effect` holding the mission's status lock (re-entrant: the facade's own writes inside reuse it). */
  readonly withLock: <A, E, R>(target: StatusTarget, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StatusError, R>
  /** spec-kitty's checks plus kittyctx's integrity checks. */
  readonly validate: (target: StatusTarget) => Effect.Effect<ReadonlyArray<Finding>, StatusError>
}>() {}


const ioError = (e: FileIoError): StatusError =>
  e.symlink
    ? statusError("STATUS_LOG_SYMLINK_REFUSED", `Refusing to read symbolic link event log: ${e.path}`, { path: e.path })
    : statusError("STATUS_FILE_UNREADABLE", `Cannot access ${e.path}: ${e.reason}`, { path: e.path, reason: e.reason })

const fsError = (e: FsError): StatusError =>
  e.code === "SYMLINK_REFUSED"
    ? statusError(
      "STATUS_LOG_SYMLINK_REFUSED",
      e.path.endsWith(EVENTS_FILE)
        ? `Refusing to read symbolic link event log: ${e.path}`
        : `Refusing to read symbolic link status file: ${e.path}`,
      { path: e.path }
    )
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

    const withLock = <A, E, R>(t: StatusTarget, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StatusError, R> =>
      locks.withExclusive(t.lockPath, lockTimeoutMs)(effect).pipe(
        Effect.catchIf(
          (e): e is LockTimeout => e instanceof LockTimeout,
          (e) =>
            Effect.fail(
              statusError("STATUS_LOCK_TIMEOUT", `Timed out acquiring feature status lock for ${t.missionSlug}: ${e.path}`, {
                mission_slug: t.missionSlug,
                lock_path: e.path,
                timeout_ms: e.timeoutMs,
                holder: e.holder
              })
            )
        ),
        Effect.catchIf(
          (e): e is LockUnavailable => e instanceof LockUnavailable,
          (e) =>
            Effect.fail(
              statusError("STATUS_FILE_UNREADABLE", `Cannot open the status lock ${e.path}: ${e.reason}`, {
                path: e.path,
                reason: e.reason
              })
            )
        )
      ) as Effect.Effect<A, E | StatusError, R>

    const gitOp = (t: StatusTarget) => gitOperationInProgress(t.statusDir).pipe(Effect.provideService(RepoFs, repoFs))

    const writeIfChanged = (path: string, bytes: string) =>
      Effect.gen(function*() {
        const current = yield* repoFs.readText(path, { noFollow: true }).pipe(Effect.mapError(fsError))
        if (current === bytes) return false
        yield* writeAtomic(path, bytes).pipe(Effect.mapError(ioError))
        return true
      })

    const writeDerived = (t: StatusTarget, snap: Snapshot) =>
      Effect.gen(function*() {
        const dir = derivedDir(t.workspaceRoot, t.missionSlug)
        yield* Effect.try({
          try: () => mkdirSync(dir, { recursive: true }),
          catch: (e) => statusError("STATUS_WRITE_FAILED", `Cannot create ${dir}: ${(e as Error).message}`, { path: dir })
        })
        const views = derivedViews(snap)
        const written: Array<string> = []
        const unchanged: Array<string> = []
        for (const name of DERIVED_FILES) {
          const path = joinPath(dir, name)
          ;((yield* writeIfChanged(path, views[name])) ? written : unchanged).push(path)
        }
        return { written, unchanged }
      })

    /** Writes the snapshot; `known` reuses a stream and meta already read under the same lock. */
    const materializeLocked = (t: StatusTarget, known?: { readonly stream: EventStream; readonly meta: unknown }) =>
      Effect.gen(function*() {
        const snap = known === undefined
          ? yield* snapshot(t)
          : snapshotOf(known.stream, yield* identityOf(t.metaPath, known.meta))
        const path = snapshotPath(t)
        const written = yield* writeIfChanged(path, snapshotBytes(snap))
        const derived = yield* writeDerived(t, snap)
        return { path, written, snapshot: snap, derived }
      })

    const refuseDuringGitOp = (t: StatusTarget) =>
      Effect.flatMap(gitOp(t), (marker) =>
        marker === null
          ? Effect.void
          : Effect.fail(
            statusError(
              "GIT_OPERATION_IN_PROGRESS",
              `A git operation is in progress (${marker}); status.json is not rewritten until it finishes (or pass --force).`,
              { marker, status_dir: t.statusDir }
            )
          ))

    const isStale = (t: StatusTarget) =>
      Effect.gen(function*() {
        const dir = derivedDir(t.workspaceRoot, t.missionSlug)
        const log = yield* signatureOf(logPath(t)).pipe(Effect.mapError(ioError))
        for (const name of DERIVED_FILES) {
          const sig = yield* signatureOf(joinPath(dir, name)).pipe(Effect.mapError(ioError))
          if (sig === null) return true
          if (log !== null && log.mtimeNs > sig.mtimeNs) return true
        }
        return false
      })

    const materializeIfStale = (t: StatusTarget) =>
      Effect.gen(function*() {
        const stale = yield* isStale(t)
        if (!stale) return { snapshot: yield* snapshot(t), regenerated: false, blockedBy: null }
        const marker = yield* gitOp(t)
        if (marker !== null) return { snapshot: yield* snapshot(t), regenerated: false, blockedBy: marker }
        const out = yield* withLock(t, materializeLocked(t))
        return { snapshot: out.snapshot, regenerated: true, blockedBy: null }
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
        return back
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
            const back = yield* verify(t, decision.event, missionId)
            const marker = yield* gitOp(t)
            const warnings = yield* (marker !== null
              ? Effect.fail(statusError("GIT_OPERATION_IN_PROGRESS", `a git operation is in progress (${marker})`))
              : materializeLocked(t, { stream: back, meta })).pipe(
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
      materialize: (t, options) =>
        withLock(t, Effect.zipRight(options?.force === true ? Effect.void : refuseDuringGitOp(t), materializeLocked(t))),
      materializeIfStale,
      withLock,
      validate
    })
  })
)

export { StatusError }
