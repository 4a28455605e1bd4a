/**
 * `MissionStatus`, the one status facade: the only code that reads or writes `status.events.jsonl`
 * and `status.json`. Reads are lock-free snapshots; every write holds the mission's status lock.
 */
import { Context, Effect, Either, Layer } from "effect"
import { mergeEventLogs } from "../../core/merge/LogMerge.js"
import type { MergeError } from "../../core/merge/MergeError.js"
import { DERIVED_FILES, derivedViews } from "../../core/status/DerivedViews.js"
import type { FoldView, IncrementalFold } from "../../core/status/IncrementalFold.js"
import { classifyRow } from "../../core/status/EventRow.js"
import type { Lane } from "../../core/status/Lane.js"
import { derivedDir } from "../../core/repo/Naming.js"
import { joinPath } from "../../core/repo/Paths.js"
import { decodeUtf8 } from "../../core/repo/Text.js"
import { GitErrors } from "../../core/repo/RepoError.js"
import { encodeLine } from "../../core/python/PyJson.js"
import type { JsonValue } from "../../core/python/PyJson.js"
import { snapshotBytes } from "../../core/status/Snapshot.js"
import type { Snapshot } from "../../core/status/Snapshot.js"
import { decideAnnotation } from "../../core/status/Annotation.js"
import type { AnnotationRequest } from "../../core/status/Annotation.js"
import { decideTransition, needsRoster } from "../../core/status/StatusEvent.js"
import type { TransitionRequest } from "../../core/status/StatusEvent.js"
import { statusError, StatusError } from "../../core/status/StatusError.js"
import { parseFrontmatter, subtaskRoster, wpFileCandidates } from "../../core/status/WorkPackageFile.js"
import { EventIds } from "../ports/EventIds.js"
import { FileLock, lockTimeoutAs } from "../ports/FileLock.js"
import { gitOperationInProgress, refuseDuringGitOp } from "../ports/GitFiles.js"
import { readRange, RepoFs, sameBytes } from "../ports/RepoFs.js"
import type { FileSignature } from "../ports/RepoFs.js"
import { RepoWrite } from "../ports/RepoWrite.js"
import { feed, foldForRead, foldLog, saveCheckpoint, snapshotOfFold, tailParses } from "./LogFold.js"
import type { LogFold } from "./LogFold.js"
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

/** A row the facade appended: as written, with the fold of the log that now ends with it. */
export interface AppendedRow {
  readonly row: Record<string, JsonValue>
  readonly fold: IncrementalFold
  /** A torn last line that was removed first, reported once. */
  readonly warnings: ReadonlyArray<string>
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
   * The one append to the log, for transitions and annotations: under the lock, `build` sees the fold of
   * the log and returns the row to append (`null`: nothing); the line is appended, verified and folded in.
   * The caller materializes (the result carries the fold).
   */
  readonly appendRow: <E, R>(
    target: StatusTarget,
    build: (view: FoldView) => Effect.Effect<Record<string, JsonValue> | null, E, R>
  ) => Effect.Effect<AppendedRow | null, E | StatusFailure, R>
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
  // -- annotations and rollback (docs/status-model.md §6.5, §12.1) --
  /** Annotation rows (e.g. mark-status's subtask marks), one append: lock, decide, append, read back, materialize. */
  readonly annotate: (
    target: StatusTarget,
    requests: ReadonlyArray<AnnotationRequest>
  ) => Effect.Effect<AnnotateOutcome, StatusFailure>
  /**
   * Runs `body` under the lock; if it fails, `status.events.jsonl` is cut back to the length it had and
   * `status.json` returns to its bytes (the derived views follow), so a failed commit leaves no event behind.
   */
  readonly withRollback: <A, E, R>(target: StatusTarget, body: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StatusFailure, R>
}>() {}

/** The result of an annotate: the rows as written. */
export interface AnnotateOutcome {
  readonly events: ReadonlyArray<Record<string, JsonValue>>
  readonly statusEventsPath: string
  readonly warnings: ReadonlyArray<string>
}

/** The live facade over the real file system, the flock primitive and the event clock. */
export const make = Effect.gen(function*() {
  const reader = yield* StatusReader
  const repoFs = yield* RepoFs
  const repoWrite = yield* RepoWrite
  const locks = yield* FileLock
  const ids = yield* EventIds

  const logPath = logPathOf
  const snapshotPath = snapshotPathOf

  const withLock = <A, E, R>(t: StatusTarget, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StatusFailure, R> =>
    locks.withExclusive(t.lock)(effect).pipe(
      lockTimeoutAs((e) =>
        statusError("STATUS_LOCK_TIMEOUT", `Timed out acquiring feature status lock for ${t.missionSlug}: ${e.path}`, {
          mission_slug: t.missionSlug,
          lock_path: e.path,
          timeout_ms: e.timeoutMs,
          holder: e.holder
        })
      )
    ) as Effect.Effect<A, E | StatusFailure, R>

  const gitOp = (t: StatusTarget) => gitOperationInProgress(t.statusDir).pipe(Effect.provideService(RepoFs, repoFs))

  const writeIfChanged = (t: StatusTarget, path: string, bytes: string, durable: boolean) =>
    Effect.gen(function*() {
      const current = yield* repoFs.readText(path, { noFollow: true })
      if (current === bytes) return false
      yield* repoWrite.writeFile(t.scope, path, bytes, { durable })
      return true
    })

  const writeDerived = (t: StatusTarget, snap: Snapshot, encoded?: string) =>
    Effect.gen(function*() {
      const dir = derivedDir(t.workspaceRoot, t.missionSlug)
      yield* repoWrite.makeDirectory(t.scope, dir)
      const views = derivedViews(snap, encoded)
      const written: Array<string> = []
      const unchanged: Array<string> = []
      for (const name of DERIVED_FILES) {
        const path = joinPath(dir, name)
        // a cache (docs/status-model.md §9.2): replaced atomically, not fsynced; a lost view is stale and rebuilt
        ;((yield* writeIfChanged(t, path, views[name], false)) ? written : unchanged).push(path)
      }
      return { written, unchanged }
    })

  /** Writes the snapshot of a fold and the derived views, each only when its bytes differ. */
  const writeSnapshot = (t: StatusTarget, fold: IncrementalFold) =>
    Effect.gen(function*() {
      const snap = snapshotOfFold(fold, t)
      const path = snapshotPath(t)
      const bytes = snapshotBytes(snap)
      const written = yield* writeIfChanged(t, path, bytes, true)
      const derived = yield* writeDerived(t, snap, bytes)
      return { path, written, snapshot: snap, derived }
    })

  /** The checkpoint is a cache: failing to save it never fails the write that produced it. */
  const keepCheckpoint = (t: StatusTarget, lf: LogFold, after: FileSignature | null) =>
    lf.hasher === null || after === null || lf.tailFolded || lf.lines.pending.length > 0
      ? Effect.void
      : saveCheckpoint(repoFs, repoWrite, t, { fold: lf.fold, lines: lf.lines, hasher: lf.hasher }, after).pipe(
        Effect.catchAll(() => Effect.void)
      )

  /**
   * Every file a status write may touch (the log, status.json, the derived views), checked before the
   * first byte is written: a link, a FIFO or a location outside the repository refuses the whole write.
   */
  const checkTargets = (t: StatusTarget) =>
    repoWrite.check(t.scope, [
      logPath(t),
      snapshotPath(t),
      ...DERIVED_FILES.map((name) => joinPath(derivedDir(t.workspaceRoot, t.missionSlug), name))
    ])

  /** Under the lock: folds the log, writes the snapshot and the checkpoint. */
  const materializeLocked = (t: StatusTarget) =>
    Effect.gen(function*() {
      yield* checkTargets(t)
      const lf = yield* foldLog(repoFs, t, { hash: true, tail: "fold" })
      yield* keepCheckpoint(t, lf, lf.signature)
      return yield* writeSnapshot(t, lf.fold)
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
        // empty: a view is never empty JSON; a crash can leave one so, since views are not fsynced (§9.2)
        if (sig === null || sig.size === 0) return true
        if (log !== null && log.mtimeNs > sig.mtimeNs) return true
      }
      return false
    })

  const readSnapshot = (t: StatusTarget) => Effect.map(foldForRead(repoFs, t), (lf) => snapshotOfFold(lf.fold, t))

  const materializeIfStale = (t: StatusTarget) =>
    Effect.gen(function*() {
      const stale = yield* isStale(t)
      if (!stale) return { snapshot: yield* readSnapshot(t), regenerated: false, blockedBy: null }
      const marker = yield* gitOp(t)
      if (marker !== null) return { snapshot: yield* readSnapshot(t), regenerated: false, blockedBy: marker }
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

  /**
   * Completes or removes an unterminated last line under the lock: whole rows someone wrote without
   * their newline get it (an append, never a rewrite); a torn line an interrupted append left (it does not
   * parse) is cut back to the last complete line, and reported.
   */
  const repairTail = (t: StatusTarget, lf: LogFold) =>
    Effect.gen(function*() {
      const pending = lf.lines.pending
      if (pending.length === 0) return { lf, warnings: [] as Array<string> }
      const path = logPath(t)
      if (tailParses(pending)) {
        yield* repoWrite.append(t.scope, path, "\n")
        return { lf: yield* foldLog(repoFs, t, { hash: true, tail: "leave" }), warnings: [] }
      }
      yield* repoWrite.truncate(t.scope, path, lf.lines.offset)
      const text = Either.getOrElse(decodeUtf8(pending), () => "(bytes that are not UTF-8)")
      const shown = text.length > 200 ? `${text.slice(0, 200)}...` : text
      return {
        lf: yield* foldLog(repoFs, t, { hash: true, tail: "leave" }),
        warnings: [
          `Removed a torn last line of ${path} (${pending.length} bytes without a newline at offset ${lf.lines.offset}, ` +
          `left by an interrupted write): ${JSON.stringify(shown)}`
        ]
      }
    })

  const persistenceFailure = (t: StatusTarget, problem: string, event: Record<string, JsonValue>) =>
    statusError(
      "STATUS_EVENT_PERSISTENCE_VERIFICATION_FAILED",
      `Status transition event persistence verification failed: ${problem}; mission_slug=${t.missionSlug}; ` +
        `mission_id=${t.missionId}; wp_id=${String(event.wp_id)}; target_lane=${String(event.to_lane ?? "")}; ` +
        `event_id=${String(event.event_id)}; event_path=${logPath(t)}`,
      { invariant: "STA-002", event_id: event.event_id, event_path: logPath(t) }
    )

  /**
   * The one append of the facade (transitions and annotations alike), under the status lock (the caller
   * has checked the targets and holds it): fold the log (from the checkpoint), repair an unterminated tail,
   * let `build` decide the row from the fold (`null`: nothing to write), append its line in one write at
   * the end (status-model §12), verify the appended bytes by reading them back, fold them in, and save the
   * checkpoint.
   */
  const appendLinesLocked = <E, R>(
    t: StatusTarget,
    build: (view: FoldView) => Effect.Effect<ReadonlyArray<Record<string, JsonValue>> | null, E, R>
  ): Effect.Effect<{ readonly rows: ReadonlyArray<Record<string, JsonValue>>; readonly fold: IncrementalFold; readonly warnings: ReadonlyArray<string> } | null, E | StatusFailure, R> =>
    Effect.gen(function*() {
      const repaired = yield* repairTail(t, yield* foldLog(repoFs, t, { hash: true, tail: "leave" }))
      let lf = repaired.lf
      const rows = yield* build(lf.fold.view())
      if (rows === null || rows.length === 0) return null
      // again under the lock, before the append: status.json must be replaceable, so an emit never
      // appends and then fails (or blocks) writing it
      yield* checkTargets(t)
      const path = logPath(t)
      const line = new TextEncoder().encode(rows.map((row) => encodeLine(row) + "\n").join(""))
      // room for the line and for what follows it (status.json and the derived views, about three
      // times the snapshot): a full disk is refused before the append, not after it
      const snapshotSize = (yield* repoFs.signature(snapshotPath(t)))?.size ?? 0
      const out = yield* repoWrite.append(t.scope, path, line, { reserve: 3 * snapshotSize + 16 * 1024 })
      const back = yield* readRange(repoFs, path, { noFollow: true, from: out.offset, to: out.offset + line.length })
      if (back === null || !sameBytes(back.bytes, line)) {
        return yield* persistenceFailure(t, "the appended line reads back differently", rows[0])
      }
      const fed = lf.hasher === null || lf.lines.offset !== out.offset
        ? "stopped"
        : feed(lf.lines, back.bytes, (r) => lf.fold.stepOwn(r), lf.hasher)
      // a row out of sort order (a clock set back), or another writer between: fold the log again
      if (fed !== null) lf = yield* foldLog(repoFs, t, { hash: true, tail: "leave" })
      yield* keepCheckpoint(t, lf, fed === null ? out.after : lf.signature)
      return { rows, fold: lf.fold, warnings: repaired.warnings }
    })

  /** One row through the append, by a caller that has checked the targets and holds the lock. */
  const appendRowLocked = <E, R>(
    t: StatusTarget,
    build: (view: FoldView) => Effect.Effect<Record<string, JsonValue> | null, E, R>
  ): Effect.Effect<AppendedRow | null, E | StatusFailure, R> =>
    Effect.map(
      appendLinesLocked(t, (view) => Effect.map(build(view), (row) => (row === null ? null : [row]))),
      (out) => (out === null ? null : { row: out.rows[0], fold: out.fold, warnings: out.warnings })
    )

  const appendRow = <E, R>(
    t: StatusTarget,
    build: (view: FoldView) => Effect.Effect<Record<string, JsonValue> | null, E, R>
  ): Effect.Effect<AppendedRow | null, E | StatusFailure, R> =>
    // refused before the lock is taken: a status write outside the repository creates nothing at all
    Effect.zipRight(checkTargets(t), withLock(t, appendRowLocked(t, build)))

  const transition = (t: StatusTarget, request: TransitionRequest) =>
    // refused before the lock is taken: a status write outside the repository creates nothing at all
    Effect.zipRight(checkTargets(t), withLock(
      t,
      Effect.gen(function*() {
        let noop: { readonly from: Lane; readonly to: Lane } | null = null
        let decided: { readonly from: Lane; readonly to: Lane } | null = null
        const appended = yield* appendRowLocked(t, (view) =>
          Effect.gen(function*() {
            const roster = needsRoster(view, request) ? yield* loadRoster(t, request.wpId) : null
            const stamp = yield* ids.next
            const decision = yield* decideTransition(view, request, {
              missionSlug: t.missionSlug,
              missionId: t.missionId,
              eventId: stamp.eventId,
              at: stamp.at,
              workspaceRoot: t.workspaceRoot,
              roster
            })
            if (decision._tag === "NoOp") {
              noop = { from: decision.from, to: decision.to }
              return null
            }
            decided = { from: decision.from, to: decision.to }
            return decision.event
          }))
        if (appended === null) {
          const n = noop as { readonly from: Lane; readonly to: Lane } | null
          return { event: null, from: n?.from ?? "genesis", to: n?.to ?? "genesis", statusEventsPath: logPath(t), warnings: [] }
        }
        const d = decided as unknown as { readonly from: Lane; readonly to: Lane }
        const warnings = [...appended.warnings, ...(yield* refreshAfterAppend(t, appended.fold))]
        return { event: appended.row, from: d.from, to: d.to, statusEventsPath: logPath(t), warnings }
      })
    ))

  // -- annotations and rollback (docs/status-model.md §6.5, §12.1) --

  /** Writes the snapshot of the fold after an append, unless git is rewriting the tree (then a warning). */
  const refreshAfterAppend = (t: StatusTarget, fold: IncrementalFold) =>
    Effect.gen(function*() {
      const marker = yield* gitOp(t)
      const refresh: Effect.Effect<unknown, StatusFailure> = marker !== null
        ? Effect.fail(GitErrors.operationInProgress(t.statusDir, marker, "status.json was left as it was"))
        : writeSnapshot(t, fold)
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
        const appended = yield* appendLinesLocked(t, () =>
          Effect.gen(function*() {
            const rows: Array<Record<string, JsonValue>> = []
            for (const request of requests) {
              const stamp = yield* ids.next
              rows.push(yield* decideAnnotation(request, stamp))
            }
            return rows
          }))
        if (appended === null) return { events: [], statusEventsPath: logPath(t), warnings: [] }
        const warnings = yield* refreshAfterAppend(t, appended.fold)
        return { events: appended.rows, statusEventsPath: logPath(t), warnings: [...appended.warnings, ...warnings] }
      })
    ))

  /**
   * Rollback of a failed bookkeeping write (issue: honest coordination emits): the log is cut back to
   * the length it had under the lock (only the bytes this command appended go; nothing before them is
   * rewritten), status.json returns to its bytes, and the derived views follow the log again.
   */
  const withRollback = <A, E, R>(t: StatusTarget, body: Effect.Effect<A, E, R>) =>
    Effect.zipRight(checkTargets(t), withLock(
      t,
      Effect.gen(function*() {
        const before = yield* repoFs.signature(logPath(t))
        // status.json and the derived views are small: their exact bytes (null: absent) are put back
        const derived = DERIVED_FILES.map((name) => joinPath(derivedDir(t.workspaceRoot, t.missionSlug), name))
        const kept: Array<readonly [string, Uint8Array | null]> = []
        for (const path of [snapshotPath(t), ...derived]) kept.push([path, yield* repoFs.readBytes(path, { noFollow: true })])
        const rollback = Effect.gen(function*() {
          const now = yield* repoFs.signature(logPath(t))
          const logUnchanged = now === null
            ? before === null
            : before !== null && now.size === before.size && now.mtimeNs === before.mtimeNs
          if (!logUnchanged) {
            if (before === null) yield* repoWrite.remove(t.scope, logPath(t))
            else yield* repoWrite.truncate(t.scope, logPath(t), before.size)
          }
          for (const [path, bytes] of kept) {
            const current = yield* repoFs.readBytes(path, { noFollow: true })
            if (current === null && bytes === null) continue
            if (current !== null && bytes !== null && sameBytes(current, bytes)) continue
            if (bytes === null) yield* repoWrite.remove(t.scope, path)
            else yield* repoWrite.writeFile(t.scope, path, bytes)
          }
          if (!logUnchanged && before !== null) {
            const lf = yield* foldLog(repoFs, t, { hash: true, tail: "fold" })
            yield* keepCheckpoint(t, lf, lf.signature)
          }
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
            return yield* statusError("STATUS_LOG_CONTENDED", `The event log changed while it was merged (a writer that does not take the status lock): ${path}`, { path })
          }
        }
        return { ...(yield* materializeLocked(t)), logWritten }
      })
    )

  const appendEnvelopes = (t: StatusTarget, rows: ReadonlyArray<Readonly<Record<string, JsonValue>>>) =>
    Effect.zipRight(checkTargets(t), withLock(
      t,
      Effect.gen(function*() {
        // every row stamped and checked before the first append: a refused row writes nothing
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
        // each row through the one append (status-model §12), then one materialization
        for (const row of stamped) yield* appendRowLocked(t, () => Effect.succeed(row))
        if (stamped.length > 0) yield* materializeLocked(t)
        return stamped
      })
    ))

  return MissionStatus.of({
    transition,
    appendRow,
    appendEnvelopes,
    mergeLog,
    materialize: (t, options) =>
      Effect.gen(function*() {
        yield* checkTargets(t)
        // refused before the lock is taken: nothing (not even the lock file) is created
        if ((yield* repoFs.kind(logPath(t))) === null) {
          return yield* statusError(
            "EVENT_LOG_NOT_FOUND",
            `No event log found at ${logPath(t)}\nRun 'kittyctx status emit' to create the first event ` +
              "(or spec-kitty's finalize-tasks to seed every work package).",
            { path: logPath(t) }
          )
        }
        return yield* withLock(
          t,
          Effect.zipRight(options?.force === true ? Effect.void : refuseWhileRewriting(t), materializeLocked(t))
        )
      }),
    materializeIfStale,
    withLock,
    annotate,
    withRollback
  })
})

/** Its layer. */
export const layer: Layer.Layer<MissionStatus, never, StatusReader | RepoFs | RepoWrite | FileLock | EventIds> = Layer.effect(MissionStatus, make)

export { StatusError }
export type { StatusFailure, StatusTarget } from "./StatusReader.js"
