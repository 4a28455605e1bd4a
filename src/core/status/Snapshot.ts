/**
 * The `status.json` snapshot (docs/status-model.md §8), its identity fields from `meta.json` (§8.2),
 * the optional retrospective block, weighted progress (§10) and time travel over the log.
 * Bare section numbers (§N) cite docs/status-model.md.
 */
import { Either } from "effect"
import type { EnvelopeRow, EventStream } from "./EventRow.js"
import { LANE_WEIGHTS } from "./Lane.js"
import type { Lane } from "./Lane.js"
import { fromIsoFormat } from "../python/IsoTime.js"
import { encodePretty, isJsonObject } from "../python/PyJson.js"
import type { JsonValue } from "../python/PyJson.js"
import { compareCodePoints } from "../repo/Text.js"
import { compareSortKey, reduce } from "./StatusFold.js"
import type { Reduction } from "./StatusFold.js"

/** Identity fields of the snapshot taken from `meta.json`. */
export interface SnapshotIdentity {
  /** `mission_number` from meta, normalised; `null` when meta gives none (then the slug's digits apply). */
  readonly mission_number: string | null
  readonly mission_type: string
}

/** Why `meta.json` cannot give a snapshot identity (materialize fails). */
export interface IdentityError {
  readonly field: "mission_number" | "document"
  readonly reason: string
}


/** §8.2: identity from a parsed `meta.json` (`undefined` = file absent). */
export const snapshotIdentity = (meta: unknown): Either.Either<SnapshotIdentity, IdentityError> => {
  if (meta === undefined) return Either.right({ mission_number: null, mission_type: "" })
  if (!isJsonObject(meta)) return Either.left({ field: "document", reason: "not a JSON object" })
  const type = meta.mission_type
  const mission_type = typeof type === "string" ? type.trim() : ""
  const raw = meta.mission_number
  if (raw === undefined || raw === null) return Either.right({ mission_number: null, mission_type })
  if (typeof raw === "number") {
    if (!Number.isSafeInteger(raw)) {
      return Either.left({ field: "mission_number", reason: `mission_number must be an integer, got ${raw}` })
    }
    return Either.right({ mission_number: String(raw), mission_type })
  }
  if (typeof raw === "string") {
    const trimmed = raw.trim()
    if (trimmed === "") return Either.right({ mission_number: null, mission_type })
    if (!/^[+-]?\d+$/.test(trimmed)) {
      return Either.left({ field: "mission_number", reason: `mission_number is not an integer: '${raw}'` })
    }
    return Either.right({ mission_number: BigInt(trimmed).toString(), mission_type })
  }
  return Either.left({ field: "mission_number", reason: `mission_number has type ${typeof raw}` })
}

/** The retrospective block (§8.1), present only when `retrospective.*` rows exist. */
export const reduceRetrospective = (envelopes: ReadonlyArray<EnvelopeRow>): Record<string, JsonValue> | null => {
  const events = envelopes
    .map((e) => e.row)
    .filter((r) => typeof r.event_name === "string" && r.event_name.startsWith("retrospective."))
  if (events.length === 0) return null
  const key = (r: Readonly<Record<string, unknown>>) => ({
    at: typeof r.at === "string" ? r.at : r.at === undefined ? "" : String(r.at),
    event_id: typeof r.event_id === "string" ? r.event_id : r.event_id === undefined ? "" : String(r.event_id)
  })
  const sorted = [...events].sort((a, b) => compareSortKey(key(a), key(b)))
  const payloadOf = (r: Readonly<Record<string, unknown>>): Record<string, unknown> =>
    isJsonObject(r.payload) ? r.payload : {}
  const requested = sorted.filter((r) => r.event_name === "retrospective.requested")
  const lastRequested = requested[requested.length - 1]
  const modeData = lastRequested === undefined ? undefined : payloadOf(lastRequested).mode
  const mode = isJsonObject(modeData) ? (modeData as JsonValue) : null
  const terminal = sorted.filter((r) =>
    r.event_name === "retrospective.completed" || r.event_name === "retrospective.skipped" ||
    r.event_name === "retrospective.failed"
  )
  const last = terminal[terminal.length - 1]
  let status = "pending"
  let record_path: string | null = null
  if (last !== undefined) {
    status = last.event_name === "retrospective.completed"
      ? "completed"
      : last.event_name === "retrospective.skipped"
      ? "skipped"
      : "failed"
    const rp = payloadOf(last).record_path
    if (rp !== undefined && rp !== null) record_path = String(rp)
  }
  const count = (name: string) => events.filter((r) => r.event_name === name).length
  const total = count("retrospective.proposal.generated")
  const applied = count("retrospective.proposal.applied")
  const rejected = count("retrospective.proposal.rejected")
  return {
    status,
    mode,
    record_path,
    proposals_total: total,
    proposals_applied: applied,
    proposals_rejected: rejected,
    proposals_pending: Math.max(0, total - applied - rejected)
  }
}

/** The snapshot object exactly as `status.json` holds it. */
export type Snapshot = Record<string, JsonValue>

/** Builds the snapshot from a reduction, the envelopes and the meta identity (§8.1). */
export const buildSnapshot = (
  reduction: Reduction,
  envelopes: ReadonlyArray<EnvelopeRow>,
  identity: SnapshotIdentity
): Snapshot => {
  const slug = reduction.mission_slug.trim()
  let mission_number = identity.mission_number
  if (mission_number === null) {
    const m = /^(\d+)-/.exec(slug)
    mission_number = m === null ? "" : BigInt(m[1]).toString()
  }
  const snapshot: Snapshot = {
    event_count: reduction.event_count,
    last_event_id: reduction.last_event_id,
    materialized_at: reduction.materialized_at,
    mission_number,
    mission_slug: slug,
    mission_type: identity.mission_type,
    summary: reduction.summary as unknown as JsonValue,
    work_packages: reduction.work_packages as unknown as JsonValue
  }
  const retro = reduceRetrospective(envelopes)
  if (retro !== null) snapshot.retrospective = retro
  return snapshot
}

/** Reduces a parsed stream and builds its snapshot: what `materialize` would write. */
export const snapshotOf = (stream: EventStream, identity: SnapshotIdentity): Snapshot =>
  buildSnapshot(reduce(stream.transitions, stream.annotations), stream.envelopes, identity)

/** The exact bytes of `status.json` for a snapshot (§2.2). */
export const snapshotBytes = (snapshot: Snapshot): string => encodePretty(snapshot)

/** A point in the log for time travel: an event id, or an ISO-8601 timestamp. */
export type TimePoint = { readonly _tag: "EventId"; readonly eventId: string } | {
  readonly _tag: "Timestamp"
  readonly micros: bigint
  readonly input: string
}

/** Parses an ISO-8601 timestamp (Python 3.11 `fromisoformat` rules, `Z` accepted, naive = UTC) into epoch µs. */
export const parseIsoMicros = (text: string): bigint | null => {
  const t = text.trim()
  const instant = fromIsoFormat(t.endsWith("Z") ? t.slice(0, -1) + "+00:00" : t)
  return instant === null ? null : BigInt(instant.epochSeconds) * 1_000_000n + BigInt(instant.micros)
}

/** Why a time point could not be applied. */
export interface TimeTravelError {
  readonly reason: "event_not_found" | "unparseable_row_timestamp"
  readonly detail: string
}

/**
 * Cuts a stream at a point (inclusive): rows whose `(at, event_id)` sorts at or before the named
 * event, or whose `at` is chronologically at or before the timestamp. Envelopes without `at` are kept
 * only for the event-id form when they sort first.
 */
export const streamUpTo = (stream: EventStream, point: TimePoint): Either.Either<EventStream, TimeTravelError> => {
  if (point._tag === "EventId") {
    const anchor = stream.transitions.find((t) => t.event_id === point.eventId) ??
      stream.annotations.find((a) => a.event_id === point.eventId)
    if (anchor === undefined) {
      return Either.left({ reason: "event_not_found", detail: `no transition or annotation has event_id ${point.eventId}` })
    }
    const limit = { at: anchor.at, event_id: anchor.event_id }
    const keep = (r: { at: string; event_id: string }) => compareSortKey(r, limit) <= 0
    return Either.right({
      transitions: stream.transitions.filter(keep),
      annotations: stream.annotations.filter(keep),
      envelopes: stream.envelopes.filter((e) => {
        const at = typeof e.row.at === "string" ? e.row.at : ""
        return compareCodePoints(at, limit.at) <= 0
      })
    })
  }
  const bad: Array<string> = []
  const keepAt = (at: string) => {
    const t = parseIsoMicros(at)
    if (t === null) {
      bad.push(at)
      return false
    }
    return t <= point.micros
  }
  const transitions = stream.transitions.filter((t) => keepAt(t.at))
  const annotations = stream.annotations.filter((a) => keepAt(a.at))
  if (bad.length > 0) {
    return Either.left({ reason: "unparseable_row_timestamp", detail: `rows with non-ISO 'at': ${bad.slice(0, 3).join(", ")}` })
  }
  const envelopes = stream.envelopes.filter((e) => {
    const at = typeof e.row.at === "string" ? e.row.at : typeof e.row.timestamp === "string" ? e.row.timestamp : null
    const t = at === null ? null : parseIsoMicros(at)
    return t !== null && t <= point.micros
  })
  return Either.right({ transitions, annotations, envelopes })
}

/** Weighted progress of a snapshot (§10). */
export interface Progress {
  readonly percentage: number
  readonly done_percentage: number
  readonly done_count: number
  readonly total_count: number
}

/** §10: Σ lane weight over every WP in the snapshot (runtime-only entries count in the denominator). */
export const weightedProgress = (workPackages: Readonly<Record<string, { readonly lane: unknown }>>): Progress => {
  const ids = Object.keys(workPackages).sort(compareCodePoints)
  if (ids.length === 0) return { percentage: 0, done_percentage: 0, done_count: 0, total_count: 0 }
  let weighted = 0
  let done = 0
  for (const id of ids) {
    const lane = workPackages[id].lane as Lane
    weighted += LANE_WEIGHTS[lane] ?? 0
    if (lane === "done") done++
  }
  return {
    percentage: (weighted / ids.length) * 100,
    done_percentage: (done / ids.length) * 100,
    done_count: done,
    total_count: ids.length
  }
}
