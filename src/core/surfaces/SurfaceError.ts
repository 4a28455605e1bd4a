/**
 * The one error type of the write surfaces (surfaces spec §9 codes): record-analysis, implement,
 * the commit path, the git-operation guard, occurrence maps.
 */
import { Data } from "effect"

/** The closed set of surface error codes. */
export type SurfaceErrorCode =
  | "DIRTY_WORKTREE"
  | "PLACEMENT_DIVERGENCE"
  | "PLACEMENT_RESOLUTION_REQUIRED"
  | "PROTECTED_BRANCH_REFUSED"
  | "PLACEMENT_BRANCH_MISMATCH"
  | "ANALYSIS_REPORT_EMPTY"
  | "REQUIRED_ARTIFACT_MISSING"
  | "FINDINGS_CARRIER_INVALID"
  | "ANALYSIS_REPORT_REQUIRED"
  | "WP_NOT_CLAIMABLE"
  | "WP_ALREADY_CLAIMED"
  | "DEPENDENCIES_NOT_SATISFIED"
  | "PLANNING_ARTIFACTS_STRUCTURAL_CHANGE"
  | "PLANNING_ARTIFACTS_UNCOMMITTED"
  | "PLANNING_BRANCH_MISMATCH"
  | "LANE_WORKTREE_BRANCH_MISMATCH"
  | "LANE_WORKTREE_PATH_OCCUPIED"
  | "GIT_OPERATION_IN_PROGRESS"
  | "GITIGNORED_PATH_STAGING_REFUSED"
  | "BULK_EDIT_GATE_BLOCKED"
  | "BULK_EDIT_INFERENCE_UNACKNOWLEDGED"
  | "OCCURRENCE_MAP_INVALID"
  | "DIFF_COMPLIANCE_FAILED"
  | "COMMIT_FAILED"
  | "INPUT_UNREADABLE"

/** A write-surface refusal. */
export class SurfaceError extends Data.TaggedError("SurfaceError")<{
  readonly code: SurfaceErrorCode
  readonly message: string
  readonly details: Readonly<Record<string, unknown>>
}> {}

/** Builds a SurfaceError. */
export const surfaceError = (code: SurfaceErrorCode, message: string, details: Record<string, unknown> = {}) =>
  new SurfaceError({ code, message, details })
