/**
 * The one error type of the write surfaces (docs/surfaces.md §9 codes): record-analysis, implement,
 * the commit path, the git-operation guard, occurrence maps.
 */
import { CodedError } from "../CodedError.js"

/** The closed set of surface error codes. */
export const SURFACE_ERROR_CODES = [
  "DIRTY_WORKTREE",
  "PLACEMENT_DIVERGENCE",
  "PLACEMENT_RESOLUTION_REQUIRED",
  "PROTECTED_BRANCH_REFUSED",
  "PLACEMENT_BRANCH_MISMATCH",
  "ANALYSIS_REPORT_EMPTY",
  "REQUIRED_ARTIFACT_MISSING",
  "FINDINGS_CARRIER_INVALID",
  "ANALYSIS_REPORT_REQUIRED",
  "WP_NOT_CLAIMABLE",
  "WP_ALREADY_CLAIMED",
  "DEPENDENCIES_NOT_SATISFIED",
  "PLANNING_ARTIFACTS_STRUCTURAL_CHANGE",
  "PLANNING_ARTIFACTS_UNCOMMITTED",
  "PLANNING_BRANCH_MISMATCH",
  "LANE_WORKTREE_BRANCH_MISMATCH",
  "LANE_WORKTREE_PATH_OCCUPIED",
  "LANE_WORKTREE_ADD_FAILED",
  "LANE_WORKTREE_LOCK_TIMEOUT",
  "GITIGNORED_PATH_STAGING_REFUSED",
  "COMMIT_FAILED",
  "BULK_EDIT_INFERENCE_UNACKNOWLEDGED"
] as const
/** A surface error code. */
export type SurfaceErrorCode = (typeof SURFACE_ERROR_CODES)[number]

/** A write-surface refusal. */
export class SurfaceError extends CodedError("SurfaceError")<SurfaceErrorCode>() {}

/** Builds a SurfaceError. */
export const surfaceError = (code: SurfaceErrorCode, message: string, details: Record<string, unknown> = {}) =>
  new SurfaceError({ code, message, details })
