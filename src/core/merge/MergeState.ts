/**
 * The merge executor's resumable state (docs/surfaces.md §5.5): one JSON file per mission under the git
 * common dir. Its progress fields are hints: a resumed run re-verifies every completed step from git.
 */
import { Either, Schema } from "effect"
import { mergeError } from "./MergeError.js"
import type { MergeError } from "./MergeError.js"

/** The strategies of the mission → target step. */
export const MERGE_STRATEGIES = ["merge", "squash", "rebase"] as const
/** A strategy. */
export type MergeStrategy = (typeof MERGE_STRATEGIES)[number]

/** The phases, in order (docs/surfaces.md §5.6). */
export const MERGE_PHASES = ["merge_lanes", "bake_number", "integrate", "record_done", "verify", "push", "cleanup"] as const
/** A phase. */
export type MergePhase = (typeof MERGE_PHASES)[number]

/** The state file's schema tag. */
export const MERGE_STATE_SCHEMA = "kittyctx.merge-state/v1"

const RefMove = Schema.Struct({ ref: Schema.String, from: Schema.String, to: Schema.String })
/** A ref move the executor made (or is about to make). */
export type RefMove = Schema.Schema.Type<typeof RefMove>

const PlannedDone = Schema.Struct({ wp_id: Schema.String, event_id: Schema.String, at: Schema.String, reviewer: Schema.String })
/** One done row, planned (and its stamp fixed) before anything is written, so a resumed run writes the same. */
export type PlannedDone = Schema.Schema.Type<typeof PlannedDone>

/** A merge stopped on conflicts: which step, and the message its commit will carry. */
const PendingStep = Schema.Struct({
  kind: Schema.Literal("lane", "integrate"),
  lane_id: Schema.NullOr(Schema.String),
  message: Schema.String,
  /** The tip the step started from (the commit being merged into). */
  onto: Schema.String
})
/** A stopped step. */
export type PendingStep = Schema.Schema.Type<typeof PendingStep>

/** The state file. Unknown keys are ignored on load. */
export const MergeStateSchema = Schema.Struct({
  schema: Schema.Literal(MERGE_STATE_SCHEMA),
  mission_id: Schema.String,
  mission_slug: Schema.String,
  target_branch: Schema.String,
  mission_branch: Schema.NullOr(Schema.String),
  strategy: Schema.Literal(...MERGE_STRATEGIES),
  phase: Schema.Literal(...MERGE_PHASES),
  lanes_order: Schema.Array(Schema.String),
  lanes_completed: Schema.Array(Schema.String),
  current_lane: Schema.NullOr(Schema.String),
  has_pending_conflicts: Schema.Boolean,
  pending_step: Schema.NullOr(PendingStep),
  conflicted_files: Schema.Array(Schema.String),
  workspace_path: Schema.String,
  target_baseline_sha: Schema.NullOr(Schema.String),
  mission_tip_integrated: Schema.NullOr(Schema.String),
  integration_sha: Schema.NullOr(Schema.String),
  mission_number: Schema.NullOr(Schema.Number),
  mission_number_baked: Schema.Boolean,
  done_plan: Schema.NullOr(Schema.Array(PlannedDone)),
  done_commit_sha: Schema.NullOr(Schema.String),
  pending_advance: Schema.NullOr(RefMove),
  advanced_refs: Schema.Array(RefMove),
  attributes_added: Schema.Array(Schema.String),
  push_requested: Schema.Boolean,
  pushed: Schema.Boolean,
  keep_branch: Schema.Boolean,
  keep_worktree: Schema.Boolean,
  started_at: Schema.String,
  updated_at: Schema.String,
  kittyctx_version: Schema.String
})

/** A decoded state. */
export type MergeState = Schema.Schema.Type<typeof MergeStateSchema>

const decode = Schema.decodeUnknownEither(MergeStateSchema, { onExcessProperty: "ignore" })

/** Decodes a state file's text (`MERGE_STATE_INVALID` when it is not one). */
export const decodeMergeState = (path: string, text: string): Either.Either<MergeState, MergeError> => {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    return Either.left(mergeError("MERGE_STATE_INVALID", `${path} is not valid JSON: ${(e as Error).message}`, { path }))
  }
  return Either.mapLeft(decode(raw), (e) =>
    mergeError("MERGE_STATE_INVALID", `${path} is not a kittyctx merge state: ${e.message.split("\n")[0]}`, { path }))
}

/** The state file's text: two-space JSON, keys in schema order, one final newline. */
export const encodeMergeState = (state: MergeState): string => JSON.stringify(state, null, 2) + "\n"

/** True when phase `a` comes after phase `b`. */
export const phaseAfter = (a: MergePhase, b: MergePhase): boolean => MERGE_PHASES.indexOf(a) > MERGE_PHASES.indexOf(b)
