/**
 * `MissionStatus`, the one status facade: the only code that reads or writes `status.events.jsonl`
 * and `status.json`. Reads are lock-free snapshots; every write holds the mission's status lock.
 */
import { Context, Effect, Either, Layer } from "effect"
import { mergeEventLogs } from "../../core/merge/LogMerge.js"
import type { MergeError } from "../../core/merge/MergeError.js"
import { DERIVED_FILES, derivedViews } from "../../core/status/DerivedViews.js"
import { classifyRow } from "../../core/status/EventRow.js"
import type { EventStream } from "../../core/status/EventRow.js"
import type { Lane } from "../../core/status/Lane.js"
import { derivedDir } from "../../core/repo/Naming.js"
import { joinPath } from "../../core/repo/Paths.js"
import { GitErrors } from "../../core/repo/RepoError.js"
import { encodeLine } from "../../core/python/PyJson.js"
import type { JsonValue } from "../../core/python/PyJson.js"
import { snapshotBytes, snapshotOf } from "../../core/status/Snapshot.js"
import type { Snapshot } from "../../core/status/Snapshot.js"
import { decideTransition, needsRoster } from "../../core/status/StatusEvent.js"
import type { TransitionRequest } from "../../core/status/StatusEvent.js"
import { statusError, StatusError } from "../../core/status/StatusError.js"
import { parseFrontmatter, subtaskRoster, wpFileCandidates } from "../../core/status/WorkPackageFile.js"
import { EventIds } from "../ports/EventIds.js"
import { FileLock, LockTimeout } from "../ports/FileLock.js"
import { gitOperationInProgress, refuseDuringGitOp } from "../ports/GitFiles.js"
import { RepoFs } from "../ports/RepoFs.js"
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
  /**
   * Unites another copy of the mission's log into this one (the event-log union, docs/status-model.md
   * §13) and materializes: how the merge executor projects the placement log onto the target's.
   */
  readonly mergeLog: (
    target: StatusTarget,
    other: { readonly source: string; readonly text: string }
  ) => Effect.Effect<MaterializeOutcome & { readonly logWritten: boolean }, StatusFailure | MergeError>
  /**
   * Appends lifecycle envelope rows (rows every state reader skips, e.g. `retrospective.*`), each
   * stamped with a fresh `event_id` and `at`, then materializes. A row that would not read back as an
   * envelope is refused (`INVALID_REQUEST`).
   */
  readonly appendEnvelopes: (
    target: StatusTarget,
    rows: ReadonlyArray<Readonly<Record<string, JsonValue>>>
  ) => Effect.Effect<ReadonlyArray<Record<string, JsonValue>>, StatusFailure>
  /** Runs `effect` holding the mission's status lock (re-entrant: the facade's own writes inside reuse it). */
  readonly withLock: <A, E, R>(target: StatusTarget, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StatusFailure, R>
}>() {}


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
        const entries = (yield* repoFs.entries(t.tasksDir)) ?? []
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
        const text = (yield* repoFs.readText(file)) ?? ""
        const roster = Either.flatMap(parseFrontmatter(text), subtaskRoster)
        if (Either.isLeft(roster)) {
          return yield* statusError("WP_METADATA_INVALID", `Malformed work package metadata ${file}: ${roster.left}`, {
            wp_id: wpId,
            path: file
          })
        }
        return roster.right
      })

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
        const existing = text ?? ""
        const prefix = existing === "" || existing.endsWith("\n") ? existing : existing + "\n"
        const written = yield* repoWrite.writeFile(t.scope, path, prefix + encodeLine(decision.event) + "\n", {
          mode: before?.mode ?? 0o644,
          expect: before
        })
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

    const mergeLog = (t: StatusTarget, other: { readonly source: string; readonly text: string }) =>
      withLock(
        t,
        Effect.gen(function*() {
          const path = logPath(t)
          const before = yield* repoFs.signature(path)
          const current = (yield* reader.logText(t)) ?? ""
          const merged = yield* mergeEventLogs([{ source: path, text: current }, other])
          const logWritten = merged !== current
          if (logWritten) {
            const written = yield* repoWrite.writeFile(t.scope, path, merged, { mode: before?.mode ?? 0o644, expect: before })
            if (!written) {
              return yield* statusError("STATUS_APPEND_CONTENDED", `The event log changed while it was merged: ${path}`, { path })
            }
          }
          return { ...(yield* materializeLocked(t)), logWritten }
        })
      )

    const appendEnvelopes = (t: StatusTarget, rows: ReadonlyArray<Readonly<Record<string, JsonValue>>>) =>
      withLock(
        t,
        Effect.gen(function*() {
          const stamped: Array<Record<string, JsonValue>> = []
          for (const row of rows) {
            const stamp = yield* ids.next
            const full = Object.fromEntries(
              Object.entries({ ...row, event_id: stamp.eventId, at: stamp.at }).sort(([a], [b]) => (a < b ? -1 : 1))
            ) as Record<string, JsonValue>
            const kind = classifyRow(full, 0)
            if (Either.isLeft(kind) || kind.right.kind !== "envelope") {
              return yield* statusError("INVALID_REQUEST", "Only lifecycle envelope rows can be appended this way", { row: full })
            }
            stamped.push(full)
          }
          const path = logPath(t)
          const before = yield* repoFs.signature(path)
          const existing = (yield* reader.logText(t)) ?? ""
          const prefix = existing === "" || existing.endsWith("\n") ? existing : existing + "\n"
          const written = yield* repoWrite.writeFile(t.scope, path, prefix + stamped.map((r) => encodeLine(r) + "\n").join(""), {
            mode: before?.mode ?? 0o644,
            expect: before
          })
          if (!written) {
            return yield* statusError("STATUS_APPEND_CONTENDED", `The event log changed during the append: ${path}`, { path })
          }
          yield* materializeLocked(t)
          return stamped
        })
      )

    return MissionStatus.of({
      transition,
      appendEnvelopes,
      mergeLog,
      materialize: (t, options) =>
        Effect.zipRight(
          checkTargets(t),
          withLock(
            t,
            Effect.zipRight(
              options?.force === true ? Effect.void : refuseWhileRewriting(t),
              materializeLocked(t)
            )
          )
        ),
      materializeIfStale,
      withLock
    })
  })
)

export { StatusError }
export type { StatusFailure, StatusTarget } from "./StatusReader.js"
