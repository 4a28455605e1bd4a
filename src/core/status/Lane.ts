/**
 * Work-package lanes: the 11 lane values, display lanes, terminal lanes, the `doing` alias and the
 * per-lane weights used by weighted progress (docs/status-model.md §4, §10).
 * Bare section numbers (§N) cite docs/status-model.md.
 */

/** Every lane value, in spec-kitty's enum order. */
export const LANES = [
  "genesis",
  "uninitialized",
  "planned",
  "claimed",
  "in_progress",
  "for_review",
  "in_review",
  "approved",
  "done",
  "blocked",
  "canceled"
] as const

/** One of the 11 lane values. */
export type Lane = (typeof LANES)[number]

/** The 9 display lanes (spec-kitty `CANONICAL_LANES`), in summary order. */
export const DISPLAY_LANES = [
  "planned",
  "claimed",
  "in_progress",
  "for_review",
  "in_review",
  "approved",
  "done",
  "blocked",
  "canceled"
] as const

/** A lane that appears on the board and in `summary`. */
export type DisplayLane = (typeof DISPLAY_LANES)[number]

const laneSet: ReadonlySet<string> = new Set(LANES)
const displaySet: ReadonlySet<string> = new Set(DISPLAY_LANES)

/** True for exactly the 11 lane values (case-sensitive, no aliases): the reader's rule. */
export const isLane = (value: unknown): value is Lane => typeof value === "string" && laneSet.has(value)

/** True for the 9 display lanes. */
export const isDisplayLane = (value: unknown): value is DisplayLane =>
  typeof value === "string" && displaySet.has(value)

/** `done` and `canceled`: no outgoing edges without force. */
export const isTerminal = (lane: Lane): boolean => lane === "done" || lane === "canceled"

/**
 * Resolves input at a boundary (CLI, emit, validate input): trimmed, lower-cased, `doing` becomes
 * `in_progress`. Returns the resolved string, which may still not be a lane.
 */
export const resolveLaneAlias = (input: string): string => {
  const normalized = input.trim().toLowerCase()
  return normalized === "doing" ? "in_progress" : normalized
}

/** Lane weights for weighted progress (§10). */
export const LANE_WEIGHTS: Readonly<Record<Lane, number>> = {
  genesis: 0.0,
  uninitialized: 0.0,
  planned: 0.0,
  claimed: 0.05,
  in_progress: 0.3,
  for_review: 0.6,
  in_review: 0.7,
  approved: 0.8,
  done: 1.0,
  blocked: 0.0,
  canceled: 0.0
}
