/**
 * The reducer (docs/status-model.md §7): `evolve` over the event log. Pure: no I/O, no clock.
 * Bare section numbers (§N) cite docs/status-model.md.
 */
import { compareCodePoints } from "../repo/Text.js"
import { DISPLAY_LANES } from "./Lane.js"
import type { DisplayLane, Lane } from "./Lane.js"
import { DELTA_STRING_KEYS } from "./EventRow.js"
import type { AnnotationRow, TransitionRow } from "./EventRow.js"
import { actorName } from "./Transition.js"

/** The per-WP state object as it appears in `status.json` (§8.3). */
export type WpState = Record<string, unknown> & {
  lane: Lane
  actor: string
  last_transition_at: string | null
  last_event_id: string | null
  force_count: number
}

/** The result of folding a log: everything of the snapshot that comes from the events. */
export interface Reduction {
  readonly mission_slug: string
  readonly materialized_at: string
  readonly event_count: number
  readonly last_event_id: string | null
  readonly work_packages: Readonly<Record<string, WpState>>
  readonly summary: Readonly<Record<DisplayLane, number>>
}

/** A row's sort key. */
interface SortKeyed {
  readonly at: string
  readonly event_id: string
}

/** The sort key order of rows: `(at, event_id)` as plain strings in code-point order (§7.1 R2). */
export const compareSortKey = (a: SortKeyed, b: SortKeyed): number => {
  if (a.at !== b.at) return compareCodePoints(a.at, b.at)
  if (a.event_id !== b.event_id) return compareCodePoints(a.event_id, b.event_id)
  return 0
}

/** The same order using UTF-16 comparison: equal to code-point order when no key holds a surrogate. */
const compareSortKeyBmp = (a: SortKeyed, b: SortKeyed): number =>
  a.at < b.at ? -1 : a.at > b.at ? 1 : a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0

const SURROGATE = /[\ud800-\udfff]/

/** Sorts rows by sort key (stable), using the fast comparator when it is exact for these rows. */
export const sortBySortKey = <A extends SortKeyed>(rows: Array<A>): Array<A> => {
  let bmp = true
  for (const r of rows) {
    if (SURROGATE.test(r.at) || SURROGATE.test(r.event_id)) {
      bmp = false
      break
    }
  }
  return rows.sort(bmp ? compareSortKeyBmp : compareSortKey)
}

const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** A safe path segment (§7.1 R3): no `..`, no surrounding whitespace, `[A-Za-z0-9][A-Za-z0-9._-]*`. */
export const isSafeSegment = (s: string): boolean => SAFE_SEGMENT.test(s) && !s.includes("..")

/** The runtime slots an annotation replaces (§7.4 step 2). */
export const REPLACE_SLOTS = ["shell_pid", ...DELTA_STRING_KEYS] as const

/** §7.2: a rollback is `→ in_progress` from `in_review`, or from `for_review` with a review_ref. */
export const isRollback = (t: TransitionRow): boolean =>
  t.to_lane === "in_progress" &&
  (t.from_lane === "in_review" || (t.from_lane === "for_review" && t.review_ref !== null))

/** §7.2: skip a non-rollback at the very timestamp of the rollback that set the WP's state. */
export const skipsAtTie = (t: TransitionRow, cur: WpState | undefined, byRollback: ReadonlySet<string>): boolean =>
  cur !== undefined && cur.last_transition_at === t.at && !isRollback(t) && byRollback.has(t.wp_id)

/** R1 + R2: de-duplicate transitions by event_id (first in file order wins), then sort by `(at, event_id)`. */
export const dedupeAndSort = (transitions: ReadonlyArray<TransitionRow>): Array<TransitionRow> => {
  const seen = new Set<string>()
  const unique: Array<TransitionRow> = []
  for (const t of transitions) {
    if (seen.has(t.event_id)) continue
    seen.add(t.event_id)
    unique.push(t)
  }
  let sorted = true
  for (let i = 1; i < unique.length; i++) {
    if (compareSortKey(unique[i - 1], unique[i]) > 0) {
      sorted = false
      break
    }
  }
  if (!sorted) sortBySortKey(unique)
  return unique
}

/** Applies a transition to the WP's state in place (the fold owns the states), or creates it (§7.3). */
export const applyTransition = (t: TransitionRow, prev: WpState | undefined): WpState => {
  const next: WpState = prev ?? {
    lane: t.to_lane,
    actor: "",
    last_transition_at: null,
    last_event_id: null,
    force_count: 0
  }
  next.lane = t.to_lane
  next.actor = actorName(t.actor)
  next.last_transition_at = t.at
  next.last_event_id = t.event_id
  if (t.force) next.force_count = next.force_count + 1
  if (t.from_lane === "planned" && t.to_lane === "claimed" && t.policy_metadata !== null) {
    const pm = t.policy_metadata
    if (pm.shell_pid !== null && pm.shell_pid !== undefined) next.shell_pid = pm.shell_pid
    if (pm.shell_pid_created_at !== null && pm.shell_pid_created_at !== undefined) {
      next.shell_pid_created_at = pm.shell_pid_created_at
    }
    if (isTruthy(pm.agent)) next.agent = pm.agent
  }
  if (t.review_result !== null) {
    const rr = t.review_result
    const slot: Record<string, unknown> = { reviewer: rr.reviewer, verdict: rr.verdict, reference: rr.reference }
    if (rr.feedback_path !== null && rr.feedback_path !== undefined) slot.feedback_path = rr.feedback_path
    next.review_result = slot
  } else if (t.from_lane === "in_review") {
    next.review_result = null
  }
  return next
}

const isTruthy = (v: unknown): boolean =>
  !(v === null || v === undefined || v === false || v === 0 || v === "" ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === "object" && v !== null && Object.keys(v).length === 0))

/** Applies an annotation's delta to the WP's state in place, creating a runtime-only entry if needed (§7.4). */
const applyAnnotation = (a: AnnotationRow, prev: WpState | undefined): WpState => {
  const next: WpState = prev ??
    { lane: "uninitialized", actor: actorName(a.actor), last_transition_at: null, last_event_id: null, force_count: 0 }
  const d = a.delta
  if (d.release_runtime_claim === true) {
    next.agent = null
    next.shell_pid = null
    next.shell_pid_created_at = null
  }
  for (const slot of REPLACE_SLOTS) {
    const v = d[slot]
    if (v !== undefined) next[slot] = v
  }
  if (d.subtasks !== undefined) {
    const current = next.subtasks
    const merged = (typeof current === "object" && current !== null ? current : (next.subtasks = {})) as Record<string, unknown>
    for (const id in d.subtasks) merged[id] = d.subtasks[id]
  }
  if (d.note !== undefined) {
    if (Array.isArray(next.notes)) next.notes.push(d.note)
    else next.notes = [d.note]
  }
  if (d.tracker_refs_replace !== undefined) {
    next.tracker_refs = [...new Set(d.tracker_refs_replace)]
  } else if (d.tracker_refs !== undefined) {
    const refs: Array<string> = Array.isArray(next.tracker_refs) ? next.tracker_refs : (next.tracker_refs = [])
    for (const r of d.tracker_refs) if (!refs.includes(r)) refs.push(r)
  }
  if (d.review !== undefined) {
    const r = d.review
    next.review = r.at === "" && r.actor === "" && r.wp_id === "" && r.reason === ""
      ? null
      : { at: r.at, actor: r.actor, wp_id: r.wp_id, reason: r.reason }
  }
  return next
}

/** An all-zero summary of the 9 display lanes. */
export const emptySummary = (): Record<DisplayLane, number> => {
  const summary = {} as Record<DisplayLane, number>
  for (const lane of DISPLAY_LANES) summary[lane] = 0
  return summary
}

/**
 * Transitions-only fold to the current lane of each WP (§7.6 "transitions only" consumers, e.g.
 * `from_lane` derivation). Returns the sorted transitions too.
 */
export const foldTransitions = (transitions: ReadonlyArray<TransitionRow>): {
  readonly sorted: ReadonlyArray<TransitionRow>
  readonly states: Map<string, WpState>
} => {
  const sorted = dedupeAndSort(transitions)
  const states = new Map<string, WpState>()
  // the WPs whose state was last set by a rollback (§7.2), instead of a map of every event by id
  const byRollback = new Set<string>()
  for (const t of sorted) {
    const cur = states.get(t.wp_id)
    if (skipsAtTie(t, cur, byRollback)) continue
    states.set(t.wp_id, applyTransition(t, cur))
    if (isRollback(t)) byRollback.add(t.wp_id)
    else byRollback.delete(t.wp_id)
  }
  return { sorted, states }
}

/** The full reducer `reduce(transitions, annotations)` (§7). */
export const reduce = (
  transitions: ReadonlyArray<TransitionRow>,
  annotations: ReadonlyArray<AnnotationRow>
): Reduction => {
  const { sorted, states } = foldTransitions(transitions)
  if (annotations.length > 0) {
    const ordered = sortBySortKey([...annotations])
    for (const a of ordered) states.set(a.wp_id, applyAnnotation(a, states.get(a.wp_id)))
  }
  const summary = emptySummary()
  const work_packages: Record<string, WpState> = {}
  for (const [wp, state] of states) {
    work_packages[wp] = state
    if (state.lane in summary) summary[state.lane as DisplayLane]++
  }
  const first = sorted[0]
  const last = sorted[sorted.length - 1]
  const firstSlug = first === undefined ? "" : first.mission_slug
  return {
    mission_slug: isSafeSegment(firstSlug) ? firstSlug : "",
    materialized_at: last === undefined ? "" : last.at,
    event_count: sorted.length,
    last_event_id: last === undefined ? null : last.event_id,
    work_packages,
    summary
  }
}

/** Lane of every WP from a transitions-only fold; `genesis` for a WP with no transitions. */
export const laneOf = (transitions: ReadonlyArray<TransitionRow>, wpId: string): Lane =>
  foldTransitions(transitions).states.get(wpId)?.lane ?? "genesis"
