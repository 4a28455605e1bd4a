/**
 * `status validate` (docs/status-model.md §14.1, §14.3): spec-kitty's checks with its exact finding strings,
 * run on the strictly parsed transitions, plus kittyctx's integrity checks, run on the raw rows so that they
 * can report what the strict reader only aborts on. Pure: no I/O, no clock.
 * Bare section numbers (§N) cite docs/status-model.md.
 */
import { Either } from "effect"
import { classifyRow, parseRowJson, readEventStream } from "./EventRow.js"
import { pyRepr, pyStr } from "../python/PyRepr.js"
import type { EventStream, RowError, TransitionRow } from "./EventRow.js"
import { isDisplayLane } from "./Lane.js"
import type { Lane } from "./Lane.js"
import { encodeLine, parseLossless, splitLogLines, isJsonObject } from "../python/PyJson.js"
import type { JsonValue } from "../python/PyJson.js"
import { snapshotOf } from "./Snapshot.js"
import type { SnapshotIdentity } from "./Snapshot.js"
import { compareCodePoints } from "../repo/Text.js"
import { compareSortKey, dedupeAndSort, isRollback } from "./StatusFold.js"
import { hasEdge } from "./Transition.js"
import { compareInstants, fromIsoFormat, isValidIso8601 } from "../python/IsoTime.js"
import type { IsoInstant } from "../python/IsoTime.js"

/** One validation finding. */
export interface Finding {
  readonly severity: "error" | "warning"
  readonly code: string
  readonly message: string
  readonly wp_id?: string
  readonly event_id?: string
  readonly line?: number
}

/** Inputs: raw texts (null = file absent), the decoded meta.json facts, canonical mission name (dir name). */
export interface ValidateInput {
  readonly logText: string | null
  readonly statusJsonText: string | null
  /** The snapshot identity from meta.json (the resolver decodes it). */
  readonly identity: SnapshotIdentity
  /** meta.json `mission_id`, or null when absent. */
  readonly missionId: string | null
  readonly canonicalSlug: string
}

// ---------------------------------------------------------------------------------------------
// Helpers

type Where = { readonly wp_id?: unknown; readonly event_id?: unknown; readonly line?: number | undefined }

const make = (severity: Finding["severity"], code: string, message: string, where: Where = {}): Finding => {
  const out: { -readonly [K in keyof Finding]: Finding[K] } = { severity, code, message }
  if (typeof where.wp_id === "string") out.wp_id = where.wp_id
  if (typeof where.event_id === "string") out.event_id = where.event_id
  if (where.line !== undefined) out.line = where.line
  return out
}


// Python truthiness of a JSON value.
const truthy = (v: unknown): boolean => {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false
  if (Array.isArray(v)) return v.length > 0
  if (typeof v === "object") return Object.keys(v).length > 0
  return true
}


// Python `type(value).__name__` of a JSON value.
const pyTypeName = (v: unknown): string => {
  if (typeof v === "string") return "str"
  if (typeof v === "boolean") return "bool"
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float"
  if (v === null || v === undefined) return "NoneType"
  return Array.isArray(v) ? "list" : "dict"
}

const canonical = (v: unknown): string => encodeLine((v === undefined ? null : v) as JsonValue)

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`

// ---------------------------------------------------------------------------------------------
// §14.1 spec-kitty `status validate`

const REQUIRED_FIELDS = ["event_id", "wp_id", "from_lane", "to_lane", "at", "actor", "force", "execution_mode"] as const
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/i
const UUID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/i

/** spec-kitty's event id check: a ULID (any case), a 36-character hyphenated UUID or a 32-hex UUID. */
export const isValidEventId = (id: string): boolean => ULID.test(id) || UUID.test(id)

// `validate_event_schema` over one row as written.
const schemaFindings = (t: TransitionRow, out: Array<Finding>): void => {
  const row = t.row
  const error = (code: string, message: string) =>
    out.push(make("error", code, message, { wp_id: t.wp_id, event_id: t.event_id, line: t.line }))
  for (const field of REQUIRED_FIELDS) {
    if (!(field in row)) error("MISSING_FIELD", `Missing required field: ${field}`)
  }
  if (!("mission_slug" in row) && !("feature_slug" in row)) {
    error("MISSING_FIELD", "Missing required field: mission_slug (or legacy mission_slug)")
  }
  const eventId = "event_id" in row ? row.event_id : ""
  if (truthy(eventId) && !isValidEventId(pyStr(eventId))) {
    error("INVALID_EVENT_ID", `Invalid event ID format: ${pyStr(eventId)}`)
  }
  const id = pyStr(eventId)
  const from = row.from_lane
  if (from !== undefined && from !== null && !isDisplayLane(from) && from !== "genesis") {
    error("NON_CANONICAL_LANE", `from_lane is not canonical: ${pyStr(from)}`)
  }
  const to = row.to_lane
  if (to !== undefined && to !== null && !isDisplayLane(to)) {
    error("NON_CANONICAL_LANE", `to_lane is not canonical: ${pyStr(to)}`)
  }
  const at = row.at
  if (at !== undefined && at !== null && !isValidIso8601(pyStr(at))) {
    error("INVALID_TIMESTAMP", `Event ${id}: invalid ISO 8601 timestamp: ${pyStr(at)}`)
  }
  const force = row.force
  if (force !== undefined && force !== null && typeof force !== "boolean") {
    error("INVALID_TYPE", `Event ${id}: force must be boolean, got ${pyTypeName(force)}`)
  }
  const mode = row.execution_mode
  if (mode !== undefined && mode !== null && mode !== "worktree" && mode !== "direct_repo") {
    error("INVALID_TYPE", `Event ${id}: execution_mode must be 'worktree' or 'direct_repo', got '${pyStr(mode)}'`)
  }
  if (force === true && !truthy(row.reason)) error("FORCE_WITHOUT_REASON", `Event ${id}: force=true without reason`)
  if (from === "for_review" && to === "in_progress" && !truthy(row.review_ref)) {
    error("ROLLBACK_WITHOUT_REVIEW_REF", `Event ${id}: for_review->in_progress without review_ref`)
  }
}

// `validate_transition_legality`: every row (no de-duplication), stably sorted by (at, event_id).
const legalityFindings = (
  transitions: ReadonlyArray<TransitionRow>,
  deduplicated: ReadonlyArray<TransitionRow>,
  out: Array<Finding>
): void => {
  // Without repeated event ids the sort keys are unique, so the de-duplicated order is the same order.
  const sorted = deduplicated.length === transitions.length ? deduplicated : [...transitions].sort(compareSortKey)
  for (const t of sorted) {
    if (t.force) continue
    if (!hasEdge(t.from_lane, t.to_lane)) {
      out.push(
        make("error", "ILLEGAL_TRANSITION", `Event ${t.event_id}: illegal transition ${t.from_lane} -> ${t.to_lane}`, {
          wp_id: t.wp_id,
          event_id: t.event_id,
          line: t.line
        })
      )
    }
  }
}

// `validate_done_evidence`, in file order.
const doneEvidenceFindings = (transitions: ReadonlyArray<TransitionRow>, out: Array<Finding>): void => {
  for (const t of transitions) {
    if (t.to_lane !== "done" || t.force) continue
    const where = { wp_id: t.wp_id, event_id: t.event_id, line: t.line }
    const error = (what: string) =>
      out.push(make("error", "DONE_WITHOUT_EVIDENCE", `Event ${t.event_id}: ${what}`, where))
    const evidence = t.row.evidence
    if (!truthy(evidence)) {
      error("done without evidence (not forced)")
      continue
    }
    if (!isJsonObject(evidence)) {
      error("done evidence is not a dict")
      continue
    }
    const review = evidence.review
    if (!truthy(review)) error("done evidence missing review section")
    else if (!isJsonObject(review)) error("done evidence review is not a dict")
    else {
      if (!truthy(review.reviewer)) error("done evidence missing reviewer identity")
      if (!truthy(review.verdict)) error("done evidence missing verdict")
      if (!truthy(review.reference)) error("done evidence missing approval reference")
    }
  }
}

const MISSING_SNAPSHOT =
  "status.events.jsonl exists but status.json is missing (run 'spec-kitty agent status materialize' to generate)"

// `validate_materialization_drift` against the snapshot `materialize` would write (§9).
const driftFindings = (input: ValidateInput, stream: EventStream, out: Array<Finding>): void => {
  if (input.statusJsonText === null) {
    out.push(make("error", "FILE_PRESENCE", MISSING_SNAPSHOT))
    return
  }
  const drift = (message: string, wp_id?: string) =>
    out.push(make("error", "MATERIALIZATION_DRIFT", `Materialization drift: ${message}`, { wp_id }))
  let disk: unknown
  try {
    disk = JSON.parse(input.statusJsonText)
  } catch {
    const parsed = parseLossless(input.statusJsonText)
    drift(`status.json is not valid JSON: ${parsed.ok ? "unparseable" : parsed.message}`)
    return
  }
  if (!isJsonObject(disk)) {
    drift("status.json is not a JSON object")
    return
  }
  const expected = snapshotOf(stream, input.identity)
  const expectedWps = expected.work_packages as Readonly<Record<string, Readonly<Record<string, unknown>>>>
  const diskWps: Readonly<Record<string, unknown>> = isJsonObject(disk.work_packages) ? disk.work_packages : {}
  const ids = [...new Set([...Object.keys(diskWps), ...Object.keys(expectedWps)])].sort(compareCodePoints)
  for (const wp of ids) {
    const onDisk = Object.hasOwn(diskWps, wp) ? diskWps[wp] : undefined
    const wanted = Object.hasOwn(expectedWps, wp) ? expectedWps[wp] : undefined
    if (onDisk === undefined || onDisk === null) {
      drift(`${wp} missing from status.json (expected lane=${pyStr(wanted?.lane ?? "?")})`, wp)
    } else if (wanted === undefined) {
      drift(`${wp} in status.json but not in reducer output`, wp)
    } else {
      const diskLane = isJsonObject(onDisk) ? onDisk.lane : undefined
      if (diskLane !== wanted.lane) {
        drift(`${wp} lane=${pyStr(diskLane)} in status.json but reducer says lane=${pyStr(wanted.lane)}`, wp)
      } else if (canonical(onDisk) !== canonical(wanted)) {
        drift(`${wp} state differs between status.json and reducer output`, wp)
      }
    }
  }
  if (canonical(disk.retrospective) !== canonical(expected.retrospective)) {
    drift("retrospective snapshot differs between status.json and reducer output")
  }
  if (disk.event_count !== expected.event_count) {
    drift(`event_count=${pyStr(disk.event_count)} in status.json but reducer counted ${pyStr(expected.event_count)}`)
  }
  if ((disk.last_event_id ?? null) !== expected.last_event_id) {
    drift("last_event_id mismatch between status.json and reducer output")
  }
}

const specKittyFindings = (
  input: ValidateInput,
  read: Either.Either<EventStream, RowError> | null,
  sorted: ReadonlyArray<TransitionRow>
): Array<Finding> => {
  const out: Array<Finding> = []
  if (read === null) {
    if (input.statusJsonText !== null) {
      out.push(make("error", "FILE_PRESENCE", "status.json exists but status.events.jsonl is missing"))
    }
    return out
  }
  if (Either.isLeft(read)) {
    const message = `status.events.jsonl is corrupt: ${read.left.message}`
    out.push(make("error", "LOG_CORRUPT", message, { line: read.left.line }))
    return out
  }
  const stream = read.right
  // spec-kitty: a log without rows is "No events to validate" and passes.
  if (stream.transitions.length + stream.annotations.length + stream.envelopes.length === 0) return out
  for (const t of stream.transitions) schemaFindings(t, out)
  legalityFindings(stream.transitions, sorted, out)
  doneEvidenceFindings(stream.transitions, out)
  driftFindings(input, stream, out)
  return out
}

// ---------------------------------------------------------------------------------------------
// §14.3 kittyctx integrity checks over the raw rows

type RawKind = "transition" | "annotation" | "envelope" | "unknown"

interface RawRow {
  readonly line: number
  readonly kind: RawKind
  readonly value: Readonly<Record<string, unknown>>
}

interface RawLog {
  /** Every row that is a JSON object, in file order. */
  readonly rows: ReadonlyArray<RawRow>
  /** Transitions in file order: strictly decoded, or read leniently from a row the strict reader rejects. */
  readonly transitions: ReadonlyArray<TransitionRow>
}

const fromStream = (stream: EventStream): RawLog => {
  const { annotations, envelopes, transitions } = stream
  const rows: Array<RawRow> = []
  let t = 0
  let a = 0
  let e = 0
  // The three lists are each in file order: merge them by line.
  while (t < transitions.length || a < annotations.length || e < envelopes.length) {
    const tl = t < transitions.length ? transitions[t].line : Infinity
    const al = a < annotations.length ? annotations[a].line : Infinity
    const el = e < envelopes.length ? envelopes[e].line : Infinity
    if (tl < al && tl < el) rows.push({ line: tl, kind: "transition", value: transitions[t++].row })
    else if (al < el) rows.push({ line: al, kind: "annotation", value: annotations[a++].row })
    else rows.push({ line: el, kind: "envelope", value: envelopes[e++].row })
  }
  return { rows, transitions }
}

// A transition-shaped row the strict reader rejects, read as far as the replay needs it.
const lenientTransition = (value: Readonly<Record<string, unknown>>, line: number): TransitionRow | null => {
  const { at, event_id, from_lane, to_lane, wp_id } = value
  if (
    typeof event_id !== "string" || typeof wp_id !== "string" || typeof at !== "string" ||
    typeof from_lane !== "string" || typeof to_lane !== "string"
  ) return null
  const slug = value.mission_slug
  const legacy = value.feature_slug
  return {
    kind: "transition",
    line,
    event_id,
    wp_id,
    // May be outside the lane enum; the replay only compares these strings.
    from_lane: from_lane as Lane,
    to_lane: to_lane as Lane,
    at,
    actor: typeof value.actor === "string" ? value.actor : "",
    force: value.force === true,
    review_ref: typeof value.review_ref === "string" ? value.review_ref : null,
    review_result: null,
    policy_metadata: null,
    mission_slug: typeof slug === "string" && slug !== "" ? slug : typeof legacy === "string" ? legacy : "",
    mission_id: typeof value.mission_id === "string" ? value.mission_id : null,
    row: value
  }
}

// The lenient path, taken only when the strict read failed: every line that parses as a JSON object.
const fromText = (text: string): RawLog => {
  const rows: Array<RawRow> = []
  const transitions: Array<TransitionRow> = []
  for (const { line, text: lineText } of splitLogLines(text)) {
    // unparseable or too deeply nested lines were reported by the strict read (LOG_CORRUPT)
    const parsed = parseRowJson(lineText, line)
    if (Either.isLeft(parsed)) continue
    const value = parsed.right
    if (!isJsonObject(value)) continue
    const classified = classifyRow(value, line)
    if (Either.isRight(classified)) {
      const row = classified.right
      rows.push({ line, kind: row.kind, value })
      if (row.kind === "transition") transitions.push(row)
      continue
    }
    const kind = value.kind
    if (kind !== undefined && kind !== null) {
      rows.push({ line, kind: kind === "annotation" ? "annotation" : "unknown", value })
      continue
    }
    // An envelope never fails classification, so a rejected row without `kind` was read as a transition.
    rows.push({ line, kind: "transition", value })
    const lenient = lenientTransition(value, line)
    if (lenient !== null) transitions.push(lenient)
  }
  return { rows, transitions }
}

const duplicateFindings = (rows: ReadonlyArray<RawRow>, out: Array<Finding>): void => {
  const first = new Map<string, RawRow>()
  const firstEncoded = new Map<string, string>()
  for (const row of rows) {
    const id = row.value.event_id
    if (typeof id !== "string") continue
    const original = first.get(id)
    if (original === undefined) {
      first.set(id, row)
      continue
    }
    let encoded = firstEncoded.get(id)
    if (encoded === undefined) {
      encoded = canonical(original.value)
      firstEncoded.set(id, encoded)
    }
    const where = { wp_id: row.value.wp_id, event_id: id, line: row.line }
    if (canonical(row.value) === encoded) {
      const effect = row.kind === "annotation" ? "; the annotation is applied twice" : ""
      const message = `Event ${id}: line ${row.line} repeats line ${original.line}${effect}`
      out.push(make("warning", "DUPLICATE_EVENT_ID", message, where))
    } else {
      out.push(
        make(
          "error",
          "DUPLICATE_EVENT_ID_CONFLICT",
          `Event ${id}: line ${row.line} and line ${original.line} share an event_id with different payloads` +
            (row.kind === "transition" && original.kind === "transition"
              ? `; the reducer keeps line ${original.line} and drops line ${row.line}`
              : ""),
          where
        )
      )
    }
  }
}

/**
 * Rows spec-kitty's own machinery writes without regard to the replayed lane (docs/status-model.md §14.3):
 * finalize-tasks' bootstrap seeds (its own classifier: `→ planned` from `genesis`, or forced from
 * `planned`/none), migration rows (the `migration` and `migration:*` actors, the `historical_frontmatter_to_jsonl:v1`
 * backfill) and move-task's forced `bootstrap from frontmatter lane …` rows. A from-lane break at one of
 * them is routine, not a finding.
 */
export const isRoutineSeed = (t: TransitionRow): boolean => {
  const reason = t.row.reason
  if (t.to_lane === "planned" && (t.from_lane === "genesis" || (t.force && t.from_lane === "planned"))) return true
  if (typeof t.actor === "string" && (t.actor === "migration" || t.actor.startsWith("migration:"))) return true
  if (!t.force || typeof reason !== "string") return false
  return reason === "historical_frontmatter_to_jsonl:v1" || reason.startsWith("bootstrap from frontmatter lane ")
}

// Replays the de-duplicated transitions in sort order, with the reducer's rollback tie rule (§7.2).
const discontinuityFindings = (sorted: ReadonlyArray<TransitionRow>, out: Array<Finding>): void => {
  const current = new Map<string, { readonly lane: string; readonly at: string; readonly rollback: boolean }>()
  const breaks = new Map<string, { count: number; readonly first: TransitionRow; readonly lane: string }>()
  for (const t of sorted) {
    const cur = current.get(t.wp_id)
    const lane = cur?.lane ?? "genesis"
    if (t.from_lane !== lane && !isRoutineSeed(t)) {
      const seen = breaks.get(t.wp_id)
      if (seen === undefined) breaks.set(t.wp_id, { count: 1, first: t, lane })
      else seen.count++
    }
    const rollback = isRollback(t)
    if (cur !== undefined && cur.at === t.at && cur.rollback && !rollback) continue
    current.set(t.wp_id, { lane: t.to_lane, at: t.at, rollback })
  }
  for (const wp of [...breaks.keys()].sort(compareCodePoints)) {
    const { count, first, lane } = breaks.get(wp)!
    out.push(
      make(
        "warning",
        "FROM_LANE_DISCONTINUITY",
        `${wp}: ${plural(count, "transition")} with a from_lane that differs from the replayed lane; first: event ` +
          `${first.event_id} on line ${first.line} has from_lane=${first.from_lane} while the lane was ${lane}`,
        { wp_id: wp, event_id: first.event_id, line: first.line }
      )
    )
  }
}

const ZONE = /(?:Z|[+-]\d\d(?::?\d\d(?::?\d\d(?:[.,]\d+)?)?)?)$/

const WRITER_FORM = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/

// The layout of an `at` value: digits abstracted, the zone kept literally (`+01:00` and `+00:00` sort apart).
// Two values of one layout sort lexically exactly as they do chronologically.
const timestampForm = (at: string): string => {
  if (WRITER_FORM.test(at)) return "9999-99-99T99:99:99.999999+00:00"
  const zone = ZONE.exec(at)?.[0] ?? ""
  return at.slice(0, at.length - zone.length).replace(/\d/g, "9") + zone
}

interface Timed {
  readonly at: string
  readonly event_id: string
  readonly line: number
  readonly wp_id: unknown
}

const MAX_LISTED = 5

const mixedTimestampFindings = (
  sortedTransitions: ReadonlyArray<TransitionRow>,
  annotations: ReadonlyArray<Timed>,
  out: Array<Finding>
): void => {
  const forms = new Map<string, { count: number; readonly example: string }>()
  const count = (at: string) => {
    const form = timestampForm(at)
    const seen = forms.get(form)
    if (seen === undefined) forms.set(form, { count: 1, example: at })
    else seen.count++
  }
  for (const t of sortedTransitions) count(t.at)
  for (const a of annotations) count(a.at)
  if (forms.size < 2) return
  const instants = new Map<string, IsoInstant | null>()
  const instant = (at: string) => {
    let parsed = instants.get(at)
    if (parsed === undefined) {
      parsed = fromIsoFormat(at.replaceAll("Z", "+00:00"))
      instants.set(at, parsed)
    }
    return parsed
  }
  // Any order that differs from chronology has an adjacent inverted pair, and only two layouts can invert.
  const inversions: Array<readonly [Timed, Timed]> = []
  const scan = (sorted: ReadonlyArray<Timed>) => {
    for (let i = 1; i < sorted.length; i++) {
      if (timestampForm(sorted[i - 1].at) === timestampForm(sorted[i].at)) continue
      const a = instant(sorted[i - 1].at)
      const b = instant(sorted[i].at)
      if (a !== null && b !== null && compareInstants(a, b) > 0) inversions.push([sorted[i - 1], sorted[i]])
    }
  }
  scan(sortedTransitions)
  scan([...annotations].sort(compareSortKey))
  const described = [...forms.values()]
    .sort((a, b) => b.count - a.count)
    .slice(0, MAX_LISTED)
    .map((f) => `${f.count}× like "${f.example}"`)
    .join(", ")
  const order = inversions.length === 0
    ? "lexical (at, event_id) order still agrees with chronological order"
    : `${plural(inversions.length, "adjacent row pair")} sort lexically in a different order than chronologically` +
      (inversions.length > MAX_LISTED ? ` (first ${MAX_LISTED} listed)` : "")
  out.push(make("warning", "MIXED_TIMESTAMP_FORMATS", `at values mix ${forms.size} formats (${described}); ${order}`))
  for (const [a, b] of inversions.slice(0, MAX_LISTED)) {
    out.push(
      make(
        "warning",
        "MIXED_TIMESTAMP_FORMATS",
        `line ${a.line} (at ${a.at}) sorts before line ${b.line} (at ${b.at}) but is chronologically later`,
        { wp_id: a.wp_id, event_id: a.event_id, line: a.line }
      )
    )
  }
}

interface Tally {
  count: number
  readonly first: TransitionRow
}

const tally = (map: Map<string, Tally>, key: string, t: TransitionRow): void => {
  const seen = map.get(key)
  if (seen === undefined) map.set(key, { count: 1, first: t })
  else seen.count++
}

const identityFindings = (
  input: ValidateInput,
  transitions: ReadonlyArray<TransitionRow>,
  out: Array<Finding>
): void => {
  const metaId = input.missionId === "" ? null : input.missionId
  const reference = metaId ?? transitions.find((t) => t.mission_id !== null) ?? null
  const wrongIds = new Map<string, Tally>()
  const wrongSlugs = new Map<string, Tally>()
  for (const t of transitions) {
    if (reference !== null && t.mission_id !== null) {
      const expected = typeof reference === "string" ? reference : reference.mission_id
      if (t.mission_id !== expected) tally(wrongIds, t.mission_id, t)
    }
    if (t.mission_slug !== input.canonicalSlug) tally(wrongSlugs, t.mission_slug, t)
  }
  const against = typeof reference === "string"
    ? `meta.json mission_id ${reference}`
    : reference === null
    ? ""
    : `mission_id ${reference.mission_id} of the first transition carrying one (line ${reference.line})`
  for (const [value, { count, first }] of wrongIds) {
    out.push(
      make(
        "error",
        "MISSION_ID_MISMATCH",
        `mission_id ${value} on ${plural(count, "transition")} differs from ${against}; ` +
          `first: event ${first.event_id} on line ${first.line}`,
        { wp_id: first.wp_id, event_id: first.event_id, line: first.line }
      )
    )
  }
  for (const [slug, { count, first }] of wrongSlugs) {
    out.push(
      make(
        "warning",
        "MISSION_SLUG_MISMATCH",
        `mission_slug '${slug}' on ${plural(count, "transition")} differs from the canonical mission name ` +
          `'${input.canonicalSlug}'; first: event ${first.event_id} on line ${first.line}`,
        { wp_id: first.wp_id, event_id: first.event_id, line: first.line }
      )
    )
  }
}

const LIFECYCLE_TYPES: ReadonlySet<string> = new Set([
  "ProjectInitialized",
  "MissionCreated",
  "SpecifyStarted",
  "SpecifyCompleted",
  "PlanStarted",
  "PlanCompleted",
  "TasksStarted",
  "TasksCompleted",
  "WPCreated",
  "ReviewerSelfApproval",
  "MissionReopened",
  "FollowUpRecorded"
])

const isKnownEventType = (t: unknown): boolean =>
  typeof t === "string" && (LIFECYCLE_TYPES.has(t) || t.startsWith("DecisionPoint"))

const rowKindFindings = (rows: ReadonlyArray<RawRow>, out: Array<Finding>): void => {
  const unknownTypes = new Map<string, { count: number; readonly first: RawRow }>()
  for (const row of rows) {
    const v = row.value
    const where = { wp_id: v.wp_id, event_id: v.event_id, line: row.line }
    if (row.kind === "unknown") {
      const message = `line ${row.line}: unknown row kind ${pyRepr(v.kind)}; the strict reader rejects it`
      out.push(make("error", "UNKNOWN_ROW_KIND", message, where))
    } else if (row.kind === "transition" && (v.from_lane === undefined || v.from_lane === null ||
      v.to_lane === undefined || v.to_lane === null)) {
      out.push(
        make(
          "error",
          "UNKNOWN_ROW_KIND",
          `line ${row.line}: row has no envelope marker (kind, event_type, type, event_name) and lacks ` +
            `from_lane/to_lane; the strict reader rejects it`,
          where
        )
      )
    } else if (row.kind === "envelope" && "event_type" in v && !isKnownEventType(v.event_type)) {
      const key = typeof v.event_type === "string" ? `'${v.event_type}'` : pyRepr(v.event_type)
      const seen = unknownTypes.get(key)
      if (seen === undefined) unknownTypes.set(key, { count: 1, first: row })
      else seen.count++
    }
  }
  for (const [type, { count, first }] of unknownTypes) {
    out.push(
      make(
        "warning",
        "UNKNOWN_ROW_KIND",
        `event_type ${type} on ${plural(count, "row")} is not a known envelope type; the reducer skips it ` +
          `(first on line ${first.line})`,
        { event_id: first.value.event_id, line: first.line }
      )
    )
  }
}

const runtimeOnlyFindings = (
  transitions: ReadonlyArray<TransitionRow>,
  annotations: ReadonlyArray<Timed>,
  out: Array<Finding>
): void => {
  const withTransitions = new Set(transitions.map((t) => t.wp_id))
  const orphans = new Map<string, { count: number; readonly first: Timed }>()
  for (const a of annotations) {
    if (typeof a.wp_id !== "string" || withTransitions.has(a.wp_id)) continue
    const seen = orphans.get(a.wp_id)
    if (seen === undefined) orphans.set(a.wp_id, { count: 1, first: a })
    else seen.count++
  }
  for (const wp of [...orphans.keys()].sort(compareCodePoints)) {
    const { count, first } = orphans.get(wp)!
    out.push(
      make(
        "warning",
        "RUNTIME_ONLY_WP",
        `${plural(count, "annotation")} target ${wp}, which has no transitions: the snapshot gets a runtime-only ` +
          `'uninitialized' entry (first on line ${first.line})`,
        { wp_id: wp, event_id: first.event_id, line: first.line }
      )
    )
  }
}

const integrityFindings = (input: ValidateInput, raw: RawLog, sorted: ReadonlyArray<TransitionRow>): Array<Finding> => {
  const out: Array<Finding> = []
  const annotations: Array<Timed> = []
  for (const row of raw.rows) {
    const { at, event_id, wp_id } = row.value
    if (row.kind === "annotation" && typeof at === "string" && typeof event_id === "string") {
      annotations.push({ at, event_id, line: row.line, wp_id })
    }
  }
  duplicateFindings(raw.rows, out)
  discontinuityFindings(sorted, out)
  mixedTimestampFindings(sorted, annotations, out)
  identityFindings(input, raw.transitions, out)
  rowKindFindings(raw.rows, out)
  runtimeOnlyFindings(raw.transitions, annotations, out)
  return out
}

// ---------------------------------------------------------------------------------------------

/** spec-kitty's checks (§14.1, exact finding strings) plus kittyctx's integrity checks (§14.3). */
export const validateStatus = (input: ValidateInput): ReadonlyArray<Finding> => {
  if (input.logText === null) return specKittyFindings(input, null, [])
  const read = readEventStream(input.logText)
  const raw = Either.isRight(read) ? fromStream(read.right) : fromText(input.logText)
  const sorted = dedupeAndSort(raw.transitions)
  return [...specKittyFindings(input, read, sorted), ...integrityFindings(input, raw, sorted)]
}
