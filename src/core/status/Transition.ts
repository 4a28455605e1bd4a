/**
 * The pure transition FSM of the work-package status model: the 29 edges, guards G1–G9 and the
 * force rule, with spec-kitty's exact reason strings (docs/status-model.md §5, §16 D7).
 * Bare section numbers (§N) cite docs/status-model.md.
 */
import { isJsonObject } from "../python/PyJson.js"
import { Either } from "effect"
import { isLane, type Lane, resolveLaneAlias } from "./Lane.js"

/** The structured actor form. */
export interface StructuredActor {
  readonly role: string | null
  readonly profile: string | null
  readonly tool: string | null
  readonly model: string | null
}

/** An actor as written in a transition row: a plain string or the 4-key object. */
export type Actor = string | StructuredActor

/** Projects an actor to a string: a string as is; an object → tool, else role, else "" (first truthy). */
export const actorName = (actor: Actor): string => typeof actor === "string" ? actor : actor.tool || actor.role || ""

/** Review outcome carried by a transition (docs/status-model.md §3.2). */
export interface ReviewResult {
  readonly reviewer: string
  readonly verdict: string
  readonly reference: string
  readonly feedback_path?: string | null
}

/** Done evidence (docs/status-model.md §3.2): at least review.{reviewer, verdict, reference}. */
export interface DoneEvidence {
  readonly review: { readonly reviewer: string; readonly verdict: string; readonly reference: string }
  readonly [k: string]: unknown
}

/** Guard inputs (§5.1 ctx). */
export interface TransitionContext {
  readonly force: boolean
  readonly actor: Actor | null
  readonly reason: string | null
  readonly workspaceContext: string | null
  readonly subtasksComplete: boolean | null
  readonly implementationEvidencePresent: boolean | null
  readonly reviewRef: string | null
  readonly evidence: DoneEvidence | null
  readonly reviewResult: ReviewResult | null
}

/** The guard ids of §5.3. */
export type GuardId = "G1" | "G2" | "G3" | "G4" | "G5" | "G6" | "G7" | "G8" | "G9"

/** One edge of §5.2 with its guards, in evaluation order. */
export interface Edge {
  readonly from: Lane
  readonly to: Lane
  readonly guards: ReadonlyArray<GuardId>
}

/** The 29 edges of §5.2 with their guard ids (data, not code paths). */
export const EDGES: ReadonlyArray<Edge> = [
  { from: "genesis", to: "planned", guards: [] },
  { from: "genesis", to: "canceled", guards: [] },
  { from: "planned", to: "claimed", guards: ["G1"] },
  { from: "planned", to: "blocked", guards: [] },
  { from: "planned", to: "canceled", guards: [] },
  { from: "claimed", to: "in_progress", guards: ["G2"] },
  { from: "claimed", to: "blocked", guards: [] },
  { from: "claimed", to: "canceled", guards: [] },
  { from: "in_progress", to: "for_review", guards: ["G3"] },
  { from: "in_progress", to: "approved", guards: ["G4"] },
  { from: "in_progress", to: "planned", guards: ["G5"] },
  { from: "in_progress", to: "blocked", guards: [] },
  { from: "in_progress", to: "canceled", guards: [] },
  { from: "for_review", to: "in_review", guards: ["G6"] },
  { from: "for_review", to: "blocked", guards: [] },
  { from: "for_review", to: "canceled", guards: [] },
  { from: "in_review", to: "approved", guards: ["G7", "G8"] },
  { from: "in_review", to: "done", guards: ["G7", "G8"] },
  { from: "in_review", to: "in_progress", guards: ["G7"] },
  { from: "in_review", to: "planned", guards: ["G7"] },
  { from: "in_review", to: "blocked", guards: ["G7"] },
  { from: "in_review", to: "canceled", guards: ["G7"] },
  { from: "approved", to: "done", guards: ["G4"] },
  { from: "approved", to: "in_progress", guards: ["G9"] },
  { from: "approved", to: "planned", guards: ["G9"] },
  { from: "approved", to: "blocked", guards: [] },
  { from: "approved", to: "canceled", guards: [] },
  { from: "blocked", to: "in_progress", guards: [] },
  { from: "blocked", to: "canceled", guards: [] }
]

const edgeKey = (from: Lane, to: Lane): string => `${from}->${to}`

const edgeGuards: ReadonlyMap<string, ReadonlyArray<GuardId>> = new Map(
  EDGES.map((edge) => [edgeKey(edge.from, edge.to), edge.guards])
)

/** True iff the edge exists in §5.2 (no guards evaluated). */
export const hasEdge = (from: Lane, to: Lane): boolean => edgeGuards.has(edgeKey(from, to))

// spec-kitty tests blankness with Python's `str.strip()`, whose whitespace set differs from JS `trim()`
// (it includes U+001C–U+001F and U+0085, and excludes U+FEFF).
const pythonBlank = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/

const isBlank = (value: unknown): boolean => !value || (typeof value === "string" && pythonBlank.test(value))

const APPROVAL_REQUIRED = "Transition to approved/done requires evidence (reviewer identity and approval reference)"
const ACTOR_REQUIRED = "Transition requires actor identity"
const FORCE_REQUIRES_ACTOR_AND_REASON = "Force transitions require actor and reason"
const MALFORMED_EVIDENCE = "Moving to done requires evidence with review.reviewer review.verdict, and review.reference"

const actorBlank = (ctx: TransitionContext): boolean => ctx.actor === null || isBlank(actorName(ctx.actor))

type Check = (ctx: TransitionContext) => string | null

const reviewerApproval: Check = (ctx) => {
  const review = ctx.evidence?.review
  if (review === undefined || review === null) return APPROVAL_REQUIRED
  if (isBlank(review.reviewer) || isBlank(review.reference)) return APPROVAL_REQUIRED
  return review.verdict === "approved" ? null : APPROVAL_REQUIRED
}

const reviewResultPresent: Check = (ctx) => {
  const rr = ctx.reviewResult
  if (rr === null || rr === undefined) {
    return "Transition from in_review requires review_result (structured review outcome)"
  }
  if (isBlank(rr.reviewer)) return "Transition from in_review requires review_result with reviewer"
  if (isBlank(rr.verdict)) return "Transition from in_review requires review_result with verdict"
  if (isBlank(rr.reference)) return "Transition from in_review requires review_result with reference"
  return null
}

const inReviewApproval: Check = (ctx) => {
  if (ctx.evidence !== null && ctx.evidence !== undefined) return reviewerApproval(ctx)
  const rr = ctx.reviewResult
  return rr && rr.reviewer && rr.reference && rr.verdict === "approved" ? null : APPROVAL_REQUIRED
}

const reviewResultConsistency: Check = (ctx) => {
  const rr = ctx.reviewResult
  if (rr === null || rr === undefined) return "Transition from in_review requires review_result"
  if (ctx.reviewRef !== null && ctx.reviewRef !== undefined && ctx.reviewRef !== rr.reference) {
    return "review_ref must match review_result.reference"
  }
  if (ctx.evidence === null || ctx.evidence === undefined) return null
  const review = ctx.evidence.review
  const matches = review?.reviewer === rr.reviewer && review?.verdict === rr.verdict &&
    review?.reference === rr.reference
  return matches ? null : "Review evidence must match review_result"
}

const GUARDS: Readonly<Record<GuardId, Check>> = {
  G1: (ctx) => actorBlank(ctx) ? ACTOR_REQUIRED : null,
  G2: (ctx) => isBlank(ctx.workspaceContext) ? "Transition claimed -> in_progress requires workspace context" : null,
  G3: (ctx) => {
    if (ctx.subtasksComplete !== true) {
      return "Transition in_progress -> for_review requires completed subtasks or force with reason"
    }
    if (ctx.implementationEvidencePresent !== true) {
      return "Transition in_progress -> for_review requires implementation evidence or force with reason"
    }
    return null
  },
  G4: reviewerApproval,
  G5: (ctx) => isBlank(ctx.reason) ? "Transition in_progress -> planned requires reason" : null,
  G6: (ctx) => actorBlank(ctx) ? ACTOR_REQUIRED : null,
  G7: reviewResultPresent,
  G8: inReviewApproval,
  G9: (ctx) => isBlank(ctx.reviewRef) ? "Transition requires review_ref (review feedback reference)" : null
}

const runGuards = (guards: ReadonlyArray<GuardId>, ctx: TransitionContext): string | null => {
  for (const id of guards) {
    const failure = GUARDS[id](ctx)
    if (failure !== null) return failure
  }
  // G7e–f run after every other guard of an in_review edge, G8 included (§5.3).
  return guards.includes("G7") ? reviewResultConsistency(ctx) : null
}

const forceRule: Check = (ctx) => actorBlank(ctx) || isBlank(ctx.reason) ? FORCE_REQUIRES_ACTOR_AND_REASON : null

/** §5.1 validate: resolves aliases on both inputs, then the FSM, guards and force rule. Right = the resolved lanes; Left = spec-kitty's exact reason string. */
export const validateTransition = (
  from: string,
  to: string,
  ctx: TransitionContext
): Either.Either<{ readonly from: Lane; readonly to: Lane }, string> => {
  const resolvedFrom = resolveLaneAlias(from)
  const resolvedTo = resolveLaneAlias(to)
  if (!isLane(resolvedFrom)) return Either.left(`Unknown lane: ${from}`)
  if (!isLane(resolvedTo)) return Either.left(`Unknown lane: ${to}`)
  // `uninitialized` is refused even forced: kittyctx deviation D7.
  if (resolvedTo === "genesis" || resolvedTo === "uninitialized") {
    return Either.left(`Illegal transition: ${resolvedFrom} -> ${resolvedTo}`)
  }
  const guards = edgeGuards.get(edgeKey(resolvedFrom, resolvedTo))
  const failure = ctx.force
    ? forceRule(ctx)
    : guards === undefined
    ? `Illegal transition: ${resolvedFrom} -> ${resolvedTo}`
    : runGuards(guards, ctx)
  return failure === null ? Either.right({ from: resolvedFrom, to: resolvedTo }) : Either.left(failure)
}


/** §5.5: checks an evidence object from user input; Left is the verbatim message "Moving to done requires evidence with review.reviewer review.verdict, and review.reference". Right is the typed DoneEvidence. */
export const parseDoneEvidence = (value: unknown): Either.Either<DoneEvidence, string> => {
  if (!isJsonObject(value) || !isJsonObject(value.review)) return Either.left(MALFORMED_EVIDENCE)
  const { reference, reviewer, verdict } = value.review
  // spec-kitty tests truthiness (and a whitespace-only reference); kittyctx also requires strings, to type the result.
  if (typeof reviewer !== "string" || typeof verdict !== "string" || typeof reference !== "string") {
    return Either.left(MALFORMED_EVIDENCE)
  }
  if (reviewer === "" || verdict === "" || isBlank(reference)) return Either.left(MALFORMED_EVIDENCE)
  return Either.right({ ...value, review: { reviewer, verdict, reference } })
}
