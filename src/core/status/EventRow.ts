/**
 * Rows of `status.events.jsonl`: classification (transition, annotation, envelope) and strict
 * decoding (docs/status-model.md §3). The Schemas below (`rowSchemas`) are the definition of a valid
 * row; a hand-written check that accepts exactly the same rows runs on the hot path, and the Schema is
 * built and run only to explain a rejected row (a property test keeps the two in agreement).
 * Bare section numbers (§N) cite docs/status-model.md.
 */
import { Either, ParseResult, Schema } from "effect"
import { isLane, LANES } from "./Lane.js"
import type { Lane } from "./Lane.js"
import { forEachLogLine, isJsonObject, nestsDeeperThan, opensMoreThan } from "../python/PyJson.js"
import { pyRepr, pyStr } from "../python/PyRepr.js"
import type { Actor, ReviewResult } from "./Transition.js"

const isFalsyJson = (v: unknown): boolean =>
  v === null || v === undefined || v === false || v === 0 || v === "" ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0)

const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/

const buildRowSchemas = () => {
  const NullableString = Schema.NullOr(Schema.String)
  const LaneSchema = Schema.Literal(...LANES)

  /** The 4-key structured actor; no other keys allowed. */
  const StructuredActorSchema = Schema.Struct({
    role: NullableString,
    profile: NullableString,
    tool: NullableString,
    model: NullableString
  }).annotations({ parseOptions: { onExcessProperty: "error" } })

  /** An actor: a string or the structured 4-key object. */
  const ActorSchema = Schema.Union(Schema.String, StructuredActorSchema)

  /** `review_result` when truthy (§3.2). */
  const ReviewResultSchema = Schema.Struct({
    reviewer: Schema.String,
    verdict: Schema.String,
    reference: Schema.String,
    feedback_path: Schema.optional(NullableString)
  })

  /** `evidence` when truthy (§3.2). */
  const EvidenceSchema = Schema.Struct({
    review: Schema.Struct({ reviewer: Schema.String, verdict: Schema.String, reference: Schema.String }),
    repos: Schema.optional(
      Schema.Array(
        Schema.Struct({
          repo: Schema.String,
          branch: Schema.String,
          commit: Schema.String,
          files_touched: Schema.optional(Schema.Array(Schema.String))
        })
      )
    ),
    verification: Schema.optional(
      Schema.Array(Schema.Struct({ command: Schema.String, result: Schema.String, summary: Schema.String }))
    )
  })

  /** Falsy values (null, {}, [], "", 0, false) read as absent; anything else must match the schema. */
  const FalsyOr = <A, I>(schema: Schema.Schema<A, I>) =>
    Schema.Union(
      Schema.declare((u): u is null => isFalsyJson(u), { identifier: "falsy" }),
      schema
    )

  /** A transition row (§3.2). Unknown keys are ignored. */
  const TransitionSchema = Schema.Struct({
    event_id: Schema.String,
    mission_slug: Schema.optional(Schema.Unknown),
    feature_slug: Schema.optional(Schema.Unknown),
    mission_id: Schema.optional(NullableString),
    wp_id: Schema.String,
    from_lane: LaneSchema,
    to_lane: LaneSchema,
    at: Schema.String,
    actor: ActorSchema,
    force: Schema.Boolean,
    execution_mode: Schema.String,
    reason: Schema.optional(NullableString),
    review_ref: Schema.optional(NullableString),
    evidence: Schema.optional(FalsyOr(EvidenceSchema)),
    review_result: Schema.optional(FalsyOr(ReviewResultSchema)),
    policy_metadata: Schema.optional(Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Unknown })))
  })

  const PyScalar = Schema.Unknown.pipe(
    Schema.filter((v) => v !== undefined && scalarText(v) !== undefined, { message: () => "expected a string or scalar" })
  )
  const NonEmptyOptionalString = Schema.optional(NullableString)

  /** The delta of an annotation row (§3.3). Unknown keys are ignored. */
  const AnnotationDeltaSchema = Schema.Struct({
    shell_pid: Schema.optional(Schema.NullOr(Schema.Number.pipe(Schema.filter(Number.isSafeInteger)))),
    shell_pid_created_at: NonEmptyOptionalString,
    agent: NonEmptyOptionalString,
    assignee: NonEmptyOptionalString,
    role: NonEmptyOptionalString,
    agent_profile: NonEmptyOptionalString,
    agent_profile_version: NonEmptyOptionalString,
    model: NonEmptyOptionalString,
    provider: NonEmptyOptionalString,
    subtasks: Schema.optional(Schema.NullOr(Schema.Record({ key: Schema.String, value: LaneSchema }))),
    note: Schema.optional(NullableString),
    tracker_refs: Schema.optional(Schema.NullOr(Schema.Array(Schema.String))),
    tracker_refs_replace: Schema.optional(Schema.NullOr(Schema.Array(Schema.String))),
    review: Schema.optional(
      Schema.NullOr(
        Schema.Struct({ at: PyScalar, actor: PyScalar, wp_id: PyScalar, reason: PyScalar })
      )
    ),
    release_runtime_claim: Schema.optional(Schema.NullOr(Schema.Boolean))
  })

  /** An annotation row (§3.3). */
  const AnnotationSchema = Schema.Struct({
    kind: Schema.Literal("annotation"),
    event_id: Schema.String.pipe(Schema.pattern(ULID_RE)),
    wp_id: Schema.String,
    at: Schema.String,
    actor: ActorSchema,
    delta: AnnotationDeltaSchema
  })
  return { StructuredActorSchema, ActorSchema, ReviewResultSchema, EvidenceSchema, TransitionSchema, AnnotationDeltaSchema, AnnotationSchema }
}

let schemas: ReturnType<typeof buildRowSchemas> | undefined

/**
 * The Schemas of a valid row (§3.2, §3.3), built on first use: they explain a rejected row, and a property
 * test holds the hand-written checks below to them. A command that reads only valid rows never builds
 * them (about a tenth of the start-up bundle's module initialisation).
 */
export const rowSchemas = (): ReturnType<typeof buildRowSchemas> => (schemas ??= buildRowSchemas())

/** A decoded transition row; `row` is the parsed object as written (never re-serialized). */
export interface TransitionRow {
  readonly kind: "transition"
  readonly line: number
  readonly event_id: string
  readonly wp_id: string
  readonly from_lane: Lane
  readonly to_lane: Lane
  readonly at: string
  readonly actor: Actor
  readonly force: boolean
  readonly review_ref: string | null
  readonly review_result: ReviewResult | null
  readonly policy_metadata: Readonly<Record<string, unknown>> | null
  /** `mission_slug` if truthy, else legacy `feature_slug`, else "". */
  readonly mission_slug: string
  readonly mission_id: string | null
  readonly row: Readonly<Record<string, unknown>>
}

/** The review slot value of an annotation delta. */
export interface ReviewNote {
  readonly at: string
  readonly actor: string
  readonly wp_id: string
  readonly reason: string
}

/** A decoded annotation delta with `""` normalised to absent. */
export interface AnnotationDelta {
  readonly shell_pid?: number
  readonly shell_pid_created_at?: string
  readonly agent?: string
  readonly assignee?: string
  readonly role?: string
  readonly agent_profile?: string
  readonly agent_profile_version?: string
  readonly model?: string
  readonly provider?: string
  readonly subtasks?: Readonly<Record<string, Lane>>
  readonly note?: string
  readonly tracker_refs?: ReadonlyArray<string>
  readonly tracker_refs_replace?: ReadonlyArray<string>
  readonly review?: ReviewNote
  readonly release_runtime_claim?: true
}

/** A decoded annotation row. */
export interface AnnotationRow {
  readonly kind: "annotation"
  readonly line: number
  readonly event_id: string
  readonly wp_id: string
  readonly at: string
  readonly actor: Actor
  readonly delta: AnnotationDelta
  readonly row: Readonly<Record<string, unknown>>
}

/** A row that shares the file but is skipped by state readers (lifecycle, decision, retrospective). */
export interface EnvelopeRow {
  readonly kind: "envelope"
  readonly line: number
  readonly row: Readonly<Record<string, unknown>>
}

/** Any classified row. */
export type EventRow = TransitionRow | AnnotationRow | EnvelopeRow

/** A strict-reader failure: the message is spec-kitty's text up to `on line N`, then a detail. */
export interface RowError {
  readonly line: number
  readonly message: string
}

/** The parsed log, in file order. */
export interface EventStream {
  readonly transitions: ReadonlyArray<TransitionRow>
  readonly annotations: ReadonlyArray<AnnotationRow>
  readonly envelopes: ReadonlyArray<EnvelopeRow>
}

const RETRO_TYPES: ReadonlySet<string> = new Set([
  "RetrospectiveCaptured",
  "RetrospectiveCaptureFailed",
  "RetrospectiveSkipped"
])

/** Python's `str()` of a string or scalar (null, a boolean, a safe integer); undefined for anything else. */
const scalarText = (value: unknown): string | undefined =>
  typeof value === "string" || value === null || typeof value === "boolean" ||
    (typeof value === "number" && Number.isSafeInteger(value))
    ? pyStr(value)
    : undefined


const isNullableString = (v: unknown): boolean => v === null || typeof v === "string"
const optNullableString = (v: unknown): boolean => v === undefined || v === null || typeof v === "string"

const isActor = (v: unknown): v is Actor => {
  if (typeof v === "string") return true
  if (!isJsonObject(v)) return false
  let n = 0
  for (const k in v) {
    if (k !== "role" && k !== "profile" && k !== "tool" && k !== "model") return false
    if (!isNullableString(v[k])) return false
    n++
  }
  return n === 4
}

const isStringArray = (v: unknown): v is ReadonlyArray<string> =>
  Array.isArray(v) && v.every((x) => typeof x === "string")

const isEvidence = (v: unknown): boolean => {
  if (isFalsyJson(v)) return true
  if (!isJsonObject(v)) return false
  const review = v.review
  if (!isJsonObject(review)) return false
  if (typeof review.reviewer !== "string" || typeof review.verdict !== "string" || typeof review.reference !== "string") {
    return false
  }
  if (v.repos !== undefined) {
    if (!Array.isArray(v.repos)) return false
    for (const r of v.repos) {
      if (!isJsonObject(r)) return false
      if (typeof r.repo !== "string" || typeof r.branch !== "string" || typeof r.commit !== "string") return false
      if (r.files_touched !== undefined && !isStringArray(r.files_touched)) return false
    }
  }
  if (v.verification !== undefined) {
    if (!Array.isArray(v.verification)) return false
    for (const r of v.verification) {
      if (!isJsonObject(r)) return false
      if (typeof r.command !== "string" || typeof r.result !== "string" || typeof r.summary !== "string") return false
    }
  }
  return true
}

const isReviewResultField = (v: unknown): boolean => {
  if (isFalsyJson(v)) return true
  if (!isJsonObject(v)) return false
  return typeof v.reviewer === "string" && typeof v.verdict === "string" && typeof v.reference === "string" &&
    optNullableString(v.feedback_path)
}

/** The hand-written equivalent of `Schema.is(TransitionSchema)`. */
export const isTransitionShape = (o: Record<string, unknown>): boolean =>
  typeof o.event_id === "string" &&
  typeof o.wp_id === "string" &&
  isLane(o.from_lane) &&
  isLane(o.to_lane) &&
  typeof o.at === "string" &&
  isActor(o.actor) &&
  typeof o.force === "boolean" &&
  typeof o.execution_mode === "string" &&
  optNullableString(o.mission_id) &&
  optNullableString(o.reason) &&
  optNullableString(o.review_ref) &&
  (o.evidence === undefined || isEvidence(o.evidence)) &&
  (o.review_result === undefined || isReviewResultField(o.review_result)) &&
  (o.policy_metadata === undefined || o.policy_metadata === null || isJsonObject(o.policy_metadata))

/** The string-valued runtime slots an annotation delta may set. */
export const DELTA_STRING_KEYS = [
  "shell_pid_created_at",
  "agent",
  "assignee",
  "role",
  "agent_profile",
  "agent_profile_version",
  "model",
  "provider"
] as const

const isDeltaShape = (d: unknown): d is Record<string, unknown> => {
  if (!isJsonObject(d)) return false
  const pid = d.shell_pid
  if (pid !== undefined && pid !== null && !(typeof pid === "number" && Number.isSafeInteger(pid))) return false
  for (const k of DELTA_STRING_KEYS) if (!optNullableString(d[k])) return false
  const st = d.subtasks
  if (st !== undefined && st !== null) {
    if (!isJsonObject(st)) return false
    for (const k in st) if (!isLane(st[k])) return false
  }
  if (!optNullableString(d.note)) return false
  for (const k of ["tracker_refs", "tracker_refs_replace"] as const) {
    const v = d[k]
    if (v !== undefined && v !== null && !isStringArray(v)) return false
  }
  const rv = d.review
  if (rv !== undefined && rv !== null) {
    if (!isJsonObject(rv)) return false
    for (const k of ["at", "actor", "wp_id", "reason"] as const) {
      if (!(k in rv) || scalarText(rv[k]) === undefined) return false
    }
  }
  const rel = d.release_runtime_claim
  if (rel !== undefined && rel !== null && typeof rel !== "boolean") return false
  return true
}

/** The hand-written equivalent of `Schema.is(AnnotationSchema)` (plus review coercibility). */
export const isAnnotationShape = (o: Record<string, unknown>): boolean =>
  o.kind === "annotation" &&
  typeof o.event_id === "string" && ULID_RE.test(o.event_id) &&
  typeof o.wp_id === "string" &&
  typeof o.at === "string" &&
  isActor(o.actor) &&
  isDeltaShape(o.delta)

const explain = (schema: Schema.Schema<any, any>, o: unknown): string => {
  const result = Schema.decodeUnknownEither(schema, { errors: "all" })(o)
  if (Either.isRight(result)) return "value rejected by the strict reader"
  const issues = ParseResult.ArrayFormatter.formatErrorSync(result.left)
  return issues.map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ")
}

const decodeDelta = (d: Record<string, unknown>): AnnotationDelta => {
  const out: Record<string, unknown> = {}
  if (typeof d.shell_pid === "number") out.shell_pid = d.shell_pid
  for (const k of DELTA_STRING_KEYS) {
    const v = d[k]
    if (typeof v === "string" && v !== "") out[k] = v
  }
  if (isJsonObject(d.subtasks)) out.subtasks = d.subtasks
  if (typeof d.note === "string") out.note = d.note
  if (Array.isArray(d.tracker_refs)) out.tracker_refs = d.tracker_refs
  if (Array.isArray(d.tracker_refs_replace)) out.tracker_refs_replace = d.tracker_refs_replace
  if (isJsonObject(d.review)) {
    const r = d.review
    out.review = { at: scalarText(r.at)!, actor: scalarText(r.actor)!, wp_id: scalarText(r.wp_id)!, reason: scalarText(r.reason)! }
  }
  if (d.release_runtime_claim === true) out.release_runtime_claim = true
  return out as AnnotationDelta
}

const hasUnsafeNumber = (o: Record<string, unknown>): boolean => {
  const pm = o.policy_metadata
  if (isJsonObject(pm) && typeof pm.shell_pid === "number" && !Number.isSafeInteger(pm.shell_pid)) {
    return Number.isInteger(pm.shell_pid)
  }
  return false
}

/** Classifies and decodes one parsed line (§3.1 steps 2-5). */
export const classifyRow = (value: unknown, line: number, text?: string): Either.Either<EventRow, RowError> => {
  if (!isJsonObject(value)) {
    return Either.left({ line, message: `Invalid event structure on line ${line}: expected JSON object` })
  }
  const kind = value.kind
  if (kind !== undefined && kind !== null) {
    if (kind !== "annotation") {
      return Either.left({ line, message: `Unknown event kind ${pyRepr(kind)} on line ${line}` })
    }
    if (!isAnnotationShape(value)) {
      return Either.left({ line, message: `Invalid event structure on line ${line}: ${explain(rowSchemas().AnnotationSchema, value)}` })
    }
    return Either.right({
      kind: "annotation",
      line,
      event_id: value.event_id as string,
      wp_id: value.wp_id as string,
      at: value.at as string,
      actor: value.actor as Actor,
      delta: decodeDelta(value.delta as Record<string, unknown>),
      row: value
    })
  }
  const eventName = value.event_name
  if (
    (typeof eventName === "string" && eventName.startsWith("retrospective.")) ||
    (typeof value.type === "string" && RETRO_TYPES.has(value.type)) ||
    "event_type" in value
  ) {
    return Either.right({ kind: "envelope", line, row: value })
  }
  if (!isTransitionShape(value)) {
    return Either.left({ line, message: `Invalid event structure on line ${line}: ${explain(rowSchemas().TransitionSchema, value)}` })
  }
  if (hasUnsafeNumber(value)) {
    return Either.left({
      line,
      message: `Invalid event structure on line ${line}: policy_metadata.shell_pid is an integer beyond 2^53`
    })
  }
  const rr = value.review_result
  const slug = value.mission_slug
  const legacy = value.feature_slug
  return Either.right(
    new TransitionRecord(
      line,
      value.event_id as string,
      value.wp_id as string,
      value.from_lane as Lane,
      value.to_lane as Lane,
      value.at as string,
      value.actor as Actor,
      value.force as boolean,
      (value.review_ref as string | null | undefined) ?? null,
      isFalsyJson(rr) ? null : (rr as unknown as ReviewResult),
      isJsonObject(value.policy_metadata) ? value.policy_metadata : null,
      typeof slug === "string" && slug !== "" ? slug : typeof legacy === "string" ? legacy : "",
      typeof value.mission_id === "string" ? value.mission_id : null,
      text ?? value
    )
  )
}

/**
 * A decoded transition. It keeps the line's text rather than the parsed object, so the parsed object
 * dies young (a 100,000-line log would otherwise promote every row through the young generation);
 * `row` parses the text again on the rare reads that need every key (validate).
 */
class TransitionRecord implements TransitionRow {
  readonly kind = "transition" as const
  #source: string | Readonly<Record<string, unknown>>
  constructor(
    readonly line: number,
    readonly event_id: string,
    readonly wp_id: string,
    readonly from_lane: Lane,
    readonly to_lane: Lane,
    readonly at: string,
    readonly actor: Actor,
    readonly force: boolean,
    readonly review_ref: string | null,
    readonly review_result: ReviewResult | null,
    readonly policy_metadata: Readonly<Record<string, unknown>> | null,
    readonly mission_slug: string,
    readonly mission_id: string | null,
    source: string | Readonly<Record<string, unknown>>
  ) {
    this.#source = source
  }
  get row(): Readonly<Record<string, unknown>> {
    if (typeof this.#source === "string") this.#source = JSON.parse(this.#source) as Readonly<Record<string, unknown>>
    return this.#source
  }
}

/**
 * The deepest nesting a row may have. Real rows nest four levels; every walker of a parsed row (the
 * encoders, the sanitiser, the validator) recurses, so a deeper row is refused right after parsing
 * instead of overflowing the stack (spec-kitty's Python parser stops near 1,000 levels).
 */
export const MAX_ROW_DEPTH = 256

/**
 * The JSON value of one line, or why it is none: a parse error, or nesting beyond `MAX_ROW_DEPTH`.
 * Every reader of raw log lines (the strict reader, validate's lenient pass) parses through here.
 */
export const parseRowJson = (text: string, line: number): Either.Either<unknown, RowError> => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    return Either.left({ line, message: `Invalid JSON on line ${line}: ${(e as Error).message}` })
  }
  // a text that opens no more arrays and objects than the limit cannot nest deeper: rows skip the walk
  if (opensMoreThan(text, MAX_ROW_DEPTH) && nestsDeeperThan(value, MAX_ROW_DEPTH)) {
    return Either.left({
      line,
      message: `Invalid event structure on line ${line}: nested more than ${MAX_ROW_DEPTH} levels deep`
    })
  }
  return Either.right(value)
}

/** Parses one stripped, non-blank line (§3.1 step 1), refusing rows nested beyond `MAX_ROW_DEPTH`. */
export const parseLine = (text: string, line: number): Either.Either<EventRow, RowError> =>
  Either.flatMap(parseRowJson(text, line), (value) => classifyRow(value, line, text))

/** The strict reader (§3): every line classified; one bad line fails the whole read. */
export const readEventStream = (text: string): Either.Either<EventStream, RowError> => {
  const transitions: Array<TransitionRow> = []
  const annotations: Array<AnnotationRow> = []
  const envelopes: Array<EnvelopeRow> = []
  let failure: RowError | null = null
  forEachLogLine(text, (line, lineText) => {
    const parsed = parseLine(lineText, line)
    if (Either.isLeft(parsed)) {
      failure = parsed.left
      return false
    }
    const row = parsed.right
    if (row.kind === "transition") transitions.push(row)
    else if (row.kind === "annotation") annotations.push(row)
    else envelopes.push(row)
    return true
  })
  return failure === null ? Either.right({ transitions, annotations, envelopes }) : Either.left(failure)
}
