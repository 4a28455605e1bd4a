/**
 * The one error type of the status layer: a code from a closed set, a message (spec-kitty's exact
 * text where one exists) and the details a user needs.
 */
import { Data } from "effect"

/** The closed set of status error codes. */
export type StatusErrorCode =
  | "TRANSITION_REFUSED"
  | "STATUS_LOG_INVALID"
  | "STATUS_LOG_SYMLINK_REFUSED"
  | "STATUS_FILE_UNREADABLE"
  | "STATUS_WRITE_FAILED"
  | "STATUS_LOCK_TIMEOUT"
  | "STATUS_EVENT_PERSISTENCE_VERIFICATION_FAILED"
  | "MISSION_META_INVALID"
  | "WP_METADATA_INVALID"
  | "INVALID_REQUEST"
  | "AT_POINT_NOT_FOUND"
  | "GIT_OPERATION_IN_PROGRESS"

/** A status-layer failure. */
export class StatusError extends Data.TaggedError("StatusError")<{
  readonly code: StatusErrorCode
  readonly message: string
  readonly details: Readonly<Record<string, unknown>>
}> {}

/** Builds a StatusError. */
export const statusError = (code: StatusErrorCode, message: string, details: Record<string, unknown> = {}) =>
  new StatusError({ code, message, details })
