/**
 * The one error type of merging (docs/surfaces.md §5, docs/status-model.md §13): the event-log union,
 * the merge driver and its installation, and the `merge` executor.
 */
import { CodedError } from "../CodedError.js"

/** The closed set of merge error codes. */
export const MERGE_ERROR_CODES = [
  "EVENT_LOG_MALFORMED",
  "EVENT_ID_CONFLICT",
  "MERGE_DRIVER_PATHS_REFUSED",
  "MERGE_DRIVER_NOT_INSTALLED",
  "MERGE_LOCKED",
  "MERGE_FOREIGN_IN_PROGRESS",
  "MERGE_STATE_AMBIGUOUS",
  "MERGE_STATE_INVALID",
  "NO_MERGE_TO_RESUME",
  "MERGE_CONFLICT",
  "MERGE_UNRESOLVED_PATHS",
  "WPS_NOT_APPROVED",
  "TARGET_CHECKOUT_DIRTY",
  "MERGE_BRANCH_MISSING",
  "MERGE_REF_MOVED",
  "MERGE_NOTHING_TO_INTEGRATE",
  "MISSION_META_MISSING",
  "MERGE_VERIFY_FAILED"
] as const
/** A merge error code. */
export type MergeErrorCode = (typeof MERGE_ERROR_CODES)[number]

/** A merge failure. */
export class MergeError extends CodedError("MergeError")<MergeErrorCode>() {}

/** Builds a MergeError. */
export const mergeError = (code: MergeErrorCode, message: string, details: Record<string, unknown> = {}) =>
  new MergeError({ code, message, details })
