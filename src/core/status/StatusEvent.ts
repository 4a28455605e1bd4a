/**
 * `decide` for the status log (docs/status-model.md §6): from the current stream and a transition
 * request, either the exact row to append, a no-op (alias collapse), or spec-kitty's refusal. Pure:
 * the event id, timestamp and WP roster are inputs. Bare section numbers (§N) cite docs/status-model.md.
 */
import { Either } from "effect"
import type { FoldView } from "./IncrementalFold.js"
import type { Lane } from "./Lane.js"
import { resolveLaneAlias } from "./Lane.js"
import type { JsonValue } from "../python/PyJson.js"
import { statusError } from "./StatusError.js"
import type { StatusError } from "./StatusError.js"
import { parseDoneEvidence, validateTransition } from "./Transition.js"
import type { Actor, DoneEvidence, ReviewResult } from "./Transition.js"

/** What a caller asks for: one transition of one WP. */
export interface TransitionRequest {
  readonly wpId: string
  readonly to: string
  readonly actor: Actor
  readonly force: boolean
  readonly reason: string | null
  readonly reviewRef: string | null
  /** Raw evidence object from user input; checked per §5.5. */
  readonly evidence: unknown
  readonly reviewResult: ReviewResult | null
  readonly executionMode: "worktree" | "direct_repo"
  readonly workspaceContext: string | null
  readonly subtasksComplete: boolean | null
  readonly implementationEvidencePresent: boolean | null
  readonly policyMetadata: Readonly<Record<string, JsonValue>> | null
}

/** Facts the decision needs from outside: identity, the new id and time, the WP's subtask roster. */
export interface DecideEnv {
  readonly missionSlug: string
  readonly missionId: string | null
  readonly eventId: string
  readonly at: string
  /** `<execution_mode>:<this>` is the inferred workspace context (§6.3). */
  readonly workspaceRoot: string
  /** The WP file's frontmatter `subtasks:` ids; `null` when not loaded (only needed for G3). */
  readonly roster: ReadonlyArray<string> | null
}

/** The outcome of a decision. */
export type Decision =
  | { readonly _tag: "Append"; readonly from: Lane; readonly to: Lane; readonly event: Record<string, JsonValue> }
  | { readonly _tag: "NoOp"; readonly from: Lane; readonly to: Lane }

const WP_ID = /^WP\d+$/

/** The WP's current lane from a transitions-only fold (§6.1 step 4); `genesis` when absent. */
export const currentLane = (view: FoldView, wpId: string): Lane => view.laneOf(wpId)

/** True when deciding this request needs the WP's subtask roster (a non-forced in_progress → for_review). */
export const needsRoster = (view: FoldView, request: TransitionRequest): boolean =>
  !request.force && resolveLaneAlias(request.to) === "for_review" && currentLane(view, request.wpId) === "in_progress"

const DROPPED_KEYS: ReadonlySet<string> = new Set([
  "machine_name",
  "hostname",
  "workspace_path",
  "developer_name",
  "developer_email"
])

const sanitizeValue = (v: JsonValue): JsonValue => {
  if (Array.isArray(v)) return v.map(sanitizeValue)
  if (typeof v === "object" && v !== null && !("lexeme" in v)) {
    const out: Record<string, JsonValue> = {}
    for (const [k, x] of Object.entries(v as Record<string, JsonValue>)) {
      if (!DROPPED_KEYS.has(k)) out[k] = sanitizeValue(x)
    }
    return out
  }
  return v
}

const epochSeconds = (text: unknown): number | null => {
  if (typeof text !== "string") return null
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? null : ms / 1000
}

/** §6.6: drops identifying keys at any depth and folds session start/end into `session_duration_s`. */
export const sanitizeRow = (row: Record<string, JsonValue>): Record<string, JsonValue> => {
  const out = sanitizeValue(row) as Record<string, JsonValue>
  if ("session_started_at" in out || "session_ended_at" in out) {
    const started = epochSeconds(out.session_started_at)
    const ended = epochSeconds(out.session_ended_at)
    delete out.session_started_at
    delete out.session_ended_at
    if (started !== null && ended !== null) out.session_duration_s = Math.trunc(ended - started)
  }
  return out
}

const isStringList = (v: unknown): v is ReadonlyArray<string> => Array.isArray(v) && v.every((x) => typeof x === "string")

/** The evidence object as spec-kitty writes it (`DoneEvidence.to_dict`): empty lists omitted. */
const evidenceToRow = (e: DoneEvidence): Either.Either<Record<string, JsonValue>, string> => {
  const out: Record<string, JsonValue> = {
    review: { reviewer: e.review.reviewer, verdict: e.review.verdict, reference: e.review.reference }
  }
  const repos = e.repos
  if (repos !== undefined && repos !== null) {
    if (!Array.isArray(repos)) return Either.left("evidence.repos must be a list")
    const items: Array<JsonValue> = []
    for (const r of repos as ReadonlyArray<Record<string, unknown>>) {
      if (typeof r !== "object" || r === null || typeof r.repo !== "string" || typeof r.branch !== "string" ||
        typeof r.commit !== "string") {
        return Either.left("evidence.repos[] items need string repo, branch and commit")
      }
      const item: Record<string, JsonValue> = { repo: r.repo, branch: r.branch, commit: r.commit }
      if (r.files_touched !== undefined && r.files_touched !== null) {
        if (!isStringList(r.files_touched)) return Either.left("evidence.repos[].files_touched must be a list of strings")
        if (r.files_touched.length > 0) item.files_touched = [...r.files_touched]
      }
      items.push(item)
    }
    if (items.length > 0) out.repos = items
  }
  const verification = e.verification
  if (verification !== undefined && verification !== null) {
    if (!Array.isArray(verification)) return Either.left("evidence.verification must be a list")
    const items: Array<JsonValue> = []
    for (const v of verification as ReadonlyArray<Record<string, unknown>>) {
      if (typeof v !== "object" || v === null || typeof v.command !== "string" || typeof v.result !== "string" ||
        typeof v.summary !== "string") {
        return Either.left("evidence.verification[] items need string command, result and summary")
      }
      items.push({ command: v.command, result: v.result, summary: v.summary })
    }
    if (items.length > 0) out.verification = items
  }
  return Either.right(out)
}

const refused = (reason: string, details: Record<string, unknown> = {}): StatusError =>
  statusError("TRANSITION_REFUSED", reason, details)

/** §6.1 steps 3-8: validates a request against the fold of the log and builds the row to append. */
export const decideTransition = (
  view: FoldView,
  request: TransitionRequest,
  env: DecideEnv
): Either.Either<Decision, StatusError> => {
  if (!WP_ID.test(request.wpId)) {
    return Either.left(statusError("INVALID_REQUEST", `Invalid work package id '${request.wpId}': expected WPnn`, {
      wp_id: request.wpId
    }))
  }
  const raw = request.to.trim().toLowerCase()
  const resolved = resolveLaneAlias(request.to)
  const from = currentLane(view, request.wpId)
  if (raw !== resolved && resolved === from) return Either.right({ _tag: "NoOp", from, to: from })

  let evidence: DoneEvidence | null = null
  if (request.evidence !== null && request.evidence !== undefined) {
    const parsed = parseDoneEvidence(request.evidence)
    if (Either.isLeft(parsed)) return Either.left(refused(parsed.left))
    evidence = parsed.right
  }

  let subtasksComplete = request.subtasksComplete
  let evidencePresent = request.implementationEvidencePresent
  if (from === "in_progress" && resolved === "for_review") {
    if (!request.force) {
      if (env.roster === null) {
        return Either.left(statusError("WP_METADATA_INVALID", `Cannot check subtasks of ${request.wpId}: roster not loaded`))
      }
      const state = view.stateOf(request.wpId)
      const marks = (state?.subtasks ?? {}) as Record<string, unknown>
      subtasksComplete = env.roster.every((id) => marks[id] === "done")
    }
    if (evidencePresent === null) evidencePresent = view.hasTransitions(request.wpId)
  }
  const workspaceContext = request.workspaceContext !== null && request.workspaceContext.trim() !== ""
    ? request.workspaceContext
    : `${request.executionMode}:${env.workspaceRoot}`

  const verdict = validateTransition(from, request.to, {
    force: request.force,
    actor: request.actor,
    reason: request.reason,
    workspaceContext,
    subtasksComplete,
    implementationEvidencePresent: evidencePresent,
    reviewRef: request.reviewRef,
    evidence,
    reviewResult: request.reviewResult
  })
  if (Either.isLeft(verdict)) return Either.left(refused(verdict.left, { wp_id: request.wpId, from_lane: from }))

  let evidenceRow: Record<string, JsonValue> | null = null
  if (evidence !== null) {
    const built = evidenceToRow(evidence)
    if (Either.isLeft(built)) return Either.left(statusError("INVALID_REQUEST", built.left))
    evidenceRow = built.right
  }
  const reason = request.reason === null || request.reason === "" ? null : request.reason
  const event: Record<string, JsonValue> = {
    actor: request.actor as JsonValue,
    at: env.at,
    event_id: env.eventId,
    evidence: evidenceRow,
    execution_mode: request.executionMode,
    force: request.force,
    from_lane: verdict.right.from,
    mission_slug: env.missionSlug,
    policy_metadata: request.policyMetadata === null ? null : { ...request.policyMetadata },
    reason,
    review_ref: request.reviewRef,
    to_lane: verdict.right.to,
    wp_id: request.wpId
  }
  if (env.missionId !== null) event.mission_id = env.missionId
  if (request.reviewResult !== null) {
    const rr = request.reviewResult
    const slot: Record<string, JsonValue> = { reviewer: rr.reviewer, verdict: rr.verdict, reference: rr.reference }
    if (rr.feedback_path !== undefined && rr.feedback_path !== null) slot.feedback_path = rr.feedback_path
    event.review_result = slot
  }
  const sorted = Object.fromEntries(Object.entries(sanitizeRow(event)).sort(([a], [b]) => (a < b ? -1 : 1)))
  return Either.right({ _tag: "Append", from: verdict.right.from, to: verdict.right.to, event: sorted })
}
