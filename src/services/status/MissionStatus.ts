/**
 * `MissionStatus`, the one status facade: the only code that reads or writes `status.events.jsonl`
 * and `status.json`. Reads are lock-free snapshots; every write holds the mission's status lock.
 */
import { Context, Effect, Either, Layer } from "effect"
import { DERIVED_FILES, derivedViews } from "../../core/status/DerivedViews.js"
import type { EventStream } from "../../core/status/EventRow.js"
import type { Lane } from "../../core/status/Lane.js"
import { derivedDir } from "../../core/repo/Naming.js"
import { joinPath } from "../../core/repo/Paths.js"
import { GitErrors } from "../../core/repo/RepoError.js"
import { encodeLine } from "../../core/python/PyJson.js"
import type { JsonValue } from "../../core/python/PyJson.js"
import { snapshotBytes, snapshotOf } from "../../core/status/Snapshot.js"
import type { Snapshot } from "../../core/status/Snapshot.js"
import { decideAnnotation } from "../../core/status/Annotation.js"
import type { AnnotationRequest } from "../../core/status/Annotation.js"
import { decideTransition, needsRoster } from "../../core/status/StatusEvent.js"
import type { TransitionRequest } from "../../core/status/StatusEvent.js"
import { statusError, StatusError } from "../../core/status/StatusError.js"
import { parseFrontmatter, subtaskRoster, wpFileCandidates } from "../../core/status/WorkPackageFile.js"
import { EventIds } from "../ports/EventIds.js"
import { FileLock, LockTimeout } from "../ports/FileLock.js"
import { gitOperationInProgress, refuseDuringGitOp } from "../ports/GitFiles.js"
import { RepoFs } from "../ports/RepoFs.js"
import type { FileSignature } from "../ports/RepoFs.js"
import { RepoWrite } from "../ports/RepoWrite.js"
import { logPathOf, snapshotPathOf, StatusReader } from "./StatusReader.js"
import type { StatusFailure, StatusTarget } from "./StatusReader.js"

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

/** The write side of the status facade: the only code that writes the log and `status.json`. */
export class MissionStatus extends Context.Tag("kittyctx/MissionStatus")<MissionStatus, {
  /** One validated transition: lock, decide, atomic append, read back, materialize. */
  readonly transition: (target: StatusTarget, request: TransitionRequest) => Effect.Effect<TransitionOutcome, StatusFailure>
  /**
   * Writes `status.json` (and the derived views) unless they already hold exactly those bytes; refuses
   * with `GIT_OPERATION_IN_PROGRESS` while git rewrites the work tree, unless `force`.
   */
  readonly materialize: (
    target: StatusTarget,
    options?: { readonly force?: boolean }
  ) => Effect.Effect<MaterializeOutcome, StatusFailure>
  /** Regenerates the tracked snapshot and derived views only when stale and no git operation is running. */
  readonly materializeIfStale: (target: StatusTarget) => Effect.Effect<RefreshOutcome, StatusFailure>
  /** Runs `effect` holding the mission's status lock (re-entrant: the facade's own writes inside reuse it). */
  readonly withLock: <A, E, R>(target: StatusTarget, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StatusFailure, R>
  // -- annotations and rollback (docs/status-model.md §6.5, §12.1) --
  /** Annotation rows (e.g. mark-status's subtask marks), one atomic append: lock, decide, append, read back, materialize. */
  readonly annotate: (
    target: StatusTarget,
    requests: ReadonlyArray<AnnotationRequest>
  ) => Effect.Effect<AnnotateOutcome, StatusFailure>
  /**
   * Runs `body` under the lock; if it fails, `status.events.jsonl` and `status.json` return to the bytes
   * they had before (and the derived views follow), so a failed commit leaves no event behind.
   */
  readonly withRollback: <A, E, R>(target: StatusTarget, body: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StatusFailure, R>
}>() {}

/** The result of an annotate: the rows as written. */
export interface AnnotateOutcome {
  readonly events: ReadonlyArray<Record<string, JsonValue>>
  readonly statusEventsPath: string
  readonly warnings: ReadonlyArray<string>
}


const MAX_APPEND_ATTEMPTS = 5

/** The live facade over the real file system, the flock primitive and the event clock. */
export const layer: Layer.Layer<MissionStatus, never, StatusReader | RepoFs | RepoWrite | FileLock | EventIds> = Layer.effect(
  MissionStatus,
  Effect.gen(function*() {
    const reader = yield* StatusReader
    const repoFs = yield* RepoFs
    const repoWrite = yield* RepoWrite
    const locks = yield* FileLock
    const ids = yield* EventIds

    const logPath = logPathOf
    const snapshotPath = snapshotPathOf
    const stream = (t: StatusTarget) => reader.stream(t)
    const snapshot = (t: StatusTarget) => reader.snapshot(t)

    const withLock = <A, E, R>(t: StatusTarget, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StatusFailure, R> =>
      locks.withExclusive(t.lock)(effect).pipe(
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
        )
      ) as Effect.Effect<A, E | StatusFailure, R>

    const gitOp = (t: StatusTarget) => gitOperationInProgress(t.statusDir).pipe(Effect.provideService(RepoFs, repoFs))

    const writeIfChanged = (t: StatusTarget, path: string, bytes: string) =>
      Effect.gen(function*() {
        const current = yield* repoFs.readText(path, { noFollow: true })
        if (current === bytes) return false
        yield* repoWrite.writeFile(t.scope, path, bytes)
        return true
      })

    const writeDerived = (t: StatusTarget, snap: Snapshot) =>
      Effect.gen(function*() {
        const dir = derivedDir(t.workspaceRoot, t.missionSlug)
        yield* repoWrite.makeDirectory(t.scope, dir)
        const views = derivedViews(snap)
        const written: Array<string> = []
        const unchanged: Array<string> = []
        for (const name of DERIVED_FILES) {
          const path = joinPath(dir, name)
          ;((yield* writeIfChanged(t, path, views[name])) ? written : unchanged).push(path)
        }
        return { written, unchanged }
      })

    /**
     * Every file a status write may touch (the log, status.json, the derived views), checked before the
     * first byte is written: a link or a location outside the repository refuses the whole write.
     */
    const checkTargets = (t: StatusTarget) =>
      repoWrite.check(t.scope, [
        logPath(t),
        snapshotPath(t),
        ...DERIVED_FILES.map((name) => joinPath(derivedDir(t.workspaceRoot, t.missionSlug), name))
      ])

    /** Writes the snapshot; `known` reuses a stream already read under the same lock. */
    const materializeLocked = (t: StatusTarget, known?: EventStream) =>
      Effect.gen(function*() {
        yield* checkTargets(t)
        const snap = known === undefined ? yield* snapshot(t) : snapshotOf(known, t.identity)
        const path = snapshotPath(t)
        const written = yield* writeIfChanged(t, path, snapshotBytes(snap))
        const derived = yield* writeDerived(t, snap)
        return { path, written, snapshot: snap, derived }
      })

    const refuseWhileRewriting = (t: StatusTarget) =>
      refuseDuringGitOp([t.statusDir], "status.json is not rewritten until it finishes (or pass --force)").pipe(
        Effect.provideService(RepoFs, repoFs)
      )

    const isStale = (t: StatusTarget) =>
      Effect.gen(function*() {
        const dir = derivedDir(t.workspaceRoot, t.missionSlug)
        const log = yield* repoFs.signature(logPath(t))
        for (const name of DERIVED_FILES) {
          const sig = yield* repoFs.signature(joinPath(dir, name))
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
        const unresolved = (why: string, details: Record<string, unknown> = {}) =>
          statusError("WP_METADATA_INVALID", `Cannot resolve subtask roster for ${wpId}: ${why}`, {
            wp_id: wpId,
            tasks_dir: t.tasksDir,
            ...details
          })
        const entries = yield* repoFs.entries(t.tasksDir)
        if (entries === null) return yield* unresolved("tasks directory is missing")
        const candidates = wpFileCandidates(entries.filter((e) => e.kind === "File").map((e) => e.name), wpId)
        if (candidates.length === 0) return yield* unresolved("work-package file is missing")
        if (candidates.length > 1) return yield* unresolved(`ambiguous files (${candidates.join(", ")})`, { candidates })
        const file = joinPath(t.tasksDir, candidates[0])
        const front = parseFrontmatter((yield* repoFs.readText(file)) ?? "")
        if (Either.isRight(front) && !("subtasks" in front.right)) return yield* unresolved("subtasks key is missing", { path: file })
        const roster = Either.flatMap(front, subtaskRoster)
        if (Either.isLeft(roster)) {
          return yield* unresolved(`${candidates[0]} is unreadable`, { path: file, reason: roster.left })
        }
        return roster.right
      })

    /** The one write of the log: `rows` appended to the text read under the lock; false when the file changed meanwhile. */
    const writeRows = (
      t: StatusTarget,
      text: string | null,
      before: FileSignature | null,
      rows: ReadonlyArray<Record<string, JsonValue>>
    ) => {
      const existing = text ?? ""
      const prefix = existing === "" || existing.endsWith("\n") ? existing : existing + "\n"
      return repoWrite.writeFile(t.scope, logPath(t), prefix + rows.map((r) => encodeLine(r) + "\n").join(""), {
        mode: before?.mode ?? 0o644,
        expect: before
      })
    }

    const appendOnce = (t: StatusTarget, request: TransitionRequest) =>
      Effect.gen(function*() {
        const path = logPath(t)
        const missionId = t.missionId
        const before = yield* repoFs.signature(path)
        const text = yield* reader.logText(t)
        const current = yield* reader.stream(t, text)
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
        const written = yield* writeRows(t, text, before, [decision.event])
        return { decision, written }
      })

    const verify = (t: StatusTarget, event: Record<string, JsonValue>) =>
      Effect.gen(function*() {
        const missionId = t.missionId
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
      // refused before the lock is taken: a status write outside the repository creates nothing at all
      Effect.zipRight(checkTargets(t), withLock(
        t,
        Effect.gen(function*() {
          let attempt = 0
          while (true) {
            attempt++
            const { decision, written } = yield* appendOnce(t, request)
            if (decision._tag === "NoOp") {
              return { event: null, from: decision.from, to: decision.to, statusEventsPath: logPath(t), warnings: [] }
            }
            if (!written) {
              if (attempt < MAX_APPEND_ATTEMPTS) continue
              return yield* statusError(
                "STATUS_APPEND_CONTENDED",
                `The event log changed during every one of ${MAX_APPEND_ATTEMPTS} append attempts: ${logPath(t)}`,
                { path: logPath(t) }
              )
            }
            const back = yield* verify(t, decision.event)
            const marker = yield* gitOp(t)
            const refresh: Effect.Effect<unknown, StatusFailure> = marker !== null
              ? Effect.fail(GitErrors.operationInProgress(t.statusDir, marker, "status.json was left as it was"))
              : materializeLocked(t, back)
            const warnings = yield* refresh.pipe(
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
      ))

    // -- annotations and rollback --

    const refreshAfterAppend = (t: StatusTarget, back: EventStream) =>
      Effect.gen(function*() {
        const marker = yield* gitOp(t)
        const refresh: Effect.Effect<unknown, StatusFailure> = marker !== null
          ? Effect.fail(GitErrors.operationInProgress(t.statusDir, marker, "status.json was left as it was"))
          : materializeLocked(t, back)
        return yield* refresh.pipe(
          Effect.as([] as Array<string>),
          Effect.catchAll((e) =>
            Effect.succeed([
              `The event was recorded but status.json was not updated (${e.message}); run 'kittyctx status materialize'.`
            ])
          )
        )
      })

    const annotate = (t: StatusTarget, requests: ReadonlyArray<AnnotationRequest>) =>
      Effect.zipRight(checkTargets(t), withLock(
        t,
        Effect.gen(function*() {
          for (let attempt = 1;; attempt++) {
            const before = yield* repoFs.signature(logPath(t))
            const text = yield* reader.logText(t)
            yield* reader.stream(t, text)
            const rows: Array<Record<string, JsonValue>> = []
            for (const request of requests) {
              const stamp = yield* ids.next
              rows.push(yield* decideAnnotation(request, stamp))
            }
            if (!(yield* writeRows(t, text, before, rows))) {
              if (attempt < MAX_APPEND_ATTEMPTS) continue
              return yield* statusError(
                "STATUS_APPEND_CONTENDED",
                `The event log changed during every one of ${MAX_APPEND_ATTEMPTS} append attempts: ${logPath(t)}`,
                { path: logPath(t) }
              )
            }
            const back = yield* stream(t)
            const found = new Set(back.annotations.map((a) => a.event_id))
            const missing = rows.find((r) => !found.has(String(r.event_id)))
            if (missing !== undefined) {
              return yield* statusError(
                "STATUS_EVENT_PERSISTENCE_VERIFICATION_FAILED",
                `Status annotation persistence verification failed: event not found after append; ` +
                  `mission_slug=${t.missionSlug}; wp_id=${missing.wp_id}; event_id=${missing.event_id}; event_path=${logPath(t)}`,
                { event_id: missing.event_id, event_path: logPath(t) }
              )
            }
            const warnings = yield* refreshAfterAppend(t, back)
            return { events: rows, statusEventsPath: logPath(t), warnings }
          }
        })
      ))

    const withRollback = <A, E, R>(t: StatusTarget, body: Effect.Effect<A, E, R>) =>
      Effect.zipRight(checkTargets(t), withLock(
        t,
        Effect.gen(function*() {
          const log = yield* repoFs.readBytes(logPath(t), { noFollow: true, maxBytes: 500 * 1024 * 1024 })
          const snap = yield* repoFs.readBytes(snapshotPath(t), { noFollow: true })
          const restore = (path: string, bytes: Uint8Array | null) =>
            bytes === null ? repoWrite.remove(t.scope, path) : Effect.asVoid(repoWrite.writeFile(t.scope, path, bytes))
          const rollback = Effect.gen(function*() {
            const now = yield* repoFs.readBytes(logPath(t), { noFollow: true, maxBytes: 500 * 1024 * 1024 })
            const same = now === null ? log === null : log !== null && Buffer.from(now).equals(Buffer.from(log))
            if (same) return
            yield* restore(logPath(t), log)
            yield* restore(snapshotPath(t), snap)
            yield* writeDerived(t, yield* snapshot(t))
          })
          return yield* body.pipe(
            Effect.tapError(() =>
              rollback.pipe(
                Effect.catchAll((e) =>
                  Effect.fail(
                    statusError(
                      "STATUS_ROLLBACK_FAILED",
                      `The command failed and its status append could not be rolled back (${e.message}); ` +
                        `check ${logPath(t)} against git before retrying`,
                      { path: logPath(t), cause: e.message }
                    )
                  )
                )
              )
            )
          )
        })
      ))

    return MissionStatus.of({
      transition,
      materialize: (t, options) =>
        Effect.zipRight(
          checkTargets(t),
          withLock(
            t,
            Effect.gen(function*() {
              if ((yield* repoFs.kind(logPath(t))) === null) {
                return yield* statusError(
                  "EVENT_LOG_NOT_FOUND",
                  `No event log found at ${logPath(t)}\nRun 'kittyctx status emit' to create the first event ` +
                    "(or spec-kitty's finalize-tasks to seed every work package).",
                  { path: logPath(t) }
                )
              }
              if (options?.force !== true) yield* refuseWhileRewriting(t)
              return yield* materializeLocked(t)
            })
          )
        ),
      materializeIfStale,
      withLock,
      annotate,
      withRollback
    })
  })
)

export { StatusError }
export type { StatusFailure, StatusTarget } from "./StatusReader.js"
