/**
 * The reducer (status-model spec §7) one row at a time, with a state that can be saved at a byte
 * offset of the log and resumed (the fold checkpoint, §7.7). It is exact while the log is in sort-key
 * order (transitions strictly, annotations non-decreasing), which is how an append-only log grows; a row
 * that breaks the order, or an event id that may repeat one folded before a resume, makes `step` answer
 * false, and the caller folds the whole log with `reduce`. Either way the result equals `reduce`'s.
 * Memory is the per-WP state plus the ids seen since the start (or resume); never the rows. Pure.
 */
import type { AnnotationRow, EnvelopeRow, EventRow, EventStream, TransitionRow } from "./EventRow.js"
import { IdFilter } from "./IdFilter.js"
import { DISPLAY_LANES } from "./Lane.js"
import type { DisplayLane, Lane } from "./Lane.js"
import {
  applyTransition,
  compareSortKey,
  emptySummary,
  isRollback,
  isSafeSegment,
  reduce,
  REPLACE_SLOTS,
  skipsAtTie
} from "./StatusFold.js"
import type { Reduction, WpState } from "./StatusFold.js"
import { actorName } from "./Transition.js"

/** What a decision needs from a fold (§6.1 step 4, §6.3). */
export interface FoldView {
  /** The WP's lane from the transitions (§7.6); `genesis` when it has none. */
  readonly laneOf: (wpId: string) => Lane
  /** The WP's state as the snapshot holds it (annotations included), if any. */
  readonly stateOf: (wpId: string) => WpState | undefined
  /** True when the WP has at least one transition. */
  readonly hasTransitions: (wpId: string) => boolean
}

/** The view of a parsed stream (for callers that hold every row). */
export const foldViewOf = (stream: EventStream): FoldView => {
  let reduced: Reduction | null = null
  const full = () => (reduced ??= reduce(stream.transitions, stream.annotations))
  return {
    laneOf: (wp) => {
      const s = full().work_packages[wp]
      return s === undefined || s.last_event_id === null ? "genesis" : s.lane
    },
    stateOf: (wp) => full().work_packages[wp],
    hasTransitions: (wp) => stream.transitions.some((t) => t.wp_id === wp)
  }
}

/** What annotations did to one WP, kept apart so that they apply after every transition (§7.1 R5). */
interface Overlay {
  /** The actor name of the WP's first annotation (a runtime-only entry's actor, §7.4). */
  readonly actor: string
  /** The last value each replaceable slot was given (a release writes null). */
  readonly slots: Record<string, unknown>
  subtasks?: Record<string, unknown>
  notes?: Array<string>
  tracker_refs?: Array<string>
  review?: unknown
}

interface SortKey {
  readonly at: string
  readonly event_id: string
}

/**
 * The transition ids folded before a resume: a filter of most of them (written once, kept apart) and
 * the ids folded after that filter was written. A filter that was not loaded (`filter` null, `ref` set:
 * the reader had no row after the checkpoint to ask about) answers "perhaps" to every id; without a
 * filter at all (`ref` null) the recent ids are all of them.
 */
export interface SeenBefore {
  readonly filter: IdFilter | null
  readonly recent: ReadonlyArray<string>
  /** Where the filter is kept, for the writer that saves the fold again (opaque here; null: none yet). */
  readonly ref: string | null
}

/** What `save` returns: the state, what it resumed from, and the transition ids folded since. */
export interface SavedWithIds {
  readonly fold: SavedFold
  /** null: this fold started from an empty log (`added` is every id). */
  readonly before: SeenBefore | null
  readonly added: ReadonlyArray<string>
}

/**
 * The filter of every transition id of a saved fold: the filter it resumed from (or `loaded`, when that
 * one was not loaded at the resume and has been since) with the recent and new ids added. Null when the
 * fold resumed from a filter that is in neither: the ids before the resume are not known here.
 */
export const allSeenIds = (saved: SavedWithIds, loaded: IdFilter | null = null): IdFilter | null => {
  const b = saved.before
  if (b === null) return IdFilter.extended(null, saved.added)
  const base = b.filter ?? loaded
  return base === null && b.ref !== null ? null : IdFilter.extended(base, [...b.recent, ...saved.added])
}

/** The saved state: plain JSON (the ids seen travel separately, as an `IdFilter`). */
export interface SavedFold {
  readonly v: 1
  readonly count: number
  readonly firstSlug: string | null
  readonly last: SortKey | null
  readonly annotationLast: SortKey | null
  readonly states: ReadonlyArray<readonly [string, WpState]>
  readonly byRollback: ReadonlyArray<string>
  readonly overlays: ReadonlyArray<readonly [string, Overlay]>
  readonly retrospective: ReadonlyArray<Readonly<Record<string, unknown>>>
}

const isRetrospective = (e: EnvelopeRow): boolean =>
  typeof e.row.event_name === "string" && e.row.event_name.startsWith("retrospective.")

const copyState = (s: WpState): WpState => {
  const out = { ...s }
  if (typeof out.review_result === "object" && out.review_result !== null) out.review_result = { ...out.review_result }
  return out
}

/** The fold. */
export class IncrementalFold {
  #count = 0
  #firstSlug: string | null = null
  #last: SortKey | null = null
  #annotationLast: SortKey | null = null
  readonly #states = new Map<string, WpState>()
  readonly #byRollback = new Set<string>()
  readonly #overlays = new Map<string, Overlay>()
  readonly #retrospective: Array<Readonly<Record<string, unknown>>> = []
  /** Ids seen since the start or the resume (first occurrence wins, R1). */
  readonly #ids = new Set<string>()
  /** Ids folded before the resume; null when this fold started empty. */
  readonly #before: SeenBefore | null
  readonly #recent: ReadonlySet<string>

  private constructor(before: SeenBefore | null) {
    this.#before = before
    this.#recent = new Set(before?.recent ?? [])
  }

  /** The fold of an empty log. */
  static empty(): IncrementalFold {
    return new IncrementalFold(null)
  }

  /** Resumes a saved fold; `before` holds every transition id folded into it. */
  static resume(saved: SavedFold, before: SeenBefore): IncrementalFold {
    const f = new IncrementalFold(before)
    f.#count = saved.count
    f.#firstSlug = saved.firstSlug
    f.#last = saved.last
    f.#annotationLast = saved.annotationLast
    for (const [wp, s] of saved.states) f.#states.set(wp, copyState(s))
    for (const wp of saved.byRollback) f.#byRollback.add(wp)
    for (const [wp, o] of saved.overlays) f.#overlays.set(wp, structuredOverlay(o))
    f.#retrospective.push(...saved.retrospective)
    return f
  }

  /** Folds one row in file order; false when it cannot be folded incrementally (fold the whole log instead). */
  step(row: EventRow): boolean {
    return this.#step(row, false)
  }

  /**
   * Folds a row this writer has just stamped with a fresh event id (`EventIds`): the id is new by
   * construction, so the ids folded before the resume are not asked (their filter's "perhaps", about
   * 1% per layer, would send the writer to the full fold for nothing).
   */
  stepOwn(row: EventRow): boolean {
    return this.#step(row, true)
  }

  #step(row: EventRow, own: boolean): boolean {
    switch (row.kind) {
      case "transition":
        return this.#transition(row, own)
      case "annotation":
        return this.#annotation(row)
      case "envelope":
        if (isRetrospective(row)) this.#retrospective.push(row.row)
        return true
    }
  }

  #transition(t: TransitionRow, own: boolean): boolean {
    if (this.#ids.has(t.event_id)) return true
    if (!own && this.#seenBefore(t.event_id)) return false
    if (this.#last !== null && compareSortKey(this.#last, t) >= 0) return false
    this.#ids.add(t.event_id)
    this.#count++
    if (this.#firstSlug === null) this.#firstSlug = t.mission_slug
    this.#last = { at: t.at, event_id: t.event_id }
    const cur = this.#states.get(t.wp_id)
    if (skipsAtTie(t, cur, this.#byRollback)) return true
    this.#states.set(t.wp_id, applyTransition(t, cur))
    if (isRollback(t)) this.#byRollback.add(t.wp_id)
    else this.#byRollback.delete(t.wp_id)
    return true
  }

  #annotation(a: AnnotationRow): boolean {
    if (this.#annotationLast !== null && compareSortKey(this.#annotationLast, a) > 0) return false
    this.#annotationLast = { at: a.at, event_id: a.event_id }
    let o = this.#overlays.get(a.wp_id)
    if (o === undefined) {
      o = { actor: actorName(a.actor), slots: {} }
      this.#overlays.set(a.wp_id, o)
    }
    const d = a.delta
    if (d.release_runtime_claim === true) {
      o.slots.agent = null
      o.slots.shell_pid = null
      o.slots.shell_pid_created_at = null
    }
    for (const slot of REPLACE_SLOTS) {
      const v = d[slot]
      if (v !== undefined) o.slots[slot] = v
    }
    if (d.subtasks !== undefined) {
      const merged = (o.subtasks ??= {})
      for (const id in d.subtasks) merged[id] = d.subtasks[id]
    }
    if (d.note !== undefined) (o.notes ??= []).push(d.note)
    if (d.tracker_refs_replace !== undefined) {
      o.tracker_refs = [...new Set(d.tracker_refs_replace)]
    } else if (d.tracker_refs !== undefined) {
      const refs = (o.tracker_refs ??= [])
      for (const r of d.tracker_refs) if (!refs.includes(r)) refs.push(r)
    }
    if (d.review !== undefined) {
      const r = d.review
      o.review = r.at === "" && r.actor === "" && r.wp_id === "" && r.reason === ""
        ? null
        : { at: r.at, actor: r.actor, wp_id: r.wp_id, reason: r.reason }
    }
    return true
  }

  /** The WP's lane from the transitions; `genesis` when it has none. */
  laneOf(wpId: string): Lane {
    return this.#states.get(wpId)?.lane ?? "genesis"
  }

  /** The WP's snapshot state (annotations applied), a copy. */
  stateOf(wpId: string): WpState | undefined {
    const s = this.#states.get(wpId)
    const o = this.#overlays.get(wpId)
    if (o === undefined) return s === undefined ? undefined : copyState(s)
    return withOverlay(
      s === undefined
        ? { lane: "uninitialized", actor: o.actor, last_transition_at: null, last_event_id: null, force_count: 0 }
        : copyState(s),
      o
    )
  }

  /** The view a decision reads. */
  view(): FoldView {
    return {
      laneOf: (wp) => this.laneOf(wp),
      stateOf: (wp) => this.stateOf(wp),
      hasTransitions: (wp) => this.#states.has(wp)
    }
  }

  /** The reduction `reduce` gives for the rows folded so far. */
  reduction(): Reduction {
    const summary: Record<DisplayLane, number> = emptySummary()
    const work_packages: Record<string, WpState> = {}
    const put = (wp: string) => {
      const state = this.stateOf(wp)!
      work_packages[wp] = state
      if ((DISPLAY_LANES as ReadonlyArray<string>).includes(state.lane)) summary[state.lane as DisplayLane]++
    }
    for (const wp of this.#states.keys()) put(wp)
    for (const wp of this.#overlays.keys()) if (!this.#states.has(wp)) put(wp)
    const slug = this.#firstSlug ?? ""
    return {
      mission_slug: isSafeSegment(slug) ? slug : "",
      materialized_at: this.#last?.at ?? "",
      event_count: this.#count,
      last_event_id: this.#last?.event_id ?? null,
      work_packages,
      summary
    }
  }

  /** The retrospective envelopes folded so far (the snapshot's optional block, §8.1). */
  retrospective(): ReadonlyArray<EnvelopeRow> {
    return this.#retrospective.map((row) => ({ kind: "envelope", line: 0, row }))
  }

  /** True when `id` may have been folded before the resume ("perhaps" when the filter was not loaded). */
  #seenBefore(id: string): boolean {
    const b = this.#before
    return b !== null && (this.#recent.has(id) || (b.filter !== null ? b.filter.mightContain(id) : b.ref !== null))
  }

  /** The state to resume from, what this fold resumed from, and the transition ids folded since. */
  save(): SavedWithIds {
    return {
      before: this.#before,
      added: [...this.#ids],
      fold: {
        v: 1,
        count: this.#count,
        firstSlug: this.#firstSlug,
        last: this.#last,
        annotationLast: this.#annotationLast,
        states: [...this.#states].map(([wp, s]) => [wp, copyState(s)] as const),
        byRollback: [...this.#byRollback],
        overlays: [...this.#overlays].map(([wp, o]) => [wp, structuredOverlay(o)] as const),
        retrospective: [...this.#retrospective]
      }
    }
  }
}

const structuredOverlay = (o: Overlay): Overlay => {
  const out: Overlay = { actor: o.actor, slots: { ...o.slots } }
  if (o.subtasks !== undefined) out.subtasks = { ...o.subtasks }
  if (o.notes !== undefined) out.notes = [...o.notes]
  if (o.tracker_refs !== undefined) out.tracker_refs = [...o.tracker_refs]
  if ("review" in o) out.review = o.review
  return out
}

const withOverlay = (state: WpState, o: Overlay): WpState => {
  for (const slot in o.slots) state[slot] = o.slots[slot]
  if (o.subtasks !== undefined) state.subtasks = { ...o.subtasks }
  if (o.notes !== undefined) state.notes = [...o.notes]
  if (o.tracker_refs !== undefined) state.tracker_refs = [...o.tracker_refs]
  if ("review" in o) state.review = o.review
  return state
}
