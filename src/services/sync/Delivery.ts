/**
 * `sync push` (docs/surfaces.md §8.5): for every registered project, every mission log on its canonical
 * status surface is read read-only, the events its cursor has not seen are sent in log order as
 * CloudEvents batches, and the cursor moves only after the sink acknowledged (at least once: a crash
 * re-sends, never loses; the sink de-duplicates on the event id). The logs are the outbox: nothing is
 * copied into a second queue. Transient failures back off with full jitter (`Retry-After` honoured); a
 * batch the sink refuses is retried event by event and what is still refused goes to the dead-letter
 * file. One delivery round per scope at a time (the scope's delivery lock); the daemon runs the same round.
 */
import { Clock, Effect, Random } from "effect"
import { lockPathOf } from "../../core/repo/Naming.js"
import { retryDelayMs, verdictOf } from "../../core/sync/Backoff.js"
import { batchBody, BATCH_CONTENT_TYPE, batchLength, cloudEventSize, cloudEventText, sourceOf } from "../../core/sync/CloudEvents.js"
import { displaySink } from "../../core/sync/SyncConfig.js"
import type { SyncConfig } from "../../core/sync/SyncConfig.js"
import { syncError } from "../../core/sync/SyncError.js"
import type { SyncError } from "../../core/sync/SyncError.js"
import { NO_DELIVERY, sameSignature } from "../../core/sync/SyncRecords.js"
import type { DeadLetter, DeliveryState, ProjectDelivery } from "../../core/sync/SyncRecords.js"
import { FileLock, lockTimeoutAs } from "../ports/FileLock.js"
import type { LockError, LockTimeout } from "../ports/FileLock.js"
import { HttpSink } from "../ports/HttpSink.js"
import { Settings } from "../ports/Settings.js"
import type { ResolveRequirements } from "../context/ResolveContext.js"
import { sha256Hex } from "../ports/Crypto.js"
import { formatIsoUtcMillis } from "../../core/status/Ulid.js"
import type { PendingEvent } from "../../core/sync/LogScan.js"
import { eachSlice, openLog, projectSources } from "./LogSources.js"
import type { LogSlice, LogSource, OpenOptions, ProjectSources, SkippedMission } from "./LogSources.js"
import type { RuntimeFiles } from "./RuntimeFiles.js"
import {
  appendDeadLetters,
  readConfig,
  readProjects,
  readState,
  runtimeOf,
  appendSeenIds,
  scopeIdOf,
  writeCursorHead,
  writeState
} from "./SyncStore.js"
import type { Runtime, StoreError } from "./SyncStore.js"

/** What a delivery round needs. */
export type DeliveryRequirements = ResolveRequirements | RuntimeFiles | FileLock | HttpSink

/** How one round retries. */
export interface RoundOptions {
  /** Attempts per request before the round stops (default: the configuration's `max_attempts`). */
  readonly maxAttempts?: number
  /** The longest single wait the round accepts; a longer one ends the round (default: one minute). */
  readonly maxWaitMs?: number
  /** Where a project's logs are (default: resolved now); the daemon passes the sources it keeps. */
  readonly sources?: (root: string) => Effect.Effect<ProjectSources, never, ResolveRequirements>
  /** How logs are opened (tests choose small blocks and slices). */
  readonly open?: OpenOptions
  /** Events between mid-log cursor writes (default 1,000; tests choose fewer). */
  readonly checkpointEvents?: number
}

/** Why a round stopped before delivering everything. */
export interface RoundStop {
  readonly code: "SINK_UNAVAILABLE" | "SINK_REFUSED"
  readonly reason: string
  readonly status: number | null
  /** When the next attempt may be made (backoff or `Retry-After`), epoch ms. */
  readonly retryAtMs: number | null
}

/** One mission's part of a round. */
export interface MissionOutcome {
  readonly mission: string
  readonly mission_key: string
  readonly delivered: number
  readonly dead_lettered: number
  /** Events still to deliver after the round. */
  readonly pending: number
  /** True when the log was rewritten since its cursor (read again from the start; only new ids sent). */
  readonly rescanned: boolean
  readonly malformed_lines: number
  readonly unidentified_lines: number
  readonly error: { readonly code: string; readonly message: string } | null
}

/** One project's part of a round. */
export interface ProjectOutcome {
  readonly root: string
  readonly delivered: number
  readonly dead_lettered: number
  readonly pending: number
  readonly missions: ReadonlyArray<MissionOutcome>
  readonly skipped: ReadonlyArray<SkippedMission>
  readonly error: { readonly code: string; readonly message: string } | null
}

/** A round's outcome. */
export interface RoundOutcome {
  readonly scope_id: string
  readonly sink: string
  readonly delivered: number
  readonly dead_lettered: number
  readonly pending: number
  readonly projects: ReadonlyArray<ProjectOutcome>
  readonly stopped: RoundStop | null
}

/** What the round sends with: the sink and its headers, and the knobs. */
interface Ctx {
  readonly rt: Runtime
  readonly scopeId: string
  readonly config: SyncConfig
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly maxAttempts: number
  readonly maxWaitMs: number
  readonly sources: (root: string) => Effect.Effect<ProjectSources, never, ResolveRequirements>
  readonly open: OpenOptions
  readonly checkpointEvents: number
}

type SendResult =
  | { readonly _tag: "Acknowledged" }
  | { readonly _tag: "Rejected"; readonly status: number; readonly reason: string }
  | { readonly _tag: "Stopped"; readonly stop: RoundStop }

/** The longest wait one round sleeps through (a longer `Retry-After` ends it, with the time to come back). */
const MAX_WAIT_MS = 60_000

/** After this many events a round writes the cursor even mid-log (or after half of `seen` again, when more). */
const CHECKPOINT_EVENTS = 1000

const send = (ctx: Ctx, texts: ReadonlyArray<string>, ids: ReadonlyArray<string>): Effect.Effect<SendResult, never, HttpSink> =>
  Effect.gen(function*() {
    const sink = yield* HttpSink
    const d = ctx.config.delivery
    const request = {
      url: ctx.url,
      headers: { ...ctx.headers, "idempotency-key": sha256Hex(`${ctx.scopeId}\n${ids.join("\n")}`).slice(0, 32) },
      body: batchBody(texts),
      timeoutMs: d.request_timeout_ms
    }
    for (let attempt = 0;; attempt++) {
      const reply = yield* sink.post(request)
      const now = yield* Clock.currentTimeMillis
      const verdict = verdictOf(reply, now)
      switch (verdict._tag) {
        case "Acknowledged":
          return { _tag: "Acknowledged" } as const
        case "Rejected":
          return { _tag: "Rejected", status: verdict.status, reason: verdict.reason } as const
        case "Refused":
          return {
            _tag: "Stopped",
            stop: { code: "SINK_REFUSED", reason: verdict.reason, status: verdict.status, retryAtMs: null }
          } as const
        case "Transient":
        case "Throttled": {
          const delay = retryDelayMs(verdict, attempt, { baseMs: d.backoff_base_ms, capMs: d.backoff_cap_ms }, yield* Random.next)
          if (attempt + 1 >= ctx.maxAttempts || delay > ctx.maxWaitMs) {
            const status = reply._tag === "Response" ? reply.status : null
            return {
              _tag: "Stopped",
              stop: { code: "SINK_UNAVAILABLE", reason: verdict.reason, status, retryAtMs: now + delay }
            } as const
          }
          yield* Effect.sleep(delay)
        }
      }
    }
  })

const zeroMission = (s: LogSource, error: MissionOutcome["error"] = null): MissionOutcome => ({
  mission: s.missionSlug,
  mission_key: s.missionKey,
  delivered: 0,
  dead_lettered: 0,
  pending: 0,
  rescanned: false,
  malformed_lines: 0,
  unidentified_lines: 0,
  error
})

/** Delivers one log; returns its outcome and, if the sink stopped the round, why. */
const deliverLog = (ctx: Ctx, source: LogSource) =>
  Effect.gen(function*() {
    const opened = yield* Effect.either(openLog(ctx.rt, ctx.scopeId, source, ctx.open))
    if (opened._tag === "Left") {
      return { outcome: zeroMission(source, { code: opened.left.code, message: opened.left.message }), stop: null }
    }
    const log = opened.right
    if (log === null) return { outcome: zeroMission(source), stop: null }
    const { hasher, head, seen } = log
    const origin = { projectId: source.projectId, missionKey: source.missionKey, missionSlug: source.missionSlug }
    const src = sourceOf(origin)
    const letters: Array<DeadLetter> = []
    let upgradePending = log.upgrade
    let offset = log.start
    let sinceCheckpoint = 0
    let dirty = false
    let delivered = 0
    let deadLettered = 0
    let left = 0
    let malformedLines = 0
    let unidentifiedLines = 0
    let current: LogSlice | null = null
    /** Brings the prefix hash up to the offset (both in the current slice): at a write and at a slice's end. */
    const hashToOffset = () => {
      if (current !== null && offset > hasher.length) hasher.update(current.bytes.subarray(hasher.length - current.from, offset - current.from))
    }
    const handled = (e: PendingEvent) => {
      seen.add(e.id)
      offset = e.end
      dirty = true
      sinceCheckpoint++
    }
    const checkpoint = Effect.gen(function*() {
      if (!dirty) return
      hashToOffset()
      yield* appendDeadLetters(ctx.rt, ctx.scopeId, letters.splice(0))
      // the seen ids first (appended), then the filter and the head: a crash leaves more ids, never fewer
      const bytes = yield* appendSeenIds(ctx.rt, ctx.scopeId, source.key, seen.bytes, seen.fresh, () => [...(seen.exact ?? [])])
      seen.bytes = bytes
      seen.fresh = []
      yield* writeCursorHead(ctx.rt, ctx.scopeId, source.key, {
        path: source.logPath,
        offset,
        block_bytes: hasher.blockBytes,
        blocks: hasher.digests(),
        file: log.file,
        signature: offset === log.end && log.consistent ? log.signature : null,
        seen_count: seen.count,
        seen_bytes: bytes
      }, seen.filter, upgradePending)
      upgradePending = false
      dirty = false
      sinceCheckpoint = 0
    })
    let stop: RoundStop | null = null
    const d = ctx.config.delivery
    // slice by slice: one slice's bytes, events and texts are held at a time, whatever the backlog's size
    const walked = yield* Effect.either(eachSlice(ctx.rt, ctx.scopeId, log, (slice) =>
      Effect.gen(function*() {
        current = slice
        const backlog = slice.backlog
        malformedLines += backlog.malformed.length
        unidentifiedLines += backlog.unidentified
        const pending = backlog.pending
        if (stop !== null) {
          // the sink stopped the round: the rest is only counted
          left += pending.length
          return
        }
        const sizes = pending.map((e) => cloudEventSize(origin, src, e))
        const textOf = (k: number) => cloudEventText(origin, src, pending[k])
        let i = 0
        while (i < pending.length && stop === null) {
          const n = batchLength(sizes, i, d.batch_max_events, d.batch_max_bytes)
          const batch = pending.slice(i, i + n)
          const result = yield* send(ctx, batch.map((_, j) => textOf(i + j)), batch.map((e) => e.id))
          if (result._tag === "Acknowledged") {
            for (const e of batch) handled(e)
            delivered += n
          } else if (result._tag === "Rejected") {
            // one by one: the events the sink accepts alone are delivered, the others dead-lettered, in order
            for (let k = i; k < i + n && stop === null; k++) {
              const single = n === 1 ? result : yield* send(ctx, [textOf(k)], [pending[k].id])
              if (single._tag === "Acknowledged") {
                handled(pending[k])
                delivered++
              } else if (single._tag === "Rejected") {
                letters.push({
                  dead_lettered_at: formatIsoUtcMillis(yield* Clock.currentTimeMillis),
                  project_root: source.projectRoot,
                  mission: source.missionKey,
                  event_id: pending[k].id,
                  status: single.status,
                  response: single.reason,
                  event: JSON.parse(textOf(k)) as unknown
                })
                handled(pending[k])
                deadLettered++
              } else {
                stop = single.stop
                left += i + n - k
              }
            }
          } else {
            stop = result.stop
            left += n
          }
          i += n
          if (stop !== null) left += pending.length - i
          if (sinceCheckpoint >= Math.max(ctx.checkpointEvents, seen.count / 2)) yield* checkpoint
        }
        // every line of the slice is handled (blank, refused and already seen lines included)
        if (stop === null) offset = backlog.end
        hashToOffset()
      })))
    const recordSignature = log.consistent && offset === log.end && !sameSignature(head?.signature, log.signature)
    // a log replaced while it was read is left as its cursor describes it unless events were handled
    const finished = stop === null && !log.replaced
    if (finished && (head === null || log.rescanned || log.upgrade || offset !== head.offset || recordSignature)) dirty = true
    yield* checkpoint
    const failed = walked._tag === "Left" ? { code: walked.left.code, message: walked.left.message } : null
    return {
      outcome: {
        mission: source.missionSlug,
        mission_key: source.missionKey,
        delivered,
        dead_lettered: deadLettered,
        pending: left,
        rescanned: log.rescanned,
        malformed_lines: malformedLines,
        unidentified_lines: unidentifiedLines,
        error: failed
      } satisfies MissionOutcome,
      stop: stop as RoundStop | null
    }
  })

/** The request headers: the batch media type, and the bearer token when one is configured (`SINK_TOKEN_MISSING` when its variable is unset). */
export const headersOf = (config: SyncConfig): Effect.Effect<Record<string, string>, SyncError, Settings> =>
  Effect.gen(function*() {
    const settings = yield* Settings
    const headers: Record<string, string> = { "content-type": BATCH_CONTENT_TYPE, accept: "application/json" }
    const name = config.sink?.token_env ?? null
    if (name !== null) {
      const token = settings.secret(name)
      if (token === undefined) {
        return yield* syncError("SINK_TOKEN_MISSING", `The sink's token variable ${name} is not set; set it or run 'kittyctx sync config --token-env NAME'`, {
          token_env: name
        })
      }
      headers.authorization = `Bearer ${token}`
    }
    return headers
  })

/** One delivery round over every registered project (the caller holds the scope's delivery lock). */
const round = (ctx: Ctx): Effect.Effect<RoundOutcome, StoreError, DeliveryRequirements> =>
  Effect.gen(function*() {
    const list = yield* readProjects(ctx.rt)
    const state = yield* readState(ctx.rt, ctx.scopeId)
    const next: Record<string, ProjectDelivery> = { ...state.projects }
    const projects: Array<ProjectOutcome> = []
    let stopped: RoundStop | null = null
    for (const entry of list.projects) {
      if (stopped !== null) break
      const found = yield* ctx.sources(entry.root)
      const missions: Array<MissionOutcome> = []
      for (const source of found.sources) {
        if (stopped !== null) break
        const { outcome, stop } = yield* deliverLog(ctx, source)
        missions.push(outcome)
        stopped = stop
      }
      const sum = (f: (m: MissionOutcome) => number) => missions.reduce((a, m) => a + f(m), 0)
      const outcome: ProjectOutcome = {
        root: entry.root,
        delivered: sum((m) => m.delivered),
        dead_lettered: sum((m) => m.dead_lettered),
        pending: sum((m) => m.pending),
        missions,
        skipped: found.skipped,
        error: found.error
      }
      projects.push(outcome)
      const now = formatIsoUtcMillis(yield* Clock.currentTimeMillis)
      const before = next[entry.root] ?? NO_DELIVERY
      const attempted = stopped !== null || outcome.delivered > 0 || outcome.dead_lettered > 0
      // a round with nothing to send leaves the state as it was (nothing was attempted, no file is written)
      if (!attempted && before.consecutive_failures === 0 && before.next_attempt_at === null) continue
      next[entry.root] = stopped === null
        ? {
          last_success_at: outcome.delivered > 0 || outcome.dead_lettered > 0 ? now : before.last_success_at,
          last_attempt_at: attempted ? now : before.last_attempt_at,
          consecutive_failures: 0,
          last_error: null,
          next_attempt_at: null
        }
        : {
          last_success_at: outcome.delivered > 0 ? now : before.last_success_at,
          last_attempt_at: now,
          consecutive_failures: before.consecutive_failures + 1,
          last_error: `${stopped.code}: ${stopped.reason}`,
          next_attempt_at: stopped.retryAtMs === null ? null : formatIsoUtcMillis(stopped.retryAtMs)
        }
    }
    const registered = new Set(list.projects.map((p) => p.root))
    const kept: DeliveryState = { projects: Object.fromEntries(Object.entries(next).filter(([root]) => registered.has(root))) }
    if (JSON.stringify(kept) !== JSON.stringify(state)) yield* writeState(ctx.rt, ctx.scopeId, kept)
    const total = (f: (p: ProjectOutcome) => number) => projects.reduce((a, p) => a + f(p), 0)
    return {
      scope_id: ctx.scopeId,
      sink: displaySink(ctx.url),
      delivered: total((p) => p.delivered),
      dead_lettered: total((p) => p.dead_lettered),
      pending: total((p) => p.pending),
      projects,
      stopped
    }
  })

/** The configured sink and its scope, or `SYNC_NOT_CONFIGURED`. */
export const configuredSink = Effect.gen(function*() {
  const rt = yield* runtimeOf
  const config = yield* readConfig(rt)
  if (config.sink === null) {
    return yield* syncError("SYNC_NOT_CONFIGURED", "No sink is configured; run 'kittyctx sync config --sink URL'")
  }
  return { rt, config, sink: config.sink, scopeId: scopeIdOf(config.sink.url) }
})

/** Runs `effect` holding the scope's delivery lock; a lock that stays taken is `SYNC_DELIVERY_BUSY`. */
export const withDeliveryLock = (rt: Runtime, scopeId: string) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, Exclude<E | LockError, LockTimeout> | SyncError, R | FileLock> =>
  Effect.flatMap(FileLock, (locks) =>
    locks.withExclusive({ path: lockPathOf(rt.root, { _tag: "SyncDelivery", scopeId }), scope: rt.scope })(effect).pipe(
      lockTimeoutAs((e) =>
        syncError("SYNC_DELIVERY_BUSY", `Another delivery of this sink is still running (waited ${e.timeoutMs} ms); try again`, {
          lock: e.path,
          holder: e.holder
        })
      )
    ))

/** One delivery round under the delivery lock (the same round `sync push` and the daemon run). */
export const deliverRound = (options: RoundOptions = {}) =>
  Effect.gen(function*() {
    const { config, rt, scopeId, sink } = yield* configuredSink
    const headers = yield* headersOf(config)
    const ctx: Ctx = {
      rt,
      scopeId,
      config,
      url: sink.url,
      headers,
      maxAttempts: options.maxAttempts ?? config.delivery.max_attempts,
      maxWaitMs: options.maxWaitMs ?? MAX_WAIT_MS,
      sources: options.sources ?? projectSources,
      open: options.open ?? {},
      checkpointEvents: options.checkpointEvents ?? CHECKPOINT_EVENTS
    }
    return yield* withDeliveryLock(rt, scopeId)(round(ctx))
  })
