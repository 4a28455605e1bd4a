/**
 * The one error type of the status layer: a code from a closed set, a message (spec-kitty's exact
 * text where one exists) and the details a user needs. File and git failures are `IoError` / `GitError`.
 */
import { CodedError } from "../CodedError.js"

/** The closed set of status error codes. */
export const STATUS_ERROR_CODES = [
  "TRANSITION_REFUSED",
  "STATUS_LOG_INVALID",
  "STATUS_LOG_CONTENDED",
  "STATUS_LOCK_TIMEOUT",
  "STATUS_EVENT_PERSISTENCE_VERIFICATION_FAILED",
  "WP_METADATA_INVALID",
  "INVALID_REQUEST",
  "AT_POINT_NOT_FOUND",
  "STATUS_ROLLBACK_FAILED",
  "EVENT_LOG_NOT_FOUND",
  "UNKNOWN_WORK_PACKAGE",
  "TASK_IDS_UNKNOWN",
  "TASKS_FILE_NOT_FOUND"
] as const
/** A status error code. */
export type StatusErrorCode = (typeof STATUS_ERROR_CODES)[number]

/** A status-layer failure. */
export class StatusError extends CodedError("StatusError")<StatusErrorCode>() {}

/** Builds a StatusError. */
export const statusError = (code: StatusErrorCode, message: string, details: Record<string, unknown> = {}) =>
  new StatusError({ code, message, details })
