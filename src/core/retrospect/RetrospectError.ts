/**
 * The one error type of the retrospective record (docs/surfaces.md §4).
 */
import { CodedError } from "../CodedError.js"

/** The closed set of retrospective error codes. */
export const RETROSPECT_ERROR_CODES = [
  "MISSION_NOT_COMPLETED",
  "RETROSPECTIVE_RECORD_EXISTS",
  "RETROSPECTIVE_RECORD_MISSING",
  "RETROSPECTIVE_RECORD_MALFORMED",
  "RETROSPECTIVE_PATH_IGNORED",
  "RETROSPECTIVE_INPUT_INVALID"
] as const
/** A retrospective error code. */
export type RetrospectErrorCode = (typeof RETROSPECT_ERROR_CODES)[number]

/** A retrospective failure. */
export class RetrospectError extends CodedError("RetrospectError")<RetrospectErrorCode>() {}

/** Builds a RetrospectError. */
export const retrospectError = (code: RetrospectErrorCode, message: string, details: Record<string, unknown> = {}) =>
  new RetrospectError({ code, message, details })
